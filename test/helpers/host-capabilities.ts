/**
 * What the test host's filesystem can do, probed for real (not guessed from process.platform), so a
 * test that needs a missing capability is skipped with the reason instead of failing on a runner
 * that simply lacks it (the CI matrix runs macOS and Windows too).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Why a capability is missing, or undefined when the host has it. */
export type Missing = string | undefined;

function probeDir<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'cs-cap-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** File names holding bytes that are not UTF-8 (0xff, 0xfe): APFS refuses them (EILSEQ), Windows names are UTF-16. */
export const nonUtf8NamesMissing: Missing = probeDir((dir) => {
  if (process.platform === 'win32') return 'Windows file names are UTF-16: a name cannot hold the bytes 0xff/0xfe';
  try {
    mkdirSync(Buffer.concat([Buffer.from(dir), Buffer.from('/n'), Buffer.from([0xff])]));
    return undefined;
  } catch (e) {
    return `this filesystem refuses names with the bytes 0xff/0xfe (${(e as NodeJS.ErrnoException).code ?? String(e)}; APFS on macOS does: EILSEQ)`;
  }
});

/** mkfifo(1) makes a named pipe here (POSIX; Windows has none in the filesystem). */
export const fifoMissing: Missing = probeDir((dir) => {
  try {
    execFileSync('mkfifo', [join(dir, 'p')], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'no mkfifo(1) / named pipes in the filesystem (Windows)';
  }
});

/** chmod 000 on a directory makes it unlistable (POSIX modes; Windows ignores them apart from read-only files). */
export const posixModesMissing: Missing = process.platform === 'win32' ? 'Windows ignores POSIX mode bits (chmod 000 does not make a directory unlistable)' : undefined;
