// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';


/**
 * The import graph is a one-way DAG (docs/architecture.md): each part of src/ may import only the
 * layers below it. An upward import fails `npm run lint` (and so `npm test`).
 *
 *   cli → index.ts → exec-server → sandbox.ts → launch | host | manager | config → platforms → env → contracts → permissions → path-uri → util
 *
 * native.ts (loads the addon) is an edge module: only launch/, host/ and what is above them use it.
 * errors.ts and version.ts import nothing, and anything may import them.
 */
const PARTS = ['cli', 'index', 'exec-server', 'sandbox', 'session', 'launch', 'host', 'manager', 'config', 'native', 'platforms', 'env', 'contracts', 'permissions', 'path-uri', 'util', 'errors', 'version', 'node-proxy'];
/** What each part of src/ may import (besides itself and packages); cli/ may import anything. */
const BELOW_SANDBOX = ['session', 'launch', 'host', 'manager', 'config', 'native', 'platforms', 'env', 'contracts', 'permissions', 'path-uri', 'util', 'errors', 'version'];
const MAY_IMPORT = {
  // index.ts is the package's entry: it re-exports createExecServer, and exec-server builds on the Sandbox.
  index: ['exec-server', 'sandbox', ...BELOW_SANDBOX],
  'exec-server': ['sandbox', ...BELOW_SANDBOX],
  sandbox: BELOW_SANDBOX,
  // Sessions (sandbox.session): the supervisor protocol and its commands; launched by sandbox.ts.
  session: ['launch', 'native', 'platforms', 'contracts', 'permissions', 'path-uri', 'util', 'errors', 'version'],
  launch: ['native', 'platforms', 'contracts', 'permissions', 'path-uri', 'util', 'errors', 'version'],
  host: ['native', 'contracts', 'permissions', 'path-uri', 'util', 'errors', 'version'],
  manager: ['platforms', 'env', 'contracts', 'permissions', 'path-uri', 'util', 'errors'],
  config: ['env', 'contracts', 'permissions', 'path-uri', 'util', 'errors'],
  native: ['util', 'errors'],
  platforms: ['env', 'contracts', 'permissions', 'path-uri', 'util', 'errors'],
  env: ['contracts', 'permissions', 'path-uri', 'util', 'errors'],
  contracts: ['permissions', 'path-uri', 'util', 'errors'],
  permissions: ['path-uri', 'util', 'errors'],
  'path-uri': ['util', 'errors'],
  util: [],
  // The NODE_OPTIONS preload, bundled alone into dist/node-proxy/preload.cjs: node builtins only.
  'node-proxy': [],
  errors: [],
  version: [],
};
const PLATFORMS = ['linux', 'darwin', 'win32'];
const SINGLE_FILES = ['sandbox', 'index', 'native', 'errors', 'version'];
/** A relative specifier that reaches `part` of src/ from a file `depth` folders below src/. */
function reaches(part, depth) {
  const up = depth === 0 ? '\\./' : `(\\.\\./){${depth}}`;
  return `^${up}${part}${SINGLE_FILES.includes(part) ? '\\.js$' : '(/|$)'}`;
}
function layerBlock(part, files, depths, extra = []) {
  const allowed = new Set([part, ...MAY_IMPORT[part]]);
  const patterns = PARTS.filter((target) => !allowed.has(target)).flatMap((target) =>
    depths.map((d) => ({
      regex: reaches(target, d),
      message: `src/${part} may not import src/${target}: imports run one way, down the layers (MAY_IMPORT in eslint.config.js, docs/architecture.md).`,
    })),
  );
  return { files, rules: { 'no-restricted-imports': ['error', { patterns: [...patterns, ...extra] }] } };
}
const layerRules = [
  ...SINGLE_FILES.map((p) => layerBlock(p, [`src/${p}.ts`], [0])),
  ...['exec-server', 'session', 'launch', 'host', 'manager', 'config', 'env', 'contracts', 'permissions', 'path-uri', 'util', 'node-proxy'].map((p) => layerBlock(p, [`src/${p}/**/*.ts`], [1, 2, 3])),
  // A planner sees only its own platform's helpers: no platform imports another.
  ...PLATFORMS.map((p) =>
    layerBlock(
      'platforms',
      [`src/platforms/${p}/**/*.ts`],
      [2, 3, 4],
      PLATFORMS.filter((o) => o !== p).map((o) => ({ regex: `^(\\.\\./)+${o}/`, message: `src/platforms/${p} may not import src/platforms/${o}: each planner stands alone.` })),
    ),
  ),
];

export default tseslint.config(
  { ignores: ['dist/**', 'build/**', 'prebuilds/**', 'node_modules/**', 'vendor/**', 'coverage/**', '.cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  ...layerRules,
);
