/* Freestanding RV64GC program for the frontend's differential test: it runs
 * many instructions on interesting operands, in every rounding mode, and
 * writes each result (and the accrued FP flags) as 64-bit words to stdout.
 * The test runs it under polyvm's frontend and under qemu-riscv64 and
 * compares the bytes. Each operation is inline asm so that the compiler
 * can neither fold nor replace it. */
#define OUT_WORDS 131072
#include "results.h"

typedef long i64;
typedef unsigned int u32;

static u64 flags(void) {
    u64 f;
    __asm__ volatile("frflags %0" : "=r"(f));
    __asm__ volatile("fsflags zero");
    return f;
}

static void set_rm(u64 rm) { __asm__ volatile("fsrm %0" ::"r"(rm)); }

static const u64 D[] = {
    0x0000000000000000, 0x8000000000000000, 0x3ff0000000000000, 0xbff0000000000000,
    0x3fb999999999999a, /* 0.1 */ 0x3fd5555555555555, /* 1/3 */
    0x7fefffffffffffff, /* max */ 0x0010000000000000, /* min normal */
    0x0000000000000001, /* min subnormal */ 0x000fffffffffffff, /* max subnormal */
    0x7ff0000000000000, 0xfff0000000000000, 0x7ff8000000000000, /* qNaN */
    0x7ff0000000000001, /* sNaN */ 0x4340000000000001, /* 2^54 + 2 */
    0xc004000000000000, /* -2.5 */ 0x3ff8000000000000, /* 1.5 */
    0x41dfffffffe00000, /* 2^31 - 1 */ 0x43e0000000000000, /* 2^63 */
    0xc3e0000000000000, /* -2^63 */ 0x3fe0000000000001, 0x4009000000000000, /* 3.125 */
};
#define ND (sizeof D / sizeof D[0])

static const u32 F[] = {
    0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x3dcccccd, /* 0.1 */
    0x3eaaaaab, 0x7f7fffff, 0x00800000, 0x00000001, 0x007fffff, 0x7f800000,
    0xff800000, 0x7fc00000, 0x7f800001, 0x4b800001, 0xc0200000, 0x3fc00000,
    0x4effffff, 0x5f000000, 0xdf000000, 0x3f000001,
};
#define NF (sizeof F / sizeof F[0])

static const u64 X[] = {
    0, 1, 2, 3, 7, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000,
    0x7fffffffffffffff, 0x8000000000000000, 0xffffffffffffffff, 0xfffffffffffffffe,
    0x123456789abcdef0, 0xfedcba9876543210, 0xffffffff80000000, 63, 64, 33,
};
#define NX (sizeof X / sizeof X[0])

#define D2(insn)                                                              \
    do {                                                                      \
        double a, b, r;                                                       \
        __builtin_memcpy(&a, &D[i], 8);                                       \
        __builtin_memcpy(&b, &D[j], 8);                                       \
        __asm__ volatile(insn " %0,%1,%2" : "=f"(r) : "f"(a), "f"(b));        \
        u64 bits;                                                             \
        __builtin_memcpy(&bits, &r, 8);                                       \
        put(bits);                                                            \
        put(flags());                                                         \
    } while (0)

#define F2(insn)                                                              \
    do {                                                                      \
        float a, b, r;                                                        \
        __builtin_memcpy(&a, &F[i], 4);                                       \
        __builtin_memcpy(&b, &F[j], 4);                                       \
        __asm__ volatile(insn " %0,%1,%2" : "=f"(r) : "f"(a), "f"(b));        \
        u32 bits;                                                             \
        __builtin_memcpy(&bits, &r, 4);                                       \
        put(bits);                                                            \
        put(flags());                                                         \
    } while (0)

#define CMP(insn, T, A, sz)                                                   \
    do {                                                                      \
        T a, b;                                                               \
        u64 r;                                                                \
        __builtin_memcpy(&a, &A[i], sz);                                      \
        __builtin_memcpy(&b, &A[j], sz);                                      \
        __asm__ volatile(insn " %0,%1,%2" : "=r"(r) : "f"(a), "f"(b));        \
        put(r);                                                               \
        put(flags());                                                         \
    } while (0)

#define TOINT(insn, T, A, sz)                                                 \
    do {                                                                      \
        T a;                                                                  \
        u64 r;                                                                \
        __builtin_memcpy(&a, &A[i], sz);                                      \
        __asm__ volatile(insn " %0,%1" : "=r"(r) : "f"(a));                   \
        put(r);                                                               \
        put(flags());                                                         \
    } while (0)

#define FROMINT(insn, T, sz)                                                  \
    do {                                                                      \
        T r;                                                                  \
        u64 bits = 0;                                                         \
        __asm__ volatile(insn " %0,%1" : "=f"(r) : "r"(X[i]));                \
        __builtin_memcpy(&bits, &r, sz);                                      \
        put(bits);                                                            \
        put(flags());                                                         \
    } while (0)

