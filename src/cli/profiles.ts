/** `codex-sandbox profiles`: every name `--profile` accepts here, built-in and configured. */
import { ConfigError, UnknownProfileError, defaultProfileName, listProfiles, loadConfig, resolveDefaultProfile } from '../config/index.js';
import type { ProfileListing } from '../config/index.js';
import { FALLBACK_PROFILE } from './profile-arg.js';

export interface ProfilesFlags {
  json?: boolean;
  trustProjectConfig?: boolean;
}

export interface ProfilesReport {
  /** The profile `run` uses without --profile. */
  default: string;
  profiles: ProfileListing[];
  /** Configuration files that were read. */
  files: Record<string, string>;
  warnings: string[];
}

export function profilesReport(flags: ProfilesFlags, cwd: string, env: Record<string, string | undefined>): ProfilesReport {
  const loaded = loadConfig({ cwd, env, trustProjectConfig: flags.trustProjectConfig === true });
  const files: Record<string, string> = {};
  for (const [k, v] of Object.entries(loaded.files)) if (typeof v === 'string') files[k] = v;
  // What `run` would use: a default_profile the project bound refuses is replaced (with a warning).
  let def = defaultProfileName(loaded)?.name ?? FALLBACK_PROFILE;
  try {
    def = resolveDefaultProfile(loaded, { cwd, platform: process.platform === 'win32' ? 'win32' : process.platform === 'darwin' ? 'darwin' : 'linux' }).origin.name;
  } catch (e) {
    if (!(e instanceof ConfigError) && !(e instanceof UnknownProfileError)) throw e;
  }
  return {
    default: def,
    profiles: listProfiles(loaded),
    files,
    warnings: loaded.warnings,
  };
}

export function renderProfiles(r: ProfilesReport): string {
  const width = Math.max(...r.profiles.map((p) => p.name.length)) + 2;
  const lines = r.profiles.map((p) => {
    const mark = p.name === r.default ? '*' : ' ';
    const desc = p.description !== undefined ? `${p.description}` : '';
    const src = p.source === 'built-in' ? '(built-in)' : `(${p.source})`;
    return `${mark} ${p.name.padEnd(width)}${desc}${desc ? '  ' : ''}${src}`;
  });
  lines.push('', `* default: ${r.default}`, 'More: any FILE.json or FILE.toml holding a Codex profile or legacy SandboxPolicy.');
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n') + '\n';
}

export function profilesCommand(flags: ProfilesFlags): number {
  const report = profilesReport(flags, process.cwd(), process.env);
  process.stdout.write(flags.json === true ? JSON.stringify(report, null, 2) + '\n' : renderProfiles(report));
  return 0;
}
