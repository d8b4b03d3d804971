// Sieve of Eratosthenes below one million, repeated: byte stores with a stride,
// then a counting scan. Also sums the primes.
#include <string.h>

#include "bench.h"

#define LIMIT 1000000
#define DEFAULT_REPS 220

static uint8_t composite[LIMIT];

int main(int argc, char **argv)
{
    uint64_t scale = bench_scale(argc, argv);
    uint64_t reps = bench_reps(DEFAULT_REPS, scale);

    uint64_t check = 0;
    for (uint64_t r = 0; r < reps; r++) {
        // Each repetition sieves below a slightly different bound so that
        // repetitions differ; the first one uses exactly LIMIT.
        uint32_t limit = LIMIT - (uint32_t)(r % 64) * 1000;
        memset(composite, 0, limit);
        for (uint32_t i = 2; (uint64_t)i * i < limit; i++) {
            if (!composite[i]) {
                for (uint32_t j = i * i; j < limit; j += i)
                    composite[j] = 1;
            }
        }
        uint64_t count = 0, sum = 0;
        for (uint32_t i = 2; i < limit; i++) {
            if (!composite[i]) {
                count++;
                sum += i;
            }
        }
        if (r == 0) {
            // Published values: pi(10^6) = 78498 primes below one million,
            // and their sum is 37550402023.
            bench_expect("primes below 10^6", count, 78498);
            bench_expect("sum of primes below 10^6", sum, 37550402023ull);
        }
        check = bench_mix(check, count);
        check = bench_mix(check, sum);
    }
    return bench_finish("sieve", scale, check);
}
