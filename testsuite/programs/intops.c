// Integer corner cases of RV64IM, executed through inline asm so GCC can neither fold
// them nor lean on C undefined behaviour: division by zero and signed overflow (32 and
// 64 bit), shift amounts at and beyond the register width, the 32-bit *w forms with
// their sign extension, and the high-half multiplies.
// Results that the RISC-V unprivileged spec defines exactly are checked against the
// spec's values; every op is also hashed over a grid of awkward operands so the
// comparison with qemu covers far more than the spot checks.
// Exit status: the number of failed spot checks (0 on success).
#include <stdint.h>
#include <stdio.h>

static int failures;

static void check(const char *what, uint64_t got, uint64_t want)
{
    printf("%-34s = 0x%016llx", what, (unsigned long long)got);
    if (got != want) {
        printf("   FAIL, spec says 0x%016llx", (unsigned long long)want);
        failures++;
    }
    printf("\n");
}

#define RTYPE(op)                                                                  \
    static uint64_t op_##op(uint64_t a, uint64_t b)                                \
    {                                                                              \
        uint64_t r;                                                                \
        __asm__ volatile(#op " %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));            \
        return r;                                                                  \
    }
RTYPE(add) RTYPE(sub) RTYPE(sll) RTYPE(slt) RTYPE(sltu) RTYPE(xor)
RTYPE(srl) RTYPE(sra) RTYPE(or) RTYPE(and)
RTYPE(addw) RTYPE(subw) RTYPE(sllw) RTYPE(srlw) RTYPE(sraw)
RTYPE(mul) RTYPE(mulh) RTYPE(mulhsu) RTYPE(mulhu) RTYPE(mulw)
RTYPE(div) RTYPE(divu) RTYPE(rem) RTYPE(remu)
RTYPE(divw) RTYPE(divuw) RTYPE(remw) RTYPE(remuw)

struct rop {
    const char *name;
    uint64_t (*fn)(uint64_t, uint64_t);
};

#define ROP(op) { #op, op_##op }
static const struct rop rops[] = {
    ROP(add), ROP(sub), ROP(sll), ROP(slt), ROP(sltu), ROP(xor), ROP(srl), ROP(sra),
    ROP(or), ROP(and), ROP(addw), ROP(subw), ROP(sllw), ROP(srlw), ROP(sraw),
    ROP(mul), ROP(mulh), ROP(mulhsu), ROP(mulhu), ROP(mulw), ROP(div), ROP(divu),
    ROP(rem), ROP(remu), ROP(divw), ROP(divuw), ROP(remw), ROP(remuw),
};

static const uint64_t grid[] = {
    0, 1, 2, 3, 31, 32, 33, 63, 64, 65, 127,
    0xffffffffffffffffull, 0xfffffffffffffffeull, 0xfffffffffffffffdull,
    0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull, 0xffffffff80000000ull,
    0x7fffffffffffffffull, 0x8000000000000000ull, 0x8000000000000001ull,
    0x00000000deadbeefull, 0x123456789abcdef0ull, 0xfedcba9876543210ull,
    12345678901ull, (uint64_t)-987654321ll, 0x5555555555555555ull,
};

#define N_GRID (sizeof grid / sizeof grid[0])

// FNV-1a over the bytes of each result, so a single differing result changes the hash.
static uint64_t fnv1a(uint64_t h, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        h ^= (v >> (8 * i)) & 0xff;
        h *= 0x100000001b3ull;
    }
    return h;
}

static void grid_hashes(void)
{
    for (unsigned k = 0; k < sizeof rops / sizeof rops[0]; k++) {
        uint64_t h = 0xcbf29ce484222325ull;
        for (unsigned i = 0; i < N_GRID; i++)
            for (unsigned j = 0; j < N_GRID; j++)
                h = fnv1a(h, rops[k].fn(grid[i], grid[j]));
        printf("grid %-7s hash 0x%016llx\n", rops[k].name, (unsigned long long)h);
    }
}

