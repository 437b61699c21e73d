// The `codex-sandbox` command as a few CommonJS chunks (dist/cli/*.cjs), built from tsc's output
// (dist/src/cli/main.js). Why: the CLI starts a fresh Node for every command (issue #21):
// - resolving and loading ~60 separate modules was about a fifth of its run time, so they are chunks;
//   subcommands stay lazy chunks;
// - CommonJS, not ESM: Node 20's ESM loader resolves, reads and links asynchronously, and importing a
//   builtin through ESM builds a facade of all its exports (`node:fs` then loads the whole streams stack
//   for its `ReadStream` getter); `require` of a relative chunk is one synchronous read;
// - the small permissively licensed CommonJS packages on `run`'s path are bundled (BUNDLED): importing
//   CommonJS from ESM ran the CJS loader and cjs-module-lexer on every start. Their licence texts ship
//   next to the chunks in dist/cli/THIRD-PARTY-LICENSES.txt; every other package stays external.
// package.json's bin is dist/cli/main.cjs; dist/cli/main.js is a two-line ESM entry that requires it
// (the path earlier releases documented).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** npm packages bundled into dist/cli (name → licence, checked against their package.json below). */
const BUNDLED = { commander: 'MIT', which: 'ISC', isexe: 'BlueOak-1.0.0' };

const bundledName = (id) => {
  const name = id.startsWith('@') ? id.split('/').slice(0, 2).join('/') : id.split('/')[0];
  return Object.hasOwn(BUNDLED, name) ? name : undefined;
};

/** Emits each bundled package's licence text (and fails the build on a licence change). */
const licences = {
  name: 'third-party-licences',
  generateBundle() {
    const parts = [];
    for (const [name, licence] of Object.entries(BUNDLED)) {
      const dir = join('node_modules', name);
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      if (pkg.license !== licence) throw new Error(`rolldown.config.mjs: ${name} is now ${pkg.license}, not ${licence}: review before bundling it`);
      const file = readdirSync(dir).find((f) => /^licen[sc]e/i.test(f));
      if (file === undefined) throw new Error(`rolldown.config.mjs: ${name} has no LICENSE file to ship`);
      parts.push(`${name}@${pkg.version} (${licence})\n\n${readFileSync(join(dir, file), 'utf8').trim()}\n`);
    }
    this.emitFile({ type: 'asset', fileName: 'THIRD-PARTY-LICENSES.txt', source: parts.join('\n' + '-'.repeat(72) + '\n\n') });
  },
};

/** dist/cli/main.js: `node dist/cli/main.js` keeps working (package.json's "type" makes a .js file ESM). */
const esmEntry = {
  name: 'esm-entry',
  generateBundle() {
    const source = [
      '#!/usr/bin/env node',
      '// The codex-sandbox command is dist/cli/main.cjs (see rolldown.config.mjs); this file only loads it.',
      "import { createRequire } from 'node:module';",
      "createRequire(import.meta.url)('./main.cjs');",
      '',
    ].join('\n');
    this.emitFile({ type: 'asset', fileName: 'main.js', source });
  },
};

export default [
  {
    input: 'dist/src/cli/main.js',
    platform: 'node',
    external: (id) => !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('\0') && bundledName(id) === undefined,
    plugins: [licences, esmEntry],
    // cleanDir: chunk names carry content hashes, so a rebuild would otherwise leave old chunks to be packed.
    output: { dir: 'dist/cli', format: 'cjs', entryFileNames: '[name].cjs', chunkFileNames: '[name]-[hash].cjs', cleanDir: true },
  },
  // The exec-server's fs helper as ONE file with no imports but node's own: inside a sandbox with
  // restricted reads exactly this file and the node binary are made readable (src/exec-server/fs/helper-pool.ts).
  {
    input: 'dist/src/exec-server/fs/helper-main.js',
    platform: 'node',
    output: { file: 'dist/fs-helper/fs-helper.js', format: 'esm', inlineDynamicImports: true },
  },
  // The NODE_OPTIONS preload for Node's fetch under an allow list (src/node-proxy/): one CommonJS file
  // (`--require` loads CommonJS on every Node version) importing only node builtins; the Linux plan binds
  // exactly this file read-only when the profile's reads do not already cover it.
  {
    input: 'dist/src/node-proxy/preload.js',
    platform: 'node',
    output: { file: 'dist/node-proxy/preload.cjs', format: 'cjs', inlineDynamicImports: true },
  },
];
