#!/usr/bin/env bash
# Benchmark of ecr-lifecycle; prints one Markdown table and writes it to bench/results.md,
# followed by the explanation of where ecr-lifecycle and aws-ecr-cleanup choose differently.
#
#   bash tests/run.sh     # once: creates .venv (moto, the local ECR API)
#   bash bench/run.sh
#   bash bench/run.sh evaluate   # only `evaluate` over one repository of 1,000,000 images:
#                                # best of 5 runs, peak RSS, output compared byte for byte
#                                # with the general path; prints its table, writes nothing
#
# 1. Local evaluation: `cargo bench -p ecr-lifecycle-compiler --bench scale`, the peak RSS
#    of `ecr-lifecycle evaluate policies/*.yaml` over 1,000,000 images in 1,000 repositories,
#    and the wall time (best of 5) and peak RSS over 1,000,000 images of one repository.
# 2. End to end against the local ECR API of the end-to-end tests on 127.0.0.1: plan and apply
#    over 200 repositories × 500 images, and plan with --concurrency 1, 8, 32 and auto under
#    30 ms per call.
# 3. Side by side with aws-ecr-cleanup 0.1.5 (PyPI, installed into bench/.venv-cleanup) in dry
#    run on the same kind of fixture: wall time, and the images each chooses to delete.
#
# Apart from pip fetching aws-ecr-cleanup from PyPI once, only 127.0.0.1 is ever called (the
# AWS credentials are dummies and the endpoint is the stand-in).
# A few minutes on 2 cores, plus the first release build. Environment:
#   ECR_LIFECYCLE_BIN=PATH   measure this binary instead of building target/release/ecr-lifecycle
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
WORK="$ROOT/bench/.work"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export PYTHONDONTWRITEBYTECODE=1

die() {
  echo "bench/run.sh: error: $*" >&2
  exit 1
}

# Bounds every step: a stuck step is stopped rather than waited for.
limit() {
  local seconds="$1"
  shift
  if command -v timeout >/dev/null; then
    # --foreground: Ctrl-C still reaches the command.
    timeout --foreground --kill-after=10 "$seconds" "$@"
  else
    "$@"
  fi
}

# The local ECR API exits when its standard input closes, that is with bench.py; this also
# stops any still running when the script ends or is interrupted.
stop_stand_ins() {
  local pid
  if [ -f "$WORK/stand-in.pids" ]; then
    while read -r pid; do
      if [ -n "$pid" ] && grep -qs ecr_stand_in.py "/proc/$pid/cmdline"; then
        kill "$pid" 2>/dev/null || true
      fi
    done <"$WORK/stand-in.pids"
    rm -f "$WORK/stand-in.pids"
  fi
}
trap stop_stand_ins EXIT

# The share of what policies expire that ECR's native policy expires by itself.
native_share_section() {
  echo
  echo "## Native share"
  echo
  echo "\`cargo bench -p ecr-lifecycle-compiler --bench native_share\`: over 20 random repositories of 300 images"
  echo "(a third untagged, pushed over 400 days), the images each policy expires and how many of them"
  echo "ECR's native policy expires by itself; the runner does the rest."
  echo
  grep '^|' "$WORK/native-share.txt"
}
trap 'exit 130' INT TERM

MODE="${1:-all}"
case "$MODE" in
all | evaluate) ;;
*) die "unknown argument \`$MODE\` (expected nothing, or \`evaluate\`)" ;;
esac

build_binary() {
  if [ -n "${ECR_LIFECYCLE_BIN:-}" ]; then
    BIN="$ECR_LIFECYCLE_BIN"
    [ -x "$BIN" ] || die "ECR_LIFECYCLE_BIN=$BIN is not an executable"
  else
    echo "== cargo build --release" >&2
    limit 1800 cargo build --release --locked --bin ecr-lifecycle >&2 ||
      die "cargo build --release failed (see above)"
    BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/ecr-lifecycle"
    [ -x "$BIN" ] || die "the build left no binary at $BIN"
  fi
  "$BIN" --version >/dev/null || die "$BIN does not run"
}

if [ "$MODE" = evaluate ]; then
  command -v cargo >/dev/null || die "cargo is not installed (a Rust toolchain, 1.94 or newer, is needed)"
  command -v python3 >/dev/null || die "python3 is not installed"
  mkdir -p "$WORK"
  build_binary
  echo "== evaluate over one repository of 1,000,000 images (bench/bench.py --only-evaluate)" >&2
  limit 1500 python3 bench/bench.py --only-evaluate --root "$ROOT" --bin "$BIN" --work "$WORK" ||
    die "the measurements failed (see above)"
  exit 0
fi

[ -x .venv/bin/python ] || die "no .venv: run \`bash tests/run.sh\` first (it creates .venv with moto, the local ECR API)"
.venv/bin/python -c 'import moto' 2>/dev/null ||
  die ".venv has no moto: run \`bash tests/run.sh\` (or .venv/bin/pip install -r tests/e2e/requirements.txt)"
command -v cargo >/dev/null || die "cargo is not installed (a Rust toolchain, 1.94 or newer, is needed)"
command -v python3 >/dev/null || die "python3 is not installed"

mkdir -p "$WORK"
stop_stand_ins

build_binary

echo "== aws-ecr-cleanup 0.1.5 in bench/.venv-cleanup" >&2
CLEANUP="$ROOT/bench/.venv-cleanup/bin/aws-ecr-cleanup"
if ! bench/.venv-cleanup/bin/python -m pip show aws-ecr-cleanup 2>/dev/null | grep -qx 'Version: 0.1.5'; then
  rm -rf bench/.venv-cleanup
  python3 -m venv bench/.venv-cleanup || die "python3 -m venv failed (on Debian: apt-get install python3-venv)"
  limit 600 bench/.venv-cleanup/bin/python -m pip install --quiet --disable-pip-version-check \
    -r bench/requirements-cleanup.txt || die "could not install aws-ecr-cleanup from PyPI"
fi
[ -x "$CLEANUP" ] || die "bench/.venv-cleanup has no aws-ecr-cleanup executable"

echo "== cargo bench -p ecr-lifecycle-compiler --bench scale" >&2
limit 1200 cargo bench --locked -p ecr-lifecycle-compiler --bench scale >"$WORK/cargo-bench.txt" ||
  die "cargo bench failed (see above)"
grep -q '^| images |' "$WORK/cargo-bench.txt" || die "cargo bench printed no table: $WORK/cargo-bench.txt"

echo "== cargo bench -p ecr-lifecycle-compiler --bench native_share" >&2
limit 600 cargo bench --locked -p ecr-lifecycle-compiler --bench native_share >"$WORK/native-share.txt" ||
  die "cargo bench failed (see above)"
grep -q '^| policy |' "$WORK/native-share.txt" || die "cargo bench printed no table: $WORK/native-share.txt"

echo "== measurements (bench/bench.py)" >&2
limit 1500 .venv/bin/python bench/bench.py \
  --root "$ROOT" \
  --bin "$BIN" \
  --python "$ROOT/.venv/bin/python" \
  --cleanup "$CLEANUP" \
  --cargo-bench "$WORK/cargo-bench.txt" \
  --work "$WORK" \
  --out "$ROOT/bench/results.md" || die "the measurements failed (see above; the local ECR API's log: $WORK/stand-in.log)"
native_share_section >>"$ROOT/bench/results.md"
echo "Wrote bench/results.md (the table, why the two tools differ, and the native share)." >&2
