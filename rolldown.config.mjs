// The `codex-sandbox` command as a few ESM chunks (dist/cli/), built from tsc's output (dist/src/cli/main.js).
// Why: the CLI starts a fresh Node for every command, and resolving and loading ~60 separate modules
// was about a fifth of its run time (`npm run bench`, whole-process group). npm packages stay external:
// they load from node_modules as usual, each with its own licence. Subcommands stay lazy chunks.
export default [
  {
    input: 'dist/src/cli/main.js',
    platform: 'node',
    external: (id) => !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('\0'),
    // cleanDir: chunk names carry content hashes, so a rebuild would otherwise leave old chunks to be packed.
    output: { dir: 'dist/cli', format: 'esm', cleanDir: true },
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
