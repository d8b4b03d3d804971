// CRC-32 (the IEEE 802.3 / zlib polynomial, reflected 0xEDB88320) with a
// 256-entry table over a 64 KiB buffer, repeated: a byte load, a table load, shifts
// and xors per byte, a long-running dependent chain.
#include <string.h>

#include "bench.h"

#define BUF (64 * 1024)
#define DEFAULT_REPS 3500

static uint32_t table[256];
static uint8_t buf[BUF];

static void make_table(void)
{
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        table[n] = c;
    }
}

static uint32_t crc32(const uint8_t *p, size_t len)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < len; i++)
        c = table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

int main(int argc, char **argv)
{
    uint64_t scale = bench_scale(argc, argv);
    uint64_t reps = bench_reps(DEFAULT_REPS, scale);
    make_table();

    // The CRC-32 "check" value from the catalogue of parametrised CRC algorithms:
    // CRC-32/ISO-HDLC of the ASCII string "123456789" is 0xCBF43926.
    bench_expect("crc32(\"123456789\")", crc32((const uint8_t *)"123456789", 9), 0xcbf43926u);
    // And of the empty string, 0 (init and final xor cancel).
    bench_expect("crc32(\"\")", crc32(buf, 0), 0);

    uint32_t seed = 1;
    for (size_t i = 0; i < BUF; i++)
        buf[i] = (uint8_t)(bench_lcg(&seed) >> 24);

    uint64_t check = 0;
    for (uint64_t r = 0; r < reps; r++) {
        // Change one byte per repetition so no repetition can be skipped.
        buf[(r * 7919) % BUF] ^= (uint8_t)(r + 1);
        check = bench_mix(check, crc32(buf, BUF));
    }
    return bench_finish("crc32", scale, check);
}
