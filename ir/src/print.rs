//! The IR's text form: what `-d op` logs and file tests are written in.
//!
//! [`parse`](crate::parse::parse) reads back exactly what this module
//! writes. The grammar, one item per line, `;` starting a comment:
//!
//! ```text
//! block pc=0x10078 addr=i64 [labels=N]     header; labels= only when not max label + 1
//!   global x1: i64 @ 8                     guest registers, in index order, before anything else
//!   helper fadd_d(3) -> i64 reads_globals  name(nargs) [-> type] [reads_globals] [writes_globals] [pure]
//!   temp t0: i64                           block-local temps, in index order
//!   insn_start 0x10078                     instructions, one per line:
//!   add.i64 x5, x6, 12                       op[.type] outputs, [cond|helper], inputs, [other consts]
//!   qemu_ld.i64 t0, x2, i32s.le.al, 0
//!   brcond.i64 ltu, x5, t0, L0
//!   call.i64 t0, fadd_d, x10, x11, 7
//!   set_label L0
//!   goto_tb 0
//! ```
//!
//! Spelling rules:
//! - The `.type` suffix is left out only when it is `i64` and the op has no
//!   typed temps (`set_label`, `goto_tb`, a `call` without a result …).
//! - Constant temps print inline as literals: signed decimal when within
//!   ±4096, otherwise the type-truncated value in hex. The operand position
//!   decides a literal's type (the op type, the block's address type for
//!   guest addresses, `i64` for helper arguments); a constant of another type
//!   carries a suffix, `5:i32`.
//! - Constant arguments follow the op table's kinds: conditions by name
//!   (`eq` … `gtu`, `always`, `never`), memops as `i<bits>[s].<le|be>[.al]`,
//!   labels as `L<n>`, helpers by name, offsets and immediates as numbers
//!   (decimal up to 4096, hex above; `insn_start` always hex). An
//!   out-of-range condition, memop or helper prints raw as `#<n>` so that
//!   invalid blocks still print (the verifier quotes them in its errors).
//! - Locals are named `t<k>`, `k` counting locals in temp order; if a global
//!   or helper already has such a name, the prefix grows underscores (`t_0`).
//! - Global and helper names must be identifiers (`[A-Za-z_][A-Za-z0-9_.]*`).

use crate::{Block, Cond, ConstKind, Inst, Opcode, Temp, TempKind, Type, TypeRule, MAX_TEMPS};
use std::borrow::Cow;
use std::fmt::{self, Display, Formatter, Write};

/// Literals up to this magnitude print in decimal.
const DECIMAL_LIMIT: u64 = 4096;

impl Display for Block {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let names = Names::for_block(self);
        write_header(f, self)?;
        for g in self.globals.iter() {
            f.write_str("  global ")?;
            f.write_str(&g.name)?;
            write!(f, ": {} @ ", g.ty.name())?;
            write_uimm(f, g.offset as u64)?;
            f.write_char('\n')?;
        }
        for h in &self.helpers {
            write!(f, "  helper {}({})", h.name, h.nargs)?;
            if let Some(t) = h.ret {
                write!(f, " -> {}", t.name())?;
            }
            use crate::HelperFlags as H;
            for (flag, word) in [
                (H::READS_GLOBALS, "reads_globals"),
                (H::WRITES_GLOBALS, "writes_globals"),
                (H::PURE, "pure"),
            ] {
                if h.flags.contains(flag) {
                    write!(f, " {word}")?;
                }
            }
            let unknown = h.flags.bits() & !0b111;
            if unknown != 0 {
                write!(f, " bits={unknown:#x}")?;
            }
            f.write_char('\n')?;
        }
        for (i, t) in self.temps.iter().enumerate() {
            if i >= self.globals.len() && t.kind == TempKind::Local {
                f.write_str("  temp ")?;
                names.write_temp_name(f, self, Temp(i as u32))?;
                writeln!(f, ": {}", t.ty.name())?;
            }
        }
        for inst in &self.insts {
            f.write_str("  ")?;
            write_inst(f, self, &names, inst)?;
            f.write_char('\n')?;
        }
        Ok(())
    }
}

/// Displays one instruction of `block`, as a line of the block's text.
///
/// Naming a local costs a scan of the temps, so print whole blocks with
/// `Display for Block`; this is for error messages.
pub fn inst<'a>(block: &'a Block, inst: &'a Inst) -> impl Display + 'a {
    InstDisplay { block, inst }
}

struct InstDisplay<'a> {
    block: &'a Block,
    inst: &'a Inst,
}

impl Display for InstDisplay<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let names = Names::without_table(self.block);
        write_inst(f, self.block, &names, self.inst)
    }
}

