//! Zicsr: CSR read-modify-write instructions. Which CSRs exist is decided
//! by the translator (user-level floating-point CSRs and counters only).

use super::{row, Form as F, Op, Row};

pub static ZICSR: &[Row] = &[
    row(
        "csrrw",
        "............ ..... 001 ..... 1110011",
        Op::Csrrw,
        F::N,
        "d,c,s",
    ),
    row(
        "csrrs",
        "............ ..... 010 ..... 1110011",
        Op::Csrrs,
        F::N,
        "d,c,s",
    ),
    row(
        "csrrc",
        "............ ..... 011 ..... 1110011",
        Op::Csrrc,
        F::N,
        "d,c,s",
    ),
    row(
        "csrrwi",
        "............ ..... 101 ..... 1110011",
        Op::Csrrwi,
        F::CsrI,
        "d,c,Z",
    ),
    row(
        "csrrsi",
        "............ ..... 110 ..... 1110011",
        Op::Csrrsi,
        F::CsrI,
        "d,c,Z",
    ),
    row(
        "csrrci",
        "............ ..... 111 ..... 1110011",
        Op::Csrrci,
        F::CsrI,
        "d,c,Z",
    ),
];
