// Deep and call-heavy recursion: a 100000-deep non-tail recursion (several MiB of
// guest stack), Ackermann's function, naive Fibonacci and mutual recursion. This is
// where return-address handling and stack growth get exercised.
// Expected values are mathematical: sum 1..n = n(n+1)/2, A(2,n) = 2n+3, A(3,n) =
// 2^(n+3)-3, fib(25) = 75025.
// Exit status: the number of wrong results.
#include <stdio.h>

static int failures;

static void check(const char *what, long got, long want)
{
    printf("%-16s = %ld%s\n", what, got, got == want ? "" : "   FAIL");
    if (got != want)
        failures++;
}

// The volatile frame slot and the work after the call stop GCC from turning this
// into a loop, so the recursion really is 100000 frames deep.
static __attribute__((noinline)) long deep_sum(long n)
{
    volatile long frame[2];
    frame[0] = n;
    if (n == 0)
        return 0;
    long below = deep_sum(n - 1);
    frame[1] = below;
    return frame[0] + frame[1];
}

static __attribute__((noinline)) unsigned long ack(unsigned long m, unsigned long n)
{
    if (m == 0)
        return n + 1;
    if (n == 0)
        return ack(m - 1, 1);
    return ack(m - 1, ack(m, n - 1));
}

static __attribute__((noinline)) long fib(long n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

static int is_odd(unsigned n);

static __attribute__((noinline)) int is_even(unsigned n)
{
    volatile unsigned keep = n;
    return keep == 0 ? 1 : is_odd(keep - 1);
}

static __attribute__((noinline)) int is_odd(unsigned n)
{
    volatile unsigned keep = n;
    return keep == 0 ? 0 : is_even(keep - 1);
}

int main(void)
{
    check("deep_sum(100000)", deep_sum(100000), 100000L * 100001L / 2);
    check("ack(2,10)", (long)ack(2, 10), 2 * 10 + 3);
    check("ack(3,6)", (long)ack(3, 6), (1L << (6 + 3)) - 3);
    check("fib(25)", fib(25), 75025);
    check("is_even(30001)", is_even(30001), 0);
    check("is_odd(30001)", is_odd(30001), 1);
    printf("recursion: %d failure(s)\n", failures);
    return failures;
}
