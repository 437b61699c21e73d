/**
 * The published package works on its own: `npm pack` this checkout, install the tarball into an empty
 * project, and run the CLI from there. Catches a file missing from package.json `files`, a dev-only
 * dependency needed at run time, and a missing launcher or bundled bwrap. Also checks the tarball for
 * test and build litter.
 *
 * Installing runs the package's `install` script (node-gyp-build), which compiles the addon, the
 * launcher and the bundled bwrap from source when no prebuild fits (the usual case for a checkout). The
 * bundled bwrap comes from this checkout's build cache (CODEX_SANDBOX_BWRAP_WORK), so no Debian sources
 * are fetched again. Needs `npm run build:ts` first (npm test runs it before vitest).
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const isLinux = process.platform === 'linux';
/** The checkout's own build has a bundled bwrap, so the tarball's source build must produce one too. */
const checkoutHasBundledBwrap = existsSync(join(repo, 'build', 'Release', 'bwrap'));

interface PackedFile {
  path: string;
  size: number;
  mode: number;
}

interface PackResult {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: PackedFile[];
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Command, exit status and output, for failure messages. */
  report: string;
}

/**
 * The environment for the nested npm and the installed CLI. The outer `npm test` exports lifecycle
 * variables; npm_config_local_prefix among them would make `npm install` in the empty project install
 * into this checkout instead. Only settings that describe the machine (npmrc locations, cache,
 * Node headers, CA file, registry) pass through. NODE_OPTIONS and vitest's variables are dropped so the
 * CLI runs as a user would run it.
 */
const KEEP_NPM_VARS = new Set([
  'npm_config_cache',
  'npm_config_cafile',
  'npm_config_globalconfig',
  'npm_config_nodedir',
  'npm_config_registry',
  'npm_config_userconfig',
]);

function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('npm_') && !KEEP_NPM_VARS.has(key)) continue;
    if (key === 'INIT_CWD' || key === 'NODE_OPTIONS' || key === 'NODE_ENV' || key.startsWith('VITEST')) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

