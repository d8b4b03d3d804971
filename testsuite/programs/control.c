// Control flow that stresses a translator's block linking: a dense switch compiled to
// a jump table, calls through a table of function pointers, a bytecode interpreter
// dispatching with computed goto (one indirect jump per bytecode), and setjmp/longjmp
// unwinding out of a recursion. Each computation has a closed-form answer.
// Exit status: the number of failed checks.
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>

static int failures;

static void check(const char *what, long got, long want)
{
    printf("%-34s %ld%s\n", what, got, got == want ? "" : "   FAIL");
    if (got != want)
        failures++;
}

static __attribute__((noinline)) long dense_switch(unsigned k, long v)
{
    switch (k) {
    case 0: return v + 1;
    case 1: return v * 3;
    case 2: return v - 7;
    case 3: return v ^ 0x55;
    case 4: return v << 2;
    case 5: return v >> 1;
    case 6: return -v;
    case 7: return v * v % 1000;
    case 8: return v + 100;
    case 9: return v / 3;
    case 10: return v % 17;
    case 11: return v | 0x100;
    default: return v;
    }
}

static long f_add(long a, long b) { return a + b; }
static long f_sub(long a, long b) { return a - b; }
static long f_mul(long a, long b) { return a * b % 1000003; }
static long f_max(long a, long b) { return a > b ? a : b; }
static long (*const ops[])(long, long) = {f_add, f_sub, f_mul, f_max};

enum { OP_PUSH, OP_ADD, OP_MUL, OP_DUP, OP_SWAP, OP_DEC, OP_JNZ, OP_POP, OP_OVER, OP_HALT };

// A tiny stack machine; `code` holds (op, argument) pairs. JNZ pops its condition.
static long run_bytecode(const int *code)
{
    static void *const dispatch[] = {&&push, &&add, &&mul, &&dup, &&swap,
                                     &&dec, &&jnz, &&pop, &&over, &&halt};
    long stack[16];
    int sp = 0, pc = 0;
#define NEXT goto *dispatch[code[pc]]
    NEXT;
push:
    stack[sp++] = code[pc + 1];
    pc += 2;
    NEXT;
add:
    sp--;
    stack[sp - 1] += stack[sp];
    pc += 2;
    NEXT;
mul:
    sp--;
    stack[sp - 1] *= stack[sp];
    pc += 2;
    NEXT;
dup:
    stack[sp] = stack[sp - 1];
    sp++;
    pc += 2;
    NEXT;
swap: {
    long t = stack[sp - 1];
    stack[sp - 1] = stack[sp - 2];
    stack[sp - 2] = t;
    pc += 2;
    NEXT;
}
dec:
    stack[sp - 1]--;
    pc += 2;
    NEXT;
jnz:
    sp--;
    pc = stack[sp] != 0 ? code[pc + 1] : pc + 2;
    NEXT;
pop:
    sp--;
    pc += 2;
    NEXT;
over:
    stack[sp] = stack[sp - 2];
    sp++;
    pc += 2;
    NEXT;
halt:
    return stack[sp - 1];
#undef NEXT
}

static jmp_buf escape;

static __attribute__((noinline)) long dive(long depth, long target)
{
    volatile long here = depth;
    if (depth >= target) {
        if (depth == target)
            longjmp(escape, (int)(depth % 1000) + 1);
        return 0;
    }
    return dive(depth + 1, target) + here;
}

int main(void)
{
    long v = 12345;
    for (int i = 0; i < 100000; i++)
        v = dense_switch((unsigned)(i * 7) % 13, v) % 1000000007;
    printf("switch chain result %ld\n", v);

    long acc = 1;
    for (int i = 1; i <= 20000; i++)
        acc = ops[i % 4](acc, i);
    printf("function pointer chain %ld\n", acc);
    check("fnptr: max(x, 4) after mul", ops[3](ops[2](3, 4), 4), 12);

    // Sum of squares 1..1000 = n(n+1)(2n+1)/6 on the stack machine. The stack holds
    // [n, acc]; each turn adds n*n to acc and counts n down to zero.
    const int squares[] = {
        OP_PUSH, 1000, OP_PUSH, 0,         // 0: n acc
        OP_OVER, 0, OP_DUP, 0, OP_MUL, 0,  // 4: n acc n*n
        OP_ADD, 0, OP_SWAP, 0, OP_DEC, 0,  // 10: acc' n-1
        OP_DUP, 0, OP_JNZ, 24,             // 16: acc' n-1 (jump while n-1 != 0)
        OP_POP, 0, OP_HALT, 0,             // 20: acc'
        OP_SWAP, 0, OP_PUSH, 1, OP_JNZ, 4, // 24: n-1 acc', back to the loop
    };
    check("bytecode sum of squares 1..1000", run_bytecode(squares), 1000L * 1001 * 2001 / 6);

    volatile long total = 0; // live across setjmp
    for (long target = 10; target <= 5000; target += 499) {
        int code = setjmp(escape);
        if (code == 0)
            total += dive(0, target);
        else
            total += code;
    }
    // Each longjmp returns target % 1000 + 1 for targets 10, 509, ..., 5000.
    long want = 0;
    for (long target = 10; target <= 5000; target += 499)
        want += target % 1000 + 1;
    check("setjmp/longjmp values", total, want);
    printf("control: %d failure(s)\n", failures);
    return failures;
}
