/**
 * Running `.bat`/`.cmd` programs (npm, npx, yarn, every node_modules\.bin shim) through cmd.exe.
 *
 * CreateProcess cannot start a batch file by itself: it silently runs `cmd.exe /c` with the whole
 * command line, and cmd re-parses the arguments by its own rules (`&|<>^` run commands, `%VAR%` and
 * `!VAR!` expand, `"` toggles its quoting). An argument quoted for the MSVC runtime can so run
 * a second command: the BatBadBut class (CVE-2024-24576, fixed in Rust's std::process by
 * `make_bat_command_line` in library/std/src/sys/args/windows.rs; Node's fix for CVE-2024-27980
 * refuses .bat/.cmd without `shell: true`). The command line is built here instead, per cmd's
 * rules, and every argument cmd cannot be made to pass through unchanged is refused, naming it.
 * Pure: the planner calls it with facts.
 */
import path from 'node:path';
import { PlanError } from '../../contracts/index.js';
import { hasLoneSurrogate } from './cmdline.js';

const win = path.win32;

/** Whether the resolved program is a batch file (cmd.exe must run it). */
export function isBatchFile(program: string): boolean {
  const ext = win.extname(program).toLowerCase();
  return ext === '.bat' || ext === '.cmd';
}

/** Where Windows is when the host cannot say (a plan made on another OS). */
export const DEFAULT_SYSTEM_ROOT = 'C:\\Windows';

/**
 * cmd.exe by its fixed system path, never through PATH or the working directory: a `cmd.exe`
 * planted in a writable workspace must not be what runs the script (CreateProcess searches the
 * application's directory and the cwd before System32 when given a bare name).
 */
export function cmdExePath(systemRoot: string | undefined): string {
  const root = systemRoot !== undefined && /^[A-Za-z]:\\/.test(systemRoot) && !/[%"]/.test(systemRoot) ? systemRoot.replace(/\\+$/, '') : DEFAULT_SYSTEM_ROOT;
  return win.join(root, 'System32', 'cmd.exe');
}

/**
 * Characters cmd.exe re-interprets even inside double quotes, or that end its command line, so
 * no quoting passes them through unchanged:
 * - `%`: `%VAR%` expands inside quotes too, on the `/c` line (`^%` only works unquoted, `%%` only
 *   inside a batch file);
 * - `!`: a script that enables delayed expansion expands `!VAR!` in the text `%1`/`%*` inserted;
 * - `"`: toggles cmd's quote state; doubling it (Rust's choice) keeps cmd quiet but the script
 *   then receives `""` rather than the argument given;
 * - CR, LF: end the command (cmd drops what follows a line feed);
 * - other control characters and NUL.
 */
function unsafeReason(s: string): string | undefined {
  if (s.includes('%')) return "contains '%', which cmd.exe expands as %VARIABLE% even inside quotes";
  if (s.includes('!')) return "contains '!', which a script using delayed expansion expands as !VARIABLE!";
  if (s.includes('"')) return 'contains a double quote, which toggles cmd.exe\'s quoting (the script would not receive the argument unchanged)';
  if (/[\r\n]/.test(s)) return 'contains a line break, which ends the cmd.exe command line';
  // Tab is a plain separator inside quotes; every other C0 control (and DEL) is refused.
  if ([...s].some((c) => (c.charCodeAt(0) < 0x20 && c !== '\t') || c === '\u007f')) return 'contains a control character';
  if (hasLoneSurrogate(s)) return 'contains a lone UTF-16 surrogate (it would arrive as U+FFFD)';
  return undefined;
}

/** ASCII that may stand unquoted in a cmd.exe argument (Rust's list); everything else ASCII is quoted. */
const UNQUOTED_ASCII = /^[A-Za-z0-9#$*+\-./:?@\\_]$/;

/**
 * One argument for a batch script: left bare when it holds only harmless characters; otherwise in
 * double quotes, inside which cmd takes `&|<>^()`, spaces, `,;=` and tabs literally. Trailing
 * backslashes are doubled so that a script forwarding `"%~1"` to a program still closes its quote
 * (MSVC: `\\"` is one backslash and a closing quote), as Rust's `append_bat_arg` does.
 */
export function quoteBatchArg(arg: string, index: number): string {
  const why = unsafeReason(arg);
  if (why !== undefined) {
    throw new PlanError(
      'BatchArgumentUnsafe',
      `argument ${index} ${JSON.stringify(arg)} ${why}; a batch file (.bat/.cmd) cannot be given it safely — ` +
        'run the program the script wraps directly (e.g. node.exe and its script), or pass the value another way (a file or an environment variable)',
      true,
    );
  }
  // C1 controls (U+0080–U+009F) are quoted too, as Rust does for every control character.
  const needsQuotes = arg === '' || arg.endsWith('\\') || [...arg].some((c) => (c.charCodeAt(0) < 0x80 && !UNQUOTED_ASCII.test(c)) || (c.charCodeAt(0) >= 0x80 && c.charCodeAt(0) <= 0x9f));
  if (!needsQuotes) return arg;
  const trailing = /\\*$/.exec(arg)?.[0].length ?? 0;
  return `"${arg}${'\\'.repeat(trailing)}"`;
}

/**
 * The cmd.exe command line that runs `script` with `args`:
 * `cmd.exe /d /v:off /s /c ""<script>" <args…>"`.
 * `/d`: no AutoRun command from the registry (HKCU\Software\Microsoft\Command Processor\AutoRun,
 * which any process of the user can set); `/v:off`: delayed expansion off whatever the registry
 * says; `/s /c`: cmd strips exactly the outer pair of quotes and runs the rest (cmd /?).
 */
export function batchCommandLine(cmdExe: string, script: string, args: readonly string[]): string {
  // Windows file names cannot hold `"`; one ending in `\` would escape the closing quote.
  const why = unsafeReason(script) ?? (script.endsWith('\\') ? 'ends with a backslash' : undefined);
  if (why !== undefined) {
    throw new PlanError('BatchArgumentUnsafe', `batch file path ${JSON.stringify(script)} ${why}; cmd.exe cannot run it safely — rename it or move it to a plain path`, true);
  }
  const exe = /\s/.test(cmdExe) ? `"${cmdExe}"` : cmdExe;
  const quoted = args.map((a, i) => quoteBatchArg(a, i + 1));
  return `${exe} /d /v:off /s /c "${['"' + script + '"', ...quoted].join(' ')}"`;
}
