/** Host platforms and the path conventions they use (Codex `PathConvention`). */

export type Platform = 'linux' | 'darwin' | 'win32';
export type PathConvention = 'posix' | 'windows';

/** The path convention native to a platform. */
export function conventionOf(platform: Platform): PathConvention {
  return platform === 'win32' ? 'windows' : 'posix';
}
