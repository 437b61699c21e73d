/**
 * Golden tests: the generated Seatbelt policy and parameters for each scenario in fixtures.ts are
 * compared with test/fixtures/darwin/<name>.sb and <name>.params.json. Regenerate after a reviewed
 * change with `UPDATE_GOLDEN=1 npx vitest run test/unit/darwin/golden.test.ts` and read the diff.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { planDarwin } from '../../../src/platforms/darwin/plan.js';
import { BASE_POLICY, NETWORK_ENABLED_POLICY, PLATFORM_DEFAULTS_POLICY, PREFERENCES_POLICY } from '../../../src/platforms/darwin/base-policy.js';
import type { DarwinNativePlan } from '../../../src/contracts/index.js';
import { head, parseSexprs, printSexpr, walkSexprs } from '../../helpers/sexpr.js';
import { SCENARIOS, fakeFs, planInput } from './fixtures.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/darwin');
const UPDATE = process.env.UPDATE_GOLDEN === '1';
const FIXED_SECTIONS = [BASE_POLICY, NETWORK_ENABLED_POLICY, PLATFORM_DEFAULTS_POLICY, PREFERENCES_POLICY];

function plan(name: string): DarwinNativePlan {
  const s = SCENARIOS[name]!;
  const native = planDarwin(planInput(s.perms, fakeFs(s.fs))).native;
  if (native.platform !== 'darwin') throw new Error('expected a darwin plan');
  return native;
}

/** Every path the scenario put into the permissions (roots, carve-outs, exact deny paths). */
function inputPaths(name: string): string[] {
  const fsp = SCENARIOS[name]!.perms.fileSystem;
  return [
    ...fsp.readableRoots,
    ...fsp.writableRoots.flatMap((r) => [r.root, ...r.readOnlySubpaths]),
    ...fsp.unreadableRoots,
  ];
}

describe('darwin golden policies', () => {
  for (const name of Object.keys(SCENARIOS)) {
    describe(name, () => {
      it('matches the reviewed golden policy and parameters', () => {
        const native = plan(name);
        const sbFile = join(FIXTURES, `${name}.sb`);
        const paramsFile = join(FIXTURES, `${name}.params.json`);
        if (UPDATE) {
          mkdirSync(FIXTURES, { recursive: true });
          writeFileSync(sbFile, native.policy);
          writeFileSync(paramsFile, JSON.stringify(native.params, null, 2) + '\n');
        }
        expect(existsSync(sbFile), `${sbFile} missing: run with UPDATE_GOLDEN=1 and review it`).toBe(true);
        expect(native.policy).toBe(readFileSync(sbFile, 'utf8'));
        expect(native.params).toEqual(JSON.parse(readFileSync(paramsFile, 'utf8')));
      });

      it('is well-formed SBPL: (version 1), (deny default), then only allow/deny rules', () => {
        const forms = parseSexprs(plan(name).policy);
        expect(printSexpr(forms[0]!)).toBe('(version 1)');
        expect(printSexpr(forms[1]!)).toBe('(deny default)');
        for (const f of forms.slice(2)) expect(['allow', 'deny']).toContain(head(f));
      });

      it('refers to exactly the parameters it passes, each once', () => {
        const native = plan(name);
        const used = new Set<string>();
        for (const node of walkSexprs(parseSexprs(native.policy))) {
          if (head(node) === 'param' && node.type === 'list') {
            const arg = node.items[1];
            expect(arg?.type).toBe('string');
            if (arg?.type === 'string') used.add(arg.value);
          }
        }
        const names = native.params.map(([k]) => k);
        expect(new Set(names).size).toBe(names.length);
        expect([...used].sort()).toEqual([...names].sort());
      });

      it('contains no path text: roots, carve-outs and deny paths appear only as parameters', () => {
        const native = plan(name);
        // The fixed sections are constants (no caller input reaches them) and name system paths
        // such as /System/Volumes/Data/Users, so only the generated remainder is inspected.
        let generated = native.policy;
        for (const fixed of FIXED_SECTIONS) generated = generated.replace(fixed, '');
        // Deny-read globs are the documented exception (compiled to regexes), so regex atoms are
        // not inspected here; glob-regex.test.ts shows they hold no quote or backslash.
        const atoms = [...walkSexprs(parseSexprs(generated))].filter((n) => n.type === 'string' || n.type === 'symbol');
        const paths = [...new Set([...inputPaths(name), ...native.params.map(([, v]) => v)])].filter((p) => p !== '/');
        for (const p of paths) {
          for (const a of atoms) if (a.type === 'string' || a.type === 'symbol') expect(a.value.includes(p), `${JSON.stringify(p)} inside ${JSON.stringify(a.value)}`).toBe(false);
          const withoutRegexes = generated.replace(/#"[^"]*"/g, '');
          expect(withoutRegexes.includes(p), `${JSON.stringify(p)} in policy text`).toBe(false);
        }
      });
    });
  }
});
