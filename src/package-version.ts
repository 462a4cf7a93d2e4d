import { readFileSync } from 'node:fs';

/**
 * Berth's version, from its own `package.json`: this module sits one directory below the package
 * root both as source (`src/`) and compiled (`dist/`), and `package.json` ships in the
 * package, so the version printed is always the one installed.
 */
export function packageVersion(): string {
  const text = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}
