//! Guest RV64GC code → polyvm IR, one translation block at a time.
//!
//! ```text
//!  fetch ─► decode ─► insn_start pc ─► trans_<insn> ─► … ─► block end
//!                                        │ gen_arith / gen_load / gen_branch / gen_amo / gen_fp_*
//!                                        └ get_gpr / set_gpr / dst_gpr (x0 lives here only)
//! ```
//!
//! A block ends at a control transfer (`goto_tb 0/1` for direct targets,
//! `goto_ptr` for `jalr`), at `ecall`/`ebreak`/illegal instructions and
//! `fence.i` (`exit_tb` with an `EXIT_*` code), before an instruction that
//! would start on another 4 KiB page than the block's first byte, before one
//! that cannot be fetched, and after `max_insns` instructions.

use crate::cpu::*;
use crate::decode::{decode, insn_len, Insn, Op};
use crate::helpers::*;
use polyvm_ir::abi::{CodeFetch, Translated};
use polyvm_ir::{Builder, Cond, HelperDecl, MemOp, Opcode, Temp, Type};

const I64: Type = Type::I64;
const PAGE_MASK: u64 = !0xfff;
/// Upper half of a NaN-boxed single.
const BOX: u64 = 0xffff_ffff_0000_0000;
/// The canonical single NaN, boxed.
const BOXED_CANON_NAN: u64 = 0xffff_ffff_7fc0_0000;

/// Translation state for one block.
pub struct Ctx {
    pub b: Builder,
    /// pc of the instruction being translated.
    pc: u64,
    /// pc of the instruction after it.
    next: u64,
    /// Its raw encoding.
    raw: u32,
    /// Set by a translator that ended the block.
    ended: bool,
    /// `frm` is known valid (checked earlier in this block, not written since).
    frm_ok: bool,
}

impl Ctx {
    /// Reads integer register `r`: x0 is the constant 0.
    #[inline]
    fn get_gpr(&mut self, r: u8) -> Temp {
        if r == 0 {
            self.b.const_i64(0)
        } else {
            self.b.global(gpr_global(r))
        }
    }
    /// Writes integer register `r`: writes to x0 emit nothing.
    #[inline]
    fn set_gpr(&mut self, r: u8, v: Temp) {
        if r != 0 {
            let g = self.b.global(gpr_global(r));
            self.b.mov(I64, g, v);
        }
    }
    /// A temp an op may write register `r`'s new value into directly: the
    /// global, or a scratch temp for x0 (when the op must still run).
    #[inline]
    fn dst_gpr(&mut self, r: u8) -> Temp {
        if r == 0 {
            self.b.temp(I64)
        } else {
            self.b.global(gpr_global(r))
        }
    }
    #[inline]
    fn fpr(&self, r: u8) -> Temp {
        self.b.global(fpr_global(r))
    }
    #[inline]
    fn tmp(&mut self) -> Temp {
        self.b.temp(I64)
    }
    #[inline]
    fn k(&mut self, v: u64) -> Temp {
        self.b.const_i64(v)
    }
    #[inline]
    fn set_pc(&mut self, v: u64) {
        let pc = self.b.global(PC_GLOBAL);
        self.b.movi(I64, pc, v);
    }
    /// Leaves the block with an `EXIT_*` code, `pc` set to `pc`.
    fn exit(&mut self, pc: u64, code: u64) {
        self.set_pc(pc);
        self.b.exit_tb(code);
        self.ended = true;
    }
}

/// Translates the block at `pc` (see the module docs for where it ends).
pub fn translate(fetch: &dyn CodeFetch, pc: u64, max_insns: u32) -> Result<Translated, u64> {
    let mut c = Ctx {
        b: Builder::new(pc, I64, globals()),
        pc,
        next: pc,
        raw: 0,
        ended: false,
        frm_ok: false,
    };
    let max = max_insns.max(1);
    let mut n = 0u32;
    loop {
        if n > 0 && ((c.pc ^ pc) & PAGE_MASK != 0 || n >= max) {
            c.set_pc(c.pc);
            c.b.goto_tb(0);
            break;
        }
        let raw = match fetch_insn(fetch, c.pc) {
            Ok(raw) => raw,
            Err(addr) if n == 0 => return Err(addr),
            Err(_) => {
                c.set_pc(c.pc);
                c.b.goto_tb(0);
                break;
            }
        };
        c.raw = raw;
        c.next = c.pc.wrapping_add(insn_len(raw as u16) as u64);
        c.b.insn_start(c.pc);
        n += 1;
        let ok = match decode(raw) {
            Some(insn) => dispatch(&mut c, &insn),
            None => false,
        };
        if !ok {
            gen_illegal(&mut c);
        }
        c.pc = c.next;
        if c.ended {
            break;
        }
    }
    Ok(Translated {
        guest_size: c.pc.wrapping_sub(pc),
        insns: n,
        block: c.b.finish(),
    })
}

/// Fetches the instruction at `pc` (2 or 4 bytes); `Err` holds the address
/// that could not be read.
fn fetch_insn(fetch: &dyn CodeFetch, pc: u64) -> Result<u32, u64> {
    let mut buf = [0u8; 4];
    // Four bytes inside one page are mapped all or none: one fetch.
    if pc & 0xfff <= 0xffc && fetch.fetch(pc, &mut buf) {
        let w = u32::from_le_bytes(buf);
        return Ok(if w & 3 == 3 { w } else { w & 0xffff });
    }
    if !fetch.fetch(pc, &mut buf[..2]) {
        return Err(pc);
    }
    let lo = u16::from_le_bytes([buf[0], buf[1]]);
    if insn_len(lo) == 2 {
        return Ok(lo as u32);
    }
    let hi_addr = pc.wrapping_add(2);
    if !fetch.fetch(hi_addr, &mut buf[2..]) {
        return Err(hi_addr);
    }
    Ok(u32::from_le_bytes(buf))
}

/// Illegal or unimplemented: report the instruction, never guess.
fn gen_illegal(c: &mut Ctx) {
    let raw = c.k(c.raw as u64);
    c.b.st_env(I64, raw, OFF_BADINSN);
    c.exit(c.pc, EXIT_ILLEGAL);
}

// ---- shared generators --------------------------------------------------

/// `rd = rs1 op rs2`.
fn gen_arith(c: &mut Ctx, i: &Insn, op: Opcode) -> bool {
    if i.rd != 0 {
        let (a, b) = (c.get_gpr(i.rs1), c.get_gpr(i.rs2));
        let d = c.dst_gpr(i.rd);
        c.b.binop(op, I64, d, a, b);
    }
    true
}

/// `rd = rs1 op imm`.
fn gen_arith_imm(c: &mut Ctx, i: &Insn, op: Opcode) -> bool {
    if i.rd != 0 {
        let a = c.get_gpr(i.rs1);
        let d = c.dst_gpr(i.rd);
        c.b.binop_imm(op, I64, d, a, i.imm as u64);
    }
    true
}

