/**
 * The refusal report: after a sandboxed command failed, which accesses the sandbox refused, read from
 * the command's own error output and CONFIRMED against the plan before anything is said.
 *
 * Evidence: the kernel's answer as the command printed it ("Read-only file system", EACCES, "Network is
 * unreachable", EAI_AGAIN...) with the path or host next to it. The command is hostile and may print
 * anything, so a line only says "the command says this was refused": a path is reported only when the plan
 * really leaves it unwritable (planWriteVerdict), a host only when the plan really has no network, and the
 * report is text for people — it never changes a plan. Codex's own detector stops at keywords
 * (codex-rs/sandboxing/src/denial.rs, is_likely_sandbox_denied); this adds the path and the option.
 */
import path from 'node:path';
import type { LaunchRequest, NetworkRefusal, Refusal, WriteRefusal } from '../contracts/index.js';
import { planWriteVerdict, suggestedWritableRoot } from '../permissions/write-check.js';

/** Only the end of the error output is read (the refusal that ended the command is there). */
export const REFUSAL_SCAN_BYTES = 64 * 1024;
/** At most this many refusals are reported per command. */
export const MAX_REFUSALS = 20;
const MAX_LINE = 4096;

/**
 * Only EROFS: in the sandbox a write outside the writable roots meets a read-only bind, and the kernel
 * answers EROFS before any mode check (sb_permission in fs/namei.c). EACCES/EPERM also come from running a
 * file that is not executable or reading a denied one, where "allow with -w" would be false advice.
 */
const WRITE_ERROR = /read-only file system|\bEROFS\b/i;
const NETWORK_ERROR =
  /network is unreachable|\bENETUNREACH\b|temporary failure in name resolution|\bEAI_AGAIN\b|\bENOTFOUND\b|could not resolve host|name or service not known|unable to resolve host|\bconnect EPERM\b|failed to connect to \S+ port/i;
/**
 * With the network off, seccomp refuses inet sockets with EPERM (src/platforms/linux/seccomp.ts; Codex
 * linux-sandbox's seccomp filter) and DNS has no server: node says `connect EPERM`, curl `Failed to
 * connect` / `Could not resolve host`, glibc `Temporary failure in name resolution`. HOST_PATTERNS:
 * where common tools put the host in such an error (node, curl, wget, python's urllib3).
 */
