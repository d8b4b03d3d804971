// Shared by the benchmark programs: the scale argument, the result line and the
// self-checks. Everything here is portable C so that one source builds natively
// (host gcc) and for riscv64 (riscv64-linux-gnu-gcc -static).
//
//   PROGRAM [SCALE [quiet]]
//
// SCALE is a percentage of the default amount of work (100 when absent), or
// `reps=N` for exactly N repetitions of the program's kernel. A program prints one
// line "NAME scale=S checksum=0x..." (the runners' outputs are compared byte for
// byte; with `quiet` it prints nothing) and exits 0, or exits 3 with a message on
// stderr if one of its self-checks against a published value failed.
#ifndef POLYVM_BENCH_H
#define POLYVM_BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int bench_quiet;
static uint64_t bench_exact_reps;

// Parses the arguments and returns the scale in percent. Bad input falls back to
// the default so that a typo cannot turn a benchmark into a no-op.
static inline uint64_t bench_scale(int argc, char **argv)
{
    bench_quiet = argc >= 3 && strcmp(argv[2], "quiet") == 0;
    if (argc < 2)
        return 100;
    char *end;
    if (strncmp(argv[1], "reps=", 5) == 0) {
        unsigned long n = strtoul(argv[1] + 5, &end, 10);
        if (*end == '\0' && n > 0 && n <= 100000000)
            bench_exact_reps = n;
        return 100;
    }
    unsigned long v = strtoul(argv[1], &end, 10);
    if (*end != '\0' || v == 0 || v > 100000)
        return 100;
    return v;
}

// Repetitions of the program's kernel: `reps=N` if given, else the default scaled
// by the percentage, at least one.
static inline uint64_t bench_reps(uint64_t default_reps, uint64_t scale)
{
    if (bench_exact_reps != 0)
        return bench_exact_reps;
    uint64_t r = default_reps * scale / 100;
    return r == 0 ? 1 : r;
}

static int bench_failures;

// Compares a computed value with an expected one fixed by a spec or by arithmetic.
static inline void bench_expect(const char *what, uint64_t got, uint64_t want)
{
    if (got != want) {
        fprintf(stderr, "self-check failed: %s = %llu (0x%llx), expected %llu (0x%llx)\n", what,
                (unsigned long long)got, (unsigned long long)got, (unsigned long long)want,
                (unsigned long long)want);
        bench_failures++;
    }
}

// Prints the result line and returns the exit status for main.
static inline int bench_finish(const char *name, uint64_t scale, uint64_t checksum)
{
    if (bench_quiet) {
        // Nothing to print.
    } else if (bench_exact_reps != 0) {
        printf("%s reps=%llu checksum=0x%016llx\n", name, (unsigned long long)bench_exact_reps,
               (unsigned long long)checksum);
    } else {
        printf("%s scale=%llu checksum=0x%016llx\n", name, (unsigned long long)scale,
               (unsigned long long)checksum);
    }
    return bench_failures == 0 ? 0 : 3;
}

// A 64-bit mixing step (the multiply-xorshift finaliser of splitmix64) to fold
// values into a checksum so that any single wrong value changes it.
static inline uint64_t bench_mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebull;
    h ^= h >> 31;
    return h;
}

// The 32-bit LCG from Numerical Recipes (a = 1664525, c = 1013904223): data
// generation that every runner reproduces exactly.
static inline uint32_t bench_lcg(uint32_t *state)
{
    *state = *state * 1664525u + 1013904223u;
    return *state;
}

#endif
