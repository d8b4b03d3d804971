// Code written at run time (a JIT's life): the program maps a page that is
// writable and executable, writes a function into it, runs it, rewrites it,
// executes `fence.i` (RISC-V requires it before running modified code) and
// runs it again. An emulator that kept the first translation would print the
// old result. Also unmaps and remaps the page at the same address with new
// code, which must not run stale translations either.
// Exit status: number of wrong results.
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

typedef long (*fn_t)(long);

// addi a0, a0, imm (I-type: imm[11:0] rs1=a0 funct3=0 rd=a0 opcode=0x13)
static uint32_t addi_a0(int imm) {
    return ((uint32_t)(imm & 0xfff) << 20) | (10u << 15) | (10u << 7) | 0x13u;
}

// ret = jalr x0, 0(ra)
static const uint32_t RET = 0x00008067u;

static void write_fn(uint32_t *code, int imm) {
    code[0] = addi_a0(imm);
    code[1] = RET;
    __asm__ volatile("fence.i" ::: "memory");
}

int main(void) {
    int failures = 0;
    uint32_t *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED) {
        printf("mmap failed\n");
        return 100;
    }
    fn_t f = (fn_t)(uintptr_t)code;

    write_fn(code, 1);
    long a = f(40);
    printf("first version:  f(40) = %ld\n", a);
    failures += a != 41;

    write_fn(code, 2);
    long b = f(40);
    printf("second version: f(40) = %ld\n", b);
    failures += b != 42;

    // Loop over many rewrites: every one must be seen.
    long sum = 0;
    for (int i = 0; i < 100; i++) {
        write_fn(code, i);
        sum += f(0);
    }
    printf("sum of 100 rewritten versions: %ld\n", sum);
    failures += sum != 4950;

    // Unmap and map again at the same address with new code.
    void *addr = code;
    munmap(code, 4096);
    code = mmap(addr, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (code == MAP_FAILED) {
        printf("mmap (fixed) failed\n");
        return 100;
    }
    write_fn(code, 7);
    long c = ((fn_t)(uintptr_t)code)(40);
    printf("after remapping: f(40) = %ld\n", c);
    failures += c != 47;

    printf("smc: %d failure(s)\n", failures);
    return failures;
}
