/**
 * Multi-host: three real exec-servers, each in a network namespace of its own (`unshare -n`: only its
 * own loopback) with its own address as seen from the test (127.0.0.2/3/4, bridged through a unix
 * socket, since the namespaces share the filesystem but no network), driven by one client through
 * environments.toml. 90 commands are spread over them and each result is checked; one server is
 * SIGKILLed mid-run: its processes fail with an error naming it, its work moves to the others, and
 * they carry on.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecServerDisconnectedError, openEnvironment } from '../../../src/exec-server/client/index.js';
import type { RemoteSandbox } from '../../../src/exec-server/client/index.js';
import { alive, built, CLI, isLinux, repo } from './helpers.js';

const canUnshare = isLinux && spawnSync('unshare', ['-n', 'true']).status === 0 && spawnSync('sh', ['-c', 'command -v ip']).status === 0;
const HOSTS = ['h0', 'h1', 'h2'];
// Enough for each server to carry work before and after the kill, with commands in flight on the victim
// when it dies (6 workers, 2 per server); more only repeats what is already shown (it was 300: ~15 s more).
const COMMANDS = 90;

interface Host {
  tag: string;
  wrapper: ChildProcess;
  serverPid: number;
  innerUrl: string;
  url: string;
  front: net.Server;
}

async function startHost(dir: string, tag: string, address: string): Promise<Host> {
  const sock = join(dir, `${tag}.sock`);
  const wrapper = spawn('unshare', ['-n', process.execPath, join(repo, 'test/fixtures/multi-host/netns-host.mjs'), sock, CLI, tag], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    wrapper.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0] ?? '');
    });
    wrapper.once('exit', (code) => reject(new Error(`netns host ${tag} exited ${String(code)}`)));
  });
  const [, pid, innerUrl] = line.split(' ');
  // The host's own address, as another machine's would be: a listener on 127.0.0.N bridged to the namespace.
  const front = net.createServer((c) => {
    const up = net.connect(sock);
    c.pipe(up).pipe(c);
    const end = (): void => {
      c.destroy();
      up.destroy();
    };
    c.on('error', end).on('close', end);
    up.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => front.listen(0, address, () => r()));
  const port = (front.address() as net.AddressInfo).port;
  return { tag, wrapper, serverPid: Number(pid), innerUrl: innerUrl ?? '', url: `ws://${address}:${String(port)}`, front };
}

describe.skipIf(!canUnshare || !built)('multi-host: three exec-servers in their own network namespaces', () => {
  let dir: string;
  let work: string;
  let hosts: Host[] = [];
  const sandboxes = new Map<string, RemoteSandbox>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'csbx-multihost-'));
    hosts = await Promise.all(HOSTS.map((t, i) => startHost(dir, t, `127.0.0.${String(i + 2)}`)));
    // CODEX_HOME beside the working directory, not inside it (inside, it would count as a project file).
    const codexHome = join(dir, 'codex-home');
    work = join(dir, 'work');
    mkdirSync(codexHome);
    mkdirSync(work);
    writeFileSync(join(codexHome, 'environments.toml'), hosts.map((h) => `[[environments]]\nid = "${h.tag}"\nurl = "${h.url}"\nconnect_timeout_sec = 5.0\n`).join('\n'));
    for (const h of hosts) sandboxes.set(h.tag, await openEnvironment(h.tag, { env: { CODEX_HOME: codexHome }, cwd: work }, { recoveryTimeoutMs: 1_500 }));
  }, 60_000);

  afterAll(async () => {
    for (const s of sandboxes.values()) await s.close().catch(() => undefined);
    for (const h of hosts) {
      h.front.close();
      h.wrapper.kill('SIGTERM');
      try {
        process.kill(h.serverPid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('each server lives in a network namespace of its own (not the test\'s, not another server\'s)', () => {
    const mine = readlinkSync('/proc/self/ns/net');
    const theirs = hosts.map((h) => readlinkSync(`/proc/${String(h.serverPid)}/ns/net`));
    expect(new Set([mine, ...theirs]).size).toBe(4);
    expect(hosts.map((h) => new URL(h.url).hostname)).toEqual(['127.0.0.2', '127.0.0.3', '127.0.0.4']);
  });

  it(`${String(COMMANDS)} commands spread over the three; one server killed mid-run; every result correct`, async () => {
    const results = new Map<number, { host: string; out: string }>();
    const errors: Array<{ host: string; message: string }> = [];
    const queue = Array.from({ length: COMMANDS }, (_, i) => i);
    const victim = hosts[1] as Host;
    let killed = false;
    let next = 0;
    /** Round-robin over the environments whose session is still alive. */
    const pick = (): [string, RemoteSandbox] => {
      const live = [...sandboxes].filter(([, s]) => s.connected);
      const choice = live[next++ % live.length];
      if (choice === undefined) throw new Error('no environment left');
      return choice;
    };
    const worker = async (): Promise<void> => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
        const [tag, sandbox] = pick();
        try {
          const r = await sandbox.spawn(['sh', '-c', 'sleep 0.05; echo "$CSBX_HOST $(( $1 * $1 ))"', 'sh', String(i)], 'workspace-write', { cwd: work });
          if (r.exitCode !== 0) throw new Error(`command ${String(i)} on ${tag} exited ${String(r.exitCode)}: ${r.stderr}`);
          results.set(i, { host: tag, out: r.stdout });
        } catch (e) {
          if (!(e instanceof ExecServerDisconnectedError)) throw e;
          errors.push({ host: tag, message: e.message });
          queue.push(i); // its host is gone: run it elsewhere
        }
        if (!killed && results.size >= COMMANDS / 3) {
          killed = true;
          process.kill(victim.serverPid, 'SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: 6 }, () => worker()));

    expect(killed).toBe(true);
    expect(alive(victim.serverPid)).toBe(false);
    expect(results.size).toBe(COMMANDS);
    for (const [i, r] of results) expect(r.out).toBe(`${r.host} ${String(i * i)}\n`);
    const perHost = HOSTS.map((t) => [...results.values()].filter((r) => r.host === t).length);
    expect(perHost.every((n) => n > 0)).toBe(true);
    // After the kill only h0 and h2 got work: they carried on.
    expect((perHost[0] ?? 0) + (perHost[2] ?? 0)).toBeGreaterThan((2 * COMMANDS) / 3 - 10);
    // The killed server's in-flight processes failed with an error naming the server, nobody else's.
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) {
      expect(e.host).toBe(victim.tag);
      expect(e.message).toMatch(new RegExp(`exec-server connection to ${victim.url.replace(/\./g, '\\.')} closed.*could not resume session`));
    }
    expect(sandboxes.get('h0')?.client.connected).toBe(true);
    expect(sandboxes.get('h2')?.client.connected).toBe(true);
  }, 180_000);
});