/// `rd = ext32s(rs1 op rs2)`, operands first extended by `pre` if given.
fn gen_arith_w(c: &mut Ctx, i: &Insn, op: Opcode, pre: Option<Opcode>) -> bool {
    if i.rd != 0 {
        let (mut a, mut b) = (c.get_gpr(i.rs1), c.get_gpr(i.rs2));
        if let Some(ext) = pre {
            let (ea, eb) = (c.tmp(), c.tmp());
            c.b.unop(ext, I64, ea, a);
            c.b.unop(ext, I64, eb, b);
            (a, b) = (ea, eb);
        }
        let t = c.tmp();
        c.b.binop(op, I64, t, a, b);
        let d = c.dst_gpr(i.rd);
        c.b.unop(Opcode::Ext32S, I64, d, t);
    }
    true
}

/// `rd = ext32s(rs1 op imm)`.
fn gen_arith_imm_w(c: &mut Ctx, i: &Insn, op: Opcode) -> bool {
    if i.rd != 0 {
        let a = c.get_gpr(i.rs1);
        let t = c.tmp();
        c.b.binop_imm(op, I64, t, a, i.imm as u64);
        let d = c.dst_gpr(i.rd);
        c.b.unop(Opcode::Ext32S, I64, d, t);
    }
    true
}

/// 32-bit register shifts: the amount is rs2 mod 32; `pre` extends rs1.
fn gen_shift_w(c: &mut Ctx, i: &Insn, op: Opcode, pre: Option<Opcode>) -> bool {
    if i.rd != 0 {
        let (mut a, b) = (c.get_gpr(i.rs1), c.get_gpr(i.rs2));
        if let Some(ext) = pre {
            let t = c.tmp();
            c.b.unop(ext, I64, t, a);
            a = t;
        }
        let amt = c.tmp();
        c.b.binop_imm(Opcode::And, I64, amt, b, 31);
        let t = c.tmp();
        c.b.binop(op, I64, t, a, amt);
        let d = c.dst_gpr(i.rd);
        c.b.unop(Opcode::Ext32S, I64, d, t);
    }
    true
}

/// `rd = (rs1 cond rs2)` / `(rs1 cond imm)`.
fn gen_setcond(c: &mut Ctx, i: &Insn, cond: Cond, imm: bool) -> bool {
    if i.rd != 0 {
        let a = c.get_gpr(i.rs1);
        let b = if imm {
            c.k(i.imm as u64)
        } else {
            c.get_gpr(i.rs2)
        };
        let d = c.dst_gpr(i.rd);
        c.b.setcond(I64, cond, d, a, b);
    }
    true
}

fn gen_branch(c: &mut Ctx, i: &Insn, cond: Cond) -> bool {
    let (a, b) = (c.get_gpr(i.rs1), c.get_gpr(i.rs2));
    let not_taken = c.b.new_label();
    c.b.brcond(I64, cond.invert(), a, b, not_taken);
    c.set_pc(c.pc.wrapping_add(i.imm as u64));
    c.b.goto_tb(0);
    c.b.set_label(not_taken);
    c.set_pc(c.next);
    c.b.goto_tb(1);
    c.ended = true;
    true
}

/// rs1 + imm, as a temp (rs1 itself when imm is 0).
fn gen_addr(c: &mut Ctx, i: &Insn) -> Temp {
    let base = c.get_gpr(i.rs1);
    if i.imm == 0 {
        return base;
    }
    let t = c.tmp();
    c.b.binop_imm(Opcode::Add, I64, t, base, i.imm as u64);
    t
}

fn gen_load(c: &mut Ctx, i: &Insn, size: u32, signed: bool) -> bool {
    let addr = gen_addr(c, i);
    let d = c.dst_gpr(i.rd);
    c.b.qemu_ld(I64, d, addr, MemOp::le(size, signed), 0);
    true
}

fn gen_store(c: &mut Ctx, i: &Insn, size: u32) -> bool {
    let addr = gen_addr(c, i);
    let v = c.get_gpr(i.rs2);
    c.b.qemu_st(I64, v, addr, MemOp::le(size, false), 0);
    true
}

fn gen_fload(c: &mut Ctx, i: &Insn, size: u32) -> bool {
    let addr = gen_addr(c, i);
    let d = c.fpr(i.rd);
    if size == 8 {
        c.b.qemu_ld(I64, d, addr, MemOp::le(8, false), 0);
    } else {
        let t = c.tmp();
        c.b.qemu_ld(I64, t, addr, MemOp::le(4, false), 0);
        c.b.binop_imm(Opcode::Or, I64, d, t, BOX);
    }
    true
}

fn gen_fstore(c: &mut Ctx, i: &Insn, size: u32) -> bool {
    let addr = gen_addr(c, i);
    let v = c.fpr(i.rs2);
    c.b.qemu_st(I64, v, addr, MemOp::le(size, false), 0);
    true
}

fn gen_jal(c: &mut Ctx, i: &Insn) -> bool {
    if i.rd != 0 {
        let d = c.dst_gpr(i.rd);
        c.b.movi(I64, d, c.next);
    }
    c.set_pc(c.pc.wrapping_add(i.imm as u64));
    c.b.goto_tb(0);
    c.ended = true;
    true
}

fn gen_jalr(c: &mut Ctx, i: &Insn) -> bool {
    // The target first: rd may be rs1.
    let base = c.get_gpr(i.rs1);
    let t = c.tmp();
    c.b.binop_imm(Opcode::Add, I64, t, base, i.imm as u64);
    c.b.binop_imm(Opcode::And, I64, t, t, !1);
    let link = c.k(c.next);
    c.set_gpr(i.rd, link);
    let pc = c.b.global(PC_GLOBAL);
    c.b.mov(I64, pc, t);
    c.b.goto_ptr(t);
    c.ended = true;
    true
}

fn gen_fence(c: &mut Ctx, i: &Insn) -> bool {
    // pred = imm[7:4], succ = imm[3:0], each I O R W; device I/O folds
    // into reads and writes in user mode.
    let (pred, succ) = ((i.imm >> 4) & 0xf, i.imm & 0xf);
    let reads = |s: i64| s & 0b1010 != 0;
    let writes = |s: i64| s & 0b0101 != 0;
    let mut bits = 0;
    if reads(pred) && reads(succ) {
        bits |= MO_LD_LD;
    }
    if writes(pred) && reads(succ) {
        bits |= MO_ST_LD;
    }
    if reads(pred) && writes(succ) {
        bits |= MO_LD_ST;
    }
    if writes(pred) && writes(succ) {
        bits |= MO_ST_ST;
    }
    if bits != 0 {
        c.b.mb(bits);
    }
    true
}

/// What an AMO computes from the old memory value and rs2.
#[derive(Copy, Clone, PartialEq, Eq)]
enum Amo {
    Swap,
    Op(Opcode),
    /// Keep the old value when `old cond src` holds, else src.
    Pick(Cond),
}

