// A small stack-machine bytecode interpreter, shared by bytecode_switch.c
// (dispatch through a `switch`, which gcc turns into a bounds check and a jump
// table) and bytecode_goto.c (GNU C computed goto, `goto *table[op]`, one indirect
// jump at the end of every handler). Define DISPATCH_GOTO to 0 or 1 before
// including. Each VM instruction costs one indirect branch: the case an emulator
// can only serve from a jump cache or an indirect-target predictor.
//
// The programs run on the VM are assembled by the C code below (with labels), and
// each one's result is checked against the same computation written in C.
#ifndef POLYVM_BYTECODE_VM_H
#define POLYVM_BYTECODE_VM_H

#include "bench.h"

enum {
    OP_HALT,
    OP_PUSH,  // arg: value
    OP_LOAD,  // arg: variable
    OP_STORE, // arg: variable
    OP_ADDTO, // arg: variable; var += pop
    OP_INC,   // arg: variable
    OP_ADD,
    OP_SUB,
    OP_MUL,
    OP_MOD,
    OP_AND,
    OP_XOR,
    OP_SHL,
    OP_SHR,
    OP_DUP,
    OP_LT,
    OP_EQ,
    OP_JMP, // arg: target
    OP_JZ,  // arg: target; jumps if pop == 0
    OP_JNZ, // arg: target
    OP_COUNT
};

#define CODE_MAX 256
#define NVARS 8
#define STACK_MAX 16

struct code {
    int64_t w[CODE_MAX];
    int n;
};

static void emit(struct code *c, int64_t w)
{
    if (c->n >= CODE_MAX) {
        fprintf(stderr, "bytecode program too long\n");
        exit(4);
    }
    c->w[c->n++] = w;
}

static void emit1(struct code *c, int op, int64_t arg)
{
    emit(c, op);
    emit(c, arg);
}

// A forward jump: returns the word to patch with `patch`.
static int jump_fwd(struct code *c, int op)
{
    emit1(c, op, -1);
    return c->n - 1;
}

static void patch(struct code *c, int at)
{
    c->w[at] = c->n;
}

// Runs `code` with the variables `v`; the VM has no error paths because the
// programs are our own and well formed.
static void vm_run(const int64_t *code, int64_t *v)
{
    int64_t stack[STACK_MAX];
    int sp = 0;
    int64_t pc = 0;
    int64_t a, b;

#if DISPATCH_GOTO
    static const void *const table[OP_COUNT] = {
        [OP_HALT] = &&L_OP_HALT, [OP_PUSH] = &&L_OP_PUSH, [OP_LOAD] = &&L_OP_LOAD,
        [OP_STORE] = &&L_OP_STORE, [OP_ADDTO] = &&L_OP_ADDTO, [OP_INC] = &&L_OP_INC,
        [OP_ADD] = &&L_OP_ADD, [OP_SUB] = &&L_OP_SUB, [OP_MUL] = &&L_OP_MUL,
        [OP_MOD] = &&L_OP_MOD, [OP_AND] = &&L_OP_AND, [OP_XOR] = &&L_OP_XOR,
        [OP_SHL] = &&L_OP_SHL, [OP_SHR] = &&L_OP_SHR, [OP_DUP] = &&L_OP_DUP,
        [OP_LT] = &&L_OP_LT, [OP_EQ] = &&L_OP_EQ, [OP_JMP] = &&L_OP_JMP,
        [OP_JZ] = &&L_OP_JZ, [OP_JNZ] = &&L_OP_JNZ,
    };
#define CASE(op) L_##op:
#define NEXT goto *table[code[pc++]]
    NEXT;
#else
#define CASE(op) case op:
#define NEXT continue
    for (;;) {
        switch (code[pc++]) {
#endif
    CASE(OP_HALT) return;
    CASE(OP_PUSH) stack[sp++] = code[pc++];
    NEXT;
    CASE(OP_LOAD) stack[sp++] = v[code[pc++]];
    NEXT;
    CASE(OP_STORE) v[code[pc++]] = stack[--sp];
    NEXT;
    CASE(OP_ADDTO) v[code[pc++]] += stack[--sp];
    NEXT;
    CASE(OP_INC) v[code[pc++]]++;
    NEXT;
    CASE(OP_ADD) b = stack[--sp];
    stack[sp - 1] += b;
    NEXT;
    CASE(OP_SUB) b = stack[--sp];
    stack[sp - 1] -= b;
    NEXT;
    CASE(OP_MUL) b = stack[--sp];
    stack[sp - 1] = (int64_t)((uint64_t)stack[sp - 1] * (uint64_t)b);
    NEXT;
    CASE(OP_MOD) b = stack[--sp];
    stack[sp - 1] %= b;
    NEXT;
    CASE(OP_AND) b = stack[--sp];
    stack[sp - 1] &= b;
    NEXT;
    CASE(OP_XOR) b = stack[--sp];
    stack[sp - 1] ^= b;
    NEXT;
    CASE(OP_SHL) b = stack[--sp];
    stack[sp - 1] = (int64_t)((uint64_t)stack[sp - 1] << b);
    NEXT;
    CASE(OP_SHR) b = stack[--sp];
    stack[sp - 1] = (int64_t)((uint64_t)stack[sp - 1] >> b);
    NEXT;
    CASE(OP_DUP) a = stack[sp - 1];
    stack[sp++] = a;
    NEXT;
    CASE(OP_LT) b = stack[--sp];
    stack[sp - 1] = stack[sp - 1] < b;
    NEXT;
    CASE(OP_EQ) b = stack[--sp];
    stack[sp - 1] = stack[sp - 1] == b;
    NEXT;
    CASE(OP_JMP) pc = code[pc];
    NEXT;
    CASE(OP_JZ) a = stack[--sp];
    pc = a == 0 ? code[pc] : pc + 1;
    NEXT;
    CASE(OP_JNZ) a = stack[--sp];
    pc = a != 0 ? code[pc] : pc + 1;
    NEXT;
#if !DISPATCH_GOTO
        default:
            return;
        }
    }
#endif
#undef CASE
#undef NEXT
}

