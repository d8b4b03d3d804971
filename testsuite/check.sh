#!/usr/bin/env bash
# Runs every polyvm test on a fresh Debian machine: installs the Debian
# packages the tests need (cross compiler, qemu-user as the reference),
# then checks formatting and lints and runs the whole test suite.
#
#   bash testsuite/check.sh
#
# POLYVM_BACKENDS=interp (default) chooses which TCG backends the guest
# program tests run on.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "== installing test dependencies"
bash testsuite/install-deps.sh

echo "== cargo fmt --check"
cargo fmt --all --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings

echo "== cargo test"
cargo test --workspace
