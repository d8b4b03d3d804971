/* Sample for the Zba/Zbb/Zbs disassembly test: compiled with
 * -march=rv64gc_zba_zbb_zbs -O2, GCC emits bit-manipulation instructions
 * for these idioms; every instruction's text is compared with objdump. */
typedef unsigned long u64;
typedef long i64;
typedef unsigned int u32;
typedef int i32;

u64 clz64(u64 x) { return x ? __builtin_clzll(x) : 64; }
u32 clz32(u32 x) { return x ? __builtin_clz(x) : 32; }
u64 ctz64(u64 x) { return x ? __builtin_ctzll(x) : 64; }
u32 ctz32(u32 x) { return x ? __builtin_ctz(x) : 32; }
u64 pop64(u64 x) { return __builtin_popcountll(x); }
u32 pop32(u32 x) { return __builtin_popcount(x); }
u64 rotl64(u64 x, unsigned n) { return (x << (n & 63)) | (x >> (-n & 63)); }
u64 rotr64(u64 x, unsigned n) { return (x >> (n & 63)) | (x << (-n & 63)); }
u64 rotr64_7(u64 x) { return (x >> 7) | (x << 57); }
i64 rotl32(u32 x, unsigned n) { return (i32)((x << (n & 31)) | (x >> (-n & 31))); }
i64 rotr32(u32 x, unsigned n) { return (i32)((x >> (n & 31)) | (x << (-n & 31))); }
i64 rotr32_5(u32 x) { return (i32)((x >> 5) | (x << 27)); }
u64 andn(u64 a, u64 b) { return a & ~b; }
u64 orn(u64 a, u64 b) { return a | ~b; }
u64 xnor(u64 a, u64 b) { return ~(a ^ b); }
i64 smax(i64 a, i64 b) { return a > b ? a : b; }
i64 smin(i64 a, i64 b) { return a < b ? a : b; }
u64 umax(u64 a, u64 b) { return a > b ? a : b; }
u64 umin(u64 a, u64 b) { return a < b ? a : b; }
i64 sextb(i64 x) { return (signed char)x; }
i64 sexth(i64 x) { return (short)x; }
u64 zexth(u64 x) { return (unsigned short)x; }
u64 zextw(u64 x) { return (u32)x; }
u64 bswap64(u64 x) { return __builtin_bswap64(x); }
u32 bswap32(u32 x) { return __builtin_bswap32(x); }
u64 idx2(u64 *p, u64 i, u64 j) { return p[i] + ((short *)p)[j]; }
u64 idx4(u32 *p, u64 i) { return p[i]; }
u64 idx8(u64 *p, u32 i) { return p[i]; }
u64 idx8u(u64 *p, u32 i, u32 j) { return p[i] + ((u32 *)p)[j] + ((unsigned short *)p)[j + 1]; }
u64 adduw(u64 a, u32 b) { return a + b; }
u64 slliuw(u32 x) { return (u64)x << 5; }
u64 bclr(u64 x, unsigned n) { return x & ~(1ul << (n & 63)); }
u64 bset(u64 x, unsigned n) { return x | (1ul << (n & 63)); }
u64 binv(u64 x, unsigned n) { return x ^ (1ul << (n & 63)); }
u64 bext(u64 x, unsigned n) { return (x >> (n & 63)) & 1; }
u64 bclri(u64 x) { return x & ~(1ul << 40); }
u64 bseti(u64 x) { return x | (1ul << 50); }
u64 binvi(u64 x) { return x ^ (1ul << 62); }
u64 bexti(u64 x) { return (x >> 45) & 1; }
u64 mul3(u64 x) { return x * 3; }
u64 mul5(u64 x) { return x * 5; }
u64 mul9(u64 x) { return x * 9; }

/* A loop that mixes them, so the listing has ordinary code around them. */
u64 mix(const u64 *v, u32 n) {
    u64 acc = 0;
    for (u32 i = 0; i < n; i++) {
        u64 x = v[i];
        acc += (u64)__builtin_popcountll(x) + rotl64(x, i) + (x & ~acc);
        acc ^= smax((i64)x, (i64)acc);
    }
    return acc;
}
