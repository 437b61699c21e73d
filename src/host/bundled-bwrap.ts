/**
 * The bundled bubblewrap: built by vendor/bubblewrap/build.sh from pinned, SHA-256-checked Debian
 * sources, shipped next to the addon, and verified by the native launcher (`--bwrap-verified`)
 * through the same open fd it then executes. This module only describes it and re-checks the
 * digest for `doctor`; it never executes it when a digest is known.
 */
import { SandboxError } from '../errors.js';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProbedBwrap, ProbeOptions } from './bwrap-help.js';
import { nodeCrypto } from '../util/node-crypto.js';


/** The digest a development build embeds (build.sh could not build a bwrap): verification is skipped. */
export const NULL_SHA256 = '0'.repeat(64);

export class BundledBwrapError extends SandboxError {
  constructor(message: string) {
    super('BundledBwrap', message);
    this.name = 'BundledBwrapError';
  }
}

/**
 * The launcher's compiled-in digest → lower-case hex, or undefined for a development build
 * (missing, empty or all zeros). Anything else malformed is an error: a broken build must not
 * silently turn verification off.
 */
export function normaliseEmbeddedDigest(raw: string | null | undefined): string | undefined {
  if (raw === null || raw === undefined || raw === '') return undefined;
  const hex = raw.trim().toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new BundledBwrapError(
      `the native build embeds a malformed bubblewrap digest "${raw}" (expected 64 hex digits); rebuild the native addon (npm run build:native)`,
    );
  }
  return hex === NULL_SHA256 ? undefined : hex;
}

/** SHA-256 of a file, hex. */
export function sha256File(filePath: string): string {
  const hash = nodeCrypto().createHash('sha256');
  // Node opens every fd with O_CLOEXEC (libuv), so it cannot leak into a spawned sandbox.
  const fd = fs.openSync(filePath, 'r');
  try {
    const buf = Buffer.allocUnsafe(64 * 1024);
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

/** The launcher's refusal text (exit 125); kept identical so doctor and the launcher say the same thing. */
export function digestMismatchMessage(filePath: string, expected: string, actual: string): string {
  return `codex-sandbox: bundled bubblewrap digest mismatch for ${filePath}: expected sha256:${expected}, got sha256:${actual}`;
}

export type DigestCheck =
  | { status: 'verified'; path: string; sha256: string }
  | { status: 'mismatch'; path: string; expected: string; actual: string; message: string }
  | { status: 'development-build'; path: string | undefined; message: string }
  | { status: 'missing'; path: string | undefined; message: string };

/**
 * Re-check the bundled binary against the embedded digest (for `doctor`; the launcher does the
 * check that matters, at exec time, on the fd it executes).
 */
export function checkBundledDigest(filePath: string | undefined, expected: string | undefined): DigestCheck {
  if (filePath === undefined || !fs.existsSync(filePath)) {
    return {
      status: 'missing',
      path: filePath,
      message: 'no bundled bwrap in this installation (vendor/bubblewrap/build.sh did not produce one)',
    };
  }
  if (expected === undefined) {
    return {
      status: 'development-build',
      path: filePath,
      message: `development build: ${filePath} is not digest-verified (the native build embeds no bubblewrap digest)`,
    };
  }
  const actual = sha256File(filePath);
  if (actual !== expected) {
    return { status: 'mismatch', path: filePath, expected, actual, message: digestMismatchMessage(filePath, expected, actual) };
  }
  return { status: 'verified', path: filePath, sha256: actual };
}

export interface BwrapRecipe {
  upstreamVersion: string;
  debianVersion: string;
  suite: string;
}

let recipeCache: { value: BwrapRecipe | undefined } | undefined;

/** vendor/bubblewrap/recipe.json of this package (found by walking up from this module), or undefined. */
export function readBwrapRecipe(): BwrapRecipe | undefined {
  if (recipeCache !== undefined) return recipeCache.value;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  let value: BwrapRecipe | undefined;
  for (let i = 0; i < 8; i++) {
    const candidate = path.join(dir, 'vendor', 'bubblewrap', 'recipe.json');
    if (fs.existsSync(candidate)) {
      try {
        const raw = JSON.parse(fs.readFileSync(candidate, 'utf8')) as {
          upstream?: { version?: unknown };
          debian?: { version?: unknown; suite?: unknown };
        };
        if (typeof raw.upstream?.version === 'string') {
          value = {
            upstreamVersion: raw.upstream.version,
            debianVersion: typeof raw.debian?.version === 'string' ? raw.debian.version : '',
            suite: typeof raw.debian?.suite === 'string' ? raw.debian.suite : '',
          };
        }
      } catch {
        value = undefined;
      }
      break;
    }
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  recipeCache = { value };
  return value;
}

/**
 * Describe the bundled binary at `binPath`.
 *
 * With a digest, it is not run: probing would execute bytes before the launcher verified them, and
 * build.sh already refused to produce a binary whose --help lacks --argv0, --perms, --as-pid-1, --disable-userns or
 * --ro-bind-fd, so a binary that passes the launcher's digest check has them. Without a digest
 * (development build) it is probed like any other binary.
 */
export function bundledBwrapInfo(
  binPath: string,
  expectedSha256: string | undefined,
  probe: (p: string, o: ProbeOptions) => ProbedBwrap,
): ProbedBwrap {
  let st: fs.Stats;
  let real: string;
  try {
    real = fs.realpathSync(binPath);
    st = fs.statSync(real);
  } catch (e) {
    throw new BundledBwrapError(`bundled bwrap ${binPath} is missing: ${(e as Error).message}`);
  }
  if (!st.isFile() || (st.mode & 0o111) === 0) {
    throw new BundledBwrapError(`bundled bwrap ${binPath} is not an executable regular file`);
  }
  if (expectedSha256 === undefined) {
    return probe(real, { source: 'bundled', expectedSha256: undefined });
  }
  return {
    path: real,
    source: 'bundled',
    version: readBwrapRecipe()?.upstreamVersion,
    argv0: true,
    perms: true,
    roBindFd: true,
    disableUserns: true,
    setuid: (st.mode & 0o4000) !== 0 && st.uid === 0,
    expectedSha256,
  };
}
