/**
 * Windows command-line quoting: CreateProcess takes one string, and the child's C runtime splits it
 * back into argv. Quoting per the MSVC rules (CommandLineToArgvW) makes the child see exactly the
 * argv we were given — an unquoted space or quote would let an argument smuggle extra arguments.
 */

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
  const [program, ...args] = argv;
  if (program === undefined) throw new Error('empty command: give the program to run');
  // argv[0] is parsed by different rules (quotes toggle, backslashes are literal), so it can only
  // be wrapped in quotes, never escaped.
  if (program.includes('"')) throw new Error(`program name ${JSON.stringify(program)} contains a double quote, which a Windows command line cannot carry in argv[0]; rename or use a path without quotes`);
  const first = program === '' || /\s/.test(program) ? `"${program}"` : program;
  return [first, ...args.map(quoteWindowsArg)].join(' ');
}
