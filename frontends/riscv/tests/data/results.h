/* Shared by the frontend's freestanding differential-test programs
 * (semantics.c, zb.c): results are collected as 64-bit words and written
 * to stdout in one go at exit, through raw Linux system calls (no libc).
 * Define OUT_WORDS, the most results a program records, before including. */
typedef unsigned long u64;

static u64 out[OUT_WORDS];
static long n;

static void put(u64 v) { out[n++] = v; }

static long sys(long nr, long a0, long a1, long a2) {
    register long x10 __asm__("a0") = a0;
    register long x11 __asm__("a1") = a1;
    register long x12 __asm__("a2") = a2;
    register long x17 __asm__("a7") = nr;
    __asm__ volatile("ecall" : "+r"(x10) : "r"(x11), "r"(x12), "r"(x17) : "memory");
    return x10;
}

/* write(1, out, n * 8); exit(0) */
__attribute__((noreturn)) static void finish(void) {
    sys(64, 1, (long)out, n * 8);
    sys(93, 0, 0, 0);
    for (;;) {
    }
}
