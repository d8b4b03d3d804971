// Bad memory accesses, delivered by Linux as SIGSEGV: after a line of output the
// program stores to address 0, loads from address 8, jumps to address 0, or stores
// into its own (read-only, executable) text. An emulator must report the guest pc
// of the faulting instruction and exit with 128 + 11 = 139 (qemu-user dies of SIGSEGV
// itself). For the jump the faulting pc is the target, 0.
// build: -O2 -static -nostdlib -ffreestanding -fno-tree-loop-distribute-patterns
// run: store => signal 11 at bad_store
// run: load => signal 11 at bad_load
// run: jump => signal 11 at 0x0
// run: text => signal 11 at bad_text
// run: => exit 2
#include "freestanding.h"

FS_START(segv_main)

long segv_main(long *sp)
{
    if (sp[0] != 2) {
        fs_puts("usage: segv store|load|jump|text\n");
        return 2;
    }
    const char *which = (const char *)sp[2];
    fs_puts("about to fault: ");
    fs_puts(which);
    fs_puts("\n");
    if (fs_streq(which, "store"))
        __asm__ volatile(".globl bad_store\nbad_store:\n\tsd zero, 0(zero)" ::: "memory");
    else if (fs_streq(which, "load"))
        __asm__ volatile(".globl bad_load\nbad_load:\n\tld t0, 8(zero)" ::: "t0", "memory");
    else if (fs_streq(which, "jump"))
        __asm__ volatile("jalr ra, 0(zero)" ::: "ra", "memory");
    else if (fs_streq(which, "text"))
        __asm__ volatile("lla t0, _start\n\t"
                         ".globl bad_text\nbad_text:\n\tsw zero, 0(t0)" ::: "t0", "memory");
    fs_puts("still running: the access did not fault\n");
    return 1;
}
