/**
 * Plans cached per (request, facts), revalidated against the filesystem on every use (issue #21).
 *
 * A plan is a function of its pure inputs (the TransformRequest: command, cwd, profile, env, options;
 * the host facts) and of the answers the FsInspector gives while planning (.git, .codex, .agents,
 * config files, symlinks, glob scans...). The sandboxed command can change those answers between two
 * runs (run 1 plans with no `.git`; the command creates `.git/hooks`; run 2 must protect them), so a
 * cache keyed on the pure inputs alone would be a cross-run hole (Codex decides `.git`, `.agents`,
 * `.codex` protection from what exists at planning time: codex-rs/protocol/src/protocol.rs
 * `default_read_only_subpaths_for_writable_root`). Instead, a planning run records
 * every question it asked the host's inspector and the answer, in order; a later request with the
 * exact same inputs asks the same questions again, in the same order, and reuses the plan only if
 * every answer is identical. Planning is deterministic given inputs and answers (src/manager and
 * src/platforms reach the host only through `facts.fs`: no node:fs, no addon, no clock, no random),
 * so the same answers mean the same run of the planner, question by question, and the same plan; any
 * different answer means the plan is made afresh. The cache saves the JavaScript, never a probe, and
 * the window between probe and launch is the one an uncached plan has.
 *
 * The key is exact: a canonical, type-tagged serialisation of the request (key order kept, so two
 * requests share a key only when the planner cannot tell them apart); anything that is not plain
 * data (a function, a class instance other than Buffer/PathUri) makes the request uncacheable. The
 * facts are compared by identity (one Sandbox plans with one facts object, probed once at
 * createSandbox). Plans are plain data: the cache keeps its own copy and hands out copies, so a
 * caller that edits a plan cannot change a later one.
 */
import { PathUri } from '../path-uri/index.js';
import type { HostFacts, LaunchRequest } from '../contracts/index.js';
import type { FsEntryStat, FsInspector, GlobScanRequest } from '../permissions/fs-facts.js';
import { SandboxManager } from './transform.js';
import type { TransformRequest } from './transform.js';

type Method = 'kind' | 'lstat' | 'realpath' | 'readlink' | 'readSmallFile' | 'isEmptyDir' | 'fileSize' | 'scanGlob';

export interface Probe {
  method: Method;
  /** The path asked about, or the glob request (a private copy). */
  arg: string | GlobScanRequest;
  /** The answer: primitives as they are; objects as their canonical key. */
  answer: unknown;
}

/** A request seen once: planned without recording (a CLI plans one command per process). */
const SEEN = Symbol('seen once');

interface Entry {
  facts: HostFacts;
  fs: FsInspector;
  probes: Probe[];
  plan: LaunchRequest;
}

export interface PlanCacheStats {
  hits: number;
  misses: number;
  /** Requests that had a cached plan whose answers no longer matched (planned afresh). */
  stale: number;
  /** Requests that could not be cached (not plain data, or a probe threw). */
  uncacheable: number;
}

export interface PlanCache {
  /** SandboxManager.transform, with the cache in front. */
  transform(req: TransformRequest): LaunchRequest;
  readonly stats: PlanCacheStats;
}

/** Default number of plans one Sandbox keeps (an agent runs a handful of distinct commands, many times). */
export const PLAN_CACHE_SIZE = 32;

/** Canonical, type-tagged text of plain data; undefined for anything else. Insertion order is kept. */
export function canonicalKey(v: unknown): string | undefined {
  const out: string[] = [];
  return write(v, out, 0) ? out.join('') : undefined;
}

const MAX_DEPTH = 64;

function write(v: unknown, out: string[], depth: number): boolean {
  if (depth > MAX_DEPTH) return false;
  switch (typeof v) {
    case 'string':
      // JSON.stringify escapes lone surrogates (well-formed JSON.stringify), so this is exact.
      out.push(JSON.stringify(v));
      return true;
    case 'number':
      out.push(Object.is(v, -0) ? 'n-0' : `n${String(v)}`);
      return true;
    case 'boolean':
      out.push(v ? 't' : 'f');
      return true;
    case 'undefined':
      out.push('u');
      return true;
    case 'bigint':
      out.push(`b${v.toString()}`);
      return true;
    case 'object': {
      if (v === null) {
        out.push('z');
        return true;
      }
      if (Array.isArray(v)) {
        out.push('[');
        for (let i = 0; i < v.length; i++) {
          if (!write(v[i], out, depth + 1)) return false;
          out.push(',');
        }
        out.push(']');
        return true;
      }
      if (Buffer.isBuffer(v)) {
        out.push(`B${v.toString('hex')};`);
        return true;
      }
      if (PathUri.isPathUri(v)) {
        out.push(`P${JSON.stringify(v.toString())}`);
        return true;
      }
      // process.env (its own prototype; every value a string): the planner reads it as the plain copy it equals.
      if (v === process.env) {
        out.push('S', JSON.stringify(v));
        return true;
      }
      const proto: unknown = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) return false;
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o);
      // All values strings (an environment): JSON.stringify is exact for those and much faster.
      if (keys.every((k) => typeof o[k] === 'string')) {
        out.push('S', JSON.stringify(o));
        return true;
      }
      out.push('{');
      for (const k of keys) {
        out.push(JSON.stringify(k), ':');
        if (!write(o[k], out, depth + 1)) return false;
        out.push(',');
      }
      out.push('}');
      return true;
    }
    default:
      return false;
  }
}

