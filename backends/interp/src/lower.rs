//! Lowering IR into the interpreter's compact form.
//!
//! The interpreter's frame *is* the CPU state followed by the runtime's
//! scratch area ([`ENV_SCRATCH_BYTES`]), viewed as `u64` slots:
//!
//! ```text
//!  slot 0 ─ globals at offset/8 ─ … │ env end │ locals … │ constants … │ zero │
//!                                   └──────── scratch area ─────────────────┘
//! ```
//!
//! so a global is read and written in place, with no copy in or out, and a
//! constant is a slot the block preloads with one `memcpy` on entry. Every
//! operand is a `u16` slot index checked against the frame size here, which
//! is what lets the executor index the frame without bounds checks.

use polyvm_ir::abi::{
    scratch_offset, CompileError, ENV_SCRATCH_BYTES, SCRATCH_ICOUNT, SCRATCH_RESERVED,
};
use polyvm_ir::{Block, HelperFn, Opcode, TempKind, Type};

use crate::ops::{LOp, BINOPS, UNOPS};

/// A block compiled for the interpreter.
pub struct InterpCode {
    pub(crate) ops: Vec<LOp>,
    /// Values of the constant slots, copied to `frame[const_base..]` on entry.
    pub(crate) consts: Vec<u64>,
    pub(crate) const_base: usize,
    pub(crate) helpers: Vec<HelperFn>,
    /// (index of the first op of a guest instruction, its guest pc), sorted:
    /// a fault maps its op index back to the guest pc without any work on
    /// the non-faulting path.
    pub(crate) insn_pcs: Vec<(u32, u64)>,
    pub(crate) guest_pc: u64,
    /// Guest instructions in the block, added to the instruction counter.
    pub(crate) insns: u64,
    /// Frame slot of the guest instruction counter.
    pub(crate) icount_slot: usize,
    /// The runtime's name for the block, returned with `goto_tb` exits.
    pub(crate) tag: u32,
}

impl InterpCode {
    /// The guest pc of the instruction that op `idx` belongs to.
    pub(crate) fn pc_of_op(&self, idx: usize) -> u64 {
        match self.insn_pcs.partition_point(|&(i, _)| (i as usize) <= idx) {
            0 => self.guest_pc,
            n => self.insn_pcs[n - 1].1,
        }
    }

    /// Number of lowered ops (for statistics and tests).
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}

