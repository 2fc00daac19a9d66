import { spawnSync } from 'node:child_process';
import { CHROMIUM_INSTALL, chromiumPath } from '../test/support/browser';

/**
 * Makes sure the Chromium the console tests drive is installed: found, or installed with apt-get
 * when running as root, else the one command to run is printed. Returns its path, or undefined.
 */
export function ensureBrowser(env: NodeJS.ProcessEnv, log: (m: string) => void): string | undefined {
  let found = chromiumPath(env);
  if (!found && process.getuid?.() === 0 && spawnSync('apt-get', ['--version']).status === 0) {
    log(`chromium not found: ${CHROMIUM_INSTALL}`);
    const install = () =>
      spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { stdio: 'inherit' });
    if (install().status !== 0) {
      spawnSync('apt-get', ['update'], { stdio: 'inherit' });
      install();
    }
    found = chromiumPath(env);
  }
  log(
    found
      ? `chromium: ${found}`
      : `chromium not found: the console browser tests need it; install it with "sudo ${CHROMIUM_INSTALL}"`,
  );
  return found;
}
