/**
 * `-D NAME=VALUE` parameters for sandbox-exec and the SBPL that refers to them.
 *
 * Paths never go into policy text: a path containing `"`, `)` or a newline spliced into SBPL could
 * close the string and add its own rules (policy injection). As a parameter the path is one argv
 * element that Seatbelt only ever compares as data.
 */
import { PlanError } from '../../contracts/index.js';

export class ParamTable {
  private readonly entries: Array<[string, string]> = [];
  private readonly byName = new Map<string, string>();

  /** Adds NAME=value and returns the SBPL reference `(param "NAME")`. */
  add(name: string, value: string): string {
    if (!/^[A-Z][A-Z0-9_]*$/.test(name)) throw new Error(`internal: bad Seatbelt parameter name ${name}`);
    if (this.byName.has(name)) throw new Error(`internal: duplicate Seatbelt parameter ${name}`);
    // A NUL cannot travel in argv: sandbox-exec would see a truncated, different path.
    if (value.includes('\0')) {
      throw new PlanError(
        'InvalidPath',
        `path ${JSON.stringify(value)} contains a NUL byte and cannot be passed to sandbox-exec; remove it from the permission profile`,
      );
    }
    // A lone surrogate (a non-UTF-8 name in surrogate-escape form) would reach argv as U+FFFD, a
    // different path; macOS file names are UTF-8, so refuse rather than guard the wrong path.
    if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(value)) {
      throw new PlanError(
        'InvalidPath',
        `path ${JSON.stringify(value)} is not valid UTF-8 and cannot be named on macOS; fix the path in the permission profile`,
      );
    }
    this.entries.push([name, value]);
    this.byName.set(name, value);
    return ref(name);
  }

  list(): Array<[string, string]> {
    return this.entries.map(([k, v]) => [k, v]);
  }
}

export function ref(name: string): string {
  return `(param "${name}")`;
}
