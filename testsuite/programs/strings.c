// glibc's string and memory routines over many sizes and alignments: memcpy,
// memmove (both overlap directions), memset, memcmp, strlen, strcmp, strncmp, strchr,
// strrchr, strstr, strtol/strtoul (bases, signs, overflow to ERANGE) and snprintf
// truncation. Each result is checked against a byte-at-a-time reference written here;
// the optimised libc versions use word loads at odd alignments, which is the point.
// Exit status: the number of failed checks.
// build: -O2 -static -fno-tree-loop-distribute-patterns
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUF 640

static int failures;
static unsigned char src[BUF] __attribute__((aligned(8)));
static unsigned char dst[BUF] __attribute__((aligned(8)));
static unsigned char ref[BUF] __attribute__((aligned(8)));

static void fail(const char *what, int a, int b, int c)
{
    if (failures < 20)
        printf("FAIL %s (%d, %d, %d)\n", what, a, b, c);
    failures++;
}

// References read and write through volatile so GCC does not turn them back into
// calls to the very functions under test.
static void ref_copy(volatile unsigned char *d, const volatile unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        d[i] = s[i];
}

static void ref_move(volatile unsigned char *base, size_t to, size_t from, size_t n)
{
    unsigned char tmp[BUF];
    for (size_t i = 0; i < n; i++)
        tmp[i] = base[from + i];
    for (size_t i = 0; i < n; i++)
        base[to + i] = tmp[i];
}

static size_t ref_strlen(const volatile char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

static int sign(int v)
{
    return (v > 0) - (v < 0);
}

static uint32_t seed = 12345;
static unsigned char next_byte(void)
{
    seed = seed * 1103515245u + 12345u;
    return (unsigned char)(seed >> 16);
}

// Random source bytes are made once; buffers are reset before each case with a word
// loop (kept a loop by -fno-tree-loop-distribute-patterns): cheap, and independent of
// the functions under test.
static unsigned char initial[BUF] __attribute__((aligned(8)));

static void make_data(void)
{
    for (int i = 0; i < BUF; i++) {
        src[i] = next_byte();
        initial[i] = (unsigned char)(i * 7);
    }
}

static void copy_words(unsigned char *to, const unsigned char *from)
{
    uint64_t *d = (uint64_t *)to;
    const uint64_t *s = (const uint64_t *)from;
    for (int i = 0; i < BUF / 8; i++)
        d[i] = s[i];
}

static void fill(void)
{
    copy_words(dst, initial);
    copy_words(ref, initial);
}

static void test_mem(void)
{
    static const size_t sizes[] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33,
                                   63, 64, 65, 100, 127, 128, 129, 255, 256, 257, 500};
    int checked = 0;
    for (unsigned si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        size_t n = sizes[si];
        for (int da = 0; da < 8; da++) {
            for (int sa = 0; sa < 8; sa++) {
                fill();
                memcpy(dst + da, src + sa, n);
                ref_copy(ref + da, src + sa, n);
                if (memcmp(dst, ref, BUF) != 0)
                    fail("memcpy", (int)n, da, sa);

                // Overlapping forward and backward moves inside one buffer.
                size_t from = 64 + (size_t)sa, to = 64 + (size_t)da + (si & 1 ? 9 : 0);
                copy_words(dst, src);
                copy_words(ref, src);
                memmove(dst + to, dst + from, n);
                ref_move(ref, to, from, n);
                if (memcmp(dst, ref, BUF) != 0)
                    fail("memmove", (int)n, (int)to, (int)from);
                memmove(dst + from, dst + to, n);
                ref_move(ref, from, to, n);
                if (memcmp(dst, ref, BUF) != 0)
                    fail("memmove back", (int)n, (int)from, (int)to);
                checked++;
            }
            fill();
            memset(dst + da, 0xc3 ^ (int)n, n);
            for (size_t i = 0; i < n; i++)
                ((volatile unsigned char *)ref)[da + i] = (unsigned char)(0xc3 ^ n);
            if (memcmp(dst, ref, BUF) != 0)
                fail("memset", (int)n, da, 0);
            // memcmp: equal, then differing in the last byte in both directions.
            copy_words(dst, src);
            if (n > 0) {
                if (memcmp(dst + da, src + da, n) != 0)
                    fail("memcmp equal", (int)n, da, 0);
                dst[da + n - 1] = (unsigned char)(src[da + n - 1] + 1);
                int want = src[da + n - 1] == 0xff ? 1 : -1;
                if (sign(memcmp(src + da, dst + da, n)) != want)
                    fail("memcmp order", (int)n, da, 0);
            }
        }
    }
    printf("memory functions: %d size/alignment combinations\n", checked);
}

