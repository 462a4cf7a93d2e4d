// Builds the dashboard into dist/ui: index.html, and assets/app.js (ui/src bundled with Preact by
// esbuild, minified, with a source map) and assets/app.css. The server serves dist/ui at /ui/.
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const root = `${join(import.meta.dirname, '..')}/`;
mkdirSync(`${root}dist/ui/assets`, { recursive: true });
await build({
  entryPoints: [`${root}ui/src/main.ts`],
  outfile: `${root}dist/ui/assets/app.js`,
  bundle: true,
  format: 'esm',
  target: ['chrome111', 'firefox111', 'safari16.4'],
  minify: true,
  sourcemap: true,
  legalComments: 'linked',
  logLevel: 'warning',
});
copyFileSync(`${root}ui/index.html`, `${root}dist/ui/index.html`);
copyFileSync(`${root}ui/app.css`, `${root}dist/ui/assets/app.css`);
