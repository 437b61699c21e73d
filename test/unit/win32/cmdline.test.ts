import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildCommandLine, quoteWindowsArg } from '../../../src/platforms/win32/cmdline.js';
import { environmentBlockEntries } from '../../../src/platforms/win32/env.js';
import { resolveWindowsProgram } from '../../../src/platforms/win32/launcher-args.js';

/** CommandLineToArgvW's rules for arguments after argv[0] (the MSVC 2008+ parser). */
function parseArgs(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    while (s[i] === ' ' || s[i] === '\t') i++;
    if (i >= s.length) break;
    let cur = '';
    let inQ = false;
    while (i < s.length) {
      const c = s[i];
      if (!inQ && (c === ' ' || c === '\t')) break;
      if (c === '\\') {
        let n = 0;
        while (s[i] === '\\') { n++; i++; }
        if (s[i] === '"') {
          cur += '\\'.repeat(Math.floor(n / 2));
          if (n % 2 === 1) { cur += '"'; i++; }
        } else {
          cur += '\\'.repeat(n);
        }
        continue;
      }
      if (c === '"') {
        if (inQ && s[i + 1] === '"') { cur += '"'; i += 2; continue; }
        inQ = !inQ;
        i++;
        continue;
      }
      cur += c;
      i++;
    }
    out.push(cur);
  }
  return out;
}

describe('Windows command-line quoting', () => {
  it('leaves plain arguments alone and quotes spaces, quotes and empty strings', () => {
    expect(quoteWindowsArg('abc')).toBe('abc');
    expect(quoteWindowsArg('a b')).toBe('"a b"');
    expect(quoteWindowsArg('')).toBe('""');
    expect(quoteWindowsArg('a"b')).toBe('"a\\"b"');
    expect(quoteWindowsArg('C:\\dir with space\\')).toBe('"C:\\dir with space\\\\"');
  });

  it('round-trips any argument list through the MSVC parser (no argument smuggling)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: fc.constantFrom('a', ' ', '"', '\\', '\t', 'x') }), { maxLength: 6 }), (args) => {
        const line = buildCommandLine(['prog', ...args]);
        expect(parseArgs(line.slice('prog'.length))).toEqual(args);
      }),
    );
  });

  it('quotes a program path with spaces and refuses one with a double quote', () => {
    expect(buildCommandLine(['C:\\Program Files\\x.exe', 'a'])).toBe('"C:\\Program Files\\x.exe" a');
    expect(() => buildCommandLine(['a"b'])).toThrow(/double quote/);
  });
});

describe('Windows environment block', () => {
  it('sorts names case-insensitively and refuses names with =', () => {
    expect(environmentBlockEntries({ b: '1', A: '2', Path: 'x' })).toEqual(['A=2', 'b=1', 'Path=x']);
    expect(() => environmentBlockEntries({ 'A=B': '1' })).toThrow(/cannot be passed/);
  });
});

describe('resolveWindowsProgram', () => {
  const files = new Set(['c:\\windows\\system32\\cmd.exe', 'c:\\work\\git.exe', 'c:\\tools\\npm.cmd', 'c:\\work\\tool.exe']);
  const isFile = (p: string): boolean => files.has(p.toLowerCase());
  const env = { Path: 'C:\\Windows\\System32;C:\\tools' };

  it('searches PATH with .com/.exe and never the working directory', () => {
    expect(resolveWindowsProgram('cmd', env, 'C:\\work', isFile)).toBe('C:\\Windows\\System32\\cmd.exe');
    // C:\work\git.exe exists but the cwd is not searched: a planted program cannot shadow PATH.
    expect(() => resolveWindowsProgram('git', env, 'C:\\work', isFile)).toThrow(/not found/);
  });
  it('resolves explicit relative and absolute paths against the cwd', () => {
    expect(resolveWindowsProgram('.\\tool', env, 'C:\\work', isFile)).toBe('C:\\work\\tool.exe');
    expect(resolveWindowsProgram('C:\\work\\tool.exe', env, 'D:\\', isFile)).toBe('C:\\work\\tool.exe');
  });
  it('finds batch files after .com/.exe in each PATH directory (npm → npm.cmd); the planner runs them through cmd.exe', () => {
    expect(resolveWindowsProgram('C:\\tools\\npm.cmd', env, 'C:\\work', isFile)).toBe('C:\\tools\\npm.cmd');
    expect(resolveWindowsProgram('npm', env, 'C:\\work', isFile)).toBe('C:\\tools\\npm.cmd');
  });
});
