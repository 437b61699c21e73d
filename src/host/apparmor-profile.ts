/**
 * Which AppArmor profile file names a binary's path (for doctor's explanation of why the system bwrap is
 * preferred; the decision itself rests on the world-readable sysctl, see bwrap-select.ts systemAdvantage).
 *
 * Ubuntu attaches its userns exemption by path: `profile bwrap /usr/bin/bwrap flags=(unconfined) { userns, }`
 * in /etc/apparmor.d/bwrap-userns-restrict (apparmor 4.0; Ubuntu 24.04 ships it under
 * /usr/share/apparmor/extra-profiles until installed). A file here may not be loaded, so this is a hint only.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Whether profile text `text` attaches a profile to `binPath` (`profile NAME /path ...{` or `/path ...{`). */
export function profileAttachesTo(text: string, binPath: string): boolean {
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#')) continue;
    const words = line.split(/\s+/);
    const attach = words[0] === 'profile' ? words[2] : words[0];
    if (attach === binPath && line.includes('{')) return true;
  }
  return false;
}

const MAX_PROFILE_BYTES = 256 * 1024;

/** The first regular file in `dir` (default /etc/apparmor.d, top level only) whose profile attaches to `binPath`. */
export function apparmorProfileFor(binPath: string, dir = '/etc/apparmor.d'): string | undefined {
  let names: string[];
  try {
    names = fs.readdirSync(dir).sort();
  } catch {
    return undefined;
  }
  for (const name of names) {
    const file = path.join(dir, name);
    try {
      const st = fs.statSync(file);
      if (!st.isFile() || st.size > MAX_PROFILE_BYTES) continue;
      if (profileAttachesTo(fs.readFileSync(file, 'utf8'), binPath)) return file;
    } catch {
      continue;
    }
  }
  return undefined;
}