// Variables of the VM programs.
enum { V_N, V_X, V_STEPS, V_TOTAL, V_I, V_J, V_A, V_B };

// total = sum over n in 1..k of the Collatz stopping time of n.
static void asm_collatz(struct code *c, int64_t k)
{
    emit1(c, OP_PUSH, 1);
    emit1(c, OP_STORE, V_N);
    int outer = c->n;
    emit1(c, OP_LOAD, V_N);
    emit1(c, OP_STORE, V_X);
    emit1(c, OP_PUSH, 0);
    emit1(c, OP_STORE, V_STEPS);
    int inner = c->n;
    emit1(c, OP_LOAD, V_X);
    emit1(c, OP_PUSH, 1);
    emit(c, OP_EQ);
    int to_done = jump_fwd(c, OP_JNZ);
    emit1(c, OP_LOAD, V_X);
    emit1(c, OP_PUSH, 1);
    emit(c, OP_AND);
    int to_even = jump_fwd(c, OP_JZ);
    emit1(c, OP_LOAD, V_X); // odd: x = 3x + 1
    emit1(c, OP_PUSH, 3);
    emit(c, OP_MUL);
    emit1(c, OP_PUSH, 1);
    emit(c, OP_ADD);
    emit1(c, OP_STORE, V_X);
    int to_step = jump_fwd(c, OP_JMP);
    patch(c, to_even); // even: x = x / 2
    emit1(c, OP_LOAD, V_X);
    emit1(c, OP_PUSH, 1);
    emit(c, OP_SHR);
    emit1(c, OP_STORE, V_X);
    patch(c, to_step);
    emit1(c, OP_INC, V_STEPS);
    emit1(c, OP_JMP, inner);
    patch(c, to_done);
    emit1(c, OP_LOAD, V_STEPS);
    emit1(c, OP_ADDTO, V_TOTAL);
    emit1(c, OP_INC, V_N);
    emit1(c, OP_LOAD, V_N);
    emit1(c, OP_PUSH, k + 1);
    emit(c, OP_LT);
    emit1(c, OP_JNZ, outer);
    emit(c, OP_HALT);
}

// total = sum over i, j in 1..m of gcd(i, j) (Euclid with remainders).
static void asm_gcd_sum(struct code *c, int64_t m)
{
    emit1(c, OP_PUSH, 1);
    emit1(c, OP_STORE, V_I);
    int li = c->n;
    emit1(c, OP_PUSH, 1);
    emit1(c, OP_STORE, V_J);
    int lj = c->n;
    emit1(c, OP_LOAD, V_I);
    emit1(c, OP_STORE, V_A);
    emit1(c, OP_LOAD, V_J);
    emit1(c, OP_STORE, V_B);
    int lg = c->n;
    emit1(c, OP_LOAD, V_B);
    int to_found = jump_fwd(c, OP_JZ);
    emit1(c, OP_LOAD, V_A);
    emit1(c, OP_LOAD, V_B);
    emit(c, OP_MOD);
    emit1(c, OP_LOAD, V_B);
    emit1(c, OP_STORE, V_A);
    emit1(c, OP_STORE, V_B);
    emit1(c, OP_JMP, lg);
    patch(c, to_found);
    emit1(c, OP_LOAD, V_A);
    emit1(c, OP_ADDTO, V_TOTAL);
    emit1(c, OP_INC, V_J);
    emit1(c, OP_LOAD, V_J);
    emit1(c, OP_PUSH, m + 1);
    emit(c, OP_LT);
    emit1(c, OP_JNZ, lj);
    emit1(c, OP_INC, V_I);
    emit1(c, OP_LOAD, V_I);
    emit1(c, OP_PUSH, m + 1);
    emit(c, OP_LT);
    emit1(c, OP_JNZ, li);
    emit(c, OP_HALT);
}

