// The smallest freestanding program: no libc, two write syscalls and exit_group(42).
// What a user-mode emulator must get right before anything else: ELF loading, the
// initial stack, `ecall` and the exit status.
// build: -O2 -static -nostdlib -ffreestanding -fno-tree-loop-distribute-patterns
// run: => exit 42
// run: extra args here => exit 42
#include "freestanding.h"

FS_START(tiny_main)

long tiny_main(long *sp)
{
    fs_puts("Hello from a freestanding riscv64 program\n");
    fs_puts("argc = ");
    fs_put_u64((unsigned long)sp[0]);
    fs_puts("\n");
    return 42;
}
