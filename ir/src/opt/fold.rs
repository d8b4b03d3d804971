//! Constant folding and propagation, algebraic identities, branch folding.
//!
//! One forward walk. A temp last written by `mov t, <const>` is known to
//! hold that constant, and later reads of it read the constant instead
//! (until the temp is written again, a label, or — for globals — a call that
//! writes globals). An op whose inputs are all constants becomes
//! `mov d, <result>`, computed by [`crate::eval::eval`], the same function
//! the interpreter runs. Ops with one constant input are simplified by the
//! laws written on each `fold_*` function; `brcond` on a decided condition
//! becomes `br` or disappears (dead-code elimination then removes what it
//! no longer reaches).

use super::{Epochs, Stamp};
use crate::eval::eval;
use crate::{Block, Cond, Inst, Label, Opcode, Temp, Type, MAX_CONSTS, MAX_TEMPS};

/// What became of an instruction.
enum Folded {
    Keep,
    Remove,
}

/// The value a temp is known to hold: a constant temp, when stamped.
#[derive(Copy, Clone, Default)]
struct Known {
    value: Temp,
    stamp: Stamp,
}

/// Runs constant folding and propagation over `b`.
pub fn fold(b: &mut Block) {
    let nglobals = b.globals.len();
    let mut known = vec![Known::default(); b.temps.len()];
    let mut ep = Epochs::new();
    let mut w = 0;
    for r in 0..b.insts.len() {
        let mut inst = b.insts[r];
        ep.before(&inst);
        // Propagation: read known constants instead of the temps holding them.
        for t in inst.ins_mut() {
            if let Some(k) = known.get(t.index()) {
                if ep.holds(k.stamp, t.index() < nglobals) {
                    *t = k.value;
                }
            }
        }
        if let Folded::Remove = fold_inst(b, &mut inst) {
            continue;
        }
        if inst.opc == Opcode::Mov && inst.out() == inst.input(0) {
            // A law turned this into `x = x`, which changes nothing.
            continue;
        }
        for &d in inst.outs() {
            if let Some(k) = known.get_mut(d.index()) {
                *k = Known::default();
            }
        }
        if inst.opc == Opcode::Mov && b.const_value(inst.input(0)).is_some() {
            if let Some(k) = known.get_mut(inst.out().index()) {
                *k = Known {
                    value: inst.input(0),
                    stamp: ep.stamp(),
                };
            }
        }
        ep.after(b, &inst);
        b.insts[w] = inst;
        w += 1;
    }
    b.insts.truncate(w);
}

fn fold_inst(b: &mut Block, inst: &mut Inst) -> Folded {
    use Opcode::*;
    match inst.opc {
        Mov => return fold_mov(inst),
        BrCond => return fold_brcond(b, inst),
        SetCond => fold_setcond(b, inst),
        MovCond => fold_movcond(b, inst),
        _ => {
            if fold_constant(b, inst) {
                return Folded::Keep;
            }
            match inst.opc {
                Add => fold_add(b, inst),
                Sub => fold_sub(b, inst),
                Mul => fold_mul(b, inst),
                MulSH | MulUH | MulSUH => fold_mulh(b, inst),
                DivS | DivU => fold_div(b, inst),
                RemS | RemU => fold_rem(b, inst),
                And => fold_and(b, inst),
                Or => fold_or(b, inst),
                Xor => fold_xor(b, inst),
                AndC => fold_andc(b, inst),
                Shl | Shr | Sar | Rotl | Rotr => fold_shift(b, inst),
                Extract => fold_extract(inst),
                Deposit => fold_deposit(inst),
                _ => {}
            }
        }
    }
    Folded::Keep
}

// ---- helpers -------------------------------------------------------------

/// Whether `t` is the constant `v` (at type `ty`).
#[inline]
fn is(b: &Block, t: Temp, ty: Type, v: u64) -> bool {
    b.const_value(t) == Some(ty.mask(v))
}

/// Rewrites `inst` into `mov d, <v>`.
fn set_const(b: &mut Block, inst: &mut Inst, v: u64) {
    let c = b.new_const(inst.ty, v);
    *inst = Inst::mov(inst.ty, inst.out(), c);
}

/// Rewrites `inst` into `mov d, src` (`src` has the op's type).
fn set_copy(inst: &mut Inst, src: Temp) {
    *inst = Inst::mov(inst.ty, inst.out(), src);
}

/// Input `i` of `inst`.
#[inline]
fn arg(inst: &Inst, i: usize) -> Temp {
    inst.input(i)
}

