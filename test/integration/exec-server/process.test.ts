/**
 * Processes through the real server and real sandboxes (Codex exec-server test catalogue §5.2:
 * tests/exec_process.rs, unit local_process.rs and server/handler/tests.rs). Each test names the
 * Codex test it ports; the sandbox tests perform the attack and look at the disk.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alive, b64, built, chunksText, isLinux, outputOf, scratch, sleep, startParams, startServer, workspaceWriteSandbox, WsClient } from './helpers.js';
import type { ServerProcess } from './helpers.js';
import { createExecServer } from '../../../src/exec-server/index.js';

describe.skipIf(!isLinux || !built)('exec-server processes (Codex §5.2)', () => {
  let server: ServerProcess;
  let c: WsClient;
  const dir = scratch();
  const sandbox = workspaceWriteSandbox(dir.wsUri);
  beforeAll(async () => {
    server = await startServer(['--detached-session-ttl-ms', '1500', '--exited-retention-ms', '1000']);
    c = await WsClient.connect(server.url);
    await c.initialize();
  });
  afterAll(async () => {
    await c.close();
    await server.stop();
    dir.cleanup();
  });

  it('exec_server_starts_process_over_websocket / exec_process_starts_and_exits: sandboxType none, exit 0, closed', async () => {
    expect(await c.call('process/start', startParams('true-1', ['true'], dir.wsUri))).toEqual({ processId: 'true-1', sandboxType: 'none' });
    const ev = await c.untilClosed('true-1');
    expect(ev.map((e) => e.method)).toEqual(['process/exited', 'process/closed']);
    expect(ev[0]?.params).toMatchObject({ seq: 1, exitCode: 0, sandboxDenied: false });
  });

  it('exec_process_pushes_events: output seq 1 stdout, seq 2 stderr, exited seq 3 code 7, closed seq 4', async () => {
    await c.call('process/start', startParams('events', ['sh', '-c', 'printf "event output\\n"; sleep 0.1; printf "event err\\n" >&2; sleep 0.1; exit 7'], dir.wsUri, { sandbox }));
    const ev = await c.untilClosed('events');
    expect(ev.map((e) => [e.method, e.params?.seq, e.params?.stream ?? null])).toEqual([
      ['process/output', 1, 'stdout'],
      ['process/output', 2, 'stderr'],
      ['process/exited', 3, null],
      ['process/closed', 4, null],
    ]);
    expect(outputOf(ev, 'stdout')).toBe('event output\n');
    expect(outputOf(ev, 'stderr')).toBe('event err\n');
    expect(ev[2]?.params?.exitCode).toBe(7);
  });

  it('exec_process_replays_events_after_close: process/read after close returns the whole history', async () => {
    await c.call('process/start', startParams('replay', ['sh', '-c', 'echo one; echo two >&2'], dir.wsUri, { sandbox }));
    await c.untilClosed('replay');
    const r = await c.call('process/read', { processId: 'replay' });
    expect(r).toMatchObject({ exited: true, exitCode: 0, closed: true, failure: null, sandboxDenied: false });
    expect(chunksText(r).split('').sort().join('')).toBe('one\ntwo\n'.split('').sort().join(''));
    const maxSeq = Math.max(...c.events('replay').map((e) => Number(e.params?.seq)));
    expect(r.nextSeq).toBe(maxSeq + 1);
    // maxBytes: at least one chunk, nextSeq = last returned + 1
    const first = await c.call('process/read', { processId: 'replay', maxBytes: 1 });
    expect((first.chunks as unknown[]).length).toBe(1);
    expect(first.nextSeq).toBe(2);
  });

  it('exec_process_streams_output with a long-poll read: waitMs returns as soon as output arrives', async () => {
    await c.call('process/start', startParams('poll', ['sh', '-c', 'sleep 0.5; echo session output'], dir.wsUri));
    const t0 = Date.now();
    const r = await c.call('process/read', { processId: 'poll', afterSeq: 0, waitMs: 10_000 });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(chunksText(r)).toBe('session output\n');
    const after = await c.call('process/read', { processId: 'poll', afterSeq: Number(r.nextSeq) - 1, waitMs: 10_000 });
    expect(after.exited).toBe(true);
  });

  it('exec_process_write_then_read_without_tty (pipeStdin) and exec_server_dedupes_retried_process_write_ids', async () => {
    await c.call('process/start', startParams('cat', ['sh', '-c', 'while read l; do echo "line:$l"; done'], dir.wsUri, { pipeStdin: true, sandbox }));
    expect(await c.call('process/write', { processId: 'cat', chunk: b64('first\n'), writeId: 'write-1' })).toEqual({ status: 'accepted' });
    expect(await c.call('process/write', { processId: 'cat', chunk: b64('first\n'), writeId: 'write-1' })).toEqual({ status: 'accepted' });
    expect(await c.call('process/write', { processId: 'cat', chunk: b64('second\n'), writeId: 'write-2' })).toEqual({ status: 'accepted' });
    await c.waitFor(() => outputOf(c.events('cat')) === 'line:first\nline:second\n', 10_000, 'both lines');
    await c.call('process/closeStdin', { processId: 'cat' });
    const ev = await c.untilClosed('cat');
    expect(outputOf(ev)).toBe('line:first\nline:second\n');
  });

  it('exec_server_defaults_omitted_pipe_stdin_to_closed_stdin / exec_process_rejects_write_without_pipe_stdin: stdinClosed and the child sees EOF', async () => {
    await c.call('process/start', startParams('noin', ['sh', '-c', 'if read x; then echo got; else echo eof; fi; sleep 0.3'], dir.wsUri, { sandbox }));
    expect(await c.call('process/write', { processId: 'noin', chunk: b64('x\n'), writeId: 'w' })).toEqual({ status: 'stdinClosed' });
    expect(outputOf(await c.untilClosed('noin'))).toBe('eof\n');
    expect(await c.call('process/write', { processId: 'nope', chunk: b64('x'), writeId: 'w' })).toEqual({ status: 'unknownProcess' });
  });

  it('exec_process_write_then_read (tty): a real pty, 24×80, controlling terminal of the sandboxed command', async () => {
    await c.call('process/start', startParams('tty', ['sh', '-c', 'test -t 0 && echo isatty; stty size; read l; echo "from-stdin:$l"; (exec 3</dev/tty) 2>/dev/null && echo has-ctty'], dir.wsUri, { tty: true, sandbox }));
    await c.waitFor(() => outputOf(c.events('tty')).includes('24 80'), 10_000, 'stty size');
    expect(await c.call('process/write', { processId: 'tty', chunk: b64('hello\n'), writeId: 'w1' })).toEqual({ status: 'accepted' });
    const ev = await c.untilClosed('tty');
    const out = outputOf(ev, 'pty');
    expect(out).toContain('isatty');
    expect(out).toContain('24 80');
    expect(out).toContain('from-stdin:hello');
    expect(out).toContain('has-ctty');
    expect(ev.every((e) => e.method !== 'process/output' || e.params?.stream === 'pty')).toBe(true);
  });

  it('without tty the command has no controlling terminal (no terminal of the server or its caller reaches it)', async () => {
    await c.call('process/start', startParams('no-ctty', ['sh', '-c', '(exec 3</dev/tty) 2>/dev/null && echo has-ctty || echo no-ctty; test -t 0 || echo stdin-not-tty'], dir.wsUri, { sandbox }));
    expect(outputOf(await c.untilClosed('no-ctty'))).toBe('no-ctty\nstdin-not-tty\n');
  });

  it('process/resize (extension): the command sees the new size and gets SIGWINCH', async () => {
    await c.call('process/start', startParams('winch', ['sh', '-c', 'trap "stty size; exit 0" WINCH; echo ready; while :; do sleep 0.05; done'], dir.wsUri, { tty: true, sandbox }));
    await c.waitFor(() => outputOf(c.events('winch')).includes('ready'), 10_000, 'ready');
    expect(await c.call('process/resize', { processId: 'winch', rows: 40, cols: 132 })).toEqual({});
    expect(outputOf(await c.untilClosed('winch'))).toContain('40 132');
    await c.call('process/start', startParams('pipe-only', ['true'], dir.wsUri));
    const err = await c.request('process/resize', { processId: 'pipe-only', rows: 10, cols: 10 });
    expect(err.error?.code).toBe(-32600);
    expect(err.error?.message).toContain('has no terminal');
  });

  it('exec_process_signal_interrupts_process: SIGINT to the group, the trap prints signal:2 and its own exit 7 is reported', async () => {
    for (const [id, extra] of [
      ['int-sandboxed', { sandbox }],
      ['int-direct', {}],
      ['int-tty', { sandbox, tty: true }],
    ] as const) {
      await c.call('process/start', startParams(id, ['sh', '-c', 'trap "echo signal:2; exit 7" INT; echo ready; while :; do sleep 0.05; done'], dir.wsUri, extra));
      await c.waitFor(() => outputOf(c.events(id)).includes('ready'), 10_000, `${id} ready`);
      expect(await c.call('process/signal', { processId: id, signal: 'interrupt' })).toEqual({});
      const ev = await c.untilClosed(id);
      expect(outputOf(ev)).toContain('signal:2');
      expect(ev.find((e) => e.method === 'process/exited')?.params?.exitCode).toBe(7);
    }
    expect(await c.call('process/signal', { processId: 'unknown', signal: 'interrupt' })).toEqual({});
  });

  it('process/terminate: SIGKILL to the whole sandbox, background children included (exit 137); terminate_reports_false_after_process_exit', async () => {
    await c.call('process/start', startParams('kill', ['sh', '-c', 'sleep 60 & echo $!; sleep 60'], dir.wsUri));
    await c.waitFor(() => outputOf(c.events('kill')).length > 0);
    const pid = Number(outputOf(c.events('kill')).trim());
    expect(alive(pid)).toBe(true);
    expect(await c.call('process/terminate', { processId: 'kill' })).toEqual({ running: true });
    const ev = await c.untilClosed('kill');
    expect(ev.find((e) => e.method === 'process/exited')?.params?.exitCode).toBe(137);
    await sleep(200);
    expect(alive(pid)).toBe(false);
    expect(await c.call('process/terminate', { processId: 'kill' })).toEqual({ running: false });
    expect(await c.call('process/terminate', { processId: 'never-was' })).toEqual({ running: false });
  });

  it('process/terminate of a sandboxed process kills everything in its sandbox', async () => {
    const marker = join(dir.ws, 'alive-marker');
    await c.call('process/start', startParams('kill-sb', ['sh', '-c', `(while :; do date +%s%N > ${marker}; sleep 0.05; done) & echo started; sleep 60`], dir.wsUri, { sandbox }));
    await c.waitFor(() => outputOf(c.events('kill-sb')).includes('started'));
    await sleep(200);
    expect(await c.call('process/terminate', { processId: 'kill-sb' })).toEqual({ running: true });
    await c.untilClosed('kill-sb');
    await sleep(300);
    const a = readFileSync(marker, 'utf8');
    await sleep(400);
    expect(readFileSync(marker, 'utf8')).toBe(a);
  });

  it('a process belongs to its client session: another client cannot read, write to, interrupt, close the stdin of or terminate it, and has the same id for its own', async () => {
    await c.call('process/start', startParams('owned', ['sh', '-c', 'trap "echo INT" INT; cat; echo EOF; sleep 30'], dir.wsUri, { pipeStdin: true }));
    const c2 = await WsClient.connect(server.url);
    try {
      await c2.initialize();
      expect((await c2.request('process/read', { processId: 'owned' })).error).toEqual({ code: -32600, message: 'unknown process id owned' });
      expect(await c2.call('process/write', { processId: 'owned', chunk: b64('typed\n'), writeId: 'w1' })).toEqual({ status: 'unknownProcess' });
      expect(await c2.call('process/signal', { processId: 'owned', signal: 'interrupt' })).toEqual({});
      expect((await c2.request('process/closeStdin', { processId: 'owned' })).error?.message).toBe('unknown process id owned');
      expect(await c2.call('process/terminate', { processId: 'owned' })).toEqual({ running: false });
      await c2.call('process/start', startParams('owned', ['echo', 'theirs'], dir.wsUri));
      expect(outputOf(await c2.untilClosed('owned'))).toBe('theirs\n');
    } finally {
      await c2.close();
    }
    await sleep(200);
    // Nothing reached the owner's process: no input echoed, no SIGINT trapped, no EOF, still running.
    expect(outputOf(c.events('owned'))).toBe('');
    expect(await c.call('process/terminate', { processId: 'owned' })).toEqual({ running: true });
    await c.untilClosed('owned');
  });

  it('duplicate_process_ids_allow_only_one_successful_start; closed_process_is_evicted_after_retention (id reusable)', async () => {
    const [a, b] = await Promise.all([
      c.request('process/start', startParams('dup', ['sleep', '0.3'], dir.wsUri)),
      c.request('process/start', startParams('dup', ['sleep', '0.3'], dir.wsUri)),
    ]);
    expect([a, b].filter((m) => m.result !== undefined)).toHaveLength(1);
    expect([a, b].find((m) => m.error)?.error).toEqual({ code: -32600, message: 'process dup already exists' });
    await c.untilClosed('dup');
    await sleep(1500);
    const gone = await c.request('process/read', { processId: 'dup' });
    expect(gone.error).toEqual({ code: -32600, message: 'unknown process id dup' });
    expect((await c.request('process/start', startParams('dup', ['true'], dir.wsUri))).result).toBeDefined();
  });

  it('start_process_rejects_non_native_cwd_before_launch (exact -32602 text); a native path instead of a URI is -32602', async () => {
    const r = await c.request('process/start', startParams('bad-cwd', ['touch', join(dir.ws, 'should-not-exist')], 'file://server/share/checkout'));
    expect(r.error?.code).toBe(-32602);
    expect(r.error?.message).toMatch(/^cwd URI `file:\/\/server\/share\/checkout` is not valid on this exec-server host: 'file:\/\/server\/share\/checkout' is invalid on 'linux'/);
    const n = await c.request('process/start', startParams('bad-cwd2', ['true'], dir.ws));
    expect(n.error?.code).toBe(-32602);
    expect(existsSync(join(dir.ws, 'should-not-exist'))).toBe(false);
  });

  it('child_env_defaults_to_exact_env; child_env_applies_policy_then_overlay; non-inheritable names are removed', async () => {
    await c.call('process/start', { ...startParams('env1', ['/usr/bin/env'], dir.wsUri), env: { PATH: '/usr/bin:/bin', ONLY: 'this', NODE_REPL_AUTH_TOKEN: 'x' } });
    const lines = outputOf(await c.untilClosed('env1')).trim().split('\n').sort();
    expect(lines).toEqual(['ONLY=this', 'PATH=/usr/bin:/bin']);
    await c.call('process/start', {
      ...startParams('env2', ['/usr/bin/env'], dir.wsUri),
      env: { OVERLAY: '1' },
      envPolicy: { inherit: 'core', ignoreDefaultExcludes: false, exclude: [], set: { FROM_SET: 'y' }, includeOnly: [] },
    });
    const env2 = outputOf(await c.untilClosed('env2'));
    expect(env2).toContain('OVERLAY=1');
    expect(env2).toContain('FROM_SET=y');
    expect(env2).toMatch(/^PATH=/m);
    expect(env2).not.toMatch(/^VITEST/m);
  });

  it('exec_server_resumes_detached_session_without_killing_processes; missed output is recovered with process/read afterSeq', async () => {
    const a = await WsClient.connect(server.url);
    const sessionId = await a.initialize();
    await a.call('process/start', startParams('survivor', ['sh', '-c', 'echo before; sleep 0.6; echo during; sleep 30'], dir.wsUri, { sandbox }));
    await a.waitFor(() => outputOf(a.events('survivor')).includes('before'));
    const lastSeen = Math.max(...a.events('survivor').map((e) => Number(e.params?.seq)));
    a.drop();
    await sleep(900);
    const b = await WsClient.connect(server.url);
    expect(await b.initialize(sessionId)).toBe(sessionId);
    // waitMs: on a loaded host `during` may come later than the 0.9 s; it is still output the dropped client missed.
    const r = await b.call('process/read', { processId: 'survivor', afterSeq: lastSeen, waitMs: 10_000 });
    expect(chunksText(r)).toBe('during\n');
    expect(r.exited).toBe(false);
    expect(await b.call('process/terminate', { processId: 'survivor' })).toEqual({ running: true });
    await b.close();
  });

  it('remote_exec_process_recovers_after_transport_disconnect: output while disconnected is read back, a retried write (same writeId) is not doubled, exit 7 then closed with contiguous seqs', async () => {
    const a = await WsClient.connect(server.url);
    const sessionId = await a.initialize();
    await a.call('process/start', startParams('recover', ['sh', '-c', 'echo start; sleep 0.4; echo while-away; read l; echo "got:$l"; exit 7'], dir.wsUri, { sandbox, pipeStdin: true }));
    await a.waitFor(() => outputOf(a.events('recover')).includes('start'));
    // The write reaches the server but the client drops before it sees the reply, and retries it.
    void a.request('process/write', { processId: 'recover', chunk: b64('once\n'), writeId: 'retry-me' });
    a.drop();
    await sleep(700);
    const b = await WsClient.connect(server.url);
    expect(await b.initialize(sessionId)).toBe(sessionId);
    expect(await b.call('process/write', { processId: 'recover', chunk: b64('once\n'), writeId: 'retry-me' })).toEqual({ status: 'accepted' });
    const r = await b.call('process/read', { processId: 'recover', afterSeq: 0, waitMs: 5000 });
    let after = Number(r.nextSeq) - 1;
    let text = chunksText(r);
    let final = r;
    while (final.closed !== true) {
      final = await b.call('process/read', { processId: 'recover', afterSeq: after, waitMs: 5000 });
      text += chunksText(final);
      after = Number(final.nextSeq) - 1;
    }
    expect(text).toBe('start\nwhile-away\ngot:once\n');
    expect(final.exitCode).toBe(7);
    const all = await b.call('process/read', { processId: 'recover' });
    expect(all.nextSeq).toBe((all.chunks as unknown[]).length + 3);
    await b.close();
  });

  it('active_session_resume_is_rejected (-32010); the detached TTL then kills the processes and forgets the session', async () => {
    const a = await WsClient.connect(server.url);
    const sessionId = await a.initialize();
    await a.call('process/start', startParams('ttl', ['sh', '-c', 'echo $$; exec sleep 60'], dir.wsUri));
    await a.waitFor(() => outputOf(a.events('ttl')).length > 0);
    const pid = Number(outputOf(a.events('ttl')).trim());
    const b = await WsClient.connect(server.url);
    const busy = await b.request('initialize', { clientName: 'b', resumeSessionId: sessionId });
    expect(busy.error).toEqual({ code: -32010, message: `session ${sessionId} is already attached to another connection` });
    await a.close();
    await sleep(2200);
    expect(alive(pid)).toBe(false);
    const late = await b.request('initialize', { clientName: 'b', resumeSessionId: sessionId });
    expect(late.error).toEqual({ code: -32600, message: `unknown session id ${sessionId}` });
    await b.close();
  });

  it('transport_disconnect_detaches_session_during_in_flight_read: resume answers promptly while a 5 s read was pending', async () => {
    const a = await WsClient.connect(server.url);
    const sessionId = await a.initialize();
    await a.call('process/start', startParams('idle', ['sleep', '30'], dir.wsUri));
    void a.request('process/read', { processId: 'idle', waitMs: 5000 });
    await sleep(100);
    a.drop();
    await sleep(100);
    const b = await WsClient.connect(server.url);
    const t0 = Date.now();
    expect(await b.initialize(sessionId)).toBe(sessionId);
    expect(Date.now() - t0).toBeLessThan(1000);
    await b.call('process/terminate', { processId: 'idle' });
    await b.close();
  });

  it('workspace-write sandbox field: a write outside the workspace is refused on disk, sandboxDenied true; inside works', async () => {
    // (touch, not a shell redirection: sh exits 2 for a failed redirection, which Codex's heuristic
    // treats as the shell's own usage error, not a denial)
    const outsideFile = join(dir.outside, 'escaped');
    const insideFile = join(dir.ws, 'inside');
    const r = await c.call('process/start', startParams('escape', ['sh', '-c', `echo ok > ${insideFile}; touch ${outsideFile}`], dir.wsUri, { sandbox }));
    expect(r.sandboxType).toBe('linuxSeccomp');
    const ev = await c.untilClosed('escape');
    const exited = ev.find((e) => e.method === 'process/exited');
    expect(exited?.params?.exitCode).not.toBe(0);
    expect(exited?.params?.sandboxDenied).toBe(true);
    expect(existsSync(outsideFile)).toBe(false);
    expect(readFileSync(insideFile, 'utf8')).toBe('ok\n');
    // the same command without the sandbox field writes (the control: the refusal came from the sandbox)
    await c.call('process/start', startParams('escape-ctl', ['sh', '-c', `echo pwned > ${outsideFile}`], dir.wsUri));
    await c.untilClosed('escape-ctl');
    expect(readFileSync(outsideFile, 'utf8')).toBe('pwned\n');
  });

  it('remote_process_preserves_empty_workspace_roots: without workspaceRoots, :project_roots grants nothing', async () => {
    const target = join(dir.ws, 'no-roots');
    const sb = { ...sandbox, workspaceRoots: [] };
    await c.call('process/start', startParams('noroots', ['sh', '-c', `echo x > ${target}`], dir.wsUri, { sandbox: sb }));
    const ev = await c.untilClosed('noroots');
    expect(ev.find((e) => e.method === 'process/exited')?.params?.exitCode).not.toBe(0);
    expect(existsSync(target)).toBe(false);
  });

  it('the sandbox field with network restricted: a TCP connect is refused inside; sandboxed arg0 reaches the command', async () => {
    await c.call('process/start', startParams('net', ['/usr/bin/python3', '-c', 'import socket\ntry:\n  socket.create_connection(("127.0.0.1", 9), 2)\nexcept OSError as e:\n  print("errno", e.errno)'], dir.wsUri, { sandbox }));
    expect(outputOf(await c.untilClosed('net'))).toMatch(/errno (1|13)\b/);
    await c.call('process/start', startParams('arg0', ['/bin/sh', '-c', 'echo "$0"'], dir.wsUri, { sandbox, arg0: 'custom-zero' }));
    expect(outputOf(await c.untilClosed('arg0'))).toBe('custom-zero\n');
  });

  it('a sandbox field whose profile cannot be parsed is refused with -32602, and nothing runs', async () => {
    const marker = join(dir.ws, 'bad-profile-ran');
    const bad = { ...sandbox, permissions: { type: 'managed', file_system: { type: 'bogus' }, network: 'restricted' } };
    const r = await c.request('process/start', startParams('badprof', ['touch', marker], dir.wsUri, { sandbox: bad }));
    expect(r.error?.code).toBe(-32602);
    expect(existsSync(marker)).toBe(false);
    const noLevel: Record<string, unknown> = { ...sandbox };
    delete noLevel.windowsSandboxLevel;
    const r2 = await c.request('process/start', startParams('badprof2', ['touch', marker], dir.wsUri, { sandbox: noLevel }));
    expect(r2.error).toEqual({ code: -32602, message: 'missing field `windowsSandboxLevel`' });
    expect(existsSync(marker)).toBe(false);
  });

  it('exec_process_retains_output_after_exit_until_streams_close: late output from a background child follows exited', async () => {
    await c.call('process/start', startParams('late', ['sh', '-c', '(sleep 0.4; echo late) & echo early'], dir.wsUri));
    const ev = await c.untilClosed('late');
    const methods = ev.map((e) => e.method);
    expect(methods.indexOf('process/exited')).toBeLessThan(methods.lastIndexOf('process/output'));
    expect(outputOf(ev)).toBe('early\nlate\n');
    expect(methods[methods.length - 1]).toBe('process/closed');
  });

  it('output retention: at most 1 MiB per process is kept, oldest first', async () => {
    await c.call('process/start', startParams('big', ['sh', '-c', 'head -c 3000000 /dev/zero | tr "\\0" a; echo END'], dir.wsUri));
    await c.untilClosed('big');
    const r = await c.call('process/read', { processId: 'big' });
    const text = chunksText(r);
    expect(text.endsWith('END\n')).toBe(true);
    expect(text.length).toBeLessThanOrEqual(1024 * 1024);
    expect(text.length).toBeGreaterThan(512 * 1024);
    const seqs = (r.chunks as Array<{ seq: number }>).map((x) => x.seq);
    expect(seqs[0]).toBeGreaterThan(1);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
  });

  it('output retention: a client session keeps at most maxRetainedBytesPerSession over all its processes (a client that never reads cannot grow the server)', async () => {
    const budget = 1024 * 1024;
    const lib = await createExecServer({ listen: 'ws://127.0.0.1:0', maxRetainedBytesPerSession: budget, log: () => undefined });
    const d = await WsClient.connect(lib.url);
    try {
      await d.initialize();
      // Two processes of 1 MiB each: each within the per-process 1 MiB, together twice the session's budget.
      for (const id of ['r1', 'r2']) await d.call('process/start', startParams(id, ['sh', '-c', 'head -c 1048000 /dev/zero | tr "\\0" a; echo END'], dir.wsUri));
      for (const id of ['r1', 'r2']) await d.untilClosed(id);
      let kept = 0;
      for (const id of ['r1', 'r2']) kept += chunksText(await d.call('process/read', { processId: id })).length;
      expect(kept).toBeGreaterThan(budget / 2);
      expect(kept).toBeLessThanOrEqual(budget);
    } finally {
      await d.close();
      await lib.close();
    }
  });

  it('a process id that is missing or starting: process/read → unknown process id', async () => {
    const r = await c.request('process/read', { processId: 'ghost' });
    expect(r.error).toEqual({ code: -32600, message: 'unknown process id ghost' });
  });

  it('per-session process limit: the next start is refused with a clear error, and a slot frees when one is released', async () => {
    const s = await startServer(['--max-processes-per-session', '2', '--exited-retention-ms', '200']);
    try {
      const d = await WsClient.connect(s.url);
      await d.initialize();
      await d.call('process/start', startParams('a', ['sleep', '30'], dir.wsUri));
      await d.call('process/start', startParams('b', ['true'], dir.wsUri));
      const third = await d.request('process/start', startParams('c', ['true'], dir.wsUri));
      expect(third.error?.code).toBe(-32600);
      expect(third.error?.message).toMatch(/^session already holds 2 processes \(limit 2\)/);
      await d.untilClosed('b');
      await sleep(600);
      expect((await d.request('process/start', startParams('c', ['true'], dir.wsUri))).result).toBeDefined();
      await d.call('process/terminate', { processId: 'a' });
      await d.close();
    } finally {
      await s.stop();
    }
  });

  it('a file under the cwd is what a relative path in the sandboxed command reads (cwd is honoured)', async () => {
    writeFileSync(join(dir.ws, 'here.txt'), 'cwd-ok');
    await c.call('process/start', startParams('cwd', ['cat', 'here.txt'], pathToFileURL(dir.ws).href, { sandbox }));
    expect(outputOf(await c.untilClosed('cwd'))).toBe('cwd-ok');
  });
});
