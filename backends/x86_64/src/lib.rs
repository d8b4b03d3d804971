//! The x86-64 host JIT: translated blocks become native code.
//!
//! ```text
//!  ir::Block ──regalloc + emit (dynasm)──► bytes ──► CodeBuffer (RWX)
//!  runtime ──exec──► entry trampoline ──jmp──► block ─goto_tb (linked)─► block …
//!                         ▲                       │ goto_ptr: inline jump-cache probe
//!                         └──── epilogue ◄────────┘ unlinked exit, exit_tb, fault
//! ```
//!
//! Inside native code `rbp` points to the CPU state, `r15` holds
//! `guest_base`, `r14` the guest memory size and `r13` the guest
//! instruction counter; a guest load is a bounds
//! compare (fused with its branch) and one host load. Guest registers stay
//! in host registers within a block (see `regalloc.rs`). Blocks jump
//! straight to each other once the runtime links them (`link`), and
//! indirect jumps probe a jump cache inline (`note_target` fills it), so hot
//! loops never return to the dispatcher. The epilogue returns an *exit
//! word*: kind in bits 0-1, payload above (see `EXIT_KIND_*`).

// `dynasm!` converts dynamic register operands with `.into()` even when
// they already have the right type.
#![allow(clippy::useless_conversion)]

mod codebuf;
mod emit;
#[cfg(test)]
mod emit_tests;
mod fault;
mod regalloc;

use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi};

use polyvm_ir::abi::{
    scratch_offset, Backend, CompileError, FaultKind, FrontendHints, GuestFault, GuestMemView,
    TbExit, ENV_SCRATCH_BYTES, SCRATCH_RESERVED,
};
use polyvm_ir::Block;

use codebuf::CodeBuffer;
use fault::{Active, Site};

pub(crate) const EXIT_KIND_EXIT: u64 = 0;
pub(crate) const EXIT_KIND_GOTO_TB: u64 = 1;
pub(crate) const EXIT_KIND_GOTO_PTR: u64 = 2;
pub(crate) const EXIT_KIND_FAULT: u64 = 3;

const JC_BITS: u32 = 12;
pub(crate) const JC_MASK: u64 = (1 << JC_BITS) - 1;

/// One jump-cache entry, probed by native code: 16 bytes, pc then address.
#[repr(C)]
#[derive(Copy, Clone)]
struct JcEntry {
    pc: u64,
    host: u64,
}

/// No guest pc is odd-and-all-ones: an empty entry never matches.
const JC_EMPTY: JcEntry = JcEntry {
    pc: u64::MAX,
    host: 0,
};

/// Errors creating the backend.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "this host CPU lacks {0}, which the x86-64 backend needs (use -accel tcg,backend=interp)"
    )]
    MissingFeature(&'static str),
    #[error("cannot map {size} bytes of executable memory: {source}")]
    CodeBuffer { size: usize, source: std::io::Error },
    #[error("assembling the entry trampoline failed: {0}")]
    Trampoline(String),
}

type EntryFn = unsafe extern "sysv64" fn(
    env: *mut u8,
    code: usize,
    guest_base: *mut u8,
    guest_size: u64,
    saved_rsp: *mut u64,
) -> u64;

/// A compiled block.
pub struct X86Code {
    entry: usize,
    /// Address of the rel32 of each `goto_tb` jump.
    goto_tb: [Option<usize>; 2],
    /// The CPU state's scratch offset (for decoding exits).
    scratch: usize,
    len: usize,
}

impl X86Code {
    /// Host address of the block's first instruction.
    pub fn entry(&self) -> usize {
        self.entry
    }
    /// Bytes of host code.
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// The x86-64 backend.
pub struct X86_64 {
    buf: CodeBuffer,
    /// The entry trampoline, written at the first compile.
    entry: Option<EntryFn>,
    epilogue: usize,
    jump_cache: Box<[JcEntry]>,
    sites: Vec<Site>,
    /// The frontend's hottest globals, hottest first.
    hot: Vec<u32>,
    /// Globals kept in host registers across blocks: (global, register).
    pins: Vec<(u32, u8)>,
    /// The guest pc's offset in the CPU state, if the frontend said.
    pc_offset: Option<usize>,
}

/// Default code buffer size (`-accel tcg,tb-size=MiB`).
pub const DEFAULT_TB_SIZE_MIB: usize = 32;

/// Whether this host can run the backend.
pub fn host_supported() -> Result<(), Error> {
    for (name, ok) in [
        ("BMI1", std::arch::is_x86_feature_detected!("bmi1")),
        ("BMI2", std::arch::is_x86_feature_detected!("bmi2")),
        ("LZCNT", std::arch::is_x86_feature_detected!("lzcnt")),
        ("POPCNT", std::arch::is_x86_feature_detected!("popcnt")),
    ] {
        if !ok {
            return Err(Error::MissingFeature(name));
        }
    }
    Ok(())
}

impl X86_64 {
    /// A backend with a code buffer of `tb_size_mib` MiB.
    pub fn new(tb_size_mib: usize) -> Result<X86_64, Error> {
        Self::with_buffer_bytes(tb_size_mib.max(1) << 20)
    }

