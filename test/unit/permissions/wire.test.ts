import { describe, expect, it } from 'vitest';
import {
  PermissionProfile,
  ProfileError,
  parseAdditionalPermissionProfile,
  parsePermissionProfile,
  parseSandboxPolicy,
  serializeAdditionalPermissionProfile,
  serializePermissionProfile,
  serializeSandboxPolicy,
} from '../../../src/permissions/index.js';
import type { PathUri } from '../../../src/path-uri/index.js';

const ABS = 'an absolute path (POSIX "/..." or Windows "C:\\..." / "\\\\server\\share\\...")';

describe('PermissionProfile wire round-trip (parse → serialise is byte-identical)', () => {
  const examples: Array<[string, string]> = [
    // Codex's PermissionProfile wire examples (codex-rs/protocol/src/models.rs).
    [
      'read_only()',
      '{"type":"managed","file_system":{"type":"restricted","entries":[{"path":{"type":"special","value":{"kind":"root"}},"access":"read"}]},"network":"restricted"}',
    ],
    ['disabled', '{"type":"disabled"}'],
    ['external', '{"type":"external","network":"enabled"}'],
    // Every entry shape, optional fields, glob depth.
    [
      'all entry shapes',
      '{"type":"managed","file_system":{"type":"restricted","entries":[' +
        '{"path":{"type":"special","value":{"kind":"root"}},"access":"read"},' +
        '{"path":{"type":"special","value":{"kind":"minimal"}},"access":"read"},' +
        '{"path":{"type":"special","value":{"kind":"project_roots"}},"access":"write"},' +
        '{"path":{"type":"special","value":{"kind":"project_roots","subpath":".git"}},"access":"read","missing_path_behavior":"skip"},' +
        '{"path":{"type":"special","value":{"kind":"tmpdir"}},"access":"write"},' +
        '{"path":{"type":"special","value":{"kind":"slash_tmp"}},"access":"write"},' +
        '{"path":{"type":"special","value":{"kind":"unknown","path":":future","subpath":"x"}},"access":"read"},' +
        '{"path":{"type":"path","path":"/workspace/src"},"access":"write"},' +
        '{"path":{"type":"glob_pattern","pattern":"**/*.env"},"access":"deny"}' +
        '],"glob_scan_max_depth":4},"network":"enabled"}',
    ],
    ['managed unrestricted', '{"type":"managed","file_system":{"type":"unrestricted"},"network":"enabled"}'],
    ['default (no entries)', '{"type":"managed","file_system":{"type":"restricted","entries":[]},"network":"restricted"}'],
  ];
  for (const [name, json] of examples) {
    it(`round-trips ${name}`, () => {
      expect(serializePermissionProfile(parsePermissionProfile(json))).toBe(json);
    });
  }

  it('serialises the read-only preset as the reference example', () => {
    expect(serializePermissionProfile(PermissionProfile.readOnly())).toBe(examples[0]?.[1]);
  });

  it('writes the legacy alias "none" as "deny" and "current_working_directory" as "project_roots"', () => {
    const json =
      '{"type":"managed","file_system":{"type":"restricted","entries":[' +
      '{"path":{"type":"special","value":{"kind":"current_working_directory"}},"access":"none"}]},"network":"restricted"}';
    expect(serializePermissionProfile(parsePermissionProfile(json))).toBe(
      '{"type":"managed","file_system":{"type":"restricted","entries":[' +
        '{"path":{"type":"special","value":{"kind":"project_roots"}},"access":"deny"}]},"network":"restricted"}',
    );
  });

  it('permission_profile_deserializes_legacy_rollout_shape', () => {
    const p = parsePermissionProfile('{"network":{"enabled":true},"file_system":{"read":["/repo"],"write":["/repo/out"]}}');
    expect(serializePermissionProfile(p)).toBe(
      '{"type":"managed","file_system":{"type":"restricted","entries":[' +
        '{"path":{"type":"path","path":"/repo"},"access":"read"},{"path":{"type":"path","path":"/repo/out"},"access":"write"}]},"network":"enabled"}',
    );
    // Absent parts mean nothing granted: restricted network, no entries.
    expect(parsePermissionProfile('{}')).toEqual(PermissionProfile.default());
    expect(parsePermissionProfile('{"network":{"enabled":null},"file_system":null}')).toEqual(PermissionProfile.default());
    // The canonical FileSystemPermissions form is accepted inside the rollout shape too.
    const canonical = parsePermissionProfile(
      '{"file_system":{"entries":[{"path":{"type":"glob_pattern","pattern":"*.pem"},"access":"deny"}],"glob_scan_max_depth":2}}',
    );
    expect(serializePermissionProfile(canonical)).toBe(
      '{"type":"managed","file_system":{"type":"restricted","entries":[{"path":{"type":"glob_pattern","pattern":"*.pem"},"access":"deny"}],"glob_scan_max_depth":2},"network":"restricted"}',
    );
  });

  it('accepts an already-parsed value as well as JSON text', () => {
    expect(parsePermissionProfile({ type: 'external', network: 'restricted' })).toEqual({ type: 'external', network: 'restricted' });
  });

  it('refuses to serialise a path that cannot be written back as a native string', () => {
    const p = PermissionProfile.default();
    if (p.type !== 'managed' || p.fileSystem.type !== 'restricted') throw new Error('unexpected default');
    // A URI whose convention cannot be inferred has no native string (Codex: "permission path cannot be represented losslessly").
    const opaque = { convention: () => undefined, toString: () => 'file:///%00/bad/path/YQ' } as unknown as PathUri;
    p.fileSystem.entries.push({ path: { type: 'path', path: opaque }, access: 'read' });
    expect(() => serializePermissionProfile(p)).toThrow(
      new ProfileError('$.file_system.entries[0].path.path', 'permission path cannot be represented losslessly: file:///%00/bad/path/YQ'),
    );
  });

  it('refuses to serialise a zero glob_scan_max_depth (Codex would refuse to read it back)', () => {
    const p: Parameters<typeof serializePermissionProfile>[0] = {
      type: 'managed',
      fileSystem: { type: 'restricted', entries: [], globScanMaxDepth: 0 },
      network: 'restricted',
    };
    expect(() => serializePermissionProfile(p)).toThrow(new ProfileError('$.file_system.glob_scan_max_depth', 'expected a non-zero positive integer; got 0'));
  });

  it(
    'permission_paths_preserve_native_strings_across_path_conventions (Windows spellings)',
    () => {
      for (const p of ['/workspace/src', 'C:\\workspace\\src', '\\\\server\\share\\src', '\\\\localhost\\share']) {
        const json = `{"type":"managed","file_system":{"type":"restricted","entries":[{"path":{"type":"path","path":${JSON.stringify(p)}},"access":"read"}]},"network":"restricted"}`;
        expect(serializePermissionProfile(parsePermissionProfile(json))).toBe(json);
      }
    },
  );
});

