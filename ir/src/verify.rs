//! The IR verifier: checks that a block obeys the op table's contract.
//!
//! Frontends produce verified blocks, the optimiser keeps them verified (in
//! debug builds it checks after every pass) and backends may assume it.
//! What is checked:
//!
//! - **Declarations**: globals come first among temps, in order, with their
//!   declared type, at 8-byte-aligned offsets; no other temp is a global;
//!   constants are stored truncated to their type; helpers take at most four
//!   arguments and a `pure` helper neither reads nor writes globals; at most
//!   [`MAX_LABELS`] labels.
//! - **Shape**: arity from the op table (for `call`, from the helper
//!   declaration: its argument count and one output iff it returns a value);
//!   unused operand slots are zero, so equal blocks print equal; temp
//!   indices are in range; no instruction writes a constant.
//! - **Types** by the op's [`TypeRule`]: `Same` (all temps have the op type;
//!   `ext32s`/`ext32u` are i64-only), `Widen` (i64 from i32), `Narrow` (i32
//!   from i64), `Mem` (value of the op type, address of the block's address
//!   type; the memop's size fits the type), `Call` (the result has the
//!   helper's type), `Addr` (the input has the op type).
//! - **Constant arguments**: conditions < 12, memops valid, labels <
//!   `nlabels`, helper indices declared, env offsets aligned to the access
//!   size (8 for i64) and below 2^32, bit fields inside the type, `goto_tb`
//!   exit 0 or 1.
//! - **Control flow**: every label that a branch names is defined, none
//!   twice; the last instruction leaves the block (`br`, `goto_tb`,
//!   `goto_ptr` or `exit_tb`), so control never falls off the end.
//! - **Use before definition** of locals, approximately: the verifier walks
//!   the block once, tracking which locals are defined on every path that
//!   reaches each point. At a label that set is the intersection of the
//!   fall-through path and every *earlier* branch to it. Backward branches
//!   are not followed (they may hide a use of a local that only some loop
//!   iterations define; they never cause a false alarm), and code that no
//!   forward path reaches is not checked.

use crate::opcodes::TypeRule;
use crate::{
    Block, Cond, ConstKind, Error, HelperFlags, Inst, MemOp, OpFlags, Opcode, Result, TempKind,
    Type, MAX_CONSTS, MAX_TEMPS,
};

/// Most labels a block may have (keeps the verifier's and passes' per-label
/// tables small; real blocks have a handful).
pub const MAX_LABELS: u32 = 1 << 16;

/// Checks `b`; the error names the first offending instruction.
///
/// Errors about declarations rather than instructions carry index 0 and the
/// declaration's text.
pub fn verify(b: &Block) -> Result<()> {
    check_decls(b)?;
    let mut v = Verifier::new(b);
    for (i, inst) in b.insts.iter().enumerate() {
        v.inst(inst).map_err(|msg| err(b, i, msg))?;
    }
    let last = b.insts.len().saturating_sub(1);
    if let Some(l) = v.undefined_target() {
        return Err(err(
            b,
            last,
            format!("label L{l} is a branch target but never defined"),
        ));
    }
    match b.insts.last() {
        Some(i) if i.opc.flags().contains(OpFlags::BLOCK_END) => Ok(()),
        _ => Err(Error::Verify {
            index: b.insts.len(),
            text: "end of block".into(),
            msg: "control falls off the end: the block must end with br, goto_tb, goto_ptr or exit_tb"
                .into(),
        }),
    }
}

fn err(b: &Block, index: usize, msg: String) -> Error {
    Error::Verify {
        index,
        text: crate::print::inst(b, &b.insts[index]).to_string(),
        msg,
    }
}

fn decl_err(text: String, msg: impl Into<String>) -> Error {
    Error::Verify {
        index: 0,
        text,
        msg: msg.into(),
    }
}

