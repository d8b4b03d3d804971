// Integer loops over arrays: a sum, an in-place prefix sum, an element-wise
// transform and a min/max scan over 64 Ki 32-bit words, repeated. Straight-line
// loop bodies with loads and stores: what an emulator's inner loop and guest
// memory fast path cost.
#include "bench.h"

#define N (64 * 1024)
#define DEFAULT_REPS 2600

static uint32_t a[N], b[N];

int main(int argc, char **argv)
{
    uint64_t scale = bench_scale(argc, argv);
    uint64_t reps = bench_reps(DEFAULT_REPS, scale);

    // Arithmetic self-check: 0 + 1 + ... + (N-1) = N(N-1)/2, and the prefix sum
    // of all ones ends at N.
    uint64_t gauss = 0;
    for (uint32_t i = 0; i < N; i++) {
        a[i] = i;
        b[i] = 1;
    }
    for (uint32_t i = 0; i < N; i++)
        gauss += a[i];
    bench_expect("sum 0..N-1", gauss, (uint64_t)N * (N - 1) / 2);
    for (uint32_t i = 1; i < N; i++)
        b[i] += b[i - 1];
    bench_expect("prefix sum of ones", b[N - 1], N);

    uint32_t seed = 12345;
    for (uint32_t i = 0; i < N; i++)
        a[i] = bench_lcg(&seed) >> 8;

    uint64_t check = 0;
    for (uint64_t r = 0; r < reps; r++) {
        // Sum (64-bit accumulator).
        uint64_t sum = 0;
        for (uint32_t i = 0; i < N; i++)
            sum += a[i];
        // Prefix sum into b (wrapping 32-bit).
        uint32_t run = 0;
        for (uint32_t i = 0; i < N; i++) {
            run += a[i];
            b[i] = run;
        }
        // Transform a from b, so the next repetition sees new data.
        for (uint32_t i = 0; i < N; i++)
            a[i] = ((a[i] * 3u) ^ (b[i] >> 5)) + (uint32_t)r;
        // Min/max scan with data-dependent branches.
        uint32_t lo = 0xffffffffu, hi = 0;
        for (uint32_t i = 0; i < N; i++) {
            if (a[i] < lo)
                lo = a[i];
            if (a[i] > hi)
                hi = a[i];
        }
        check = bench_mix(check, sum);
        check = bench_mix(check, b[N - 1]);
        check = bench_mix(check, ((uint64_t)hi << 32) | lo);
    }
    return bench_finish("array_ops", scale, check);
}
