#!/usr/bin/env node
// After `prebuildify --napi --strip`: copy the programs that must sit next to the addon
// (codex-sandbox-launcher[.exe], and on Linux the bundled bwrap when the build produced one) from build/Release
// into prebuilds/<platform>-<arch>/, because prebuildify copies only the .node file.
//   node native/scripts/prebuild-extras.mjs
import { chmodSync, copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const release = join(root, 'build', 'Release');
const target = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
const programs = process.platform === 'linux' ? ['codex-sandbox-launcher', 'bwrap'] : process.platform === 'win32' ? ['codex-sandbox-launcher.exe'] : [];
const required = new Set(['codex-sandbox-launcher', 'codex-sandbox-launcher.exe']);

mkdirSync(target, { recursive: true });
for (const name of programs) {
  const from = join(release, name);
  if (!existsSync(from)) {
    if (required.has(name)) {
      console.error(`codex-sandbox: ${from} is missing; run \`npm run build:native\` first`);
      process.exit(1);
    }
    console.warn(`codex-sandbox: no ${name} in ${release} (development build); prebuild ships without it`);
    continue;
  }
  copyFileSync(from, join(target, name));
  chmodSync(join(target, name), 0o755);
  console.log(`copied ${name} -> ${target}`);
}