/// Displays one temp as an operand: its name, or a constant's literal.
pub fn operand(block: &Block, t: Temp) -> impl Display + '_ {
    OperandDisplay { block, t }
}

struct OperandDisplay<'a> {
    block: &'a Block,
    t: Temp,
}

impl Display for OperandDisplay<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let names = Names::without_table(self.block);
        let ty = self
            .block
            .temps
            .get(self.t.index())
            .map_or(Type::I64, |i| i.ty);
        write_operand(f, self.block, &names, self.t, ty)
    }
}

/// The label count the parser infers when the header has no `labels=`:
/// one more than the largest label any instruction names.
pub fn inferred_nlabels(block: &Block) -> u32 {
    let mut n = 0u32;
    for inst in &block.insts {
        for (k, &v) in inst.opc.def().consts.iter().zip(&inst.consts) {
            if *k == ConstKind::Label && v < u32::MAX as u64 {
                n = n.max(v as u32 + 1);
            }
        }
    }
    n
}

fn write_header(f: &mut Formatter<'_>, b: &Block) -> fmt::Result {
    write!(f, "block pc={:#x} addr={}", b.guest_pc, b.addr_ty.name())?;
    if b.nlabels != inferred_nlabels(b) {
        write!(f, " labels={}", b.nlabels)?;
    }
    f.write_char('\n')
}

/// How locals are named: a prefix that no global or helper name clashes
/// with, and (when printing a whole block) each temp's local ordinal.
struct Names {
    prefix: Cow<'static, str>,
    ordinals: Option<Vec<u32>>,
}

impl Names {
    fn for_block(b: &Block) -> Names {
        let mut ordinals = Vec::with_capacity(b.temps.len());
        let mut k = 0;
        for t in &b.temps {
            ordinals.push(k);
            if t.kind == TempKind::Local {
                k += 1;
            }
        }
        Names {
            prefix: local_prefix(b),
            ordinals: Some(ordinals),
        }
    }

    fn without_table(b: &Block) -> Names {
        Names {
            prefix: local_prefix(b),
            ordinals: None,
        }
    }

    fn ordinal(&self, b: &Block, t: Temp) -> usize {
        match &self.ordinals {
            Some(o) => o[t.index()] as usize,
            None => b.temps[..t.index()]
                .iter()
                .filter(|i| i.kind == TempKind::Local)
                .count(),
        }
    }

    /// Writes the name of a global or local (not a constant).
    fn write_temp_name(&self, f: &mut Formatter<'_>, b: &Block, t: Temp) -> fmt::Result {
        match b.temps.get(t.index()).map(|i| i.kind) {
            Some(TempKind::Global(g)) => match b.globals.get(g as usize) {
                Some(decl) => f.write_str(&decl.name),
                None => write!(f, "?global{g}"),
            },
            Some(_) => write!(f, "{}{}", self.prefix, self.ordinal(b, t)),
            None => write!(f, "?{}", t.0),
        }
    }
}

/// `t`, or `t_`, `t__` … if some global or helper is called `t<digits>`.
pub(crate) fn local_prefix(b: &Block) -> Cow<'static, str> {
    let clashes = |p: &str| {
        let names = b
            .globals
            .iter()
            .map(|g| g.name.as_ref())
            .chain(b.helpers.iter().map(|h| h.name.as_ref()));
        let mut hit = false;
        for n in names {
            if let Some(rest) = n.strip_prefix(p) {
                hit |= !rest.is_empty() && rest.bytes().all(|c| c.is_ascii_digit());
            }
        }
        hit
    };
    if !clashes("t") {
        return Cow::Borrowed("t");
    }
    let mut p = String::from("t_");
    while clashes(&p) {
        p.push('_');
    }
    Cow::Owned(p)
}

/// Whether the `.type` suffix is printed (see the module docs).
pub(crate) fn shows_type(inst: &Inst) -> bool {
    let untyped = match inst.opc.def().rule {
        TypeRule::NoTemps => true,
        TypeRule::Call => inst.nout == 0,
        _ => false,
    };
    !(untyped && inst.ty == Type::I64)
}

/// Constant kinds printed between the outputs and the inputs.
#[inline]
pub(crate) fn is_leading(k: ConstKind) -> bool {
    matches!(k, ConstKind::Cond | ConstKind::Helper)
}

