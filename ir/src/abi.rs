//! The contracts between the pipeline's stages that are not IR themselves:
//! how a frontend is asked for a block, how a backend compiles and runs one,
//! what translated code may assume about the CPU state and guest memory, and
//! how it leaves.
//!
//! ```text
//!   runtime ──translate(pc)──► Frontend ──Block──► Backend::compile ──Code
//!   runtime ──exec(Code, env, mem)──► TbExit { GotoTb | GotoPtr | Exit | Fault }
//! ```
//!
//! These live in the IR crate because it is the one crate frontends,
//! backends and the runtime all depend on.

use crate::Block;

/// Bytes the runtime reserves after the frontend's CPU state, for a backend's
/// block-local storage (the interpreter's temps and constants, a JIT's spills).
pub const ENV_SCRATCH_BYTES: usize = 64 * 1024;

/// The scratch area starts at the CPU state's size rounded up to 16 bytes:
///
/// ```text
///  env ─► CPU state │ pad │ icount │ backend words (56 bytes) │ backend storage …
///                         └ scratch_offset(env_size)
/// ```
pub fn scratch_offset(env_size: usize) -> usize {
    env_size.next_multiple_of(16)
}

/// Offset in the scratch area of the guest instruction counter (`u64`): every
/// backend adds a block's guest instruction count to it each time the block
/// runs, so statistics survive chaining (the runtime does not see chained
/// blocks).
pub const SCRATCH_ICOUNT: usize = 0;
/// Bytes at the start of the scratch area with fixed meanings (the counter,
/// then words a backend may use for its own bookkeeping).
pub const SCRATCH_RESERVED: usize = 64;

/// Guest page permission bits kept per page in [`GuestMemView::page_flags`].
pub const PAGE_READ: u8 = 1;
pub const PAGE_WRITE: u8 = 2;
pub const PAGE_EXEC: u8 = 4;

/// User-mode guest memory as translated code sees it: guest address `a` is
/// host address `base + a`, valid when `a < size` and the page's flags allow
/// the access. Plain data so that a JIT can read it too.
#[repr(C)]
#[derive(Copy, Clone, Debug)]
pub struct GuestMemView {
    pub base: *mut u8,
    pub size: u64,
    /// One byte of `PAGE_*` bits per guest page, `size >> page_shift` entries.
    pub page_flags: *const u8,
    pub page_shift: u32,
}

/// What kind of access faulted.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
    Exec,
}

/// Why an access faulted.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// No mapping at the address (SIGSEGV/SEGV_MAPERR for a Linux guest).
    Unmapped,
    /// Mapped, but the page's permissions forbid the access (SEGV_ACCERR).
    Protection,
    /// The access needed alignment it did not have (SIGBUS).
    Misaligned,
}

/// A precise guest fault: the guest pc of the faulting instruction (from the
/// block's `insn_start` markers) and the address it touched.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct GuestFault {
    pub pc: u64,
    pub addr: u64,
    pub access: Access,
    pub kind: FaultKind,
}

/// How a translated block returned to the runtime.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum TbExit {
    /// `goto_tb slot`: the next pc is in the CPU state; the runtime may link
    /// this exit of the block compiled with `tag` to the next block.
    GotoTb { slot: u8, tag: u32 },
    /// `goto_ptr a`: continue at guest pc `a` (an indirect branch).
    GotoPtr(u64),
    /// `exit_tb v`: `v` is a frontend-defined exit code (0 = none: just look
    /// up the block at the CPU state's pc).
    Exit(u64),
    /// A guest memory access faulted.
    Fault(GuestFault),
}

/// Why a backend could not compile a block.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CompileError {
    #[error("block needs {needed} bytes of scratch space, more than the {available} available")]
    TooLarge { needed: usize, available: usize },
    #[error("helper `{0}` has no host function bound")]
    UnboundHelper(String),
    #[error("global `{0}` is not 8-byte aligned in the CPU state")]
    MisalignedGlobal(String),
    #[error("the code buffer is full")]
    BufferFull,
    #[error("{0}")]
    Invalid(String),
}

/// A host code generator (or the interpreter).
pub trait Backend {
    /// A compiled block.
    type Code;

    /// Short name for logs and `-accel tcg,backend=`.
    fn name(&self) -> &'static str;