describe('SandboxPolicy wire round-trip', () => {
  const examples = [
    '{"type":"danger-full-access"}',
    '{"type":"read-only"}',
    '{"type":"read-only","network_access":true}',
    '{"type":"external-sandbox","network_access":"restricted"}',
    '{"type":"external-sandbox","network_access":"enabled"}',
    '{"type":"workspace-write","network_access":false,"exclude_tmpdir_env_var":false,"exclude_slash_tmp":false}',
    '{"type":"workspace-write","writable_roots":["/extra","/data/out"],"network_access":true,"exclude_tmpdir_env_var":true,"exclude_slash_tmp":true}',
  ];
  for (const json of examples) {
    it(`round-trips ${json}`, () => {
      expect(serializeSandboxPolicy(parseSandboxPolicy(json))).toBe(json);
    });
  }

  it('fills serde defaults: omitted flags are false, external network is restricted', () => {
    expect(parseSandboxPolicy('{"type":"workspace-write"}')).toEqual({
      type: 'workspace-write',
      writableRoots: [],
      networkAccess: false,
      excludeTmpdirEnvVar: false,
      excludeSlashTmp: false,
    });
    expect(parseSandboxPolicy('{"type":"external-sandbox"}')).toEqual({ type: 'external-sandbox', networkAccess: 'restricted' });
    expect(serializeSandboxPolicy(parseSandboxPolicy('{"type":"read-only","network_access":false}'))).toBe('{"type":"read-only"}');
  });

  it('accepts an older full-access `access` field (it is what the policy means) and drops it', () => {
    expect(serializeSandboxPolicy(parseSandboxPolicy('{"type":"read-only","access":{"type":"full-access"}}'))).toBe('{"type":"read-only"}');
  });
});

