//! Copy propagation: after `mov d, s`, read `s` wherever `d` is read.
//!
//! Law: after `mov d, s`, and until `d` or `s` is written again, `d == s`.
//! A copy is also forgotten at a label, and — when either side is a global —
//! at a call whose helper writes globals. Each temp carries a version,
//! bumped on every write, and a copy remembers its source's version, so
//! "`s` was written" costs one comparison instead of a list of copies.
//! Sources are resolved when the copy is recorded, so chains
//! `b = a; c = b` collapse to `c = a`. `mov x, x` is removed (`x = x` changes
//! nothing). Dead-code elimination later removes the copies nobody reads.

use super::{Epochs, Stamp};
use crate::{Block, Opcode, Temp};

#[derive(Copy, Clone, Default)]
struct CopyOf {
    src: Temp,
    src_version: u32,
    stamp: Stamp,
}

/// Runs copy propagation over `b`.
pub fn copyprop(b: &mut Block) {
    let n = b.temps.len();
    let nglobals = b.globals.len();
    let mut copies = vec![CopyOf::default(); n];
    let mut version = vec![0u32; n];
    let mut ep = Epochs::new();
    let mut w = 0;
    for r in 0..b.insts.len() {
        let mut inst = b.insts[r];
        ep.before(&inst);
        for t in inst.ins_mut() {
            let i = t.index();
            if let Some(c) = copies.get(i) {
                let about_globals = i < nglobals || c.src.index() < nglobals;
                if ep.holds(c.stamp, about_globals) && version[c.src.index()] == c.src_version {
                    *t = c.src;
                }
            }
        }
        if inst.opc == Opcode::Mov && inst.out() == inst.input(0) {
            // x = x changes nothing.
            continue;
        }
        for &d in inst.outs() {
            if let Some(v) = version.get_mut(d.index()) {
                *v = v.wrapping_add(1);
                copies[d.index()] = CopyOf::default();
            }
        }
        if inst.opc == Opcode::Mov {
            let (d, s) = (inst.out().index(), inst.input(0));
            if let (Some(c), Some(&v)) = (copies.get_mut(d), version.get(s.index())) {
                *c = CopyOf {
                    src: s,
                    src_version: v,
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
