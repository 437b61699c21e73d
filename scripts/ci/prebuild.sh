#!/usr/bin/env bash
# CI prebuild for one target:
#
#   scripts/ci/prebuild.sh TARGET        TARGET = <platform>-<arch>: linux-x64, linux-arm64,
#                                        darwin-arm64, darwin-x64, win32-x64
#
# Runs `prebuildify --napi --strip` (prebuilds/TARGET/codex-sandbox.node; the name comes from
# package.json's name, not the gyp target). On Linux it then puts the launcher and the bundled bwrap
# next to the .node, because src/native.ts looks for both in the directory the addon was loaded
# from. When TARGET is the host, it loads the prebuild the way an installed package would (through
# node-gyp-build, from a directory without build/, which node-gyp-build would otherwise prefer).
# Run after scripts/install.sh, from any directory.
set -euo pipefail
cd "$(dirname "$0")/../.."

say() { printf 'prebuild: %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

[[ $# -eq 1 && "$1" =~ ^(linux|darwin|win32)-(x64|arm64)$ ]] || die "usage: $0 <linux|darwin|win32>-<x64|arm64> (got: $*)"
TARGET=$1
PLATFORM=${TARGET%-*}
ARCH=${TARGET#*-}
HOST=$(node -p 'process.platform + "-" + process.arch')
[[ "$PLATFORM" == "${HOST%-*}" ]] || die "$TARGET cannot be built on $HOST (prebuildify cross-compiles only between arches of one OS)"

OUT="prebuilds/$TARGET"
rm -rf "$OUT"
# N-API: one binary serves every Node version. Build it against the running Node's headers (prebuildify's
# default target is the newest Node it knows, whose headers node-gyp would have to download).
NODE_VERSION=$(node -p process.versions.node)
say "prebuildify --napi --strip --arch=$ARCH --target=node@$NODE_VERSION"
npx --no prebuildify --napi --strip "--arch=$ARCH" "--target=node@$NODE_VERSION"
[[ -f "$OUT/codex-sandbox.node" ]] || die "prebuildify did not write $OUT/codex-sandbox.node (contents: $(ls "$OUT" 2>&1 | tr '\n' ' '))"
# prebuildify 6.0.1's --strip left the Linux .node unstripped here (gyp hard-links build/Release and
# obj.target copies); strip it ourselves, the way prebuildify would.
case "$PLATFORM" in
  linux) strip --strip-all "$OUT/codex-sandbox.node" ;;
  darwin) strip -Sx "$OUT/codex-sandbox.node" ;;
esac

if [[ "$PLATFORM" == linux ]]; then
  REL=build/Release
  [[ -x "$REL/codex-sandbox-launcher" ]] || die "$REL/codex-sandbox-launcher missing: the Linux prebuild needs the launcher next to the addon"
  # A release must never ship a development build (all-zero digest, no bundled bwrap): the
  # launcher would then run whatever bwrap it finds instead of the one whose digest it checks.
  [[ -x "$REL/bwrap" && -f "$REL/bwrap_sha256.h" ]] || die "$REL/bwrap missing (a development build): see vendor/bubblewrap/build.sh's messages above"
  want=$(sed -n 's/^#define CODEX_SANDBOX_BWRAP_SHA256 "\([0-9a-f]\{64\}\)".*/\1/p' "$REL/bwrap_sha256.h")
  got=$(sha256sum "$REL/bwrap" | cut -d' ' -f1)
  [[ -n "$want" && "$want" != 0000000000000000000000000000000000000000000000000000000000000000 ]] || die "$REL/bwrap_sha256.h holds no bundled-bwrap digest (a development build)"
  [[ "$got" == "$want" ]] || die "$REL/bwrap has sha256 $got but the build embedded $want: rebuild (npm run build:native)"
  install -m 0755 "$REL/codex-sandbox-launcher" "$OUT/codex-sandbox-launcher"
  strip "$OUT/codex-sandbox-launcher"
  # bwrap is already stripped and its digest is compiled into the addon and the launcher: copy it unchanged.
  install -m 0755 "$REL/bwrap" "$OUT/bwrap"
  say "$OUT: launcher and bundled bwrap (sha256 $got) added"
fi

if [[ "$PLATFORM" == win32 ]]; then
  # The Windows launcher starts every sandboxed command (restricted token, job): no prebuild without it.
  REL=build/Release
  [[ -f "$REL/codex-sandbox-launcher.exe" ]] || die "$REL/codex-sandbox-launcher.exe missing: the Windows prebuild needs the launcher next to the addon"
  install -m 0755 "$REL/codex-sandbox-launcher.exe" "$OUT/codex-sandbox-launcher.exe"
  say "$OUT: launcher added"
fi

if [[ "$TARGET" == "$HOST" ]]; then
  probe=$(mktemp -d)
  trap 'rm -rf "$probe"' EXIT
  cp package.json "$probe/"
  mkdir -p "$probe/prebuilds"
  cp -R "$OUT" "$probe/prebuilds/"
  node -e '
    const ngb = require("node-gyp-build");
    const file = ngb.resolve(process.argv[1]);
    if (!file.includes("prebuilds")) throw new Error("node-gyp-build resolved " + file + ", not the prebuild");
    const addon = require(file);
    if (typeof addon.addonVersion !== "function") throw new Error(file + " has no addonVersion()");
    console.error("prebuild: loaded " + file + " (addon " + addon.addonVersion() + ")");
  ' "$probe"
else
  say "$TARGET is cross-compiled on $HOST: not loaded here"
fi

ls -l "$OUT" >&2