#define UN(insn, T, A, sz)                                                    \
    do {                                                                      \
        T a, r;                                                               \
        u64 bits = 0;                                                         \
        __builtin_memcpy(&a, &A[i], sz);                                      \
        __asm__ volatile(insn " %0,%1" : "=f"(r) : "f"(a));                   \
        __builtin_memcpy(&bits, &r, sz);                                      \
        put(bits);                                                            \
        put(flags());                                                         \
    } while (0)

#define I2(insn)                                                              \
    do {                                                                      \
        u64 r;                                                                \
        __asm__ volatile(insn " %0,%1,%2" : "=r"(r) : "r"(X[i]), "r"(X[j]));  \
        put(r);                                                               \
    } while (0)

static void fp_tests(void) {
    for (u64 rm = 0; rm < 5; rm++) {
        set_rm(rm);
        for (unsigned i = 0; i < ND; i++) {
            for (unsigned j = 0; j < ND; j++) {
                D2("fadd.d");
                D2("fsub.d");
                D2("fmul.d");
                D2("fdiv.d");
            }
            UN("fsqrt.d", double, D, 8);
            TOINT("fcvt.w.d", double, D, 8);
            TOINT("fcvt.wu.d", double, D, 8);
            TOINT("fcvt.l.d", double, D, 8);
            TOINT("fcvt.lu.d", double, D, 8);
            UN("fcvt.s.d", double, D, 8); /* low word of the result register */
        }
        for (unsigned i = 0; i < NF; i++) {
            for (unsigned j = 0; j < NF; j++) {
                F2("fadd.s");
                F2("fsub.s");
                F2("fmul.s");
                F2("fdiv.s");
            }
            UN("fsqrt.s", float, F, 4);
            TOINT("fcvt.w.s", float, F, 4);
            TOINT("fcvt.wu.s", float, F, 4);
            TOINT("fcvt.l.s", float, F, 4);
            TOINT("fcvt.lu.s", float, F, 4);
        }
        for (unsigned i = 0; i < NX; i++) {
            FROMINT("fcvt.d.w", double, 8);
            FROMINT("fcvt.d.wu", double, 8);
            FROMINT("fcvt.d.l", double, 8);
            FROMINT("fcvt.d.lu", double, 8);
            FROMINT("fcvt.s.w", float, 4);
            FROMINT("fcvt.s.wu", float, 4);
            FROMINT("fcvt.s.l", float, 4);
            FROMINT("fcvt.s.lu", float, 4);
        }
        /* Fused multiply-add over a subset (cubic). */
        for (unsigned i = 0; i < ND; i += 2) {
            for (unsigned j = 1; j < ND; j += 2) {
                for (unsigned k = 0; k < ND; k += 3) {
                    double a, b, c, r;
                    __builtin_memcpy(&a, &D[i], 8);
                    __builtin_memcpy(&b, &D[j], 8);
                    __builtin_memcpy(&c, &D[k], 8);
                    u64 bits;
                    __asm__ volatile("fmadd.d %0,%1,%2,%3" : "=f"(r) : "f"(a), "f"(b), "f"(c));
                    __builtin_memcpy(&bits, &r, 8);
                    put(bits);
                    __asm__ volatile("fnmsub.d %0,%1,%2,%3" : "=f"(r) : "f"(a), "f"(b), "f"(c));
                    __builtin_memcpy(&bits, &r, 8);
                    put(bits);
                    put(flags());
                    float fa, fb, fc, fr;
                    __builtin_memcpy(&fa, &F[i % NF], 4);
                    __builtin_memcpy(&fb, &F[j % NF], 4);
                    __builtin_memcpy(&fc, &F[k % NF], 4);
                    u32 fbits;
                    __asm__ volatile("fmsub.s %0,%1,%2,%3" : "=f"(fr) : "f"(fa), "f"(fb), "f"(fc));
                    __builtin_memcpy(&fbits, &fr, 4);
                    put(fbits);
                    __asm__ volatile("fnmadd.s %0,%1,%2,%3" : "=f"(fr) : "f"(fa), "f"(fb), "f"(fc));
                    __builtin_memcpy(&fbits, &fr, 4);
                    put(fbits);
                    put(flags());
                }
            }
        }
    }
    set_rm(0);
    for (unsigned i = 0; i < ND; i++) {
        for (unsigned j = 0; j < ND; j++) {
            D2("fmin.d");
            D2("fmax.d");
            D2("fsgnj.d");
            D2("fsgnjn.d");
            D2("fsgnjx.d");
            CMP("feq.d", double, D, 8);
            CMP("flt.d", double, D, 8);
            CMP("fle.d", double, D, 8);
        }
        double a;
        u64 r;
        __builtin_memcpy(&a, &D[i], 8);
        __asm__ volatile("fclass.d %0,%1" : "=r"(r) : "f"(a));
        put(r);
        UN("fcvt.d.s", double, D, 8); /* the double's bits read as a (mis)boxed single */
    }
    for (unsigned i = 0; i < NF; i++) {
        for (unsigned j = 0; j < NF; j++) {
            F2("fmin.s");
            F2("fmax.s");
            F2("fsgnjn.s");
            CMP("flt.s", float, F, 4);
        }
        float a;
        u64 r;
        __builtin_memcpy(&a, &F[i], 4);
        __asm__ volatile("fclass.s %0,%1" : "=r"(r) : "f"(a));
        put(r);
        __asm__ volatile("fmv.x.w %0,%1" : "=r"(r) : "f"(a));
        put(r);
        UN("fcvt.d.s", float, F, 4);
    }
    /* NaN-boxing: a double register read as a single is the canonical NaN. */
    for (unsigned i = 0; i < ND; i++) {
        u64 r;
        __asm__ volatile("fmv.d.x ft0,%1\n\tfsgnj.s ft1,ft0,ft0\n\tfmv.x.d %0,ft1"
                         : "=r"(r) : "r"(D[i]) : "ft0", "ft1");
        put(r);
        __asm__ volatile("fmv.d.x ft0,%1\n\tfadd.s ft1,ft0,ft0\n\tfmv.x.d %0,ft1"
                         : "=r"(r) : "r"(D[i]) : "ft0", "ft1");
        put(r);
        put(flags());
    }
    /* fcsr round trip. */
    u64 old;
    __asm__ volatile("csrrw %0, fcsr, %1" : "=r"(old) : "r"(0xffUL));
    put(old);
    __asm__ volatile("frcsr %0" : "=r"(old));
    put(old);
    __asm__ volatile("csrrci %0, fflags, 3" : "=r"(old));
    put(old);
    __asm__ volatile("csrrs %0, frm, zero" : "=r"(old));
    put(old);
    __asm__ volatile("fscsr zero");
}

