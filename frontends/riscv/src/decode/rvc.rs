//! C: compressed instructions (RV64C with the D loads/stores), each
//! expanding to the operands of its 32-bit equivalent.
//!
//! Layouts vary by format; the dispatch bits are the quadrant (1:0) and
//! funct3 (15:13). HINT encodings (`c.li`/`c.mv`/`c.add`/`c.slli` with
//! rd = x0, `c.addi` with a zero immediate …) decode as the instruction they
//! expand to, which has no architectural effect. Reserved encodings and
//! specialisations are declared as exclusions.

use super::{excl, row, row_x, Excl, Form as F, Op, Row, Why};

const ADDI4SPN_X: &[Excl] = &[excl("000 00000000 ... 00", Why::Reserved)];
const ADDIW_X: &[Excl] = &[excl("001 . 00000 ..... 01", Why::Reserved)];
const ADDI16SP_X: &[Excl] = &[excl("011 0 00010 00000 01", Why::Reserved)];
const LUI_X: &[Excl] = &[
    excl("011 . 00010 ..... 01", Why::Row("c.addi16sp")),
    excl("011 0 ..... 00000 01", Why::Reserved),
];
const SRLI_X: &[Excl] = &[excl("100 0 00 ... 00000 01", Why::Row("c.srli64"))];
const SRAI_X: &[Excl] = &[excl("100 0 01 ... 00000 01", Why::Row("c.srai64"))];
const SLLI_X: &[Excl] = &[excl("000 0 ..... 00000 10", Why::Row("c.slli64"))];
const LWSP_X: &[Excl] = &[excl("010 . 00000 ..... 10", Why::Reserved)];
const LDSP_X: &[Excl] = &[excl("011 . 00000 ..... 10", Why::Reserved)];
const JR_X: &[Excl] = &[excl("100 0 00000 00000 10", Why::Reserved)];
const MV_X: &[Excl] = &[excl("100 0 ..... 00000 10", Why::Row("c.jr"))];
const JALR_X: &[Excl] = &[excl("100 1 00000 00000 10", Why::Row("c.ebreak"))];
const ADD_X: &[Excl] = &[excl("100 1 ..... 00000 10", Why::Row("c.jalr"))];

pub static RVC: &[Row] = &[
    // Quadrant 0.
    row_x(
        "c.addi4spn",
        "000 ........ ... 00",
        ADDI4SPN_X,
        Op::Addi,
        F::CAddi4spn,
        "d,s,j",
    ),
    row("c.fld", "001 ... ... .. ... 00", Op::Fld, F::CLd, "D,j(s)"),
    row("c.lw", "010 ... ... .. ... 00", Op::Lw, F::CLw, "d,j(s)"),
    row("c.ld", "011 ... ... .. ... 00", Op::Ld, F::CLd, "d,j(s)"),
    row("c.fsd", "101 ... ... .. ... 00", Op::Fsd, F::CSd, "T,j(s)"),
    row("c.sw", "110 ... ... .. ... 00", Op::Sw, F::CSw, "t,j(s)"),
    row("c.sd", "111 ... ... .. ... 00", Op::Sd, F::CSd, "t,j(s)"),
    // Quadrant 1.
    row("c.addi", "000 . ..... ..... 01", Op::Addi, F::CAddi, "d,j"),
    row_x(
        "c.addiw",
        "001 . ..... ..... 01",
        ADDIW_X,
        Op::Addiw,
        F::CAddi,
        "d,j",
    ),
    row("c.li", "010 . ..... ..... 01", Op::Addi, F::CLi, "d,j"),
    row_x(
        "c.addi16sp",
        "011 . 00010 ..... 01",
        ADDI16SP_X,
        Op::Addi,
        F::CAddi16sp,
        "d,j",
    ),
    row_x(
        "c.lui",
        "011 . ..... ..... 01",
        LUI_X,
        Op::Lui,
        F::CLui,
        "d,u",
    ),
    row_x(
        "c.srli",
        "100 . 00 ... ..... 01",
        SRLI_X,
        Op::Srli,
        F::CShift,
        "d,>",
    ),
    row(
        "c.srli64",
        "100 0 00 ... 00000 01",
        Op::Srli,
        F::CShift,
        "d",
    ),
    row_x(
        "c.srai",
        "100 . 01 ... ..... 01",
        SRAI_X,
        Op::Srai,
        F::CShift,
        "d,>",
    ),
    row(
        "c.srai64",
        "100 0 01 ... 00000 01",
        Op::Srai,
        F::CShift,
        "d",
    ),
    row("c.andi", "100 . 10 ... ..... 01", Op::Andi, F::CAndi, "d,j"),
    row("c.sub", "100 0 11 ... 00 ... 01", Op::Sub, F::CA, "d,t"),
    row("c.xor", "100 0 11 ... 01 ... 01", Op::Xor, F::CA, "d,t"),
    row("c.or", "100 0 11 ... 10 ... 01", Op::Or, F::CA, "d,t"),
    row("c.and", "100 0 11 ... 11 ... 01", Op::And, F::CA, "d,t"),
    row("c.subw", "100 1 11 ... 00 ... 01", Op::Subw, F::CA, "d,t"),
    row("c.addw", "100 1 11 ... 01 ... 01", Op::Addw, F::CA, "d,t"),
    row("c.j", "101 ........... 01", Op::Jal, F::CJ, "b"),
    row("c.beqz", "110 ... ... ..... 01", Op::Beq, F::CB, "s,b"),
    row("c.bnez", "111 ... ... ..... 01", Op::Bne, F::CB, "s,b"),
    // Quadrant 2.
    row_x(
        "c.slli",
        "000 . ..... ..... 10",
        SLLI_X,
        Op::Slli,
        F::CSlli,
        "d,>",
    ),
    row("c.slli64", "000 0 ..... 00000 10", Op::Slli, F::CSlli, "d"),
    row(
        "c.fldsp",
        "001 . ..... ..... 10",
        Op::Fld,
        F::CLdsp,
        "D,j(s)",
    ),
    row_x(
        "c.lwsp",
        "010 . ..... ..... 10",
        LWSP_X,
        Op::Lw,
        F::CLwsp,
        "d,j(s)",
    ),
    row_x(
        "c.ldsp",
        "011 . ..... ..... 10",
        LDSP_X,
        Op::Ld,
        F::CLdsp,
        "d,j(s)",
    ),
    row_x("c.jr", "100 0 ..... 00000 10", JR_X, Op::Jalr, F::CJr, "s"),
    row_x("c.mv", "100 0 ..... ..... 10", MV_X, Op::Add, F::CMv, "d,t"),
    row("c.ebreak", "100 1 00000 00000 10", Op::Ebreak, F::CNone, ""),
    row_x(
        "c.jalr",
        "100 1 ..... 00000 10",
        JALR_X,
        Op::Jalr,
        F::CJalr,
        "s",
    ),
    row_x(
        "c.add",
        "100 1 ..... ..... 10",
        ADD_X,
        Op::Add,
        F::CAdd,
        "d,t",
    ),
    row(
        "c.fsdsp",
        "101 ...... ..... 10",
        Op::Fsd,
        F::CSdsp,
        "T,j(s)",
    ),
    row("c.swsp", "110 ...... ..... 10", Op::Sw, F::CSwsp, "t,j(s)"),
    row("c.sdsp", "111 ...... ..... 10", Op::Sd, F::CSdsp, "t,j(s)"),
];
