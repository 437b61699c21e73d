/**
 * Mixed registry versions: a format-3 launcher (this build) and a format-2 launcher (main before
 * format 3, built from commit 398e56e by scripts/build-old-launcher.sh) share targets in one
 * registry directory, as two installed versions (or two checkouts) of one user do with
 * /tmp/codex-sandbox-registry-<uid>. Neither may remove a placeholder the other still has mounted:
 * unlink(2) of a mount point used in another mount namespace detaches that mount there
 * (mount_namespaces(7)), which would unmask the protected path inside the other sandbox.
 * Real bwrap, real mounts; each check looks inside the sandbox that must still be protected.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { bwrapBase, bwrapWorks, NO_BWRAP_REASON, startLauncher, SYSTEM_BWRAP } from './harness.js';

const OLD_COMMIT = '398e56e';
const OLD = process.env.CODEX_SANDBOX_OLD_LAUNCHER ?? `/tmp/codex-sandbox-old-launcher-${OLD_COMMIT}`;
const noOld = existsSync(OLD)
  ? undefined
  : `no format-2 launcher at ${OLD}: build one with scripts/build-old-launcher.sh ${OLD_COMMIT} ${OLD} (or set CODEX_SANDBOX_OLD_LAUNCHER)`;
const skip = !bwrapWorks ? NO_BWRAP_REASON : noOld;

describe.skipIf(skip !== undefined)(`registry: format-3 and format-2 launchers side by side${skip !== undefined ? ` (skipped: ${skip})` : ''}`, () => {
  let root: string;
  let work: string;
  let registry: string;
  let target: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'codex-registry-mixed-'));
    work = join(root, 'work');
    registry = join(root, 'registry');
    target = join(work, 'protected');
    mkdirSync(work);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** A sandbox masking `target` with an empty read-only file; prints ready, then on a line of
   * stdin says whether the mask is still there (a detached mount leaves nothing at the path). */
  function masked(program: string | undefined, bwrap = SYSTEM_BWRAP): ReturnType<typeof startLauncher> {
    const check = `echo ready; read line; if test -f ${target} && ! { echo x > ${target}; } 2>/dev/null; then echo still-masked; else echo UNMASKED; fi`;
    return startLauncher(
      [
        '--bwrap', '--devnull', '7', '--registry', registry, '--synthetic', target,
        '--', bwrap, ...bwrapBase(), '--bind', work, work, '--ro-bind-data', '7', target,
        '--', 'sh', '-c', check,
      ],
      { stdin: 'pipe', program },
    );
  }

  async function finish(run: ReturnType<typeof startLauncher>): Promise<string> {
    run.child.stdin?.end('go\n');
    const result = await run.done;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return result.stdout;
  }

  it('format 2 first (its placeholder), format 3 joins, format 2 exits first: the placeholder stays mounted in the format-3 sandbox, then goes', async () => {
    const older = masked(OLD);
    await older.waitForStdout('ready');
    const newer = masked(undefined);
    await newer.waitForStdout('ready');
    expect(await finish(older)).toBe('ready\nstill-masked\n');
    expect(existsSync(target)).toBe(true);
    expect(await finish(newer)).toBe('ready\nstill-masked\n');
    expect(existsSync(target)).toBe(false);
  });

  it('format 3 first (its placeholder), format 2 joins, format 3 exits first: the placeholder stays mounted in the format-2 sandbox, and the format-2 launcher removes it last', async () => {
    const newer = masked(undefined);
    await newer.waitForStdout('ready');
    const older = masked(OLD);
    await older.waitForStdout('ready');
    expect(await finish(newer)).toBe('ready\nstill-masked\n');
    expect(existsSync(target)).toBe(true);
    expect(await finish(older)).toBe('ready\nstill-masked\n');
    // The format-2 launcher had recorded it as existing (bwrap had created it); format 3 told it otherwise.
    expect(existsSync(target)).toBe(false);
  });

  it("format 2 registers the target while format 3's bwrap has not created it yet (the start window): format 2 exiting first leaves it mounted in the format-3 sandbox", async () => {
    // A bwrap that waits for a go file: format 3 has registered the (absent) target, nothing exists yet.
    const go = join(root, 'go');
    const slowBwrap = join(root, 'slow-bwrap');
    writeFileSync(slowBwrap, `#!/bin/sh\nwhile [ ! -e ${go} ]; do sleep 0.02; done\nexec ${SYSTEM_BWRAP} "$@"\n`, { mode: 0o755 });
    const newer = masked(undefined, slowBwrap);
    const registered = join(registry, 'launchers-3');
    for (let i = 0; i < 400 && !existsSync(registered); i += 1) await new Promise((r) => setTimeout(r, 25));
    expect(existsSync(target)).toBe(false);
    const older = masked(OLD);
    await older.waitForStdout('ready');
    writeFileSync(go, '');
    await newer.waitForStdout('ready');
    expect(await finish(older)).toBe('ready\nstill-masked\n');
    expect(existsSync(target)).toBe(true);
    expect(await finish(newer)).toBe('ready\nstill-masked\n');
    expect(existsSync(target)).toBe(false);
  });
});