static void division(void)
{
    const uint64_t m1 = 0xffffffffffffffffull;
    const uint64_t imin = 0x8000000000000000ull;
    // Spec table "Semantics for division by zero and division overflow".
    check("div 7/0", op_div(7, 0), m1);
    check("divu 7/0", op_divu(7, 0), m1);
    check("rem 7%0", op_rem(7, 0), 7);
    check("remu 7%0", op_remu(7, 0), 7);
    check("rem -7%0", op_rem((uint64_t)-7, 0), (uint64_t)-7);
    check("div INT64_MIN/-1", op_div(imin, m1), imin);
    check("rem INT64_MIN%-1", op_rem(imin, m1), 0);
    check("div -7/2 (toward zero)", op_div((uint64_t)-7, 2), (uint64_t)-3);
    check("rem -7%2 (sign of dividend)", op_rem((uint64_t)-7, 2), (uint64_t)-1);
    check("divu -7/2", op_divu((uint64_t)-7, 2), 0x7ffffffffffffffcull);
    check("remu -7%2", op_remu((uint64_t)-7, 2), 1);
    // 32-bit forms read the low 32 bits and sign-extend the 32-bit result.
    check("divw 7/0", op_divw(7, 0), m1);
    check("divuw 7/0", op_divuw(7, 0), m1);
    check("remw 0x1_8000_0005%0", op_remw(0x180000005ull, 0), 0xffffffff80000005ull);
    check("remuw 0x1_0000_0005%0", op_remuw(0x100000005ull, 0), 5);
    check("divw INT32_MIN/-1", op_divw(0x80000000, m1), 0xffffffff80000000ull);
    check("remw INT32_MIN%-1", op_remw(0x80000000, m1), 0);
    check("divw ignores high bits", op_divw(0xabcd000000000064ull, 0x1200000007ull), 14);
    check("divuw 0xffffffff/1", op_divuw(0xffffffff, 1), m1);
    check("divuw 0xfffffffe/2", op_divuw(0xfffffffe, 2), 0x7fffffff);
}

static void shifts(void)
{
    const uint64_t one = 1;
    // Register shifts use only rs2[5:0] (64-bit) or rs2[4:0] (*w forms).
    check("sll 1<<64 (amount mod 64)", op_sll(one, 64), 1);
    check("sll 1<<65", op_sll(one, 65), 2);
    check("sll 1<<63", op_sll(one, 63), 0x8000000000000000ull);
    check("srl 2^63>>127", op_srl(0x8000000000000000ull, 127), 1);
    check("sra 2^63>>63", op_sra(0x8000000000000000ull, 63), 0xffffffffffffffffull);
    check("sra -256>>(-1)", op_sra((uint64_t)-256, (uint64_t)-1), 0xffffffffffffffffull);
    check("sllw 1<<31 (sign-extends)", op_sllw(one, 31), 0xffffffff80000000ull);
    check("sllw 1<<32 (amount mod 32)", op_sllw(one, 32), 1);
    check("srlw 0xffffffff_80000000>>31", op_srlw(0xffffffff80000000ull, 31), 1);
    check("srlw 0x80000000>>0", op_srlw(0x80000000, 0), 0xffffffff80000000ull);
    check("sraw 0x80000000>>4", op_sraw(0x80000000, 4), 0xfffffffff8000000ull);
    check("sraw 0x1_7fffffff>>33", op_sraw(0x17fffffffull, 33), 0x3fffffff);
    uint64_t r;
    __asm__ volatile("slli %0, %1, 63" : "=r"(r) : "r"(3ull));
    check("slli 3<<63", r, 0x8000000000000000ull);
    __asm__ volatile("srai %0, %1, 63" : "=r"(r) : "r"(0x8000000000000000ull));
    check("srai 2^63>>63", r, 0xffffffffffffffffull);
    __asm__ volatile("srli %0, %1, 63" : "=r"(r) : "r"(0x8000000000000000ull));
    check("srli 2^63>>63", r, 1);
    __asm__ volatile("slliw %0, %1, 31" : "=r"(r) : "r"(3ull));
    check("slliw 3<<31", r, 0xffffffff80000000ull);
    __asm__ volatile("srliw %0, %1, 0" : "=r"(r) : "r"(0x1234567880000000ull));
    check("srliw x>>0 (sign-extends)", r, 0xffffffff80000000ull);
    __asm__ volatile("sraiw %0, %1, 31" : "=r"(r) : "r"(0x0000000080000000ull));
    check("sraiw 0x80000000>>31", r, 0xffffffffffffffffull);
}