/// AMO: load, op, store (with `mb` for aq/rl). `.w` sign-extends the old
/// value into rd; unsigned `.w` comparisons look at the low 32 bits only.
fn gen_amo(c: &mut Ctx, i: &Insn, size: u32, kind: Amo) -> bool {
    let mop = MemOp::le(size, true).with_align();
    let addr = c.get_gpr(i.rs1);
    let src = c.get_gpr(i.rs2);
    if i.rl {
        c.b.mb(MO_ALL);
    }
    let old = c.tmp();
    c.b.qemu_ld(I64, old, addr, mop, 0);
    let new = match kind {
        Amo::Swap => src,
        Amo::Op(op) => {
            let t = c.tmp();
            c.b.binop(op, I64, t, old, src);
            t
        }
        Amo::Pick(cond) => {
            let (mut a, mut b) = (old, src);
            if size == 4 {
                let ext = if matches!(cond, Cond::Lt | Cond::Gt) {
                    Opcode::Ext32S
                } else {
                    Opcode::Ext32U
                };
                let (ea, eb) = (c.tmp(), c.tmp());
                c.b.unop(ext, I64, ea, a);
                c.b.unop(ext, I64, eb, b);
                (a, b) = (ea, eb);
            }
            let t = c.tmp();
            c.b.movcond(I64, cond, t, a, b, a, b);
            t
        }
    };
    c.b.qemu_st(I64, new, addr, mop, 0);
    if i.aq {
        c.b.mb(MO_ALL);
    }
    c.set_gpr(i.rd, old);
    true
}

/// LR: load and record the reservation (address and value).
fn gen_lr(c: &mut Ctx, i: &Insn, size: u32) -> bool {
    let addr = c.get_gpr(i.rs1);
    if i.rl {
        c.b.mb(MO_ALL);
    }
    let v = c.tmp();
    c.b.qemu_ld(I64, v, addr, MemOp::le(size, true).with_align(), 0);
    c.b.st_env(I64, addr, OFF_RES_ADDR);
    c.b.st_env(I64, v, OFF_RES_VAL);
    if i.aq {
        c.b.mb(MO_ALL);
    }
    c.set_gpr(i.rd, v);
    true
}

/// SC: store only if the reservation is for this address and memory still
/// holds the value LR saw; rd = 0 on success, 1 on failure. The
/// reservation is always cleared.
fn gen_sc(c: &mut Ctx, i: &Insn, size: u32) -> bool {
    let mop = MemOp::le(size, true).with_align();
    let addr = c.get_gpr(i.rs1);
    let src = c.get_gpr(i.rs2);
    if i.rl {
        c.b.mb(MO_ALL);
    }
    let (fail, done) = (c.b.new_label(), c.b.new_label());
    let res = c.tmp();
    let ra = c.tmp();
    c.b.ld_env(I64, ra, OFF_RES_ADDR);
    c.b.brcond(I64, Cond::Ne, ra, addr, fail);
    let (cur, rv) = (c.tmp(), c.tmp());
    c.b.qemu_ld(I64, cur, addr, mop, 0);
    c.b.ld_env(I64, rv, OFF_RES_VAL);
    c.b.brcond(I64, Cond::Ne, cur, rv, fail);
    c.b.qemu_st(I64, src, addr, mop, 0);
    c.b.movi(I64, res, 0);
    c.b.br(done);
    c.b.set_label(fail);
    c.b.movi(I64, res, 1);
    c.b.set_label(done);
    let none = c.k(u64::MAX);
    c.b.st_env(I64, none, OFF_RES_ADDR);
    if i.aq {
        c.b.mb(MO_ALL);
    }
    c.set_gpr(i.rd, res);
    true
}

// ---- Zicsr ----------------------------------------------------------------

#[derive(Copy, Clone, PartialEq, Eq)]
enum CsrOp {
    Write,
    Set,
    Clear,
}

fn read_csr(c: &mut Ctx, csr: u16) -> Temp {
    let t = c.tmp();
    match csr {
        CSR_FFLAGS => c.b.ld_env(I64, t, OFF_FFLAGS),
        CSR_FRM => c.b.ld_env(I64, t, OFF_FRM),
        CSR_FCSR => {
            let (fl, rm) = (c.tmp(), c.tmp());
            c.b.ld_env(I64, fl, OFF_FFLAGS);
            c.b.ld_env(I64, rm, OFF_FRM);
            let hi = c.tmp();
            c.b.binop_imm(Opcode::Shl, I64, hi, rm, 5);
            c.b.binop(Opcode::Or, I64, t, hi, fl);
        }
        _ => {
            let n = c.k(csr as u64);
            c.b.call(&CSR_COUNTER, Some(t), &[n]);
        }
    }
    t
}

fn write_csr(c: &mut Ctx, csr: u16, v: Temp) {
    match csr {
        CSR_FFLAGS => {
            let t = c.tmp();
            c.b.binop_imm(Opcode::And, I64, t, v, 0x1f);
            c.b.st_env(I64, t, OFF_FFLAGS);
        }
        CSR_FRM => {
            let t = c.tmp();
            c.b.binop_imm(Opcode::And, I64, t, v, 7);
            c.b.st_env(I64, t, OFF_FRM);
            c.frm_ok = false;
        }
        _ => {
            // fcsr = frm[7:5] | fflags[4:0]
            let (fl, rm) = (c.tmp(), c.tmp());
            c.b.binop_imm(Opcode::And, I64, fl, v, 0x1f);
            c.b.extract(I64, rm, v, 5, 3);
            c.b.st_env(I64, fl, OFF_FFLAGS);
            c.b.st_env(I64, rm, OFF_FRM);
            c.frm_ok = false;
        }
    }
}

/// csrrw/csrrs/csrrc and the immediate forms. csrrw with rd = x0 does not
/// read; csrrs/csrrc with rs1 = x0 (or a zero immediate) do not write. Only
/// the user-level FP CSRs and the read-only counters exist; any other CSR,
/// or a write to a read-only one, is an illegal instruction.
fn gen_csr(c: &mut Ctx, i: &Insn, op: CsrOp, uimm: bool) -> bool {
    let csr = i.csr;
    if !matches!(
        csr,
        CSR_FFLAGS | CSR_FRM | CSR_FCSR | CSR_CYCLE | CSR_TIME | CSR_INSTRET
    ) {
        return false;
    }
    let src_zero = if uimm { i.imm == 0 } else { i.rs1 == 0 };
    let writes = op == CsrOp::Write || !src_zero;
    let reads = op != CsrOp::Write || i.rd != 0;
    // CSR numbers with the top two bits set are read-only.
    if writes && csr >> 10 == 3 {
        return false;
    }
    let src = if uimm {
        c.k(i.imm as u64)
    } else {
        c.get_gpr(i.rs1)
    };
    let old = if reads { Some(read_csr(c, csr)) } else { None };
    if writes {
        let new = match (op, old) {
            (CsrOp::Set, Some(o)) => {
                let t = c.tmp();
                c.b.binop(Opcode::Or, I64, t, o, src);
                t
            }
            (CsrOp::Clear, Some(o)) => {
                let t = c.tmp();
                c.b.binop(Opcode::AndC, I64, t, o, src);
                t
            }
            _ => src,
        };
        write_csr(c, csr, new);
    }
    if let Some(o) = old {
        c.set_gpr(i.rd, o);
    }
    true
}

// ---- F and D ------------------------------------------------------------------

