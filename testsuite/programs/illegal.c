// Bad input for the CPU: after a line of output, execute an instruction that must
// raise an illegal-instruction exception in user mode, which Linux delivers as
// SIGILL. The argument picks the instruction:
//   zero    the all-zeros word (defined to be illegal, also as a compressed insn)
//   vector  vsetvli, from the V extension that qemu's default CPU and polyvm lack
//   csr     a read of the machine-mode CSR mstatus
//   ones    the all-ones word (reserved for encodings longer than 32 bits)
// An emulator must report the guest pc of the faulting instruction and exit with
// 128 + 4 = 132 (qemu-user dies of SIGILL itself).
// build: -O2 -static -nostdlib -ffreestanding -fno-tree-loop-distribute-patterns
// run: zero => signal 4 at bad_zero
// run: vector => signal 4 at bad_vector
// run: csr => signal 4 at bad_csr
// run: ones => signal 4 at bad_ones
// run: => exit 2
#include "freestanding.h"

FS_START(illegal_main)

long illegal_main(long *sp)
{
    if (sp[0] != 2) {
        fs_puts("usage: illegal zero|vector|csr|ones\n");
        return 2;
    }
    const char *which = (const char *)sp[2];
    fs_puts("about to execute an illegal instruction: ");
    fs_puts(which);
    fs_puts("\n");
    if (fs_streq(which, "zero"))
        __asm__ volatile(".globl bad_zero\nbad_zero:\n\t.word 0x00000000");
    else if (fs_streq(which, "vector"))
        __asm__ volatile(".globl bad_vector\nbad_vector:\n\t.word 0x0d0572d7"); // vsetvli t0, a0, e32, m1, ta, ma
    else if (fs_streq(which, "csr"))
        __asm__ volatile(".globl bad_csr\nbad_csr:\n\tcsrr t0, mstatus" ::: "t0");
    else if (fs_streq(which, "ones"))
        __asm__ volatile(".globl bad_ones\nbad_ones:\n\t.word 0xffffffff");
    fs_puts("still running: the instruction did not trap\n");
    return 1;
}
