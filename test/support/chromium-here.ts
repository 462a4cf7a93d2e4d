import { execFileSync } from 'node:child_process';

/** Where Chromium may be: `BERTH_CHROMIUM` first, then Debian's and other distributions' names. */
const candidates = [process.env.BERTH_CHROMIUM, 'chromium', 'chromium-browser', 'google-chrome'].filter(
  (name): name is string => Boolean(name),
);

/**
 * The Chromium the dashboard's browser tests drive (headless, through playwright-core), or undefined
 * when none runs here: Debian's `chromium` package, which `scripts/install` installs as root.
 */
export function chromiumHere(): string | undefined {
  for (const candidate of candidates) {
    try {
      execFileSync(candidate, ['--version'], { stdio: 'ignore' });
      return execFileSync('sh', ['-c', 'command -v "$1"', 'sh', candidate], { encoding: 'utf8' }).trim();
    } catch {
      // Not this one.
    }
  }
  return undefined;
}
