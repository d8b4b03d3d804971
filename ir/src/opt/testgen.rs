//! Random valid blocks for property tests (printer round trip, verifier,
//! optimiser semantics).
//!
//! A block is built from a "tape" of random numbers that proptest generates
//! and shrinks: every choice reads the next number (0 once the tape runs
//! out), so a shorter tape gives a smaller block. Blocks come out in the
//! parser's canonical form (globals, locals, then constants by first use,
//! one per distinct value), so `parse(print(b)) == b` exactly.

use crate::{
    Block, Cond, GlobalDecl, HelperDecl, HelperFlags, Inst, Label, Opcode, Temp, TempKind, Type,
};
use proptest::prelude::*;
use std::collections::HashMap;

/// Where the generator's env fields live (clear of the globals at 0..64).
pub const ENV_I64_BASE: u32 = 512;
pub const ENV_I32_BASE: u32 = 768;

pub fn arb_block() -> impl Strategy<Value = Block> {
    proptest::collection::vec(any::<u32>(), 0..400).prop_map(|tape| build(&tape))
}

struct Gen<'t> {
    tape: &'t [u32],
    pos: usize,
    b: Block,
    consts: HashMap<(Type, u64), Temp>,
    pending: Vec<Label>,
}

impl Gen<'_> {
    fn next(&mut self) -> u32 {
        let v = self.tape.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        v
    }
    fn below(&mut self, n: u32) -> u32 {
        self.next() % n.max(1)
    }
    fn done(&self) -> bool {
        self.pos >= self.tape.len()
    }
    fn ty(&mut self) -> Type {
        if self.below(2) == 0 {
            Type::I64
        } else {
            Type::I32
        }
    }

    fn konst(&mut self, ty: Type, v: u64) -> Temp {
        let v = ty.mask(v);
        let b = &mut self.b;
        *self
            .consts
            .entry((ty, v))
            .or_insert_with(|| b.new_const(ty, v))
    }

    /// A writable temp of type `ty` (a global or a local).
    fn dest(&mut self, ty: Type) -> Temp {
        let cands: Vec<Temp> = (0..self.b.temps.len())
            .filter(|&i| {
                let t = self.b.temps[i];
                t.ty == ty && !matches!(t.kind, TempKind::Const(_))
            })
            .map(|i| Temp(i as u32))
            .collect();
        let k = self.below(cands.len() as u32) as usize;
        cands[k]
    }

    /// An input of type `ty`: often a constant, otherwise any temp.
    fn src(&mut self, ty: Type) -> Temp {
        match self.below(8) {
            0 => self.konst(ty, 0),
            1 => self.konst(ty, 1),
            2 => self.konst(ty, u64::MAX),
            3 => {
                let hi = self.next() as u64;
                let lo = self.next() as u64;
                let v = match self.below(3) {
                    0 => lo % 64,
                    1 => lo,
                    _ => hi << 32 | lo,
                };
                self.konst(ty, v)
            }
            _ => self.dest(ty),
        }
    }

    fn emit(&mut self, opc: Opcode, ty: Type, outs: &[Temp], ins: &[Temp], consts: &[u64]) {
        self.b.insts.push(Inst::new(opc, ty, outs, ins, consts));
    }

    fn new_label(&mut self) -> Label {
        self.b.nlabels += 1;
        Label(self.b.nlabels - 1)
    }

    fn one_op(&mut self) {
        use Opcode::*;
        const BINARY: [Opcode; 19] = [
            Add, Sub, Mul, MulSH, MulUH, MulSUH, DivS, DivU, RemS, RemU, And, Or, Xor, AndC, Shl,
            Shr, Sar, Rotl, Rotr,
        ];
        const UNARY: [Opcode; 11] = [
            Mov, Neg, Not, Clz, Ctz, Ctpop, Ext8S, Ext8U, Ext16S, Ext16U, Mov,
        ];
        let ty = self.ty();
        match self.below(20) {
            0..=5 => {
                let opc = BINARY[self.below(BINARY.len() as u32) as usize];
                let d = self.dest(ty);
                let a = self.src(ty);
                let c = self.src(ty);
                self.emit(opc, ty, &[d], &[a, c], &[]);
            }
            6 | 7 => {
                let opc = UNARY[self.below(UNARY.len() as u32) as usize];
                let d = self.dest(ty);
                let a = self.src(ty);
                self.emit(opc, ty, &[d], &[a], &[]);
            }
            8 => {
                let opc = [Ext32S, Ext32U, ExtI32S, ExtI32U, Trunc][self.below(5) as usize];
                let (ty, in_ty) = match opc {
                    Ext32S | Ext32U => (Type::I64, Type::I64),
                    ExtI32S | ExtI32U => (Type::I64, Type::I32),
                    _ => (Type::I32, Type::I64),
                };
                let d = self.dest(ty);
                let a = self.src(in_ty);
                self.emit(opc, ty, &[d], &[a], &[]);
            }
            9 => {
                let bits = ty.bits();
                let len = 1 + self.below(bits);
                let pos = self.below(bits - len + 1);
                let opc = [Extract, SExtract, Deposit][self.below(3) as usize];
                let d = self.dest(ty);
                let a = self.src(ty);
                if opc == Deposit {
                    let c = self.src(ty);
                    self.emit(opc, ty, &[d], &[a, c], &[pos as u64, len as u64]);
                } else {
                    self.emit(opc, ty, &[d], &[a], &[pos as u64, len as u64]);
                }
            }
            10 => {
                let cond = Cond::ALL[self.below(12) as usize] as u64;
                let d = self.dest(ty);
                let a = self.src(ty);
                let c = self.src(ty);
                if self.below(2) == 0 {
                    self.emit(SetCond, ty, &[d], &[a, c], &[cond]);
                } else {
                    let t = self.src(ty);
                    let f = self.src(ty);
                    self.emit(MovCond, ty, &[d], &[a, c, t, f], &[cond]);
                }
            }
            11 => {
                let (base, size) = match ty {
                    Type::I64 => (ENV_I64_BASE, 8),
                    Type::I32 => (ENV_I32_BASE, 4),
                };
                let off = (base + size * self.below(4)) as u64;
                if self.below(2) == 0 {
                    let d = self.dest(ty);
                    self.emit(LdEnv, ty, &[d], &[], &[off]);
                } else {
                    let v = self.src(ty);
                    self.emit(StEnv, ty, &[], &[v], &[off]);
                }
            }
            12 => {
                let max_log = if ty == Type::I64 { 4 } else { 3 };
                let mop = self.below(max_log) as u64 | (self.below(8) as u64) << 2;
                let mmu = self.below(3) as u64;
                let addr_ty = self.b.addr_ty;
                if self.below(2) == 0 {
                    let d = self.dest(ty);
                    let a = self.src(addr_ty);
                    self.emit(QemuLd, ty, &[d], &[a], &[mop, mmu]);
                } else {
                    let v = self.src(ty);
                    let a = self.src(addr_ty);
                    self.emit(QemuSt, ty, &[], &[v, a], &[mop, mmu]);
                }
            }
            13 if !self.b.helpers.is_empty() => {
                let hi = self.below(self.b.helpers.len() as u32) as usize;
                let h = self.b.helpers[hi].clone();
                let mut args = Vec::new();
                for _ in 0..h.nargs {
                    let t = self.ty();
                    args.push(self.src(t));
                }
                match h.ret {
                    Some(r) => {
                        let d = self.dest(r);
                        self.emit(Call, r, &[d], &args, &[hi as u64]);
                    }
                    None => self.emit(Call, Type::I64, &[], &args, &[hi as u64]),
                }
            }
            14 => {
                let pc = self.b.guest_pc + 4 * self.below(64) as u64;
                self.emit(InsnStart, Type::I64, &[], &[], &[pc]);
            }
            15 => {
                let l = self.new_label();
                self.pending.push(l);
                if self.below(4) == 0 {
                    self.emit(Br, Type::I64, &[], &[], &[l.0 as u64]);
                } else {
                    let cond = Cond::ALL[self.below(12) as usize] as u64;
                    let a = self.src(ty);
                    let c = self.src(ty);
                    self.emit(BrCond, ty, &[], &[a, c], &[cond, l.0 as u64]);
                }
            }
            16 | 17 if !self.pending.is_empty() => {
                let k = self.below(self.pending.len() as u32) as usize;
                let l = self.pending.swap_remove(k);
                self.emit(SetLabel, Type::I64, &[], &[], &[l.0 as u64]);
            }
            18 => {
                let bits = self.below(16) as u64;
                self.emit(Mb, Type::I64, &[], &[], &[bits]);
            }
            _ => {
                let d = self.dest(ty);
                let a = self.src(ty);
                self.emit(Mov, ty, &[d], &[a], &[]);
            }
        }
    }
}

