/**
 * The launcher's own command line (src/platforms/win32/launcher-args.ts `launcherArgs`): Node quotes the
 * launcher's argv with libuv's rules, and the launcher's C runtime splits it back. The model of
 * libuv (cmdline.ts `libuvQuoteArg`) is checked against both Windows CRT parsers here; the wine test
 * (test/wine/load.test.ts) runs the real node.exe → launcher → node.exe chain.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_COMMAND_LINE, buildCommandLine, libuvCommandLine, libuvQuoteArg } from '../../../src/platforms/win32/cmdline.js';
import { PlanError } from '../../../src/contracts/index.js';
import { LIBUV_ADDED_ENV, launcherArgs } from '../../../src/platforms/win32/launcher-args.js';

/**
 * The CRT's split of a whole command line (argv[0] by its own rules: quotes toggle, backslashes
 * literal). `modernQuotes`: the UCRT (MSVC 2008+, the node-gyp build) reads `""` inside quotes as a
 * literal quote and stays quoted; msvcrt.dll (the mingw build) also emits the quote but ends the
 * quoted part. libuv never writes `""` inside quotes, so both must agree on its output.
 */
function crtSplit(line: string, modernQuotes: boolean): string[] {
  const out: string[] = [];
  let i = 0;
  let first = '';
  let inQ = false;
  while (i < line.length && (inQ || (line[i] !== ' ' && line[i] !== '\t'))) {
    if (line[i] === '"') inQ = !inQ;
    else first += line[i];
    i++;
  }
  out.push(first);
  for (;;) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (i >= line.length) break;
    let cur = '';
    inQ = false;
    while (i < line.length && (inQ || (line[i] !== ' ' && line[i] !== '\t'))) {
      let n = 0;
      while (line[i] === '\\') {
        n++;
        i++;
      }
      if (line[i] === '"') {
        cur += '\\'.repeat(Math.floor(n / 2));
        if (n % 2 === 1) cur += '"';
        else if (inQ && line[i + 1] === '"') {
          cur += '"';
          i++;
          if (!modernQuotes) inQ = false;
        } else inQ = !inQ;
        i++;
      } else {
        cur += '\\'.repeat(n);
        if (i < line.length && (inQ || (line[i] !== ' ' && line[i] !== '\t'))) cur += line[i++];
      }
    }
    out.push(cur);
  }
  return out;
}

const tricky = fc.string({ unit: fc.constantFrom('a', ' ', '\t', '"', '\\', '\n', 'é', '%', '^', "'") });
const LAUNCHER = 'C:\\Program Files\\x\\codex-sandbox-launcher.exe';

describe("the launcher's command line (libuv quoting → CRT split)", () => {
  it('matches libuv on its own test vectors', () => {
    expect(libuvQuoteArg('')).toBe('""');
    expect(libuvQuoteArg('HelloWorld')).toBe('HelloWorld');
    expect(libuvQuoteArg('Hello World')).toBe('"Hello World"');
    expect(libuvQuoteArg('Hello"World')).toBe('"Hello\\"World"');
    expect(libuvQuoteArg('Hello World\\')).toBe('"Hello World\\\\"');
    expect(libuvQuoteArg('Hello\\"World')).toBe('"Hello\\\\\\"World"');
    expect(libuvQuoteArg('Hello\\World')).toBe('Hello\\World');
    expect(libuvQuoteArg('c:\\path\\to\\node.exe --eval "require(\'c:\\\\path\\\\to\\\\test.js\')"')).toBe(
      '"c:\\path\\to\\node.exe --eval \\"require(\'c:\\\\path\\\\to\\\\test.js\')\\""',
    );
  });

  it('round-trips any launcher argv, a whole quoted command line as a value included, under both CRT parsers', () => {
    fc.assert(
      fc.property(fc.array(tricky, { maxLength: 6 }), fc.array(tricky, { maxLength: 4 }), (inner, extra) => {
        const argv = [LAUNCHER, '--cwd', ...extra, '--command-line', buildCommandLine(['C:\\a b\\prog.exe', ...inner])];
        const line = libuvCommandLine(argv);
        expect(crtSplit(line, true)).toEqual(argv);
        expect(crtSplit(line, false)).toEqual(argv);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('launcherArgs', () => {
  const base = { application: 'C:\\Windows\\System32\\cmd.exe', cwd: 'C:\\ws', desktop: '', capabilitySids: ['S-1-5-21-1-2-3-4'], commandLine: 'cmd.exe /c exit 3' };
  const fullEnv = Object.fromEntries(LIBUV_ADDED_ENV.map((n) => [n, 'x']));

  it('names every variable libuv would add but the plan lacks (case-insensitively) with --unset-env', () => {
    expect(launcherArgs(LAUNCHER, { ...base, env: { Path: 'C:\\bin', SystemRoot: 'C:\\Windows', FOO: '1' } })).toEqual([
      '--application', base.application, '--cwd', 'C:\\ws', '--capability-sid', 'S-1-5-21-1-2-3-4',
      ...['HOMEDRIVE', 'HOMEPATH', 'LOGONSERVER', 'SYSTEMDRIVE', 'TEMP', 'USERDOMAIN', 'USERNAME', 'USERPROFILE', 'WINDIR'].flatMap((n) => ['--unset-env', n]),
      '--command-line', base.commandLine,
    ]);
    expect(launcherArgs(LAUNCHER, { ...base, env: fullEnv })).not.toContain('--unset-env');
  });

  it('refuses a command line too long for CreateProcess, counting the escaping the launcher argv adds', () => {
    const ok = 'x'.repeat(30000);
    expect(() => launcherArgs(LAUNCHER, { ...base, env: fullEnv, commandLine: ok })).not.toThrow();
    expect(() => launcherArgs(LAUNCHER, { ...base, env: fullEnv, commandLine: 'x'.repeat(MAX_COMMAND_LINE + 1) })).toThrow(PlanError);
    // 20 000 characters, but every quote is escaped once more on the launcher's command line.
    const quoted = buildCommandLine(['p', ...Array.from({ length: 5000 }, () => 'a"')]);
    expect(quoted.length).toBeLessThan(MAX_COMMAND_LINE);
    expect(() => launcherArgs(LAUNCHER, { ...base, env: fullEnv, commandLine: quoted })).toThrow(/once quoted for the launcher/);
  });

  it('refuses lone surrogates, which Node would turn into U+FFFD', () => {
    expect(() => launcherArgs(LAUNCHER, { ...base, env: fullEnv, cwd: 'C:\\ws\uD800' })).toThrow(/lone UTF-16 surrogate/);
    expect(() => buildCommandLine(['prog', 'a\uDC00'])).toThrow(/lone UTF-16 surrogate/);
    expect(buildCommandLine(['prog', 'pair \u{1F600}'])).toBe('prog "pair \u{1F600}"');
  });
});