static void int_tests(void) {
    for (unsigned i = 0; i < NX; i++) {
        for (unsigned j = 0; j < NX; j++) {
            I2("add"); I2("sub"); I2("sll"); I2("srl"); I2("sra"); I2("slt"); I2("sltu");
            I2("addw"); I2("subw"); I2("sllw"); I2("srlw"); I2("sraw");
            I2("mul"); I2("mulh"); I2("mulhsu"); I2("mulhu"); I2("div"); I2("divu");
            I2("rem"); I2("remu"); I2("mulw"); I2("divw"); I2("divuw"); I2("remw"); I2("remuw");
        }
        u64 r, x = X[i];
        __asm__ volatile("sraiw %0,%1,7" : "=r"(r) : "r"(x)); put(r);
        __asm__ volatile("srliw %0,%1,0" : "=r"(r) : "r"(x)); put(r);
        __asm__ volatile("slliw %0,%1,31" : "=r"(r) : "r"(x)); put(r);
        __asm__ volatile("addiw %0,%1,-2048" : "=r"(r) : "r"(x)); put(r);
        __asm__ volatile("sltiu %0,%1,-1" : "=r"(r) : "r"(x)); put(r);
        __asm__ volatile("slti %0,%1,-1" : "=r"(r) : "r"(x)); put(r);
        __asm__ volatile("srai %0,%1,63" : "=r"(r) : "r"(x)); put(r);
    }
}

static u64 mem[8];

static void atomic_tests(void) {
    for (unsigned i = 0; i < NX; i++) {
        for (unsigned j = 0; j < NX; j += 3) {
#define AMO(insn)                                                              \
    do {                                                                       \
        u64 r;                                                                 \
        mem[0] = X[i];                                                         \
        __asm__ volatile(insn " %0,%2,(%1)" : "=r"(r) : "r"(&mem[0]), "r"(X[j]) : "memory"); \
        put(r);                                                                \
        put(mem[0]);                                                           \
    } while (0)
            AMO("amoswap.w"); AMO("amoadd.w"); AMO("amoxor.w"); AMO("amoand.w");
            AMO("amoor.w"); AMO("amomin.w"); AMO("amomax.w"); AMO("amominu.w");
            AMO("amomaxu.w.aqrl"); AMO("amoswap.d"); AMO("amoadd.d.aq"); AMO("amoxor.d");
            AMO("amoand.d"); AMO("amoor.d.rl"); AMO("amomin.d"); AMO("amomax.d");
            AMO("amominu.d"); AMO("amomaxu.d");
        }
    }
    /* LR/SC: success, then failure without a reservation. */
    u64 v, ok;
    mem[1] = 5;
    __asm__ volatile("lr.d %0,(%2)\n\tsc.d %1,%3,(%2)" : "=&r"(v), "=&r"(ok) : "r"(&mem[1]), "r"(9UL) : "memory");
    put(v); put(ok); put(mem[1]);
    __asm__ volatile("sc.d %0,%2,(%1)" : "=&r"(ok) : "r"(&mem[1]), "r"(11UL) : "memory");
    put(ok); put(mem[1]);
    mem[2] = 0x80000000;
    __asm__ volatile("lr.w %0,(%2)\n\tsc.w %1,%3,(%2)" : "=&r"(v), "=&r"(ok) : "r"(&mem[2]), "r"(3UL) : "memory");
    put(v); put(ok); put(mem[2]);
}

__attribute__((noreturn)) void _start(void) {
    fp_tests();
    int_tests();
    atomic_tests();
    finish();
}
