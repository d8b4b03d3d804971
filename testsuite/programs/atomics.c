// The atomic operations glibc and compiled C rely on: every __atomic_* builtin at
// every width (1, 2, 4, 8 bytes; GCC 12 lowers the sub-word ones to libatomic's
// masked lr/sc loops), compare-exchange success and failure, and hand-written lr/sc
// and AMO instructions whose results the RISC-V spec defines (including the sign
// extension of the .w forms and the reservation rules of sc).
// Every atomic result is checked against the same arithmetic done with plain C.
// Exit status: the number of failed checks.
// build: -O2 -static -latomic
#include <stdint.h>
#include <stdio.h>

static int failures;

static void check(const char *what, uint64_t got, uint64_t want)
{
    if (got != want) {
        printf("FAIL %s: got 0x%llx want 0x%llx\n", what, (unsigned long long)got,
               (unsigned long long)want);
        failures++;
    }
}

// Guard bytes around the target check that sub-word atomics touch only their bytes.
#define DEFINE_WIDTH(T, NAME)                                                            \
    static struct {                                                                      \
        uint8_t before[3];                                                               \
        T value;                                                                         \
        uint8_t after[5];                                                                \
    } __attribute__((aligned(16))) cell_##NAME;                                          \
                                                                                         \
    static void guards_##NAME(const char *op)                                            \
    {                                                                                    \
        for (int i = 0; i < 3; i++)                                                      \
            check(op, cell_##NAME.before[i], 0xa5);                                      \
        for (int i = 0; i < 5; i++)                                                      \
            check(op, cell_##NAME.after[i], 0x5a);                                       \
    }                                                                                    \
                                                                                         \
    static uint64_t run_##NAME(uint64_t seed)                                            \
    {                                                                                    \
        T *p = &cell_##NAME.value;                                                       \
        T plain = (T)seed, old, res, arg;                                                \
        uint64_t digest = 0;                                                             \
        for (int i = 0; i < 3; i++)                                                      \
            cell_##NAME.before[i] = 0xa5;                                                \
        for (int i = 0; i < 5; i++)                                                      \
            cell_##NAME.after[i] = 0x5a;                                                 \
        __atomic_store_n(p, plain, __ATOMIC_SEQ_CST);                                    \
        check(#NAME " store/load", __atomic_load_n(p, __ATOMIC_ACQUIRE), plain);         \
        for (int round = 0; round < 200; round++) {                                      \
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;               \
            arg = (T)(seed >> 17);                                                       \
            switch (round % 13) {                                                        \
            case 0:                                                                      \
                old = __atomic_fetch_add(p, arg, __ATOMIC_SEQ_CST);                      \
                check(#NAME " fetch_add", old, plain);                                   \
                plain = (T)(plain + arg);                                                \
                break;                                                                   \
            case 1:                                                                      \
                old = __atomic_fetch_sub(p, arg, __ATOMIC_RELAXED);                      \
                check(#NAME " fetch_sub", old, plain);                                   \
                plain = (T)(plain - arg);                                                \
                break;                                                                   \
            case 2:                                                                      \
                old = __atomic_fetch_and(p, arg | (T)0x81, __ATOMIC_ACQ_REL);            \
                check(#NAME " fetch_and", old, plain);                                   \
                plain = (T)(plain & (arg | (T)0x81));                                    \
                break;                                                                   \
            case 3:                                                                      \
                old = __atomic_fetch_or(p, arg, __ATOMIC_RELEASE);                       \
                check(#NAME " fetch_or", old, plain);                                    \
                plain = (T)(plain | arg);                                                \
                break;                                                                   \
            case 4:                                                                      \
                old = __atomic_fetch_xor(p, arg, __ATOMIC_SEQ_CST);                      \
                check(#NAME " fetch_xor", old, plain);                                   \
                plain = (T)(plain ^ arg);                                                \
                break;                                                                   \
            case 5:                                                                      \
                old = __atomic_fetch_nand(p, arg, __ATOMIC_SEQ_CST);                     \
                check(#NAME " fetch_nand", old, plain);                                  \
                plain = (T) ~(plain & arg);                                              \
                break;                                                                   \
            case 6:                                                                      \
                res = __atomic_add_fetch(p, arg, __ATOMIC_SEQ_CST);                      \
                plain = (T)(plain + arg);                                                \
                check(#NAME " add_fetch", res, plain);                                   \
                break;                                                                   \
            case 7:                                                                      \
                res = __atomic_sub_fetch(p, arg, __ATOMIC_SEQ_CST);                      \
                plain = (T)(plain - arg);                                                \
                check(#NAME " sub_fetch", res, plain);                                   \
                res = __atomic_and_fetch(p, (T) ~(T)0x3c, __ATOMIC_SEQ_CST);             \
                plain = (T)(plain & (T) ~(T)0x3c);                                       \
                check(#NAME " and_fetch", res, plain);                                   \
                break;                                                                   \
            case 8:                                                                      \
                res = __atomic_or_fetch(p, arg, __ATOMIC_SEQ_CST);                       \
                plain = (T)(plain | arg);                                                \
                check(#NAME " or_fetch", res, plain);                                    \
                res = __atomic_xor_fetch(p, (T)seed, __ATOMIC_SEQ_CST);                  \
                plain = (T)(plain ^ (T)seed);                                            \
                check(#NAME " xor_fetch", res, plain);                                   \
                res = __atomic_nand_fetch(p, arg, __ATOMIC_SEQ_CST);                     \
                plain = (T) ~(plain & arg);                                              \
                check(#NAME " nand_fetch", res, plain);                                  \
                break;                                                                   \
            case 9:                                                                      \
                old = __atomic_exchange_n(p, arg, __ATOMIC_SEQ_CST);                     \
                check(#NAME " exchange", old, plain);                                    \
                plain = arg;                                                             \
                break;                                                                   \
            case 10: {                                                                   \
                /* Strong CAS that must succeed. */                                      \
                T expected = plain;                                                      \
                int ok = __atomic_compare_exchange_n(p, &expected, arg, 0,               \
                                                     __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);\
                check(#NAME " cas ok", ok, 1);                                           \
                check(#NAME " cas ok expected", expected, plain);                        \
                plain = arg;                                                             \
                break;                                                                   \
            }                                                                            \
            case 11: {                                                                   \
                /* Strong CAS that must fail and report the current value. */            \
                T expected = (T)(plain + 1);                                             \
                int ok = __atomic_compare_exchange_n(p, &expected, arg, 0,               \
                                                     __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);\
                check(#NAME " cas fail", ok, 0);                                         \
                check(#NAME " cas fail expected", expected, plain);                      \
                break;                                                                   \
            }                                                                            \
            default: {                                                                   \
                /* The usual weak-CAS retry loop: multiply by 3 atomically. */           \
                T cur = __atomic_load_n(p, __ATOMIC_RELAXED);                            \
                while (!__atomic_compare_exchange_n(p, &cur, (T)(cur * 3), 1,            \
                                                    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) \
                    ;                                                                    \
                plain = (T)(plain * 3);                                                  \
                break;                                                                   \
            }                                                                            \
            }                                                                            \
            check(#NAME " value", __atomic_load_n(p, __ATOMIC_SEQ_CST), plain);          \
            digest = digest * 31 + (uint64_t)plain;                                      \
        }                                                                                \
        guards_##NAME(#NAME " guard bytes");                                             \
        return digest;                                                                   \
    }

DEFINE_WIDTH(uint8_t, u8)
DEFINE_WIDTH(uint16_t, u16)
DEFINE_WIDTH(uint32_t, u32)
DEFINE_WIDTH(uint64_t, u64)

static void flags(void)
{
    static volatile char flag;
    check("test_and_set first", __atomic_test_and_set((void *)&flag, __ATOMIC_SEQ_CST), 0);
    check("test_and_set second", __atomic_test_and_set((void *)&flag, __ATOMIC_SEQ_CST), 1);
    __atomic_clear((void *)&flag, __ATOMIC_SEQ_CST);
    check("test_and_set after clear", __atomic_test_and_set((void *)&flag, __ATOMIC_SEQ_CST), 0);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    check("always lock free 8", __atomic_always_lock_free(8, 0), 1);
}

// Hand-written lr/sc loop: fetch-add on a doubleword.
static uint64_t lrsc_fetch_add_d(uint64_t *p, uint64_t v)
{
    uint64_t old, tmp;
    __asm__ volatile("1: lr.d.aqrl %0, (%2)\n\t"
                     "add %1, %0, %3\n\t"
                     "sc.d.rl %1, %1, (%2)\n\t"
                     "bnez %1, 1b"
                     : "=&r"(old), "=&r"(tmp)
                     : "r"(p), "r"(v)
                     : "memory");
    return old;
}

// Same on a word; lr.w sign-extends what it loads.
static uint64_t lrsc_fetch_add_w(uint32_t *p, uint64_t v)
{
    uint64_t old, tmp;
    __asm__ volatile("1: lr.w %0, (%2)\n\t"
                     "addw %1, %0, %3\n\t"
                     "sc.w %1, %1, (%2)\n\t"
                     "bnez %1, 1b"
                     : "=&r"(old), "=&r"(tmp)
                     : "r"(p), "r"(v)
                     : "memory");
    return old;
}

static void lrsc(void)
{
    static uint64_t d = 40;
    static uint32_t w[2] = {0x7ffffffe, 0};
    for (int i = 1; i <= 100; i++)
        lrsc_fetch_add_d(&d, (uint64_t)i);
    check("lr/sc.d sum", d, 40 + 5050);
    check("lr.w sign-extends", lrsc_fetch_add_w(&w[0], 3), 0x7ffffffe);
    check("lr.w sign-extends (negative)", lrsc_fetch_add_w(&w[0], 0), 0xffffffff80000001ull);

    uint64_t rc1, rc2, loaded;
    // A successful sc ends the reservation, so a second sc must fail (nonzero rd)
    // and leave memory alone.
    __asm__ volatile("lr.d %0, (%3)\n\t"
                     "sc.d %1, %4, (%3)\n\t"
                     "sc.d %2, %5, (%3)"
                     : "=&r"(loaded), "=&r"(rc1), "=&r"(rc2)
                     : "r"(&d), "r"(7ull), "r"(9ull)
                     : "memory");
    check("lr.d value", loaded, 40 + 5050);
    check("first sc succeeds", rc1, 0);
    check("second sc fails", rc2 != 0, 1);
    check("memory after failed sc", d, 7);
    // An sc to an address outside the reservation set must fail.
    static uint64_t pair[2] = {1, 2};
    __asm__ volatile("lr.d %0, (%2)\n\t"
                     "sc.d %1, %3, (%4)"
                     : "=&r"(loaded), "=&r"(rc1)
                     : "r"(&pair[0]), "r"(99ull), "r"(&pair[1])
                     : "memory");
    check("sc to another address fails", rc1 != 0, 1);
    check("other address untouched", pair[1], 2);
}

#define AMO(insn, p, v)                                                                  \
    ({                                                                                   \
        uint64_t _r;                                                                     \
        __asm__ volatile(insn " %0, %2, (%1)" : "=r"(_r) : "r"(p), "r"(v) : "memory"); \
        _r;                                                                              \
    })

static void amo(void)
{
    static uint64_t d;
    static uint32_t w;
    // .w forms return the old word sign-extended; min/max compare signed or unsigned.
    w = 0x80000000;
    check("amomax.w old", AMO("amomax.w", &w, 1ull), 0xffffffff80000000ull);
    check("amomax.w new", w, 1);
    w = 0x80000000;
    check("amomaxu.w old", AMO("amomaxu.w", &w, 1ull), 0xffffffff80000000ull);
    check("amomaxu.w new", w, 0x80000000);
    check("amomin.w old", AMO("amomin.w", &w, 5ull), 0xffffffff80000000ull);
    check("amomin.w new", w, 0x80000000);
    check("amominu.w old", AMO("amominu.w", &w, 5ull), 0xffffffff80000000ull);
    check("amominu.w new", w, 5);
    check("amoadd.w old", AMO("amoadd.w", &w, 0x7ffffffbull), 5);
    check("amoadd.w new", w, 0x80000000);
    check("amoswap.w old", AMO("amoswap.w.aq", &w, 0x123456789ull), 0xffffffff80000000ull);
    check("amoswap.w new", w, 0x23456789);
    check("amoand.w old", AMO("amoand.w.rl", &w, 0xff00ff00ull), 0x23456789);
    check("amoand.w new", w, 0x23006700);
    check("amoor.w old", AMO("amoor.w", &w, 0x0full), 0x23006700);
    check("amoor.w new", w, 0x2300670f);
    check("amoxor.w old", AMO("amoxor.w.aqrl", &w, 0xffffffffull), 0x2300670f);
    check("amoxor.w new", w, 0xdcff98f0);

    d = 0x8000000000000000ull;
    check("amomax.d old", AMO("amomax.d", &d, 1ull), 0x8000000000000000ull);
    check("amomax.d new", d, 1);
    check("amominu.d old", AMO("amominu.d", &d, 0ull), 1);
    check("amominu.d new", d, 0);
    check("amomaxu.d old", AMO("amomaxu.d", &d, 0xfffffffffffffff0ull), 0);
    check("amomin.d old", AMO("amomin.d", &d, 3ull), 0xfffffffffffffff0ull);
    check("amomin.d new", d, 0xfffffffffffffff0ull);
    check("amoadd.d old", AMO("amoadd.d", &d, 0x20ull), 0xfffffffffffffff0ull);
    check("amoadd.d new", d, 0x10);
    check("amoswap.d old", AMO("amoswap.d", &d, 0xf0f0f0f0f0f0f0f0ull), 0x10);
    check("amoand.d old", AMO("amoand.d", &d, 0xffff0000ffff0000ull), 0xf0f0f0f0f0f0f0f0ull);
    check("amoor.d old", AMO("amoor.d", &d, 1ull), 0xf0f00000f0f00000ull);
    check("amoxor.d old", AMO("amoxor.d", &d, 0xffffffffffffffffull), 0xf0f00000f0f00001ull);
    check("amoxor.d new", d, 0x0f0fffff0f0ffffeull);
    // x0 as destination discards the old value but still does the memory update.
    __asm__ volatile("amoadd.d x0, %1, (%0)" : : "r"(&d), "r"(2ull) : "memory");
    check("amoadd.d to x0", d, 0x0f0fffff0f100000ull);
}

int main(void)
{
    printf("u8 digest  0x%016llx\n", (unsigned long long)run_u8(1));
    printf("u16 digest 0x%016llx\n", (unsigned long long)run_u16(2));
    printf("u32 digest 0x%016llx\n", (unsigned long long)run_u32(3));
    printf("u64 digest 0x%016llx\n", (unsigned long long)run_u64(4));
    flags();
    lrsc();
    amo();
    printf("atomics: %d failure(s)\n", failures);
    return failures;
}