pub(crate) fn lower(block: &Block, env_size: usize, tag: u32) -> Result<InterpCode, CompileError> {
    let scratch_slot = scratch_offset(env_size) / 8;
    let icount_slot = scratch_slot + SCRATCH_ICOUNT / 8;
    // Locals and constants start after the scratch words with fixed meanings.
    let env_slots = scratch_slot + SCRATCH_RESERVED / 8;
    let nglobals = block.globals.len();

    // Slot of every temp.
    let mut slot = vec![0usize; block.temps.len()];
    let mut next = env_slots;
    let mut consts = Vec::new();
    for (i, g) in block.globals.iter().enumerate() {
        if !g.offset.is_multiple_of(8) || g.offset as usize + 8 > env_size {
            return Err(CompileError::MisalignedGlobal(g.name.clone()));
        }
        slot[i] = g.offset as usize / 8;
    }
    for (i, t) in block.temps.iter().enumerate().skip(nglobals) {
        if t.kind == TempKind::Local {
            slot[i] = next;
            next += 1;
        }
    }
    let const_base = next;
    for (i, t) in block.temps.iter().enumerate().skip(nglobals) {
        if let TempKind::Const(v) = t.kind {
            slot[i] = next;
            next += 1;
            consts.push(v);
        }
    }
    // A zero slot: the argument of unused helper parameters.
    let zero = next;
    consts.push(0);
    next += 1;
    // Where calls without a result write their (ignored) return value.
    let discard = next;
    next += 1;

    let available = scratch_slot + ENV_SCRATCH_BYTES / 8;
    if next > available || next > u16::MAX as usize {
        return Err(CompileError::TooLarge {
            needed: next * 8,
            available: available * 8,
        });
    }

    let mut helpers = Vec::with_capacity(block.helpers.len());
    for h in &block.helpers {
        match h.func {
            Some(f) => helpers.push(f),
            None => return Err(CompileError::UnboundHelper(h.name.to_string())),
        }
    }

    let s = |t: polyvm_ir::Temp| slot[t.index()] as u16;
    let mut ops = Vec::with_capacity(block.insts.len() + 1);
    let mut label_at = vec![u32::MAX; block.nlabels as usize];
    // (op index, label) of every branch, patched once labels are placed.
    let mut fixups = Vec::new();
    let mut insn_pcs = Vec::new();
    let invalid = |msg: String| CompileError::Invalid(msg);

    for inst in &block.insts {
        let ty = inst.ty;
        let opc = inst.opc;
        if let Some(row) = BINOPS.iter().find(|r| r.0 == opc && r.1 == ty) {
            ops.push((row.2)(s(inst.out()), s(inst.input(0)), s(inst.input(1))));
            continue;
        }
        if let Some(row) = UNOPS.iter().find(|r| r.0 == opc && r.1 == ty) {
            ops.push((row.2)(s(inst.out()), s(inst.input(0))));
            continue;
        }
        match opc {
            Opcode::Mov => ops.push(LOp::Mov {
                d: s(inst.out()),
                a: s(inst.input(0)),
            }),
            Opcode::Extract | Opcode::SExtract | Opcode::Deposit => {
                let (pos, len) = (inst.consts[0] as u32, inst.consts[1] as u32);
                if len == 0 || pos + len > ty.bits() {
                    return Err(invalid(format!(
                        "{} field {pos}+{len} out of range",
                        opc.name()
                    )));
                }
                let mask = if len == 64 {
                    u64::MAX
                } else {
                    (1u64 << len) - 1
                };
                let (d, a) = (s(inst.out()), s(inst.input(0)));
                ops.push(match opc {
                    Opcode::Extract => LOp::Extract {
                        d,
                        a,
                        pos: pos as u8,
                        mask,
                    },
                    Opcode::SExtract => LOp::SExtract {
                        d,
                        a,
                        // Shift the field to the top, then arithmetic-shift down.
                        up: (64 - pos - len) as u8,
                        down: (64 - len) as u8,
                        i32: ty == Type::I32,
                    },
                    _ => LOp::Deposit {
                        d,
                        a,
                        b: s(inst.input(1)),
                        pos: pos as u8,
                        mask,
                    },
                });
            }
            Opcode::SetCond => ops.push(LOp::SetCond {
                d: s(inst.out()),
                a: s(inst.input(0)),
                b: s(inst.input(1)),
                cond: inst.cond(),
                ty,
            }),
            Opcode::MovCond => ops.push(LOp::MovCond {
                d: s(inst.out()),
                args: [
                    s(inst.input(0)),
                    s(inst.input(1)),
                    s(inst.input(2)),
                    s(inst.input(3)),
                ],
                cond: inst.cond(),
                ty,
            }),
            Opcode::LdEnv | Opcode::StEnv => {
                let off = inst.consts[0] as usize;
                let size = ty.bits() as usize / 8;
                if !off.is_multiple_of(size) || off + size > env_size {
                    return Err(invalid(format!("env offset {off} out of range")));
                }
                let off = off as u32;
                ops.push(match (opc, ty) {
                    (Opcode::LdEnv, Type::I32) => LOp::LdEnv32 {
                        d: s(inst.out()),
                        off,
                    },
                    (Opcode::LdEnv, _) => LOp::LdEnv64 {
                        d: s(inst.out()),
                        off,
                    },
                    (_, Type::I32) => LOp::StEnv32 {
                        a: s(inst.input(0)),
                        off,
                    },
                    _ => LOp::StEnv64 {
                        a: s(inst.input(0)),
                        off,
                    },
                });
            }
            Opcode::QemuLd => ops.push(LOp::Ld {
                d: s(inst.out()),
                addr: s(inst.input(0)),
                mop: inst.memop().0,
                i32: ty == Type::I32,
                addr32: block.addr_ty == Type::I32,
            }),
            Opcode::QemuSt => ops.push(LOp::St {
                v: s(inst.input(0)),
                addr: s(inst.input(1)),
                mop: inst.memop().0,
                addr32: block.addr_ty == Type::I32,
            }),
            Opcode::Mb => ops.push(LOp::Mb),
            Opcode::Call => {
                let h = inst.consts[0] as usize;
                if h >= helpers.len() {
                    return Err(invalid(format!("helper index {h} out of range")));
                }
                let mut args = [zero as u16; 4];
                for (i, a) in inst.ins().iter().enumerate().take(4) {
                    args[i] = s(*a);
                }
                let d = if inst.nout == 1 {
                    s(inst.out())
                } else {
                    discard as u16
                };
                ops.push(LOp::Call {
                    f: h as u16,
                    d,
                    args,
                    i32: ty == Type::I32,
                });
            }
            Opcode::BrCond => {
                fixups.push((ops.len(), inst.label().0));
                ops.push(LOp::BrCond {
                    a: s(inst.input(0)),
                    b: s(inst.input(1)),
                    cond: inst.cond(),
                    ty,
                    target: 0,
                });
            }
            Opcode::Br => {
                fixups.push((ops.len(), inst.label().0));
                ops.push(LOp::Br { target: 0 });
            }
            Opcode::SetLabel => {
                let l = inst.label().0 as usize;
                match label_at.get_mut(l) {
                    Some(at) => *at = ops.len() as u32,
                    None => return Err(invalid(format!("label L{l} out of range"))),
                }
            }
            Opcode::InsnStart => insn_pcs.push((ops.len() as u32, inst.consts[0])),
            Opcode::GotoTb => ops.push(LOp::GotoTb {
                n: inst.consts[0] as u8,
            }),
            Opcode::GotoPtr => ops.push(LOp::GotoPtr {
                a: s(inst.input(0)),
            }),
            Opcode::ExitTb => ops.push(LOp::ExitTb { v: inst.consts[0] }),
            _ => {
                return Err(invalid(format!(
                    "{}.{} has no interpreter lowering",
                    opc.name(),
                    ty.name()
                )))
            }
        }
    }
    // A block that falls off its end returns to the runtime (the verifier
    // normally forbids this; the interpreter must not run off its op list).
    ops.push(LOp::ExitTb { v: 0 });

    for (at, l) in fixups {
        let target = *label_at
            .get(l as usize)
            .filter(|t| **t != u32::MAX)
            .ok_or_else(|| invalid(format!("label L{l} never defined")))?;
        match &mut ops[at] {
            LOp::BrCond { target: t, .. } | LOp::Br { target: t } => *t = target,
            _ => unreachable!("fixups only name branches"),
        }
    }

    Ok(InterpCode {
        ops,
        consts,
        const_base,
        helpers,
        insns: insn_pcs.len() as u64,
        insn_pcs,
        guest_pc: block.guest_pc,
        icount_slot,
        tag,
    })
}
