//! The RISC-V decoder: one declarative table per extension, turned into a
//! decoded [`Insn`] by a dispatch on the major opcode.
//!
//! ```text
//!  raw word ──len?──► 32-bit: bucket[bits 6:2] ──┐
//!                     16-bit: bucket[op, funct3] ┴─► first row whose pattern
//!                                                    matches and no exclusion
//!                                                    does ──► Form ──► Insn
//! ```
//!
//! A row is `(name, pattern, exclusions, Op, Form, operand layout)`. Patterns
//! are written as bit strings (`0`, `1`, `.` for a field bit) and parsed by a
//! `const fn`, so a malformed row is a compile error. Where the ISA
//! specialises an encoding space (`c.addi16sp` inside `c.lui`, `c.jr`/`c.mv`,
//! reserved encodings such as `c.addi4spn` with a zero immediate), the wider
//! row declares the carve-out as an [`Excl`] and says why; [`check_tables`]
//! (run by the unit tests) proves that no two rows of one width can match the
//! same word, so row order never matters.
//!
//! The `chipi` crate was evaluated first (as STYLE.md asks) and not used: its
//! fields are single contiguous bit ranges, while RISC-V's B/J/S and every
//! compressed immediate are scattered over several ranges; it resolves
//! overlapping patterns silently by specificity instead of rejecting them;
//! it has no field constraints (`rd != 0`); and it generates one enum variant
//! per mnemonic, whereas compressed instructions must expand into the same
//! decoded instructions as their 32-bit forms.

pub mod rva;
pub mod rvc;
pub mod rvd;
pub mod rvf;
pub mod rvi;
pub mod rvm;
pub mod zba;
pub mod zbb;
pub mod zbs;
pub mod zicsr;
pub mod zifencei;

use std::sync::OnceLock;

/// A fixed-bit pattern: a word matches when `word & mask == bits`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Pat {
    pub mask: u32,
    pub bits: u32,
    /// 16 or 32.
    pub width: u8,
}

impl Pat {
    #[inline]
    pub const fn matches(self, w: u32) -> bool {
        w & self.mask == self.bits
    }
}

/// Parses a pattern string at compile time: `0`/`1` fixed bits, `.` field
/// bits, spaces ignored; exactly 16 or 32 bits, most significant first.
pub const fn pat(s: &str) -> Pat {
    let b = s.as_bytes();
    let mut i = 0;
    let mut n = 0;
    let mut mask = 0u32;
    let mut bits = 0u32;
    while i < b.len() {
        match b[i] {
            b'0' => {
                mask = (mask << 1) | 1;
                bits <<= 1;
                n += 1;
            }
            b'1' => {
                mask = (mask << 1) | 1;
                bits = (bits << 1) | 1;
                n += 1;
            }
            b'.' => {
                mask <<= 1;
                bits <<= 1;
                n += 1;
            }
            b' ' => {}
            _ => panic!("pattern characters are 0, 1, . and space"),
        }
        i += 1;
    }
    if n != 16 && n != 32 {
        panic!("a pattern has 16 or 32 bits");
    }
    Pat {
        mask,
        bits,
        width: n,
    }
}

/// Why a row leaves out part of its pattern's encoding space.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Why {
    /// The encodings are reserved (or defined illegal): they decode to nothing.
    Reserved,
    /// The named, more specific row of the same width owns them.
    Row(&'static str),
}

/// A declared carve-out from a row's pattern.
#[derive(Copy, Clone, Debug)]
pub struct Excl {
    pub pat: Pat,
    pub why: Why,
}

/// Declares an exclusion (for the tables).
pub const fn excl(p: &str, why: Why) -> Excl {
    Excl { pat: pat(p), why }
}

