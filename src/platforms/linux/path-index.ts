/**
 * Containment queries over a set of absolute paths in time that depends on the queried path's length,
 * not on the size of the set: the Linux planner asks "which writable root holds this carve-out?" for
 * every carve-out, deny mask and readable root, and scanning every root each time made planning grow
 * with roots × carve-outs × roots (64 roots ≈ 1 s; issue #21).
 *
 * Containment is the planner's `isWithin` exactly (a string rule, not a filesystem one):
 * `p` is within `base` when `p === base`, `base === '/'`, or `p` starts with `base + '/'`. So the members
 * containing `p` can only be `p`, `/`, and the prefixes of `p` that end just before one of its `/`
 * characters; the queries look those up in a Map. Ties (two containing members of equal depth) go to
 * the member inserted first, as a scan in insertion order would.
 */

/** Number of path components ("/" = 0), as the planner counts them. */
export function pathDepth(p: string): number {
  return p === '/' ? 0 : p.split('/').length - 1;
}

/** p is base or below it (component-wise, on the text). */
export function isWithin(p: string, base: string): boolean {
  return p === base || base === '/' || p.startsWith(base + '/');
}

export class PathIndex {
  /** member → insertion order (first insertion wins). */
  private readonly order = new Map<string, number>();
  /** Members sorted by UTF-16 code units: every member below a path is one contiguous run. */
  private sorted: string[] | undefined;

  constructor(paths: Iterable<string> = []) {
    for (const p of paths) this.add(p);
  }

  add(p: string): void {
    if (!this.order.has(p)) {
      this.order.set(p, this.order.size);
      this.sorted = undefined;
    }
  }

  has(p: string): boolean {
    return this.order.has(p);
  }

  get size(): number {
    return this.order.size;
  }

  /** Members `m` with isWithin(p, m), in no particular order (`p` itself included when a member). */
  private containing(p: string, strict: boolean): string[] {
    const out: string[] = [];
    const seen = new Set<string>();
    const hit = (m: string): void => {
      if (this.order.has(m) && !seen.has(m) && !(strict && m === p)) {
        seen.add(m);
        out.push(m);
      }
    };
    hit(p);
    hit('/');
    for (let i = p.indexOf('/'); i !== -1; i = p.indexOf('/', i + 1)) hit(p.slice(0, i));
    return out;
  }

  /** The deepest member containing `p` (`p` itself counts); ties go to the first inserted. */
  deepestContaining(p: string): string | undefined {
    let best: string | undefined;
    for (const m of this.containing(p, false)) {
      if (best === undefined) {
        best = m;
        continue;
      }
      const d = pathDepth(m) - pathDepth(best);
      if (d > 0 || (d === 0 && (this.order.get(m) as number) < (this.order.get(best) as number))) best = m;
    }
    return best;
  }

  /** The first-inserted member containing `p` (`p` itself counts). */
  firstContaining(p: string): string | undefined {
    let best: string | undefined;
    for (const m of this.containing(p, false)) {
      if (best === undefined || (this.order.get(m) as number) < (this.order.get(best) as number)) best = m;
    }
    return best;
  }

  /** Whether a member other than `p` contains `p`. */
  hasStrictAncestor(p: string): boolean {
    return this.containing(p, true).length > 0;
  }

  /** Members `m !== p` with isWithin(m, p), in insertion order. */
  within(p: string): string[] {
    let out: string[];
    if (p === '/') {
      out = [...this.order.keys()].filter((m) => m !== '/');
    } else {
      this.sorted ??= [...this.order.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const sorted = this.sorted;
      const prefix = p + '/';
      let lo = 0;
      let hi = sorted.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((sorted[mid] as string) < prefix) lo = mid + 1;
        else hi = mid;
      }
      out = [];
      for (let i = lo; i < sorted.length && (sorted[i] as string).startsWith(prefix); i += 1) out.push(sorted[i] as string);
    }
    return out.length > 1 ? out.sort((a, b) => (this.order.get(a) as number) - (this.order.get(b) as number)) : out;
  }

  /** Whether some member is `p` or lies within it. */
  anyWithin(p: string): boolean {
    return this.has(p) || this.within(p).length > 0;
  }
}