/// Puts a constant first operand second: `c op x == x op c` for
/// commutative ops, so the laws below only look right.
fn swap_commutative(b: &Block, inst: &mut Inst) {
    let (x, y) = (arg(inst, 0), arg(inst, 1));
    if b.const_value(x).is_some() && b.const_value(y).is_none() {
        let o = inst.nout as usize;
        inst.args.swap(o, o + 1);
    }
}

/// The condition that holds for `(b, a)` exactly when `c` holds for `(a, b)`.
fn swap_cond(c: Cond) -> Cond {
    use Cond::*;
    match c {
        Lt => Gt,
        Gt => Lt,
        Le => Ge,
        Ge => Le,
        Ltu => Gtu,
        Gtu => Ltu,
        Leu => Geu,
        Geu => Leu,
        Eq | Ne | Always | Never => c,
    }
}

/// Puts a constant left comparison operand on the right, swapping the
/// condition: `c < x == x > c`.
fn swap_compare(b: &Block, inst: &mut Inst) {
    let (x, y) = (arg(inst, 0), arg(inst, 1));
    if b.const_value(x).is_some() && b.const_value(y).is_none() {
        let o = inst.nout as usize;
        inst.args.swap(o, o + 1);
        inst.consts[0] = swap_cond(inst.cond()) as u64;
    }
}

/// Decides `a cond b` at compile time, if possible.
fn decide(b: &Block, ty: Type, cond: Cond, x: Temp, y: Temp) -> Option<bool> {
    match cond {
        // always == true, never == false
        Cond::Always => return Some(true),
        Cond::Never => return Some(false),
        _ => {}
    }
    if let (Some(u), Some(v)) = (b.const_value(x), b.const_value(y)) {
        return Some(cond.eval(ty, u, v));
    }
    if x == y {
        // x cond x == 0 cond 0: eq, le, ge … hold; ne, lt, gt … do not.
        return Some(cond.eval(ty, 0, 0));
    }
    if is(b, y, ty, 0) {
        // No value is unsigned-below zero; every value is unsigned-at-least zero.
        match cond {
            Cond::Ltu => return Some(false),
            Cond::Geu => return Some(true),
            _ => {}
        }
    }
    None
}

// ---- folds, one per op family -------------------------------------------

/// All inputs constant: `op c1, c2 == eval(op, c1, c2)`.
fn fold_constant(b: &mut Block, inst: &mut Inst) -> bool {
    let mut vals = [0u64; MAX_TEMPS];
    let n = inst.nin as usize;
    if n == 0 || inst.nout != 1 {
        return false;
    }
    for (v, &t) in vals.iter_mut().zip(inst.ins()) {
        match b.const_value(t) {
            Some(c) => *v = c,
            None => return false,
        }
    }
    let nconsts = inst.opc.def().consts.len().min(MAX_CONSTS);
    match eval(inst.opc, inst.ty, &vals[..n], &inst.consts[..nconsts]) {
        Some(r) => {
            set_const(b, inst, r);
            true
        }
        None => false,
    }
}

/// `mov x, x` == nothing.
fn fold_mov(inst: &Inst) -> Folded {
    if inst.out() == inst.input(0) {
        Folded::Remove
    } else {
        Folded::Keep
    }
}

/// `x + 0 == x`
fn fold_add(b: &mut Block, inst: &mut Inst) {
    swap_commutative(b, inst);
    if is(b, arg(inst, 1), inst.ty, 0) {
        set_copy(inst, arg(inst, 0));
    }
}

/// `x - 0 == x`, `x - x == 0`
fn fold_sub(b: &mut Block, inst: &mut Inst) {
    if is(b, arg(inst, 1), inst.ty, 0) {
        set_copy(inst, arg(inst, 0));
    } else if arg(inst, 0) == arg(inst, 1) {
        set_const(b, inst, 0);
    }
}

/// `x * 0 == 0`, `x * 1 == x`
fn fold_mul(b: &mut Block, inst: &mut Inst) {
    swap_commutative(b, inst);
    if is(b, arg(inst, 1), inst.ty, 0) {
        set_const(b, inst, 0);
    } else if is(b, arg(inst, 1), inst.ty, 1) {
        set_copy(inst, arg(inst, 0));
    }
}

/// `high(x * 0) == high(0 * x) == 0`
fn fold_mulh(b: &mut Block, inst: &mut Inst) {
    if inst.opc != Opcode::MulSUH {
        swap_commutative(b, inst);
    }
    if is(b, arg(inst, 0), inst.ty, 0) || is(b, arg(inst, 1), inst.ty, 0) {
        set_const(b, inst, 0);
    }
}

/// `x / 1 == x`
fn fold_div(b: &mut Block, inst: &mut Inst) {
    if is(b, arg(inst, 1), inst.ty, 1) {
        set_copy(inst, arg(inst, 0));
    }
}