/// How a row's fields become the decoded operands.
///
/// For 32-bit rows the register fields (rd, rs1, rs2, rs3, rm, aq, rl, csr)
/// always sit in the same places, so the form only says how to build the
/// immediate. For 16-bit rows the form is the whole expansion into the
/// 32-bit instruction's operands.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Form {
    /// No immediate.
    N,
    /// I-type: `imm[11:0]` = bits 31:20.
    I,
    /// S-type store offset.
    S,
    /// B-type branch offset.
    B,
    /// U-type: `imm[31:12]`, sign-extended to 64 bits.
    U,
    /// J-type jump offset.
    J,
    /// 6-bit shift amount (RV64 `slli`/`srli`/`srai`).
    Sh6,
    /// 5-bit shift amount (`*iw` shifts).
    Sh5,
    /// CSR immediate: the 5-bit rs1 field, zero-extended.
    CsrI,
    /// FENCE: imm = bits 31:20 (fm, pred, succ).
    Fence,
    /// c.addi4spn: rd' = addi sp + nzuimm.
    CAddi4spn,
    /// c.lw / c.flw-like: 4-byte scaled offset, rd', rs1'.
    CLw,
    /// c.ld / c.fld: 8-byte scaled offset, rd', rs1'.
    CLd,
    /// c.sw: rs2', rs1', 4-byte scaled offset.
    CSw,
    /// c.sd / c.fsd: rs2', rs1', 8-byte scaled offset.
    CSd,
    /// c.addi / c.addiw: rd = rs1 = bits 11:7, 6-bit signed immediate.
    CAddi,
    /// c.li: rd, rs1 = x0, 6-bit signed immediate.
    CLi,
    /// c.lui: rd, 6-bit signed immediate shifted left by 12.
    CLui,
    /// c.addi16sp: sp = sp + nzimm (multiple of 16).
    CAddi16sp,
    /// c.srli / c.srai: rd' = rs1', 6-bit shift amount.
    CShift,
    /// c.andi: rd' = rs1', 6-bit signed immediate.
    CAndi,
    /// c.slli: rd = rs1, 6-bit shift amount.
    CSlli,
    /// CA format: rd' = rs1', rs2'.
    CA,
    /// c.j: rd = x0, jump offset.
    CJ,
    /// c.beqz / c.bnez: rs1', rs2 = x0, branch offset.
    CB,
    /// c.lwsp: rd, rs1 = sp, 4-byte scaled offset.
    CLwsp,
    /// c.ldsp / c.fldsp: rd, rs1 = sp, 8-byte scaled offset.
    CLdsp,
    /// c.swsp: rs2, rs1 = sp.
    CSwsp,
    /// c.sdsp / c.fsdsp: rs2, rs1 = sp.
    CSdsp,
    /// c.jr: jalr x0, 0(rs1).
    CJr,
    /// c.jalr: jalr ra, 0(rs1).
    CJalr,
    /// c.mv: add rd, x0, rs2.
    CMv,
    /// c.add: add rd, rd, rs2.
    CAdd,
    /// No operands (c.ebreak).
    CNone,
}

