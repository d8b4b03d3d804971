//! Zba: address generation (shift-and-add, unsigned-word adds and shifts).
//!
//! Encodings from the RISC-V bit-manipulation spec (v1.0.0), checked with
//! `riscv64-linux-gnu-as -march=rv64gc_zba` and objdump.

use super::{row, Form as F, Op, Row};

pub static ZBA: &[Row] = &[
    row(
        "sh1add",
        "0010000 ..... ..... 010 ..... 0110011",
        Op::Sh1add,
        F::N,
        "d,s,t",
    ),
    row(
        "sh2add",
        "0010000 ..... ..... 100 ..... 0110011",
        Op::Sh2add,
        F::N,
        "d,s,t",
    ),
    row(
        "sh3add",
        "0010000 ..... ..... 110 ..... 0110011",
        Op::Sh3add,
        F::N,
        "d,s,t",
    ),
    row(
        "add.uw",
        "0000100 ..... ..... 000 ..... 0111011",
        Op::AddUw,
        F::N,
        "d,s,t",
    ),
    row(
        "sh1add.uw",
        "0010000 ..... ..... 010 ..... 0111011",
        Op::Sh1addUw,
        F::N,
        "d,s,t",
    ),
    row(
        "sh2add.uw",
        "0010000 ..... ..... 100 ..... 0111011",
        Op::Sh2addUw,
        F::N,
        "d,s,t",
    ),
    row(
        "sh3add.uw",
        "0010000 ..... ..... 110 ..... 0111011",
        Op::Sh3addUw,
        F::N,
        "d,s,t",
    ),
    row(
        "slli.uw",
        "000010 ...... ..... 001 ..... 0011011",
        Op::SlliUw,
        F::Sh6,
        "d,s,>",
    ),
];
