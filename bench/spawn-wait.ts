/** Spawning a child from Node and waiting for it, always bounded by a timeout (the bench never hangs). */
import { spawn } from 'node:child_process';
import type { StdioOptions } from 'node:child_process';

export interface SpawnWaitOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Default: stdin ignored, stdout/stderr piped (what the library's spawn does). */
  stdio?: StdioOptions;
  timeoutMs: number;
  /** Called with the child right after spawn (e.g. to write a seccomp program to fd 3). */
  onSpawn?: (child: ReturnType<typeof spawn>) => void;
}

/** Runs `file args`, resolves when it exits 0 and its streams close; rejects naming the command otherwise. */
export function spawnAndWait(file: string, args: readonly string[], opts: SpawnWaitOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: opts.cwd,
      env: opts.env,
      stdio: opts.stdio ?? ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      if (stderr.length < 2000) stderr += chunk;
    });
    child.stdout?.resume();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`${file}: could not start: ${e.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) {
        reject(new Error(`${file}: killed after the ${opts.timeoutMs} ms timeout (hung?)`));
      } else if (code === 0) {
        resolve();
      } else {
        const why = signal !== null ? `signal ${signal}` : `exit ${String(code)}`;
        reject(new Error(`${file}: ${why}${stderr ? `: ${stderr.trim().slice(0, 300)}` : ''}`));
      }
    });
    opts.onSpawn?.(child);
  });
}
