// A static position-independent executable without libc (-static-pie -nostdlib):
// an ET_DYN ELF with no PT_INTERP, which the loader maps at a base address of its own
// choosing. (Debian's riscv64 glibc ships no rcrt1.o, so a libc static-pie is not an
// option, and GCC's riscv link spec still asks for an interpreter with -static-pie,
// hence -Wl,--no-dynamic-linker.) The program applies its own R_RISCV_RELATIVE
// relocations, as glibc's static-pie start-up would, then uses tables of pointers to
// strings and functions that are only right if the base address and the relocation were.
// Exit status: the number of failed checks (120 for an unexpected relocation type).
// build: -O2 -nostdlib -fPIE -static-pie -Wl,--no-dynamic-linker -ffreestanding -fno-tree-loop-distribute-patterns
#include <elf.h>

#include "freestanding.h"

FS_START(pie_main)

// Hidden, so the compiler reaches them PC-relatively, with no GOT entry that would
// itself need relocating.
extern const Elf64_Dyn _DYNAMIC[] __attribute__((visibility("hidden")));
extern const Elf64_Ehdr __ehdr_start __attribute__((visibility("hidden")));

static int failures;

static void check(const char *what, long got, long want)
{
    fs_puts(what);
    fs_puts(" = ");
    fs_put_u64((unsigned long)got);
    fs_puts(got == want ? "\n" : "   FAIL\n");
    if (got != want)
        failures++;
}

// A PIE is linked at address 0, so the run-time address of the ELF header is the
// load bias to add to every relocation.
static long self_relocate(unsigned long base)
{
    const Elf64_Rela *rela = 0;
    unsigned long size = 0, entry = sizeof(Elf64_Rela), count = 0;
    for (const Elf64_Dyn *d = _DYNAMIC; d->d_tag != DT_NULL; d++) {
        if (d->d_tag == DT_RELA)
            rela = (const Elf64_Rela *)(base + d->d_un.d_ptr);
        else if (d->d_tag == DT_RELASZ)
            size = d->d_un.d_val;
        else if (d->d_tag == DT_RELAENT)
            entry = d->d_un.d_val;
    }
    for (unsigned long off = 0; rela != 0 && off < size; off += entry) {
        const Elf64_Rela *r = (const Elf64_Rela *)((const char *)rela + off);
        if (ELF64_R_TYPE(r->r_info) != R_RISCV_RELATIVE)
            fs_exit(120);
        *(unsigned long *)(base + r->r_offset) = base + (unsigned long)r->r_addend;
        count++;
    }
    return (long)count;
}

static long square(long x) { return x * x; }
static long cube(long x) { return x * x * x; }
static long negate(long x) { return -x; }

struct entry {
    const char *name;
    long (*fn)(long);
};

// Every pointer below needs a run-time relocation.
static const struct entry table[] = {{"square", square}, {"cube", cube}, {"negate", negate}};
static const char *const words[] = {"relocated", "pointers", "in", "data"};
static long counter = 5;
static long *const counter_ptr = &counter;

long pie_main(long *sp)
{
    unsigned long base = (unsigned long)&__ehdr_start;
    long relocs = self_relocate(base);
    check("relocations applied", relocs, 10);
    check("ELF header at the load base", __ehdr_start.e_ident[1] == 'E' && __ehdr_start.e_type == ET_DYN, 1);
    check("load base page-aligned", (long)(base % 4096), 0);
    check("argc", sp[0], 1);
    for (unsigned i = 0; i < sizeof table / sizeof table[0]; i++) {
        fs_puts(table[i].name);
        fs_puts("(7) = ");
        long v = table[i].fn(7);
        if (v < 0) {
            fs_puts("-");
            v = -v;
        }
        fs_put_u64((unsigned long)v);
        fs_puts("\n");
    }
    check("cube(3) through the table", table[1].fn(3), 27);
    unsigned long total = 0;
    for (unsigned i = 0; i < 4; i++) {
        fs_puts(words[i]);
        fs_puts(i < 3 ? " " : "\n");
        total += fs_strlen(words[i]);
    }
    check("total word length", (long)total, 9 + 8 + 2 + 4);
    *counter_ptr += 10;
    check("store through a relocated pointer", counter, 15);
    fs_puts(failures == 0 ? "pie: ok\n" : "pie: FAILED\n");
    return failures;
}