/// Every instruction the frontend implements, by its 32-bit meaning. The
/// compressed forms decode to these too.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    // RV64I
    Lui,
    Auipc,
    Jal,
    Jalr,
    Beq,
    Bne,
    Blt,
    Bge,
    Bltu,
    Bgeu,
    Lb,
    Lh,
    Lw,
    Ld,
    Lbu,
    Lhu,
    Lwu,
    Sb,
    Sh,
    Sw,
    Sd,
    Addi,
    Slti,
    Sltiu,
    Xori,
    Ori,
    Andi,
    Slli,
    Srli,
    Srai,
    Add,
    Sub,
    Sll,
    Slt,
    Sltu,
    Xor,
    Srl,
    Sra,
    Or,
    And,
    Addiw,
    Slliw,
    Srliw,
    Sraiw,
    Addw,
    Subw,
    Sllw,
    Srlw,
    Sraw,
    Fence,
    Ecall,
    Ebreak,
    // Zifencei
    FenceI,
    // Zicsr
    Csrrw,
    Csrrs,
    Csrrc,
    Csrrwi,
    Csrrsi,
    Csrrci,
    // M
    Mul,
    Mulh,
    Mulhsu,
    Mulhu,
    Div,
    Divu,
    Rem,
    Remu,
    Mulw,
    Divw,
    Divuw,
    Remw,
    Remuw,
    // A
    LrW,
    ScW,
    AmoswapW,
    AmoaddW,
    AmoxorW,
    AmoandW,
    AmoorW,
    AmominW,
    AmomaxW,
    AmominuW,
    AmomaxuW,
    LrD,
    ScD,
    AmoswapD,
    AmoaddD,
    AmoxorD,
    AmoandD,
    AmoorD,
    AmominD,
    AmomaxD,
    AmominuD,
    AmomaxuD,
    // F
    Flw,
    Fsw,
    FmaddS,
    FmsubS,
    FnmsubS,
    FnmaddS,
    FaddS,
    FsubS,
    FmulS,
    FdivS,
    FsqrtS,
    FsgnjS,
    FsgnjnS,
    FsgnjxS,
    FminS,
    FmaxS,
    FcvtWS,
    FcvtWuS,
    FcvtLS,
    FcvtLuS,
    FmvXW,
    FeqS,
    FltS,
    FleS,
    FclassS,
    FcvtSW,
    FcvtSWu,
    FcvtSL,
    FcvtSLu,
    FmvWX,
    // D
    Fld,
    Fsd,
    FmaddD,
    FmsubD,
    FnmsubD,
    FnmaddD,
    FaddD,
    FsubD,
    FmulD,
    FdivD,
    FsqrtD,
    FsgnjD,
    FsgnjnD,
    FsgnjxD,
    FminD,
    FmaxD,
    FcvtSD,
    FcvtDS,
    FcvtWD,
    FcvtWuD,
    FcvtLD,
    FcvtLuD,
    FmvXD,
    FeqD,
    FltD,
    FleD,
    FclassD,
    FcvtDW,
    FcvtDWu,
    FcvtDL,
    FcvtDLu,
    FmvDX,
    // Zba
    Sh1add,
    Sh2add,
    Sh3add,
    AddUw,
    Sh1addUw,
    Sh2addUw,
    Sh3addUw,
    SlliUw,
    // Zbb
    Andn,
    Orn,
    Xnor,
    Clz,
    Clzw,
    Ctz,
    Ctzw,
    Cpop,
    Cpopw,
    Max,
    Maxu,
    Min,
    Minu,
    SextB,
    SextH,
    ZextH,
    Rol,
    Rolw,
    Ror,
    Rori,
    Roriw,
    Rorw,
    OrcB,
    Rev8,
    // Zbs
    Bclr,
    Bclri,
    Bext,
    Bexti,
    Binv,
    Binvi,
    Bset,
    Bseti,
}

impl Op {
    /// LR, SC and AMOs: the mnemonic takes an `.aq`/`.rl`/`.aqrl` suffix.
    pub fn is_atomic(self) -> bool {
        use Op::*;
        matches!(
            self,
            LrW | ScW
                | AmoswapW
                | AmoaddW
                | AmoxorW
                | AmoandW
                | AmoorW
                | AmominW
                | AmomaxW
                | AmominuW
                | AmomaxuW
                | LrD
                | ScD
                | AmoswapD
                | AmoaddD
                | AmoxorD
                | AmoandD
                | AmoorD
                | AmominD
                | AmomaxD
                | AmominuD
                | AmomaxuD
        )
    }
}

/// One table row.
#[derive(Debug)]
pub struct Row {
    /// Mnemonic as `objdump -M no-aliases` prints it.
    pub name: &'static str,
    pub pat: Pat,
    /// Encodings inside `pat` that are not this instruction.
    pub excl: &'static [Excl],
    pub op: Op,
    pub form: Form,
    /// Operand layout for the disassembler (see `disas.rs`).
    pub args: &'static str,
}

impl Row {
    /// Whether `w` is this row's instruction.
    #[inline]
    pub fn matches(&self, w: u32) -> bool {
        self.pat.matches(w) && !self.excl.iter().any(|e| e.pat.matches(w))
    }
}

/// A table row without exclusions (for the tables).
pub const fn row(name: &'static str, p: &str, op: Op, form: Form, args: &'static str) -> Row {
    Row {
        name,
        pat: pat(p),
        excl: &[],
        op,
        form,
        args,
    }
}

/// A table row with declared exclusions.
pub const fn row_x(
    name: &'static str,
    p: &str,
    excl: &'static [Excl],
    op: Op,
    form: Form,
    args: &'static str,
) -> Row {
    Row {
        name,
        pat: pat(p),
        excl,
        op,
        form,
        args,
    }
}

/// The reserved rounding modes 5 and 6 (bits 14:12) of rows with an rm field.
pub const RM_RESERVED: &[Excl] = &[
    excl("................. 101 ............", Why::Reserved),
    excl("................. 110 ............", Why::Reserved),
];