const HOST_PATTERNS: readonly RegExp[] = [
  /getaddrinfo (?:EAI_AGAIN|ENOTFOUND) ([^\s'",)]+)/,
  /connect (?:ENETUNREACH|EPERM) ([^\s'",)]+)/,
  /Could not resolve host: ([^\s'",)]+)/,
  /Failed to connect to ([^\s'",)]+) port (\d+)/,
  /unable to resolve host address [‘'"]([^’'"\s]+)/,
  /host='([^'\s]+)'/,
];
const HOST_TEXT = /^[A-Za-z0-9._:[\]-]{1,260}$/;
/** Quoted ('x' ‘x’ "x" `x') or bare absolute paths: how coreutils, shells, node and python name the path. */
const PATH_CANDIDATES = /'(\/[^']*)'|‘(\/[^’]*)’|"(\/[^"]*)"|`(\/[^'`]*)'|(?:^|[\s(=])(\/[^\s:'"`,;()]*)/g;

export interface RefusalScanInput {
  /** The end of the command's stderr (at most REFUSAL_SCAN_BYTES are read). */
  stderr: string | Uint8Array | readonly string[] | undefined;
  exitCode: number | null | undefined;
  signal?: string | null | undefined;
  /** The caller's home (suggested writable roots under it are its first component: `~/.npm`). */
  home?: string | undefined;
  /** The command's working directory: a path it names relatively is taken from there (absolute). */
  cwd?: string | undefined;
}

/** execa's result or error (both carry stderr, exitCode and signal) as the refusal scan wants it. */
export function execaEvidence(r: unknown): Omit<RefusalScanInput, 'home' | 'cwd'> {
  const o = (typeof r === 'object' && r !== null ? r : {}) as { stderr?: unknown; exitCode?: unknown; signal?: unknown };
  const stderr = typeof o.stderr === 'string' || o.stderr instanceof Uint8Array ? o.stderr : Array.isArray(o.stderr) ? o.stderr.filter((l): l is string => typeof l === 'string') : undefined;
  return {
    stderr,
    exitCode: typeof o.exitCode === 'number' ? o.exitCode : null,
    signal: typeof o.signal === 'string' ? o.signal : null,
  };
}

/** The stderr text's last REFUSAL_SCAN_BYTES as a string (execa gives a string, bytes or lines). */
export function tailText(stderr: RefusalScanInput['stderr']): string {
  if (stderr === undefined) return '';
  if (typeof stderr === 'string') return stderr.length > REFUSAL_SCAN_BYTES ? stderr.slice(-REFUSAL_SCAN_BYTES) : stderr;
  if (stderr instanceof Uint8Array) return Buffer.from(stderr.subarray(Math.max(0, stderr.length - REFUSAL_SCAN_BYTES))).toString('utf8');
  return tailText(stderr.join('\n'));
}

/** A path as printed, if it can be one the plan speaks about: absolute, no control characters, bounded. */
function cleanPath(raw: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  if (raw.length < 2 || raw.length > MAX_LINE || /[\u0000-\u001f\u007f]/.test(raw)) return undefined;
  const p = path.normalize(raw);
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

/**
 * Relative paths, only in the forms that name the refused file (an error object's `code: 'EROFS'` names
 * none): coreutils `cannot touch 'x'`, dash `cannot create x:`, shells `x: Read-only file system`,
 * python `Read-only file system: 'x'`, node `EROFS: read-only file system, open 'x'`.
 */
const RELATIVE_FORMS: readonly RegExp[] = [
  /cannot [a-z ]+?['‘"`]([^'’"`/\s][^'’"`]*)['’"]/g,
  /cannot create ([^\s:'"/][^\s:]*): /g,
  /(?:^|\s)([^\s:'"/][^\s:]*): Read-only file system/g,
  /file system: '([^'/][^']*)'/g,
  /\bEROFS: [^,]+, [a-z]+ '([^'/][^']*)'/g,
];

/** The relative paths a line names as the refused one, made absolute against `cwd`. */
function relativePathsIn(line: string, errorAt: number, cwd: string | undefined): Array<{ p: string; distance: number }> {
  if (cwd === undefined || !path.isAbsolute(cwd)) return [];
  const out: Array<{ p: string; distance: number }> = [];
  for (const re of RELATIVE_FORMS) {
    for (const m of line.matchAll(re)) {
      const rel = m[1];
      const abs = rel !== undefined ? cleanPath(path.resolve(cwd, rel)) : undefined;
      // eslint-disable-next-line no-control-regex
      if (abs !== undefined && rel !== undefined && !/[\u0000-\u001f\u007f]/.test(rel)) out.push({ p: abs, distance: Math.abs(errorAt - (m.index + m[0].length)) });
    }
  }
  return out;
}

/** The paths a line names (absolute, or relative in a known form and made absolute), nearest to the error text first. */
function pathsIn(line: string, errorAt: number, cwd?: string): string[] {
  const found: Array<{ p: string; distance: number }> = [];
  for (const m of line.matchAll(PATH_CANDIDATES)) {
    const raw = m.slice(1).find((g) => g !== undefined);
    const p = raw !== undefined ? cleanPath(raw) : undefined;
    // `/bin/sh: 1: cannot create x: Read-only file system`: a path opening the line is the program that speaks.
    const speaker = m.index === 0 && line[m[0].length] === ':';
    if (p !== undefined && p !== '/' && !speaker) found.push({ p, distance: Math.abs(errorAt - (m.index + m[0].length)) });
  }
  found.push(...relativePathsIn(line, errorAt, cwd));
  return found.sort((a, b) => a.distance - b.distance).map((f) => f.p);
}

function hostIn(line: string): string | undefined {
  for (const re of HOST_PATTERNS) {
    const m = re.exec(line);
    if (!m?.[1]) continue;
    const host = m[2] !== undefined ? `${m[1]}:${m[2]}` : m[1];
    if (HOST_TEXT.test(host)) return host;
  }
  return undefined;
}

function writeRefusal(p: string, req: LaunchRequest, home: string | undefined): WriteRefusal | undefined {
  const verdict = planWriteVerdict(req.permissions.fileSystem, p);
  // The plan allows this write: whatever refused it (file modes, a full disk) is not the sandbox.
  if (verdict.writable || verdict.reason === undefined) return undefined;
  if (verdict.reason === 'read-only') {
    const root = suggestedWritableRoot(p, home);
    return { kind: 'write', path: p, reason: 'read-only', allowWritableRoot: root, message: `blocked write: ${p} (read-only; allow with writableRoots: [${JSON.stringify(root)}])` };
  }
  // No option is suggested for protected metadata or deny-read paths: the command's own output must not
  // talk the caller into opening .git/.codex or a secret to it.
  const why = verdict.reason === 'protected' ? `protected: ${verdict.protectedPath ?? p} stays read-only inside writable roots` : 'under a deny-read path';
  return { kind: 'write', path: p, reason: verdict.reason, message: `blocked write: ${p} (${why})` };
}

/**
 * The refusals a failed command's error output shows and the plan confirms; [] when it exited 0, when
 * nothing was sandboxed, or when nothing matches. Pure: text and plan in, data out.
 */
export function findRefusals(req: LaunchRequest, input: RefusalScanInput): Refusal[] {
  if (req.kind === 'none') return [];
  if (input.exitCode === 0 && (input.signal === undefined || input.signal === null)) return [];
  const text = tailText(input.stderr);
  if (text === '') return [];
  const networkOff = req.permissions.network === 'restricted';
  // With an allow list the plan sets the proxy variables and not CODEX_SANDBOX_NETWORK_DISABLED (src/env/proxy-env.ts,
  // src/manager/transform.ts): a network error then means the client went around the proxy (its own DNS,
  // a direct connect; Node's http module before v24.5 ignores HTTP(S)_PROXY), not that the network is off.
  const proxied = req.env['CODEX_SANDBOX_NETWORK_PROXY'] !== undefined && req.env['CODEX_SANDBOX_NETWORK_DISABLED'] === undefined;
  const netRefusal = (host: string | undefined): NetworkRefusal =>
    proxied
      ? {
          kind: 'network',
          ...(host !== undefined ? { host } : {}),
          bypassedProxy: true,
          message: `blocked network${host !== undefined ? `: ${host}` : ''} (only the filtering proxy ${req.env['CODEX_SANDBOX_NETWORK_PROXY'] ?? ''} reaches the network and this client did not use it; it must honour HTTPS_PROXY/ALL_PROXY, which Node's http and https modules before v24.5 do not)`,
        }
      : { kind: 'network', ...(host !== undefined ? { host } : {}), message: `blocked network${host !== undefined ? `: ${host}` : ''} (network is off; allow it with network: true)` };
  const writes = new Map<string, WriteRefusal>();
  const hosts = new Map<string, NetworkRefusal>();
  let anonymousNetwork = false;
  for (const full of text.split('\n')) {
    if (writes.size + hosts.size >= MAX_REFUSALS) break;
    const line = full.length > MAX_LINE ? full.slice(0, MAX_LINE) : full;
    // A network error names a socket, not a file to write (`connect EPERM /var/run/docker.sock`).
    const network = NETWORK_ERROR.test(line);
    const error = network ? null : WRITE_ERROR.exec(line);
    if (error) {
      // One refusal per line: the unwritable path nearest the error ("/bin/sh: 1: cannot create /usr/x:
      // Read-only file system" names the shell too).
      for (const p of pathsIn(line, error.index, input.cwd)) {
        const r = writes.get(p) ?? writeRefusal(p, req, input.home);
        if (!r) continue;
        writes.set(p, r);
        break;
      }
    }
    if (networkOff && network) {
      const host = hostIn(line);
      if (host === undefined) anonymousNetwork = true;
      else if (!hosts.has(host)) hosts.set(host, netRefusal(host));
    }
  }
  const out: Refusal[] = [...writes.values(), ...hosts.values()];
  if (anonymousNetwork && hosts.size === 0) out.push(netRefusal(undefined));
  return out.slice(0, MAX_REFUSALS);
}
