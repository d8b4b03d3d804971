// A dense 48-case switch on data: each byte of a pseudo-random command stream
// selects one of 48 different small state updates. gcc compiles the switch to a
// bounds check and a jump table, so every command is one indirect jump to one of
// 48 targets in data-dependent order.
#include "bench.h"

#define NCMD (256 * 1024)
#define DEFAULT_REPS 140

static uint8_t cmds[NCMD];

struct state {
    uint64_t a, b, c, d;
};

// Applies one command. `noinline` keeps the switch one function, as in a real
// decoder loop, whatever the inlining heuristics think.
static __attribute__((noinline)) void step(struct state *s, uint32_t cmd, uint32_t k)
{
    switch (cmd) {
    case 0: s->a += k; break;
    case 1: s->b -= k; break;
    case 2: s->c ^= k; break;
    case 3: s->d |= k; break;
    case 4: s->a += s->b; break;
    case 5: s->b += s->c; break;
    case 6: s->c += s->d; break;
    case 7: s->d += s->a; break;
    case 8: s->a ^= s->a >> 7; break;
    case 9: s->b ^= s->b << 9; break;
    case 10: s->c = (s->c << 13) | (s->c >> 51); break;
    case 11: s->d = (s->d >> 17) | (s->d << 47); break;
    case 12: s->a *= 0x9e3779b97f4a7c15ull; break;
    case 13: s->b *= 0xff51afd7ed558ccdull; break;
    case 14: s->c = s->c * 5 + 1; break;
    case 15: s->d = s->d * 9 + k; break;
    case 16: s->a -= s->d; break;
    case 17: s->b ^= s->a; break;
    case 18: s->c -= s->b; break;
    case 19: s->d ^= s->c; break;
    case 20: s->a = ~s->a; break;
    case 21: s->b = -s->b; break;
    case 22: s->c += k << 16; break;
    case 23: s->d -= (uint64_t)k << 32; break;
    case 24: s->a = s->a < s->b ? s->a + 1 : s->a - 1; break;
    case 25: s->b = s->b > s->c ? s->b >> 1 : s->b << 1; break;
    case 26: s->c = (s->c & 0xffff) + (s->c >> 16); break;
    case 27: s->d = s->d & 1 ? s->d * 3 + 1 : s->d >> 1; break;
    case 28: s->a += (uint64_t)__builtin_popcountll(s->b); break;
    case 29: s->b += s->b & -s->b; break;
    case 30: s->c = s->c / ((k & 15) + 1); break;
    case 31: s->d = s->d % ((k & 255) + 3); break;
    case 32: s->a ^= 0x5555555555555555ull; break;
    case 33: s->b &= 0xfffffffffffffff0ull | k; break;
    case 34: s->c |= 1ull << (k & 63); break;
    case 35: s->d &= ~(1ull << (k & 63)); break;
    case 36: s->a = s->a + s->b + s->c + s->d; break;
    case 37: s->b = (s->b ^ s->c) - s->a; break;
    case 38: s->c = (uint64_t)(uint32_t)s->c * (uint32_t)s->d; break;
    case 39: s->d = (uint64_t)(int64_t)(int32_t)s->d; break;
    case 40: s->a = (s->a >> 32) | (s->a << 32); break;
    case 41: s->b += 0x0123456789abcdefull; break;
    case 42: s->c = s->c - (s->c >> 3); break;
    case 43: s->d = s->d + (s->d << 3); break;
    case 44: { uint64_t t = s->a; s->a = s->b; s->b = t; } break;
    case 45: { uint64_t t = s->c; s->c = s->d; s->d = t; } break;
    case 46: s->a = (uint64_t)((int64_t)s->a >> 3); break;
    case 47: s->b = s->b * s->b + k; break;
    default: s->c++; break; // not reached: commands are below 48
    }
}

int main(int argc, char **argv)
{
    uint64_t scale = bench_scale(argc, argv);
    uint64_t reps = bench_reps(DEFAULT_REPS, scale);

    // Arithmetic self-checks of a few commands from a known state.
    struct state t = {1, 2, 3, 4};
    step(&t, 4, 0);  // a = 1 + 2
    step(&t, 27, 0); // d = 4 is even: d = 2
    step(&t, 31, 2); // d = 2 % (2 + 3) = 2
    step(&t, 44, 0); // swap a and b: a = 2, b = 3
    bench_expect("a", t.a, 2);
    bench_expect("b", t.b, 3);
    bench_expect("d", t.d, 2);

    uint32_t seed = 7;
    for (uint32_t i = 0; i < NCMD; i++)
        cmds[i] = (uint8_t)(((bench_lcg(&seed) >> 16) * 48) >> 16);

    uint64_t check = 0;
    struct state s = {1, 2, 3, 4};
    for (uint64_t r = 0; r < reps; r++) {
        for (uint32_t i = 0; i < NCMD; i++)
            step(&s, cmds[i], i + (uint32_t)r);
        check = bench_mix(check, s.a ^ s.b);
        check = bench_mix(check, s.c ^ s.d);
    }
    return bench_finish("big_switch", scale, check);
}