/// A decoded instruction. Compressed instructions carry their expansion's
/// operands; `row` tells which encoding it was (for the disassembler).
#[derive(Copy, Clone, Debug)]
pub struct Insn {
    pub op: Op,
    pub rd: u8,
    pub rs1: u8,
    pub rs2: u8,
    pub rs3: u8,
    /// Rounding mode field (7 = dynamic); 0 for instructions without one.
    pub rm: u8,
    pub aq: bool,
    pub rl: bool,
    pub csr: u16,
    pub imm: i64,
    /// Length in bytes: 2 or 4.
    pub len: u8,
    /// The raw encoding (16-bit ones zero-extended).
    pub raw: u32,
    pub row: &'static Row,
}

/// The 32-bit tables, in the order they are listed in the docs.
pub fn tables32() -> [&'static [Row]; 10] {
    [
        rvi::RVI,
        rvm::RVM,
        rva::RVA,
        rvf::RVF,
        rvd::RVD,
        zicsr::ZICSR,
        zifencei::ZIFENCEI,
        zba::ZBA,
        zbb::ZBB,
        zbs::ZBS,
    ]
}

/// The 16-bit tables.
pub fn tables16() -> [&'static [Row]; 1] {
    [rvc::RVC]
}

/// Rows bucketed by their dispatch bits, built once.
struct Index {
    /// By bits 6:2 of 32-bit words.
    b32: [Vec<&'static Row>; 32],
    /// By `(bits 1:0) << 3 | bits 15:13` of 16-bit words.
    b16: [Vec<&'static Row>; 24],
}

static INDEX: OnceLock<Index> = OnceLock::new();

#[inline]
fn bucket16(w: u32) -> usize {
    (((w & 3) << 3) | ((w >> 13) & 7)) as usize
}

fn index() -> &'static Index {
    INDEX.get_or_init(|| {
        let mut ix = Index {
            b32: std::array::from_fn(|_| Vec::new()),
            b16: std::array::from_fn(|_| Vec::new()),
        };
        for t in tables32() {
            for r in t {
                ix.b32[((r.pat.bits >> 2) & 31) as usize].push(r);
            }
        }
        for t in tables16() {
            for r in t {
                ix.b16[bucket16(r.pat.bits)].push(r);
            }
        }
        ix
    })
}

/// Length in bytes of the instruction whose low half-word is `lo`.
#[inline]
pub fn insn_len(lo: u16) -> u32 {
    if lo & 3 == 3 {
        4
    } else {
        2
    }
}

/// Decodes one instruction. A word whose low two bits are `11` is a 32-bit
/// instruction, otherwise only its low 16 bits are used. `None` means an
/// illegal (or unimplemented) instruction.
#[inline]
pub fn decode(raw: u32) -> Option<Insn> {
    if raw & 3 == 3 {
        decode32(raw)
    } else {
        decode16(raw & 0xffff)
    }
}

fn decode32(w: u32) -> Option<Insn> {
    let rows = &index().b32[((w >> 2) & 31) as usize];
    let row = *rows.iter().find(|r| r.matches(w))?;
    let imm = match row.form {
        Form::N => 0,
        Form::I => (w as i32 >> 20) as i64,
        Form::S => (((w as i32 >> 25) << 5) | ((w >> 7) & 0x1f) as i32) as i64,
        Form::B => {
            let v = ((w as i32 >> 31) << 12)
                | (((w >> 7) & 1) << 11) as i32
                | (((w >> 25) & 0x3f) << 5) as i32
                | (((w >> 8) & 0xf) << 1) as i32;
            v as i64
        }
        Form::U => (w & 0xffff_f000) as i32 as i64,
        Form::J => {
            let v = ((w as i32 >> 31) << 20)
                | (w & 0x000f_f000) as i32
                | (((w >> 20) & 1) << 11) as i32
                | (((w >> 21) & 0x3ff) << 1) as i32;
            v as i64
        }
        Form::Sh6 => ((w >> 20) & 0x3f) as i64,
        Form::Sh5 => ((w >> 20) & 0x1f) as i64,
        Form::CsrI => ((w >> 15) & 0x1f) as i64,
        Form::Fence => (w >> 20) as i64,
        _ => return None,
    };
    Some(Insn {
        op: row.op,
        rd: ((w >> 7) & 31) as u8,
        rs1: ((w >> 15) & 31) as u8,
        rs2: ((w >> 20) & 31) as u8,
        rs3: (w >> 27) as u8,
        rm: ((w >> 12) & 7) as u8,
        aq: w & (1 << 26) != 0,
        rl: w & (1 << 25) != 0,
        csr: (w >> 20) as u16,
        imm,
        len: 4,
        raw: w,
        row,
    })
}

/// Bits `hi..=lo` of `w`.
#[inline]
fn f(w: u32, hi: u32, lo: u32) -> u32 {
    (w >> lo) & ((1 << (hi - lo + 1)) - 1)
}

/// Sign-extends the low `bits` bits of `v`.
#[inline]
fn sext(v: u32, bits: u32) -> i64 {
    ((v << (32 - bits)) as i32 >> (32 - bits)) as i64
}

fn decode16(w: u32) -> Option<Insn> {
    let rows = &index().b16[bucket16(w)];
    let row = *rows.iter().find(|r| r.matches(w))?;
    // rd/rs1 in bits 11:7, rs2 in 6:2, and the 3-bit "prime" registers.
    let r_hi = f(w, 11, 7) as u8;
    let r_lo = f(w, 6, 2) as u8;
    let p_hi = 8 + f(w, 9, 7) as u8;
    let p_lo = 8 + f(w, 4, 2) as u8;
    let imm6 = sext((f(w, 12, 12) << 5) | f(w, 6, 2), 6);
    let sh6 = ((f(w, 12, 12) << 5) | f(w, 6, 2)) as i64;
    let lw_off = ((f(w, 12, 10) << 3) | (f(w, 6, 6) << 2) | (f(w, 5, 5) << 6)) as i64;
    let ld_off = ((f(w, 12, 10) << 3) | (f(w, 6, 5) << 6)) as i64;
    // (rd, rs1, rs2, imm)
    let (rd, rs1, rs2, imm) = match row.form {
        Form::CAddi4spn => {
            let v =
                (f(w, 12, 11) << 4) | (f(w, 10, 7) << 6) | (f(w, 6, 6) << 2) | (f(w, 5, 5) << 3);
            (p_lo, 2, 0, v as i64)
        }
        Form::CLw => (p_lo, p_hi, 0, lw_off),
        Form::CLd => (p_lo, p_hi, 0, ld_off),
        Form::CSw => (0, p_hi, p_lo, lw_off),
        Form::CSd => (0, p_hi, p_lo, ld_off),
        Form::CAddi => (r_hi, r_hi, 0, imm6),
        Form::CLi => (r_hi, 0, 0, imm6),
        Form::CLui => (r_hi, 0, 0, imm6 << 12),
        Form::CAddi16sp => {
            let v = (f(w, 12, 12) << 9)
                | (f(w, 6, 6) << 4)
                | (f(w, 5, 5) << 6)
                | (f(w, 4, 3) << 7)
                | (f(w, 2, 2) << 5);
            (2, 2, 0, sext(v, 10))
        }
        Form::CShift => (p_hi, p_hi, 0, sh6),
        Form::CAndi => (p_hi, p_hi, 0, imm6),
        Form::CSlli => (r_hi, r_hi, 0, sh6),
        Form::CA => (p_hi, p_hi, p_lo, 0),
        Form::CJ => {
            let v = (f(w, 12, 12) << 11)
                | (f(w, 11, 11) << 4)
                | (f(w, 10, 9) << 8)
                | (f(w, 8, 8) << 10)
                | (f(w, 7, 7) << 6)
                | (f(w, 6, 6) << 7)
                | (f(w, 5, 3) << 1)
                | (f(w, 2, 2) << 5);
            (0, 0, 0, sext(v, 12))
        }
        Form::CB => {
            let v = (f(w, 12, 12) << 8)
                | (f(w, 11, 10) << 3)
                | (f(w, 6, 5) << 6)
                | (f(w, 4, 3) << 1)
                | (f(w, 2, 2) << 5);
            (0, p_hi, 0, sext(v, 9))
        }
        Form::CLwsp => {
            let v = (f(w, 12, 12) << 5) | (f(w, 6, 4) << 2) | (f(w, 3, 2) << 6);
            (r_hi, 2, 0, v as i64)
        }
        Form::CLdsp => {
            let v = (f(w, 12, 12) << 5) | (f(w, 6, 5) << 3) | (f(w, 4, 2) << 6);
            (r_hi, 2, 0, v as i64)
        }
        Form::CSwsp => {
            let v = (f(w, 12, 9) << 2) | (f(w, 8, 7) << 6);
            (0, 2, r_lo, v as i64)
        }
        Form::CSdsp => {
            let v = (f(w, 12, 10) << 3) | (f(w, 9, 7) << 6);
            (0, 2, r_lo, v as i64)
        }
        Form::CJr => (0, r_hi, 0, 0),
        Form::CJalr => (1, r_hi, 0, 0),
        Form::CMv => (r_hi, 0, r_lo, 0),
        Form::CAdd => (r_hi, r_hi, r_lo, 0),
        Form::CNone => (0, 0, 0, 0),
        _ => return None,
    };
    Some(Insn {
        op: row.op,
        rd,
        rs1,
        rs2,
        rs3: 0,
        rm: 0,
        aq: false,
        rl: false,
        csr: 0,
        imm,
        len: 2,
        raw: w,
        row,
    })
}

/// Finds a word that both rows accept, if any. Exact: it enumerates every
/// assignment of the bits that some exclusion looks at and neither base
/// pattern fixes (few, in practice).
pub fn overlap(a: &Row, b: &Row) -> Option<u32> {
    if (a.pat.bits ^ b.pat.bits) & a.pat.mask & b.pat.mask != 0 {
        return None;
    }
    let fixed = a.pat.mask | b.pat.mask;
    let base = a.pat.bits | b.pat.bits;
    let free = a
        .excl
        .iter()
        .chain(b.excl.iter())
        .fold(0u32, |m, e| m | e.pat.mask)
        & !fixed;
    // Walk every subset of `free` with the `(s - m) & m` trick.
    let mut sub = 0u32;
    loop {
        let w = base | sub;
        if a.matches(w) && b.matches(w) {
            return Some(w);
        }
        if sub == free {
            return None;
        }
        sub = (sub.wrapping_sub(free)) & free;
    }
}

/// Checks the tables' declarations: no two rows of one width accept the
/// same word; every row sits in the dispatch bucket its fixed bits select;
/// every `Why::Row` exclusion names a row of the same width whose pattern
/// covers the carved-out words; names are unique.
pub fn check_tables() -> Result<(), String> {
    let all32: Vec<&Row> = tables32().into_iter().flatten().collect();
    let all16: Vec<&Row> = tables16().into_iter().flatten().collect();
    for (rows, width) in [(&all32, 32u8), (&all16, 16u8)] {
        for (i, a) in rows.iter().enumerate() {
            if a.pat.width != width || a.excl.iter().any(|e| e.pat.width != width) {
                return Err(format!("{}: pattern width is not {width}", a.name));
            }
            let dispatch = if width == 32 { 0x7f } else { 0xe003 };
            if a.pat.mask & dispatch != dispatch {
                return Err(format!("{}: dispatch bits are not all fixed", a.name));
            }
            if width == 32 && a.pat.bits & 3 != 3 || width == 16 && a.pat.bits & 3 == 3 {
                return Err(format!("{}: length bits disagree with the width", a.name));
            }
            for e in a.excl {
                if let Why::Row(n) = e.why {
                    let Some(o) = rows.iter().find(|r| r.name == n) else {
                        return Err(format!("{}: exclusion names unknown row {n}", a.name));
                    };
                    // Carved-out words (pattern ∩ exclusion) must all lie in o's pattern.
                    let m = a.pat.mask | e.pat.mask;
                    let v = a.pat.bits | e.pat.bits;
                    if o.pat.mask & !m != 0 || (v ^ o.pat.bits) & o.pat.mask != 0 {
                        return Err(format!("{}: exclusion is not covered by {n}", a.name));
                    }
                }
            }
            for b in &rows[i + 1..] {
                if a.name == b.name {
                    return Err(format!("duplicate row name {}", a.name));
                }
                if let Some(w) = overlap(a, b) {
                    return Err(format!("{} and {} both match {w:#x}", a.name, b.name));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
