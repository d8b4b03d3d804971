// Classic integer kernels: CRC-32 (table-driven and bitwise), a sieve of
// Eratosthenes, FNV-1a and a multiplicative string hash, over deterministic data.
// Checked against published values: CRC-32 of "123456789" is 0xcbf43926 (the check
// value of the IEEE 802.3 CRC), there are 78498 primes below 10^6 and 9592 below 10^5,
// FNV-1a/32 of "" is the offset basis 0x811c9dc5 and of "a" is 0xe40c292c; the
// hashes of the generated buffer were computed independently with Python.
// Exit status: the number of failed checks.
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int failures;

static void check(const char *what, uint64_t got, uint64_t want)
{
    printf("%-32s 0x%08llx (%llu)%s\n", what, (unsigned long long)got, (unsigned long long)got,
           got == want ? "" : "   FAIL");
    if (got != want)
        failures++;
}

static uint32_t crc_table[256];

static void crc_init(void)
{
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[n] = c;
    }
}

static uint32_t crc32_table(const unsigned char *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++)
        c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

static uint32_t crc32_bitwise(const unsigned char *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
    }
    return ~c;
}

static uint32_t fnv1a32(const unsigned char *p, size_t n)
{
    uint32_t h = 0x811c9dc5u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x01000193u;
    return h;
}

static unsigned count_primes(uint8_t *composite, unsigned limit)
{
    memset(composite, 0, limit);
    unsigned count = 0;
    for (unsigned i = 2; i < limit; i++) {
        if (composite[i])
            continue;
        count++;
        for (unsigned long j = (unsigned long)i * i; j < limit; j += i)
            composite[j] = 1;
    }
    return count;
}

static uint8_t sieve[1000000];
static unsigned char data[65536];

int main(void)
{
    crc_init();
    const unsigned char *digits = (const unsigned char *)"123456789";
    check("crc32(\"123456789\") table", crc32_table(digits, 9), 0xcbf43926u);
    check("crc32(\"123456789\") bitwise", crc32_bitwise(digits, 9), 0xcbf43926u);
    check("crc32(\"\")", crc32_table(digits, 0), 0);
    check("fnv1a32(\"\")", fnv1a32(digits, 0), 0x811c9dc5u);
    check("fnv1a32(\"a\")", fnv1a32((const unsigned char *)"a", 1), 0xe40c292cu);

    // Data from a 32-bit LCG (Numerical Recipes constants), top byte of each step.
    uint32_t x = 1;
    for (size_t i = 0; i < sizeof data; i++) {
        x = x * 1664525u + 1013904223u;
        data[i] = (unsigned char)(x >> 24);
    }
    uint32_t crc = crc32_table(data, sizeof data);
    check("crc32 data: table == bitwise", crc32_bitwise(data, sizeof data), crc);
    // Reference values from Python: zlib.crc32(data) and the same FNV-1a loop.
    check("crc32 of 64 KiB LCG data", crc, 0x52c975fau);
    check("fnv1a32 of 64 KiB LCG data", fnv1a32(data, sizeof data), 0x72a8a7c2u);

    check("primes below 100000", count_primes(sieve, 100000), 9592);
    check("primes below 1000000", count_primes(sieve, 1000000), 78498);
    unsigned long sum = 0;
    unsigned last = 0;
    for (unsigned i = 2; i < 1000000; i++)
        if (!sieve[i]) {
            sum += i;
            last = i;
        }
    // Sum of primes below 10^6 (OEIS A046731: 37550402023).
    check("sum of primes below 1000000", sum, 37550402023ul);
    check("largest prime below 1000000", last, 999983);

    uint64_t h = 5381;
    for (size_t i = 0; i < sizeof data; i++)
        h = h * 33 + data[i];
    check("djb2-64 of data (Python)", h, 0xa0126f3fefe92a52ull);
    printf("crc_sieve: %d failure(s)\n", failures);
    return failures;
}
