// Floating point on RV64GC: double and float arithmetic printed with printf, sqrt and
// a few libm functions, C conversions between integers and floating point (truncating
// toward zero), and, through inline asm, the cases the RISC-V F/D chapters define
// exactly: saturating fcvt for out-of-range and NaN inputs, static and dynamic
// rounding modes, accrued exception flags, canonical NaNs, fmin/fmax with signed zeros
// and NaNs, fclass, fused multiply-add, and NaN-boxing of single-precision values.
// Exit status: the number of failed checks.
// build: -O2 -static -lm
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int failures;

static void check(const char *what, uint64_t got, uint64_t want)
{
    printf("%-36s 0x%016llx%s\n", what, (unsigned long long)got, got == want ? "" : "   FAIL");
    if (got != want)
        failures++;
}

static uint64_t bits_d(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static double from_bits(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

// Flag bits of fflags: NV (invalid) 0x10, DZ 0x08, OF 0x04, UF 0x02, NX 0x01.
static void clear_flags(void)
{
    __asm__ volatile("fsflags x0");
}

static uint64_t read_flags(void)
{
    uint64_t f;
    __asm__ volatile("frflags %0" : "=r"(f));
    return f;
}

#define FCVT(insn, rm, x)                                                                \
    ({                                                                                   \
        uint64_t _r;                                                                     \
        __asm__ volatile(insn " %0, %1, " rm : "=r"(_r) : "f"(x));                       \
        _r;                                                                              \
    })

static void conversions(void)
{
    volatile double big = 1e10, neg = -1e10, nan = from_bits(0x7ff8000000000000ull);
    volatile double half = 2.5, mhalf = -2.5, m1 = -1.0;
    // Saturation table of the spec: out-of-range and NaN inputs.
    check("fcvt.w.d 1e10", FCVT("fcvt.w.d", "rtz", big), 0x7fffffff);
    check("fcvt.w.d -1e10", FCVT("fcvt.w.d", "rtz", neg), 0xffffffff80000000ull);
    check("fcvt.w.d NaN", FCVT("fcvt.w.d", "rtz", nan), 0x7fffffff);
    check("fcvt.wu.d -1 (sat 0)", FCVT("fcvt.wu.d", "rtz", m1), 0);
    check("fcvt.wu.d NaN (sext of 2^32-1)", FCVT("fcvt.wu.d", "rtz", nan), 0xffffffffffffffffull);
    check("fcvt.wu.d 3e9 (sext)", FCVT("fcvt.wu.d", "rtz", (double)3e9), 0xffffffffb2d05e00ull);
    check("fcvt.l.d NaN", FCVT("fcvt.l.d", "rtz", nan), 0x7fffffffffffffffull);
    check("fcvt.l.d -1e19", FCVT("fcvt.l.d", "rtz", (double)-1e19), 0x8000000000000000ull);
    check("fcvt.lu.d -1 (sat 0)", FCVT("fcvt.lu.d", "rtz", m1), 0);
    check("fcvt.lu.d 1e20", FCVT("fcvt.lu.d", "rtz", (double)1e20), 0xffffffffffffffffull);
    clear_flags();
    (void)FCVT("fcvt.w.d", "rtz", big);
    check("  flags after overflow (NV)", read_flags(), 0x10);
    // Static rounding modes on +-2.5.
    check("fcvt.w.d 2.5 rne", FCVT("fcvt.w.d", "rne", half), 2);
    check("fcvt.w.d 2.5 rtz", FCVT("fcvt.w.d", "rtz", half), 2);
    check("fcvt.w.d 2.5 rdn", FCVT("fcvt.w.d", "rdn", half), 2);
    check("fcvt.w.d 2.5 rup", FCVT("fcvt.w.d", "rup", half), 3);
    check("fcvt.w.d 2.5 rmm", FCVT("fcvt.w.d", "rmm", half), 3);
    check("fcvt.w.d -2.5 rne", FCVT("fcvt.w.d", "rne", mhalf), (uint64_t)-2);
    check("fcvt.w.d -2.5 rdn", FCVT("fcvt.w.d", "rdn", mhalf), (uint64_t)-3);
    check("fcvt.w.d -2.5 rup", FCVT("fcvt.w.d", "rup", mhalf), (uint64_t)-2);
    check("fcvt.w.d -2.5 rmm", FCVT("fcvt.w.d", "rmm", mhalf), (uint64_t)-3);
    clear_flags();
    (void)FCVT("fcvt.w.d", "rne", half);
    check("  flags after inexact fcvt (NX)", read_flags(), 0x01);

    // C conversions truncate toward zero.
    volatile double a = 3.99, b = -3.99, c = 1e18;
    volatile float f = 16777217.0f;
    volatile long i64 = 9007199254740993L; // 2^53 + 1 is not a double
    check("(int)3.99", (uint64_t)(int64_t)(int)a, 3);
    check("(int)-3.99", (uint64_t)(int64_t)(int)b, (uint64_t)-3);
    check("(long)1e18", (uint64_t)(long)c, 1000000000000000000ull);
    check("(unsigned)3e9", (unsigned)(volatile double){3e9}, 3000000000u);
    check("16777217.0f == 2^24", bits_d((double)f), bits_d(16777216.0));
    check("(double)(2^53+1) rounds to even", bits_d((double)i64), bits_d(9007199254740992.0));
    check("(float)0.1 widened", bits_d((double)(float)(volatile double){0.1}),
          0x3fb99999a0000000ull);
    check("(long)(float)-2.75", (uint64_t)(long)(volatile float){-2.75f}, (uint64_t)-2);
}

static void arithmetic_flags(void)
{
    volatile double one = 1.0, three = 3.0, zero = 0.0, m1 = -1.0, dmax = DBL_MAX;
    volatile double dmin = DBL_MIN;
    double r;
    clear_flags();
    r = one / three;
    check("1/3", bits_d(r), 0x3fd5555555555555ull);
    check("  flags (NX)", read_flags(), 0x01);
    clear_flags();
    r = one / zero;
    check("1/0", bits_d(r), 0x7ff0000000000000ull);
    check("  flags (DZ)", read_flags(), 0x08);
    clear_flags();
    __asm__ volatile("fsqrt.d %0, %1" : "=f"(r) : "f"(m1));
    check("fsqrt.d -1 (canonical NaN)", bits_d(r), 0x7ff8000000000000ull);
    check("  flags (NV)", read_flags(), 0x10);
    clear_flags();
    r = dmax * 2.0;
    check("DBL_MAX*2", bits_d(r), 0x7ff0000000000000ull);
    check("  flags (OF|NX)", read_flags(), 0x05);
    clear_flags();
    r = dmin * dmin;
    check("DBL_MIN^2", bits_d(r), 0);
    check("  flags (UF|NX)", read_flags(), 0x03);
    clear_flags();
    r = (volatile double){1.5} + (volatile double){2.25};
    check("1.5+2.25", bits_d(r), bits_d(3.75));
    check("  flags (none)", read_flags(), 0);

    // Dynamic rounding mode (frm): 1/3 rounded up differs in the last bit.
    uint64_t old_frm;
    __asm__ volatile("fsrmi %0, 3" : "=r"(old_frm)); // 3 = RUP
    __asm__ volatile("fdiv.d %0, %1, %2" : "=f"(r) : "f"(one), "f"(three));
    check("1/3 with frm=RUP", bits_d(r), 0x3fd5555555555556ull);
    __asm__ volatile("fsrmi 2"); // 2 = RDN
    __asm__ volatile("fdiv.d %0, %1, %2" : "=f"(r) : "f"(m1), "f"(three));
    check("-1/3 with frm=RDN", bits_d(r), 0xbfd5555555555556ull);
    __asm__ volatile("fsrm %0" : : "r"(old_frm));
    uint64_t fcsr;
    __asm__ volatile("csrr %0, fcsr" : "=r"(fcsr));
    check("fcsr frm restored to RNE", fcsr >> 5, 0);

    // Fused multiply-add rounds once: 0.1*10 - 1 is exactly 2^-54.
    volatile double tenth = 0.1, ten = 10.0;
    __asm__ volatile("fmadd.d %0, %1, %2, %3" : "=f"(r) : "f"(tenth), "f"(ten), "f"(m1));
    check("fmadd 0.1*10-1 = 2^-54", bits_d(r), 0x3c90000000000000ull);
    __asm__ volatile("fnmsub.d %0, %1, %2, %3" : "=f"(r) : "f"(tenth), "f"(ten), "f"(m1));
    check("fnmsub -(0.1*10)+(-1)", bits_d(r), bits_d(-2.0));
}

static void nans_and_signs(void)
{
    volatile double payload = from_bits(0x7ff8000000000123ull);
    volatile double snan = from_bits(0x7ff0000000000001ull);
    volatile double one = 1.0, pz = 0.0, nz = -0.0;
    double r;
    uint64_t x;
    r = payload + one;
    check("NaN payload + 1 (canonical)", bits_d(r), 0x7ff8000000000000ull);
    __asm__ volatile("fsgnjn.d %0, %1, %1" : "=f"(r) : "f"(payload));
    check("fneg keeps the payload", bits_d(r), 0xfff8000000000123ull);
    __asm__ volatile("fsgnjx.d %0, %1, %2" : "=f"(r) : "f"(one), "f"(nz));
    check("fsgnjx 1, -0", bits_d(r), bits_d(-1.0));
    __asm__ volatile("fmin.d %0, %1, %2" : "=f"(r) : "f"(payload), "f"(one));
    check("fmin(NaN, 1)", bits_d(r), bits_d(1.0));
    __asm__ volatile("fmax.d %0, %1, %2" : "=f"(r) : "f"(payload), "f"(payload));
    check("fmax(NaN, NaN) canonical", bits_d(r), 0x7ff8000000000000ull);
    __asm__ volatile("fmin.d %0, %1, %2" : "=f"(r) : "f"(pz), "f"(nz));
    check("fmin(+0, -0)", bits_d(r), 0x8000000000000000ull);
    __asm__ volatile("fmax.d %0, %1, %2" : "=f"(r) : "f"(nz), "f"(pz));
    check("fmax(-0, +0)", bits_d(r), 0);
    clear_flags();
    __asm__ volatile("fmin.d %0, %1, %2" : "=f"(r) : "f"(snan), "f"(one));
    check("fmin(sNaN, 1)", bits_d(r), bits_d(1.0));
    check("  flags (NV)", read_flags(), 0x10);
    clear_flags();
    __asm__ volatile("feq.d %0, %1, %2" : "=r"(x) : "f"(payload), "f"(payload));
    check("feq(qNaN, qNaN)", x, 0);
    check("  flags (quiet: none)", read_flags(), 0);
    __asm__ volatile("flt.d %0, %1, %2" : "=r"(x) : "f"(payload), "f"(one));
    check("flt(qNaN, 1)", x, 0);
    check("  flags (signaling: NV)", read_flags(), 0x10);
    __asm__ volatile("fle.d %0, %1, %2" : "=r"(x) : "f"(nz), "f"(pz));
    check("fle(-0, +0)", x, 1);

    static const struct {
        uint64_t bits;
        uint64_t class;
    } classes[] = {
        {0xfff0000000000000ull, 1 << 0}, // -inf
        {0xbff0000000000000ull, 1 << 1}, // -1.0
        {0x800fffffffffffffull, 1 << 2}, // negative subnormal
        {0x8000000000000000ull, 1 << 3}, // -0
        {0x0000000000000000ull, 1 << 4}, // +0
        {0x0000000000000001ull, 1 << 5}, // positive subnormal
        {0x3ff0000000000000ull, 1 << 6}, // +1.0
        {0x7ff0000000000000ull, 1 << 7}, // +inf
        {0x7ff0000000000001ull, 1 << 8}, // signaling NaN
        {0x7ff8000000000000ull, 1 << 9}, // quiet NaN
    };
    for (unsigned i = 0; i < sizeof classes / sizeof classes[0]; i++) {
        char what[48];
        volatile double v = from_bits(classes[i].bits);
        __asm__ volatile("fclass.d %0, %1" : "=r"(x) : "f"(v));
        snprintf(what, sizeof what, "fclass.d 0x%016llx", (unsigned long long)classes[i].bits);
        check(what, x, classes[i].class);
    }
}

static void nan_boxing(void)
{
    uint64_t x;
    double boxed;
    // A single written with fmv.w.x is NaN-boxed: the upper 32 bits are all ones.
    __asm__ volatile("fmv.w.x %1, %2\n\tfmv.x.d %0, %1" : "=r"(x), "=&f"(boxed) : "r"(0x3f800000ull));
    check("fmv.w.x boxes (upper ones)", x, 0xffffffff3f800000ull);
    // fmv.x.w sign-extends bit 31.
    __asm__ volatile("fmv.w.x %1, %2\n\tfmv.x.w %0, %1" : "=r"(x), "=&f"(boxed) : "r"(0xbf800000ull));
    check("fmv.x.w sign-extends", x, 0xffffffffbf800000ull);
    // An improperly boxed single reads as the canonical NaN.
    __asm__ volatile("fmv.d.x %1, %2\n\t"
                     "fadd.s %1, %1, %1\n\t"
                     "fmv.x.w %0, %1"
                     : "=r"(x), "=&f"(boxed)
                     : "r"(0x000000003f800000ull));
    check("unboxed single is NaN", x, 0x7fc00000);
    // Single-precision arithmetic results are boxed too.
    volatile float fa = 1.5f, fb = 0.25f;
    float fr;
    __asm__ volatile("fadd.s %1, %2, %3\n\tfmv.x.d %0, %1" : "=r"(x), "=&f"(fr) : "f"(fa), "f"(fb));
    check("fadd.s result boxed", x, 0xffffffff3fe00000ull);
}

static void ordinary_arithmetic(void)
{
    // Plain C arithmetic whose printed digits must match the reference.
    double sum = 0.0, alt = 0.0;
    float fsum = 0.0f;
    for (int k = 1; k <= 20000; k++) {
        sum += 1.0 / k;
        alt += (k & 1 ? 4.0 : -4.0) / (2.0 * k - 1.0);
        fsum += 1.0f / (float)k;
    }
    printf("harmonic(20000) = %.15f\n", sum);
    printf("leibniz pi      = %.15f\n", alt);
    printf("harmonic float  = %.7f\n", (double)fsum);
    printf("sqrt(2)  = %.17g\n", sqrt((volatile double){2.0}));
    printf("sqrtf(2) = %.9g\n", (double)sqrtf((volatile float){2.0f}));
    check("sqrt(2) bits", bits_d(sqrt((volatile double){2.0})), 0x3ff6a09e667f3bcdull);
    check("sqrt(2^-1030), a subnormal", bits_d(sqrt((volatile double){0x1p-1030})),
          bits_d(0x1p-515));
    printf("exp(1) = %.17g, log(10) = %.17g\n", exp((volatile double){1.0}),
           log((volatile double){10.0}));
    printf("sin(1) = %.17g, cos(1) = %.17g, atan2(1,2) = %.17g\n", sin((volatile double){1.0}),
           cos((volatile double){1.0}), atan2((volatile double){1.0}, 2.0));
    printf("pow(2.5, 3.7) = %.17g, fmod(10, 3.3) = %.17g\n", pow((volatile double){2.5}, 3.7),
           fmod((volatile double){10.0}, 3.3));
    printf("floor/ceil/round/trunc(-2.5) = %g %g %g %g\n", floor((volatile double){-2.5}),
           ceil((volatile double){-2.5}), round((volatile double){-2.5}),
           trunc((volatile double){-2.5}));
    printf("rint(2.5) = %g, nearbyint(3.5) = %g, lrint(-4.5) = %ld\n",
           rint((volatile double){2.5}), nearbyint((volatile double){3.5}),
           lrint((volatile double){-4.5}));
    float x = 1.0f;
    for (int i = 0; i < 30; i++)
        x = x * 1.7f - 0.3f / x;
    printf("float recurrence = %.9g\n", (double)x);
    long double q = 1.0L / 3.0L; // 128-bit long double: soft-float in libgcc
    printf("long double 1/3 = %.30Lf\n", q);
}

int main(void)
{
    conversions();
    arithmetic_flags();
    nans_and_signs();
    nan_boxing();
    ordinary_arithmetic();
    printf("float: %d failure(s)\n", failures);
    return failures;
}
