// polyvm's built-in demo guest: a freestanding riscv64 Linux program (no libc; its
// own _start, write and exit_group through `ecall`, its own number formatting) that
// runs a deterministic CPU workload of roughly 350 million guest instructions and
// prints what it computed:
//   1. a sieve of Eratosthenes below 2,000,000 (there are 148933 such primes);
//   2. CRC-32 (the zlib/IEEE polynomial) of 1 MiB of bytes from a 32-bit LCG, which
//      Python reproduces as zlib.crc32(data);
//   3. a small stack-bytecode interpreter, dispatching through a jump table, that sums
//      the Collatz stopping times of 1..30000 and finds the longest one.
// testsuite/demo/build.sh builds it into demo.riscv64.elf; the expected values and
// the Python that checks them are in testsuite/demo/README.md.

typedef unsigned long u64;
typedef unsigned int u32;
typedef unsigned char u8;

#define SYS_WRITE 64
#define SYS_EXIT_GROUP 94

static long sys3(long nr, long a, long b, long c)
{
    register long a0 __asm__("a0") = a;
    register long a1 __asm__("a1") = b;
    register long a2 __asm__("a2") = c;
    register long a7 __asm__("a7") = nr;
    __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
    return a0;
}

// Output is collected in one buffer and written once at the end of each line.
static char line[128];
static u32 line_len;

static void put_str(const char *s)
{
    while (*s != 0 && line_len < sizeof line)
        line[line_len++] = *s++;
}

static void put_dec(u64 v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n > 0 && line_len < sizeof line)
        line[line_len++] = tmp[--n];
}

static void put_hex32(u32 v)
{
    put_str("0x");
    for (int shift = 28; shift >= 0 && line_len < sizeof line; shift -= 4)
        line[line_len++] = "0123456789abcdef"[(v >> shift) & 15];
}

static void end_line(void)
{
    if (line_len < sizeof line)
        line[line_len++] = '\n';
    sys3(SYS_WRITE, 1, (long)line, line_len);
    line_len = 0;
}

#define SIEVE_LIMIT 2000000
static u8 composite[SIEVE_LIMIT];

static void sieve(void)
{
    u32 count = 0, largest = 0;
    for (u32 i = 2; i < SIEVE_LIMIT; i++) {
        if (composite[i])
            continue;
        count++;
        largest = i;
        for (u64 j = (u64)i * i; j < SIEVE_LIMIT; j += i)
            composite[j] = 1;
    }
    put_str("primes below 2000000: ");
    put_dec(count);
    end_line();
    put_str("largest prime below 2000000: ");
    put_dec(largest);
    end_line();
}

#define CRC_BYTES (1u << 20)
static u8 data[CRC_BYTES];
static u32 crc_table[256];

static void crc(void)
{
    for (u32 n = 0; n < 256; n++) {
        u32 c = n;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[n] = c;
    }
    // x -> 1664525 x + 1013904223 (mod 2^32), starting from 1; keep the top byte.
    u32 x = 1;
    for (u32 i = 0; i < CRC_BYTES; i++) {
        x = x * 1664525u + 1013904223u;
        data[i] = (u8)(x >> 24);
    }
    u32 c = 0xffffffffu;
    for (u32 i = 0; i < CRC_BYTES; i++)
        c = crc_table[(c ^ data[i]) & 0xff] ^ (c >> 8);
    put_str("crc32 of 1 MiB of LCG bytes: ");
    put_hex32(c ^ 0xffffffffu);
    end_line();
}

// Bytecode: each instruction is one byte of opcode and one byte of operand.
enum {
    OP_LOADN,   // push n
    OP_PUSH,    // push operand
    OP_DUP,     // duplicate top
    OP_ODD,     // replace top with top & 1
    OP_HALVE,   // top /= 2
    OP_TRIPLE1, // top = 3 * top + 1
    OP_JZ,      // pop; jump to operand if zero
    OP_JMP,     // jump to operand
    OP_STEP,    // steps += 1
    OP_NE1,     // replace top with (top != 1)
    OP_DONE,    // pop and stop
};

// while (v != 1) { v = v odd ? 3v+1 : v/2; steps++; }
static const u8 collatz_code[] = {
    OP_LOADN, 0,   // 0: v
    OP_DUP, 0,     // 2: loop head: v v
    OP_NE1, 0,     // 4: v (v != 1)
    OP_JZ, 24,     // 6: v; done when v == 1
    OP_STEP, 0,    // 8
    OP_DUP, 0,     // 10: v v
    OP_ODD, 0,     // 12: v (v & 1)
    OP_JZ, 20,     // 14: v; even goes to 20
    OP_TRIPLE1, 0, // 16: 3v+1
    OP_JMP, 2,     // 18
    OP_HALVE, 0,   // 20: v/2
    OP_JMP, 2,     // 22
    OP_DONE, 0,    // 24
};

static u64 run_collatz(u64 n)
{
    u64 stack[8];
    u32 sp = 0, pc = 0;
    u64 steps = 0;
    for (;;) {
        u8 op = collatz_code[pc], arg = collatz_code[pc + 1];
        pc += 2;
        switch (op) {
        case OP_LOADN: stack[sp++] = n; break;
        case OP_PUSH: stack[sp++] = arg; break;
        case OP_DUP: stack[sp] = stack[sp - 1]; sp++; break;
        case OP_ODD: stack[sp - 1] &= 1; break;
        case OP_HALVE: stack[sp - 1] >>= 1; break;
        case OP_TRIPLE1: stack[sp - 1] = 3 * stack[sp - 1] + 1; break;
        case OP_JZ: if (stack[--sp] == 0) pc = arg; break;
        case OP_JMP: pc = arg; break;
        case OP_STEP: steps++; break;
        case OP_NE1: stack[sp - 1] = stack[sp - 1] != 1; break;
        default: return steps;
        }
    }
}

static void bytecode(void)
{
    u64 total = 0, best = 0, best_n = 1;
    for (u64 n = 1; n <= 30000; n++) {
        u64 s = run_collatz(n);
        total += s;
        if (s > best) {
            best = s;
            best_n = n;
        }
    }
    put_str("collatz steps for 1..30000: ");
    put_dec(total);
    end_line();
    put_str("longest collatz chain below 30001: ");
    put_dec(best_n);
    put_str(" (");
    put_dec(best);
    put_str(" steps)");
    end_line();
}

long demo_main(void)
{
    put_str("polyvm demo: a riscv64 guest computing primes, a CRC and Collatz chains");
    end_line();
    sieve();
    crc();
    bytecode();
    put_str("demo done");
    end_line();
    return 0;
}

// Entry point: set gp (the linker may relax data accesses against it), call
// demo_main, exit_group with its result.
__asm__(".text\n\t.globl _start\n\t.type _start, @function\n_start:\n\t"
        ".option push\n\t.option norelax\n\tlla gp, __global_pointer$\n\t.option pop\n\t"
        "call demo_main\n\t"
        "li a7, 94\n\t"
        "ecall\n\t");
