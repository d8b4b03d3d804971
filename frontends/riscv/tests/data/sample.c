/* A mix of code for the disassembler's differential test: integer and
 * floating-point arithmetic, conversions, atomics, switches, calls. */
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <math.h>

long mix(long a, long b, unsigned long c) {
    long r = a * b + (a / (b | 1)) - (long)(c % 7u);
    r ^= (long)(c >> 3) | (a << 5);
    r += (int)a * (int)b;
    r -= (long)((unsigned)c / 3u);
    return r > 100 ? r : -r;
}

__int128 wide(long a, long b) { return (__int128)a * b; }
unsigned __int128 uwide(unsigned long a, unsigned long b) { return (unsigned __int128)a * b; }

int words(int a, int b) { return (a << (b & 31)) + (a >> 3) + (int)((unsigned)a >> 7) + a % b; }

double poly(double x, const double *k, int n) {
    double s = 0;
    for (int i = 0; i < n; i++) s = s * x + k[i];
    return s;
}

float fmix(float a, float b, float c) {
    return fmaf(a, b, c) + sqrtf(fabsf(a)) - fminf(a, b) * fmaxf(b, c) / (c + 1.0f);
}

double dmix(double a, double b, double c) {
    return fma(a, b, -c) - sqrt(fabs(a)) + fmin(a, b) - copysign(b, c) / (a - 3.0);
}

long conv(double d, float f, long l, unsigned long u) {
    long r = (long)d + (long)f + (unsigned long)d + (int)f + (unsigned)d;
    double x = (double)l + (double)u + (double)(int)l + (double)(unsigned)u + (double)f;
    float y = (float)l + (float)u + (float)d;
    return r + (long)x + (long)y + (d < f) + (d <= x) + (f == y) + isnan(d) + isinf(y);
}

int classify(double d) { return __builtin_fpclassify(0, 1, 2, 3, 4, d); }

static _Atomic long counter;
static _Atomic int small;

long atomics(long v) {
    long a = atomic_fetch_add(&counter, v);
    a += atomic_fetch_and(&counter, v);
    a += atomic_fetch_or_explicit(&counter, v, memory_order_relaxed);
    a += atomic_fetch_xor_explicit(&counter, v, memory_order_acquire);
    a += atomic_exchange_explicit(&counter, v, memory_order_release);
    long expected = 5;
    a += atomic_compare_exchange_strong(&counter, &expected, v);
    int e2 = 3;
    a += atomic_compare_exchange_weak(&small, &e2, (int)v);
    a += atomic_fetch_sub(&small, 1);
    atomic_thread_fence(memory_order_seq_cst);
    return a + atomic_load(&small);
}

int sw(int x) {
    switch (x) {
    case 0: return 11;
    case 1: return 23;
    case 2: return 37;
    case 3: return 41;
    case 4: return 59;
    case 5: return 61;
    case 6: return 79;
    default: return -1;
    }
}

extern long ext(long, double);

long calls(long a, double d, char *buf, const char *src, unsigned n) {
    memcpy(buf, src, n);
    unsigned char c = (unsigned char)buf[3];
    short s = *(short *)(buf + 5);
    unsigned short us = *(unsigned short *)(buf + 7);
    return ext(a + c + s + us, d * 2.5) + ext(a, d);
}

void stores(int8_t *p, int16_t *q, int32_t *r, int64_t *s, float *f, double *d, long v) {
    p[1] = (int8_t)v; q[2] = (int16_t)v; r[3] = (int32_t)v; s[4] = v;
    f[5] = (float)v; d[6] = (double)v;
}

unsigned long bits(unsigned long x, unsigned int y) {
    return (x >> 17) | (x << 47) | ((unsigned long)y << 32) | (x & 0xfff0000ffUL) | 0x123456789abcUL;
}

long big_loop(long *a, long n) {
    long s = 0;
    for (long i = 0; i < n; i++) {
        if (a[i] < 0) s -= a[i];
        else if (a[i] > 1000) s += a[i] / 3;
        else s += a[i] * 7;
    }
    return s;
}
