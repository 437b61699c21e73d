/** Malformed URI text: each is rejected with a specific code and a message naming the problem. */
import { describe, expect, it } from 'vitest';
import { PathUri, PathUriError } from '../../../src/path-uri/index.js';

const cases: readonly (readonly [string, string, string])[] = [
  ['src/lib.rs', 'InvalidUri', "invalid URI 'src/lib.rs': relative URL without a base"],
  ['/workspace/src', 'InvalidUri', "invalid URI '/workspace/src': relative URL without a base"],
  ['file://exa mple/x', 'InvalidUri', "invalid URI 'file://exa mple/x': Invalid URL"],
  ['http://example.com/file', 'UnsupportedScheme', 'unsupported path URI scheme `http`'],
  ['file://user:pw@server/share', 'CredentialsNotAllowed', "credentials are not allowed in path URIs: 'file://user:pw@server/share'"],
  ['file://user@server/share', 'CredentialsNotAllowed', "credentials are not allowed in path URIs: 'file://user@server/share'"],
  ['file://server:445/share', 'PortNotAllowed', "ports are not allowed in path URIs: 'file://server:445/share'"],
  ['file:///tmp/file.rs?version=1', 'QueryNotAllowed', "query parameters are not allowed in path URIs: 'file:///tmp/file.rs?version=1'"],
  ['file:///tmp/file.rs?', 'QueryNotAllowed', 'query parameters are not allowed'],
  ['file:///tmp/file.rs#L1', 'FragmentNotAllowed', "fragments are not allowed in path URIs: 'file:///tmp/file.rs#L1'"],
  ['file:///tmp/file.rs#', 'FragmentNotAllowed', 'fragments are not allowed'],
  ['file:///tmp/%00', 'InvalidFileUriPath', "'file:///tmp/%00' is invalid: the path contains an encoded NUL byte (%00)"],
  ['file:///tmp/a%00b/c', 'InvalidFileUriPath', 'encoded NUL byte'],
  ['file:///tmp/%ZZ', 'InvalidFileUriPath', "'file:///tmp/%ZZ' is invalid: a '%' in the path must start a two-digit hex escape"],
  ['file:///tmp/100%', 'InvalidFileUriPath', "write a literal '%' as %25"],
  ['file:///%00/bad/path/', 'InvalidFileUriPath', 'malformed fallback URI: the fallback payload is empty'],
  ['file:///%00/bad/path/YQ==', 'InvalidFileUriPath', 'malformed fallback URI: the fallback payload is not unpadded base64url'],
  ['file:///%00/bad/path/YR', 'InvalidFileUriPath', 'malformed fallback URI: the fallback payload is not canonical base64url'],
  ['file:///%00/bad/path/YQ/extra', 'InvalidFileUriPath', 'malformed fallback URI: the fallback payload must be a single path segment'],
  ['file:///%00/bad/path/not*base64', 'InvalidFileUriPath', 'malformed fallback URI: the fallback payload is not unpadded base64url'],
  ['file:///%00/other/YQ', 'InvalidFileUriPath', 'only a canonical fallback'],
];

describe('PathUri.parse rejects malformed URIs', () => {
  for (const [input, code, message] of cases) {
    it(`rejects ${JSON.stringify(input)} with ${code}`, () => {
      let caught: unknown;
      try {
        PathUri.parse(input);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(PathUriError);
      const e = caught as PathUriError;
      expect(e.code).toBe(code);
      expect(e.message).toContain(message);
    });
  }
});