function run(command: string, args: string[], cwd: string, timeoutMs: number, extraEnv: Record<string, string> = {}): Run {
  const r = spawnSync(command, args, {
    cwd,
    env: cleanEnv(extraEnv),
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
  const stdout = r.stdout ?? '';
  const stderr = r.stderr ?? '';
  const how = r.error ? `failed to run (${r.error.message})` : r.signal ? `killed by ${r.signal}` : `exit ${String(r.status)}`;
  const report = `$ ${[command, ...args].join(' ')}  (in ${cwd}): ${how}\n--- stdout (tail)\n${stdout.slice(-4000)}\n--- stderr (tail)\n${stderr.slice(-4000)}`;
  return { status: r.error ? null : r.status, stdout, stderr, report };
}

/** Paths in the tarball that must not be published: tests, sources, build intermediates, work dirs. */
function litter(paths: readonly string[]): string[] {
  return paths.filter(
    (p) =>
      /^(test|build|bench|scripts|coverage|node_modules|\.github|\.ci|\.cache)\//.test(p) ||
      p.startsWith('vendor/bubblewrap/_work/') ||
      (/\.[cm]?ts$/.test(p) && !/\.d\.[cm]?ts$/.test(p)) ||
      /\.(o|obj|a|lib|pdb|tgz|log)$/.test(p) ||
      (p.endsWith('.node') && !p.startsWith('prebuilds/')),
  );
}

/** Files package.json promises (main, types, bin, every exports target). */
function promisedFiles(): string[] {
  const manifest = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as {
    main?: string;
    types?: string;
    bin?: string | Record<string, string>;
    exports?: unknown;
  };
  const out = new Set<string>();
  const add = (p: string | undefined): void => {
    if (p) out.add(posix.normalize(p));
  };
  add(manifest.main);
  add(manifest.types);
  if (typeof manifest.bin === 'string') add(manifest.bin);
  else for (const p of Object.values(manifest.bin ?? {})) add(p);
  const walk = (node: unknown): void => {
    if (typeof node === 'string') add(node);
    else if (typeof node === 'object' && node !== null) for (const v of Object.values(node)) walk(v);
  };
  walk(manifest.exports);
  return [...out].sort();
}

describe.skipIf(!isLinux)('npm pack, install into an empty project, run the CLI from there (Linux only: other OSes are covered by the CI package job)', () => {
  let work = '';
  let tarball = '';
  let pack: PackResult | undefined;
  let paths: string[] = [];
  /** node_modules/codex-sandbox in the empty project, once `npm install` succeeded. */
  let installed: string | undefined;
  let project = '';

  function requireInstalled(): string {
    if (!installed) throw new Error('the tarball did not install (see the failing "npm install" test above)');
    return installed;
  }

  beforeAll(() => {
    if (!existsSync(join(repo, 'dist', 'cli', 'main.js'))) {
      throw new Error('dist/cli/main.js is missing: run `npm run build:ts` first (npm test runs it before vitest)');
    }
    work = mkdtempSync(join(tmpdir(), 'csbx-pack-'));
    const r = run('npm', ['pack', '--json', '--pack-destination', work], repo, 120_000);
    if (r.status !== 0) throw new Error(`npm pack failed\n${r.report}`);
    // npm prints lifecycle output before the JSON when prepack scripts run: parse from the first '['.
    const start = r.stdout.indexOf('[');
    if (start < 0) throw new Error(`npm pack --json printed no JSON\n${r.report}`);
    const parsed = JSON.parse(r.stdout.slice(start)) as PackResult[];
    pack = parsed[0];
    if (!pack) throw new Error(`npm pack --json printed no package\n${r.report}`);
    tarball = join(work, pack.filename);
    paths = pack.files.map((f) => f.path).sort();
    console.log(
      `pack-install: ${pack.filename}: ${pack.entryCount} files, ${pack.size} bytes packed, ${pack.unpackedSize} bytes unpacked`,
    );
  }, 180_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('the tarball holds what package.json promises (main, types, bin, exports), the native sources and the bwrap recipe', () => {
    const required = [
      ...promisedFiles(),
      'package.json',
      'README.md',
      'CHANGELOG.md',
      'binding.gyp',
      'native/addon.cc',
      'native/scripts/bwrap-digest-header.mjs',
      // Bound over a missing .git/commondir when git may write .git (src/platforms/linux/plan.ts gitCommondirSelf).
      'native/placeholders/git-commondir',
      'vendor/bubblewrap/build.sh',
      'vendor/bubblewrap/recipe.json',
    ];
    expect(required.filter((p) => !paths.includes(p))).toEqual([]);
  });

  it('the tarball holds no tests, TypeScript sources, build output, dev scripts or bundled-bwrap work files', () => {
    const found = litter(paths);
    expect(found, `litter in ${pack?.filename ?? 'the tarball'}:\n${found.join('\n')}`).toEqual([]);
  });

  it('every compiled file in the tarball comes from a source file in src/ (no stale build output)', () => {
    const stale = paths
      .filter((p) => p.startsWith('dist/src/') && p.endsWith('.js'))
      .filter((p) => !existsSync(join(repo, p.replace(/^dist\//, '').replace(/\.js$/, '.ts'))));
    expect(stale, `compiled files without a source (delete dist/ and rebuild):\n${stale.join('\n')}`).toEqual([]);
  });

  it('source maps in the tarball point only at files the tarball ships', () => {
    const broken: string[] = [];
    for (const map of paths.filter((p) => p.endsWith('.map'))) {
      const parsed = JSON.parse(readFileSync(join(repo, map), 'utf8')) as { sources?: string[]; sourceRoot?: string };
      for (const source of parsed.sources ?? []) {
        const target = posix.normalize(posix.join(posix.dirname(map), parsed.sourceRoot ?? '', source));
        if (!paths.includes(target)) broken.push(`${map} -> ${target}`);
      }
    }
    expect(broken, `source maps whose sources are not in the tarball:\n${broken.join('\n')}`).toEqual([]);
  });

  it('npm install <tarball> into an empty project succeeds (builds the native layer when no prebuild fits)', () => {
    project = join(work, 'project');
    rmSync(project, { recursive: true, force: true });
    mkdirSync(project, { recursive: true });
    writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'pack-install-probe', private: true }, null, 2)}\n`);
    const r = run(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund', '--foreground-scripts', tarball],
      project,
      300_000,
      { CODEX_SANDBOX_BWRAP_WORK: join(repo, 'vendor', 'bubblewrap', '_work') },
    );
    expect(r.status, r.report).toBe(0);
    const dir = join(project, 'node_modules', 'codex-sandbox');
    expect(existsSync(join(dir, 'package.json')), `${dir}/package.json missing after install`).toBe(true);
    installed = dir;
  }, 300_000);

  it('the installed package loads its addon through node-gyp-build and has the launcher next to it', () => {
    const dir = requireInstalled();
    const nodeGypBuild = createRequire(join(dir, 'package.json'))('node-gyp-build') as { resolve(dir: string): string };
    const addon = nodeGypBuild.resolve(dir);
    const launcher = join(dirname(addon), 'codex-sandbox-launcher');
    expect(() => accessSync(launcher, constants.X_OK), `${launcher} missing or not executable`).not.toThrow();
  });

  it.skipIf(!checkoutHasBundledBwrap)(
    'the installed package has the bundled bwrap next to its addon (skipped when this checkout is itself a development build without one)',
    () => {
      const dir = requireInstalled();
      const nodeGypBuild = createRequire(join(dir, 'package.json'))('node-gyp-build') as { resolve(dir: string): string };
      const bwrap = join(dirname(nodeGypBuild.resolve(dir)), 'bwrap');
      expect(() => accessSync(bwrap, constants.X_OK), `${bwrap} missing or not executable`).not.toThrow();
    },
  );

  it('every entry point in package.json "exports" imports from the installed package', () => {
    requireInstalled();
    const script = [
      "import * as main from 'codex-sandbox';",
      "import * as permissions from 'codex-sandbox/permissions';",
      "import * as config from 'codex-sandbox/config';",
      "console.log(JSON.stringify([typeof main.createSandbox, typeof permissions.parsePermissionProfile, typeof config.loadConfig]));",
    ].join('\n');
    const r = run(process.execPath, ['--input-type=module', '-e', script], project, 60_000);
    expect(r.status, r.report).toBe(0);
    expect(JSON.parse(r.stdout.trim()), r.report).toEqual(['function', 'function', 'function']);
  });

  it("the README's TypeScript samples compile against the installed package's declarations", () => {
    requireInstalled();
    const readme = readFileSync(join(repo, 'README.md'), 'utf8');
    const samples = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] ?? '').filter((code) => code.includes("from 'codex-sandbox"));
    expect(samples.length, 'README.md has no ```ts sample importing codex-sandbox').toBeGreaterThan(0);
    const files = samples.map((code, i) => {
      const file = join(project, `readme-sample-${i}.mts`);
      writeFileSync(file, code);
      return file;
    });
    const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
    const options = ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', '--typeRoots', join(repo, 'node_modules', '@types'), '--types', 'node'];
    const r = run(process.execPath, [tsc, ...options, ...files], project, 120_000);
    expect(r.status, r.report).toBe(0);
  }, 120_000);

  // npx --no: never download some other registry package named codex-sandbox when the bin is missing.
  it('npx codex-sandbox doctor exits 0, or 1 with a reason (printed either way)', () => {
    requireInstalled();
    const r = run('npx', ['--no', 'codex-sandbox', 'doctor'], project, 60_000);
    console.log(`codex-sandbox doctor (exit ${String(r.status)}):\n${r.stdout}${r.stderr}`);
    expect([0, 1], r.report).toContain(r.status);
    // Installed inside the project: doctor says what a sandboxed run from here could still change.
    expect(r.stdout, r.report).toMatch(/install: +WARNING codex-sandbox is installed in .*node_modules\/codex-sandbox, inside /);
    if (r.status === 1) {
      const output = `${r.stdout}${r.stderr}`.trim();
      expect(output, 'doctor exited 1 without saying why').not.toBe('');
      expect(output, `doctor exited 1 with a stack trace instead of a reason:\n${output}`).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
    }
  });

  it('npx codex-sandbox run --profile workspace-write -- /bin/echo ok prints ok from the installed package', () => {
    requireInstalled();
    const r = run('npx', ['--no', 'codex-sandbox', 'run', '--profile', 'workspace-write', '--', '/bin/echo', 'ok'], project, 60_000);
    expect(r.status, r.report).toBe(0);
    expect(r.stdout.trim(), r.report).toBe('ok');
  });
});
