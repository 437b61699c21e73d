/**
 * Codex's `[permissions.NAME.filesystem]` grammar (`codex-rs/core/src/config/permissions.rs`),
 * the one implementation used for Codex profiles, `[profiles.NAME.filesystem]`, `writable_roots` and
 * `deny_read`. Two steps: `readFilesystemTable` validates the text (pure, at parse time, so errors
 * carry the line); `compileFsRules` turns rules into entries once `~` can be expanded.
 */
import { projectRootsGlobPattern } from '../permissions/index.js';
import type { FileSystemAccessMode, FileSystemPath, FileSystemSandboxEntry, FileSystemSpecialPath } from '../permissions/index.js';
import { isGlobPattern } from '../permissions/glob-syntax.js';
import { inferConvention, pathUriFromNative } from '../permissions/path-text.js';
import type { Platform } from '../path-uri/index.js';
import { ConfigError } from './errors.js';
import type { KeyPath } from './key-lines.js';
import type { ConfigOrigin, Origin } from './origin.js';
import { describe, isTable, readPositiveInt, readTable } from './toml-doc.js';
import type { TomlDoc } from './toml-doc.js';

/** One `key = access` or one `key = { subpath = access }` element, validated. */
export interface FsRule {
  /** The table key: `:root`, `:workspace_roots`, `/abs`, `~/x`, or an absolute glob. */
  key: string;
  /** For scoped tables: the subpath (`.` = the key itself). */
  subpath?: string;
  access: FileSystemAccessMode;
  /** Where it is written; a preset origin for built-in parents. */
  origin: Origin;
  /** The key path for error messages (`permissions.x.filesystem.":root"`). */
  keyPath: KeyPath;
}

export interface FilesystemTable {
  rules: FsRule[];
  globScanMaxDepth?: { value: number; origin: ConfigOrigin };
}

const ACCESS_INPUTS = ['read', 'write', 'deny', 'none'] as const;

const KNOWN_SPECIALS: Record<string, FileSystemSpecialPath> = {
  ':root': { kind: 'root' },
  ':minimal': { kind: 'minimal' },
  ':workspace_roots': { kind: 'project_roots' },
  ':project_roots': { kind: 'project_roots' },
  ':tmpdir': { kind: 'tmpdir' },
  ':slash_tmp': { kind: 'slash_tmp' },
};

function stripTrailingGlobstar(text: string): string {
  return text.endsWith('/**') ? text.slice(0, -3) : text;
}

/** Absolute POSIX or Windows path, `~`, or `~/...`. */
function isAbsoluteOrHome(text: string): boolean {
  return inferConvention(text) !== undefined || text === '~' || text.startsWith('~/');
}

function isProjectRoots(key: string): boolean {
  return key === ':workspace_roots' || key === ':project_roots';
}

/** Codex `parse_relative_subpath`: non-empty, only normal components (no `.`, `..`, root or drive). */
function isPlainSubpath(subpath: string): boolean {
  if (subpath === '' || subpath.startsWith('/') || subpath.startsWith('\\') || /^[A-Za-z]:/.test(subpath)) return false;
  return subpath.split(/[\\/]/).every((s) => s !== '' && s !== '.' && s !== '..');
}

function readAccess(doc: TomlDoc, value: unknown, path: KeyPath): FileSystemAccessMode {
  if (typeof value !== 'string' || !(ACCESS_INPUTS as readonly string[]).includes(value)) {
    throw doc.error(path, `expected "read", "write" or "deny", or a table of subpaths; got ${describe(value)}`);
  }
  // `none` is Codex's input alias of `deny`.
  return value === 'none' ? 'deny' : (value as FileSystemAccessMode);
}

