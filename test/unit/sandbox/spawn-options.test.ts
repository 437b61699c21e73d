/**
 * sandbox.spawn's options are split once: planning options to the planner, a whitelist of execa options
 * to execa, and anything else refused before a process starts. The "launcher" here records what it was
 * given instead of starting a process (nothing is launched in a unit test); the planning is real.
 */
import type { ResultPromise } from 'execa';
import { describe, expect, it } from 'vitest';
import { LAUNCH_OPTION_KEYS } from '../../../src/launch/options.js';
import type { LaunchOptions } from '../../../src/launch/options.js';
import type { HostFacts, LaunchRequest } from '../../../src/contracts/index.js';
import { Sandbox } from '../../../src/sandbox.js';
import { splitSpawnOptions } from '../../../src/launch/spawn-options.js';
import type { SpawnOptions } from '../../../src/launch/spawn-options.js';
import { emptyFs } from '../permissions/helpers.js';

const facts: HostFacts = { platform: 'darwin', arch: 'arm64', tmpdir: undefined, home: '/Users/me', fs: emptyFs };

class Stop extends Error {}

/** A Sandbox whose execa launch records its arguments and stops there. */
function recordingSandbox(): { sandbox: Sandbox; calls: Array<{ req: LaunchRequest; options: LaunchOptions }> } {
  const calls: Array<{ req: LaunchRequest; options: LaunchOptions }> = [];
  const sandbox = new Sandbox(facts, {}, (req, options): ResultPromise => {
    calls.push({ req, options });
    throw new Stop('recorded');
  });
  return { sandbox, calls };
}

describe('spawn options are normalised once', () => {
  it('splits planning options from execa options', () => {
    const { sandbox, launch } = splitSpawnOptions({ cwd: '/w', limits: { pids: 5 }, denyRead: ['/x'], timeout: 5, stdin: 'ignore', reject: false });
    expect(sandbox).toEqual({ cwd: '/w', limits: { pids: 5 }, denyRead: ['/x'] });
    expect(launch).toEqual({ timeout: 5, stdin: 'ignore', reject: false });
  });

  it('no key is both a planning and an execa option', () => {
    const planning = Object.keys(splitSpawnOptions({ cwd: '/w' }).sandbox);
    expect(planning).toEqual(['cwd']);
    for (const k of Object.keys(LAUNCH_OPTION_KEYS)) expect(Object.keys(splitSpawnOptions({ [k]: undefined } as SpawnOptions).launch)).toEqual([k]);
  });

  // Each of these would change what execa starts: through a shell, as a Node script, with another
  // PATH, cwd, environment or user, or with an extra fd.
  it.each(['shell', 'node', 'nodeOptions', 'preferLocal', 'cwdTypo', 'extendEnv', 'argv0', 'uid', 'ipc', 'windowsVerbatimArguments'])(
    'refuses %s before anything is planned or started',
    (key) => {
      const { sandbox, calls } = recordingSandbox();
      expect(() => sandbox.spawn(['/bin/echo'], 'read-only', { cwd: '/Users/me', [key]: true } as SpawnOptions)).toThrow(
        new RegExp(`sandbox\\.spawn: unknown option "${key}"`),
      );
      expect(calls).toEqual([]);
    },
  );

  it('hands execa only the whitelisted options, and the plan every planning option', () => {
    const { sandbox, calls } = recordingSandbox();
    expect(() =>
      sandbox.spawn(['/bin/echo', 'hi'], 'read-only', {
        cwd: '/Users/me/p',
        network: true,
        envPolicy: 'none',
        env: { HOME: '/Users/me', FOO: 'bar' },
        denyRead: ['/Users/me/secret'],
        timeout: 1000,
        stdout: 'ignore',
      }),
    ).toThrow(Stop);
    expect(calls).toHaveLength(1);
    const [{ req, options }] = calls as [{ req: LaunchRequest; options: LaunchOptions }];
    expect(options).toEqual({ timeout: 1000, stdout: 'ignore' });
    expect(req.permissions.network).toBe('enabled');
    expect(req.env.FOO).toBeUndefined();
    expect(req.permissions.fileSystem.unreadableRoots).toContain('/Users/me/secret');
  });

  it('sandbox.launch refuses planning options (the plan already decided them)', () => {
    const { sandbox, calls } = recordingSandbox();
    const req = sandbox.plan(['/bin/echo'], 'read-only', { cwd: '/Users/me' });
    expect(() => sandbox.launch(req, { cwd: '/tmp' } as LaunchOptions)).toThrow('sandbox.launch: cwd decide the plan: pass them to sandbox.plan');
    expect(calls).toEqual([]);
  });

  it('a Sandbox made without execa (the CLI) says how to get one that spawns', () => {
    const sandbox = new Sandbox(facts, {});
    expect(() => sandbox.spawn(['/bin/echo'], 'read-only', { cwd: '/Users/me' })).toThrow('get one from createSandbox()');
  });
});