/// The rounding-mode argument for an FP helper: the static `rm`, or 7
/// (dynamic) after checking once per block that `frm` holds a valid mode
/// (an invalid one makes the instruction illegal). `None`: reserved rm.
fn gen_fp_rm(c: &mut Ctx, i: &Insn) -> Option<Temp> {
    match i.rm {
        0..=4 => Some(c.k(i.rm as u64)),
        7 => {
            if !c.frm_ok {
                let frm = c.tmp();
                c.b.ld_env(I64, frm, OFF_FRM);
                let ok = c.b.new_label();
                let five = c.k(5);
                c.b.brcond(I64, Cond::Ltu, frm, five, ok);
                let raw = c.k(c.raw as u64);
                c.b.st_env(I64, raw, OFF_BADINSN);
                c.set_pc(c.pc);
                c.b.exit_tb(EXIT_ILLEGAL);
                c.b.set_label(ok);
                c.frm_ok = true;
            }
            Some(c.k(7))
        }
        _ => None,
    }
}

/// Which register file an FP helper's operand or result lives in.
#[derive(Copy, Clone, PartialEq, Eq)]
enum R {
    F,
    X,
}

/// Calls an FP helper: `srcs` are (file, register) operands; `rounding`
/// appends the rounding-mode argument; the result goes to rd in `dst`.
fn gen_fp(c: &mut Ctx, i: &Insn, h: &HelperDecl, srcs: &[(R, u8)], rounding: bool, dst: R) -> bool {
    let mut args = [Temp(0); 4];
    for (a, &(file, r)) in args.iter_mut().zip(srcs) {
        *a = match file {
            R::F => c.fpr(r),
            R::X => c.get_gpr(r),
        };
    }
    let mut n = srcs.len();
    if rounding {
        match gen_fp_rm(c, i) {
            Some(rm) => args[n] = rm,
            None => return false,
        }
        n += 1;
    }
    let d = match dst {
        R::F => c.fpr(i.rd),
        R::X => c.dst_gpr(i.rd),
    };
    c.b.call(h, Some(d), &args[..n]);
    true
}

/// rd = op(rs1, rs2) with rounding (fadd …).
fn gen_fp_bin(c: &mut Ctx, i: &Insn, h: &HelperDecl) -> bool {
    gen_fp(c, i, h, &[(R::F, i.rs1), (R::F, i.rs2)], true, R::F)
}

/// rd = ±(rs1 × rs2) ± rs3.
fn gen_fp_fma(c: &mut Ctx, i: &Insn, h: &HelperDecl) -> bool {
    gen_fp(
        c,
        i,
        h,
        &[(R::F, i.rs1), (R::F, i.rs2), (R::F, i.rs3)],
        true,
        R::F,
    )
}

/// One-operand op with rounding from file `src` to file `dst` (fsqrt, fcvt).
fn gen_fp_un(c: &mut Ctx, i: &Insn, h: &HelperDecl, src: R, dst: R) -> bool {
    gen_fp(c, i, h, &[(src, i.rs1)], true, dst)
}

/// fmin/fmax (to an FP register) and the comparisons (to an integer one).
fn gen_fp_nornd(c: &mut Ctx, i: &Insn, h: &HelperDecl, dst: R) -> bool {
    gen_fp(c, i, h, &[(R::F, i.rs1), (R::F, i.rs2)], false, dst)
}

fn gen_fclass(c: &mut Ctx, i: &Insn, h: &HelperDecl) -> bool {
    gen_fp(c, i, h, &[(R::F, i.rs1)], false, R::X)
}

/// Sign injection, inline. `bit` is the sign bit (31 or 63); singles are
/// unboxed first (an improperly boxed operand is the canonical NaN), which
/// leaves the result boxed.
#[derive(Copy, Clone, PartialEq, Eq)]
enum Sgnj {
    Copy,
    Neg,
    Xor,
}

fn gen_fsgnj(c: &mut Ctx, i: &Insn, kind: Sgnj, bit: u32) -> bool {
    let (mut a, mut b) = (c.fpr(i.rs1), c.fpr(i.rs2));
    if bit == 31 {
        let (lim, nan) = (c.k(BOX), c.k(BOXED_CANON_NAN));
        let (ua, ub) = (c.tmp(), c.tmp());
        c.b.movcond(I64, Cond::Geu, ua, a, lim, a, nan);
        c.b.movcond(I64, Cond::Geu, ub, b, lim, b, nan);
        (a, b) = (ua, ub);
    }
    let d = c.fpr(i.rd);
    match kind {
        Sgnj::Copy | Sgnj::Neg => {
            let s = c.tmp();
            if kind == Sgnj::Neg {
                c.b.unop(Opcode::Not, I64, s, b);
                c.b.binop_imm(Opcode::Shr, I64, s, s, bit as u64);
            } else {
                c.b.binop_imm(Opcode::Shr, I64, s, b, bit as u64);
            }
            c.b.deposit(I64, d, a, s, bit, 1);
        }
        Sgnj::Xor => {
            let s = c.tmp();
            c.b.binop_imm(Opcode::And, I64, s, b, 1 << bit);
            c.b.binop(Opcode::Xor, I64, d, a, s);
        }
    }
    true
}

/// fmv.x.w (sign-extends the low 32 bits) / fmv.x.d.
fn gen_fmv_x(c: &mut Ctx, i: &Insn, single: bool) -> bool {
    if i.rd != 0 {
        let s = c.fpr(i.rs1);
        let d = c.dst_gpr(i.rd);
        let op = if single { Opcode::Ext32S } else { Opcode::Mov };
        c.b.unop(op, I64, d, s);
    }
    true
}

/// fmv.w.x (NaN-boxes) / fmv.d.x.
fn gen_fmv_f(c: &mut Ctx, i: &Insn, single: bool) -> bool {
    let s = c.get_gpr(i.rs1);
    let d = c.fpr(i.rd);
    if single {
        let t = c.tmp();
        c.b.unop(Opcode::Ext32U, I64, t, s);
        c.b.binop_imm(Opcode::Or, I64, d, t, BOX);
    } else {
        c.b.mov(I64, d, s);
    }
    true
}

// ---- Zba / Zbb / Zbs -----------------------------------------------------

/// sh{n}add{.uw}: `rd = (zext32?(rs1) << n) + rs2`.
fn gen_shadd(c: &mut Ctx, i: &Insn, n: u64, uw: bool) -> bool {
    if i.rd != 0 {
        let (mut a, b) = (c.get_gpr(i.rs1), c.get_gpr(i.rs2));
        if uw {
            let t = c.tmp();
            c.b.unop(Opcode::Ext32U, I64, t, a);
            a = t;
        }
        if n != 0 {
            let t = c.tmp();
            c.b.binop_imm(Opcode::Shl, I64, t, a, n);
            a = t;
        }
        let d = c.dst_gpr(i.rd);
        c.b.binop(Opcode::Add, I64, d, a, b);
    }
    true
}

/// orn / xnor: `rd = rs1 op !rs2` (`a ^ !b == !(a ^ b)`).
fn gen_arith_not2(c: &mut Ctx, i: &Insn, op: Opcode) -> bool {
    if i.rd != 0 {
        let (a, b) = (c.get_gpr(i.rs1), c.get_gpr(i.rs2));
        let nb = c.tmp();
        c.b.unop(Opcode::Not, I64, nb, b);
        let d = c.dst_gpr(i.rd);
        c.b.binop(op, I64, d, a, nb);
    }
    true
}

