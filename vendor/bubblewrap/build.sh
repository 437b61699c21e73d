#!/usr/bin/env bash
# Build the bundled bubblewrap from the pinned recipe (recipe.json next to this script).
#
#   vendor/bubblewrap/build.sh OUT_DIR
#
# Writes OUT_DIR/bwrap (static, stripped), OUT_DIR/bwrap.sha256 (hex digest), OUT_DIR/bwrap.recipe
# (the cache key it was built from) and OUT_DIR/bwrap_sha256.h
# (`#define CODEX_SANDBOX_BWRAP_SHA256 "<hex>"`), which the native launcher compiles in and checks
# before it executes the binary.
#
# Order: OUT_DIR already holds a binary for this recipe whose hash matches -> reuse it; the cache in
# vendor/bubblewrap/_work/cache/<key>/ holds one -> copy it (node-gyp rebuild wipes build/); else fetch
# the sources through apt (private apt state, system apt config untouched), verify each file's SHA-256
# against the recipe, and build with meson.
#
# If the sources cannot be fetched or a build tool is missing, it says why, writes a header with 64
# zeros and no bwrap, and exits 0: a development build (`codex-sandbox doctor` reports it).
# A SHA-256 mismatch of a fetched source file is never tolerated: it exits 1.
#
# Environment: CODEX_SANDBOX_BWRAP_WORK overrides the work/cache directory (default: _work here).
#              CODEX_SANDBOX_BWRAP_OFFLINE=1 never fetches (development build unless cached).

# Callers may run this with `sh` (dash): re-exec under bash before any bash-only syntax.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -euo pipefail

