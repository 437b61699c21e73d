#!/usr/bin/env bash
# codex-sandbox: one-command set-up for a Debian/Ubuntu machine (root, or a user with sudo).
#   1. installs the Debian packages the project needs, only those that are missing, and says which;
#   2. installs the npm dependencies and builds the native addon, the launcher and the bundled bwrap.
# Usage: ./scripts/install.sh          what running codex-sandbox from this checkout needs
#        ./scripts/install.sh --dev    also what the project's own tests need (mingw + wine, ~1 GB)
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'install: %s\n' "$*"; }

DEV=0
for arg in "$@"; do
  case "$arg" in
    --dev) DEV=1 ;;
    -h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) say "unknown option '$arg' (expected --dev or nothing)"; exit 2 ;;
  esac
done

# Debian packages and why each is needed.
#   bubblewrap      the system bwrap that Linux sandboxing prefers (needs --perms, Debian 12 has 0.8.0)
#   libseccomp-dev  libseccomp.a, linked statically into the addon and the launcher
#   meson ninja-build pkg-config libcap-dev debian-archive-keyring  build the pinned bundled bwrap
#                   from Debian's sources (the keyring verifies them on Ubuntu too)
#   g++ make python3   node-gyp's toolchain
#   (globs are expanded by our own bounded scanner: no ripgrep needed)
# With --dev, for the project's own tests only:
#   g++-mingw-w64-x86-64 wine wine64  cross-compile the Windows native code and load it under wine
#   python3-pytest  test/integration/linux/caches.test.ts runs the system pytest in a sandbox (PyPI is
#                   not reachable everywhere, so `pip install pytest` is not an option)
#   curl git openssl python3-pip  test/integration/network/tools.test.ts drives these real clients through the
#                   allow-list proxy (it skips, naming what is missing, without them)
#   socat ripgrep   sandbox-runtime (srt), the bench-only peer, needs them (`npm run bench`, `bench:network`)
PKGS=(bubblewrap libseccomp-dev meson ninja-build pkg-config libcap-dev g++ make python3 dpkg-dev debian-archive-keyring)
if ((DEV)); then
  PKGS+=(g++-mingw-w64-x86-64 wine wine64 python3-pytest curl git openssl python3-pip socat ripgrep)
fi
if [[ "${CODEX_SANDBOX_SKIP_APT:-}" == 1 ]]; then
  say "CODEX_SANDBOX_SKIP_APT=1: not checking Debian packages"
elif command -v dpkg-query >/dev/null 2>&1; then
  missing=()
  for p in "${PKGS[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$p")
    fi
  done
  if ((${#missing[@]})); then
    SUDO=()
    if [[ $(id -u) -ne 0 ]]; then
      command -v sudo >/dev/null || { say "missing Debian packages (${missing[*]}) and not root and no sudo: install them, then run this again"; exit 1; }
      SUDO=(sudo)
    fi
    say "installing missing Debian packages: ${missing[*]}"
    "${SUDO[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    say "installed: ${missing[*]}"
  else
    say "Debian packages already present: ${PKGS[*]}"
  fi
else
  say "no dpkg: not a Debian/Ubuntu machine; skipping system packages (see README for what is needed)"
fi

# node-gyp must find Node's headers without downloading them (no nodejs.org access on some machines).
if [[ -z "${npm_config_nodedir:-}" && -f /usr/include/node/node.h ]]; then
  export npm_config_nodedir=/usr
fi

say "npm install (dependencies, native addon)"
npm install --no-audit --no-fund
say "building TypeScript"
npm run --silent build:ts
say "done"