    /// A backend with a code buffer of `size` bytes (tests use tiny ones to
    /// exercise flushing).
    pub fn with_buffer_bytes(size: usize) -> Result<X86_64, Error> {
        host_supported()?;
        let buf = CodeBuffer::new(size).map_err(|source| Error::CodeBuffer { size, source })?;
        fault::install();
        Ok(X86_64 {
            buf,
            entry: None,
            epilogue: 0,
            jump_cache: vec![JC_EMPTY; 1 << JC_BITS].into_boxed_slice(),
            sites: Vec::new(),
            hot: Vec::new(),
            pins: Vec::new(),
            pc_offset: None,
        })
    }

    /// Bytes of code currently in the buffer.
    pub fn code_bytes(&self) -> usize {
        self.buf.used()
    }

    /// Writes the entry trampoline and epilogue for this frontend's globals
    /// (the first block tells which): they load and store the pinned ones.
    fn make_trampoline(&mut self, block: &Block) -> Result<(), CompileError> {
        self.pins = self
            .hot
            .iter()
            .filter(|&&g| (g as usize) < block.globals.len())
            .zip(regalloc::PIN_REGS)
            .map(|(&g, r)| (g, r))
            .collect();
        let pin_slots: Vec<(i32, u8)> = self
            .pins
            .iter()
            .map(|&(g, r)| (block.globals[g as usize].offset as i32, r))
            .collect();
        let base = self.buf.next_aligned_addr();
        let mut a = regalloc::Asm::new(base);
        let epilogue = a.new_dynamic_label();
        // entry(env=rdi, code=rsi, guest_base=rdx, guest_size=rcx, saved_rsp=r8)
        dynasm!(a
            ; .arch x64
            ; push rbp
            ; push rbx
            ; push r12
            ; push r13
            ; push r14
            ; push r15
            ; sub rsp, 8
            // Keep the saved-rsp word's address for the epilogue; the
            // instruction counter is the word before it.
            ; mov [rsp], r8
            ; mov r13, [r8 - 8]
            ; mov rbp, rdi
            ; mov r15, rdx
            ; mov r14, rcx
            ; mov [r8], rsp
            ; mov r11, rsi
        );
        for &(off, r) in &pin_slots {
            dynasm!(a ; .arch x64 ; mov Rq(r), QWORD [rbp + off]);
        }
        dynasm!(a ; .arch x64 ; jmp r11 ; =>epilogue);
        for &(off, r) in &pin_slots {
            dynasm!(a ; .arch x64 ; mov QWORD [rbp + off], Rq(r));
        }
        dynasm!(a
            ; .arch x64
            ; mov r11, [rsp]
            ; mov [r11 - 8], r13
            ; add rsp, 8
            ; pop r15
            ; pop r14
            ; pop r13
            ; pop r12
            ; pop rbx
            ; pop rbp
            ; ret
        );
        let bad = |e: String| CompileError::Invalid(format!("entry trampoline: {e}"));
        let epi_off = a
            .labels()
            .resolve_dynamic(epilogue)
            .map_err(|e| bad(e.to_string()))?
            .0;
        let bytes = a.finalize().map_err(|e| bad(e.to_string()))?;
        let at = self.buf.append(&bytes).ok_or(CompileError::BufferFull)?;
        self.buf.seal_prefix();
        // SAFETY: `at` is the start of the trampoline just written, whose
        // calling convention is `EntryFn`.
        self.entry = Some(unsafe { std::mem::transmute::<usize, EntryFn>(at) });
        self.epilogue = at + epi_off;
        Ok(())
    }
}

impl Backend for X86_64 {
    type Code = X86Code;

    fn name(&self) -> &'static str {
        "x86_64"
    }

    fn compile(
        &mut self,
        block: &Block,
        env_size: usize,
        tag: u32,
    ) -> Result<X86Code, CompileError> {
        if self.entry.is_none() {
            self.make_trampoline(block)?;
        }
        let scratch = scratch_offset(env_size);
        let base = self.buf.next_aligned_addr();
        let ctx = emit::Ctx {
            block,
            scratch: scratch as i32,
            epilogue: self.epilogue,
            jump_cache: self.jump_cache.as_ptr() as usize,
            tag,
            base,
            first_site: self.sites.len(),
            scratch_room: ENV_SCRATCH_BYTES - SCRATCH_RESERVED,
            pins: &self.pins,
            pc_global: self.pc_offset.and_then(|off| {
                block
                    .globals
                    .iter()
                    .position(|g| g.offset as usize == off)
                    .map(|g| g as u32)
            }),
        };
        let em = emit::emit_block(&ctx)?;
        let addr = self.buf.append(&em.bytes).ok_or(CompileError::BufferFull)?;
        debug_assert_eq!(addr, base, "code assembled for another address");
        self.sites.extend(em.sites.iter().map(|s| Site {
            host: s.host + addr,
            ..*s
        }));
        Ok(X86Code {
            entry: addr,
            goto_tb: em.goto_tb.map(|g| g.map(|(rel, _)| addr + rel)),
            scratch,
            len: em.bytes.len(),
        })
    }

