/**
 * The package's public surface, checked on the declarations a user compiles against: every entry point
 * in package.json "exports" maps to a source file, and every type that a public export mentions (a
 * parameter, a return type, a property, a base class — followed transitively) is itself exported from
 * one of those entry points, so a user can name what they pass and what they get back.
 *
 * The declarations are emitted in memory with the TypeScript compiler API (the same `tsc` the build
 * uses), so no build is needed first.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Never written: the in-memory declarations live here so node_modules still resolves from it. */
const virtualOut = join(repo, '.public-api-declarations');

interface ExportTarget {
  types: string;
  import: string;
}

function exportTargets(): Map<string, ExportTarget> {
  const manifest = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
  const out = new Map<string, ExportTarget>();
  for (const [subpath, target] of Object.entries(manifest.exports)) {
    if (subpath === './package.json') continue;
    const t = target as Partial<ExportTarget>;
    if (typeof t.types !== 'string' || typeof t.import !== 'string') throw new Error(`package.json exports["${subpath}"] needs "types" and "import"`);
    out.set(subpath, { types: t.types, import: t.import });
  }
  return out;
}

/** `./dist/src/x/y.d.ts` → `<repo>/src/x/y.ts` (tsconfig: rootDir ".", outDir "dist"). */
function sourceOf(distPath: string): string {
  return join(repo, distPath.replace(/^\.\/dist\//, '').replace(/\.d\.ts$/, '.ts').replace(/\.js$/, '.ts'));
}

function compilerOptions(): ts.CompilerOptions {
  const config = ts.readConfigFile(join(repo, 'tsconfig.json'), (f) => ts.sys.readFile(f));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, repo);
  return { ...parsed.options, noEmit: false, declaration: true, emitDeclarationOnly: true, sourceMap: false, declarationMap: false, outDir: virtualOut, rootDir: repo };
}

/** Emits the entry points' declarations (and those of everything they import) into a map. */
function emitDeclarations(entries: string[], options: ts.CompilerOptions): Map<string, string> {
  const program = ts.createProgram(entries, options);
  const errors = ts.getPreEmitDiagnostics(program).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length) throw new Error(ts.formatDiagnostics(errors, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => repo, getNewLine: () => '\n' }));
  const out = new Map<string, string>();
  program.emit(undefined, (file, text) => out.set(resolve(file), text), undefined, true);
  return out;
}

function ancestors(file: string): string[] {
  const out: string[] = [];
  for (let d = dirname(file); d.startsWith(virtualOut); d = dirname(d)) out.push(d);
  return out;
}

function declarationProgram(files: Map<string, string>, options: ts.CompilerOptions, roots: string[]): ts.Program {
  const host = ts.createCompilerHost(options);
  const { fileExists, readFile, getSourceFile, directoryExists } = host;
  const dirs = new Set([...files.keys()].flatMap((f) => ancestors(f)));
  host.fileExists = (f) => files.has(resolve(f)) || fileExists.call(host, f);
  host.directoryExists = (d) => dirs.has(resolve(d)) || (directoryExists?.call(host, d) ?? false);
  host.readFile = (f) => files.get(resolve(f)) ?? readFile.call(host, f);
  host.getSourceFile = (f, lang, onError, create) => {
    const text = files.get(resolve(f));
    return text !== undefined ? ts.createSourceFile(f, text, lang, true) : getSourceFile.call(host, f, lang, onError, create);
  };
  const program = ts.createProgram(roots, { ...options, noEmit: true }, host);
  // The declarations must stand on their own: an unresolved import would hide the types behind it.
  const errors = ts.getPreEmitDiagnostics(program).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length) throw new Error(ts.formatDiagnostics(errors, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => repo, getNewLine: () => '\n' }));
  return program;
}

function isPrivate(node: ts.Node): boolean {
  if (!ts.canHaveModifiers(node)) return false;
  return (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.PrivateKeyword || m.kind === ts.SyntaxKind.ProtectedKeyword);
}

interface Surface {
  /** Public name → where it is exported from. */
  exported: Map<ts.Symbol, string>;
  /** Declared in this package but not exported, with the public name that mentions it. */
  missing: Map<string, string>;
  names: Map<string, string[]>;
}

