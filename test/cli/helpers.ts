/** Runs the built codex-sandbox binary (dist/, from `npm run build:ts`) in an isolated HOME. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The command users run: package.json's bin (the bundled CLI, dist/cli/main.js). */
export const bin = path.join(repo, 'dist', 'cli', 'main.js');

export function requireBuilt(): void {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`npm run build:ts\` before the CLI tests (npm test does)`);
}

export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Everything, for assertion messages. */
  report: string;
}

/** A scratch world: a HOME with no configuration, a project dir inside it, cleaned by `dispose`. */
export class Scratch {
  readonly root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'codex-sandbox-cli-')));
  readonly home = path.join(this.root, 'home');
  readonly project = path.join(this.root, 'home', 'proj');

  constructor() {
    mkdirSync(this.project, { recursive: true });
  }

  /** Writes a file (creating parents) relative to the scratch root; returns its absolute path. */
  write(rel: string, text: string): string {
    const p = path.join(this.root, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, text);
    return p;
  }

  get userConfig(): string {
    return path.join(this.home, '.config', 'codex-sandbox', 'config.toml');
  }

  env(extra: Record<string, string> = {}): Record<string, string> {
    const env: Record<string, string> = {};
    for (const k of ['PATH', 'LANG', 'TMPDIR']) {
      const v = process.env[k];
      if (v !== undefined) env[k] = v;
    }
    return { ...env, HOME: this.home, ...extra };
  }

  cli(args: string[], opts: { cwd?: string; env?: Record<string, string>; input?: string } = {}): CliResult {
    const r = spawnSync(process.execPath, [bin, ...args], {
      cwd: opts.cwd ?? this.project,
      env: opts.env ?? this.env(),
      encoding: 'utf8',
      input: opts.input ?? '',
      timeout: 60_000,
    });
    const report = `codex-sandbox ${args.join(' ')} → status ${String(r.status)} signal ${String(r.signal)}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
    return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, report };
  }

  dispose(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** 1-based line of the first line of `text` containing `needle` (so tests never hard-code line numbers). */
export function lineOf(text: string, needle: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`${needle} not in fixture`);
  return i + 1;
}