/** A deep copy of plain data (a LaunchRequest is JSON-serialisable: contracts/launch-request.ts). */
function copyPlain<T>(v: T): T {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) return v.map(copyPlain) as T;
  const o: Record<string, unknown> = {};
  for (const k of Object.keys(v)) o[k] = copyPlain((v as Record<string, unknown>)[k]);
  return o as T;
}

/** An lstat answer as a comparable value: every field of FsEntryStat (src/permissions/fs-facts.ts). */
function statAnswer(v: FsEntryStat | undefined): unknown {
  return v === undefined ? undefined : `l${v.kind}/${v.dev}/${v.ino}/${String(v.uid)}/${String(v.mode)}`;
}

/** An answer as a comparable value: an object as its key (one that is not plain data equals nothing). */
function anyAnswer(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  const key = canonicalKey(v);
  return key !== undefined ? `o${key}` : {};
}

export interface Log {
  probes: Probe[];
  /** A probe threw: planning may have caught it, and a throw is not replayed — the plan is not cached. */
  threw: boolean;
}

/** An inspector that answers through `fs` and writes each question and answer to `log` (also bench/transform-cost.ts). */
export function recording(fs: FsInspector, log: Log): FsInspector {
  const rec =
    <A, R>(method: Method, fn: (a: A) => R, copy: (a: A) => A, answerOf: (v: R) => unknown = anyAnswer) =>
    (a: A): R => {
      let answer: R;
      try {
        answer = fn(a);
      } catch (e) {
        log.threw = true;
        throw e;
      }
      log.probes.push({ method, arg: copy(a) as string | GlobScanRequest, answer: answerOf(answer) });
      return answer;
    };
  const same = (p: string): string => p;
  const lstat = fs.lstat;
  return {
    kind: rec('kind', (p: string) => fs.kind(p), same),
    ...(lstat !== undefined ? { lstat: rec('lstat', (p: string) => lstat.call(fs, p), same, statAnswer) } : {}),
    realpath: rec('realpath', (p: string) => fs.realpath(p), same),
    readlink: rec('readlink', (p: string) => fs.readlink(p), same),
    readSmallFile: rec('readSmallFile', (p: string) => fs.readSmallFile(p), same),
    isEmptyDir: rec('isEmptyDir', (p: string) => fs.isEmptyDir(p), same),
    fileSize: rec('fileSize', (p: string) => fs.fileSize(p), same),
    scanGlob: rec('scanGlob', (r: GlobScanRequest) => fs.scanGlob(r), (r) => ({ ...r })),
  };
}

/** Asks `fs` every recorded question again, in order; true only if every answer is the same. */
function stillTrue(fs: FsInspector, probes: readonly Probe[]): boolean {
  try {
    for (const p of probes) {
      let now: unknown;
      if (p.method === 'scanGlob') now = anyAnswer(fs.scanGlob(p.arg as GlobScanRequest));
      else if (p.method === 'lstat') now = statAnswer(fs.lstat?.(p.arg as string));
      else now = anyAnswer(fs[p.method](p.arg as string));
      if (now !== p.answer) return false;
    }
    return true;
  } catch {
    // A question that now throws (a glob that can no longer be bounded): plan afresh, which fails closed.
    return false;
  }
}

export function createPlanCache(size = PLAN_CACHE_SIZE): PlanCache {
  // Map iteration order is insertion order: re-inserting on a hit makes the first key the least recently used.
  const entries = new Map<string, Entry | typeof SEEN>();
  const stats: PlanCacheStats = { hits: 0, misses: 0, stale: 0, uncacheable: 0 };
  return {
    stats,
    transform(req: TransformRequest): LaunchRequest {
      const { facts, ...pure } = req;
      const key = canonicalKey(pure);
      if (key === undefined) {
        stats.uncacheable++;
        return SandboxManager.transform(req);
      }
      const hit = entries.get(key);
      if (hit === undefined) {
        // First sight: plan as without a cache (no recording, no copy); record from the second request on.
        stats.misses++;
        remember(key, SEEN);
        return SandboxManager.transform(req);
      }
      entries.delete(key);
      if (hit === SEEN) {
        stats.misses++;
      } else if (hit.facts === facts && hit.fs === facts.fs && stillTrue(facts.fs, hit.probes)) {
        stats.hits++;
        entries.set(key, hit);
        return copyPlain(hit.plan);
      } else {
        stats.stale++;
      }
      const log: Log = { probes: [], threw: false };
      const plan = SandboxManager.transform({ ...req, facts: { ...facts, fs: recording(facts.fs, log) } });
      if (log.threw) {
        stats.uncacheable++;
        return plan;
      }
      remember(key, { facts, fs: facts.fs, probes: log.probes, plan: copyPlain(plan) });
      return plan;
    },
  };

  function remember(key: string, value: Entry | typeof SEEN): void {
    entries.set(key, value);
    if (entries.size > size) {
      const oldest = entries.keys().next();
      if (oldest.done !== true) entries.delete(oldest.value);
    }
  }
}
