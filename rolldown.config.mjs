// The `codex-sandbox` command as a few CommonJS chunks (dist/cli/*.cjs), built from tsc's output
// (dist/src/cli/main.js). Why: the CLI starts a fresh Node for every command (issue #21):
// - resolving and loading ~60 separate modules was about a fifth of its run time, so they are chunks;
//   subcommands stay lazy chunks;
// - CommonJS, not ESM: Node 20's ESM loader resolves, reads and links asynchronously, and importing a
//   builtin through ESM builds a facade of all its exports (`node:fs` then loads the whole streams stack
//   for its `ReadStream` getter); `require` of a relative chunk is one synchronous read;
// - npm packages are bundled (see EXTERNAL): importing CommonJS from ESM ran the CJS loader and
//   cjs-module-lexer on every start. Their licence texts ship next to the chunks in
//   dist/cli/THIRD-PARTY-LICENSES.txt.
// package.json's bin is dist/cli/main.cjs; dist/cli/main.js is a two-line ESM entry that requires it
// (the path earlier releases documented).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

/**
 * npm packages stay external only when CommonJS that must resolve at run time (ws: its optional native
 * helpers are found with `require` in a try). Everything else the CLI imports statically is bundled:
 * CommonJS chunks cannot `require` an ESM-only package (execa) on Node before 20.19.
 */
const EXTERNAL = new Set(['ws']);
/** Licences a bundled package may have (each one's text ships in THIRD-PARTY-LICENSES.txt). */
const PERMISSIVE = new Set(['MIT', 'ISC', 'BlueOak-1.0.0', 'Apache-2.0', 'BSD-2-Clause', 'BSD-3-Clause', '0BSD']);

const packageName = (id) => (id.startsWith('@') ? id.split('/').slice(0, 2).join('/') : id.split('/')[0]);