/** Grammar checks shared by every rule source. Throws the message Codex would give. */
export function checkRule(key: string, subpath: string | undefined, access: FileSystemAccessMode): string | undefined {
  const special = key.startsWith(':');
  if (subpath === undefined) {
    if (isGlobPattern(key)) {
      if (!isAbsoluteOrHome(key)) return `filesystem path \`${key}\` must be absolute, use \`~/...\`, or start with \`:\``;
      if (access !== 'deny' && isGlobPattern(stripTrailingGlobstar(key))) {
        return `filesystem glob path \`${key}\` only supports \`deny\` access; use an exact path or trailing \`/**\` for \`${access}\` subtree access`;
      }
      return undefined;
    }
    if (!special && !isAbsoluteOrHome(key)) return `filesystem path \`${key}\` must be absolute, use \`~/...\`, or start with \`:\``;
    return undefined;
  }
  if (!special && !isAbsoluteOrHome(key)) return `filesystem path \`${key}\` must be absolute, use \`~/...\`, or start with \`:\``;
  if (subpath === '.') return undefined;
  const nestable = !special || isProjectRoots(key) || KNOWN_SPECIALS[key] === undefined;
  if (!nestable) return `filesystem path \`${key}\` does not support nested entries`;
  if (isGlobPattern(subpath)) {
    if (access === 'deny') {
      if (special && !isProjectRoots(key)) return `filesystem path \`${key}\` does not support nested entries`;
    } else if (isGlobPattern(stripTrailingGlobstar(subpath))) {
      return `filesystem glob path \`${subpath}\` only supports \`deny\` access; use an exact path or trailing \`/**\` for \`${access}\` subtree access`;
    }
  }
  if (!isPlainSubpath(stripTrailingGlobstar(subpath))) {
    return `filesystem subpath \`${subpath}\` must be a descendant path without \`.\` or \`..\` components`;
  }
  return undefined;
}

/**
 * Codex ignores a special path it does not know (a newer Codex's); in a deny rule that would drop a
 * restriction on a typo (`:projet_roots`), so a deny naming an unknown special path is refused.
 */
function checkDenySpecial(key: string, access: FileSystemAccessMode): string | undefined {
  if (access !== 'deny' || !key.startsWith(':') || KNOWN_SPECIALS[key] !== undefined) return undefined;
  return `\`${key}\` is not a known special path, and a deny rule on it would deny nothing; write one of ${Object.keys(KNOWN_SPECIALS).join(', ')} or an absolute path`;
}

/** Validates a `filesystem` table: `glob_scan_max_depth` plus path keys. */
export function readFilesystemTable(doc: TomlDoc, value: unknown, path: KeyPath): FilesystemTable {
  const table = readTable(doc, value, path);
  const out: FilesystemTable = { rules: [] };
  for (const [key, v] of Object.entries(table)) {
    const keyPath = [...path, key];
    if (key === 'glob_scan_max_depth') {
      // Codex: "glob_scan_max_depth must be at least 1".
      out.globScanMaxDepth = { value: readPositiveInt(doc, v, keyPath), origin: doc.origin(keyPath) };
      continue;
    }
    if (isTable(v)) {
      for (const [sub, acc] of Object.entries(v)) {
        const subPath = [...keyPath, sub];
        const access = readAccess(doc, acc, subPath);
        const problem = checkDenySpecial(key, access) ?? checkRule(key, sub, access);
        if (problem !== undefined) throw doc.error(subPath, problem);
        out.rules.push({ key, subpath: sub, access, origin: doc.origin(subPath), keyPath: subPath });
      }
      continue;
    }
    const access = readAccess(doc, v, keyPath);
    const problem = checkDenySpecial(key, access) ?? checkRule(key, undefined, access);
    if (problem !== undefined) throw doc.error(keyPath, problem);
    out.rules.push({ key, access, origin: doc.origin(keyPath), keyPath });
  }
  return out;
}

/** A rule's target, for extends merging: a child rule replaces a parent rule with the same target. */
export function ruleTarget(rule: FsRule): string {
  const key = rule.key === ':project_roots' ? ':workspace_roots' : rule.key;
  return rule.subpath === undefined || rule.subpath === '.' ? key : `${key}\u0000${rule.subpath}`;
}

export interface CompileContext {
  /** Home directory for `~`; without it a `~` rule is an error (never silently dropped). */
  home: string | undefined;
  /** Host platform: decides the `**` warning (Seatbelt handles globs natively, others scan). */
  platform: Platform;
  /** Set when the surrounding profile caps the glob scan (silences the `**` warning). */
  globScanMaxDepth?: number;
}

export interface CompiledRules {
  entries: FileSystemSandboxEntry[];
  origins: Origin[];
  warnings: string[];
}

function ruleError(rule: FsRule, detail: string): ConfigError {
  const o = rule.origin;
  return o.kind === 'config' ? new ConfigError(o.file, o.line, rule.keyPath, detail) : new ConfigError('(built-in)', 0, rule.keyPath, detail);
}

