#!/usr/bin/env bash
# Builds the riscv64 guest test programs in this directory.
#
#   build.sh [NAME.c | NAME ...]      (no arguments: every *.c here)
#
# Each program goes to $OUT/<hash>/<name>, where <hash> covers the source text, the
# shared headers here, the compiler flags, the compiler's version and this script's
# BUILD_VERSION, so a re-run skips the compiler unless something changed. OUT defaults
# to <workspace>/target/riscv64-programs and may be overridden with POLYVM_PROGRAMS_OUT.
# For every program the script prints one line: "<name> <path-to-elf>".
#
# Per-file convention read here (README.md lists the ones the test harness reads):
#   // build: FLAGS    replaces the default flags "-O2 -static" (libraries such as
#                      -lm or -latomic go here too; they are placed after the source)
# `-Wall -fno-ident -ffile-prefix-map=...` and the source file are always passed.
set -euo pipefail

BUILD_VERSION=1
CC=${RISCV64_CC:-riscv64-linux-gnu-gcc}
DEFAULT_FLAGS="-O2 -static"

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${POLYVM_PROGRAMS_OUT:-$root/target/riscv64-programs}

if ! command -v "$CC" >/dev/null 2>&1; then
    echo "build.sh: $CC not found; run testsuite/install-deps.sh" >&2
    exit 1
fi
cc_version=$("$CC" --version | head -n 1)

if [[ $# -eq 0 ]]; then
    set -- "$here"/*.c
fi

for arg in "$@"; do
    name=$(basename "$arg" .c)
    src="$here/$name.c"
    if [[ ! -f "$src" ]]; then
        echo "build.sh: no such program: $src" >&2
        exit 1
    fi
    # The first "// build:" line wins; `|| true` because grep fails when there is none.
    flags=$(sed -n 's|^// build:[[:space:]]*||p' "$src" | head -n 1 || true)
    flags=${flags:-$DEFAULT_FLAGS}
    # Shared headers (*.h here) are hashed into every program: simple and safe.
    hash=$( { echo "$BUILD_VERSION"; echo "$cc_version"; echo "$flags"; cat "$src" "$here"/*.h; } \
        | sha256sum | cut -c1-16)
    dir="$out/$hash"
    elf="$dir/$name"
    if [[ ! -x "$elf" ]]; then
        mkdir -p "$dir"
        # Build into a private name, then rename: concurrent builders never see a
        # half-written ELF.
        tmp="$elf.tmp.$$"
        # shellcheck disable=SC2086 # flags are a word list on purpose
        "$CC" -Wall -fno-ident -ffile-prefix-map="$here"=. -o "$tmp" "$src" $flags
        mv -f "$tmp" "$elf"
    fi
    echo "$name $elf"
done
