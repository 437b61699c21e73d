/**
 * Exit codes the CLI itself decides. On Linux 126/127 (cannot execute / not found) come from the
 * launcher's inner stage; on Windows the program is resolved before the launcher starts, and the CLI
 * reports those two itself. The command's own status passes through unchanged.
 */
import { constants } from 'node:os';

export const EXIT_USAGE = 2;
/** The sandbox itself could not be set up (nothing ran). */
export const EXIT_SETUP = 125;
/** The program exists but cannot be executed (Windows: a batch file, which needs cmd.exe). */
export const EXIT_NOT_EXECUTABLE = 126;
/** The program was not found. */
export const EXIT_NOT_FOUND = 127;

/** 128 + N for a signal, as a shell reports it. */
export function exitCodeForSignal(signal: string): number {
  const n = (constants.signals as Record<string, number | undefined>)[signal];
  return 128 + (n ?? 1);
}
