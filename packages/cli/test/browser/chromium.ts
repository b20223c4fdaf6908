/**
 * Chromium for the browser tests: found on this machine, or installed from Debian's apt when this
 * process can (root with apt-get), as .ci/run does; otherwise the tests skip with the reason.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

function installed(): string | undefined {
  const fromEnv = process.env.WACS_CHROMIUM;
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined;
  return CANDIDATES.find((path) => existsSync(path));
}

function apt(args: string[]): boolean {
  const r = spawnSync('apt-get', args, { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 15 * 60_000 });
  return r.status === 0;
}

let found: { path?: string; reason?: string } | undefined;

/** Chromium's path, or why there is none (printed once). */
export function chromium(): { path?: string; reason?: string } {
  if (found) return found;
  let path = installed();
  if (!path && process.env.WACS_CHROMIUM) {
    found = { reason: `WACS_CHROMIUM=${process.env.WACS_CHROMIUM} does not exist` };
  } else if (!path) {
    const canApt = process.getuid?.() === 0 && spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
    if (canApt) {
      console.warn('browser tests: Chromium is missing; installing it with apt-get (once)…');
      if (!apt(['install', '-y', '-qq', 'chromium'])) apt(['update', '-qq']) && apt(['install', '-y', '-qq', 'chromium']);
      path = installed();
      if (!path) found = { reason: 'Chromium is missing and "apt-get install chromium" failed (no network to Debian?)' };
    } else {
      found = { reason: 'Chromium is not installed and this user cannot install it (needs root with apt-get): run "apt-get install chromium" or set WACS_CHROMIUM' };
    }
  }
  found ??= { path: path! };
  if (found.reason) console.warn(`skipping the browser tests: ${found.reason}`);
  return found;
}
