#!/usr/bin/env bash
# Builds polyvm's demo guest: testsuite/demo/demo.c -> testsuite/demo/demo.riscv64.elf
# (or the path given as the only argument). The flags make the ELF small (stripped,
# no build-id, no .comment) and reproducible (no paths or timestamps end up in it),
# so the committed file can be rebuilt and compared byte for byte with the same
# compiler.
set -euo pipefail

CC=${RISCV64_CC:-riscv64-linux-gnu-gcc}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:-$here/demo.riscv64.elf}

if ! command -v "$CC" >/dev/null 2>&1; then
    echo "demo/build.sh: $CC not found; run testsuite/install-deps.sh" >&2
    exit 1
fi

tmp="$out.tmp.$$"
"$CC" -O2 -Wall -Wextra -static -nostdlib -ffreestanding -fno-pie -no-pie \
    -fno-tree-loop-distribute-patterns -fno-ident -fno-asynchronous-unwind-tables \
    -ffile-prefix-map="$here"=. \
    -Wl,--build-id=none -Wl,-s -Wl,-z,noexecstack \
    -o "$tmp" "$here/demo.c"
mv -f "$tmp" "$out"
echo "$out"