/** Emits the licence text of every npm package bundled into the chunks (and fails on a non-permissive one). */
const licences = {
  name: 'third-party-licences',
  generateBundle(_options, bundle) {
    const dirs = new Set();
    for (const chunk of Object.values(bundle)) {
      for (const id of Object.keys(chunk.modules ?? {})) {
        const m = /^(.*\/node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(id);
        if (m) dirs.add(m[1]);
      }
    }
    const parts = [];
    for (const dir of [...dirs].sort()) {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      if (!PERMISSIVE.has(pkg.license)) throw new Error(`rolldown.config.mjs: ${pkg.name} is ${pkg.license}: review before bundling it`);
      const file = readdirSync(dir).find((f) => /^licen[sc]e/i.test(f));
      if (file === undefined) throw new Error(`rolldown.config.mjs: ${pkg.name} has no LICENSE file to ship`);
      const notice = readdirSync(dir).find((f) => /^notice/i.test(f));
      const texts = [file, notice].filter((f) => f !== undefined).map((f) => readFileSync(join(dir, f), 'utf8').trim());
      parts.push(`${pkg.name}@${pkg.version} (${pkg.license})\n\n${texts.join('\n\n')}\n`);
    }
    this.emitFile({ type: 'asset', fileName: 'THIRD-PARTY-LICENSES.txt', source: parts.join('\n' + '-'.repeat(72) + '\n\n') });
  },
};

/**
 * Builtins that a bundled package requires at load but uses only on a path `codex-sandbox run` does not
 * take (issue #21: each is a dozen internal modules compiled on every command). The require becomes a
 * Proxy that requires the builtin on its first property read: the package sees the same functions,
 * and `run` never loads the builtin. Commander spawns only for executable subcommands (none here);
 * isexe uses fs/promises only for its async check (`which.sync` uses node:fs).
 */
const LAZY_BUILTINS = [
  { file: /\/node_modules\/commander\/lib\/command\.js$/, builtin: 'node:child_process' },
  { file: /\/node_modules\/isexe\/dist\/commonjs\/[^/]+\.js$/, builtin: 'node:fs/promises' },
];
const lazyBuiltins = {
  name: 'lazy-builtins',
  transform(code, id) {
    const rule = LAZY_BUILTINS.find((r) => r.file.test(id));
    if (!rule) return null;
    const pattern = new RegExp(`require\\((['"])${rule.builtin.replace('/', '\\/')}\\1\\)`, 'g');
    if (!pattern.test(code)) throw new Error(`rolldown.config.mjs: ${id} no longer requires ${rule.builtin}: update LAZY_BUILTINS`);
    const lazy = `new Proxy({}, { get: (_, key) => require('${rule.builtin}')[key] })`;
    return { code: code.replace(pattern, lazy), map: null };
  },
};

/**
 * `createRequire(import.meta.url)` (modules that load a builtin, the addon or smol-toml on first use) is,
 * in a CommonJS chunk, the chunk's own `require`: the same resolution from the same file, without a file
 * URL and a Module made for each such module on every start (issue #21). The name is bound by the chunk
 * wrapper (CHUNK_WRAPPER, and main.cjs's banner).
 */
const CHUNK_REQUIRE = '__chunkRequire';
const chunkRequire = {
  name: 'chunk-require',
  transform(code) {
    if (!code.includes('createRequire(import.meta.url)')) return null;
    return { code: code.replaceAll('createRequire(import.meta.url)', CHUNK_REQUIRE), map: null };
  },
};

/**
 * `fileURLToPath(import.meta.url)` (modules that find the package from their own file) is, in a CommonJS
 * chunk, the chunk's own `__filename`: rolldown would make it `fileURLToPath(pathToFileURL(__filename).href)`,
 * a URL built and parsed back on every start (issue #21). Bound by Node for main.cjs and by CHUNK_WRAPPER.
 */
const chunkFilename = {
  name: 'chunk-filename',
  transform(code) {
    if (!code.includes('fileURLToPath(import.meta.url)')) return null;
    return { code: code.replaceAll('fileURLToPath(import.meta.url)', '__filename'), map: null };
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

/**
 * What `codex-sandbox run` loads before it starts the command: every module statically reachable from
 * the CLI entry and from run's own module, as ONE chunk (dist/cli/core-*.cjs). Each separate chunk
 * costs a resolve, stat, read and compile on every command (issue #21); the other subcommands' own
 * modules (explain, doctor, exec-server...) stay in chunks of their own, loaded only when they run.
 * The entry module itself is in that chunk too: dist/cli/main.cjs is then the code-cache loader (its
 * banner) and one `require` of the chunk, and main's own functions come from the chunk's code cache
 * instead of being compiled on every command (Node's loader compiles main.cjs without one).
 */
const RUN_ROOTS = ['dist/src/cli/main.js', 'dist/src/cli/run.js'].map((f) => fileURLToPath(new URL(f, import.meta.url)));
let runClosure;
function coreChunk(id, ctx) {
  if (runClosure === undefined) {
    runClosure = new Set();
    const pending = [...RUN_ROOTS];
    while (pending.length > 0) {
      const m = pending.pop();
      if (runClosure.has(m)) continue;
      runClosure.add(m);
      pending.push(...(ctx.getModuleInfo(m)?.importedIds ?? []));
    }
  }
  return runClosure.has(id) ? 'core' : null;
}

/** Each chunk's V8 code cache is this file next to it (dist/cli/<chunk>.cjs.cache). */
const CACHE_SUFFIX = '.cache';

/**
 * The start of dist/cli/main.cjs (as its banner, so it runs before main's own `require`s of the other
 * chunks): every chunk of dist/cli is compiled with the V8 code cache made for it at build time
 * (codeCaches below) instead of being parsed again. Compiling the ~450 KB of chunks `run` loads was about
 * a tenth of each command's CPU (issue #21); Node 20 has no module.enableCompileCache.
 * - Where the cache is read from: only the chunk's own directory, dist/cli, inside the package, which
 *   every Linux plan binds read-only (src/platforms/linux/plan.ts WritableRootInPackage refuses a
 *   writable root there): a sandboxed command cannot plant bytecode for the next run outside the sandbox.
 *   A cache is exactly as trusted as the chunk beside it (whoever can write one can write the other), so
 *   it needs no owner or mode check of its own; never a cache under /tmp or ~/.cache, which a sandbox may
 *   write. test/cli/start-up.test.ts performs that attack.
 * - V8 rejects a cache made by another V8 version or flags, or for a source of another length
 *   (v8::ScriptCompiler::CachedData, `cachedDataRejected` in Node's vm docs): the chunk is then compiled
 *   from its source as usual. A chunk edited after the build (mtime more than 1 s after its cache's) ignores it.
 * - Everything else (another directory, no cache file) goes through Node's own loader unchanged.
 * module.codeCache says what happened ('accepted', 'rejected', 'none'): test/cli/start-up.test.ts.
 */
function installCodeCache(Module, vm, fs, path, dir, suffix, main) {
  const ext = Module._extensions;
  const fallback = ext['.cjs'] ?? ext['.js'];
  // `./<chunk>.cjs` required by a chunk of this directory names the file there: Node's resolution
  // (its package.json self-reference check, a stat and a realpath per chunk) is skipped (issue #21).
  // dir is main.cjs's own real directory; a chunk that is not there throws ENOENT as it is opened.
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function resolveChunk(request, parent, ...rest) {
    if (parent?.filename !== undefined && path.dirname(parent.filename) === dir && /^\.\/[\w.-]+\.cjs$/.test(request)) return path.join(dir, request.slice(2));
    return resolve.call(this, request, parent, ...rest);
  };
  // One buffer for every chunk's source and then its cache: the VM pays for each fresh page it touches,
  // and the cache of a chunk is read into the pages its source was just decoded from (issue #21). V8
  // does not keep cachedData after the compile, and the source string is a copy.
  let scratch = Buffer.allocUnsafeSlow(0);
  /** The whole content of fd in scratch[0, returned length). */
  const readAll = (fd, size) => {
    if (scratch.length <= size) scratch = Buffer.allocUnsafeSlow(size + 1);
    let end = 0;
    for (;;) {
      if (end === scratch.length) {
        const bigger = Buffer.allocUnsafeSlow(2 * scratch.length);
        scratch.copy(bigger, 0, 0, end);
        scratch = bigger;
      }
      const n = fs.readSync(fd, scratch, end, scratch.length - end, null);
      if (n === 0) return end;
      end += n;
    }
  };
  ext['.cjs'] = function loadChunk(module, filename) {
    if (path.dirname(filename) !== dir) return fallback(module, filename);
    let cachedData;
    let source;
    const fd = fs.openSync(filename, 'r');
    let cacheFd;
    try {
      const stat = fs.fstatSync(fd);
      try {
        cacheFd = fs.openSync(filename + suffix, 'r');
      } catch {
        cacheFd = undefined;
      }
      const cacheStat = cacheFd === undefined ? undefined : fs.fstatSync(cacheFd);
      const size = Math.max(stat.size, cacheStat?.size ?? 0);
      const length = readAll(fd, size); // (readAll may replace scratch)
      source = scratch.toString('latin1', 0, length); // ASCII chunks (charset: 'ascii' below)
      // A chunk edited after the build ignores its cache (V8 itself checks only the source's length); the
      // second of slack keeps caches valid in a copy that did not keep timestamps (cp -r, fs.cpSync).
      if (cacheStat !== undefined && cacheStat.mtimeMs + 1000 >= stat.mtimeMs) {
        const cacheLength = readAll(cacheFd, size);
        cachedData = scratch.subarray(0, cacheLength);
      }
    } finally {
      fs.closeSync(fd);
      if (cacheFd !== undefined) fs.closeSync(cacheFd);
    }
    // The chunk is its own CommonJS wrapper (chunkWrapper below): compiled as read, no copy of ~450 KB.
    const script = new vm.Script(source, { filename, cachedData });
    module.codeCache = cachedData === undefined ? 'none' : script.cachedDataRejected ? 'rejected' : 'accepted';
    const fn = script.runInThisContext({ displayErrors: true });
    const require = (id) => module.require(id);
    require.cache = Module._cache;
    require.main = main;
    fn.call(module.exports, module.exports, require, module, filename, dir);
  };
}
/**
 * Every chunk but main.cjs is written already wrapped as Node's CommonJS loader would wrap it
 * (Module.wrap): installCodeCache compiles the file's text as it is, where `Module.wrap(source)` made a
 * second string of ~450 KB that V8 then flattened into a third, on every command (issue #21). Only
 * installCodeCache loads these chunks (main.cjs installs it before its first require of one).
 */
const CHUNK_WRAPPER = [`(function (exports, require, module, __filename, __dirname) { const ${CHUNK_REQUIRE} = require; `, '\n});'];
const isMain = (chunk) => chunk.isEntry && chunk.name === 'main';
const codeCacheBanner = (chunk) =>
  isMain(chunk)
    ? `const ${CHUNK_REQUIRE} = require; (${installCodeCache.toString()})(require("node:module"),require("node:vm"),require("node:fs"),require("node:path"),__dirname,${JSON.stringify(CACHE_SUFFIX)},require.main);`
    : CHUNK_WRAPPER[0];
const chunkFooter = (chunk) => (isMain(chunk) ? '' : CHUNK_WRAPPER[1]);

/**
 * Writes each written chunk's V8 code cache next to it (read by installCodeCache). First one real
 * `run -p workspace-write -- /bin/true` in a scratch directory (scripts/train-cli-code-cache.mjs), so the
 * caches of the chunks it loads hold the functions a run calls; every chunk it did not load (or all of
 * them, when that run could not start) gets a cache of its top level. Made by this build's Node without
 * NODE_OPTIONS: a package run by another Node version or V8 flags has its caches rejected and compiles
 * as before.
 */
const codeCaches = {
  name: 'v8-code-caches',
  writeBundle(options, bundle) {
    const scratch = mkdtempSync(join(tmpdir(), 'csbx-code-cache-'));
    try {
      const env = { ...process.env };
      delete env.NODE_OPTIONS;
      spawnSync(process.execPath, [fileURLToPath(new URL('scripts/train-cli-code-cache.mjs', import.meta.url)), resolve(options.dir, 'main.cjs'), 'run', '-p', 'workspace-write', '--', '/bin/true'], { cwd: scratch, env, stdio: 'ignore', timeout: 60_000 });
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
    for (const chunk of Object.values(bundle)) {
      // main.cjs itself is loaded by Node's own loader, before installCodeCache runs.
      if (chunk.type !== 'chunk' || chunk.isEntry) continue;
      const file = join(options.dir, chunk.fileName);
      if (existsSync(file + CACHE_SUFFIX)) continue;
      const script = new vm.Script(readFileSync(file, 'latin1'), { filename: file });
      writeFileSync(file + CACHE_SUFFIX, script.createCachedData());
    }
  },
};

export default [
  {
    input: 'dist/src/cli/main.js',
    platform: 'node',
    external: (id) => id.startsWith('node:') || EXTERNAL.has(packageName(id)),
    plugins: [lazyBuiltins, chunkRequire, chunkFilename, licences, esmEntry, codeCaches],
    // cleanDir: chunk names carry content hashes, so a rebuild would otherwise leave old chunks to be packed.
    // No comments, no whitespace and short local variable names (nothing rewritten; keepNames: every
    // function and class keeps its name, so stack traces and `.name` are unchanged): `run` reads, decodes
    // and parses ~45% fewer bytes on every command (issue #21). charset ascii: non-ASCII
    // characters in strings become \u escapes, so Node reads each chunk as a one-byte string, not UTF-16.
    output: { dir: 'dist/cli', format: 'cjs', banner: codeCacheBanner, footer: chunkFooter, charset: 'ascii', entryFileNames: '[name].cjs', chunkFileNames: '[name]-[hash].cjs', cleanDir: true, codeSplitting: { groups: [{ name: coreChunk }] }, minify: { compress: false, mangle: { keepNames: true, toplevel: true }, codegen: { removeWhitespace: true } }, comments: { legal: false, annotation: false, jsdoc: false } },
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