/// The type an inline constant at input position `i` has without a suffix.
pub(crate) fn input_type(b: &Block, inst: &Inst, i: usize) -> Type {
    match inst.opc.def().rule {
        TypeRule::Widen => match inst.ty {
            Type::I64 => Type::I32,
            Type::I32 => Type::I64,
        },
        TypeRule::Narrow => Type::I64,
        TypeRule::Mem => {
            let addr_pos = if inst.opc == Opcode::QemuSt { 1 } else { 0 };
            if i == addr_pos {
                b.addr_ty
            } else {
                inst.ty
            }
        }
        TypeRule::Call => Type::I64,
        TypeRule::Same | TypeRule::Addr | TypeRule::NoTemps => inst.ty,
    }
}

fn write_inst(f: &mut Formatter<'_>, b: &Block, names: &Names, inst: &Inst) -> fmt::Result {
    let def = inst.opc.def();
    f.write_str(def.name)?;
    if shows_type(inst) {
        write!(f, ".{}", inst.ty.name())?;
    }
    let nout = (inst.nout as usize).min(MAX_TEMPS);
    let nin = (inst.nin as usize).min(MAX_TEMPS - nout);
    let mut first = true;
    let mut sep = |f: &mut Formatter<'_>| -> fmt::Result {
        f.write_str(if first { " " } else { ", " })?;
        first = false;
        Ok(())
    };
    for &t in &inst.args[..nout] {
        sep(f)?;
        write_operand(f, b, names, t, inst.ty)?;
    }
    let consts = def.consts.iter().zip(inst.consts.iter());
    for (&k, &v) in consts.clone().filter(|(k, _)| is_leading(**k)) {
        sep(f)?;
        write_const_arg(f, b, inst.opc, k, v)?;
    }
    for (i, &t) in inst.args[nout..nout + nin].iter().enumerate() {
        sep(f)?;
        write_operand(f, b, names, t, input_type(b, inst, i))?;
    }
    for (&k, &v) in consts.filter(|(k, _)| !is_leading(**k)) {
        sep(f)?;
        write_const_arg(f, b, inst.opc, k, v)?;
    }
    Ok(())
}

fn write_operand(
    f: &mut Formatter<'_>,
    b: &Block,
    names: &Names,
    t: Temp,
    expect: Type,
) -> fmt::Result {
    match b.temps.get(t.index()) {
        Some(info) => match info.kind {
            TempKind::Const(v) => {
                write_literal(f, info.ty, v)?;
                if info.ty != expect {
                    write!(f, ":{}", info.ty.name())?;
                }
                Ok(())
            }
            _ => names.write_temp_name(f, b, t),
        },
        None => write!(f, "?{}", t.0),
    }
}

/// A constant temp's value: small ones as signed decimal, others as hex.
pub fn write_literal(f: &mut impl Write, ty: Type, v: u64) -> fmt::Result {
    let v = ty.mask(v);
    let signed = match ty {
        Type::I32 => v as u32 as i32 as i64,
        Type::I64 => v as i64,
    };
    if signed.unsigned_abs() <= DECIMAL_LIMIT {
        write!(f, "{signed}")
    } else {
        write!(f, "{v:#x}")
    }
}

/// An unsigned number: decimal when small, hex otherwise.
fn write_uimm(f: &mut impl Write, v: u64) -> fmt::Result {
    if v <= DECIMAL_LIMIT {
        write!(f, "{v}")
    } else {
        write!(f, "{v:#x}")
    }
}

fn write_const_arg(
    f: &mut Formatter<'_>,
    b: &Block,
    opc: Opcode,
    k: ConstKind,
    v: u64,
) -> fmt::Result {
    match k {
        ConstKind::Imm if opc == Opcode::InsnStart => write!(f, "{v:#x}"),
        ConstKind::Imm | ConstKind::Offset => write_uimm(f, v),
        ConstKind::Cond => match Cond::from_u64(v) {
            Some(c) => f.write_str(c.name()),
            None => write!(f, "#{v}"),
        },
        ConstKind::MemOp => {
            if crate::MemOp::is_valid(v) {
                write_memop(f, crate::MemOp(v as u8))
            } else {
                write!(f, "#{v}")
            }
        }
        ConstKind::Label => {
            if v < u32::MAX as u64 {
                write!(f, "L{v}")
            } else {
                write!(f, "#{v}")
            }
        }
        ConstKind::Helper => match b.helpers.get(v as usize) {
            Some(h) if v <= u32::MAX as u64 => f.write_str(&h.name),
            _ => write!(f, "#{v}"),
        },
    }
}