function expandHome(rule: FsRule, text: string, home: string | undefined): string {
  if (text !== '~' && !text.startsWith('~/')) return text;
  if (home === undefined) throw ruleError(rule, `cannot expand \`${text}\`: the home directory is unknown (set HOME or write an absolute path)`);
  return text === '~' ? home : `${home.replace(/\/+$/, '')}/${text.slice(2)}`;
}

function join(base: string, subpath: string): string {
  const win = inferConvention(base) === 'windows';
  const sep = win ? '\\' : '/';
  const sub = win ? subpath.replace(/\//g, '\\') : subpath;
  return base.endsWith(sep) ? `${base}${sub}` : `${base}${sep}${sub}`;
}

function absolutePath(rule: FsRule, text: string): FileSystemPath {
  const uri = pathUriFromNative(text);
  if (uri === undefined) throw ruleError(rule, `filesystem path \`${text}\` is not a valid absolute path`);
  return { type: 'path', path: uri };
}

function compileOne(rule: FsRule, ctx: CompileContext, warnings: string[]): FileSystemPath {
  const { key, access } = rule;
  const subpath = rule.subpath === '.' ? undefined : rule.subpath;
  const special: FileSystemSpecialPath | undefined = key.startsWith(':') ? (KNOWN_SPECIALS[key] ?? { kind: 'unknown', path: key }) : undefined;
  if (special?.kind === 'unknown') {
    warnings.push(
      subpath === undefined
        ? `Configured filesystem path \`${key}\` is not recognized and will be ignored.`
        : `Configured filesystem path \`${key}\` with nested entry \`${subpath}\` is not recognized and will be ignored.`,
    );
  }
  if (subpath === undefined) {
    if (special !== undefined) return { type: 'special', value: special };
    const text = expandHome(rule, key, ctx.home);
    if (isGlobPattern(key)) {
      if (access === 'deny') return { type: 'glob_pattern', pattern: text };
      return absolutePath(rule, stripTrailingGlobstar(text));
    }
    return absolutePath(rule, text);
  }
  if (isGlobPattern(subpath) && access === 'deny') {
    // Project-root globs stay symbolic until the workspace roots are known (Codex
    // `project_roots_glob_pattern`).
    if (special !== undefined) return { type: 'glob_pattern', pattern: projectRootsGlobPattern(subpath) };
    return { type: 'glob_pattern', pattern: join(expandHome(rule, key, ctx.home), subpath) };
  }
  const sub = stripTrailingGlobstar(subpath);
  if (special !== undefined) {
    if (special.kind === 'unknown') return { type: 'special', value: { kind: 'unknown', path: key, subpath: sub } };
    return { type: 'special', value: { kind: 'project_roots', subpath: sub } };
  }
  return absolutePath(rule, join(expandHome(rule, key, ctx.home), sub));
}

/** Rules → entries (with an origin per entry) and warnings, in rule order. */
export function compileFsRules(rules: readonly FsRule[], ctx: CompileContext): CompiledRules {
  const out: CompiledRules = { entries: [], origins: [], warnings: [] };
  for (const rule of rules) {
    const path = compileOne(rule, ctx, out.warnings);
    out.entries.push({ path, access: rule.access });
    out.origins.push(rule.origin);
    const scoped = rule.subpath !== undefined && rule.subpath !== '.';
    const pattern = scoped ? rule.subpath : rule.key;
    if (ctx.platform !== 'darwin' && pattern !== undefined) {
      if (rule.access !== 'deny' && isGlobPattern(stripTrailingGlobstar(pattern))) {
        warnings(out, `Filesystem glob \`${pattern}\` uses \`${rule.access}\` access, which is not fully supported on this platform. Use an exact path or a trailing \`/**\` subtree rule instead.`);
      }
      if (rule.access === 'deny' && pattern.includes('**') && ctx.globScanMaxDepth === undefined) {
        warnings(
          out,
          `Filesystem deny-read glob \`${pattern}\` uses \`**\`; without \`glob_scan_max_depth\` the pre-launch glob scan on this platform is unbounded. Set \`glob_scan_max_depth\` to cap it.`,
        );
      }
    }
  }
  return out;
}

function warnings(out: CompiledRules, message: string): void {
  if (!out.warnings.includes(message)) out.warnings.push(message);
}