/// `rd = op(rs1)`.
fn gen_unary(c: &mut Ctx, i: &Insn, op: Opcode) -> bool {
    if i.rd != 0 {
        let a = c.get_gpr(i.rs1);
        let d = c.dst_gpr(i.rd);
        c.b.unop(op, I64, d, a);
    }
    true
}

/// clzw / ctzw / cpopw: counts over rs1[31:0] (32 for clzw/ctzw of zero).
fn gen_count_w(c: &mut Ctx, i: &Insn, op: Opcode) -> bool {
    if i.rd != 0 {
        let a = c.get_gpr(i.rs1);
        let t = c.tmp();
        match op {
            // A set bit 32 stops the count at 32.
            Opcode::Ctz => c.b.binop_imm(Opcode::Or, I64, t, a, 1 << 32),
            _ => c.b.unop(Opcode::Ext32U, I64, t, a),
        }
        let d = c.dst_gpr(i.rd);
        if op == Opcode::Clz {
            // The 64-bit count sees 32 extra zeros above the word.
            let n = c.tmp();
            c.b.unop(op, I64, n, t);
            c.b.binop_imm(Opcode::Sub, I64, d, n, 32);
        } else {
            c.b.unop(op, I64, d, t);
        }
    }
    true
}

/// min/max{u}: `rd = (rs1 cond rs2) ? rs1 : rs2`.
fn gen_minmax(c: &mut Ctx, i: &Insn, cond: Cond) -> bool {
    if i.rd != 0 {
        let (a, b) = (c.get_gpr(i.rs1), c.get_gpr(i.rs2));
        let d = c.dst_gpr(i.rd);
        c.b.movcond(I64, cond, d, a, b, a, b);
    }
    true
}

/// rolw / rorw / roriw: rotate rs1[31:0], sign-extend. The word is copied
/// into both halves, so a 64-bit rotation by `n` (mod 64) leaves the 32-bit
/// rotation by `n mod 32` in the low half: no masking of the amount.
fn gen_rot_w(c: &mut Ctx, i: &Insn, op: Opcode, imm: bool) -> bool {
    if i.rd != 0 {
        let a = c.get_gpr(i.rs1);
        let dup = c.tmp();
        c.b.deposit(I64, dup, a, a, 32, 32);
        let t = c.tmp();
        if imm {
            c.b.binop_imm(op, I64, t, dup, i.imm as u64);
        } else {
            let n = c.get_gpr(i.rs2);
            c.b.binop(op, I64, t, dup, n);
        }
        let d = c.dst_gpr(i.rd);
        c.b.unop(Opcode::Ext32S, I64, d, t);
    }
    true
}

/// orc.b: each byte becomes 0xff if it has any bit set, else 0. Folding
/// `x | x >> 4 | x >> 2 | x >> 1` leaves the OR of each byte in its bit 0
/// (bits shifted in from the next byte land only above bit 0); multiplying
/// the isolated bit-0s by 0xff cannot carry between bytes.
fn gen_orc_b(c: &mut Ctx, i: &Insn) -> bool {
    if i.rd != 0 {
        let mut v = c.get_gpr(i.rs1);
        for sh in [4, 2, 1] {
            let (s, o) = (c.tmp(), c.tmp());
            c.b.binop_imm(Opcode::Shr, I64, s, v, sh);
            c.b.binop(Opcode::Or, I64, o, v, s);
            v = o;
        }
        let lsb = c.tmp();
        c.b.binop_imm(Opcode::And, I64, lsb, v, 0x0101_0101_0101_0101);
        let d = c.dst_gpr(i.rd);
        c.b.binop_imm(Opcode::Mul, I64, d, lsb, 0xff);
    }
    true
}

/// rev8: byte swap. Swap adjacent bytes, then adjacent half-words, then
/// the two words (a rotation by 32).
fn gen_rev8(c: &mut Ctx, i: &Insn) -> bool {
    if i.rd != 0 {
        let mut v = c.get_gpr(i.rs1);
        for (sh, mask) in [(8, 0x00ff_00ff_00ff_00ffu64), (16, 0x0000_ffff_0000_ffff)] {
            let (hi, lo) = (c.tmp(), c.tmp());
            c.b.binop_imm(Opcode::Shr, I64, hi, v, sh);
            c.b.binop_imm(Opcode::And, I64, hi, hi, mask);
            c.b.binop_imm(Opcode::And, I64, lo, v, mask);
            c.b.binop_imm(Opcode::Shl, I64, lo, lo, sh);
            let o = c.tmp();
            c.b.binop(Opcode::Or, I64, o, hi, lo);
            v = o;
        }
        let d = c.dst_gpr(i.rd);
        c.b.binop_imm(Opcode::Rotl, I64, d, v, 32);
    }
    true
}

/// What a single-bit instruction does with bit `index` of rs1.
#[derive(Copy, Clone, PartialEq, Eq)]
enum Bit {
    Clear,
    Ext,
    Inv,
    Set,
}

/// bclr/bext/binv/bset: the index is rs2 mod 64 (IR shifts take the amount
/// mod 64 too).
fn gen_bit(c: &mut Ctx, i: &Insn, kind: Bit) -> bool {
    if i.rd != 0 {
        let (a, n) = (c.get_gpr(i.rs1), c.get_gpr(i.rs2));
        let d = c.dst_gpr(i.rd);
        if kind == Bit::Ext {
            let t = c.tmp();
            c.b.binop(Opcode::Shr, I64, t, a, n);
            c.b.binop_imm(Opcode::And, I64, d, t, 1);
            return true;
        }
        let one = c.k(1);
        let m = c.tmp();
        c.b.binop(Opcode::Shl, I64, m, one, n);
        let op = match kind {
            Bit::Clear => Opcode::AndC,
            Bit::Inv => Opcode::Xor,
            _ => Opcode::Or,
        };
        c.b.binop(op, I64, d, a, m);
    }
    true
}

/// bclri/bexti/binvi/bseti: the mask is a constant.
fn gen_bit_imm(c: &mut Ctx, i: &Insn, kind: Bit) -> bool {
    if i.rd != 0 {
        let a = c.get_gpr(i.rs1);
        let d = c.dst_gpr(i.rd);
        let bit = 1u64 << (i.imm & 63);
        match kind {
            Bit::Clear => c.b.binop_imm(Opcode::And, I64, d, a, !bit),
            Bit::Ext => c.b.extract(I64, d, a, (i.imm & 63) as u32, 1),
            Bit::Inv => c.b.binop_imm(Opcode::Xor, I64, d, a, bit),
            Bit::Set => c.b.binop_imm(Opcode::Or, I64, d, a, bit),
        }
    }
    true
}

// ---- the translators ------------------------------------------------------

