/** Exit codes of the codex-sandbox CLI (the same a shell uses where one applies). */
import { constants } from 'node:os';

export const EXIT_USAGE = 2;
/** The sandbox itself could not be set up (nothing ran). */
export const EXIT_SETUP = 125;
export const EXIT_NOT_EXECUTABLE = 126;
export const EXIT_NOT_FOUND = 127;

/** 128 + N for a signal, as a shell reports it. */
export function exitCodeForSignal(signal: string): number {
  const n = (constants.signals as Record<string, number | undefined>)[signal];
  return 128 + (n ?? 1);
}