say() { printf 'bundled-bwrap: %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

[[ $# -eq 1 && -n "$1" ]] || die "usage: $0 OUT_DIR"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RECIPE="$HERE/recipe.json"
[[ -f "$RECIPE" ]] || die "recipe not found: $RECIPE"
mkdir -p "$1"
OUT=$(cd "$1" && pwd)
WORK="${CODEX_SANDBOX_BWRAP_WORK:-$HERE/_work}"
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
ZEROS=0000000000000000000000000000000000000000000000000000000000000000

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# One field of the recipe, via node (always present: this runs from node-gyp / npm).
recipe() {
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const v = process.argv[2].split(".").reduce((o, k) => (o == null ? undefined : o[k]), r);
    if (v === undefined) { console.error("recipe.json has no " + process.argv[2]); process.exit(1); }
    if (Array.isArray(v)) for (const x of v) console.log(typeof x === "string" ? x : JSON.stringify(x));
    else console.log(v);
  ' "$RECIPE" "$1"
}

write_header() { # $1 = hex digest
  local tmp="$OUT/.bwrap_sha256.h.$$"
  printf '#define CODEX_SANDBOX_BWRAP_SHA256 "%s"\n' "$1" >"$tmp"
  mv -f "$tmp" "$OUT/bwrap_sha256.h"
}

dev_build() { # $* = reason
  say "$*"
  say "development build: no bundled bwrap; the launcher will not verify one (doctor reports this)"
  rm -f "$OUT/bwrap" "$OUT/bwrap.sha256" "$OUT/bwrap.recipe"
  write_header "$ZEROS"
  exit 0
}

# Copy a verified binary into OUT_DIR atomically (a half-written bwrap must never be picked up).
install_out() { # $1 = source binary, $2 = its digest
  cp -f "$1" "$OUT/.bwrap.$$"
  chmod 0755 "$OUT/.bwrap.$$"
  mv -f "$OUT/.bwrap.$$" "$OUT/bwrap"
  printf '%s\n' "$2" >"$OUT/bwrap.sha256"
  printf '%s\n' "$KEY" >"$OUT/bwrap.recipe"
  write_header "$2"
}

# A cached/built binary is good when its digest matches the recorded one.
verified_dir() { # $1 = dir holding bwrap + bwrap.sha256; prints the digest
  local d="$1" want got
  [[ -f "$d/bwrap" && -f "$d/bwrap.sha256" ]] || return 1
  want=$(tr -d ' \n' <"$d/bwrap.sha256")
  [[ "$want" =~ ^[0-9a-f]{64}$ ]] || return 1
  got=$(sha256_of "$d/bwrap")
  [[ "$got" == "$want" ]] || return 1
  printf '%s' "$got"
}

# Serialise concurrent builds (node-gyp and prebuildify may run this at the same time).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$WORK/.lock"
  flock 9
fi

ARCH=$(uname -m)
KEY="$(cat "$RECIPE" "$HERE/build.sh" | sha256sum | cut -c1-16)-$ARCH"

# 1. Fast path: OUT_DIR already has the binary for this recipe.
if [[ -f "$OUT/bwrap.recipe" && "$(cat "$OUT/bwrap.recipe")" == "$KEY" ]] && digest=$(verified_dir "$OUT"); then
  write_header "$digest"
  say "up to date: $OUT/bwrap (sha256 $digest)"
  exit 0
fi

# 2. Cache from an earlier build of the same recipe.
CACHE="$WORK/cache/$KEY"
if digest=$(verified_dir "$CACHE"); then
  install_out "$CACHE/bwrap" "$digest"
  say "from cache $CACHE: $OUT/bwrap (sha256 $digest)"
  exit 0
fi

# 3. Build.
[[ "$(uname -s)" == Linux ]] || dev_build "not Linux: no bundled bwrap"
[[ "${CODEX_SANDBOX_BWRAP_OFFLINE:-}" == 1 ]] && dev_build "CODEX_SANDBOX_BWRAP_OFFLINE=1: not fetching sources"
missing=()
for tool in apt-get meson ninja cc pkg-config strip tar xz node; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
((${#missing[@]} == 0)) || dev_build "missing build tools: ${missing[*]} (Debian/Ubuntu: apt-get install meson ninja-build pkg-config libcap-dev gcc xz-utils)"
pkg-config --exists libcap || dev_build "libcap development files not found (Debian/Ubuntu: apt-get install libcap-dev)"

SRC_PKG=$(recipe debian.sourcePackage)
DEB_VERSION=$(recipe debian.version)
UP_VERSION=$(recipe upstream.version)
KEYRING=$(recipe debian.signedBy)
COMPONENTS=$(recipe debian.components)
[[ -f "$KEYRING" ]] || dev_build "Debian archive keyring $KEYRING not found (install the debian-archive-keyring package) — cannot fetch verified sources"

# Private apt state: our own sources (deb-src only), lists and cache; the system's are never read or written.
APT="$WORK/apt"
rm -rf "$APT/sources.list.d"
mkdir -p "$APT/sources.list.d" "$APT/lists/partial" "$APT/cache/archives/partial"
while IFS= read -r archive; do
  uris=$(node -e 'console.log(JSON.parse(process.argv[1]).uris)' "$archive")
  suites=$(node -e 'console.log(JSON.parse(process.argv[1]).suites)' "$archive")
  printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: %s\nSigned-By: %s\n\n' \
    "$uris" "$suites" "$COMPONENTS" "$KEYRING" >>"$APT/sources.list.d/codex-sandbox-bwrap.sources"
done < <(recipe debian.archives)
APT_OPTS=(
  -o "Dir::Etc::SourceList=/dev/null"
  -o "Dir::Etc::SourceParts=$APT/sources.list.d"
  -o "Dir::State::Lists=$APT/lists"
  -o "Dir::Cache=$APT/cache"
  -o "Dir::Etc::Preferences=/dev/null"
  -o "Dir::Etc::PreferencesParts=/dev/null"
  # apt would hand downloads to the _apt user, which cannot write our private dirs; the files are
  # checked against the archive's signed index and then against recipe.json, so root fetching is safe.
  -o "APT::Sandbox::User=root"
  -o "Acquire::Retries=2"
)

DL="$WORK/sources"
mkdir -p "$DL"
need_fetch=0
while IFS= read -r f; do
  name=$(node -e 'console.log(JSON.parse(process.argv[1]).name)' "$f")
  [[ -f "$DL/$name" ]] || need_fetch=1
done < <(recipe files)

if ((need_fetch)); then
  say "fetching $SRC_PKG $DEB_VERSION sources through apt ($(recipe debian.suite))"
  if ! apt-get "${APT_OPTS[@]}" -qq update >"$WORK/apt-update.log" 2>&1; then
    # One unreachable archive is fine as long as another one has the pinned version.
    say "apt-get update reported problems (see $WORK/apt-update.log); trying the archives that answered"
  fi
  # --tar-only: the orig tarball is all the build reads (recipe.json says why the rest is not used).
  if ! (cd "$DL" && apt-get "${APT_OPTS[@]}" -qq source --download-only --tar-only "$SRC_PKG=$DEB_VERSION") >"$WORK/apt-source.log" 2>&1; then
    sed 's/^/  /' "$WORK/apt-source.log" >&2 || true
    dev_build "could not fetch $SRC_PKG=$DEB_VERSION through apt (is the Debian archive reachable? has the pinned version left $(recipe debian.suite)? then update recipe.json)"
  fi
fi

# Verify every source file against the recipe before anything reads it.
while IFS= read -r f; do
  name=$(node -e 'console.log(JSON.parse(process.argv[1]).name)' "$f")
  want=$(node -e 'console.log(JSON.parse(process.argv[1]).sha256)' "$f")
  [[ -f "$DL/$name" ]] || dev_build "apt did not deliver $name"
  got=$(sha256_of "$DL/$name")
  if [[ "$got" != "$want" ]]; then
    mv -f "$DL/$name" "$DL/$name.rejected"
    # No stale binary may stay next to a header the caller will now fill with zeros (unverified).
    rm -f "$OUT/bwrap" "$OUT/bwrap.sha256" "$OUT/bwrap.recipe"
    die "SHA-256 mismatch for $name: expected $want, got $got (moved to $DL/$name.rejected; refusing to build)"
  fi
  say "verified $name sha256 $got"
done < <(recipe files)

BUILD="$WORK/build-$KEY"
rm -rf "$BUILD"
mkdir -p "$BUILD"
while IFS= read -r f; do
  name=$(node -e 'console.log(JSON.parse(process.argv[1]).name)' "$f")
  case "$name" in
    *.orig.tar.*) tar -xf "$DL/$name" -C "$BUILD" ;;
  esac
done < <(recipe files)
SRCDIR="$BUILD/$(recipe meson.sourceDir)"
[[ -f "$SRCDIR/meson.build" ]] || die "$SRCDIR/meson.build missing after extraction"

mapfile -t MESON_OPTS < <(recipe meson.options)
say "building bubblewrap $UP_VERSION (meson, static)"
if ! meson setup "$BUILD/_build" "$SRCDIR" "${MESON_OPTS[@]}" >"$BUILD/meson.log" 2>&1 ||
  ! ninja -C "$BUILD/_build" >>"$BUILD/meson.log" 2>&1; then
  sed 's/^/  /' "$BUILD/meson.log" | tail -n 30 >&2
  dev_build "meson build failed (log: $BUILD/meson.log)"
fi
strip -o "$BUILD/bwrap" "$BUILD/_build/bwrap"

# Sanity: the right version with the capabilities the planner relies on.
ver=$("$BUILD/bwrap" --version 2>&1 || true)
[[ "$ver" == "bubblewrap $UP_VERSION" ]] || die "built binary reports '$ver', expected 'bubblewrap $UP_VERSION'"
help=$("$BUILD/bwrap" --help 2>&1 || true)
# The TypeScript side (src/platforms/linux/bundled.ts) trusts these without running the binary.
for opt in --argv0 --perms --as-pid-1 --ro-bind-fd --disable-userns; do
  grep -q -- "$opt" <<<"$help" || die "built bwrap --help does not list $opt"
done

digest=$(sha256_of "$BUILD/bwrap")
mkdir -p "$CACHE"
cp -f "$BUILD/bwrap" "$CACHE/.bwrap.$$" && mv -f "$CACHE/.bwrap.$$" "$CACHE/bwrap"
printf '%s\n' "$digest" >"$CACHE/bwrap.sha256"
install_out "$CACHE/bwrap" "$digest"
rm -rf "$BUILD"
# Keep only this recipe's cache entry (older recipes/scripts would otherwise pile up).
find "$WORK/cache" -mindepth 1 -maxdepth 1 ! -name "$KEY" -exec rm -rf {} +
say "built $OUT/bwrap (bubblewrap $UP_VERSION, sha256 $digest)"
