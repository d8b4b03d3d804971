//! Accelerators: what runs a vCPU.
//!
//! A machine creates vCPUs through an accelerator and drives them through
//! the [`Vcpu`] trait, so it handles system calls, faults and (later) MMIO
//! exits the same way whether TCG (translation, this crate's [`tcg`]) or a
//! hardware hypervisor (KVM, to come) produced them.

pub mod tcg;

use polyvm_ir::abi::{GuestFault, GuestMemView};
use polyvm_runtime::Stats;

/// Errors from creating or running a vCPU.
#[derive(Debug, thiserror::Error)]
pub enum AccelError {
    #[error("unknown TCG backend `{0}` (available: {1})")]
    UnknownBackend(String, String),
    #[error("unknown -accel option `{0}` (try `-accel help`)")]
    UnknownOption(String),
    #[error("bad value for -accel option `{0}`: `{1}`")]
    BadValue(String, String),
    #[error("{0}")]
    Backend(String),
    #[error(transparent)]
    Exec(#[from] polyvm_runtime::ExecError),
}

pub type Result<T> = std::result::Result<T, AccelError>;

/// Why a vCPU stopped running guest code.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum VcpuExit {
    /// An architecture-defined event code (system call, breakpoint, illegal
    /// instruction …); the guest pc is in the CPU state.
    Event(u64),
    /// A precise guest memory fault.
    Fault(GuestFault),
}

/// One virtual CPU.
pub trait Vcpu {
    /// Runs until the machine must act.
    fn run(&mut self, mem: &GuestMemView) -> Result<VcpuExit>;
    /// The architecture's CPU state (the frontend's struct lives here).
    fn env_ptr(&mut self) -> *mut u8;
    /// Guest code changed or was unmapped in `[start, end)`: drop stale translations.
    fn invalidate_code(&mut self, start: u64, end: u64);
    /// Drops all translations (e.g. on `fence.i`).
    fn flush_code(&mut self);
    /// Execution statistics, where the accelerator keeps them.
    fn stats(&self) -> Option<&Stats>;
}
