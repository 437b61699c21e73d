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
  if (p === '/') return 0;
  let n = 0;
  for (let i = p.indexOf('/'); i !== -1; i = p.indexOf('/', i + 1)) n += 1;
  return n;
}

/** p is base or below it (component-wise, on the text). */
export function isWithin(p: string, base: string): boolean {
  return p === base || base === '/' || p.startsWith(base + '/');
}

export class PathIndex {
  /** member → insertion order (first insertion wins). */
  private readonly order = new Map<string, number>();
  /** `lengths[n]` is 1 when some member is n characters long: only prefixes of those lengths are looked up. */
  private lengths = new Uint8Array(0);
  /** Members sorted by UTF-16 code units: every member below a path is one contiguous run. */
  private sorted: string[] | undefined;

  constructor(paths: Iterable<string> = []) {
    for (const p of paths) this.add(p);
  }

  add(p: string): void {
    if (!this.order.has(p)) {
      this.order.set(p, this.order.size);
      this.sorted = undefined;
      if (p.length >= this.lengths.length) {
        const grown = new Uint8Array(Math.max(p.length + 1, this.lengths.length * 2));
        grown.set(this.lengths);
        this.lengths = grown;
      }
      this.lengths[p.length] = 1;
    }
  }

  has(p: string): boolean {
    return this.order.has(p);
  }

  get size(): number {
    return this.order.size;
  }

  /**
   * Calls `visit` with each member containing `p` (`p` itself, `/`, and the prefixes of `p` that end
   * before one of its `/`), possibly twice for one member; stops when `visit` returns true. No
   * allocation: the planner asks this for every carve-out and mask (issue #21).
   */
  private eachContaining(p: string, visit: (m: string, order: number) => boolean): void {
    const lengths = this.lengths;
    let o = lengths[p.length] === 1 ? this.order.get(p) : undefined;
    if (o !== undefined && visit(p, o)) return;
    o = lengths[1] === 1 ? this.order.get('/') : undefined;
    if (o !== undefined && visit('/', o)) return;
    // A prefix no member is as long as cannot be a member: most are never cut out of p.
    const stop = Math.min(p.length, lengths.length);
    for (let i = p.indexOf('/'); i !== -1 && i < stop; i = p.indexOf('/', i + 1)) {
      if (lengths[i] !== 1) continue;
      const m = p.slice(0, i);
      o = this.order.get(m);
      if (o !== undefined && visit(m, o)) return;
    }
  }

  /** The deepest member containing `p` (`p` itself counts); ties go to the first inserted. */
  deepestContaining(p: string): string | undefined {
    // An absolute `p`: its containing members are prefixes of it ending before one of its `/`, and a
    // longer such prefix holds more `/`, so it is deeper (`/` is the shallowest, depth 0). So the first
    // member found from the longest down is the deepest, with no tie. Asked for every carve-out and mask
    // of every root (issue #21). An empty-string member or a relative `p` could tie at depth 0: general rule.
    if (p.charCodeAt(0) === 47 && this.lengths[0] !== 1) {
      const lengths = this.lengths;
      if (lengths[p.length] === 1 && this.order.has(p)) return p;
      for (let i = p.lastIndexOf('/'); i > 0; i = p.lastIndexOf('/', i - 1)) {
        if (i >= lengths.length || lengths[i] !== 1) continue;
        const m = p.slice(0, i);
        if (this.order.has(m)) return m;
      }
      return lengths[1] === 1 && this.order.has('/') ? '/' : undefined;
    }
    let best: string | undefined;
    let bestDepth = -1;
    let bestOrder = 0;
    this.eachContaining(p, (m, o) => {
      const d = pathDepth(m);
      if (best === undefined || d > bestDepth || (d === bestDepth && o < bestOrder)) {
        best = m;
        bestDepth = d;
        bestOrder = o;
      }
      return false;
    });
    return best;
  }

  /** The first-inserted member containing `p` (`p` itself counts). */
  firstContaining(p: string): string | undefined {
    let best: string | undefined;
    let bestOrder = 0;
    this.eachContaining(p, (m, o) => {
      if (best === undefined || o < bestOrder) {
        best = m;
        bestOrder = o;
      }
      return false;
    });
    return best;
  }

  /** Whether a member other than `p` contains `p`. */
  hasStrictAncestor(p: string): boolean {
    let found = false;
    this.eachContaining(p, (m) => (found = m !== p));
    return found;
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
