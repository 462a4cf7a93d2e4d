import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');

/** Every file under `directory`, relative to the repository root. */
function filesUnder(directory: string): string[] {
  return readdirSync(join(root, directory), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)));
}

/**
 * What users install must be the product only: the test run's global setup has just built `dist/`
 * from the current source, so these look at exactly what `npm pack` would ship.
 */
describe('the package', () => {
  it('ships only dist/, bin/ and the package metadata', () => {
    const [pack] = JSON.parse(
      execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
        cwd: root,
        encoding: 'utf8',
      }),
    ) as [{ files: { path: string }[] }];
    const paths = pack.files.map((file) => file.path);
    expect(paths).toContain('bin/berth.js');
    expect(paths).toContain('dist/cli/main.js');
    // The dashboard, built by `npm run build` (esbuild), served at /ui/.
    expect(paths).toEqual(
      expect.arrayContaining(['dist/ui/index.html', 'dist/ui/assets/app.js', 'dist/ui/assets/app.css']),
    );
    const outside = paths.filter(
      (path) => !/^(dist|bin)\//.test(path) && !['package.json', 'README.md', 'LICENSE'].includes(path),
    );
    expect(outside).toEqual([]);
    expect(paths.filter((path) => /\.test\.|\/test\/|\/testing\/|fake-|contract/.test(path))).toEqual([]);
  });

  it('is published under a scoped name, publicly, and its CLI reports the version installed', () => {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      name: string;
      version: string;
      bin: Record<string, string>;
      publishConfig?: { access?: string };
    };
    // `berth` on npm belongs to someone else; the scope is ours, and a scoped package is private
    // unless published with public access.
    expect(manifest.name).toBe('@berth-ai/server');
    expect(manifest.publishConfig?.access).toBe('public');
    expect(Object.keys(manifest.bin)).toEqual(['berth']);
    for (const flag of ['--version', '-V']) {
      const printed = execFileSync(process.execPath, [join(root, 'bin/berth.js'), flag], {
        encoding: 'utf8',
      });
      expect(printed).toBe(`${manifest.version}\n`);
    }
  });

  it('has no module in dist/ that imports vitest or anything from test/', () => {
    const modules = filesUnder('dist').filter((path) => path.endsWith('.js'));
    expect(modules.length).toBeGreaterThan(100);
    const offenders = modules.filter((path) => {
      const text = readFileSync(join(root, path), 'utf8');
      return /from ['"](vitest|@vitest\/[^'"]*)['"]|from ['"][^'"]*\/test\/[^'"]*['"]/.test(text);
    });
    expect(offenders).toEqual([]);
  });
});
