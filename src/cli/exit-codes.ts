/**
 * Exit codes the CLI itself decides. 126/127 (cannot execute / not found) come from the launcher's
 * inner stage and the command's own status passes through unchanged.
 */
import { constants } from 'node:os';

export const EXIT_USAGE = 2;
/** The sandbox itself could not be set up (nothing ran). */
export const EXIT_SETUP = 125;

/** 128 + N for a signal, as a shell reports it. */
export function exitCodeForSignal(signal: string): number {
  const n = (constants.signals as Record<string, number | undefined>)[signal];
  return 128 + (n ?? 1);
}
