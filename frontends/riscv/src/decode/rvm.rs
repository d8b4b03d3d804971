//! M: integer multiplication and division (RV64M).

use super::{row, Form as F, Op, Row};

pub static RVM: &[Row] = &[
    row(
        "mul",
        "0000001 ..... ..... 000 ..... 0110011",
        Op::Mul,
        F::N,
        "d,s,t",
    ),
    row(
        "mulh",
        "0000001 ..... ..... 001 ..... 0110011",
        Op::Mulh,
        F::N,
        "d,s,t",
    ),
    row(
        "mulhsu",
        "0000001 ..... ..... 010 ..... 0110011",
        Op::Mulhsu,
        F::N,
        "d,s,t",
    ),
    row(
        "mulhu",
        "0000001 ..... ..... 011 ..... 0110011",
        Op::Mulhu,
        F::N,
        "d,s,t",
    ),
    row(
        "div",
        "0000001 ..... ..... 100 ..... 0110011",
        Op::Div,
        F::N,
        "d,s,t",
    ),
    row(
        "divu",
        "0000001 ..... ..... 101 ..... 0110011",
        Op::Divu,
        F::N,
        "d,s,t",
    ),
    row(
        "rem",
        "0000001 ..... ..... 110 ..... 0110011",
        Op::Rem,
        F::N,
        "d,s,t",
    ),
    row(
        "remu",
        "0000001 ..... ..... 111 ..... 0110011",
        Op::Remu,
        F::N,
        "d,s,t",
    ),
    row(
        "mulw",
        "0000001 ..... ..... 000 ..... 0111011",
        Op::Mulw,
        F::N,
        "d,s,t",
    ),
    row(
        "divw",
        "0000001 ..... ..... 100 ..... 0111011",
        Op::Divw,
        F::N,
        "d,s,t",
    ),
    row(
        "divuw",
        "0000001 ..... ..... 101 ..... 0111011",
        Op::Divuw,
        F::N,
        "d,s,t",
    ),
    row(
        "remw",
        "0000001 ..... ..... 110 ..... 0111011",
        Op::Remw,
        F::N,
        "d,s,t",
    ),
    row(
        "remuw",
        "0000001 ..... ..... 111 ..... 0111011",
        Op::Remuw,
        F::N,
        "d,s,t",
    ),
];
