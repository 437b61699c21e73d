/**
 * buildBwrapArgs with prepared placeholder sources (src/host/placeholder-sources.ts): each missing
 * metadata name is one `--ro-bind SRC P`; a source that is not (any more) an empty directory / empty
 * file is not used and bwrap builds the placeholder as before. Deny-read placeholders (mode 000)
 * keep their data file. Host-independent: the filesystem is a fake FsInspector.
 */
import { describe, expect, it } from 'vitest';
import type { HostFacts, PlaceholderSources } from '../../../src/contracts/index.js';
import type { FsEntryKind, FsInspector } from '../../../src/permissions/fs-facts.js';
import { entriesFs, oneWritableRoot } from './fixtures.js';
import { buildBwrapArgs } from '../../../src/platforms/linux/plan.js';

const WS = '/work/ws';
const DIR = '/run/reg/placeholder-dir-1';
const FILE = '/run/reg/placeholder-file-1';

const fakeFs = (entries: Parameters<typeof entriesFs>[1]): FsInspector => entriesFs(WS, entries);

function plan(fs: FsInspector, sources: PlaceholderSources | undefined): { args: string[]; devNullFds: number[] } {
  const resolved = oneWritableRoot(WS, { readOnlySubpaths: [`${WS}/conf/locked.toml`], protectedMetadataNames: ['.codex'], unreadableRoots: [`${WS}/secret.env`] });
  const facts = {
    platform: 'linux',
    arch: 'x64',
    tmpdir: undefined,
    home: undefined,
    fs,
    linux: { uid: 1000, launcherPath: '/opt/l', syntheticRegistry: '/run/reg', ...(sources ? { placeholderSources: sources } : {}) },
  } as unknown as HostFacts;
  return buildBwrapArgs({ fs: resolved, network: 'restricted', cwd: WS, command: ['true'], facts, launcherPath: '/opt/launcher', registryDir: '/run/reg', argv0Supported: false });
}

type Entries = Record<string, { kind: FsEntryKind; empty?: boolean; size?: number }>;
const good: Entries = { [DIR]: { kind: 'dir', empty: true }, [FILE]: { kind: 'file', size: 0 }, [`${WS}/conf`]: { kind: 'dir' } };

describe('placeholders bound from prepared sources', () => {
  it('a missing metadata dir and a missing read-only file are one read-only bind each; the deny-read one keeps its 000 data file', () => {
    const { args, devNullFds } = plan(fakeFs(good), { emptyDir: DIR, emptyFile: FILE });
    const text = args.join(' ');
    expect(text).toContain(`--ro-bind ${DIR} ${WS}/.codex`);
    expect(text).toContain(`--ro-bind ${FILE} ${WS}/conf/locked.toml`);
    expect(text).not.toContain(`--tmpfs ${WS}/.codex`);
    expect(text).toMatch(new RegExp(`--perms 000 --ro-bind-data \\d+ ${WS}/secret.env`));
    expect(devNullFds).toHaveLength(1);
  });

  it('without sources, or when the directory is not empty or the file not empty any more, bwrap builds them as before', () => {
    const before = (sources: PlaceholderSources | undefined, fs: Entries = good) => {
      const text = plan(fakeFs(fs), sources).args.join(' ');
      return [text.includes(`--perms 555 --tmpfs ${WS}/.codex --remount-ro ${WS}/.codex`), /--ro-bind-data \d+ \/work\/ws\/conf\/locked.toml/.test(text)];
    };
    expect(before(undefined)).toEqual([true, true]);
    expect(before({ emptyDir: DIR, emptyFile: FILE }, { ...good, [DIR]: { kind: 'dir', empty: false }, [FILE]: { kind: 'file', size: 7 } })).toEqual([true, true]);
    expect(before({ emptyDir: DIR, emptyFile: FILE }, { ...good, [DIR]: { kind: 'symlink' }, [FILE]: { kind: 'missing' } })).toEqual([true, true]);
    expect(before({ emptyFile: FILE })).toEqual([true, false]);
  });
});
