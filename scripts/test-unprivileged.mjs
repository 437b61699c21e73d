#!/usr/bin/env node
/**
 * The Linux integration suite (and the configuration- and bwrap-trust attacks) again, as the unprivileged
 * user csbx-test: unprivileged user namespaces are what users' machines have, and root hides permission
 * mistakes. A step of `npm test` / `npm run test:e2e` of its own (not vitest inside vitest). Needs root to
 * create the user and switch to it (CI runs `npm test` as root); elsewhere it says why it skips, exits 0.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const USER = 'csbx-test';
/** What runs as USER: the files that exercise the sandbox, trust decisions and input checks. */
const FILES = [
  'test/integration/linux',
  'test/integration/native',
  'test/cli/config-trust.test.ts',
  'test/cli/input-mistakes.test.ts',
  'test/integration/bwrap-selection/trust.test.ts',
  // The sandboxed fs/* escapes must hold for a caller without root too.
  'test/integration/exec-server/fs-sandbox.test.ts',
  // The same through the client library, and recursive mkdir racing other creators, as a user without root.
  'test/integration/exec-server/client-fs.test.ts',
  'test/integration/exec-server/fs-mkdir-race.test.ts',
  // `exec-server --sessions`: a client session never gets another's sandbox session, as a user without root too.
  'test/integration/exec-server/sessions.test.ts',
  // The allow list with real clients (curl, git, npm, pip, urllib, Node's fetch): raw TCP/UDP/DNS/IPv6 and host
  // unix sockets blocked, the DNS-rebinding guard — for a caller without root as well.
  'test/integration/network/tools.test.ts',
  // `run --environment`: a project's environments.toml refused unless trusted, the profile enforced on the server.
  'test/cli/environment.test.ts',
  // `run` at a terminal: TIOCSTI from the sandbox reaches only the command's own pty, job control, modes restored.
  'test/cli/pty-relay.test.ts',
];
/**
 * The default pass above runs on the bwrap codex-sandbox selects (the bundled one where it is preferred); these
 * attack files run once more forced onto the system bwrap, so the kernel-surface, resource-limit and cross-run
 * attacks hold as this user on both binaries (as root, vitest's integration-system project does the same).
 */
const SYSTEM_BWRAP_FILES = ['test/integration/linux/kernel-surface.test.ts', 'test/integration/linux/limits.test.ts', 'test/integration/linux/cross-run.test.ts'];
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function say(line) {
  process.stdout.write(`test-unprivileged: ${line}\n`);
}

if (process.platform !== 'linux') {
  say(`skipped: the unprivileged-user run is Linux only (this is ${process.platform})`);
  process.exit(0);
}
if (process.getuid?.() !== 0) {
  say('skipped: creating the user csbx-test and switching to it needs root (CI runs `npm test` as root)');
  process.exit(0);
}

if (spawnSync('id', ['-u', USER]).status !== 0) {
  say(`creating the user ${USER}`);
  execFileSync('useradd', ['--create-home', '--shell', '/bin/sh', USER]);
}
accessSync('/var/tmp', constants.W_OK);

/** The checkout as USER can reach it: a checkout under a private home is copied to /var/tmp first. */
function reachableRepo() {
  const probe = `test -r ${JSON.stringify(join(repo, 'package.json'))} && test -x ${JSON.stringify(join(repo, 'node_modules/.bin'))}`;
  if (spawnSync('su', [USER, '-s', '/bin/sh', '-c', probe]).status === 0) return { dir: repo, cleanup: () => undefined };
  const dir = mkdtempSync('/var/tmp/csbx-repo-');
  say(`${USER} cannot read ${repo}: running from a copy in ${dir}`);
  cpSync(repo, dir, { recursive: true, filter: (src) => !src.includes('/.git/') });
  execFileSync('chmod', ['-R', 'a+rX', dir]);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const { dir, cleanup } = reachableRepo();
let status;
try {
  const cache = `/var/tmp/csbx-vitest-cache-${USER}`;
  /** One vitest run as USER over `files`; `env` is exported first. Returns its exit status. */
  const pass = (label, files, env) => {
    const vitest = [
      process.execPath,
      'node_modules/vitest/vitest.mjs',
      'run',
      // The default loader bundles the config into node_modules, which USER cannot write.
      '--configLoader',
      'runner',
      '--project',
      'integration',
      // The files vitest.config.ts runs one at a time (ALONE), limits.test.ts among them.
      '--project',
      'integration-alone',
      ...files,
      '--reporter=dot',
      '--reporter=./test/summary-reporter.ts',
    ];
    const cmd = [
      `cd ${JSON.stringify(dir)}`,
      `export VITEST_CACHE_DIR=${cache} HOME=/home/${USER} PATH=${JSON.stringify(dirname(process.execPath) + ':/usr/bin:/bin')}${env}`,
      `exec ${vitest.map((a) => JSON.stringify(a)).join(' ')}`,
    ].join(' && ');
    say(`running ${label} as ${USER}: ${files.join(' ')}`);
    const r = spawnSync('su', [USER, '-s', '/bin/sh', '-c', cmd], { stdio: 'inherit', timeout: 900_000 });
    if (r.error) say(`could not run vitest as ${USER}: ${r.error.message}`);
    else if (r.signal) say(`vitest as ${USER} was ended by ${r.signal}`);
    return r.status ?? 1;
  };
  status = pass('the Linux integration suite', FILES, '');
  // Forced: CODEX_SANDBOX_BWRAP=system fails every launch with a clear error when there is no system bwrap.
  if (status === 0 && spawnSync('sh', ['-c', 'command -v bwrap']).status === 0) {
    status = pass('the attack files on the system bwrap', SYSTEM_BWRAP_FILES, ' CODEX_SANDBOX_BWRAP=system');
  }
  say(status === 0 ? 'passed' : `FAILED (exit ${status})`);
} finally {
  cleanup();
}
process.exit(status);
