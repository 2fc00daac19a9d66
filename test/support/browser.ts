import { existsSync } from 'node:fs';
import path from 'node:path';

/** The one command that installs the browser the console tests drive. */
export const CHROMIUM_INSTALL = 'apt-get install -y chromium';

/**
 * Path of the Chromium the console tests drive with playwright-core: CHROMIUM_PATH, else Debian's
 * /usr/bin/chromium, else `chromium` on PATH; undefined when none is installed.
 */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.CHROMIUM_PATH) return existsSync(env.CHROMIUM_PATH) ? env.CHROMIUM_PATH : undefined;
  const candidates = [
    '/usr/bin/chromium',
    ...(env.PATH ?? '').split(path.delimiter).flatMap((d) => (d ? [path.join(d, 'chromium')] : [])),
  ];
  return candidates.find((p) => existsSync(p));
}

/**
 * Whether the browser tests run: yes with a browser; with CI=true and none, the run fails (never
 * a silent skip); locally without one they are skipped with the install command printed.
 */
export function browserOrSkip(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const found = chromiumPath(env);
  if (found) return found;
  if (env.CI === 'true')
    throw new Error(
      `CI=true and no Chromium found: install it with "${CHROMIUM_INSTALL}" (or set CHROMIUM_PATH)`,
    );
  console.error(`console browser tests skipped: no Chromium (install with "${CHROMIUM_INSTALL}")`);
  return undefined;
}
