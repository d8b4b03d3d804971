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
//! It also recognises the shift-pair idiom for extension that RISC-V
//! compilers use for `zext.w`/`sext.w` into another register:
//! `shl t, a, 32; shr d, t, 32` is `ext32u d, a` and with `sar` it is
//! `ext32s d, a` — provided `a` was not written in between. The `shl`
//! then usually dies (dead-code elimination removes it).
//!
//! Facts reset at labels, and about globals at calls that write them.

use super::{Epochs, Stamp};
use crate::{Block, Inst, MemOp, Opcode, TempKind, Type};

/// `t = shl a, 32`, recorded for the shift-pair idiom.
#[derive(Copy, Clone)]
struct ShlBy32 {
    src: crate::Temp,
    src_version: u32,
    stamp: Stamp,
}

pub fn sext(b: &mut Block) {
    let mut ep = Epochs::new();
    // When each temp was last proved sext32 (a stale stamp means unknown).
    let mut known: Vec<Option<Stamp>> = vec![None; b.temps.len()];
    // Writes to each temp so far, and which temps hold `shl a, 32`.
    let mut version = vec![0u32; b.temps.len()];
    let mut shl32: Vec<Option<ShlBy32>> = vec![None; b.temps.len()];
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
        let const_32 = |t: crate::Temp| b.temps[t.index()].kind == TempKind::Const(32);
        // (x << 32) >> 32 is a 32-bit extension of x, if x is unchanged.
        let mut inst = inst;
        if inst.ty == Type::I64
            && matches!(inst.opc, Opcode::Shr | Opcode::Sar)
            && const_32(inst.input(1))
        {
            let t = inst.input(0);
            if let Some(p) = shl32[t.index()] {
                let about_globals = t.index() < nglobals || p.src.index() < nglobals;
                if ep.holds(p.stamp, about_globals) && version[p.src.index()] == p.src_version {
                    let opc = if inst.opc == Opcode::Shr {
                        Opcode::Ext32U
                    } else {
                        Opcode::Ext32S
                    };
                    inst = Inst::new(opc, Type::I64, &[inst.out()], &[p.src], &[]);
                    b.insts[i] = inst;
                }
            }
        }
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
            shl32[o.index()] = None;
            version[o.index()] = version[o.index()].wrapping_add(1);
        }
        if inst.opc == Opcode::Shl && inst.ty == Type::I64 && const_32(inst.input(1)) {
            let src = inst.input(0);
            // `shl a, a, 32` destroys its own source: nothing to record.
            if src != inst.out() {
                shl32[inst.out().index()] = Some(ShlBy32 {
                    src,
                    src_version: version[src.index()],
                    stamp: ep.stamp(),
                });
            }
        }
        if proven {
            known[inst.out().index()] = Some(ep.stamp());
        }
        ep.after(b, &inst);
    }
}