describe('AdditionalPermissionProfile wire form', () => {
  const examples = [
    '{"network":{"enabled":true},"file_system":{"read":["/a"],"write":["/b"]}}',
    '{"network":null,"file_system":null}',
    '{"network":{"enabled":null},"file_system":{"write":["/b"]}}',
    // file_system_permissions_with_glob_scan_depth_uses_canonical_json
    '{"network":null,"file_system":{"entries":[{"path":{"type":"glob_pattern","pattern":"**/*.env"},"access":"deny"}],"glob_scan_max_depth":3}}',
    '{"network":{"enabled":false},"file_system":{"entries":[{"path":{"type":"path","path":"/secret"},"access":"deny"}]}}',
  ];
  for (const json of examples) {
    it(`round-trips ${json}`, () => {
      expect(serializeAdditionalPermissionProfile(parseAdditionalPermissionProfile(json))).toBe(json);
    });
  }

  it('uses the legacy {read, write} form only for plain read/write paths', () => {
    const p = parseAdditionalPermissionProfile(
      '{"file_system":{"entries":[{"path":{"type":"path","path":"/a"},"access":"read"},{"path":{"type":"path","path":"/b"},"access":"write"}]}}',
    );
    expect(serializeAdditionalPermissionProfile(p)).toBe('{"network":null,"file_system":{"read":["/a"],"write":["/b"]}}');
  });

  it('file_system_permissions_rejects_zero_glob_scan_depth', () => {
    expect(() => parseAdditionalPermissionProfile('{"file_system":{"entries":[],"glob_scan_max_depth":0}}')).toThrow(
      new ProfileError('$.file_system.glob_scan_max_depth', 'expected a non-zero positive integer; got 0'),
    );
  });
});

