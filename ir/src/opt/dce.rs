//! Dead-code elimination: unreachable code, useless jumps, dead values.
//!
//! Two linear walks:
//!
//! 1. Forward, over control flow. Code after an unconditional exit (`br`,
//!    `goto_tb`, `goto_ptr`, `exit_tb`) up to the next label that some
//!    branch names is never reached. A label nobody branches to starts
//!    nothing and is dropped. A branch to the label right after it goes
//!    where falling through goes, and is dropped (`br L; L:` == `L:`).
//! 2. Backward, over liveness. An op without side effects (one that cannot
//!    fault, branch or write anything but its outputs; or a call to a `pure`
//!    helper) whose outputs are all dead is removed. Globals are live at
//!    every block exit, at calls whose helper reads globals, and at guest
//!    memory accesses, which may fault and leave the block with the guest
//!    state exact. Locals are dead at exits. At a branch the live set is
//!    that at its label; labels behind the walk (backward branches) count as
//!    "everything live".
//!
//! A helper that can raise a guest exception must therefore be declared
//! `reads_globals`.

use crate::{Block, HelperFlags, Inst, OpFlags, Opcode};

/// Runs dead-code elimination over `b`.
pub fn dce(b: &mut Block) {
    remove_unreachable(b);
    remove_dead(b);
}

fn is_branch(inst: &Inst) -> bool {
    matches!(inst.opc, Opcode::Br | Opcode::BrCond)
}

/// Walk 1: unreachable code, unused labels, jumps to the next instruction.
pub fn remove_unreachable(b: &mut Block) {
    let mut refs = vec![0u32; b.nlabels as usize];
    for inst in &b.insts {
        if is_branch(inst) {
            if let Some(r) = refs.get_mut(inst.label().0 as usize) {
                *r += 1;
            }
        }
    }
    let mut w = 0;
    let mut reachable = true;
    for r in 0..b.insts.len() {
        let inst = b.insts[r];
        if inst.opc == Opcode::SetLabel {
            let l = inst.label().0 as usize;
            // `br L; L:` == `L:` and `brcond …, L; L:` == `L:`: both paths
            // arrive at L, and the emitted branch was reachable, so the
            // point before it falls through to L.
            while w > 0 && is_branch(&b.insts[w - 1]) && b.insts[w - 1].label().0 as usize == l {
                w -= 1;
                if let Some(n) = refs.get_mut(l) {
                    *n = n.saturating_sub(1);
                }
                reachable = true;
            }
            if refs.get(l).is_some_and(|&n| n == 0) {
                // Nobody jumps here: not a block start, and reachable only
                // by falling through.
                continue;
            }
            reachable = true;
        } else if !reachable {
            continue;
        } else if inst.opc.flags().contains(OpFlags::BLOCK_END) {
            reachable = false;
        }
        b.insts[w] = inst;
        w += 1;
    }
    b.insts.truncate(w);
}

/// A set of temps, one bit each, as a slice of words.
struct Live<'a>(&'a mut [u64]);

impl Live<'_> {
    #[inline]
    fn get(&self, i: usize) -> bool {
        self.0.get(i / 64).is_some_and(|w| w >> (i % 64) & 1 != 0)
    }
    #[inline]
    fn set(&mut self, i: usize) {
        if let Some(w) = self.0.get_mut(i / 64) {
            *w |= 1 << (i % 64);
        }
    }
    #[inline]
    fn clear(&mut self, i: usize) {
        if let Some(w) = self.0.get_mut(i / 64) {
            *w &= !(1 << (i % 64));
        }
    }
    /// Only the globals (temps `0..n`).
    fn only_globals(&mut self, n: usize) {
        self.0.fill(0);
        self.add_globals(n);
    }
    fn add_globals(&mut self, n: usize) {
        for (k, w) in self.0.iter_mut().enumerate() {
            let lo = k * 64;
            if n >= lo + 64 {
                *w = u64::MAX;
            } else if n > lo {
                *w |= (1u64 << (n - lo)) - 1;
            }
        }
    }
}

/// Whether `inst` may be deleted when its outputs are dead.
fn removable(b: &Block, inst: &Inst) -> bool {
    let f = inst.opc.flags();
    if inst.opc == Opcode::Call {
        return super::helper_flags(b, inst).contains(HelperFlags::PURE);
    }
    !f.intersects(OpFlags::SIDE_EFFECTS | OpFlags::CAN_FAULT | OpFlags::BRANCH | OpFlags::BB_START)
}

/// Walk 2: ops whose results nobody reads.
pub fn remove_dead(b: &mut Block) {
    let ng = b.globals.len();
    let words = b.temps.len().div_ceil(64);
    let nlabels = b.nlabels as usize;
    // One allocation: the live set, then each label's live set.
    let mut store = vec![0u64; words * (1 + nlabels)];
    let mut label_seen = vec![false; nlabels];
    let (live_words, at_labels) = store.split_at_mut(words);
    let mut live = Live(live_words);
    // Falling off the end (which verified blocks never do) counts as an exit.
    live.only_globals(ng);
    let mut w = b.insts.len();
    for r in (0..b.insts.len()).rev() {
        let inst = b.insts[r];
        let l = inst.label().0 as usize;
        match inst.opc {
            Opcode::SetLabel => {
                if let Some(slot) = at_labels.get_mut(l * words..(l + 1) * words) {
                    slot.copy_from_slice(live.0);
                    label_seen[l] = true;
                }
            }
            Opcode::Br | Opcode::BrCond => {
                let target = at_labels.get(l * words..(l + 1) * words);
                if inst.opc == Opcode::Br {
                    live.0.fill(0);
                }
                match target {
                    Some(t) if label_seen[l] => {
                        for (a, b) in live.0.iter_mut().zip(t) {
                            *a |= b;
                        }
                    }
                    // A backward branch: assume everything is live.
                    _ => live.0.fill(u64::MAX),
                }
            }
            Opcode::GotoTb | Opcode::ExitTb | Opcode::GotoPtr => live.only_globals(ng),
            _ => {}
        }
        if removable(b, &inst) && inst.outs().iter().all(|d| !live.get(d.index())) {
            continue;
        }
        for d in inst.outs() {
            live.clear(d.index());
        }
        for s in inst.ins() {
            if b.const_value(*s).is_none() {
                live.set(s.index());
            }
        }
        let reads_globals = if inst.opc == Opcode::Call {
            super::helper_flags(b, &inst).contains(HelperFlags::READS_GLOBALS)
        } else {
            // A guest memory access may fault: the guest sees every global.
            inst.opc.flags().contains(OpFlags::CAN_FAULT)
        };
        if reads_globals {
            live.add_globals(ng);
        }
        w -= 1;
        b.insts[w] = inst;
    }
    b.insts.drain(..w);
}
