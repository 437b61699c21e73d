import { describe, it, expect } from 'vitest';
import { KeyLines, formatKeyPath } from '../../../src/config/key-lines.js';

const TEXT = `# comment
default_profile = "dev"

[profiles.dev]
description = "x # not a comment"
network = "restricted"
writable_roots = [
  "~/cache",
  "/opt/x",
]
env = { inherit = "core", set = { FOO = "1" } }

[profiles.dev.filesystem]
":project_roots" = { "." = "write", "**/*.env" = "deny" }
'/literal key'.sub = "read"

[[arr]]
a = 1
[[arr]]
a = 2
`;

describe('KeyLines', () => {
  const lines = new KeyLines(TEXT);
  it('finds top-level keys, table headers and keys in tables', () => {
    expect(lines.lineOf(['default_profile'])).toBe(2);
    expect(lines.lineOf(['profiles', 'dev'])).toBe(4);
    expect(lines.lineOf(['profiles', 'dev', 'network'])).toBe(6);
  });
  it('finds array elements on their own lines', () => {
    expect(lines.lineOf(['profiles', 'dev', 'writable_roots'])).toBe(7);
    expect(lines.lineOf(['profiles', 'dev', 'writable_roots', '1'])).toBe(9);
  });
  it('finds keys inside inline tables, quoted and literal keys', () => {
    expect(lines.lineOf(['profiles', 'dev', 'env', 'set', 'FOO'])).toBe(11);
    expect(lines.lineOf(['profiles', 'dev', 'filesystem', ':project_roots', '**/*.env'])).toBe(14);
    expect(lines.lineOf(['profiles', 'dev', 'filesystem', '/literal key', 'sub'])).toBe(15);
  });
  it('numbers arrays of tables', () => {
    expect(lines.lineOf(['arr', '1', 'a'])).toBe(20);
  });
  it('falls back to the nearest written parent, and to an implied table’s first key', () => {
    expect(lines.lineOf(['profiles', 'dev', 'missing'])).toBe(4);
    expect(lines.lineOf(['profiles'])).toBe(4);
    expect(lines.lineOf(['nowhere'])).toBe(1);
  });
  it('formats key paths as TOML would write them', () => {
    expect(formatKeyPath(['profiles', 'dev', 'filesystem', ':root'])).toBe('profiles.dev.filesystem.":root"');
    expect(formatKeyPath(['profiles', 'dev', 'writable_roots', '1'])).toBe('profiles.dev.writable_roots[1]');
  });
  it('never throws on text it does not understand', () => {
    expect(new KeyLines('a = \n[[[').lineOf(['a'])).toBe(1);
  });
});
