// String hashing: FNV-1a (32 and 64 bit) and djb2 over 8192 generated strings of
// 3 to 40 bytes, and counting the FNV hashes in an open-addressing table, repeated.
// Short byte loops with a multiply per byte and an unpredictable trip count.
#include <string.h>

#include "bench.h"

#define NSTR 8192
#define POOL (NSTR * 41)
#define TABLE 16384 // a power of two, at least twice NSTR
#define DEFAULT_REPS 700

static uint8_t pool[POOL];
static uint32_t start[NSTR], len[NSTR];
static uint32_t slot_hash[TABLE], slot_count[TABLE];

static uint32_t fnv1a32(const uint8_t *p, uint32_t n)
{
    uint32_t h = 0x811c9dc5u;
    for (uint32_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x01000193u;
    }
    return h;
}

static uint64_t fnv1a64(const uint8_t *p, uint32_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (uint32_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static uint32_t djb2(const uint8_t *p, uint32_t n)
{
    uint32_t h = 5381;
    for (uint32_t i = 0; i < n; i++)
        h = h * 33 + p[i];
    return h;
}

// Counts `h` in the table; returns the probe length.
static uint32_t insert(uint32_t h)
{
    uint32_t key = h | 1; // 0 marks an empty slot
    uint32_t i = h & (TABLE - 1), probes = 1;
    while (slot_hash[i] != 0 && slot_hash[i] != key) {
        i = (i + 1) & (TABLE - 1);
        probes++;
    }
    slot_hash[i] = key;
    slot_count[i]++;
    return probes;
}

int main(int argc, char **argv)
{
    uint64_t scale = bench_scale(argc, argv);
    uint64_t reps = bench_reps(DEFAULT_REPS, scale);

    // Test vectors of the FNV reference (Fowler/Noll/Vo): the empty string hashes to
    // the offset basis, "a" to 0xe40c292c (32-bit) and 0xaf63dc4c8601ec8c (64-bit).
    // djb2 of "" is its seed 5381, and of "a" 5381 * 33 + 97 = 177670.
    const uint8_t *a = (const uint8_t *)"a";
    bench_expect("fnv1a32(\"\")", fnv1a32(a, 0), 0x811c9dc5u);
    bench_expect("fnv1a32(\"a\")", fnv1a32(a, 1), 0xe40c292cu);
    bench_expect("fnv1a64(\"a\")", fnv1a64(a, 1), 0xaf63dc4c8601ec8cull);
    bench_expect("djb2(\"a\")", djb2(a, 1), 177670);

    // Lower-case words of 3..40 letters; some repeat, so the table sees duplicates.
    uint32_t seed = 99, at = 0;
    for (uint32_t s = 0; s < NSTR; s++) {
        uint32_t n = 3 + (bench_lcg(&seed) >> 16) % 38;
        if (s > 0 && (bench_lcg(&seed) >> 24) < 16) {
            // About one in 16 strings repeats an earlier one.
            uint32_t prev = (bench_lcg(&seed) >> 8) % s;
            start[s] = start[prev];
            len[s] = len[prev];
            continue;
        }
        start[s] = at;
        len[s] = n;
        for (uint32_t i = 0; i < n; i++)
            pool[at++] = (uint8_t)('a' + (bench_lcg(&seed) >> 16) % 26);
    }

    uint64_t check = 0;
    for (uint64_t r = 0; r < reps; r++) {
        memset(slot_hash, 0, sizeof slot_hash);
        memset(slot_count, 0, sizeof slot_count);
        // Vary one byte per repetition so no repetition repeats another.
        pool[(r * 131) % at] = (uint8_t)('a' + r % 26);
        uint64_t h64 = 0, hd = 0, probes = 0;
        for (uint32_t s = 0; s < NSTR; s++) {
            const uint8_t *p = pool + start[s];
            probes += insert(fnv1a32(p, len[s]));
            h64 ^= fnv1a64(p, len[s]) + s;
            hd += djb2(p, len[s]);
        }
        uint64_t dups = 0;
        for (uint32_t i = 0; i < TABLE; i++)
            if (slot_count[i] > 1)
                dups += slot_count[i] - 1;
        check = bench_mix(check, h64);
        check = bench_mix(check, hd);
        check = bench_mix(check, (probes << 20) ^ dups);
    }
    return bench_finish("strhash", scale, check);
}
