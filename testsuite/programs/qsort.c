// qsort and bsearch with callbacks: integers from an LCG (ascending and descending
// comparators), records sorted by a string key then a numeric key, and lookups of
// present and absent keys. Indirect calls from libc back into the program are the
// interesting part for a translator.
// Exit status: the number of failed checks.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 3000

static int failures;
static unsigned long compares;

static void check(const char *what, int ok)
{
    if (!ok) {
        printf("FAIL %s\n", what);
        failures++;
    }
}

static uint32_t lcg_state = 2463534242u;
static uint32_t lcg(void)
{
    lcg_state = lcg_state * 1664525u + 1013904223u;
    return lcg_state;
}

static int cmp_int_up(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    compares++;
    return (x > y) - (x < y);
}

static int cmp_int_down(const void *a, const void *b)
{
    return cmp_int_up(b, a);
}

struct record {
    char name[12];
    int weight;
    int original_index;
};

static int cmp_record(const void *a, const void *b)
{
    const struct record *x = a, *y = b;
    compares++;
    int c = strcmp(x->name, y->name);
    if (c != 0)
        return c;
    if (x->weight != y->weight)
        return x->weight < y->weight ? -1 : 1;
    return x->original_index - y->original_index;
}

static int values[N];
static struct record records[N];

int main(void)
{
    long long sum_before = 0, sum_after = 0;
    for (int i = 0; i < N; i++) {
        values[i] = (int)(lcg() % 100000) - 50000;
        sum_before += values[i];
    }
    qsort(values, N, sizeof values[0], cmp_int_up);
    for (int i = 0; i < N; i++)
        sum_after += values[i];
    int sorted = 1;
    for (int i = 1; i < N; i++)
        sorted &= values[i - 1] <= values[i];
    check("ascending order", sorted);
    check("same multiset sum", sum_before == sum_after);
    printf("ints: min %d, median %d, max %d, sum %lld\n", values[0], values[N / 2],
           values[N - 1], sum_after);

    // bsearch for every element, and for values known to be absent.
    int found = 0, absent_found = 0;
    for (int i = 0; i < N; i += 7) {
        int *hit = bsearch(&values[i], values, N, sizeof values[0], cmp_int_up);
        found += hit != NULL && *hit == values[i];
    }
    int below = values[0] - 1, above = values[N - 1] + 1;
    absent_found += bsearch(&below, values, N, sizeof values[0], cmp_int_up) != NULL;
    absent_found += bsearch(&above, values, N, sizeof values[0], cmp_int_up) != NULL;
    printf("bsearch: %d of %d found, %d absent found\n", found, (N + 6) / 7, absent_found);
    check("bsearch present", found == (N + 6) / 7);
    check("bsearch absent", absent_found == 0);

    qsort(values, N, sizeof values[0], cmp_int_down);
    sorted = 1;
    for (int i = 1; i < N; i++)
        sorted &= values[i - 1] >= values[i];
    check("descending order", sorted);

    static const char *syllables[] = {"ka", "lo", "mi", "ne", "ru", "so", "ta", "vi"};
    for (int i = 0; i < N; i++) {
        uint32_t r = lcg();
        snprintf(records[i].name, sizeof records[i].name, "%s%s%s", syllables[r % 8],
                 syllables[(r >> 3) % 8], syllables[(r >> 6) % 8]);
        records[i].weight = (int)((r >> 9) % 50);
        records[i].original_index = i;
    }
    qsort(records, N, sizeof records[0], cmp_record);
    sorted = 1;
    for (int i = 1; i < N; i++)
        sorted &= cmp_record(&records[i - 1], &records[i]) < 0;
    check("records order", sorted);
    printf("records: first %s/%d, last %s/%d\n", records[0].name, records[0].weight,
           records[N - 1].name, records[N - 1].weight);
    struct record key = records[N / 3];
    struct record *hit = bsearch(&key, records, N, sizeof records[0], cmp_record);
    check("record bsearch", hit != NULL && hit->original_index == key.original_index);
    uint32_t h = 0;
    for (int i = 0; i < N; i++)
        h = h * 33 + (uint32_t)records[i].original_index;
    printf("record permutation hash 0x%08x\n", h);
    printf("comparator calls %lu\n", compares);
    printf("qsort: %d failure(s)\n", failures);
    return failures;
}
