/**
 * CONTRACT: what the sandbox refused, as far as the command's own error output shows it and the plan
 * confirms it (src/launch/refusals.ts). Advisory: it names the flag that would allow the access and
 * never changes the plan.
 */

/** A write (file write or directory creation) the plan does not allow. */
export interface WriteRefusal {
  kind: 'write';
  /** The absolute path the command's error output named next to a read-only / permission error. */
  path: string;
  /**
   * `read-only`: outside every writable root; `protected`: under a writable root but kept read-only
   * (`.git`, `.codex`, `.agents`, or a read-only entry); `denied`: under a deny-read path.
   */
  reason: 'read-only' | 'protected' | 'denied';
  /** The writable root that would allow it (`writableRoots` option, CLI `-w`); absent when no option does (`denied`). */
  allowWritableRoot?: string;
  /** One line: `blocked write: PATH (read-only; add a writable root PATH)`. */
  message: string;
}

/** A network access refused because the plan has no network. */
export interface NetworkRefusal {
  kind: 'network';
  /** The host (name or address, with `:port` when given) the error output named, if any. */
  host?: string;
  /** One line: `blocked network: HOST (network is off; allow it with network: true)`. */
  message: string;
  /** The plan has an allow list: the network was open through the filtering proxy, and this client did not use it. */
  bypassedProxy?: true;
}

export type Refusal = WriteRefusal | NetworkRefusal;