/// Declares one `trans_<insn>` per op and the dispatch over all of them (the
/// match is exhaustive, so every decoded op has a translator).
macro_rules! translators {
    ($($op:ident => $name:ident($c:ident, $i:ident) $body:expr;)*) => {
        $(
            #[inline]
            fn $name($c: &mut Ctx, $i: &Insn) -> bool {
                $body
            }
        )*
        /// Translates one decoded instruction; false means illegal.
        fn dispatch(c: &mut Ctx, i: &Insn) -> bool {
            match i.op {
                $(Op::$op => $name(c, i),)*
            }
        }
    };
}

use Opcode as O;

translators! {
    Lui => trans_lui(c, i) {
        if i.rd != 0 {
            let d = c.dst_gpr(i.rd);
            c.b.movi(I64, d, i.imm as u64);
        }
        true
    };
    Auipc => trans_auipc(c, i) {
        if i.rd != 0 {
            let d = c.dst_gpr(i.rd);
            c.b.movi(I64, d, c.pc.wrapping_add(i.imm as u64));
        }
        true
    };
    Jal => trans_jal(c, i) gen_jal(c, i);
    Jalr => trans_jalr(c, i) gen_jalr(c, i);
    Beq => trans_beq(c, i) gen_branch(c, i, Cond::Eq);
    Bne => trans_bne(c, i) gen_branch(c, i, Cond::Ne);
    Blt => trans_blt(c, i) gen_branch(c, i, Cond::Lt);
    Bge => trans_bge(c, i) gen_branch(c, i, Cond::Ge);
    Bltu => trans_bltu(c, i) gen_branch(c, i, Cond::Ltu);
    Bgeu => trans_bgeu(c, i) gen_branch(c, i, Cond::Geu);
    Lb => trans_lb(c, i) gen_load(c, i, 1, true);
    Lh => trans_lh(c, i) gen_load(c, i, 2, true);
    Lw => trans_lw(c, i) gen_load(c, i, 4, true);
    Ld => trans_ld(c, i) gen_load(c, i, 8, false);
    Lbu => trans_lbu(c, i) gen_load(c, i, 1, false);
    Lhu => trans_lhu(c, i) gen_load(c, i, 2, false);
    Lwu => trans_lwu(c, i) gen_load(c, i, 4, false);
    Sb => trans_sb(c, i) gen_store(c, i, 1);
    Sh => trans_sh(c, i) gen_store(c, i, 2);
    Sw => trans_sw(c, i) gen_store(c, i, 4);
    Sd => trans_sd(c, i) gen_store(c, i, 8);
    Addi => trans_addi(c, i) {
        if i.rs1 == 0 && i.rd != 0 {
            // li: the common idiom, no add of a zero constant.
            let d = c.dst_gpr(i.rd);
            c.b.movi(I64, d, i.imm as u64);
            return true;
        }
        gen_arith_imm(c, i, O::Add)
    };
    Slti => trans_slti(c, i) gen_setcond(c, i, Cond::Lt, true);
    Sltiu => trans_sltiu(c, i) gen_setcond(c, i, Cond::Ltu, true);
    Xori => trans_xori(c, i) gen_arith_imm(c, i, O::Xor);
    Ori => trans_ori(c, i) gen_arith_imm(c, i, O::Or);
    Andi => trans_andi(c, i) gen_arith_imm(c, i, O::And);
    Slli => trans_slli(c, i) gen_arith_imm(c, i, O::Shl);
    Srli => trans_srli(c, i) gen_arith_imm(c, i, O::Shr);
    Srai => trans_srai(c, i) gen_arith_imm(c, i, O::Sar);
    Add => trans_add(c, i) gen_arith(c, i, O::Add);
    Sub => trans_sub(c, i) gen_arith(c, i, O::Sub);
    Sll => trans_sll(c, i) gen_arith(c, i, O::Shl);
    Slt => trans_slt(c, i) gen_setcond(c, i, Cond::Lt, false);
    Sltu => trans_sltu(c, i) gen_setcond(c, i, Cond::Ltu, false);
    Xor => trans_xor(c, i) gen_arith(c, i, O::Xor);
    Srl => trans_srl(c, i) gen_arith(c, i, O::Shr);
    Sra => trans_sra(c, i) gen_arith(c, i, O::Sar);
    Or => trans_or(c, i) gen_arith(c, i, O::Or);
    And => trans_and(c, i) gen_arith(c, i, O::And);
    Addiw => trans_addiw(c, i) gen_arith_imm_w(c, i, O::Add);
    Slliw => trans_slliw(c, i) gen_arith_imm_w(c, i, O::Shl);
    Srliw => trans_srliw(c, i) {
        if i.rd != 0 {
            let (a, t) = (c.get_gpr(i.rs1), c.tmp());
            c.b.extract(I64, t, a, i.imm as u32, 32 - i.imm as u32);
            let d = c.dst_gpr(i.rd);
            c.b.unop(O::Ext32S, I64, d, t);
        }
        true
    };
    Sraiw => trans_sraiw(c, i) {
        if i.rd != 0 {
            let a = c.get_gpr(i.rs1);
            let d = c.dst_gpr(i.rd);
            c.b.sextract(I64, d, a, i.imm as u32, 32 - i.imm as u32);
        }
        true
    };
    Addw => trans_addw(c, i) gen_arith_w(c, i, O::Add, None);
    Subw => trans_subw(c, i) gen_arith_w(c, i, O::Sub, None);
    Sllw => trans_sllw(c, i) gen_shift_w(c, i, O::Shl, None);
    Srlw => trans_srlw(c, i) gen_shift_w(c, i, O::Shr, Some(O::Ext32U));
    Sraw => trans_sraw(c, i) gen_shift_w(c, i, O::Sar, Some(O::Ext32S));
    Fence => trans_fence(c, i) gen_fence(c, i);
    Ecall => trans_ecall(c, _i) { c.exit(c.pc, EXIT_ECALL); true };
    Ebreak => trans_ebreak(c, _i) { c.exit(c.pc, EXIT_EBREAK); true };
    FenceI => trans_fence_i(c, _i) { c.exit(c.next, EXIT_FENCE_I); true };
    Csrrw => trans_csrrw(c, i) gen_csr(c, i, CsrOp::Write, false);
    Csrrs => trans_csrrs(c, i) gen_csr(c, i, CsrOp::Set, false);
    Csrrc => trans_csrrc(c, i) gen_csr(c, i, CsrOp::Clear, false);
    Csrrwi => trans_csrrwi(c, i) gen_csr(c, i, CsrOp::Write, true);
    Csrrsi => trans_csrrsi(c, i) gen_csr(c, i, CsrOp::Set, true);
    Csrrci => trans_csrrci(c, i) gen_csr(c, i, CsrOp::Clear, true);
    Mul => trans_mul(c, i) gen_arith(c, i, O::Mul);
    Mulh => trans_mulh(c, i) gen_arith(c, i, O::MulSH);
    Mulhsu => trans_mulhsu(c, i) gen_arith(c, i, O::MulSUH);
    Mulhu => trans_mulhu(c, i) gen_arith(c, i, O::MulUH);
    Div => trans_div(c, i) gen_arith(c, i, O::DivS);
    Divu => trans_divu(c, i) gen_arith(c, i, O::DivU);
    Rem => trans_rem(c, i) gen_arith(c, i, O::RemS);
    Remu => trans_remu(c, i) gen_arith(c, i, O::RemU);
    Mulw => trans_mulw(c, i) gen_arith_w(c, i, O::Mul, None);
    Divw => trans_divw(c, i) gen_arith_w(c, i, O::DivS, Some(O::Ext32S));
    Divuw => trans_divuw(c, i) gen_arith_w(c, i, O::DivU, Some(O::Ext32U));
    Remw => trans_remw(c, i) gen_arith_w(c, i, O::RemS, Some(O::Ext32S));
    Remuw => trans_remuw(c, i) gen_arith_w(c, i, O::RemU, Some(O::Ext32U));
    LrW => trans_lr_w(c, i) gen_lr(c, i, 4);
    ScW => trans_sc_w(c, i) gen_sc(c, i, 4);
    AmoswapW => trans_amoswap_w(c, i) gen_amo(c, i, 4, Amo::Swap);
    AmoaddW => trans_amoadd_w(c, i) gen_amo(c, i, 4, Amo::Op(O::Add));
    AmoxorW => trans_amoxor_w(c, i) gen_amo(c, i, 4, Amo::Op(O::Xor));
    AmoandW => trans_amoand_w(c, i) gen_amo(c, i, 4, Amo::Op(O::And));
    AmoorW => trans_amoor_w(c, i) gen_amo(c, i, 4, Amo::Op(O::Or));
    AmominW => trans_amomin_w(c, i) gen_amo(c, i, 4, Amo::Pick(Cond::Lt));
    AmomaxW => trans_amomax_w(c, i) gen_amo(c, i, 4, Amo::Pick(Cond::Gt));
    AmominuW => trans_amominu_w(c, i) gen_amo(c, i, 4, Amo::Pick(Cond::Ltu));
    AmomaxuW => trans_amomaxu_w(c, i) gen_amo(c, i, 4, Amo::Pick(Cond::Gtu));
    LrD => trans_lr_d(c, i) gen_lr(c, i, 8);
    ScD => trans_sc_d(c, i) gen_sc(c, i, 8);
    AmoswapD => trans_amoswap_d(c, i) gen_amo(c, i, 8, Amo::Swap);
    AmoaddD => trans_amoadd_d(c, i) gen_amo(c, i, 8, Amo::Op(O::Add));
    AmoxorD => trans_amoxor_d(c, i) gen_amo(c, i, 8, Amo::Op(O::Xor));
    AmoandD => trans_amoand_d(c, i) gen_amo(c, i, 8, Amo::Op(O::And));
    AmoorD => trans_amoor_d(c, i) gen_amo(c, i, 8, Amo::Op(O::Or));
    AmominD => trans_amomin_d(c, i) gen_amo(c, i, 8, Amo::Pick(Cond::Lt));
    AmomaxD => trans_amomax_d(c, i) gen_amo(c, i, 8, Amo::Pick(Cond::Gt));
    AmominuD => trans_amominu_d(c, i) gen_amo(c, i, 8, Amo::Pick(Cond::Ltu));
    AmomaxuD => trans_amomaxu_d(c, i) gen_amo(c, i, 8, Amo::Pick(Cond::Gtu));
    Flw => trans_flw(c, i) gen_fload(c, i, 4);
    Fsw => trans_fsw(c, i) gen_fstore(c, i, 4);
    FmaddS => trans_fmadd_s(c, i) gen_fp_fma(c, i, &FMADD_S);
    FmsubS => trans_fmsub_s(c, i) gen_fp_fma(c, i, &FMSUB_S);
    FnmsubS => trans_fnmsub_s(c, i) gen_fp_fma(c, i, &FNMSUB_S);
    FnmaddS => trans_fnmadd_s(c, i) gen_fp_fma(c, i, &FNMADD_S);
    FaddS => trans_fadd_s(c, i) gen_fp_bin(c, i, &FADD_S);
    FsubS => trans_fsub_s(c, i) gen_fp_bin(c, i, &FSUB_S);
    FmulS => trans_fmul_s(c, i) gen_fp_bin(c, i, &FMUL_S);
    FdivS => trans_fdiv_s(c, i) gen_fp_bin(c, i, &FDIV_S);
    FsqrtS => trans_fsqrt_s(c, i) gen_fp_un(c, i, &FSQRT_S, R::F, R::F);
    FsgnjS => trans_fsgnj_s(c, i) gen_fsgnj(c, i, Sgnj::Copy, 31);
    FsgnjnS => trans_fsgnjn_s(c, i) gen_fsgnj(c, i, Sgnj::Neg, 31);
    FsgnjxS => trans_fsgnjx_s(c, i) gen_fsgnj(c, i, Sgnj::Xor, 31);
    FminS => trans_fmin_s(c, i) gen_fp_nornd(c, i, &FMIN_S, R::F);
    FmaxS => trans_fmax_s(c, i) gen_fp_nornd(c, i, &FMAX_S, R::F);
    FcvtWS => trans_fcvt_w_s(c, i) gen_fp_un(c, i, &FCVT_W_S, R::F, R::X);
    FcvtWuS => trans_fcvt_wu_s(c, i) gen_fp_un(c, i, &FCVT_WU_S, R::F, R::X);
    FcvtLS => trans_fcvt_l_s(c, i) gen_fp_un(c, i, &FCVT_L_S, R::F, R::X);
    FcvtLuS => trans_fcvt_lu_s(c, i) gen_fp_un(c, i, &FCVT_LU_S, R::F, R::X);
    FmvXW => trans_fmv_x_w(c, i) gen_fmv_x(c, i, true);
    FeqS => trans_feq_s(c, i) gen_fp_nornd(c, i, &FEQ_S, R::X);
    FltS => trans_flt_s(c, i) gen_fp_nornd(c, i, &FLT_S, R::X);
    FleS => trans_fle_s(c, i) gen_fp_nornd(c, i, &FLE_S, R::X);
    FclassS => trans_fclass_s(c, i) gen_fclass(c, i, &FCLASS_S);
    FcvtSW => trans_fcvt_s_w(c, i) gen_fp_un(c, i, &FCVT_S_W, R::X, R::F);
    FcvtSWu => trans_fcvt_s_wu(c, i) gen_fp_un(c, i, &FCVT_S_WU, R::X, R::F);
    FcvtSL => trans_fcvt_s_l(c, i) gen_fp_un(c, i, &FCVT_S_L, R::X, R::F);
    FcvtSLu => trans_fcvt_s_lu(c, i) gen_fp_un(c, i, &FCVT_S_LU, R::X, R::F);
    FmvWX => trans_fmv_w_x(c, i) gen_fmv_f(c, i, true);
    Fld => trans_fld(c, i) gen_fload(c, i, 8);
    Fsd => trans_fsd(c, i) gen_fstore(c, i, 8);
    FmaddD => trans_fmadd_d(c, i) gen_fp_fma(c, i, &FMADD_D);
    FmsubD => trans_fmsub_d(c, i) gen_fp_fma(c, i, &FMSUB_D);
    FnmsubD => trans_fnmsub_d(c, i) gen_fp_fma(c, i, &FNMSUB_D);
    FnmaddD => trans_fnmadd_d(c, i) gen_fp_fma(c, i, &FNMADD_D);
    FaddD => trans_fadd_d(c, i) gen_fp_bin(c, i, &FADD_D);
    FsubD => trans_fsub_d(c, i) gen_fp_bin(c, i, &FSUB_D);
    FmulD => trans_fmul_d(c, i) gen_fp_bin(c, i, &FMUL_D);
    FdivD => trans_fdiv_d(c, i) gen_fp_bin(c, i, &FDIV_D);
    FsqrtD => trans_fsqrt_d(c, i) gen_fp_un(c, i, &FSQRT_D, R::F, R::F);
    FsgnjD => trans_fsgnj_d(c, i) gen_fsgnj(c, i, Sgnj::Copy, 63);
    FsgnjnD => trans_fsgnjn_d(c, i) gen_fsgnj(c, i, Sgnj::Neg, 63);
    FsgnjxD => trans_fsgnjx_d(c, i) gen_fsgnj(c, i, Sgnj::Xor, 63);
    FminD => trans_fmin_d(c, i) gen_fp_nornd(c, i, &FMIN_D, R::F);
    FmaxD => trans_fmax_d(c, i) gen_fp_nornd(c, i, &FMAX_D, R::F);
    FcvtSD => trans_fcvt_s_d(c, i) gen_fp_un(c, i, &FCVT_S_D, R::F, R::F);
    FcvtDS => trans_fcvt_d_s(c, i) gen_fp_un(c, i, &FCVT_D_S, R::F, R::F);
    FcvtWD => trans_fcvt_w_d(c, i) gen_fp_un(c, i, &FCVT_W_D, R::F, R::X);
    FcvtWuD => trans_fcvt_wu_d(c, i) gen_fp_un(c, i, &FCVT_WU_D, R::F, R::X);
    FcvtLD => trans_fcvt_l_d(c, i) gen_fp_un(c, i, &FCVT_L_D, R::F, R::X);
    FcvtLuD => trans_fcvt_lu_d(c, i) gen_fp_un(c, i, &FCVT_LU_D, R::F, R::X);
    FmvXD => trans_fmv_x_d(c, i) gen_fmv_x(c, i, false);
    FeqD => trans_feq_d(c, i) gen_fp_nornd(c, i, &FEQ_D, R::X);
    FltD => trans_flt_d(c, i) gen_fp_nornd(c, i, &FLT_D, R::X);
    FleD => trans_fle_d(c, i) gen_fp_nornd(c, i, &FLE_D, R::X);
    FclassD => trans_fclass_d(c, i) gen_fclass(c, i, &FCLASS_D);
    FcvtDW => trans_fcvt_d_w(c, i) gen_fp_un(c, i, &FCVT_D_W, R::X, R::F);
    FcvtDWu => trans_fcvt_d_wu(c, i) gen_fp_un(c, i, &FCVT_D_WU, R::X, R::F);
    FcvtDL => trans_fcvt_d_l(c, i) gen_fp_un(c, i, &FCVT_D_L, R::X, R::F);
    FcvtDLu => trans_fcvt_d_lu(c, i) gen_fp_un(c, i, &FCVT_D_LU, R::X, R::F);
    FmvDX => trans_fmv_d_x(c, i) gen_fmv_f(c, i, false);
    Sh1add => trans_sh1add(c, i) gen_shadd(c, i, 1, false);
    Sh2add => trans_sh2add(c, i) gen_shadd(c, i, 2, false);
    Sh3add => trans_sh3add(c, i) gen_shadd(c, i, 3, false);
    AddUw => trans_add_uw(c, i) gen_shadd(c, i, 0, true);
    Sh1addUw => trans_sh1add_uw(c, i) gen_shadd(c, i, 1, true);
    Sh2addUw => trans_sh2add_uw(c, i) gen_shadd(c, i, 2, true);
    Sh3addUw => trans_sh3add_uw(c, i) gen_shadd(c, i, 3, true);
    SlliUw => trans_slli_uw(c, i) {
        if i.rd != 0 {
            let (a, t) = (c.get_gpr(i.rs1), c.tmp());
            c.b.unop(O::Ext32U, I64, t, a);
            let d = c.dst_gpr(i.rd);
            c.b.binop_imm(O::Shl, I64, d, t, i.imm as u64);
        }
        true
    };
    Andn => trans_andn(c, i) gen_arith(c, i, O::AndC);
    Orn => trans_orn(c, i) gen_arith_not2(c, i, O::Or);
    Xnor => trans_xnor(c, i) gen_arith_not2(c, i, O::Xor);
    Clz => trans_clz(c, i) gen_unary(c, i, O::Clz);
    Clzw => trans_clzw(c, i) gen_count_w(c, i, O::Clz);
    Ctz => trans_ctz(c, i) gen_unary(c, i, O::Ctz);
    Ctzw => trans_ctzw(c, i) gen_count_w(c, i, O::Ctz);
    Cpop => trans_cpop(c, i) gen_unary(c, i, O::Ctpop);
    Cpopw => trans_cpopw(c, i) gen_count_w(c, i, O::Ctpop);
    Max => trans_max(c, i) gen_minmax(c, i, Cond::Gt);
    Maxu => trans_maxu(c, i) gen_minmax(c, i, Cond::Gtu);
    Min => trans_min(c, i) gen_minmax(c, i, Cond::Lt);
    Minu => trans_minu(c, i) gen_minmax(c, i, Cond::Ltu);
    SextB => trans_sext_b(c, i) gen_unary(c, i, O::Ext8S);
    SextH => trans_sext_h(c, i) gen_unary(c, i, O::Ext16S);
    ZextH => trans_zext_h(c, i) gen_unary(c, i, O::Ext16U);
    Rol => trans_rol(c, i) gen_arith(c, i, O::Rotl);
    Rolw => trans_rolw(c, i) gen_rot_w(c, i, O::Rotl, false);
    Ror => trans_ror(c, i) gen_arith(c, i, O::Rotr);
    Rori => trans_rori(c, i) gen_arith_imm(c, i, O::Rotr);
    Roriw => trans_roriw(c, i) gen_rot_w(c, i, O::Rotr, true);
    Rorw => trans_rorw(c, i) gen_rot_w(c, i, O::Rotr, false);
    OrcB => trans_orc_b(c, i) gen_orc_b(c, i);
    Rev8 => trans_rev8(c, i) gen_rev8(c, i);
    Bclr => trans_bclr(c, i) gen_bit(c, i, Bit::Clear);
    Bclri => trans_bclri(c, i) gen_bit_imm(c, i, Bit::Clear);
    Bext => trans_bext(c, i) gen_bit(c, i, Bit::Ext);
    Bexti => trans_bexti(c, i) gen_bit_imm(c, i, Bit::Ext);
    Binv => trans_binv(c, i) gen_bit(c, i, Bit::Inv);
    Binvi => trans_binvi(c, i) gen_bit_imm(c, i, Bit::Inv);
    Bset => trans_bset(c, i) gen_bit(c, i, Bit::Set);
    Bseti => trans_bseti(c, i) gen_bit_imm(c, i, Bit::Set);
}

#[cfg(test)]
mod tests;
