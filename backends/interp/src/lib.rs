//! The portable IR interpreter: polyvm's executor for any host, and the
//! oracle every JIT backend is compared against.
//!
//! ```text
//!  ir::Block ──lower──► InterpCode { ops: [LOp], consts } ──exec──► TbExit
//! ```
//!
//! Lowering ([`lower`]) resolves every temp to a slot of one flat frame (the
//! CPU state itself, then locals and constants in the runtime's scratch
//! area) and labels to op indices, so execution is a tight loop over a
//! `match`, with no hashing, allocation or re-decoding.

mod lower;
mod ops;

use polyvm_ir::abi::{Backend, CompileError, GuestMemView, TbExit};
use polyvm_ir::Block;

pub use lower::InterpCode;

/// The interpreter backend.
#[derive(Default)]
pub struct Interp;

impl Interp {
    pub fn new() -> Interp {
        Interp
    }
}

impl Backend for Interp {
    type Code = InterpCode;

    fn name(&self) -> &'static str {
        "interp"
    }

    fn compile(
        &mut self,
        block: &Block,
        env_size: usize,
        tag: u32,
    ) -> Result<InterpCode, CompileError> {
        lower::lower(block, env_size, tag)
    }

    unsafe fn exec(&mut self, code: &InterpCode, env: *mut u8, mem: &GuestMemView) -> TbExit {
        // SAFETY: forwarded from the caller's contract (see `Backend::exec`).
        unsafe { ops::exec(code, env, mem) }
    }
}

#[cfg(test)]
mod tests;
