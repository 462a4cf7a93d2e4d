// @ts-check
/**
 * The layer rules of src/README.md, checked on every `npm test` (`npm run check:layers`).
 *
 * A request flows down LAYERS; a module may import only from layers below its own (and from its own
 * folder). Folders that share a layer never import each other, so there can be no cycle between
 * folders. Unit tests beside their files (`*.test.ts`) may reach test support in `test/`; product
 * code may not, and never imports vitest, so `dist/` holds only the product.
 */
const LAYERS = [
  ['cli'],
  ['runtime'],
  ['server'],
  ['engine'],
  ['containers'],
  ['files', 'skills', 'keys', 'health'],
  ['sandbox', 'providers', 'store'],
  ['config'],
  ['validation', 'network'],
  ['errors'],
  [
    'clock\\.ts',
    'ids\\.ts',
    'logger\\.ts',
    'metrics\\.ts',
    'event-stream\\.ts',
    'in-parallel\\.ts',
    'package-version\\.ts',
    'tracing\\.ts',
  ],
];

const test = '\\.test\\.ts$';
/** @param {string} name */
const folder = (name) => (name.endsWith('\\.ts') ? `^src/${name}$` : `^src/${name}/`);

/** @type {import('dependency-cruiser').IForbiddenRuleType[]} */
const layerRules = LAYERS.flatMap((names, index) => {
  const above = LAYERS.slice(0, index + 1).flat();
  return names
    .filter(() => above.length > 1)
    .map((name) => ({
      name: `layer:${name.replace('\\.ts', '')}`,
      comment: `src/${name.replace('\\', '')} may import only layers below it (src/README.md)`,
      severity: /** @type {const} */ ('error'),
      from: { path: folder(name), pathNot: test },
      to: { path: above.filter((other) => other !== name).map(folder) },
    }));
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'every-module-in-a-layer',
      comment:
        'Each file in src/ belongs to a layer of src/README.md (add a new folder or root file to LAYERS)',
      severity: 'error',
      from: { path: '^src/', pathNot: [test, ...LAYERS.flat().map(folder)] },
      to: {},
    },
    {
      name: 'server-through-services',
      comment:
        'A route translates wire <-> one service call: the server never calls the store, a provider or a sandbox itself (types are fine)',
      severity: 'error',
      from: { path: '^src/server/', pathNot: test },
      to: { path: ['^src/store/', '^src/providers/', '^src/sandbox/'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'engine-through-shell-host',
      comment: 'The engine reaches sandboxes only through the ShellHost port in src/containers/',
      severity: 'error',
      from: { path: '^src/engine/', pathNot: test },
      to: { path: '^src/sandbox/' },
    },
    {
      name: 'no-test-code-in-product',
      comment: 'dist/ must hold only the product: no test support, fixtures or vitest',
      severity: 'error',
      from: { path: '^src/', pathNot: test },
      to: { path: ['^test/', 'node_modules/vitest/', 'node_modules/@vitest/', '\\.test\\.ts$'] },
    },
    {
      name: 'no-circular',
      comment: 'Import cycles make load order matter and blur which module owns what',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
