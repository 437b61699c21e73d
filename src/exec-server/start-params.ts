/**
 * `process/start` params (Codex `ExecParams`) and the `sandbox` field (Codex
 * `FileSystemSandboxContext`, codex-rs/file-system/src/lib.rs), decoded into what Sandbox.plan takes.
 */
import { PathUri, PathUriError } from '../path-uri/index.js';
import type { Platform } from '../path-uri/index.js';
import { parsePermissionProfile } from '../permissions/index.js';
import type { PermissionProfile } from '../permissions/index.js';
import type { EnvPolicy } from '../contracts/index.js';
import { invalidParams } from './jsonrpc.js';
import { Fields } from './params.js';

export interface SandboxRequest {
  profile: PermissionProfile;
  /** `workspaceRoots`: what `:project_roots` means (absent or empty grants nothing, as in Codex). */
  projectRoots: PathUri[];
  /** `sandbox.cwd` when given (checked native); the policy is planned against the process cwd. */
  cwd: PathUri | undefined;
}

export interface StartParams {
  processId: string;
  argv: string[];
  cwd: PathUri;
  env: Record<string, string>;
  envPolicy: EnvPolicy | undefined;
  tty: boolean;
  pipeStdin: boolean;
  arg0: string | undefined;
  sandbox: SandboxRequest | undefined;
}

/**
 * Removed from every child environment (Codex process env post-processing): credentials of the
 * exec-server itself must not reach the commands it runs.
 */
export const NON_INHERITABLE_ENV = [
  'CODEX_EXEC_SERVER_EXIT_ON_STDIN_CLOSE',
  'CODEX_EXEC_SERVER_NOISE_AUTH_TOKEN',
  'NODE_REPL_AUTH_TOKEN',
  'OPENAI_FEDERATION_RULE_ID',
  'OPENAI_IDENTITY_TOKEN_FILE',
  'OPENAI_WORKLOAD_IDENTITY_CONTEXT',
] as const;

function isNonInheritable(name: string): boolean {
  const upper = name.toUpperCase();
  return NON_INHERITABLE_ENV.some((n) => n === upper);
}

export function withoutNonInheritable(env: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (!isNonInheritable(k)) out[k] = v;
  return out;
}

/**
 * Parses a `file:` PathUri that must be native to this host: a text that is no PathUri → -32602 with
 * serde's words; a PathUri of another host → the error `nonNative` makes of the reason.
 */
export function parseNativeUri(text: string, platform: Platform, nonNative: (detail: string) => Error): PathUri {
  let uri: PathUri;
  try {
    uri = PathUri.parse(text);
  } catch (e) {
    throw invalidParams(uriErrorText(e, text));
  }
  try {
    uri.toAbsPath({ platform });
  } catch (e) {
    throw nonNative(e instanceof PathUriError ? e.message : String(e));
  }
  return uri;
}

/** A `file:` PathUri that must be native here; `what` names it in Codex's words. */
function nativeUri(text: string, what: string, platform: Platform): PathUri {
  return parseNativeUri(text, platform, (detail) => {
    const why = /^'.*' is invalid on '[a-z0-9]+'/.exec(detail)?.[0] ?? detail;
    return invalidParams(`${what} URI \`${text}\` is not valid on this exec-server host: ${why}`);
  });
}

/** Codex's serde texts for the commonest PathUri mistakes (codex-cli 0.171.0); others keep ours. */
export function uriErrorText(e: unknown, text: string): string {
  if (!(e instanceof PathUriError)) return String(e);
  if (e.code === 'InvalidUri' && !/^[a-z][a-z0-9+.-]*:/i.test(text)) return 'invalid URI: relative URL without a base';
  if (e.code === 'UnsupportedScheme') {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(text)?.[1] ?? '';
    return `unsupported path URI scheme \`${scheme.toLowerCase()}\``;
  }
  if (e.code === 'QueryNotAllowed') return 'query parameters are not allowed in path URIs';
  return e.message;
}