static void test_str(void)
{
    static char a[BUF], b[BUF];
    int checked = 0;
    for (int align = 0; align < 16; align++) {
        for (int len = 0; len < 300; len += (len < 40 ? 1 : 13)) {
            char *s = a + align;
            for (int i = 0; i < len; i++)
                s[i] = (char)('a' + (i * 7 + align) % 26);
            s[len] = 0;
            if (strlen(s) != ref_strlen(s) || strlen(s) != (size_t)len)
                fail("strlen", len, align, 0);
            char *t = b + (15 - align);
            strcpy(t, s);
            if (strcmp(s, t) != 0 || strncmp(s, t, (size_t)len + 5) != 0)
                fail("strcmp equal", len, align, 0);
            if (len > 0) {
                t[len / 2] = (char)(t[len / 2] + 1);
                if (strcmp(s, t) >= 0 || strcmp(t, s) <= 0)
                    fail("strcmp order", len, align, 0);
                if (strncmp(s, t, (size_t)(len / 2)) != 0)
                    fail("strncmp prefix", len, align, 0);
                // A byte above 0x7f must compare as unsigned char.
                t[len / 2] = (char)0xe9;
                if (strcmp(s, t) >= 0)
                    fail("strcmp unsigned", len, align, 0);
                // strchr / strrchr for the first and last occurrence of the last char.
                char c = s[len - 1];
                char *first = strchr(s, c), *last = strrchr(s, c);
                int want_first = -1, want_last = -1;
                for (int i = 0; i < len; i++)
                    if (s[i] == c) {
                        if (want_first < 0)
                            want_first = i;
                        want_last = i;
                    }
                if (!first || first - s != want_first || !last || last - s != want_last)
                    fail("strchr/strrchr", len, align, 0);
            }
            if (strchr(s, '#') != NULL || strchr(s, 0) != s + len)
                fail("strchr missing/nul", len, align, 0);
            checked++;
        }
    }
    printf("string functions: %d length/alignment combinations\n", checked);

    const char *hay = "the quick brown fox jumps over the lazy dog; the end";
    static const struct {
        const char *needle;
        int at;
    } finds[] = {{"the", 0}, {"fox", 16}, {"lazy dog", 35}, {"end", 49}, {"", 0},
                 {"cat", -1}, {"the end", 45}, {"dog;", 40}, {"endx", -1}};
    for (unsigned i = 0; i < sizeof finds / sizeof finds[0]; i++) {
        const char *p = strstr(hay, finds[i].needle);
        int at = p ? (int)(p - hay) : -1;
        printf("strstr(\"%s\") = %d\n", finds[i].needle, at);
        if (at != finds[i].at)
            fail("strstr", (int)i, at, finds[i].at);
    }
    // A long needle with a near-miss prefix exercises the two-way algorithm.
    static char big[4096], needle[200];
    memset(big, 'a', sizeof big - 1);
    memset(needle, 'a', sizeof needle - 1);
    needle[sizeof needle - 2] = 'b';
    big[3000] = 'b';
    char *p = strstr(big, needle);
    printf("strstr long = %d\n", p ? (int)(p - big) : -1);
    if (!p || p - big != 3000 - 198)
        fail("strstr long", 0, 0, 0);
}

static void test_strtol(void)
{
    static const struct {
        const char *text;
        int base;
        long value;
        int end;
        int erange;
    } cases[] = {
        {"0", 10, 0, 1, 0},
        {"  -42xyz", 10, -42, 5, 0},
        {"+17", 10, 17, 3, 0},
        {"0x1F", 16, 31, 4, 0},
        {"0x1F", 0, 31, 4, 0},
        {"0777", 0, 511, 4, 0},
        {"z", 36, 35, 1, 0},
        {"101010", 2, 42, 6, 0},
        {"9223372036854775807", 10, LONG_MAX, 19, 0},
        {"9223372036854775808", 10, LONG_MAX, 19, 1},
        {"-9223372036854775808", 10, LONG_MIN, 20, 0},
        {"-9223372036854775809", 10, LONG_MIN, 20, 1},
        {"junk", 10, 0, 0, 0},
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *end;
        errno = 0;
        long v = strtol(cases[i].text, &end, cases[i].base);
        int erange = errno == ERANGE;
        printf("strtol(\"%s\", %d) = %ld end=%d erange=%d\n", cases[i].text, cases[i].base, v,
               (int)(end - cases[i].text), erange);
        if (v != cases[i].value || end - cases[i].text != cases[i].end ||
            erange != cases[i].erange)
            fail("strtol", (int)i, 0, 0);
    }
    errno = 0;
    unsigned long u = strtoul("18446744073709551615", NULL, 10);
    printf("strtoul max = %lu errno=%d\n", u, errno);
    if (u != ULONG_MAX || errno != 0)
        fail("strtoul", 0, 0, 0);
    long long ll = strtoll("-0x8000000000000000", NULL, 16);
    printf("strtoll = %lld\n", ll);
    if (ll != LLONG_MIN)
        fail("strtoll", 0, 0, 0);
}

// The truncation below is the behaviour under test.
#pragma GCC diagnostic ignored "-Wformat-truncation"
static void test_snprintf(void)
{
    char buf[16];
    // snprintf returns the length it would have written, and always terminates.
    int n = snprintf(buf, sizeof buf, "%s-%d", "abcdefghijklmnop", 12345);
    printf("snprintf truncated: ret=%d buf=\"%s\"\n", n, buf);
    if (n != 22 || strcmp(buf, "abcdefghijklmno") != 0)
        fail("snprintf truncate", n, 0, 0);
    n = snprintf(NULL, 0, "%08.3f", 3.14159);
    printf("snprintf(NULL, 0) = %d\n", n);
    if (n != 8)
        fail("snprintf null", n, 0, 0);
    n = snprintf(buf, 1, "xyz");
    if (n != 3 || buf[0] != 0)
        fail("snprintf size 1", n, 0, 0);
    // Build a long string piece by piece and checksum it.
    static char big[8192];
    size_t off = 0;
    for (int i = 0; i < 400 && off < sizeof big; i++)
        off += (size_t)snprintf(big + off, sizeof big - off, "%d:%x,", i * i, i * 977);
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < off; i++)
        h = (h ^ (unsigned char)big[i]) * 16777619u;
    printf("snprintf chain: %zu bytes, fnv1a 0x%08x, tail \"%s\"\n", off, h, big + off - 16);
}

int main(void)
{
    make_data();
    test_mem();
    test_str();
    test_strtol();
    test_snprintf();
    printf("strings: %d failure(s)\n", failures);
    return failures;
}
