//! polyvm's runtime: translation-block cache, execution loop, guest memory.
//!
//! The runtime knows guest code only through `polyvm_ir::abi::Frontend` and
//! host code only through `polyvm_ir::abi::Backend`; machines reach it
//! through [`Executor::run`] and give it guest memory as a
//! [`GuestMemView`](polyvm_ir::abi::GuestMemView).

pub mod exec;
pub mod guest_mem;
pub mod log;
pub mod tb;

pub use exec::{ExecError, ExecOptions, Executor, RunExit, Stats};
pub use log::{Log, LogMask, LOG_ITEMS};
