/**
 * `codex-sandbox run --environment NAME` against real exec-servers named in $CODEX_HOME/environments.toml:
 * a WebSocket one and a stdio one (the CLI's own `exec-server --listen stdio`), with the exit codes of
 * a local run; a project file's environment refused unless trusted; an unreachable one → 125.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../integration/exec-server/helpers.js';
import type { ServerProcess } from '../integration/exec-server/helpers.js';
import { bin, requireBuilt, Scratch } from './helpers.js';

describe.skipIf(process.platform !== 'linux')('run --environment', () => {
  let s: Scratch;
  let server: ServerProcess;
  let codexHome: string;
  beforeAll(async () => {
    requireBuilt();
    s = new Scratch();
    server = await startServer();
    codexHome = path.join(s.home, '.codex');
    mkdirSync(codexHome, { recursive: true });
    s.write(
      'home/.codex/environments.toml',
      `[[environments]]
id = "ws-box"
url = "${server.url}"

[[environments]]
id = "pipe-box"
program = ${JSON.stringify(process.execPath)}
args = [${JSON.stringify(bin)}, "exec-server", "--listen", "stdio"]

[[environments]]
id = "gone"
url = "ws://127.0.0.1:1"
connect_timeout_sec = 2.0
`,
    );
  });
  afterAll(async () => {
    await server.stop();
    s.dispose();
  });

  it.each(['ws-box', 'pipe-box'])('%s: output, stdin and the exit code pass through', (env) => {
    const r = s.cli(['run', '--environment', env, '--cwd', s.project, '--', 'sh', '-c', 'cat; echo out; echo err >&2; exit 4'], { input: 'in\n' });
    expect(r.status, r.report).toBe(4);
    expect(r.stdout).toBe('in\nout\n');
    expect(r.stderr).toBe('err\n');
  });

  it('signals and a missing command give the codes a local run gives', () => {
    const killed = s.cli(['run', '--environment', 'ws-box', '--cwd', s.project, '--', 'sh', '-c', 'kill -KILL $$']);
    const local = s.cli(['run', '--', 'sh', '-c', 'kill -KILL $$']);
    expect([killed.status, local.status]).toEqual([137, 137]);
    expect(s.cli(['run', '--environment', 'ws-box', '--cwd', s.project, '--', 'no-such-command-xyz']).status).toBe(127);
  });

  it('the profile is enforced on the server: read-only cannot write its cwd', () => {
    const r = s.cli(['run', '--environment', 'ws-box', '-p', 'read-only', '--cwd', s.project, '--', 'sh', '-c', 'echo x > f']);
    expect(r.status, r.report).not.toBe(0);
    expect(r.stderr).toMatch(/Read-only file system/);
  });

  it('an unreachable environment: 125 and a message naming it', () => {
    const r = s.cli(['run', '--environment', 'gone', '--', 'true']);
    expect(r.status, r.report).toBe(125);
    expect(r.stderr).toMatch(/environment `gone`: cannot connect to exec-server ws:\/\/127\.0\.0\.1:1/);
  });

  it('usage errors (exit 2): unknown environment, --dry-run with --environment', () => {
    const unknown = s.cli(['run', '--environment', 'nope', '--', 'true']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/unknown environment `nope`; configured: local, ws-box, pipe-box, gone/);
    expect(s.cli(['run', '--environment', 'ws-box', '--dry-run', '--', 'true']).status).toBe(2);
  });

  it("a project's .codex/environments.toml cannot point the run at a program unless trusted", () => {
    const marker = path.join(s.root, 'evil-ran');
    s.write('home/proj/.codex/environments.toml', `[[environments]]\nid = "evil"\nprogram = "sh"\nargs = ["-c", "touch ${marker}"]\n`);
    const refused = s.cli(['run', '--environment', 'evil', '--', 'true']);
    expect(refused.status, refused.report).toBe(2);
    expect(existsSync(marker)).toBe(false);
    expect(refused.stderr).toMatch(/environment `evil` comes from .*proj\/\.codex\/environments\.toml, a project-level file .*starts the program sh outside any sandbox/);
    const trusted = s.cli(['run', '--environment', 'evil', '--trust-project-config', '--', 'true']);
    expect(trusted.status).toBe(125); // the fake "server" ran (and is no exec-server)
    expect(existsSync(marker)).toBe(true);
  });
});