fn check_decls(b: &Block) -> Result<()> {
    if b.temps.len() < b.globals.len() {
        return Err(decl_err("temps".into(), "fewer temps than globals"));
    }
    if b.temps.len() > u32::MAX as usize {
        return Err(decl_err("temps".into(), "more than 2^32 temps"));
    }
    for (i, g) in b.globals.iter().enumerate() {
        let text = || format!("global {}: {} @ {}", g.name, g.ty.name(), g.offset);
        let t = b.temps[i];
        if t.kind != TempKind::Global(i as u32) || t.ty != g.ty {
            return Err(decl_err(text(), format!("temp {i} must be this global")));
        }
        if g.offset % 8 != 0 {
            return Err(decl_err(text(), "global offsets must be 8-byte aligned"));
        }
    }
    for (i, t) in b.temps.iter().enumerate().skip(b.globals.len()) {
        match t.kind {
            TempKind::Global(_) => {
                return Err(decl_err(
                    format!("temp {i}"),
                    "only the first temps are globals",
                ))
            }
            TempKind::Const(v) if t.ty.mask(v) != v => {
                return Err(decl_err(
                    format!("temp {i}"),
                    format!("constant {v:#x} is wider than {}", t.ty.name()),
                ))
            }
            _ => {}
        }
    }
    for h in &b.helpers {
        let text = || format!("helper {}({})", h.name, h.nargs);
        if h.nargs > 4 {
            return Err(decl_err(text(), "helpers take at most 4 arguments"));
        }
        let g = HelperFlags::READS_GLOBALS | HelperFlags::WRITES_GLOBALS;
        if h.flags.contains(HelperFlags::PURE) && h.flags.intersects(g) {
            return Err(decl_err(
                text(),
                "a pure helper cannot read or write globals",
            ));
        }
    }
    if b.nlabels > MAX_LABELS {
        return Err(decl_err(
            format!("labels={}", b.nlabels),
            format!("at most {MAX_LABELS} labels"),
        ));
    }
    Ok(())
}

/// A set of temps, one bit each.
#[derive(Clone)]
struct Bits(Vec<u64>);

impl Bits {
    fn new(n: usize, ones: bool) -> Bits {
        Bits(vec![if ones { u64::MAX } else { 0 }; n.div_ceil(64)])
    }
    fn get(&self, i: usize) -> bool {
        self.0[i / 64] >> (i % 64) & 1 != 0
    }
    fn set(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }
    fn and(&mut self, o: &Bits) {
        for (a, b) in self.0.iter_mut().zip(&o.0) {
            *a &= b;
        }
    }
    fn fill(&mut self) {
        self.0.fill(u64::MAX);
    }
}

struct Verifier<'a> {
    b: &'a Block,
    /// Locals defined on every path to this point.
    defined: Bits,
    /// Whether the previous instruction can fall through to this one.
    reachable: bool,
    /// Per label: defined-set over the forward branches seen so far.
    at_label: Vec<Option<Bits>>,
    label_defined: Vec<bool>,
    label_targeted: Vec<bool>,
}

type Res = std::result::Result<(), String>;

impl<'a> Verifier<'a> {
    fn new(b: &'a Block) -> Self {
        let n = b.nlabels as usize;
        Verifier {
            b,
            defined: Bits::new(b.temps.len(), false),
            reachable: true,
            at_label: vec![None; n],
            label_defined: vec![false; n],
            label_targeted: vec![false; n],
        }
    }

    fn undefined_target(&self) -> Option<usize> {
        (0..self.label_defined.len()).find(|&l| self.label_targeted[l] && !self.label_defined[l])
    }

    fn ty_of(&self, t: crate::Temp) -> Type {
        self.b.temps[t.index()].ty
    }

    fn inst(&mut self, inst: &Inst) -> Res {
        let def = inst.opc.def();
        let n = inst.nout as usize + inst.nin as usize;
        if n > MAX_TEMPS {
            return Err(format!("{n} temps; at most {MAX_TEMPS}"));
        }
        if inst.args[n..].iter().any(|t| t.0 != 0)
            || inst.consts[def.consts.len()..MAX_CONSTS]
                .iter()
                .any(|&c| c != 0)
        {
            return Err("unused operand slots must be zero".into());
        }
        self.arity(inst)?;
        for &t in &inst.args[..n] {
            if t.index() >= self.b.temps.len() {
                return Err(format!("temp {} does not exist", t.0));
            }
        }
        for &t in inst.outs() {
            if let TempKind::Const(_) = self.b.temps[t.index()].kind {
                return Err("writes a constant".into());
            }
        }
        self.types(inst)?;
        self.consts(inst)?;
        self.flow(inst)
    }

