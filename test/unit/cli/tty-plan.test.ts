/** `run` at a terminal: when the CLI relays a pty of its own (the rule), and the inner option it adds. */
import { describe, expect, it } from 'vitest';
import type { HostFacts, LaunchRequest } from '../../../src/contracts/index.js';
import { UsageError } from '../../../src/cli/profile-arg.js';
import { wantsTerminal, withTerminal } from '../../../src/cli/tty-plan.js';

const LAUNCHER = '/opt/codex-sandbox-launcher';
const facts = { platform: 'linux', linux: { launcherPath: LAUNCHER } } as unknown as HostFacts;
const bwrap = { kind: 'linux-bwrap', program: LAUNCHER, argv: ['--bwrap', '--', '/usr/bin/bwrap', '--new-session', '--', LAUNCHER, '--inner', '--started-fd', '5', '--', 'bash'] } as unknown as LaunchRequest;
const none = { kind: 'none', program: 'bash', argv: [] } as unknown as LaunchRequest;
const allTtys = { stdin: true, stdout: true, stderr: true, foreground: (): boolean => true };

describe('wantsTerminal', () => {
  it('by default only when stdin, stdout and stderr are all terminals and the plan is a bubblewrap one', () => {
    expect(wantsTerminal(undefined, bwrap, facts, allTtys)).toBe(true);
    for (const redirected of ['stdin', 'stdout', 'stderr'] as const) {
      expect(wantsTerminal(undefined, bwrap, facts, { ...allTtys, [redirected]: false })).toBe(false);
    }
    expect(wantsTerminal(undefined, none, facts, allTtys)).toBe(false);
    // A background job (`run … &`): raw mode would stop it (SIGTTOU).
    expect(wantsTerminal(undefined, bwrap, facts, { ...allTtys, foreground: () => false })).toBe(false);
  });

  it('--tty / --no-tty decide', () => {
    expect(wantsTerminal(true, bwrap, facts, { stdin: true, stdout: false, stderr: false, foreground: () => false })).toBe(true);
    expect(wantsTerminal(false, bwrap, facts, allTtys)).toBe(false);
  });
});

describe('withTerminal', () => {
  it("adds --ctty-job right after the launcher's --inner", () => {
    expect(withTerminal(bwrap, facts).argv).toEqual(['--bwrap', '--', '/usr/bin/bwrap', '--new-session', '--', LAUNCHER, '--inner', '--ctty-job', '--started-fd', '5', '--', 'bash']);
  });

  it('refuses a plan without bubblewrap (usage error, before launch)', () => {
    expect(() => withTerminal(none, facts)).toThrow(UsageError);
    expect(() => withTerminal(none, facts)).toThrow(/--tty needs a bubblewrap sandbox on Linux, and this plan is none/);
  });
});
