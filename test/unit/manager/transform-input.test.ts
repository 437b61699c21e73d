/** SandboxManager.transform refuses commands it would otherwise misread, before planning anything. */
import { describe, expect, it } from 'vitest';
import type { HostFacts } from '../../../src/contracts/index.js';
import { SandboxManager } from '../../../src/manager/transform.js';
import { PermissionProfile } from '../../../src/permissions/index.js';
import { emptyFs } from '../permissions/helpers.js';

const facts: HostFacts = { platform: 'darwin', arch: 'arm64', tmpdir: undefined, home: '/Users/me', fs: emptyFs };
const request = (command: unknown) => ({ command: command as string[], cwd: '/Users/me/proj', profile: PermissionProfile.named('read-only'), env: {}, facts });

describe('SandboxManager.transform input', () => {
  it('refuses a command given as a string (it would run its characters as argv), naming the fix', () => {
    expect(() => SandboxManager.transform(request('npm test'))).toThrow(TypeError);
    expect(() => SandboxManager.transform(request('npm test'))).toThrow(`argv array such as ['npm', 'test'], not the string "npm test"`);
  });

  it('refuses an empty command', () => {
    expect(() => SandboxManager.transform(request([]))).toThrow('no command to run');
  });

  it('plans an argv array', () => {
    expect(SandboxManager.transform(request(['/bin/echo', 'hi'])).kind).toBe('macos-seatbelt');
  });
});