// x = xorshift32 applied k times to x (13, 17, 5), kept to 32 bits; total = x.
static void asm_xorshift(struct code *c, int64_t k)
{
    static const int64_t shift[3] = {13, 17, 5};
    static const int op[3] = {OP_SHL, OP_SHR, OP_SHL};
    int top = c->n;
    for (int s = 0; s < 3; s++) {
        emit1(c, OP_LOAD, V_X);
        emit(c, OP_DUP);
        emit1(c, OP_PUSH, shift[s]);
        emit(c, op[s]);
        emit(c, OP_XOR);
        emit1(c, OP_PUSH, 0xffffffffll);
        emit(c, OP_AND);
        emit1(c, OP_STORE, V_X);
    }
    emit1(c, OP_INC, V_N);
    emit1(c, OP_LOAD, V_N);
    emit1(c, OP_PUSH, k);
    emit(c, OP_SUB);
    emit1(c, OP_JNZ, top);
    emit1(c, OP_LOAD, V_X);
    emit1(c, OP_STORE, V_TOTAL);
    emit(c, OP_HALT);
}

static int64_t c_gcd_sum(int64_t m)
{
    int64_t total = 0;
    for (int64_t i = 1; i <= m; i++)
        for (int64_t j = 1; j <= m; j++) {
            int64_t a = i, b = j;
            while (b != 0) {
                int64_t t = a % b;
                a = b;
                b = t;
            }
            total += a;
        }
    return total;
}

static uint32_t c_xorshift(uint32_t x, int64_t k)
{
    for (int64_t n = 0; n < k; n++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
    }
    return x;
}

static int64_t run_program(void (*assemble)(struct code *, int64_t), int64_t size, int64_t x0)
{
    struct code c = {.n = 0};
    int64_t v[NVARS] = {0};
    assemble(&c, size);
    v[V_X] = x0;
    vm_run(c.w, v);
    return v[V_TOTAL];
}

static int64_t c_collatz(int64_t k)
{
    int64_t total = 0;
    for (int64_t n = 1; n <= k; n++) {
        uint64_t x = (uint64_t)n;
        while (x != 1) {
            x = x & 1 ? 3 * x + 1 : x >> 1;
            total++;
        }
    }
    return total;
}

#define BYTECODE_DEFAULT_REPS 30

static int bytecode_main(const char *name, int argc, char **argv)
{
    uint64_t scale = bench_scale(argc, argv);
    uint64_t reps = bench_reps(BYTECODE_DEFAULT_REPS, scale);

    // Known values: the Collatz stopping times of 1..10 (OEIS A006577: 0, 1, 7, 2,
    // 5, 8, 16, 3, 19, 6) sum to 67; the xorshift32 sequence from 1 (Marsaglia's
    // shifts 13, 17, 5) starts 270369, 67634689; gcd(i, j) over 1..2 sums to
    // 1 + 1 + 1 + 2 = 5.
    bench_expect("collatz steps 1..10", run_program(asm_collatz, 10, 0), 67);
    bench_expect("xorshift32 once from 1", run_program(asm_xorshift, 1, 1), 270369);
    bench_expect("xorshift32 twice from 1", run_program(asm_xorshift, 2, 1), 67634689);
    bench_expect("gcd sum 1..2", run_program(asm_gcd_sum, 2, 0), 5);

    // Each repetition runs the three VM programs on slightly different sizes and
    // compares them with the same computations in C.
    uint64_t check = 0;
    for (uint64_t r = 0; r < reps; r++) {
        int64_t k = 3000 + (int64_t)r;
        int64_t m = 40 + (int64_t)(r % 8);
        uint32_t x0 = 2463534242u + (uint32_t)r;
        int64_t col = run_program(asm_collatz, k, 0);
        bench_expect("vm collatz == C collatz", (uint64_t)col, (uint64_t)c_collatz(k));
        check = bench_mix(check, (uint64_t)col);
        int64_t g = run_program(asm_gcd_sum, m, 0);
        bench_expect("vm gcd sum == C gcd sum", (uint64_t)g, (uint64_t)c_gcd_sum(m));
        check = bench_mix(check, (uint64_t)g);
        int64_t x = run_program(asm_xorshift, 5000, x0);
        bench_expect("vm xorshift == C xorshift", (uint64_t)x, c_xorshift(x0, 5000));
        check = bench_mix(check, (uint64_t)x);
    }
    return bench_finish(name, scale, check);
}

#endif
