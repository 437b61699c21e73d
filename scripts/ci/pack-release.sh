#!/usr/bin/env bash
# CI release packaging check (the workflow's `package` job), run from a checkout whose prebuilds/
# holds the prebuild job's output and whose dist/ is built:
#
#   scripts/ci/pack-release.sh TARGET...      e.g. linux-x64 linux-arm64 darwin-arm64 darwin-x64 win32-x64
#
# 1. `npm pack` and check that the tarball holds every TARGET's prebuild, with the launcher and the
#    bundled bwrap (executable) for Linux targets;
# 2. install the tarball into an empty project and check that the host's prebuild was used (no
#    build/ in the installed package: nothing was compiled);
# 3. run `codex-sandbox doctor` and `codex-sandbox run --profile workspace-write -- /bin/echo ok` there.
# Leaves the tarball in the checkout root for upload.
set -euo pipefail
cd "$(dirname "$0")/../.."

say() { printf 'pack-release: %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

(($# > 0)) || die "usage: $0 TARGET... (e.g. linux-x64 win32-x64)"
HOST=$(node -p 'process.platform + "-" + process.arch')

ROOT=$(pwd)
SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT
rm -f codex-sandbox-*.tgz
npm pack --json >"$SCRATCH/pack.json"
TARBALL=$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[0].filename' "$SCRATCH/pack.json")
say "packed $TARBALL"

# Every expected file, with the mode the tarball records for it.
node -e '
  const [, packJson, ...targets] = process.argv;
  const entry = JSON.parse(require("fs").readFileSync(packJson, "utf8"))[0];
  const modes = new Map(entry.files.map((f) => [f.path, f.mode]));
  const problems = [];
  for (const t of targets) {
    const wanted = [`prebuilds/${t}/codex-sandbox.node`];
    if (t.startsWith("linux-")) wanted.push(`prebuilds/${t}/codex-sandbox-launcher`, `prebuilds/${t}/bwrap`);
    if (t.startsWith("win32-")) wanted.push(`prebuilds/${t}/codex-sandbox-launcher.exe`);
    for (const p of wanted) {
      if (!modes.has(p)) problems.push(`missing ${p}`);
      // Windows ignores Unix modes: only the Linux programs must be executable in the tarball.
      else if (!p.endsWith(".node") && !p.endsWith(".exe") && (modes.get(p) & 0o111) === 0) problems.push(`${p} is not executable (mode ${modes.get(p).toString(8)})`);
    }
  }
  const litter = entry.files.map((f) => f.path).filter((p) => /^(test|build|vendor\/bubblewrap\/_work)\//.test(p) || (/\.ts$/.test(p) && !/\.d\.ts$/.test(p)));
  for (const p of litter) problems.push(`litter in the tarball: ${p}`);
  if (problems.length) { console.error(problems.join("\n")); process.exit(1); }
  console.error(`pack-release: ${entry.filename}: ${entry.entryCount} files, ${entry.size} bytes packed, ${entry.unpackedSize} unpacked; prebuilds for ${targets.join(", ")}`);
'  "$SCRATCH/pack.json" "$@"

PROJECT="$SCRATCH/project"
mkdir "$PROJECT"
printf '{ "name": "pack-release-probe", "private": true }\n' >"$PROJECT/package.json"
(cd "$PROJECT" && npm install --no-audit --no-fund --foreground-scripts "$ROOT/$TARBALL")
INSTALLED="$PROJECT/node_modules/codex-sandbox"
# The point of shipping prebuilds: installing on a supported host compiles nothing.
[[ ! -d "$INSTALLED/build" ]] || die "installing the tarball on $HOST built from source ($INSTALLED/build exists): the $HOST prebuild did not load"

cd "$PROJECT"
# --no: never fetch some other package called codex-sandbox from the registry if the bin is missing.
set +e
doctor=$(npx --no codex-sandbox doctor 2>&1)
doctor_rc=$?
set -e
printf '%s\n' "$doctor" >&2
[[ $doctor_rc -eq 0 || $doctor_rc -eq 1 ]] || die "codex-sandbox doctor exited $doctor_rc (expected 0, or 1 when sandboxing cannot work here)"
if [[ "$HOST" == linux-* ]]; then
  out=$(npx --no codex-sandbox run --profile workspace-write -- /bin/echo ok)
  [[ "$out" == ok ]] || die "codex-sandbox run --profile workspace-write -- /bin/echo ok printed '$out', expected 'ok'"
  say "codex-sandbox run from the installed tarball printed: $out"
fi
say "ok"
