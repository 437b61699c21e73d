/**
 * Windows command-line quoting: CreateProcess takes one string, and the child's C runtime splits it
 * back into argv. Quoting per the MSVC rules (CommandLineToArgvW) makes the child see exactly the
 * argv we were given — an unquoted space or quote would let an argument smuggle extra arguments.
 */

/**
 * CreateProcess's limit for a command line, in UTF-16 code units, without the terminating NUL
 * (32 767 with it).
 */
export const MAX_COMMAND_LINE = 32766;

/**
 * A lone UTF-16 surrogate: Node converts every spawn argument and environment string to UTF-8 on
 * the way to CreateProcess and turns one into U+FFFD, so the child would get a different string.
 */
export function hasLoneSurrogate(s: string): boolean {
  return /[\uD800-\uDFFF]/u.test(s);
}

/** Quotes one argument so CommandLineToArgvW/MSVCRT return it unchanged. */
export function quoteWindowsArg(arg: string): string {
  if (arg !== '' && !/[\s"]/.test(arg)) return arg;
  let out = '"';
  let backslashes = 0;
  for (const ch of arg) {
    if (ch === '\\') {
      backslashes++;
    } else if (ch === '"') {
      out += '\\'.repeat(backslashes * 2 + 1) + '"';
      backslashes = 0;
    } else {
      out += '\\'.repeat(backslashes) + ch;
      backslashes = 0;
    }
  }
  return out + '\\'.repeat(backslashes * 2) + '"';
}

/** The full command line: program then arguments, each quoted. */
export function buildCommandLine(argv: readonly string[]): string {
  if (argv.some((a) => a.includes('\0'))) throw new Error('a command argument contains a NUL character, which a Windows command line cannot carry; remove it');
  const lone = argv.find(hasLoneSurrogate);
  if (lone !== undefined) throw new Error(`command argument ${JSON.stringify(lone)} contains a lone UTF-16 surrogate, which cannot reach a Windows process unchanged (it would arrive as U+FFFD)`);
  const [program, ...args] = argv;
  if (program === undefined) throw new Error('empty command: give the program to run');
  // argv[0] is parsed by different rules (quotes toggle, backslashes are literal), so it can only
  // be wrapped in quotes, never escaped.
  if (program.includes('"')) throw new Error(`program name ${JSON.stringify(program)} contains a double quote, which a Windows command line cannot carry in argv[0]; rename or use a path without quotes`);
  const first = program === '' || /\s/.test(program) ? `"${program}"` : program;
  return [first, ...args.map(quoteWindowsArg)].join(' ');
}

/**
 * The command line Node (libuv's `make_program_args` / `quote_cmd_arg`) builds for
 * `spawn(file, args)` without windowsVerbatimArguments: each argument quoted only when it holds a
 * space, tab or double quote, backslashes doubled only before a quote. The CRT of the spawned
 * program splits it back exactly (test/unit/win32/cmdline.test.ts checks the model; the wine test
 * checks the real node.exe). Used to keep the launcher's own command line under CreateProcess's limit.
 */
export function libuvQuoteArg(arg: string): string {
  if (arg === '') return '""';
  if (!/[ \t"]/.test(arg)) return arg;
  if (!/["\\]/.test(arg)) return `"${arg}"`;
  // libuv walks the argument backwards: backslashes are doubled while they run up to a quote
  // (the closing one included), and each quote gets one backslash.
  const rev: string[] = [];
  let quoteHit = true;
  for (let i = arg.length - 1; i >= 0; i--) {
    const c = arg[i] ?? '';
    if (quoteHit && c === '\\') rev.push('\\\\');
    else if (c === '"') {
      quoteHit = true;
      rev.push('\\"');
    } else {
      quoteHit = false;
      rev.push(c);
    }
  }
  return `"${rev.reverse().join('')}"`;
}

/** The whole command line libuv builds: every argument (argv[0] too) quoted so, joined by spaces. */
export function libuvCommandLine(argv: readonly string[]): string {
  return argv.map(libuvQuoteArg).join(' ');
}