const GLOBAL_NAMES: [&str; 5] = ["x1", "x2", "sp", "pc", "a0"];

/// Builds a valid, canonical block from `tape`.
pub fn build(tape: &[u32]) -> Block {
    let mut g = Gen {
        tape,
        pos: 0,
        b: Block::new(0, Type::I64, Vec::new().into()),
        consts: HashMap::new(),
        pending: Vec::new(),
    };
    let addr_ty = g.ty();
    let pc = 0x1000 * g.below(0x10000) as u64;
    let nglobals = 1 + g.below(GLOBAL_NAMES.len() as u32) as usize;
    let globals: Vec<GlobalDecl> = (0..nglobals)
        .map(|i| GlobalDecl {
            name: GLOBAL_NAMES[i].into(),
            ty: g.ty(),
            offset: 8 * i as u32,
        })
        .collect();
    g.b = Block::new(pc, addr_ty, globals.into());
    for i in 0..g.below(4) {
        let flags = [
            HelperFlags::empty(),
            HelperFlags::READS_GLOBALS,
            HelperFlags::WRITES_GLOBALS,
            HelperFlags::READS_GLOBALS | HelperFlags::WRITES_GLOBALS,
            HelperFlags::PURE,
        ][g.below(5) as usize];
        let ret = match g.below(3) {
            0 => None,
            1 => Some(Type::I32),
            _ => Some(Type::I64),
        };
        let nargs = g.below(5) as u8;
        g.b.helpers.push(HelperDecl {
            name: format!("h{i}").into(),
            nargs,
            ret,
            flags,
            func: None,
        });
    }
    // One local of each type at least, so every type has a destination.
    let mut locals = vec![g.b.new_local(Type::I64), g.b.new_local(Type::I32)];
    for _ in 0..g.below(4) {
        let t = g.ty();
        locals.push(g.b.new_local(t));
    }
    // Define every local first, so no path reads one undefined.
    for &t in &locals {
        let ty = g.b.temp(t).ty;
        let c = g.src_const(ty);
        g.emit(Opcode::Mov, ty, &[t], &[c], &[]);
    }
    while !g.done() && g.b.insts.len() < 200 {
        g.one_op();
    }
    while let Some(l) = g.pending.pop() {
        g.emit(Opcode::SetLabel, Type::I64, &[], &[], &[l.0 as u64]);
    }
    match g.below(3) {
        0 => {
            let n = g.below(2) as u64;
            g.emit(Opcode::GotoTb, Type::I64, &[], &[], &[n]);
        }
        1 => {
            let v = g.below(4) as u64;
            g.emit(Opcode::ExitTb, Type::I64, &[], &[], &[v]);
        }
        _ => {
            let ty = g.ty();
            let a = g.src(ty);
            g.emit(Opcode::GotoPtr, ty, &[], &[a], &[]);
        }
    }
    g.b
}

