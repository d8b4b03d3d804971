// A minimal runtime for the freestanding test programs (built with -nostdlib): raw
// Linux syscalls through `ecall`, a few output helpers and the `_start` entry point.
// There is no libc underneath, so these programs test the loader and the CPU alone.
#ifndef POLYVM_FREESTANDING_H
#define POLYVM_FREESTANDING_H

// riscv64 Linux syscall numbers (asm-generic/unistd.h).
#define FS_SYS_WRITE 64
#define FS_SYS_EXIT_GROUP 94

static inline long fs_syscall3(long nr, long a, long b, long c)
{
    register long a0 __asm__("a0") = a;
    register long a1 __asm__("a1") = b;
    register long a2 __asm__("a2") = c;
    register long a7 __asm__("a7") = nr;
    __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
    return a0;
}

static inline __attribute__((noreturn)) void fs_exit(int code)
{
    fs_syscall3(FS_SYS_EXIT_GROUP, code, 0, 0);
    __builtin_unreachable();
}

static inline unsigned long fs_strlen(const char *s)
{
    unsigned long n = 0;
    while (s[n] != 0)
        n++;
    return n;
}

static inline void fs_puts(const char *s)
{
    fs_syscall3(FS_SYS_WRITE, 1, (long)s, (long)fs_strlen(s));
}

static inline int fs_streq(const char *a, const char *b)
{
    while (*a != 0 && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

static inline void fs_put_u64(unsigned long v)
{
    char buf[24];
    int i = sizeof buf;
    buf[--i] = 0;
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    fs_puts(buf + i);
}

static inline void fs_put_hex(unsigned long v)
{
    char buf[24];
    int i = sizeof buf;
    buf[--i] = 0;
    do {
        buf[--i] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v != 0);
    buf[--i] = 'x';
    buf[--i] = '0';
    fs_puts(buf + i);
}

// _start: hand the initial stack pointer (argc, argv..., 0, envp..., 0, auxv) to
// MAIN(long *sp) and exit with its result. Non-PIE programs also set gp, because the
// linker may relax data accesses to be gp-relative.
#if defined(__PIE__)
#define FS_SET_GP ""
#else
#define FS_SET_GP ".option push\n\t.option norelax\n\tlla gp, __global_pointer$\n\t.option pop\n\t"
#endif
#define FS_START(MAIN)                                                                   \
    __asm__(".text\n\t.globl _start\n\t.type _start, @function\n_start:\n\t" FS_SET_GP    \
            "mv a0, sp\n\t"                                                              \
            "call " #MAIN "\n\t"                                                         \
            "li a7, 94\n\t"                                                              \
            "ecall\n\t");

#endif