/** Parses a PathUri for the cwd; its nativeness is checked by Sandbox.plan (SandboxManager.transform). */
function parseUri(text: string): PathUri {
  try {
    return PathUri.parse(text);
  } catch (e) {
    throw invalidParams(uriErrorText(e, text));
  }
}

function decodeEnvPolicy(raw: unknown): EnvPolicy | undefined {
  if (raw === undefined) return undefined;
  const f = Fields.of(raw, 'ExecEnvPolicy');
  const policy: EnvPolicy = { inherit: f.enumValue('inherit', ['core', 'all', 'none'] as const) };
  const ignore = f.optBool('ignoreDefaultExcludes');
  if (ignore !== undefined) policy.ignoreDefaultExcludes = ignore;
  const exclude = f.optStringArray('exclude');
  if (exclude !== undefined) policy.exclude = exclude;
  const includeOnly = f.optStringArray('includeOnly');
  if (includeOnly !== undefined) policy.includeOnly = includeOnly;
  const set = f.optStringMap('set');
  if (set !== undefined) policy.set = set;
  return policy;
}

/**
 * What `process/start` and `fs/*` read alike from a FileSystemSandboxContext: the Windows knobs
 * (checked, unused here) and the embedded profile, whose wire form `toProfileWire` may adapt first.
 */
export function decodeContextProfile(raw: unknown, toProfileWire: (permissions: unknown) => unknown = (p) => p): { f: Fields; permissions: unknown; profile: PermissionProfile } {
  const f = Fields.of(raw, 'FileSystemSandboxContext');
  const permissions = f.rawRequired('permissions');
  f.enumValue('windowsSandboxLevel', ['disabled', 'restricted-token', 'elevated', 'mxc'] as const);
  if (f.optRaw('windowsSandboxProxySettingsMode') !== undefined) f.enumValue('windowsSandboxProxySettingsMode', ['reconcile', 'preserve'] as const);
  f.optBool('windowsSandboxPrivateDesktop');
  f.optBool('useLegacyLandlock');
  try {
    return { f, permissions, profile: parsePermissionProfile(toProfileWire(permissions)) };
  } catch (e) {
    throw invalidParams(`invalid sandbox permissions: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function decodeSandbox(raw: unknown, platform: Platform): SandboxRequest | undefined {
  if (raw === undefined) return undefined;
  const { f, profile } = decodeContextProfile(raw);
  const cwdText = f.optString('cwd');
  const cwd = cwdText === undefined ? undefined : nativeUri(cwdText, 'sandbox cwd', platform);
  const roots = (f.optStringArray('workspaceRoots') ?? []).map((r) => nativeUri(r, 'sandbox workspace root', platform));
  return { profile, projectRoots: roots, cwd };
}

/** Decodes and checks `process/start` params (-32602 with serde-like messages). */
export function decodeStartParams(params: unknown, platform: Platform): StartParams {
  const f = Fields.of(params, 'ExecParams');
  const processId = f.string('processId');
  const argv = f.stringArray('argv');
  const cwdText = f.string('cwd');
  const env = f.stringMap('env');
  const envPolicy = decodeEnvPolicy(f.optRaw('envPolicy'));
  const tty = f.bool('tty');
  const pipeStdin = f.optBool('pipeStdin') ?? false;
  const arg0 = f.optString('arg0');
  const sandbox = decodeSandbox(f.optRaw('sandbox'), platform);
  // Fail closed on what this executor does not implement rather than run without it.
  if (f.optBool('enforceManagedNetwork') === true || f.optRaw('managedNetwork') !== undefined || f.optRaw('networkProxy') !== undefined) {
    throw invalidParams('managed network is not supported by this exec-server (omit managedNetwork, networkProxy and enforceManagedNetwork)');
  }
  if (f.optRaw('shellSnapshot') !== undefined) throw invalidParams('shell snapshots are unsupported on this exec-server');
  if (argv.length === 0) throw invalidParams('argv must not be empty');
  const cwd = parseUri(cwdText);
  return { processId, argv, cwd, env: withoutNonInheritable(env), envPolicy, tty, pipeStdin, arg0, sandbox };
}
