// Heap churn: thousands of malloc/calloc/realloc/free calls with sizes from an LCG,
// from a few bytes up to blocks that glibc serves with mmap (and resizes with mremap). Every block carries a pattern derived from its slot and
// generation, checked before it is freed or resized, so a lost store, a bad brk/mmap
// or a wrong copy shows up as a failure.
// Exit status: the number of corrupted blocks found (0 on success).
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 512
#define ROUNDS 5000

struct slot {
    unsigned char *p;
    size_t size;
    uint32_t tag;
};

static struct slot slots[SLOTS];
static uint64_t lcg_state = 0x853c49e6748fea9bull;
static int failures;

static uint32_t lcg(void)
{
    lcg_state = lcg_state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(lcg_state >> 33);
}

static unsigned char pattern(uint32_t tag, size_t i)
{
    return (unsigned char)(tag * 31 + i * 7 + (i >> 8));
}

// Every byte of the first 256, then every 251st: enough to catch a misplaced page or
// a short copy without spending tens of millions of guest instructions on big blocks.
static size_t next_index(size_t i)
{
    return i < 256 ? i + 1 : i + 251;
}

static void fill(struct slot *s)
{
    for (size_t i = 0; i < s->size; i = next_index(i))
        s->p[i] = pattern(s->tag, i);
    if (s->size > 0)
        s->p[s->size - 1] = pattern(s->tag, s->size - 1);
}

static int intact(const struct slot *s, size_t n)
{
    for (size_t i = 0; i < n; i = next_index(i))
        if (s->p[i] != pattern(s->tag, i))
            return 0;
    return n == 0 || n != s->size || s->p[n - 1] == pattern(s->tag, n - 1);
}

static size_t random_size(void)
{
    uint32_t r = lcg();
    switch (r % 16) {
    case 0:
        return 0;
    case 1:
        // Above glibc's default mmap threshold (128 KiB).
        return 128 * 1024 + lcg() % (256 * 1024);
    case 2:
    case 3:
        return 1024 + lcg() % 8192;
    default:
        return 1 + lcg() % 200;
    }
}

int main(void)
{
    // A fixed threshold (which also turns off glibc's dynamic adjustment) keeps every
    // big block on mmap/mremap/munmap instead of drifting onto the brk heap, where
    // calloc and realloc would memset and copy hundreds of KiB each time.
    if (mallopt(M_MMAP_THRESHOLD, 64 * 1024) != 1) {
        printf("mallopt failed\n");
        return 100;
    }
    unsigned long mallocs = 0, callocs = 0, reallocs = 0, frees = 0;
    unsigned long long bytes = 0, checksum = 0;
    for (int round = 0; round < ROUNDS; round++) {
        struct slot *s = &slots[lcg() % SLOTS];
        if (s->p == NULL) {
            s->size = random_size();
            s->tag = lcg();
            if (lcg() % 4 == 0) {
                s->p = calloc(1, s->size);
                callocs++;
                if (s->p == NULL && s->size != 0) {
                    printf("calloc(%zu) failed\n", s->size);
                    return 100;
                }
                for (size_t i = 0; i < s->size; i = next_index(i))
                    if (s->p[i] != 0) {
                        printf("calloc(%zu) not zeroed at %zu\n", s->size, i);
                        failures++;
                        break;
                    }
            } else {
                s->p = malloc(s->size);
                mallocs++;
            }
            if (s->p == NULL) {
                // malloc(0) may legitimately return NULL; anything else is fatal.
                if (s->size != 0) {
                    printf("malloc(%zu) failed\n", s->size);
                    return 100;
                }
                s->p = malloc(1);
                s->size = 0;
            }
            fill(s);
            bytes += s->size;
        } else if (lcg() % 3 == 0) {
            // Resize: the common prefix must survive the move.
            size_t new_size = random_size() + 1;
            size_t keep = s->size < new_size ? s->size : new_size;
            if (!intact(s, s->size)) {
                printf("block of %zu bytes corrupted before realloc\n", s->size);
                failures++;
            }
            unsigned char *q = realloc(s->p, new_size);
            reallocs++;
            if (q == NULL) {
                printf("realloc(%zu) failed\n", new_size);
                return 100;
            }
            s->p = q;
            if (!intact(s, keep)) {
                printf("realloc %zu -> %zu lost data\n", s->size, new_size);
                failures++;
            }
            s->size = new_size;
            fill(s);
            bytes += new_size;
        } else {
            if (!intact(s, s->size)) {
                printf("block of %zu bytes corrupted before free\n", s->size);
                failures++;
            }
            for (size_t i = 0; i < s->size; i = next_index(i))
                checksum = checksum * 131 + s->p[i];
            free(s->p);
            frees++;
            s->p = NULL;
        }
    }
    size_t live = 0;
    for (int i = 0; i < SLOTS; i++) {
        if (slots[i].p != NULL) {
            if (!intact(&slots[i], slots[i].size))
                failures++;
            live += slots[i].size;
            free(slots[i].p);
        }
    }
    printf("malloc %lu, calloc %lu, realloc %lu, free %lu\n", mallocs, callocs, reallocs, frees);
    printf("bytes requested %llu, live at end %zu\n", bytes, live);
    printf("checksum 0x%016llx\n", checksum);
    printf("malloc: %d failure(s)\n", failures);
    return failures;
}