/// `i32s.le.al`: size in bits, `s` if sign-extending, byte order, `.al` if
/// alignment is required.
pub fn write_memop(f: &mut impl Write, m: crate::MemOp) -> fmt::Result {
    write!(f, "i{}", m.size() * 8)?;
    if m.signed() {
        f.write_char('s')?;
    }
    f.write_str(if m.big_endian() { ".be" } else { ".le" })?;
    if m.aligned() {
        f.write_str(".al")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Builder, GlobalDecl, HelperDecl, HelperFlags, MemOp};
    use std::sync::Arc;

    fn globals() -> Arc<[GlobalDecl]> {
        let g = |name: &str, offset| GlobalDecl {
            name: name.into(),
            ty: Type::I64,
            offset,
        };
        vec![g("x1", 8), g("x2", 16), g("pc", 256)].into()
    }

    #[test]
    fn prints_the_documented_example() {
        let mut bd = Builder::new(0x10078, Type::I64, globals());
        let (x1, x2, pc) = (bd.global(0), bd.global(1), bd.global(2));
        let helper = HelperDecl {
            name: "fadd_d".into(),
            nargs: 3,
            ret: Some(Type::I64),
            flags: HelperFlags::READS_GLOBALS,
            func: None,
        };
        let t0 = bd.temp(Type::I64);
        let l0 = bd.new_label();
        bd.insn_start(0x10078);
        bd.binop_imm(Opcode::Add, Type::I64, x1, x2, 12);
        bd.qemu_ld(Type::I64, t0, x2, MemOp::le(4, true).with_align(), 0);
        bd.brcond(Type::I64, Cond::Ltu, x1, t0, l0);
        let seven = bd.const_i64(7);
        bd.call(&helper, Some(t0), &[x1, x2, seven]);
        bd.set_label(l0);
        bd.binop_imm(Opcode::Sub, Type::I64, pc, pc, (-5000i64) as u64);
        bd.goto_tb(0);
        let text = bd.finish().to_string();
        let want = "\
block pc=0x10078 addr=i64
  global x1: i64 @ 8
  global x2: i64 @ 16
  global pc: i64 @ 256
  helper fadd_d(3) -> i64 reads_globals
  temp t0: i64
  insn_start 0x10078
  add.i64 x1, x2, 12
  qemu_ld.i64 t0, x2, i32s.le.al, 0
  brcond.i64 ltu, x1, t0, L0
  call.i64 t0, fadd_d, x1, x2, 7
  set_label L0
  sub.i64 pc, pc, 0xffffffffffffec78
  goto_tb 0
";
        assert_eq!(text, want);
    }

    #[test]
    fn literals_pick_decimal_or_hex() {
        let lit = |ty, v| {
            let mut s = String::new();
            write_literal(&mut s, ty, v).unwrap();
            s
        };
        assert_eq!(lit(Type::I64, 4096), "4096");
        assert_eq!(lit(Type::I64, 4097), "0x1001");
        assert_eq!(lit(Type::I64, u64::MAX), "-1");
        assert_eq!(lit(Type::I32, 0xffff_f000), "-4096");
        assert_eq!(lit(Type::I32, 0xffff_efff), "0xffffefff");
        assert_eq!(lit(Type::I32, 0x8000_0000), "0x80000000");
        assert_eq!(lit(Type::I64, 1 << 63), "0x8000000000000000");
    }

    #[test]
    fn memop_spelling() {
        let m = |v| {
            let mut s = String::new();
            write_memop(&mut s, MemOp(v)).unwrap();
            s
        };
        assert_eq!(m(0), "i8.le");
        assert_eq!(m(3 | MemOp::BE), "i64.be");
        assert_eq!(m(1 | MemOp::SIGN | MemOp::ALIGN), "i16s.le.al");
    }

    #[test]
    fn local_prefix_avoids_global_names() {
        let g = |name: &str| GlobalDecl {
            name: name.into(),
            ty: Type::I64,
            offset: 0,
        };
        let b = Block::new(0, Type::I64, vec![g("t0"), g("t_1"), g("tp")].into());
        assert_eq!(local_prefix(&b), "t__");
        let b = Block::new(0, Type::I64, vec![g("tp"), g("t")].into());
        assert_eq!(local_prefix(&b), "t");
    }

    #[test]
    fn invalid_instructions_still_print() {
        let mut b = Block::new(0, Type::I64, globals());
        let mut i = Inst::mov(Type::I32, Temp(99), Temp(0));
        i.nout = 7;
        i.nin = 9;
        b.insts.push(i);
        let mut c = Inst::mov(Type::I64, Temp(0), Temp(1));
        c.opc = Opcode::SetCond;
        c.nin = 2;
        c.consts[0] = 40;
        b.insts.push(c);
        let text = b.to_string();
        assert!(text.contains("mov.i32 ?99, x1, x1, x1, x1"), "{text}");
        assert!(text.contains("setcond.i64 x1, #40, x2, x1"), "{text}");
    }
}
