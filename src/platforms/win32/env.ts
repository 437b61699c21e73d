/**
 * Environment rewrites for the Windows unelevated launch (Codex codex-rs/windows-sandbox-rs/src/env.rs):
 * Unix-isms fixed up, and
 * the env-only offline shim when the network is restricted. Windows variable names are
 * case-insensitive, so every lookup here goes through `findKey`.
 */
import path from 'node:path';

const win = path.win32;

/** The proxy address the offline shim points at: port 9 (discard) on loopback never answers. */
export const OFFLINE_PROXY = 'http://127.0.0.1:9';
export const DENY_BIN_DIR_NAME = '.sbx-denybin';
export const DENY_BIN_STUBS = ['ssh.bat', 'ssh.cmd', 'scp.bat', 'scp.cmd'];
/** Text of every stub: fail like a missing network would. */
export const DENY_BIN_STUB_TEXT = '@echo off\r\necho network access is disabled in this sandbox 1>&2\r\nexit /b 1\r\n';
const DEFAULT_PATHEXT = '.COM;.EXE;.BAT;.CMD;.VBS;.VBE;.JS;.JSE;.WSF;.WSH;.MSC';

function findKey(env: Record<string, string>, name: string): string | undefined {
  const lower = name.toLowerCase();
  return Object.keys(env).find((k) => k.toLowerCase() === lower);
}

/** Sets `name`, replacing any differently-cased spelling so the child sees exactly one. */
function setVar(env: Record<string, string>, name: string, value: string): void {
  const existing = findKey(env, name);
  if (existing !== undefined && existing !== name) delete env[existing];
  env[name] = value;
}

function getVar(env: Record<string, string>, name: string): string | undefined {
  const k = findKey(env, name);
  return k === undefined ? undefined : env[k];
}

/** `/dev/null` → `NUL`; pagers that Windows lacks → `more.com`; `LESS` emptied. */
export function applyWindowsEnvFixups(env: Record<string, string>): void {
  for (const [k, v] of Object.entries(env)) if (v === '/dev/null') env[k] = 'NUL';
  for (const name of ['GIT_PAGER', 'PAGER']) setVar(env, name, 'more.com');
  setVar(env, 'LESS', '');
}

/**
 * The env-only offline shim. Advisory only: a program that opens sockets itself still reaches the
 * network — the unelevated backend has no OS-level network block.
 */
export function applyOfflineShim(env: Record<string, string>, denyBinDir: string | undefined): void {
  setVar(env, 'SBX_NONET_ACTIVE', '1');
  for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'GIT_HTTP_PROXY', 'GIT_HTTPS_PROXY']) setVar(env, name, OFFLINE_PROXY);
  setVar(env, 'NO_PROXY', 'localhost,127.0.0.1,::1');
  setVar(env, 'PIP_NO_INDEX', '1');
  setVar(env, 'PIP_DISABLE_PIP_VERSION_CHECK', '1');
  setVar(env, 'NPM_CONFIG_OFFLINE', 'true');
  setVar(env, 'CARGO_NET_OFFLINE', 'true');
  setVar(env, 'GIT_SSH_COMMAND', 'cmd /c exit 1');
  setVar(env, 'GIT_ALLOW_PROTOCOLS', '');
  if (denyBinDir !== undefined) {
    const pathKey = findKey(env, 'PATH') ?? 'PATH';
    const current = env[pathKey] ?? '';
    env[pathKey] = current === '' ? denyBinDir : `${denyBinDir};${current}`;
    // The stubs are .bat/.cmd: they must win over a real ssh.exe found in the same lookup.
    const exts = (getVar(env, 'PATHEXT') ?? DEFAULT_PATHEXT).split(';').filter((e) => e !== '');
    const front = ['.BAT', '.CMD'];
    const rest = exts.filter((e) => !front.includes(e.toUpperCase()));
    setVar(env, 'PATHEXT', [...front, ...rest].join(';'));
  }
}

/** `<home>\.sbx-denybin`, or undefined when no home directory is known. */
export function denyBinDirFor(home: string | undefined): string | undefined {
  return home === undefined || home === '' ? undefined : win.join(home, DENY_BIN_DIR_NAME);
}

/**
 * Environment block entries for CreateProcess: `NAME=value`, sorted case-insensitively by name as
 * Windows requires. Names containing `=` or NUL, and values containing NUL, cannot be represented.
 */
export function environmentBlockEntries(env: Record<string, string>): string[] {
  const names = Object.keys(env).sort((a, b) => {
    const x = a.toUpperCase();
    const y = b.toUpperCase();
    return x < y ? -1 : x > y ? 1 : 0;
  });
  const out: string[] = [];
  for (const n of names) {
    const v = env[n] ?? '';
    if (n === '' || n.includes('=') || n.includes('\0') || v.includes('\0')) {
      throw new Error(`environment variable ${JSON.stringify(n)} cannot be passed to a Windows process (name contains '=' or NUL, or value contains NUL); remove it from the environment`);
    }
    out.push(`${n}=${v}`);
  }
  return out;
}