    fn link(&mut self, from: &X86Code, slot: u8, to: &X86Code) {
        if let Some(Some(rel)) = from.goto_tb.get(slot as usize) {
            let disp = to.entry as i64 - (*rel as i64 + 4);
            self.buf.patch_u32(*rel, disp as i32 as u32);
        }
    }

    fn set_hints(&mut self, hints: &FrontendHints<'_>) {
        self.hot = hints.hot_globals.to_vec();
        self.pc_offset = hints.pc_offset;
    }

    fn note_target(&mut self, pc: u64, code: &X86Code) {
        let i = ((pc >> 1) & JC_MASK) as usize;
        self.jump_cache[i] = JcEntry {
            pc,
            host: code.entry as u64,
        };
    }

    fn disas(&self, code: &X86Code) -> Option<String> {
        use iced_x86::{Decoder, DecoderOptions, Formatter, IntelFormatter};
        // SAFETY: the block's bytes are inside the code buffer until a flush.
        let bytes = unsafe { std::slice::from_raw_parts(code.entry as *const u8, code.len) };
        let mut d = Decoder::with_ip(64, bytes, code.entry as u64, DecoderOptions::NONE);
        let mut f = IntelFormatter::new();
        let mut out = String::new();
        while d.can_decode() {
            let i = d.decode();
            out += &format!("  {:#014x}:  ", i.ip());
            f.format(&i, &mut out);
            out.push('\n');
        }
        Some(out)
    }

    fn flush(&mut self) {
        self.buf.reset();
        self.sites.clear();
        self.jump_cache.fill(JC_EMPTY);
    }

    unsafe fn exec(&mut self, code: &X86Code, env: *mut u8, mem: &GuestMemView) -> TbExit {
        // SAFETY: the caller guarantees env has the CPU state and scratch
        // area; the scratch offset was computed for this frontend.
        let scratch = unsafe { env.add(code.scratch) } as *mut u64;
        let mut active = Active {
            code_start: self.buf.next_addr() - self.buf.used(),
            code_end: self.buf.next_addr(),
            sites: self.sites.as_ptr(),
            nsites: self.sites.len(),
            epilogue: self.epilogue,
            guest_base: mem.base as usize,
            scratch,
        };
        fault::set_active(&mut active);
        // SAFETY: the trampoline saves callee-saved registers, runs blocks
        // that only touch the CPU state, guest memory (bounds-checked, with
        // faults caught by `fault`) and helpers, and returns an exit word.
        let Some(entry) = self.entry else {
            unreachable!("exec before any compile");
        };
        let word = unsafe {
            (entry)(
                env,
                code.entry,
                mem.base,
                mem.size,
                scratch.add(fault::W_SAVED_RSP),
            )
        };
        fault::set_active(std::ptr::null_mut());
        // SAFETY: the scratch words are inside the CPU state allocation.
        let w = |i: usize| unsafe { *scratch.add(i) };
        match word & 3 {
            EXIT_KIND_EXIT => TbExit::Exit(word >> 2),
            EXIT_KIND_GOTO_TB => TbExit::GotoTb {
                slot: ((word >> 2) & 1) as u8,
                tag: w(fault::W_NEXT_PC) as u32,
            },
            EXIT_KIND_GOTO_PTR => TbExit::GotoPtr(w(fault::W_NEXT_PC)),
            _ => {
                let site = self.sites[w(fault::W_FAULT_SITE) as usize];
                let addr = w(fault::W_FAULT_ADDR);
                let kind = match w(fault::W_FAULT_KIND) {
                    fault::KIND_MISALIGNED => FaultKind::Misaligned,
                    fault::KIND_OUT_OF_RANGE => FaultKind::Unmapped,
                    _ => {
                        // The host faulted inside guest memory: the page
                        // flags tell a hole from a protected page.
                        let page = addr >> mem.page_shift;
                        // SAFETY: addr < size (host faults only happen
                        // past the bounds check), so the index is valid.
                        let flags = if addr < mem.size {
                            unsafe { *mem.page_flags.add(page as usize) }
                        } else {
                            0
                        };
                        if flags == 0 {
                            FaultKind::Unmapped
                        } else {
                            FaultKind::Protection
                        }
                    }
                };
                TbExit::Fault(GuestFault {
                    pc: site.guest_pc,
                    addr,
                    access: site.access,
                    kind,
                })
            }
        }
    }
}