    /// Compiles a verified block. `env_size` is the frontend's CPU state
    /// size; [`ENV_SCRATCH_BYTES`] follow it in the same allocation. `tag`
    /// is the runtime's name for the block, reported back in
    /// [`TbExit::GotoTb`] so the runtime knows which block to link even when
    /// the backend chained through several. [`CompileError::BufferFull`]
    /// asks the runtime to flush everything and try again.
    fn compile(
        &mut self,
        block: &Block,
        env_size: usize,
        tag: u32,
    ) -> std::result::Result<Self::Code, CompileError>;

    /// Makes exit `slot` of `from` jump straight to `to` from now on.
    /// Backends that return to the runtime anyway need not do anything.
    fn link(&mut self, _from: &Self::Code, _slot: u8, _to: &Self::Code) {}

    /// Tells the backend that guest pc `pc` is translated as `code`, for its
    /// indirect-branch lookup (`goto_ptr`).
    fn note_target(&mut self, _pc: u64, _code: &Self::Code) {}

    /// Forgets every compiled block (the runtime drops them all).
    fn flush(&mut self) {}

    /// What the frontend tells backends about its globals. Called once,
    /// before the first `compile`.
    fn set_hints(&mut self, _hints: &FrontendHints<'_>) {}

    /// Host code of a compiled block as text, for `-d out_asm`; `None` for
    /// backends that produce no host code.
    fn disas(&self, _code: &Self::Code) -> Option<String> {
        None
    }

    /// Runs a compiled block until it leaves.
    ///
    /// # Safety
    /// `env` must point to a live CPU state of the frontend the block came
    /// from, followed by [`ENV_SCRATCH_BYTES`] of scratch, 16-byte aligned;
    /// `mem` must describe a live guest memory mapping.
    unsafe fn exec(&mut self, code: &Self::Code, env: *mut u8, mem: &GuestMemView) -> TbExit;
}

/// Facts about a frontend's globals that let a JIT do better.
#[derive(Copy, Clone, Debug, Default)]
pub struct FrontendHints<'a> {
    /// Globals worth keeping in host registers across blocks (indices,
    /// hottest first).
    pub hot_globals: &'a [u32],
    /// Byte offset of the guest pc in the CPU state. Translated code and
    /// helpers never read the pc from the CPU state: it is current only
    /// when a block returns to the runtime, so a backend may defer a
    /// constant pc store before `goto_tb` to the exit path that returns.
    pub pc_offset: Option<usize>,
}

/// Where a frontend reads guest code from.
pub trait CodeFetch {
    /// Fills `out` with the guest bytes at `addr`, or returns false if any of
    /// them is not mapped executable.
    fn fetch(&self, addr: u64, out: &mut [u8]) -> bool;
}

/// A block a frontend translated, with the guest bytes it covers.
#[derive(Clone, Debug)]
pub struct Translated {
    pub block: Block,
    /// Bytes of guest code from `block.guest_pc` the block was made from.
    pub guest_size: u64,
    /// Guest instructions in the block.
    pub insns: u32,
}

/// A guest ISA frontend, as the runtime sees it.
pub trait Frontend {
    /// Short architecture name (`riscv64`).
    fn arch(&self) -> &'static str;
    /// Size of the CPU state in bytes (what `env` points to).
    fn env_size(&self) -> usize;
    /// Byte offset of the guest pc (a `u64`) in the CPU state.
    fn pc_offset(&self) -> usize;
    /// Translates the block at `pc`: at most `max_insns` guest instructions,
    /// ending at a control transfer, trap or page boundary. `Err(addr)` when
    /// the first instruction cannot be fetched from `addr`.
    fn translate(
        &self,
        fetch: &dyn CodeFetch,
        pc: u64,
        max_insns: u32,
    ) -> std::result::Result<Translated, u64>;
    /// Disassembles one instruction at `pc` for `-d in_asm`; returns the text
    /// and its length in bytes.
    fn disas(&self, fetch: &dyn CodeFetch, pc: u64) -> Option<(String, u32)>;

    /// Globals worth keeping in host registers across blocks, hottest first
    /// (indices into the globals of the blocks this frontend makes).
    fn hot_globals(&self) -> &'static [u32] {
        &[]
    }
}
