//! Zifencei: instruction-fetch fence. The imm, rs1 and rd fields are
//! reserved for finer-grained fences; only the all-zero form is accepted
//! (as objdump does), so a future variant is reported, not misexecuted.

use super::{row, Form as F, Op, Row};

pub static ZIFENCEI: &[Row] = &[row(
    "fence.i",
    "000000000000 00000 001 00000 0001111",
    Op::FenceI,
    F::N,
    "",
)];
