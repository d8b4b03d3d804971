//! The optimiser: small passes over one block, run on every translated block.
//!
//! ```text
//!  fold ─► envopt ─► copyprop ─► fold ─► sext ─► dce
//! ```
//!
//! Folding (constants, algebraic laws, branch folding) turns `x + 0` into
//! copies and `envopt` turns forwarded CPU-state loads into copies; copy
//! propagation forwards them all and exposes `x - x`-style identities to
//! the second fold; `sext` drops redundant sign extensions, and dead-code
//! elimination deletes what nobody reads and what no path reaches. (The
//! copies `sext` leaves cost the backends nothing; an eight-pass pipeline
//! that forwarded them found nothing more and cost a fifth of translation
//! time.) `sext` drops
//! sign extensions of values already sign-extended (their copies are
//! forwarded by the last copy propagation).
//!
//! Every pass is linear in the block, allocates a few tables per block and
//! nothing per op, and rewrites in place (ops are only replaced or deleted,
//! never inserted). Passes expect a verified block; in debug builds the
//! verifier runs after every pass.
//!
//! What passes know about values resets at labels (`BB_START`), and what
//! they know about globals also at calls whose helper `WRITES_GLOBALS`;
//! generation counters (`Epochs`) make both resets O(1).

pub mod copyprop;
pub mod dce;
pub mod envopt;
pub mod fold;
pub mod sext;

#[cfg(test)]
pub(crate) mod testgen;
#[cfg(test)]
mod tests;

use crate::{Block, HelperFlags, Inst, OpFlags, Opcode};

/// A pass over one block.
pub type Pass = fn(&mut Block);

/// The passes [`optimize`] runs, in order, by name.
pub const PASSES: &[(&str, Pass)] = &[
    ("fold", fold::fold),
    ("envopt", envopt::envopt),
    ("copyprop", copyprop::copyprop),
    ("fold", fold::fold),
    ("sext", sext::sext),
    ("dce", dce::dce),
];

/// Runs every pass in order.
pub fn optimize(b: &mut Block) {
    // Only a block that was valid to begin with must stay valid.
    let check = cfg!(debug_assertions) && crate::verify::verify(b).is_ok();
    for (name, pass) in PASSES {
        pass(b);
        if check {
            if let Err(e) = crate::verify::verify(b) {
                panic!("optimiser pass `{name}` broke the block: {e}\n{b}");
            }
        }
    }
}

/// Looks a pass up by name (for file tests and `-d` options).
pub fn pass_by_name(name: &str) -> Option<Pass> {
    PASSES.iter().find(|(n, _)| *n == name).map(|(_, p)| *p)
}

/// Generation counters: a fact recorded under an older generation is
/// forgotten without touching it.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Epochs {
    /// Bumped at every label.
    pub all: u32,
    /// Bumped at calls that write globals.
    pub globals: u32,
}

/// When a fact was recorded.
#[derive(Copy, Clone, Debug, Default)]
pub(crate) struct Stamp {
    all: u32,
    globals: u32,
}

impl Epochs {
    pub fn new() -> Epochs {
        // Stamps default to 0, so nothing is known at the start.
        Epochs { all: 1, globals: 1 }
    }

    pub fn stamp(&self) -> Stamp {
        Stamp {
            all: self.all,
            globals: self.globals,
        }
    }

    /// Whether a fact stamped `s` still holds; `about_globals` if it
    /// involves a global's value.
    #[inline]
    pub fn holds(&self, s: Stamp, about_globals: bool) -> bool {
        s.all == self.all && (!about_globals || s.globals == self.globals)
    }

    /// Call before processing `inst`: a label forgets everything.
    #[inline]
    pub fn before(&mut self, inst: &Inst) {
        if inst.opc.flags().contains(OpFlags::BB_START) {
            self.all = self.all.wrapping_add(1);
        }
    }

    /// Call after processing `inst`: a call that writes globals forgets
    /// what was known about them.
    #[inline]
    pub fn after(&mut self, b: &Block, inst: &Inst) {
        if inst.opc == Opcode::Call && helper_flags(b, inst).contains(HelperFlags::WRITES_GLOBALS) {
            self.globals = self.globals.wrapping_add(1);
        }
    }
}

/// The flags of the helper a `call` names (empty for anything else; an
/// undeclared helper is assumed to read and write globals).
#[inline]
pub(crate) fn helper_flags(b: &Block, inst: &Inst) -> HelperFlags {
    if inst.opc != Opcode::Call {
        return HelperFlags::empty();
    }
    b.helpers.get(inst.consts[0] as usize).map_or(
        HelperFlags::READS_GLOBALS | HelperFlags::WRITES_GLOBALS,
        |h| h.flags,
    )
}
