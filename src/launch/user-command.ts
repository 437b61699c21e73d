/**
 * Makes an execa result or error name the user's command and cwd instead of the launcher's: execa
 * only knows it started `codex-sandbox-launcher --env-args` in `/`, so an agent running fifty
 * commands could not tell which one failed.
 */
import type { ResultPromise } from 'execa';
import type { ArgvItem } from '../contracts/launch-request.js';
import { argvItemText } from '../util/surrogate-escape.js';

/** A shell-like rendering of argv for messages (single quotes where a shell would need them). */
export function displayCommand(command: readonly ArgvItem[]): string {
  return command
    .map((item) => {
      const text = argvItemText(item);
      return /^[\w@%+=:,./-]+$/u.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
    })
    .join(' ');
}

interface CommandFields {
  command?: unknown;
  escapedCommand?: unknown;
  cwd?: unknown;
  message?: unknown;
  shortMessage?: unknown;
}

function rename(target: CommandFields, user: string, cwd: string): void {
  const launcher = typeof target.escapedCommand === 'string' ? target.escapedCommand : undefined;
  const launcherPlain = typeof target.command === 'string' ? target.command : undefined;
  const swap = (text: string): string => {
    for (const needle of [launcher, launcherPlain]) {
      if (needle !== undefined && needle !== '' && text.includes(needle)) return text.replace(needle, `${user} (in ${cwd}, sandboxed)`);
    }
    return text;
  };
  if (target instanceof Error) target.message = swap(target.message);
  if (typeof target.shortMessage === 'string') target.shortMessage = swap(target.shortMessage);
  target.command = user;
  target.escapedCommand = user;
  target.cwd = cwd;
}

/**
 * Rewrites the subprocess's result and rejection in place (its `then`/`catch`/`finally` resolve to
 * the renamed values); the child-process side (pid, streams, kill) is untouched.
 */
export function nameUserCommand<T extends ResultPromise>(sub: T, command: readonly ArgvItem[], cwd: string): T {
  const user = displayCommand(command);
  const original = new Promise<unknown>((resolve, reject) => {
    void (sub.then as (f: (v: unknown) => void, r: (e: unknown) => void) => unknown)(resolve, reject);
  });
  const renamed = original.then(
    (result) => {
      if (typeof result === 'object' && result !== null) rename(result as CommandFields, user, cwd);
      return result;
    },
    (error: unknown) => {
      if (typeof error === 'object' && error !== null) rename(error as CommandFields, user, cwd);
      throw error;
    },
  );
  for (const method of ['then', 'catch', 'finally'] as const) {
    Object.defineProperty(sub, method, { value: renamed[method].bind(renamed), configurable: true, writable: true });
  }
  return sub;
}