function walkSurface(program: ts.Program, entries: Map<string, string>): Surface {
  const checker = program.getTypeChecker();
  const ours = (sf: ts.SourceFile): boolean => resolve(sf.fileName).startsWith(virtualOut + '/');
  const resolveAlias = (s: ts.Symbol): ts.Symbol => (s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s);
  const exported = new Map<ts.Symbol, string>();
  const names = new Map<string, string[]>();
  for (const [subpath, file] of entries) {
    const sf = program.getSourceFile(file);
    if (!sf) throw new Error(`${file} was not emitted`);
    const mod = checker.getSymbolAtLocation(sf);
    if (!mod) throw new Error(`${file} is not a module`);
    const list: string[] = [];
    for (const e of checker.getExportsOfModule(mod)) {
      const s = resolveAlias(e);
      exported.set(s, subpath);
      list.push(e.name);
      // `export type X = Y` re-exports Y under another name: Y is nameable too.
      for (const d of s.declarations ?? []) {
        if (ts.isTypeAliasDeclaration(d) && ts.isTypeReferenceNode(d.type) && !d.type.typeArguments) {
          const target = checker.getSymbolAtLocation(d.type.typeName);
          if (target) exported.set(resolveAlias(target), subpath);
        }
      }
    }
    names.set(subpath, list.sort());
  }

  const missing = new Map<string, string>();
  const seen = new Set<ts.Symbol>();
  const queue: Array<{ symbol: ts.Symbol; via: string }> = [...exported.keys()].map((symbol) => ({ symbol, via: symbol.name }));
  const mention = (target: ts.Symbol | undefined, via: string): void => {
    if (!target) return;
    const s = resolveAlias(target);
    if (s.flags & ts.SymbolFlags.TypeParameter) return;
    const decls = s.declarations ?? [];
    if (!decls.some((d) => ours(d.getSourceFile()))) return;
    // A property or method of a public type is reached through its owner (`X['y']`).
    if (s.flags & (ts.SymbolFlags.Property | ts.SymbolFlags.Method | ts.SymbolFlags.EnumMember)) return;
    if (!exported.has(s) && !missing.has(s.name)) missing.set(s.name, via);
    if (!seen.has(s)) queue.push({ symbol: s, via: `${via} → ${s.name}` });
  };
  const visit = (node: ts.Node, via: string): void => {
    if (isPrivate(node)) return;
    if (ts.isTypeReferenceNode(node)) mention(checker.getSymbolAtLocation(node.typeName), via);
    else if (ts.isExpressionWithTypeArguments(node)) mention(checker.getSymbolAtLocation(node.expression), via);
    else if (ts.isTypeQueryNode(node)) mention(checker.getSymbolAtLocation(node.exprName), via);
    else if (ts.isImportTypeNode(node) && node.qualifier) mention(checker.getSymbolAtLocation(node.qualifier), via);
    ts.forEachChild(node, (c) => visit(c, via));
  };
  while (queue.length) {
    const { symbol, via } = queue.shift() as { symbol: ts.Symbol; via: string };
    if (seen.has(symbol)) continue;
    seen.add(symbol);
    for (const d of symbol.declarations ?? []) if (ours(d.getSourceFile())) visit(d, via);
  }
  return { exported, missing, names };
}

describe('the public API (package.json "exports")', () => {
  const targets = exportTargets();
  let surface: Surface;

  beforeAll(() => {
    const options = compilerOptions();
    const sources = [...targets.values()].map((t) => sourceOf(t.types));
    const files = emitDeclarations(sources, options);
    const entryDecls = new Map([...targets].map(([subpath, t]) => [subpath, join(virtualOut, relative(repo, sourceOf(t.types)).replace(/\.ts$/, '.d.ts'))]));
    surface = walkSurface(declarationProgram(files, options, [...entryDecls.values()]), entryDecls);
  }, 120_000);

  it('has the main entry and the permissions and config subpaths, each with types next to its JavaScript', () => {
    expect([...targets.keys()].sort()).toEqual(['.', './config', './permissions']);
    for (const t of targets.values()) expect(t.types.replace(/\.d\.ts$/, '.js')).toBe(t.import);
  });

  it('exports every type its exports mention (parameters, results, properties, base classes), transitively', () => {
    const report = [...surface.missing].map(([name, via]) => `${name} (reached via ${via})`).sort();
    expect(report, `declared in the package, used by a public export, but not exported from any entry point:\n${report.join('\n')}`).toEqual([]);
  });

  it('keeps the main entry small: what a user calls, catches, and gets back', () => {
    const main = surface.names.get('.') ?? [];
    const count = (subpath: string): number => (surface.names.get(subpath) ?? []).length;
    console.log(`public API: ${main.length} names from "codex-sandbox", ${count('./permissions')} from "codex-sandbox/permissions", ${count('./config')} from "codex-sandbox/config"`);
    for (const name of ['createSandbox', 'Sandbox', 'SpawnOptions', 'LaunchRequest', 'PathUri', 'PermissionProfile', 'PlanError']) expect(main).toContain(name);
    // Planner plumbing and test seams stay internal.
    for (const name of ['SandboxManager', 'getHostFacts', 'Planner', 'PlanInput', 'globToRegExp', 'createReadDenyMatcher', 'BAD_PATH_URI_PREFIX']) expect(main).not.toContain(name);
  });
});
