/**
 * The bundled bwrap, copied once per process into a memfd sealed against every change and checked
 * against the digest compiled into the native build (the addon's sealedBundledBwrap,
 * native/linux/spawn.cc); each Linux launch then passes that fd to the launcher
 * (`--sealed-bwrap-fd`), which execs it instead of hashing the 1 MB file on disk again
 * (native/launcher/exec_program.cc take_sealed_bwrap_fd: it refuses any fd without the seals).
 *
 * Why this is as strong as hashing on every launch: the launcher hashes so that a bwrap replaced on
 * disk (by a sandboxed command that can write where the package lives) never runs outside the
 * sandbox. Here the bytes are hashed after F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL
 * are set, and seals belong to the memfd itself: no fd or mapping of it, reopened or inherited, can
 * change them afterwards (memfd_create(2), fcntl(2) "File Sealing"). The copy lives in this process
 * only (O_CLOEXEC; the launcher makes its copy CLOEXEC and bwrap runs from it by execveat), and a
 * copy whose digest does not match is never made: the launcher then hashes the file itself and
 * refuses it with its own message, as before.
 */
import { fstatSync, readFileSync } from 'node:fs';
import { loadNative } from '../native.js';

/** A sealed, checked copy: its fd and the memfd's identity (to notice the fd number closed and reused). */
interface Copy {
  fd: number;
  dev: number;
  ino: number;
}

/** bwrap path → its sealed, checked copy (undefined: none could be made; use the file). */
const copies = new Map<string, Copy | undefined>();

/** True while fd is still the memfd that was checked (no one closed it and got its number for another file). */
function stillOurs(copy: Copy): boolean {
  try {
    const st = fstatSync(copy.fd);
    return st.dev === copy.dev && st.ino === copy.ino;
  } catch {
    return false;
  }
}

function sysctl(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * Why a bwrap run from a memfd would not work here: vm.memfd_noexec = 2 (Linux 6.3) refuses to
 * execute any memfd; and where AppArmor restricts unprivileged user namespaces (Ubuntu 23.10+), only
 * a profile attached to bwrap's path lets it make one — a memfd has no such path
 * (docs/troubleshooting.md; openai/codex issue #14919).
 */
function memfdBwrapWouldFail(): boolean {
  if (sysctl('/proc/sys/vm/memfd_noexec') === '2') return true;
  return process.getuid?.() !== 0 && sysctl('/proc/sys/kernel/apparmor_restrict_unprivileged_userns') === '1';
}

function makeCopy(bwrapPath: string): Copy | undefined {
  const sealed = loadNative().sealedBundledBwrap;
  if (!sealed || memfdBwrapWouldFail()) return undefined;
  try {
    // null: a development build (no digest: the launcher execs the file as it is) or other bytes.
    const fd = sealed(bwrapPath);
    if (fd === null) return undefined;
    const st = fstatSync(fd);
    return { fd, dev: st.dev, ino: st.ino };
  } catch {
    return undefined;
  }
}

/**
 * The fd of a sealed copy of the bundled bwrap at `bwrapPath` whose bytes match the native build's
 * digest (made on first use, kept for the process), or undefined: then the launcher opens and
 * hashes the file as it always did. Linux builds only, and only with CODEX_SANDBOX_SEALED_BWRAP=1:
 * bwrap run from a memfd is visibly different — its name is "memfd:bwrap" (comm, Linux 6.14+), its
 * /proc/PID/exe "/memfd:bwrap (deleted)", which host security monitors report as fileless
 * execution, and an AppArmor profile attached to the bundled bwrap's path no longer applies to it.
 */
export function sealedBwrapFd(bwrapPath: string): number | undefined {
  if (process.platform !== 'linux' || process.env.CODEX_SANDBOX_SEALED_BWRAP !== '1') return undefined;
  if (copies.has(bwrapPath)) {
    const copy = copies.get(bwrapPath);
    // Some code of this process closed the fd (its number may now be another file's): a new copy.
    if (copy === undefined || stillOurs(copy)) return copy?.fd;
  }
  const copy = makeCopy(bwrapPath);
  copies.set(bwrapPath, copy);
  return copy?.fd;
}
