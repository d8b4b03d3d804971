// Bit manipulation and wide integer arithmetic as GCC compiles them for RV64GC
// (no Zbb, so clz/ctz/popcount/bswap become instruction sequences or libgcc calls):
// __builtin_clz/ctz/popcount/parity/bswap, rotates, overflow-checking builtins,
// and __int128 multiply/divide/modulo (libgcc's __multi3, __udivti3, __divti3...).
// Expected values are worked out by hand or with Python's arbitrary-precision integers.
// Exit status: the number of failed checks.
#include <stdint.h>
#include <stdio.h>

static int failures;

static void check(const char *what, uint64_t got, uint64_t want)
{
    printf("%-34s 0x%016llx%s\n", what, (unsigned long long)got, got == want ? "" : "   FAIL");
    if (got != want)
        failures++;
}

static uint64_t rotl(uint64_t x, unsigned r)
{
    return (x << (r & 63)) | (x >> ((64 - r) & 63));
}

int main(void)
{
    volatile uint64_t one = 1, ffff = 0xffff, x = 0x0102030405060708ull;
    volatile uint32_t w = 0x00f0f000u;
    check("clzll(1)", (uint64_t)__builtin_clzll(one), 63);
    check("ctzll(2^40)", (uint64_t)__builtin_ctzll(one << 40), 40);
    check("clz(0x00f0f000)", (uint64_t)__builtin_clz(w), 8);
    check("ctz(0x00f0f000)", (uint64_t)__builtin_ctz(w), 12);
    check("popcountll(0xffff)", (uint64_t)__builtin_popcountll(ffff), 16);
    check("popcountll(0x0102..08)", (uint64_t)__builtin_popcountll(x), 13);
    check("parityll(0x0102..08)", (uint64_t)__builtin_parityll(x), 1);
    check("bswap64", __builtin_bswap64(x), 0x0807060504030201ull);
    check("bswap32", __builtin_bswap32((uint32_t)x), 0x08070605u);
    check("bswap16", __builtin_bswap16((uint16_t)x), 0x0807u);
    check("rotl 8", rotl(x, 8), 0x0203040506070801ull);
    check("rotl 60", rotl(x, 60), 0x8010203040506070ull);

    long long r;
    volatile long long big = 0x7fffffffffffffffll, three = 3;
    check("add overflow detected", (uint64_t)__builtin_add_overflow(big, 1ll, &r), 1);
    check("  wrapped sum", (uint64_t)r, 0x8000000000000000ull);
    check("mul overflow detected", (uint64_t)__builtin_mul_overflow(big, three, &r), 1);
    check("mul no overflow", (uint64_t)__builtin_mul_overflow(three, three, &r), 0);
    unsigned long long ur;
    check("usub overflow detected", (uint64_t)__builtin_sub_overflow(0ull, (unsigned long long)three, &ur), 1);

    // __int128: values checked with Python.
    volatile unsigned __int128 a = ((unsigned __int128)1 << 100) + 12345;
    volatile uint64_t d = 1000003;
    unsigned __int128 q = a / d, m = a % d;
    check("(2^100+12345)/1000003 high", (uint64_t)(q >> 64), 0x10c6full);
    check("(2^100+12345)/1000003 low", (uint64_t)q, 0x45449cb59c68de59ull);
    check("(2^100+12345)%1000003", (uint64_t)m, 0x40ceeull);
    volatile uint64_t p1 = 0xfedcba9876543210ull, p2 = 0x123456789abcdef1ull;
    unsigned __int128 prod = (unsigned __int128)p1 * p2;
    check("128-bit product high", (uint64_t)(prod >> 64), 0x121fa00ad77d7423ull);
    check("128-bit product low", (uint64_t)prod, 0x224a4396cc6d0110ull);
    volatile __int128 n = -(((__int128)1 << 90) + 7);
    volatile __int128 d97 = 97;
    __int128 sq = n / d97, sr = n % d97;
    // C division truncates toward zero: q = -12762268446241033761846641, r = -54.
    check("signed 128 / 97 high", (uint64_t)((unsigned __int128)sq >> 64), 0xfffffffffff5717cull);
    check("signed 128 / 97 low", (uint64_t)sq, 0x0a8e83f5717c0a8full);
    check("signed 128 % 97", (uint64_t)sr, (uint64_t)-54);

    // A xorshift64* stream mixes shifts, xors and a multiply; print a digest.
    uint64_t s = 88172645463325252ull, acc = 0;
    for (int i = 0; i < 100000; i++) {
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        acc += (s * 2685821657736338717ull) >> (i & 31);
        acc = rotl(acc, (unsigned)__builtin_popcountll(s));
    }
    printf("xorshift digest 0x%016llx\n", (unsigned long long)acc);
    printf("bits: %d failure(s)\n", failures);
    return failures;
}
