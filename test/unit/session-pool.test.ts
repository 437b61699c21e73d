/**
 * SessionPool bookkeeping (src/session/pool.ts) with stand-in sessions: reuse by key, a session that
 * ended leaves the pool, the least recently used idle session goes first, close() closes all, and
 * planKey tells plans apart by their bytes. Real sessions: test/integration/linux/session-pool.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { LaunchRequest } from '../../src/contracts/index.js';
import { SessionPool, planKey } from '../../src/session/pool.js';
import type { SandboxSession } from '../../src/session/session.js';

interface Fake {
  session: SandboxSession;
  closed: () => boolean;
  end: () => void;
  setRunning: (n: number) => void;
}

function fake(): Fake {
  let end: () => void = () => undefined;
  const ended = new Promise<void>((r) => (end = r));
  let closed = false;
  let running = 0;
  const session = {
    ended,
    get running(): number {
      return running;
    },
    close: async (): Promise<void> => {
      closed = true;
      end();
      await ended;
    },
  } as unknown as SandboxSession;
  return { session, closed: () => closed, end, setRunning: (n) => (running = n) };
}

describe('SessionPool', () => {
  it('reuses the session of a key, and opens a new one once it ended', async () => {
    const pool = new SessionPool();
    const a = fake();
    expect(pool.acquire('k', () => a.session)).toBe(a.session);
    expect(pool.acquire('k', () => fake().session)).toBe(a.session);
    expect(pool.size).toBe(1);
    a.end();
    await a.session.ended;
    await Promise.resolve();
    const b = fake();
    expect(pool.acquire('k', () => b.session)).toBe(b.session);
  });

  it('closes the least recently used idle session beyond maxSessions, never a busy one', () => {
    const pool = new SessionPool({ maxSessions: 2 });
    const [a, b, c] = [fake(), fake(), fake()];
    pool.acquire('a', () => a.session);
    pool.acquire('b', () => b.session);
    a.setRunning(1);
    pool.acquire('c', () => c.session);
    expect([a.closed(), b.closed(), c.closed()]).toEqual([false, true, false]);
  });

  it('discard() and close(): the session is closed; a closed pool refuses', async () => {
    const pool = new SessionPool();
    const a = fake();
    pool.acquire('k', () => a.session);
    pool.discard('k', a.session);
    expect(a.closed()).toBe(true);
    const b = fake();
    pool.acquire('k', () => b.session);
    await pool.close();
    expect(b.closed()).toBe(true);
    expect(() => pool.acquire('k', () => fake().session)).toThrow(/sandbox is closed/);
  });

  it('refuses a bad idleTimeout or maxSessions, naming it', () => {
    expect(() => new SessionPool({ idleTimeout: 0 })).toThrow(/idleTimeout/);
    expect(() => new SessionPool({ maxSessions: 1.5 })).toThrow(/maxSessions/);
  });

  it('planKey: the argv bytes, env and extra decide the key', () => {
    const base = { kind: 'linux-bwrap', program: '/l', argv: ['--pin', '6:1:2', '/w'], env: { A: '1' }, cwd: '/w', native: { platform: 'linux', limits: {} } } as unknown as LaunchRequest;
    const k = planKey(base);
    expect(planKey({ ...base })).toBe(k);
    expect(planKey({ ...base, argv: ['--pin', '6:1:3', '/w'] } as LaunchRequest)).not.toBe(k);
    expect(planKey({ ...base, env: { A: '2' } } as LaunchRequest)).not.toBe(k);
    expect(planKey(base, { allow: ['x'] })).not.toBe(k);
    expect(planKey({ ...base, argv: [Buffer.from([0xff])] } as unknown as LaunchRequest)).not.toBe(planKey({ ...base, argv: [Buffer.from([0xfe])] } as unknown as LaunchRequest));
  });
});
