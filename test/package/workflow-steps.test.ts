/**
 * Replays locally what can be checked of the workflow's `run:` steps without a runner: each step is
 * valid bash as written (every job runs its steps with `shell: bash`, Git Bash on Windows), every
 * script file it names exists in the checkout and is executable by bash, and every `npm run` /
 * `npm test` it calls is a script in package.json. actionlint.test.ts checks the workflow's own
 * structure; what only a macOS or Windows runner can show is said in docs/security.md ("What is proven where").
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const workflowsDir = join(repo, '.github', 'workflows');
const scripts = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

interface RunStep {
  file: string;
  line: number;
  script: string;
}

/** The `run:` values of a workflow: one-liners and `|` blocks (the only two forms the workflows use). */
function runSteps(file: string): RunStep[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const out: RunStep[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)(?:- )?run:\s*(.*)$/.exec(lines[i]!);
    if (!m) continue;
    const indent = m[1]!.length;
    const value = m[2]!;
    if (value !== '|' && value !== '|-') {
      out.push({ file, line: i + 1, script: value });
      continue;
    }
    const body: string[] = [];
    for (let j = i + 1; j < lines.length; j++) {
      const l = lines[j]!;
      if (l.trim() !== '' && l.length - l.trimStart().length <= indent) break;
      body.push(l.trim());
    }
    out.push({ file, line: i + 1, script: body.join('\n') });
  }
  return out;
}

/** `${{ matrix.target }}` and friends become a plain word (their values are checked by actionlint). */
const withoutExpressions = (s: string): string => s.replace(/\$\{\{[^}]*\}\}/g, 'EXPR');

const steps = readdirSync(workflowsDir)
  .filter((n) => /\.ya?ml$/.test(n))
  .flatMap((n) => runSteps(join(workflowsDir, n)));

describe('workflow run: steps are runnable as written', () => {
  it('finds the steps (the extractor understands the workflow)', () => {
    expect(steps.length).toBeGreaterThan(10);
    expect(steps.some((s) => s.script.includes('scripts/install.sh'))).toBe(true);
  });

  for (const step of steps) {
    const where = `${step.file.slice(repo.length + 1)}:${step.line}`;
    it(`${where}: ${step.script.split('\n')[0]}`, () => {
      const text = withoutExpressions(step.script);
      // bash -n: parses without running anything.
      execFileSync('bash', ['-n', '-c', text], { stdio: 'pipe' });
      for (const m of text.matchAll(/(?:^|\s)((?:scripts|native\/scripts)\/[\w./-]+\.(?:sh|mjs))/g)) {
        expect(existsSync(join(repo, m[1]!)), `${where} names ${m[1]}, which is not in the checkout`).toBe(true);
      }
      for (const m of text.matchAll(/\bnpm (?:run(?:-script)? (?:--silent )?([\w:-]+)|(test)\b)/g)) {
        const name = m[1] ?? m[2]!;
        expect(scripts[name], `${where} runs npm script "${name}", which package.json does not define`).toBeDefined();
      }
    });
  }
});
