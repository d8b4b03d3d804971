//! Redundant sign-extension elimination.
//!
//! 64-bit guests with 32-bit operations (RISC-V `*w`, AArch64 `w`
//! registers) sign-extend many results to 64 bits, and compilers add
//! `sext.w` on values that already are. This pass tracks which `i64` temps
//! are known to equal their low 32 bits sign-extended ("sext32") and turns
//! `ext32s d, a` of such an `a` into `mov d, a` (which copy propagation and
//! the backends then make free).
//!
//! Known sext32 (`i64` results):
//! - `ext32s`, `exts_i32`, `setcond`, `ext8s/ext8u/ext16s/ext16u`;
//! - guest loads of at most 32 bits, signed, or narrower than 32 bits;
//! - constants `c` with `c == c as i32 as i64`;
//! - `and/or/xor` of two sext32 values (bitwise ops keep bits 63:31 equal);
//! - `extract` of fewer than 32 bits, `sextract` of at most 32 bits;
//! - `mov` of a sext32 value.
//!
//! Facts reset at labels, and about globals at calls that write them.

use super::{Epochs, Stamp};
use crate::{Block, Inst, MemOp, Opcode, TempKind, Type};

pub fn sext(b: &mut Block) {
    let mut ep = Epochs::new();
    // When each temp was last proved sext32 (a stale stamp means unknown).
    let mut known: Vec<Option<Stamp>> = vec![None; b.temps.len()];
    let nglobals = b.globals.len();
    for i in 0..b.insts.len() {
        let inst = b.insts[i];
        ep.before(&inst);
        let is = |known: &Vec<Option<Stamp>>, t: crate::Temp| -> bool {
            match b.temps[t.index()].kind {
                TempKind::Const(v) => v as i64 == v as i32 as i64,
                _ => known[t.index()].is_some_and(|s| ep.holds(s, t.index() < nglobals)),
            }
        };
        let proven = inst.nout == 1 && inst.ty == Type::I64 && {
            match inst.opc {
                Opcode::Ext32S => {
                    if is(&known, inst.input(0)) {
                        // ext32s of a sext32 value is the value itself.
                        b.insts[i] = Inst::mov(Type::I64, inst.out(), inst.input(0));
                    }
                    true
                }
                Opcode::ExtI32S
                | Opcode::SetCond
                | Opcode::Ext8S
                | Opcode::Ext8U
                | Opcode::Ext16S
                | Opcode::Ext16U => true,
                Opcode::QemuLd => {
                    let m = MemOp(inst.consts[0] as u8);
                    m.size() < 4 || (m.size() == 4 && m.signed())
                }
                Opcode::And | Opcode::Or | Opcode::Xor => {
                    is(&known, inst.input(0)) && is(&known, inst.input(1))
                }
                Opcode::Extract => inst.consts[1] < 32,
                Opcode::SExtract => inst.consts[1] <= 32,
                Opcode::Mov => is(&known, inst.input(0)),
                _ => false,
            }
        };
        // Every output is redefined here: record or forget.
        for &o in inst.outs() {
            known[o.index()] = None;
        }
        if proven {
            known[inst.out().index()] = Some(ep.stamp());
        }
        ep.after(b, &inst);
    }
}
