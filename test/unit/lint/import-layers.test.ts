/**
 * The import graph of src/ is a one-way DAG: the `no-restricted-imports` layer rule in
 * eslint.config.js refuses an upward import (so `npm run lint`, and `npm test`, fail on one), and no
 * module of src/ imports itself back through others.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const REPO = path.resolve(import.meta.dirname, '../../..');

async function layerErrors(file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: REPO });
  const [result] = await eslint.lintText(code, { filePath: path.join(REPO, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('the layer rule (eslint no-restricted-imports)', () => {
  const upward: Array<[string, string]> = [
    ['src/platforms/linux/x.ts', "import type { TransformRequest } from '../../manager/transform.js';"],
    ['src/platforms/linux/x.ts', "import { selectBwrap } from '../../host/bwrap-select.js';"],
    ['src/platforms/linux/x.ts', "import { loadNative } from '../../native.js';"],
    ['src/platforms/linux/x.ts', "import { planWindows } from '../win32/plan.js';"],
    ['src/platforms/darwin/x.ts', "export { launch } from '../../launch/run.js';"],
    ['src/contracts/x.ts', "import { SandboxManager } from '../manager/transform.js';"],
    ['src/env/x.ts', "import { planLinux } from '../platforms/linux/plan.js';"],
    ['src/permissions/x.ts', "import type { HostFacts } from '../contracts/index.js';"],
    ['src/util/x.ts', "import type { ArgvItem } from '../contracts/index.js';"],
    ['src/manager/x.ts', "import { getHostFacts } from '../host/facts.js';"],
    ['src/host/x.ts', "import { launch } from '../launch/run.js';"],
    ['src/launch/x.ts', "import { SandboxManager } from '../manager/transform.js';"],
    ['src/config/x.ts', "import { createSandbox } from '../sandbox.js';"],
    ['src/sandbox.ts', "import { runCommand } from './cli/run.js';"],
    ['src/sandbox.ts', "import { startServer } from './exec-server/index.js';"],
    ['src/errors.ts', "import { isUnder } from './util/path-within.js';"],
  ];
  it.each(upward)('refuses an upward import in %s: %s', async (file, code) => {
    const errors = await layerErrors(file, `${code}\nexport const x = 1;\n`);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/may not import src\//);
  }, 30_000);

  const downward: Array<[string, string]> = [
    ['src/platforms/linux/x.ts', "import type { PlanInput } from '../../contracts/index.js';\nimport { SECCOMP_FD } from './fds.js';"],
    ['src/manager/x.ts', "import { planLinux } from '../platforms/linux/plan.js';"],
    ['src/host/x.ts', "import { loadNative } from '../native.js';"],
    ['src/sandbox.ts', "import { getHostFacts } from './host/facts.js';"],
    ['src/exec-server/x.ts', "import { createSandbox } from '../sandbox.js';"],
    ['src/path-uri/x.ts', "import { SandboxError } from '../errors.js';"],
  ];
  it.each(downward)('accepts a downward import in %s', async (file, code) => {
    expect(await layerErrors(file, `${code}\nexport const x = [${'1'}];\n`)).toEqual([]);
  }, 30_000);
});

describe('every part of src/ has a place in the layers', () => {
  it('each folder and top-level module of src/ (cli/, the top, aside) is covered by the layer rule', async () => {
    const eslint = new ESLint({ cwd: REPO });
    const src = path.join(REPO, 'src');
    const probes: string[] = [];
    for (const e of fs.readdirSync(src, { withFileTypes: true })) {
      if (e.isFile() && e.name.endsWith('.ts')) probes.push(path.join(src, e.name));
      else if (e.isDirectory() && e.name === 'platforms') {
        for (const p of fs.readdirSync(path.join(src, e.name))) probes.push(path.join(src, e.name, p, 'x.ts'));
      } else if (e.isDirectory() && e.name !== 'cli') probes.push(path.join(src, e.name, 'x.ts'));
    }
    const uncovered: string[] = [];
    for (const f of probes) {
      const config = (await eslint.calculateConfigForFile(f)) as { rules?: Record<string, unknown> };
      if (config.rules?.['no-restricted-imports'] === undefined) uncovered.push(path.relative(REPO, f));
    }
    // A new folder gets its line in MAY_IMPORT (eslint.config.js), so its imports are checked too.
    expect(uncovered).toEqual([]);
  }, 60_000);
});

describe('src/ has no import circle', () => {
  it('no module reaches itself through its imports', () => {
    const src = path.join(REPO, 'src');
    const files = fs.readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => path.join(src, f));
    const graph = new Map<string, string[]>();
    for (const f of files) {
      const text = fs.readFileSync(f, 'utf8');
      const deps = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) => path.resolve(path.dirname(f), (m[1] ?? '').replace(/\.js$/, '.ts')));
      graph.set(f, deps.filter((d) => graph.has(d) || files.includes(d)));
    }
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (f: string): void => {
      state.set(f, 'open');
      stack.push(f);
      for (const d of graph.get(f) ?? []) {
        if (state.get(d) === 'open') cycles.push([...stack.slice(stack.indexOf(d)), d].map((p) => path.relative(src, p)).join(' → '));
        else if (!state.has(d)) visit(d);
      }
      stack.pop();
      state.set(f, 'done');
    };
    for (const f of files) if (!state.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });
});
