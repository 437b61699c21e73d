/** `:tmpdir` per platform: $TMPDIR on Unix; on Windows, which does not set it, %TEMP% / %TMP%. */
import { describe, expect, it } from 'vitest';
import { tmpdirOf } from '../../../src/host/facts.js';

describe('tmpdirOf', () => {
  it('Unix: $TMPDIR only, and only when absolute', () => {
    expect(tmpdirOf({ TMPDIR: '/var/tmp/x', TEMP: '/other' }, 'linux')).toBe('/var/tmp/x');
    expect(tmpdirOf({ TEMP: '/other', TMP: '/other' }, 'darwin')).toBeUndefined();
    expect(tmpdirOf({ TMPDIR: 'relative' }, 'linux')).toBeUndefined();
  });

  it('Windows: %TEMP%, then %TMP%, when %TMPDIR% is not set', () => {
    const temp = 'C:\\Users\\me\\AppData\\Local\\Temp';
    expect(tmpdirOf({ TEMP: temp, TMP: 'C:\\Windows\\Temp' }, 'win32')).toBe(temp);
    expect(tmpdirOf({ TMP: temp }, 'win32')).toBe(temp);
    expect(tmpdirOf({ TMPDIR: 'D:\\t', TEMP: temp }, 'win32')).toBe('D:\\t');
    expect(tmpdirOf({ TEMP: '', TMP: 'relative' }, 'win32')).toBeUndefined();
  });
});
