/**
 * Per-tool caches a command may write (the `caches` option, CLI `--cache`): each tool's default cache
 * directories under the home directory, and nothing else of it. What is left out is named with the
 * reason: a directory whose contents a later, unsandboxed run executes (npm's `_npx`, `~/.cargo/bin`)
 * or reads as configuration (`~/.npmrc`, `~/.cargo/config.toml`, `~/.config/pip`).
 */
/** A tool whose cache `caches` / `--cache` can make writable. */
export type CacheTool = 'npm' | 'pip' | 'cargo' | 'go' | 'yarn';

export const CACHE_TOOLS: Readonly<Record<CacheTool, readonly string[]>> = {
  /** npm's content-addressed cache and its logs; not `~/.npm/_npx`, where npm-exec(1) installs the packages a later `npx` runs. */
  npm: ['.npm/_cacache', '.npm/_logs'],
  /** pip's HTTP and wheel cache (XDG default). */
  pip: ['.cache/pip'],
  /** Downloaded crates and git checkouts; not `~/.cargo/bin` (on PATH) nor `~/.cargo/config.toml`. */
  cargo: ['.cargo/registry', '.cargo/git'],
  /** The module cache and the build cache. */
  go: ['go/pkg/mod', '.cache/go-build'],
  /** Yarn classic's cache (XDG default). */
  yarn: ['.cache/yarn'],
};

export const CACHE_TOOL_NAMES = Object.keys(CACHE_TOOLS) as CacheTool[];

export function isCacheTool(name: string): name is CacheTool {
  return (CACHE_TOOL_NAMES as readonly string[]).includes(name);
}

/**
 * The directories of `tools` under `home` (POSIX or Windows spelling, as `join` gives). Throws an
 * Error naming the unknown tool and the known ones.
 */
export function cacheDirs(tools: readonly string[], home: string, join: (a: string, b: string) => string): string[] {
  const out: string[] = [];
  for (const tool of tools) {
    if (!isCacheTool(tool)) throw new Error(`unknown cache ${JSON.stringify(tool)}: known caches are ${CACHE_TOOL_NAMES.join(', ')} (or give the directory with --writable-root)`);
    for (const rel of CACHE_TOOLS[tool]) {
      const p = join(home, rel);
      if (!out.includes(p)) out.push(p);
    }
  }
  return out;
}
