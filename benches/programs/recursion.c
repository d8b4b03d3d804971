// Small recursive functions: naive Fibonacci and the Ackermann function. Nearly
// every instruction is part of a call or a return, so this measures how cheaply an
// emulator follows calls and, above all, returns (indirect jumps to the address
// in ra).
#include "bench.h"

#define DEFAULT_REPS 44

// noinline and the volatile sink stop gcc from turning the recursion into loops
// or partially evaluating it at compile time for small constant arguments.
static __attribute__((noinline)) uint64_t fib(uint32_t n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

static __attribute__((noinline)) uint64_t ack(uint64_t m, uint64_t n)
{
    if (m == 0)
        return n + 1;
    if (n == 0)
        return ack(m - 1, 1);
    return ack(m - 1, ack(m, n - 1));
}

static volatile uint32_t sink_n;

int main(int argc, char **argv)
{
    uint64_t scale = bench_scale(argc, argv);
    uint64_t reps = bench_reps(DEFAULT_REPS, scale);

    // Known values: F(25) = 75025, F(30) = 832040; A(2, 3) = 2*3 + 3 = 9,
    // A(3, n) = 2^(n+3) - 3, so A(3, 3) = 61 and A(3, 6) = 509.
    sink_n = 25;
    bench_expect("fib(25)", fib(sink_n), 75025);
    bench_expect("ack(2,3)", ack(2, 3), 9);
    bench_expect("ack(3,3)", ack(3, 3), 61);

    uint64_t check = 0;
    for (uint64_t r = 0; r < reps; r++) {
        sink_n = 30;
        uint64_t f = fib(sink_n);
        if (r == 0)
            bench_expect("fib(30)", f, 832040);
        sink_n = 6 + (uint32_t)(r % 2);
        uint64_t a = ack(3, sink_n);
        // A(3, 6) = 509, A(3, 7) = 1021.
        bench_expect("ack(3,n)", a, (1ull << (sink_n + 3)) - 3);
        check = bench_mix(check, f);
        check = bench_mix(check, a);
    }
    return bench_finish("recursion", scale, check);
}
