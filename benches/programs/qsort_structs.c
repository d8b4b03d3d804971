// Sorting 20000 16-byte records with the C library's qsort and a comparison
// callback, repeated with fresh keys: an indirect call per comparison, plus the
// library's own loops and memory moves.
#include "bench.h"

#define N 20000
#define DEFAULT_REPS 100

struct record {
    uint32_t key;
    uint32_t id;
    uint8_t tag[8];
};

static struct record recs[N];

// Orders by key, then id. Ids are unique, so the order is total and the result
// does not depend on which sorting algorithm the C library uses.
static int by_key_then_id(const void *pa, const void *pb)
{
    const struct record *a = pa, *b = pb;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    if (a->id != b->id)
        return a->id < b->id ? -1 : 1;
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t scale = bench_scale(argc, argv);
    uint64_t reps = bench_reps(DEFAULT_REPS, scale);

    uint64_t check = 0;
    for (uint64_t r = 0; r < reps; r++) {
        uint32_t seed = (uint32_t)r * 2654435761u + 7;
        for (uint32_t i = 0; i < N; i++) {
            // 16-bit keys: many duplicates, so the id tie-break matters.
            recs[i].key = bench_lcg(&seed) >> 16;
            recs[i].id = i;
            for (int k = 0; k < 8; k++)
                recs[i].tag[k] = (uint8_t)(i >> k);
        }
        qsort(recs, N, sizeof recs[0], by_key_then_id);

        uint64_t unordered = 0, ids = 0, pos = 0;
        for (uint32_t i = 0; i < N; i++) {
            if (i > 0 && by_key_then_id(&recs[i - 1], &recs[i]) >= 0)
                unordered++;
            ids += recs[i].id;
            pos += (uint64_t)recs[i].id * (i + 1) + recs[i].tag[1];
        }
        // A sorted permutation of 0..N-1: no pair out of order, ids sum to N(N-1)/2.
        bench_expect("records out of order", unordered, 0);
        bench_expect("sum of ids", ids, (uint64_t)N * (N - 1) / 2);
        check = bench_mix(check, pos);
        check = bench_mix(check, ((uint64_t)recs[0].key << 32) | recs[N - 1].key);
    }
    return bench_finish("qsort_structs", scale, check);
}