    fn arity(&self, inst: &Inst) -> Res {
        let def = inst.opc.def();
        let (nout, nin) = if inst.opc == Opcode::Call {
            let h = self
                .b
                .helpers
                .get(inst.consts[0] as usize)
                .ok_or_else(|| format!("helper #{} is not declared", inst.consts[0]))?;
            (h.ret.is_some() as u8, h.nargs)
        } else {
            (def.nout, def.nin)
        };
        if (inst.nout, inst.nin) != (nout, nin) {
            return Err(format!(
                "takes {nout} outputs and {nin} inputs, not {} and {}",
                inst.nout, inst.nin
            ));
        }
        Ok(())
    }

    fn types(&self, inst: &Inst) -> Res {
        let want = |t: crate::Temp, ty: Type, what: &str| {
            let have = self.ty_of(t);
            if have == ty {
                Ok(())
            } else {
                Err(format!("{what} is {}, expected {}", have.name(), ty.name()))
            }
        };
        let need_op_ty = |ty: Type| {
            if inst.ty == ty {
                Ok(())
            } else {
                Err(format!("{} is {}-only", inst.opc.name(), ty.name()))
            }
        };
        match inst.opc.def().rule {
            TypeRule::Same => {
                if matches!(inst.opc, Opcode::Ext32S | Opcode::Ext32U) {
                    need_op_ty(Type::I64)?;
                }
                for &t in inst.outs() {
                    want(t, inst.ty, "output")?;
                }
                for &t in inst.ins() {
                    want(t, inst.ty, "input")?;
                }
            }
            TypeRule::Widen => {
                need_op_ty(Type::I64)?;
                want(inst.out(), Type::I64, "output")?;
                want(inst.input(0), Type::I32, "input")?;
            }
            TypeRule::Narrow => {
                need_op_ty(Type::I32)?;
                want(inst.out(), Type::I32, "output")?;
                want(inst.input(0), Type::I64, "input")?;
            }
            TypeRule::Mem => {
                let (val, addr) = if inst.opc == Opcode::QemuLd {
                    (inst.out(), inst.input(0))
                } else {
                    (inst.input(0), inst.input(1))
                };
                want(val, inst.ty, "the value")?;
                want(addr, self.b.addr_ty, "the address")?;
            }
            TypeRule::Call => {
                let h = &self.b.helpers[inst.consts[0] as usize];
                if let Some(r) = h.ret {
                    need_op_ty(r).map_err(|_| format!("helper {} returns {}", h.name, r.name()))?;
                    want(inst.out(), r, "the result")?;
                }
            }
            TypeRule::Addr => want(inst.input(0), inst.ty, "input")?,
            TypeRule::NoTemps => {}
        }
        Ok(())
    }

    fn consts(&mut self, inst: &Inst) -> Res {
        for (&k, &v) in inst.opc.def().consts.iter().zip(&inst.consts) {
            match k {
                ConstKind::Cond if Cond::from_u64(v).is_none() => {
                    return Err(format!("condition {v} is not one of the 12"))
                }
                ConstKind::MemOp => {
                    if !MemOp::is_valid(v) {
                        return Err(format!("memop {v} is not valid"));
                    }
                    let size = MemOp(v as u8).size();
                    if size * 8 > inst.ty.bits() {
                        return Err(format!(
                            "a {size}-byte access does not fit {}",
                            inst.ty.name()
                        ));
                    }
                }
                ConstKind::Label if v >= self.b.nlabels as u64 => {
                    return Err(format!("label L{v} is not below labels={}", self.b.nlabels))
                }
                ConstKind::Offset => {
                    let align = inst.ty.bits() as u64 / 8;
                    if v % align != 0 || v > u32::MAX as u64 {
                        return Err(format!(
                            "env offset {v} is not a {align}-aligned 32-bit offset"
                        ));
                    }
                }
                _ => {}
            }
        }
        let bits = inst.ty.bits() as u64;
        match inst.opc {
            Opcode::Extract | Opcode::SExtract | Opcode::Deposit => {
                let [pos, len] = inst.consts;
                if pos >= bits || len == 0 || len > bits - pos {
                    return Err(format!(
                        "bit field {pos}+{len} is not inside {}",
                        inst.ty.name()
                    ));
                }
            }
            Opcode::GotoTb if inst.consts[0] > 1 => {
                return Err("goto_tb exit must be 0 or 1".into())
            }
            _ => {}
        }
        Ok(())
    }

