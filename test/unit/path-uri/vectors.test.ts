/** Codex's PathUri test vectors (codex-rs/utils/path-uri/src/tests.rs), each titled with the Codex test name. */
import { describe, expect, it } from 'vitest';
import { BAD_PATH_URI_PREFIX, PathUri, PathUriError } from '../../../src/path-uri/index.js';

const LINUX = { platform: 'linux' } as const;
const WIN = { platform: 'win32' } as const;
const p = (s: string): PathUri => PathUri.parse(s);

function errorOf(f: () => unknown): PathUriError {
  try {
    f();
  } catch (e) {
    if (e instanceof PathUriError) return e;
    throw e;
  }
  throw new Error('expected a PathUriError, but nothing was thrown');
}

describe('PathUri — Codex vectors', () => {
  it('file_uri_spelling_aliases_have_one_canonical_form', () => {
    for (const input of ['FILE:///workspace/src', 'file:/workspace/src', 'file://localhost/workspace/src', 'file://LOCALHOST/workspace/src']) {
      expect(p(input).toString(), input).toBe('file:///workspace/src');
    }
  });

  it('file_uri_normalizes_windows_drive_letter_case', () => {
    expect(p('file:///c:/Users/Alice%20Smith/src/main.rs').toString()).toBe('file:///C:/Users/Alice%20Smith/src/main.rs');
  });

  it('path_uris_reject_encoded_null_bytes', () => {
    const e = errorOf(() => p('file:///tmp/%00'));
    expect(e.code).toBe('InvalidFileUriPath');
    expect(e.message).toContain("'file:///tmp/%00' is invalid");
  });

  it('encoded_filename_characters_round_trip_without_becoming_uri_metadata', () => {
    const uri = p('file:///tmp/a%3Fb%23c%25d');
    expect(uri.toString()).toBe('file:///tmp/a%3Fb%23c%25d');
    expect(uri.encodedPath()).toBe('/tmp/a%3Fb%23c%25d');
    expect(uri.basename()).toBe('a?b#c%d');
  });

  it('double_encoded_separator_remains_filename_text', () => {
    const uri = p('file:///tmp/a%252Fb');
    expect(uri.toString()).toBe('file:///tmp/a%252Fb');
    expect(uri.basename()).toBe('a%2Fb');
  });

  it('file_uri_round_trips_literal_percent_characters', () => {
    const uri = p('file:///tmp/100%25/file');
    expect(uri.toString()).toBe('file:///tmp/100%25/file');
    expect(uri.basename()).toBe('file');
  });

  it('file_uri_retains_unc_authority', () => {
    const uri = p('file://server/share/src/main.rs');
    expect(uri.encodedPath()).toBe('/share/src/main.rs');
    expect(uri.toString()).toBe('file://server/share/src/main.rs');
  });

  it('file_uri_preserves_paths_that_resemble_windows_paths', () => {
    for (const [input, path] of [['file:///C:/Project', '/C:/Project'], ['file:///C:', '/C:']] as const) {
      const uri = p(input);
      expect(uri.encodedPath()).toBe(path);
      expect(p(uri.toString()).equals(uri)).toBe(true);
    }
  });

  it('unsupported_schemes_are_rejected_at_construction', () => {
    for (const [input, scheme] of [
      ['codex-env:///devbox/workspace', 'codex-env'],
      ['artifact://store/object-1', 'artifact'],
      ['http://example.com/file', 'http'],
      ['https://example.com/file', 'https'],
      ['ssh://host/workspace', 'ssh'],
      ['vscode-remote://ssh-remote+host/workspace', 'vscode-remote'],
      ['untitled:Untitled-1', 'untitled'],
    ] as const) {
      const e = errorOf(() => p(input));
      expect(e.code, input).toBe('UnsupportedScheme');
      expect(e.message, input).toContain(`unsupported path URI scheme \`${scheme}\``);
    }
  });

  it('known_path_uris_reject_queries_and_fragments', () => {
    expect(errorOf(() => p('file:///tmp/file.rs?version=1')).code).toBe('QueryNotAllowed');
    expect(errorOf(() => p('file:///tmp/file.rs#L1')).code).toBe('FragmentNotAllowed');
  });

  it('path_uri_serializes_as_a_string', () => {
    const uri = p('file:///workspace/src/lib.rs');
    const json = JSON.stringify(uri);
    expect(json).toBe('"file:///workspace/src/lib.rs"');
    expect(p(JSON.parse(json) as string).equals(uri)).toBe(true);
  });

  it('path_uri_rejects_relative_strings_during_deserialization', () => {
    const e = errorOf(() => p('src/lib.rs'));
    expect(e.code).toBe('InvalidUri');
    expect(e.message).toContain('relative URL without a base');
  });

  it('path_uri_rejects_relative_native_paths', () => {
    expect(errorOf(() => PathUri.fromAbsPath('src/lib.rs', LINUX)).code).toBe('NotAbsolute');
    expect(errorOf(() => PathUri.fromAbsPath('src\\lib.rs', WIN)).code).toBe('NotAbsolute');
  });

  it('file_uri_round_trips_an_absolute_path', () => {
    const uri = PathUri.fromAbsPath('/work/a path/file.rs', LINUX);
    expect(uri.toString()).toBe('file:///work/a%20path/file.rs');
    expect(p(uri.toString()).equals(uri)).toBe(true);
    expect(uri.toAbsPath(LINUX)).toBe('/work/a path/file.rs');
  });

  it('file_uri_accepts_non_utf8_posix_paths', () => {
    const path = Buffer.from('/tmp/non-utf8-\xff', 'latin1');
    const uri = PathUri.fromAbsPath(path, LINUX);
    expect(uri.toString()).toBe('file:///tmp/non-utf8-%FF');
    expect(uri.toAbsPath(LINUX)).toEqual(path);
    expect(p(uri.toString()).toString()).toBe(uri.toString());
  });

  it('file_uri_falls_back_for_posix_paths_with_null_bytes', () => {
    const path = Buffer.from('/tmp/null-\0-\xff-byte', 'latin1');
    const uri = PathUri.fromAbsPath(path, LINUX);
    expect(uri.toString()).toBe('file:///%00/bad/path/L3RtcC9udWxsLQAt_y1ieXRl');
    const json = JSON.stringify(uri);
    expect(json).toBe('"file:///%00/bad/path/L3RtcC9udWxsLQAt_y1ieXRl"');
    const reparsed = p(JSON.parse(json) as string);
    expect(reparsed.equals(uri)).toBe(true);
    expect(reparsed.toAbsPath(LINUX)).toEqual(path);
  });

  it('file_uri_falls_back_for_windows_prefixes_without_a_uri_representation', () => {
    for (const [native, expected] of [
      ['\\\\.\\COM1', 'file:///%00/bad/path/XABcAC4AXABDAE8ATQAxAFwA'],
      [
        '\\\\?\\Volume{00000000-0000-0000-0000-000000000000}\\file.rs',
        'file:///%00/bad/path/XABcAD8AXABWAG8AbAB1AG0AZQB7ADAAMAAwADAAMAAwADAAMAAtADAAMAAwADAALQAwADAAMAAwAC0AMAAwADAAMAAtADAAMAAwADAAMAAwADAAMAAwADAAMAAwAH0AXABmAGkAbABlAC4AcgBzAA',
      ],
    ] as const) {
      const uri = PathUri.fromAbsPath(native, WIN);
      expect(uri.toString(), native).toBe(expected);
      // AbsolutePathBuf gives `\\.\COM1` a trailing `\`; the Volume path comes back unchanged.
      const back = p(uri.toString()).toAbsPath(WIN);
      expect(back).toBe(native.endsWith('COM1') ? native + '\\' : native);
    }
  });

  it('file_uri_fallback_round_trips_non_unicode_windows_paths', () => {
    const path = 'C:\\bad\\\ud800';
    const uri = PathUri.fromAbsPath(path, WIN);
    expect(uri.toString().startsWith(BAD_PATH_URI_PREFIX)).toBe(true);
    expect(p(uri.toString()).toAbsPath(WIN)).toBe(path);
  });

  it('file_uri_round_trips_windows_unc_paths', () => {
    const uri = PathUri.fromAbsPath('\\\\server\\share\\src\\main.rs', WIN);
    expect(uri.encodedPath()).toBe('/share/src/main.rs');
    expect(uri.toAbsPath(WIN)).toBe('\\\\server\\share\\src\\main.rs');
    // `\\localhost\share` would lose its host and read back as POSIX: fallback instead.
    const local = PathUri.fromAbsPath('\\\\localhost\\share\\x', WIN);
    expect(local.isOpaque()).toBe(true);
    expect(local.toAbsPath(WIN)).toBe('\\\\localhost\\share\\x');
  });

  it('ordinary_bad_path_uri_is_not_decoded_as_a_fallback', () => {
    const uri = PathUri.fromAbsPath('/bad/path/L3RtcC9udWxsLQAt_y1ieXRl', LINUX);
    expect(uri.toString()).toBe('file:///bad/path/L3RtcC9udWxsLQAt_y1ieXRl');
    expect(uri.isOpaque()).toBe(false);
    expect(uri.toAbsPath(LINUX)).toBe('/bad/path/L3RtcC9udWxsLQAt_y1ieXRl');
  });

  it('malformed_bad_path_uris_are_rejected', () => {
    for (const [uri, why] of [
      ['file:///%00/bad/path/', 'payload is empty'],
      ['file:///%00/bad/path/not*base64', 'not unpadded base64url'],
      ['file:///%00/bad/path/YQ==', 'not unpadded base64url'],
      ['file:///%00/bad/path/YR', 'not canonical base64url'],
      ['file:///%00/bad/path/YQ/extra', 'single path segment'],
      ['file:///%00/other/YQ', 'encoded NUL byte'],
    ] as const) {
      const e = errorOf(() => p(uri));
      expect(e.code, uri).toBe('InvalidFileUriPath');
      expect(e.message, uri).toContain(`'${uri}' is invalid`);
      expect(e.message, uri).toContain(why);
    }
  });

  it('structurally_valid_bad_path_uri_with_invalid_native_payload_fails_conversion', () => {
    const uri = p('file:///%00/bad/path/YQ');
    expect(errorOf(() => uri.toAbsPath(LINUX)).code).toBe('NotNative');
    // A POSIX-looking payload that re-encodes to an ordinary URI is not a canonical fallback of anything.
    const plain = p(BAD_PATH_URI_PREFIX + Buffer.from('/tmp/x').toString('base64url'));
    const e = errorOf(() => plain.toAbsPath(LINUX));
    expect(e.code).toBe('InvalidFileUriPath');
    expect(e.message).toContain('does not decode to an absolute path that encodes back to this URI');
  });

  it('bad_path_uris_are_opaque_to_lexical_operations', () => {
    const uri = p('file:///%00/bad/path/YQ');
    const other = p('file:///%00/bad/path/Yg');
    const root = p('file:///');
    expect(uri.basename()).toBeUndefined();
    expect(uri.parent()).toBeUndefined();
    expect(uri.startsWith(uri)).toBe(true);
    expect(uri.startsWith(root)).toBe(false);
    expect(uri.startsWith(other)).toBe(false);
    expect(other.startsWith(uri)).toBe(false);
    expect(uri.join('')).toBe(uri);
    expect(errorOf(() => uri.join('child')).code).toBe('JoinError');
  });

  it('relative_path_from_treats_fallback_uris_as_opaque', () => {
    const path = p('file:///%00/bad/path/YQ');
    expect(path.relativeFrom(path)).toBe('');
    expect(path.relativeFrom(p('file:///%00/bad/path/Yg'))).toBeUndefined();
    expect(path.relativeFrom(p('file:///'))).toBeUndefined();
  });

  it('infers_path_conventions_from_uri_shape', () => {
    for (const [uri, expected] of [
      ['file:///', 'posix'],
      ['file:///home/alice/src', 'posix'],
      ['file:///C:/Users/Alice/src', 'windows'],
      ['file:///d:', 'windows'],
      ['file://server/share/src', 'windows'],
      ['file:///%00/bad/path/L3RtcC9udWxsLQAt_y1ieXRl', 'posix'],
      ['file:///%00/bad/path/XABcAC4AXABDAE8ATQAxAFwA', 'windows'],
      ['file:///%00/bad/path/YQ', undefined],
    ] as const) {
      expect(p(uri).convention(), uri).toBe(expected);
    }
  });

  it('drive_shaped_posix_uri_is_intentionally_inferred_as_windows', () => {
    expect(p('file:///C:/actually/a/posix/path').convention()).toBe('windows');
    // …so the POSIX path `/C:/x` itself takes the fallback, and round-trips.
    const uri = PathUri.fromAbsPath('/C:/x', LINUX);
    expect(uri.isOpaque()).toBe(true);
    expect(uri.toAbsPath(LINUX)).toBe('/C:/x');
  });

  it('non_native_uri_io_conversion_is_invalid_input', () => {
    for (const [uri, platform] of [
      ['file://server/share/file.txt', 'linux'],
      ['file:///C:/workspace', 'linux'],
      ['file:///C:/workspace', 'darwin'],
      ['file:///usr/local/file.txt', 'win32'],
    ] as const) {
      const e = errorOf(() => p(uri).toAbsPath({ platform }));
      expect(e.code).toBe('NotNative');
      expect(e.message.startsWith(`'${uri}' is invalid on '${platform}'`)).toBe(true);
    }
  });

  it('basename_uses_decoded_uri_segments', () => {
    for (const [input, expected] of [
      ['file:///', undefined],
      ['file:///workspace/src/lib.rs', 'lib.rs'],
      ['file:///workspace/a%20file.rs', 'a file.rs'],
      ['file:///C:/', 'C:'],
      ['file://server/share', 'share'],
    ] as const) {
      expect(p(input).basename(), input).toBe(expected);
    }
  });

  it('parent_stops_at_posix_drive_and_unc_roots', () => {
    for (const [input, expected] of [
      ['file:///workspace/src/lib.rs', 'file:///workspace/src'],
      ['file:///workspace', 'file:///'],
      ['file:///', undefined],
      ['file:///C:/Users', 'file:///C:'],
      ['file:///C:/', undefined],
      ['file:///C:', undefined],
      ['file://server/share/src/main.rs', 'file://server/share/src'],
      ['file://server/share', undefined],
    ] as const) {
      expect(p(input).parent()?.toString(), input).toBe(expected);
    }
  });

  it('ancestors_include_self_and_stop_at_native_path_roots', () => {
    const chain = (s: string): string[] => {
      const out: string[] = [];
      for (let u: PathUri | undefined = p(s); u; u = u.parent()) out.push(u.toString());
      return out;
    };
    expect(chain('file:///workspace/src')).toEqual(['file:///workspace/src', 'file:///workspace', 'file:///']);
    expect(chain('file:///C:/workspace/src')).toEqual(['file:///C:/workspace/src', 'file:///C:/workspace', 'file:///C:']);
    expect(chain('file://server/share/project')).toEqual(['file://server/share/project', 'file://server/share']);
  });

  const joins = (rows: readonly (readonly [string, string, string])[]): void => {
    for (const [base, path, expected] of rows) {
      expect(p(base).join(path).toString(), `${base} + ${path}`).toBe(p(expected).toString());
    }
  };

  it('join_normalizes_relative_uri_segments', () => {
    joins([
      ['file:///workspace/src', '../tests/test.rs', 'file:///workspace/tests/test.rs'],
      ['file:///', '../../etc', 'file:///etc'],
      ['file:///C:/Users', '../Windows', 'file:///C:/Windows'],
      ['file://server/share/src', '../tests', 'file://server/share/tests'],
      ['file:///workspace', 'a?b#c%d', 'file:///workspace/a%3Fb%23c%25d'],
      ['file:///workspace/', '', 'file:///workspace/'],
    ]);
  });

  it('join_replaces_posix_absolute_path', () => {
    joins([['file:///workspace', '/src', 'file:///src']]);
  });

  it('join_replaces_windows_absolute_path', () => {
    joins([['file:///C:/workspace/src', 'D:\\tmp\\test.rs', 'file:///D:/tmp/test.rs']]);
  });

  it('join_keeps_canonicalized_posix_double_slash_paths_hierarchical', () => {
    const cwd = p('file:///workspace').join('//server/share/project');
    expect(cwd.toString()).toBe('file:///server/share/project');
    expect(cwd.parent()?.toString()).toBe('file:///server/share');
    expect(cwd.join('AGENTS.md').toString()).toBe('file:///server/share/project/AGENTS.md');
    expect(cwd.toAbsPath(LINUX)).toBe('/server/share/project');
  });

  it('join_normalizes_absolute_parent_segments', () => {
    joins([
      ['file:///workspace', '/tmp/a/../b', 'file:///tmp/b'],
      ['file:///C:/workspace', 'D:\\tmp\\a\\..\\b', 'file:///D:/tmp/b'],
      ['file:///C:/workspace', '\\\\server\\share\\a\\..\\b', 'file://server/share/b'],
      ['file:///C:/workspace', '\\\\?\\D:\\reports\\report.pdf', 'file:///D:/reports/report.pdf'],
      ['file:///C:/workspace', '\\\\.\\D:\\reports\\report.pdf', 'file:///D:/reports/report.pdf'],
      ['file:///C:/workspace', '\\\\?\\UNC\\server\\share\\reports\\report.pdf', 'file://server/share/reports/report.pdf'],
      ['file:///C:/workspace', '\\\\.\\UNC\\server\\share\\reports\\report.pdf', 'file://server/share/reports/report.pdf'],
      ['file:///workspace', '/tmp//a/../b', 'file:///tmp/b'],
      ['file:///workspace', '/tmp/a/..//b', 'file:///tmp/b'],
      ['file:///workspace', '/tmp/a///../b', 'file:///tmp/b'],
      ['file:///C:/workspace', 'D:\\tmp\\a\\\\\\..\\b', 'file:///D:/tmp/b'],
      ['file:///C:/workspace', '\\\\server\\share\\a\\\\\\..\\b', 'file://server/share/b'],
      ['file:///workspace', '/tmp/a///b/../..', 'file:///tmp'],
      ['file:///C:/workspace', 'D:\\tmp\\a\\\\\\b\\..\\..', 'file:///D:/tmp'],
      ['file:///C:/workspace', '\\\\server\\share\\a\\\\\\b\\..\\..', 'file://server/share'],
    ]);
  });

  it('join_absolute_parent_segments_stop_at_native_path_roots', () => {
    joins([
      ['file:///workspace', '/a/..', 'file:///'],
      ['file:///C:/workspace', 'D:\\a\\..', 'file:///D:/'],
      ['file:///C:/workspace', '\\\\server\\share\\a\\..', 'file://server/share'],
      ['file:///workspace', '/../../b', 'file:///b'],
      ['file:///C:/workspace', 'D:\\..\\..\\b', 'file:///D:/b'],
      ['file:///C:/workspace', '\\\\server\\share\\..\\..\\b', 'file://server/share/b'],
      ['file:///C:/workspace', '\\\\server\\share\\\\\\..\\b', 'file://server/share/b'],
    ]);
  });

  it('join_collapses_redundant_absolute_separators', () => {
    joins([
      ['file:///workspace', '/tmp///', 'file:///tmp/'],
      ['file:///workspace', '///', 'file:///'],
      ['file:///workspace', '///server/share///', 'file:///server/share/'],
      ['file:///C:/workspace', 'D:\\tmp\\\\\\', 'file:///D:/tmp/'],
      ['file:///C:/workspace', 'D:\\\\\\', 'file:///D:/'],
      ['file:///C:/workspace', '\\\\server\\share\\tmp\\\\\\', 'file://server/share/tmp/'],
      ['file:///C:/workspace', '\\\\server\\share\\\\\\', 'file://server/share/'],
    ]);
  });

  it('windows_namespace_normalization_preserves_opaque_paths', () => {
    const base = p('file:///C:/workspace');
    for (const path of [
      '\\\\?\\UNC\\server',
      '\\\\.\\UNC\\server',
      '\\\\?\\UNC\\localhost\\share\\report.pdf',
      '\\\\.\\UNC\\LOCALHOST\\share\\report.pdf',
      '\\\\?\\UNC\\.\\share\\report.pdf',
      '\\\\.\\UNC\\..\\share\\report.pdf',
      '\\\\?\\UNC\\server\\.\\report.pdf',
      '\\\\.\\UNC\\server\\..\\report.pdf',
      '\\\\?\\UNC\\?\\UNC\\?\\C:\\report.pdf',
      '\\\\.\\UNC\\?\\UNC\\?\\C:\\report.pdf',
      '\\\\.\\COM1',
      '\\\\?\\Volume{00000000-0000-0000-0000-000000000000}\\report.pdf',
    ]) {
      const units = Buffer.alloc(path.length * 2);
      for (let i = 0; i < path.length; i++) units.writeUInt16LE(path.charCodeAt(i), i * 2);
      expect(base.join(path).toString(), path).toBe(BAD_PATH_URI_PREFIX + units.toString('base64url'));
    }
  });

  it('join_windows_root_relative_path_preserves_drive_or_share', () => {
    joins([
      ['file:///C:/base/dir', '\\Windows', 'file:///C:/Windows'],
      ['file://server/share/base/dir', '\\Windows', 'file://server/share/Windows'],
    ]);
  });

  it('join_resolves_windows_same_drive_relative_path', () => {
    joins([
      ['file:///C:/base', 'C:tmp', 'file:///C:/base/tmp'],
      ['file:///C:/base', 'c:tmp', 'file:///C:/base/tmp'],
      ['file:///C:/base/dir', 'C:..\\tmp', 'file:///C:/base/tmp'],
      ['file:///C:/base', 'C:', 'file:///C:/base'],
    ]);
  });

  it('join_rejects_windows_other_drive_relative_path', () => {
    const e = errorOf(() => p('file:///C:/base').join('D:tmp'));
    expect(e.code).toBe('JoinError');
    expect(e.message).toBe("cannot join 'D:tmp' onto 'file:///C:/base': 'D:' is relative to another drive's current directory, which a URI cannot know");
  });

  it('join_parent_segments_preserve_windows_drive_or_share_anchor', () => {
    joins([
      ['file:///C:/base/dir', '..\\..\\..\\Windows', 'file:///C:/Windows'],
      ['file://server/share/base/dir', '..\\..\\..\\Windows', 'file://server/share/Windows'],
    ]);
  });

  it('join_rejects_null_paths', () => {
    const e = errorOf(() => p('file:///workspace').join('src\0file'));
    expect(e.code).toBe('JoinError');
    expect(e.message).toContain('NUL');
  });

  it('join_uses_the_base_uri_path_convention', () => {
    joins([
      ['file:///workspace/src', '../tests/test.rs', 'file:///workspace/tests/test.rs'],
      ['file:///C:/workspace/src', '..\\tests\\test.rs', 'file:///C:/workspace/tests/test.rs'],
      // On a POSIX base a backslash is file-name text.
      ['file:///workspace', 'a\\b', 'file:///workspace/a%5Cb'],
    ]);
  });

  it('native_byte_joins_preserve_foreign_posix_filenames', () => {
    const base = p('file:///root/%FE/admin');
    for (const [path, expected] of [
      ['../\xff/%2e?#\\', 'file:///root/%FE/%FF/%252e%3F%23%5C'],
      ['//other/./x/../\xff/.git', 'file:///other/%FF/.git'],
      ['../../../../\xff', 'file:///%FF'],
      ['../plain', 'file:///root/%FE/plain'],
    ] as const) {
      expect(base.joinNativeBytes(Buffer.from(path, 'latin1')).toString()).toBe(expected);
    }
    expect(errorOf(() => base.joinNativeBytes(Buffer.from('bad\0\xff', 'latin1'))).code).toBe('JoinError');
    expect(errorOf(() => p('file:///C:/repo').joinNativeBytes(Buffer.from([0xff]))).code).toBe('JoinError');
  });

  it('starts_with_uses_uri_segment_boundaries', () => {
    for (const [path, base, expected] of [
      ['file:///workspace/plugin', 'file:///', true],
      ['file:///workspace/plugin', 'file:///workspace/plugin', true],
      ['file:///workspace/plugin/assets/icon.svg', 'file:///workspace/plugin', true],
      ['file:///workspace/plugin-other/icon.svg', 'file:///workspace/plugin', false],
      ['file:///C:/plugins/foo/assets/icon.svg', 'file:///C:/plugins/foo', true],
      ['file:///C:/project/secret', 'file:///%63%3A/project', false],
      ['file:///C:/PLUGINS/%C3%84/assets/icon.svg', 'file:///c:/plugins/%C3%A4', false],
      ['file:///C:/plugins/ǈ/assets/icon.svg', 'file:///C:/plugins/Ǉ', false],
      ['file:///C:/plugins/foo2/assets/icon.svg', 'file:///C:/plugins/foo', false],
      ['file://server/share/plugins/foo/icon.svg', 'file://server/share/plugins/foo', true],
      ['file://SERVER/SHARE/PLUGINS/FOO/icon.svg', 'file://server/share/plugins/foo', true],
      ['file:///WORKSPACE/plugin', 'file:///workspace', false],
      ['file://other/share/plugins/foo/icon.svg', 'file://server/share/plugins/foo', false],
      ['file:///workspace/plugin/%2F..%2Foutside', 'file:///workspace/plugin', false],
      ['file:///workspace/pri%76ate/file', 'file:///workspace/%70rivate', true],
      ['file:///workspace/%ff/file', 'file:///workspace/%FF', true],
      ['file:///workspace/plugin/%5C..%5Coutside', 'file:///workspace/plugin', true],
      ['file:///C:/plugins/foo/%5C..%5Coutside', 'file:///C:/plugins/foo', false],
    ] as const) {
      expect(p(path).startsWith(p(base)), `${path} under ${base}`).toBe(expected);
    }
  });

  it('relative_path_from_is_host_independent', () => {
    for (const [path, base, expected] of [
      ['file:///home/alice/project/src/a%20file.rs', 'file:///home/alice/project', 'src/a file.rs'],
      ['file:///c:/Users/Alice/project/src/main.rs', 'file:///C:/Users/Alice/project', 'src\\main.rs'],
      ['file:///C:/USERS/%C3%84/PROJECT/src/main.rs', 'file:///c:/users/%C3%A4/project', undefined],
      ['file://SERVER/SHARE/PROJECT/src/main.rs', 'file://server/share/project', 'src\\main.rs'],
      ['file:///home/alice/project', 'file:///home/alice/project/', ''],
      ['file:///home/alice/project-two/main.rs', 'file:///home/alice/project', undefined],
      ['file:///HOME/alice/project', 'file:///home', undefined],
      ['file://other/share/project/main.rs', 'file://server/share/project', undefined],
      ['file:///home/alice/project/src%2Fmain.rs', 'file:///home/alice/project', undefined],
      ['file:///C:/project/src%5Cmain.rs', 'file:///C:/project', undefined],
      ['file:///C:/project/main.rs', 'file:///', undefined],
    ] as const) {
      expect(p(path).relativeFrom(p(base)), `${path} from ${base}`).toBe(expected);
    }
  });

  it('path_uri_equality_and_hashing_follow_path_convention', () => {
    for (const [left, right, expected] of [
      ['file:///C:/Users/Alice', 'file:///c:/users/ALICE', true],
      ['file://SERVER/SHARE/Project', 'file://server/share/project', true],
      ['file:///home/Alice', 'file:///home/alice', false],
      ['file:///C:/plugins/ǈ', 'file:///C:/plugins/Ǉ', false],
      ['file:///C:/plugins/%41', 'file:///C:/plugins/a', true],
      ['file:///C:/plugins/a%2Fb', 'file:///C:/plugins/a/b', false],
      ['file:///%00/bad/path/YQ', 'file:///%00/bad/path/yQ', false],
    ] as const) {
      const [l, r] = [p(left), p(right)];
      expect(l.equals(r), `${left} = ${right}`).toBe(expected);
      expect(l.identityKey() === r.identityKey(), `key ${left} = ${right}`).toBe(expected);
    }
  });

  it('inferred_native_path_string_uses_the_inferred_convention (toAbsPath on the native platform)', () => {
    expect(p('file:///home/alice/a%20file.rs').toAbsPath(LINUX)).toBe('/home/alice/a file.rs');
    expect(p('file:///C:/Users/Alice%20Smith/main.rs').toAbsPath(WIN)).toBe('C:\\Users\\Alice Smith\\main.rs');
    expect(p('file://server/share/main.rs').toAbsPath(WIN)).toBe('\\\\server\\share\\main.rs');
    expect(p('file:///C:/').toAbsPath(WIN)).toBe('C:\\');
  });
});
