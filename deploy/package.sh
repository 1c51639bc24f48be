#!/usr/bin/env bash
# Packages ecr-lifecycle as an AWS Lambda function (provided.al2023), for deploy/ecr-lifecycle.yaml:
#   target/lambda/ecr-lifecycle.zip   bootstrap (the binary) and the policy files under policies/
#   target/lambda/ecr-lifecycle.yaml  the template, its role holding exactly the ECR permissions
#                                     `ecr-lifecycle iam-policy --apply POLICY_FILES…` prints
#
#   deploy/package.sh [--arch arm64|x86_64] [--out DIR] [--template-only] [POLICY_FILE…]
#
# The binary is built by cargo-lambda (`pip install cargo-lambda`; it cross-compiles with zig,
# which it brings along); for arm64 on an x86_64 machine run
# `rustup target add aarch64-unknown-linux-gnu` once. Without policy files the package holds
# none (keep them in S3: the template's PolicyBucket) and the role covers every repository.
# --template-only writes the template alone, with the ecr-lifecycle on PATH (or $ECR_LIFECYCLE).
# --out puts both somewhere else than target/lambda.
set -euo pipefail
cd "$(dirname "$0")/.."

arch=arm64
out=target/lambda
template_only=false
while [ $# -gt 0 ]; do
  case "$1" in
    --arch) arch="${2:?--arch needs arm64 or x86_64}"; shift 2 ;;
    --out) out="${2:?--out needs a directory}"; shift 2 ;;
    --template-only) template_only=true; shift ;;
    --) shift; break ;;
    -*) echo "package.sh: unknown option $1" >&2; exit 1 ;;
    *) break ;;
  esac
done
case "$arch" in
  arm64) target_flag=--arm64 ;;
  x86_64) target_flag=--x86-64 ;;
  *) echo "package.sh: --arch is arm64 or x86_64, not $arch" >&2; exit 1 ;;
esac

mkdir -p "$out"
out="$(cd "$out" && pwd)"
ecr=("${ECR_LIFECYCLE:-ecr-lifecycle}")
if ! $template_only && [ -z "${ECR_LIFECYCLE:-}" ] && ! command -v ecr-lifecycle >/dev/null; then
  ecr=(cargo run --quiet --locked --)
fi

if [ $# -gt 0 ]; then
  "${ecr[@]}" validate "$@"
fi

# The template, with the permissions these files need (every repository without files).
permissions="$(mktemp)"
trap 'rm -f "$permissions"' EXIT
"${ecr[@]}" iam-policy --apply "$@" > "$permissions"
inside=false
while IFS= read -r line; do
  case "$line" in
    *"# BEGIN ecr-lifecycle iam-policy --apply"*)
      printf '%s\n' "$line"
      sed 's/^/            /' "$permissions"
      inside=true ;;
    *"# END ecr-lifecycle iam-policy --apply"*)
      printf '%s\n' "$line"
      inside=false ;;
    *) $inside || printf '%s\n' "$line" ;;
  esac
done < deploy/ecr-lifecycle.yaml > "$out/ecr-lifecycle.yaml"
echo "wrote $out/ecr-lifecycle.yaml"
$template_only && exit 0

cargo lambda build --locked --profile dist --bin ecr-lifecycle "$target_flag"
stage="$(mktemp -d)"
trap 'rm -rf "$stage" "$permissions"' EXIT
cp target/lambda/ecr-lifecycle/bootstrap "$stage/bootstrap"
mkdir "$stage/policies"
for f in "$@"; do
  name="$(basename "$f")"
  if [ -e "$stage/policies/$name" ]; then
    echo "package.sh: two policy files are named $name; the package keeps them side by side in policies/" >&2
    exit 1
  fi
  cp "$f" "$stage/policies/$name"
done
rm -f "$out/ecr-lifecycle.zip"
(cd "$stage" && python3 -m zipfile -c "$out/ecr-lifecycle.zip" bootstrap policies)
echo "wrote $out/ecr-lifecycle.zip ($arch): upload it to S3 and deploy $out/ecr-lifecycle.yaml"
