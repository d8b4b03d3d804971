//! Zbs: single-bit clear, extract, invert and set (register and immediate
//! bit index; RV64 indices are 6 bits).
//!
//! Encodings from the RISC-V bit-manipulation spec (v1.0.0), checked with
//! `riscv64-linux-gnu-as -march=rv64gc_zbs` and objdump.

use super::{row, Form as F, Op, Row};

pub static ZBS: &[Row] = &[
    row(
        "bclr",
        "0100100 ..... ..... 001 ..... 0110011",
        Op::Bclr,
        F::N,
        "d,s,t",
    ),
    row(
        "bext",
        "0100100 ..... ..... 101 ..... 0110011",
        Op::Bext,
        F::N,
        "d,s,t",
    ),
    row(
        "binv",
        "0110100 ..... ..... 001 ..... 0110011",
        Op::Binv,
        F::N,
        "d,s,t",
    ),
    row(
        "bset",
        "0010100 ..... ..... 001 ..... 0110011",
        Op::Bset,
        F::N,
        "d,s,t",
    ),
    row(
        "bclri",
        "010010 ...... ..... 001 ..... 0010011",
        Op::Bclri,
        F::Sh6,
        "d,s,>",
    ),
    row(
        "bexti",
        "010010 ...... ..... 101 ..... 0010011",
        Op::Bexti,
        F::Sh6,
        "d,s,>",
    ),
    row(
        "binvi",
        "011010 ...... ..... 001 ..... 0010011",
        Op::Binvi,
        F::Sh6,
        "d,s,>",
    ),
    row(
        "bseti",
        "001010 ...... ..... 001 ..... 0010011",
        Op::Bseti,
        F::Sh6,
        "d,s,>",
    ),
];