describe('malformed input names the JSON path and what was expected', () => {
  it('JSON text with escapes, nesting and whitespace is not mistaken for duplicates', () => {
    const json = ' { "type" : "managed", "file_system": {"type":"restricted","entries":[{"path":{"type":"path","path":"/a\\"b\\\\"},"access":"read"},{"path":{"type":"path","path":"/c"},"access":"read"}]}, "network":"restricted" } ';
    expect(parsePermissionProfile(json).type).toBe('managed');
  });

  const managed = (entries: string, extra = ''): string =>
    `{"type":"managed","file_system":{"type":"restricted","entries":[${entries}]${extra}},"network":"restricted"}`;
  const root = '{"path":{"type":"special","value":{"kind":"root"}},"access":"read"}';
  const profileCases: Array<[string, string, string]> = [
    ['[]', '$', 'expected a permission profile object; got an array'],
    ['"read-only"', '$', 'expected a permission profile object; got "read-only"'],
    ['{"type":"sandboxed"}', '$.type', 'expected one of "managed", "disabled", "external"; got "sandboxed"'],
    ['{"type":"managed","network":"restricted"}', '$.file_system', 'missing field: expected a file_system object'],
    ['{"type":"managed","file_system":{"type":"unrestricted"},"network":"on"}', '$.network', 'expected one of "restricted", "enabled"; got "on"'],
    ['{"type":"external"}', '$.network', 'missing field: expected one of "restricted", "enabled"'],
    [
      '{"type":"managed","file_system":{"type":"partial"},"network":"restricted"}',
      '$.file_system.type',
      'expected one of "restricted", "unrestricted"; got "partial"',
    ],
    ['{"type":"managed","file_system":{"type":"restricted"},"network":"restricted"}', '$.file_system.entries', 'missing field: expected an array of entries'],
    [
      '{"type":"managed","file_system":{"type":"restricted","entries":{}},"network":"restricted"}',
      '$.file_system.entries',
      'expected an array of entries; got an object',
    ],
    [
      managed(`${root},${root},{"path":{"type":"path","path":"/w"},"access":"rw"}`),
      '$.file_system.entries[2].access',
      'expected one of "read", "write", "deny", "none"; got "rw"',
    ],
    [managed('{"path":{"type":"special","value":{"kind":"root"}}}'), '$.file_system.entries[0].access', 'missing field: expected one of "read", "write", "deny", "none"'],
    [managed('{"path":{"type":"file","path":"/w"},"access":"read"}'), '$.file_system.entries[0].path.type', 'expected one of "path", "glob_pattern", "special"; got "file"'],
    [managed('{"path":{"type":"path","path":"src"},"access":"read"}'), '$.file_system.entries[0].path.path', `expected ${ABS}; got "src"`],
    [managed('{"path":{"type":"path","path":"~/src"},"access":"write"}'), '$.file_system.entries[0].path.path', `expected ${ABS}; got "~/src"`],
    [managed('{"path":{"type":"path","path":"file:///w"},"access":"write"}'), '$.file_system.entries[0].path.path', `expected ${ABS}; got "file:///w"`],
    [
      managed('{"path":{"type":"special","value":{"kind":"home"}},"access":"read"}'),
      '$.file_system.entries[0].path.value.kind',
      'expected one of "root", "minimal", "project_roots", "current_working_directory", "tmpdir", "slash_tmp", "unknown"; got "home"',
    ],
    [
      managed('{"path":{"type":"special","value":{"kind":"project_roots","subpath":3}},"access":"read"}'),
      '$.file_system.entries[0].path.value.subpath',
      'expected a string; got 3',
    ],
    [managed('{"path":{"type":"glob_pattern","pattern":""},"access":"deny"}'), '$.file_system.entries[0].path.pattern', 'expected a non-empty glob pattern string; got ""'],
    [managed(root, ',"glob_scan_max_depth":0'), '$.file_system.glob_scan_max_depth', 'expected a non-zero positive integer; got 0'],
    [managed(root, ',"glob_scan_max_depth":2.5'), '$.file_system.glob_scan_max_depth', 'expected a non-zero positive integer; got 2.5'],
    [
      managed('{"path":{"type":"special","value":{"kind":"root"}},"access":"read","missing_path_behavior":"ignore"}'),
      '$.file_system.entries[0].missing_path_behavior',
      'expected one of "skip"; got "ignore"',
    ],
    [
      managed('{"path":{"type":"special","value":{"kind":"root"}},"access":"read","mode":"ro"}'),
      '$.file_system.entries[0].mode',
      'unknown field: expected only "path", "access", "missing_path_behavior"',
    ],
    ['{"network":{"enabled":true},"sandbox":"x"}', '$.sandbox', 'unknown field: expected only "network", "file_system"'],
    ['{"network":{"enabled":"yes"}}', '$.network.enabled', 'expected a boolean (true or false); got "yes"'],
    ['{"file_system":{"read":"/a"}}', '$.file_system.read', `expected an array of ${ABS}s; got "/a"`],
    ['{"file_system":{"write":["rel"]}}', '$.file_system.write[0]', `expected ${ABS}; got "rel"`],
    ['{"type":"managed","type":"disabled"}', '$.type', 'duplicate field: each field may appear once'],
    [
      managed(`${root},{"path":{"type":"path","path":"/w"},"access":"deny","access":"write"}`),
      '$.file_system.entries[1].access',
      'duplicate field: each field may appear once',
    ],
  ];
  for (const [input, path, detail] of profileCases) {
    it(`profile ${input} → ${path}`, () => {
      let caught: unknown;
      try {
        parsePermissionProfile(input);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(ProfileError);
      expect((caught as ProfileError).jsonPath).toBe(path);
      expect((caught as ProfileError).message).toBe(`${path}: ${detail}`);
      expect(String(caught)).toBe(`ProfileError: ${path}: ${detail}`);
    });
  }

  it('invalid JSON text is an error at $', () => {
    expect(() => parsePermissionProfile('{"type":')).toThrow(/^\$: expected valid JSON; /);
  });

  const policyCases: Array<[string, string, string]> = [
    ['{}', '$.type', 'missing field: expected one of "danger-full-access", "read-only", "external-sandbox", "workspace-write"'],
    ['{"type":"full-access"}', '$.type', 'expected one of "danger-full-access", "read-only", "external-sandbox", "workspace-write"; got "full-access"'],
    ['{"type":"read-only","network_access":"yes"}', '$.network_access', 'expected a boolean (true or false); got "yes"'],
    ['{"type":"external-sandbox","network_access":true}', '$.network_access', 'expected one of "restricted", "enabled"; got true'],
    ['{"type":"workspace-write","writable_roots":"/a"}', '$.writable_roots', `expected an array of ${ABS}s; got "/a"`],
    ['{"type":"workspace-write","writable_roots":["/a","relative/dir"]}', '$.writable_roots[1]', `expected ${ABS}; got "relative/dir"`],
    ['{"type":"workspace-write","exclude_slash_tmp":1}', '$.exclude_slash_tmp', 'expected a boolean (true or false); got 1'],
    ['{"type":"danger-full-access","network_access":true}', '$.network_access', 'unknown field: expected only "type"'],
    [
      '{"type":"read-only","access":{"type":"restricted","readable_roots":["/a"]}}',
      '$.access.type',
      'expected "full-access"; got "restricted" (restricted read access is not supported by the legacy policy: use a permission profile with explicit read entries)',
    ],
    [
      '{"type":"workspace-write","writeable_roots":["/a"]}',
      '$.writeable_roots',
      'unknown field: expected only "type", "writable_roots", "read_only_access", "network_access", "exclude_tmpdir_env_var", "exclude_slash_tmp"',
    ],
    ['{"type":"read-only", "network_access":false, "network_access":true}', '$.network_access', 'duplicate field: each field may appear once'],
  ];
  for (const [input, path, detail] of policyCases) {
    it(`policy ${input} → ${path}`, () => {
      expect(() => parseSandboxPolicy(input)).toThrow(new ProfileError(path, detail));
      try {
        parseSandboxPolicy(input);
      } catch (err) {
        expect(err).toBeInstanceOf(ProfileError);
        expect((err as ProfileError).jsonPath).toBe(path);
      }
    });
  }

  it('an unknown named profile lists the valid names', () => {
    expect(() => PermissionProfile.named('full')).toThrow(
      new ProfileError('$', 'unknown permission profile name "full": expected one of "read-only", "workspace-write", "danger-full-access"'),
    );
  });
});