impl Gen<'_> {
    fn src_const(&mut self, ty: Type) -> Temp {
        let v = self.next() as u64 % 8;
        self.konst(ty, v)
    }
}

/// A few tapes worth checking in plain (non-proptest) tests.
pub fn sample_tapes() -> Vec<Vec<u32>> {
    let mut tapes = vec![vec![], vec![1; 50]];
    let mut x = 0x1234_5678u32;
    for n in [10, 50, 200, 400] {
        let mut t = Vec::with_capacity(n);
        for _ in 0..n {
            // xorshift32: a fixed, reproducible sequence.
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            t.push(x);
        }
        tapes.push(t);
    }
    tapes
}

/// Edits the printed text of a block line by line, so that it mostly still
/// parses but often breaks the block's rules (use before definition,
/// backward branches, wrong types, labels defined twice …). Each edit is
/// (kind, line, other line, word) indices, taken modulo what exists.
pub fn mutate_lines(text: &str, edits: &[(u8, usize, usize, usize)]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for &(kind, a, c, wi) in edits {
        // Line 0 is the header; keep it so that the text still parses.
        if lines.len() < 2 {
            break;
        }
        let n = lines.len() - 1;
        let (a, c) = (1 + a % n, 1 + c % n);
        match kind % 4 {
            0 => {
                lines.remove(a);
            }
            1 => {
                let l = lines[a].clone();
                lines.insert(c, l);
            }
            2 => lines.swap(a, c),
            _ => {
                // Replace one operand word of line `a` by one from line `c`.
                let words = |l: &str| -> Vec<String> {
                    l.split([' ', ','])
                        .filter(|w| !w.is_empty())
                        .skip(1)
                        .map(str::to_string)
                        .collect()
                };
                let (from, to) = (words(&lines[c]), words(&lines[a]));
                if from.is_empty() || to.is_empty() {
                    continue;
                }
                let (old, new) = (&to[wi % to.len()], &from[wi % from.len()]);
                lines[a] = lines[a].replacen(old.as_str(), new, 1);
            }
        }
    }
    lines.join("\n")
}
