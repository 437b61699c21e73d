/**
 * The launcher's status fd (`--status-fd N`, native/launcher/fail.h): when the sandbox cannot be set
 * up, the launcher (or its inner stage, through it) writes one record there and exits 125; the fd is
 * CLOEXEC and closed once the command starts, so nothing written means the command ran, and a
 * command's own exit 125 is told apart from a failed set-up.
 */
import { closeSync, readSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { SandboxSetupError } from '../errors.js';

const RECORD_TAG = 0x45; // 'E'

/** Decodes a status record; undefined when nothing was written (the command started). */
export function parseSetupRecord(bytes: Buffer): SandboxSetupError | undefined {
  if (bytes.length === 0) return undefined;
  if (bytes[0] !== RECORD_TAG) {
    return new SandboxSetupError('launcher', '', 0, 'the launcher wrote an unreadable set-up status (a mismatched launcher build? run `npm rebuild codex-sandbox`)');
  }
  const fields = bytes.subarray(1).toString('utf8').split('\0');
  const [step = '', path = '', errnoText = '0', message = ''] = fields;
  const errno = Number.parseInt(errnoText, 10);
  return new SandboxSetupError(step, path, Number.isFinite(errno) ? errno : 0, message !== '' ? message : step);
}

/**
 * Collects what the launcher writes on its status stream. The promise settles once the stream has
 * ended (the launcher exited or the command started).
 */
export function readSetupStatus(stream: Readable | null | undefined): Promise<SandboxSetupError | undefined> {
  if (!stream) return Promise.resolve(undefined);
  const chunks: Buffer[] = [];
  return new Promise((resolve) => {
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      resolve(parseSetupRecord(Buffer.concat(chunks)));
    };
    stream.on('data', (chunk: Buffer | string) => {
      if (chunks.length < 16) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk);
    });
    stream.once('end', finish);
    stream.once('close', finish);
    // A broken status stream cannot tell anything; the exit status still does.
    stream.once('error', finish);
  });
}

/** The launcher's exit code when it could not set up the sandbox (native/launcher/fail.h). */
const SETUP_FAILED_EXIT = 125;

/**
 * Reads what the launcher wrote on the caller's (non-blocking) end of its status socket, once the
 * launcher has exited (so every record is in the socket), and closes it. Nothing written, or a
 * read that would block, means the command started (or the launcher never did). A read that fails
 * otherwise (EBADF, EIO…) tells nothing: with the launcher's exit code 125 that is reported as a set-up
 * failure of its own, so an unreadable status never turns a sandbox that was not set up into "the
 * command exited 125"; with any other exit code the launcher got past set-up (it exits 125 on every
 * set-up failure), so the command ran.
 */
export function takeSetupStatus(fd: number, exitCode: number | undefined): SandboxSetupError | undefined {
  const chunks: Buffer[] = [];
  let unreadable: NodeJS.ErrnoException | undefined;
  try {
    for (let total = 0; total < 64 * 1024; ) {
      const chunk = Buffer.allocUnsafe(4096);
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
    }
  } catch (e) {
    // EAGAIN: nothing more to read now.
    if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') unreadable = e as NodeJS.ErrnoException;
  } finally {
    closeSync(fd);
  }
  const record = parseSetupRecord(Buffer.concat(chunks));
  if (record !== undefined || unreadable === undefined || exitCode !== SETUP_FAILED_EXIT) return record;
  const errno = Math.abs(unreadable.errno ?? 0);
  return new SandboxSetupError(
    "reading the launcher's set-up status",
    '',
    errno,
    `the launcher exited ${SETUP_FAILED_EXIT} and its set-up status (fd ${fd}) could not be read (${unreadable.code ?? 'error'}: ${unreadable.message}); ` +
      'treat the sandbox as not set up — nothing is known to have run. Run `codex-sandbox doctor`, and report this if it repeats',
  );
}
