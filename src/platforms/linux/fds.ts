/**
 * The fd numbers the Linux plan and the native launcher agree on. The launcher places exactly these
 * fds (and closes every other inherited one) before it execs bwrap; bwrap consumes and closes each.
 */
export const SECCOMP_FD = 3;
export const INFO_FD = 4;
/**
 * Write end of the launcher's "started" pipe (`--started-pipe`). bwrap lets it through to the inner
 * stage (`--inner --started-fd`), which writes one byte and closes it just before exec'ing the
 * command, so the launcher can tell a sandbox that failed to start (exit 125) from the command's status.
 */
export const STARTED_FD = 5;
/** First fd for /dev/null opens consumed by `--ro-bind-data FD PATH` (one per use). */
export const FIRST_DEVNULL_FD = 6;
/** Glob expansion defaults (reference §4.6.2): depth when the profile gives none, and the match cap. */
export const DEFAULT_GLOB_SCAN_MAX_DEPTH = 16;
export const MAX_GLOB_MATCHES = 8192;
/** Name bwrap gives the inner stage when it supports --argv0 (visible in `ps` inside the sandbox). */
export const INNER_ARGV0 = 'codex-sandbox-inner';