    fn flow(&mut self, inst: &Inst) -> Res {
        let label = inst.label().0 as usize;
        match inst.opc {
            Opcode::SetLabel => {
                if std::mem::replace(&mut self.label_defined[label], true) {
                    return Err(format!("label L{label} is defined twice"));
                }
                match (self.reachable, self.at_label[label].take()) {
                    (true, Some(s)) => self.defined.and(&s),
                    (true, None) => {}
                    (false, Some(s)) => self.defined = s,
                    // Reached by no forward path: not checked.
                    (false, None) => self.defined.fill(),
                }
                self.reachable = true;
                return Ok(());
            }
            Opcode::Br | Opcode::BrCond => {
                self.label_targeted[label] = true;
                // Forward branches only: a defined label is behind us.
                if !self.label_defined[label] {
                    match &mut self.at_label[label] {
                        Some(s) => s.and(&self.defined),
                        slot => *slot = Some(self.defined.clone()),
                    }
                }
            }
            _ => {}
        }
        for &t in inst.ins() {
            if self.b.temps[t.index()].kind == TempKind::Local && !self.defined.get(t.index()) {
                return Err(format!(
                    "reads {} before it is defined on every path here",
                    crate::print::operand(self.b, t)
                ));
            }
        }
        for &t in inst.outs() {
            self.defined.set(t.index());
        }
        if inst.opc.flags().contains(OpFlags::BLOCK_END) {
            self.reachable = false;
            self.defined.fill();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse;

    fn verr(text: &str) -> String {
        let b = parse(text).unwrap();
        match verify(&b) {
            Err(e) => e.to_string(),
            Ok(()) => panic!("verified:\n{b}"),
        }
    }

    #[test]
    fn accepts_a_good_block() {
        let b = parse(
            "block pc=0 addr=i64\n global x1: i64 @ 8\n temp t0: i64\n \
             brcond.i64 eq, x1, 0, L0\n mov.i64 t0, 1\n br L1\n set_label L0\n mov.i64 t0, 2\n \
             set_label L1\n add.i64 x1, x1, t0\n exit_tb 0\n",
        )
        .unwrap();
        assert_eq!(verify(&b), Ok(()));
    }

    #[test]
    fn use_before_def_on_one_path() {
        let msg = verr(
            "block pc=0 addr=i64\n global x1: i64 @ 8\n temp t0: i64\n \
             brcond.i64 eq, x1, 0, L0\n mov.i64 t0, 1\n set_label L0\n mov.i64 x1, t0\n exit_tb 0\n",
        );
        assert!(msg.starts_with("instruction 3 (mov.i64 x1, t0)"), "{msg}");
        assert!(msg.contains("reads t0 before"), "{msg}");
    }

    #[test]
    fn rejects_builder_level_mistakes() {
        let mut b = parse("block pc=0 addr=i64\n global x1: i64 @ 8\n exit_tb 0\n").unwrap();
        let c = b.new_const(Type::I64, 1);
        let mut add = Inst::mov(Type::I64, crate::Temp(0), c);
        add.opc = Opcode::Add;
        b.insts.insert(0, add);
        let e = verify(&b).unwrap_err().to_string();
        assert!(e.contains("takes 1 outputs and 2 inputs"), "{e}");
        b.insts[0] = Inst::mov(Type::I64, crate::Temp(0), crate::Temp(9));
        let e = verify(&b).unwrap_err().to_string();
        assert!(e.contains("temp 9 does not exist"), "{e}");
        b.insts[0] = Inst::mov(Type::I64, crate::Temp(0), c);
        b.insts[0].consts[1] = 3;
        let e = verify(&b).unwrap_err().to_string();
        assert!(e.contains("unused operand slots"), "{e}");
        b.insts[0] = Inst::mov(Type::I64, crate::Temp(0), c);
        b.temps[c.index()].kind = TempKind::Const(1 << 40);
        b.temps[c.index()].ty = Type::I32;
        let e = verify(&b).unwrap_err().to_string();
        assert!(e.contains("wider than i32"), "{e}");
    }

    #[test]
    fn must_end_with_an_exit() {
        let msg = verr("block pc=0 addr=i64\n global x1: i64 @ 8\n mov.i64 x1, 1\n");
        assert!(msg.contains("falls off the end"), "{msg}");
    }
}
