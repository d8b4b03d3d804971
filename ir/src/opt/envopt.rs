//! Redundant CPU-state load elimination: forwards `st_env`/`ld_env` values.
//!
//! Laws, for an env field not touched in between:
//! - `st_env v, off; … ld_env d, off` == `st_env v, off; … mov d, v`
//! - `ld_env a, off; … ld_env d, off` == `ld_env a, off; … mov d, a`
//!
//! (same offset and type, and `v`/`a` not written in between). A store
//! forgets the fields it overlaps; a label forgets everything, and so does
//! a call to a helper that is not `pure` (it may read or write any field).
//! Fields overlapping a global's slot are left alone: backends cache
//! globals in host registers, so the IR says nothing about how env accesses
//! there interleave with global reads and writes. Copy propagation and
//! dead-code elimination then clean up the `mov`s.
//!
//! The pass remembers a handful of fields in a fixed table (no allocation
//! but one version counter per temp); blocks rarely touch more.

use super::{Epochs, Stamp};
use crate::{Block, HelperFlags, Inst, Opcode, Temp, Type};

/// Fields remembered at once.
const SLOTS: usize = 8;

#[derive(Copy, Clone, Default)]
struct Field {
    offset: u64,
    ty: Option<Type>,
    value: Temp,
    version: u32,
    stamp: Stamp,
}

impl Field {
    fn bytes(&self) -> u64 {
        self.ty.map_or(0, |t| t.bits() as u64 / 8)
    }
    fn overlaps(&self, off: u64, len: u64) -> bool {
        self.ty.is_some() && self.offset < off + len && off < self.offset + self.bytes()
    }
}

/// Runs env load forwarding over `b`.
pub fn envopt(b: &mut Block) {
    if !b.insts.iter().any(|i| i.opc == Opcode::LdEnv) {
        return;
    }
    let mut version = vec![0u32; b.temps.len()];
    let mut fields = [Field::default(); SLOTS];
    let mut next = 0;
    let mut ep = Epochs::new();
    for r in 0..b.insts.len() {
        let mut inst = b.insts[r];
        ep.before(&inst);
        let len = inst.ty.bits() as u64 / 8;
        let off = inst.consts[0];
        let tracked = matches!(inst.opc, Opcode::LdEnv | Opcode::StEnv)
            && !b
                .globals
                .iter()
                .any(|g| (g.offset as u64) < off.saturating_add(len) && off < g.offset as u64 + 8);
        if inst.opc == Opcode::LdEnv && tracked {
            let hit = fields.iter().find(|f| {
                f.ty == Some(inst.ty)
                    && f.offset == off
                    && ep.holds(f.stamp, false)
                    && version.get(f.value.index()) == Some(&f.version)
            });
            if let Some(f) = hit {
                inst = Inst::mov(inst.ty, inst.out(), f.value);
            }
        }
        for d in inst.outs() {
            if let Some(v) = version.get_mut(d.index()) {
                *v = v.wrapping_add(1);
            }
        }
        match inst.opc {
            Opcode::StEnv | Opcode::LdEnv if tracked => {
                if inst.opc == Opcode::StEnv {
                    for f in fields.iter_mut().filter(|f| f.overlaps(off, len)) {
                        f.ty = None;
                    }
                }
                let value = if inst.opc == Opcode::StEnv {
                    inst.input(0)
                } else {
                    inst.out()
                };
                if let Some(&v) = version.get(value.index()) {
                    fields[next] = Field {
                        offset: off,
                        ty: Some(inst.ty),
                        value,
                        version: v,
                        stamp: ep.stamp(),
                    };
                    next = (next + 1) % SLOTS;
                }
            }
            Opcode::StEnv => {
                for f in fields.iter_mut().filter(|f| f.overlaps(off, len)) {
                    f.ty = None;
                }
            }
            Opcode::Call if !super::helper_flags(b, &inst).contains(HelperFlags::PURE) => {
                fields = [Field::default(); SLOTS];
            }
            _ => {}
        }
        ep.after(b, &inst);
        b.insts[r] = inst;
    }
}
