#!/bin/sh
# Usage: scripts/build-old-launcher.sh COMMIT OUTFILE
# Builds codex-sandbox-launcher as it was at COMMIT (an older registry format, for the mixed-version
# registry tests: CODEX_SANDBOX_OLD_LAUNCHER=OUTFILE npx vitest run test/integration/native/registry-mixed.test.ts).
# Uses this checkout's generated headers (build/Release/seccomp_bpf.h, bwrap_sha256.h): run
# `npm run build:native` first.
set -eu
commit=$1
out=$2
here=$(cd "$(dirname "$0")/.." && pwd)
src=$(mktemp -d)
trap 'rm -rf "$src"' EXIT
git -C "$here" archive "$commit" native binding.gyp | tar -x -C "$src"
# The launcher target's "sources" list in binding.gyp.
sources=$(awk '/"target_name": "codex-sandbox-launcher"/ { t = 1 } t && /"sources"/ { s = 1 } s { print } s && /\]/ { exit }' "$src/binding.gyp" | grep -o '"native/[^"]*"' | tr -d '"')
objs=
for f in $sources; do
  o="$src/$(echo "$f" | tr / _).o"
  case $f in
    *.c) cc -std=c11 -O2 -fPIE -I"$here/build/Release" -c "$src/$f" -o "$o" ;;
    *) c++ -std=c++17 -O2 -fPIE -fno-exceptions -fno-rtti -I"$here/build/Release" -c "$src/$f" -o "$o" ;;
  esac
  objs="$objs $o"
done
# shellcheck disable=SC2086
c++ -static-pie -o "$out" $objs -l:libseccomp.a
echo "built $out from $commit"