/// `x % 1 == 0`
fn fold_rem(b: &mut Block, inst: &mut Inst) {
    if is(b, arg(inst, 1), inst.ty, 1) {
        set_const(b, inst, 0);
    }
}

/// `x & 0 == 0`, `x & -1 == x`, `x & x == x`
fn fold_and(b: &mut Block, inst: &mut Inst) {
    swap_commutative(b, inst);
    let (x, y, ty) = (arg(inst, 0), arg(inst, 1), inst.ty);
    if is(b, y, ty, 0) {
        set_const(b, inst, 0);
    } else if is(b, y, ty, u64::MAX) || x == y {
        set_copy(inst, x);
    }
}

/// `x | 0 == x`, `x | -1 == -1`, `x | x == x`
fn fold_or(b: &mut Block, inst: &mut Inst) {
    swap_commutative(b, inst);
    let (x, y, ty) = (arg(inst, 0), arg(inst, 1), inst.ty);
    if is(b, y, ty, 0) || x == y {
        set_copy(inst, x);
    } else if is(b, y, ty, u64::MAX) {
        set_const(b, inst, u64::MAX);
    }
}

/// `x ^ 0 == x`, `x ^ x == 0`
fn fold_xor(b: &mut Block, inst: &mut Inst) {
    swap_commutative(b, inst);
    let (x, y, ty) = (arg(inst, 0), arg(inst, 1), inst.ty);
    if is(b, y, ty, 0) {
        set_copy(inst, x);
    } else if x == y {
        set_const(b, inst, 0);
    }
}

/// `x & !0 == x`, `x & !x == 0`, `0 & !x == 0`, `x & !-1 == 0`
fn fold_andc(b: &mut Block, inst: &mut Inst) {
    let (x, y, ty) = (arg(inst, 0), arg(inst, 1), inst.ty);
    if is(b, y, ty, 0) {
        set_copy(inst, x);
    } else if x == y || is(b, x, ty, 0) || is(b, y, ty, u64::MAX) {
        set_const(b, inst, 0);
    }
}

/// `x << 0 == x` (amounts are taken mod the width, so `x << 64 == x` for
/// i64 too; likewise `>>`, arithmetic `>>` and rotates); `0 << n == 0`.
fn fold_shift(b: &mut Block, inst: &mut Inst) {
    let (x, n, ty) = (arg(inst, 0), arg(inst, 1), inst.ty);
    if b.const_value(n).is_some_and(|v| v % ty.bits() as u64 == 0) {
        set_copy(inst, x);
    } else if is(b, x, ty, 0) {
        set_const(b, inst, 0);
    }
}

/// `extract(x, 0, width) == x`
fn fold_extract(inst: &mut Inst) {
    if inst.consts == [0, inst.ty.bits() as u64] {
        set_copy(inst, arg(inst, 0));
    }
}

/// `deposit(x, y, 0, width) == y`
fn fold_deposit(inst: &mut Inst) {
    if inst.consts == [0, inst.ty.bits() as u64] {
        set_copy(inst, arg(inst, 1));
    }
}

/// `setcond` with a decided condition is the constant 1 or 0.
fn fold_setcond(b: &mut Block, inst: &mut Inst) {
    swap_compare(b, inst);
    if let Some(t) = decide(b, inst.ty, inst.cond(), arg(inst, 0), arg(inst, 1)) {
        set_const(b, inst, t as u64);
    }
}

/// `(decided ? c : e)` is `c` or `e`; `(p ? c : c) == c`.
fn fold_movcond(b: &mut Block, inst: &mut Inst) {
    swap_compare(b, inst);
    let (c, e) = (arg(inst, 2), arg(inst, 3));
    match decide(b, inst.ty, inst.cond(), arg(inst, 0), arg(inst, 1)) {
        Some(true) => set_copy(inst, c),
        Some(false) => set_copy(inst, e),
        None if c == e => set_copy(inst, c),
        None => {}
    }
}

/// `brcond` on a true condition is `br`; on a false one, nothing.
fn fold_brcond(b: &mut Block, inst: &mut Inst) -> Folded {
    swap_compare(b, inst);
    match decide(b, inst.ty, inst.cond(), arg(inst, 0), arg(inst, 1)) {
        Some(true) => {
            *inst = br(inst.label());
            Folded::Keep
        }
        Some(false) => Folded::Remove,
        None => Folded::Keep,
    }
}

fn br(l: Label) -> Inst {
    Inst {
        opc: Opcode::Br,
        ty: Type::I64,
        nout: 0,
        nin: 0,
        args: [Temp(0); MAX_TEMPS],
        consts: [l.0 as u64, 0],
    }
}