static void word_ops(void)
{
    uint64_t r;
    check("addw 0x7fffffff+1", op_addw(0x7fffffff, 1), 0xffffffff80000000ull);
    check("addw ignores high bits", op_addw(0x1234567800000001ull, 0xff00000000000002ull), 3);
    check("subw 0-1", op_subw(0, 1), 0xffffffffffffffffull);
    check("subw 0x80000000-1", op_subw(0x80000000, 1), 0x7fffffff);
    check("mulw 0x10000*0x10000", op_mulw(0x10000, 0x10000), 0);
    check("mulw 0x8000*0x10000", op_mulw(0x8000, 0x10000), 0xffffffff80000000ull);
    __asm__ volatile("addiw %0, %1, -1" : "=r"(r) : "r"(0x100000000ull));
    check("addiw 2^32 + -1", r, 0xffffffffffffffffull);
    __asm__ volatile("addiw %0, %1, 0" : "=r"(r) : "r"(0xabcdef0012345678ull));
    check("sext.w", r, 0x12345678);
    __asm__ volatile("lui %0, 0x80000" : "=r"(r));
    check("lui 0x80000 (sign-extends)", r, 0xffffffff80000000ull);
    __asm__ volatile("lui %0, 0x7ffff\n\taddiw %0, %0, 2047" : "=r"(r));
    check("lui+addiw", r, 0x7ffff7ff);
    check("slt -1<1", op_slt((uint64_t)-1, 1), 1);
    check("sltu -1<1", op_sltu((uint64_t)-1, 1), 0);
    __asm__ volatile("sltiu %0, %1, -1" : "=r"(r) : "r"(5ull));
    check("sltiu 5 < -1 (unsigned)", r, 1);
    __asm__ volatile("add x0, %1, %1\n\tmv %0, x0" : "=r"(r) : "r"(5ull));
    check("x0 stays zero", r, 0);
}

static void high_mul(void)
{
    const uint64_t m1 = 0xffffffffffffffffull;
    const uint64_t imin = 0x8000000000000000ull;
    // (2^64-1)^2 = 2^128 - 2^65 + 1: high half 2^64 - 2.
    check("mulhu (2^64-1)^2", op_mulhu(m1, m1), 0xfffffffffffffffeull);
    // (-1)*(-1) = 1: high half 0.
    check("mulh -1*-1", op_mulh(m1, m1), 0);
    // (-2^63)^2 = 2^126: high half 2^62.
    check("mulh INT64_MIN^2", op_mulh(imin, imin), 0x4000000000000000ull);
    // -1 * (2^64-1) = -(2^64) + 1: high half is -1.
    check("mulhsu -1*(2^64-1)", op_mulhsu(m1, m1), m1);
    // 1 * (2^64-1): high half 0 (rs2 is unsigned).
    check("mulhsu 1*(2^64-1)", op_mulhsu(1, m1), 0);
    // -2^63 * (2^64-1) = -2^127 + 2^63 = 2^128 - 2^127 + 2^63 mod 2^128: high 2^63.
    check("mulhsu INT64_MIN*(2^64-1)", op_mulhsu(imin, m1), imin);
    check("mulh -2^32*2^32", op_mulh((uint64_t)-(1ll << 32), 1ull << 32), m1);
    check("mulhu 2^63*2", op_mulhu(imin, 2), 1);
    check("mul low half 2^63*2", op_mul(imin, 2), 0);
}

int main(void)
{
    division();
    shifts();
    word_ops();
    high_mul();
    grid_hashes();
    printf("intops: %d failure(s)\n", failures);
    return failures;
}
