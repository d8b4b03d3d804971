//! The execution loop: find or translate the block at the guest pc, run it,
//! follow its exit, until a guest event needs the machine.
//!
//! ```text
//!        ┌──────────── linked goto_tb exit (no lookup) ─────────────┐
//!        ▼                                                          │
//!   lookup(pc) ─miss─► translate ─► optimise ─► compile ─► exec ────┤
//!        ▲                                                  │       │
//!        └── goto_ptr / exit_tb 0 / unlinked goto_tb ◄──────┘       │
//!                                        exit_tb n≠0, fault ─► return to the machine
//! ```

use std::time::{Duration, Instant};

use polyvm_ir::abi::{
    scratch_offset, Access, Backend, CodeFetch, CompileError, FaultKind, Frontend, FrontendHints,
    GuestFault, GuestMemView, TbExit, ENV_SCRATCH_BYTES, PAGE_EXEC, SCRATCH_ICOUNT,
};

use crate::log::Log;
use crate::tb::{Tb, TbCache, TbId, NO_TB};

/// Counters behind `--stats`.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Guest instructions executed (counted by the backends per block run).
    pub insns_executed: u64,
    /// Blocks translated (including re-translations after flushes).
    pub blocks_translated: u64,
    /// Guest instructions translated.
    pub insns_translated: u64,
    /// Blocks entered from the dispatcher (chained blocks are not counted).
    pub dispatches: u64,
    /// Translation-cache flushes.
    pub flushes: u64,
    /// Time spent translating (frontend, optimiser, backend).
    pub translate_time: Duration,
    /// Time spent inside `run`, translation included.
    pub run_time: Duration,
}

impl Stats {
    pub fn exec_time(&self) -> Duration {
        self.run_time.saturating_sub(self.translate_time)
    }
}

/// Why `run` returned to the machine.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum RunExit {
    /// A frontend-defined exit code (`exit_tb n`, n ≠ 0): a system call,
    /// breakpoint, illegal instruction …; the guest pc is in the CPU state.
    Exit(u64),
    /// A precise guest memory fault (the CPU state's pc is set to `pc`).
    Fault(GuestFault),
}

/// Tuning knobs.
#[derive(Clone, Debug)]
pub struct ExecOptions {
    /// Most guest instructions per block.
    pub max_block_insns: u32,
    /// Flush the cache when it holds more blocks than this.
    pub max_blocks: usize,
    /// Run the IR optimiser on each block.
    pub optimize: bool,
}

impl Default for ExecOptions {
    fn default() -> Self {
        ExecOptions {
            max_block_insns: 512,
            max_blocks: 1 << 18,
            optimize: true,
        }
    }
}

/// The CPU state plus the backend's scratch area, 16-byte aligned.
struct EnvBox {
    words: Vec<u128>,
}

impl EnvBox {
    fn new(env_size: usize) -> EnvBox {
        EnvBox {
            words: vec![0u128; (scratch_offset(env_size) + ENV_SCRATCH_BYTES).div_ceil(16)],
        }
    }
    fn ptr(&mut self) -> *mut u8 {
        self.words.as_mut_ptr() as *mut u8
    }
}

/// Reads guest code through the guest memory view, requiring exec permission.
struct ViewFetch<'a>(&'a GuestMemView);

impl CodeFetch for ViewFetch<'_> {
    fn fetch(&self, addr: u64, out: &mut [u8]) -> bool {
        let m = self.0;
        let len = out.len() as u64;
        let Some(end) = addr.checked_add(len) else {
            return false;
        };
        if len == 0 || end > m.size {
            return len == 0;
        }
        let mut page = addr >> m.page_shift;
        while page <= (end - 1) >> m.page_shift {
            // SAFETY: page < size >> page_shift: inside the flags table.
            if unsafe { *m.page_flags.add(page as usize) } & PAGE_EXEC == 0 {
                return false;
            }
            page += 1;
        }
        // SAFETY: the range is inside the mapping and its pages are mapped
        // (exec implies host-readable in user mode).
        unsafe {
            core::ptr::copy_nonoverlapping(m.base.add(addr as usize), out.as_mut_ptr(), out.len())
        };
        true
    }
}

/// One TCG vCPU: a frontend, a backend, their translation cache and the
/// CPU state.
pub struct Executor<F: Frontend, B: Backend> {
    frontend: F,
    backend: B,
    cache: TbCache<B::Code>,
    env: EnvBox,
    pub stats: Stats,
    pub log: Log,
    pub opts: ExecOptions,
}

/// A block could not be compiled (a backend limit or a frontend bug).
#[derive(Debug, thiserror::Error)]
#[error("cannot compile the block at guest pc {pc:#x}: {err}")]
pub struct ExecError {
    pub pc: u64,
    pub err: CompileError,
}

impl<F: Frontend, B: Backend> Executor<F, B> {
    pub fn new(frontend: F, mut backend: B, opts: ExecOptions) -> Self {
        let env = EnvBox::new(frontend.env_size());
        backend.set_hints(&FrontendHints {
            hot_globals: frontend.hot_globals(),
            pc_offset: Some(frontend.pc_offset()),
        });
        Executor {
            frontend,
            backend,
            cache: TbCache::default(),
            env,
            stats: Stats::default(),
            log: Log::default(),
            opts,
        }
    }

    pub fn frontend(&self) -> &F {
        &self.frontend
    }

    pub fn backend_name(&self) -> &'static str {
        self.backend.name()
    }

    /// The CPU state (the frontend's struct lives at this address).
    pub fn env_ptr(&mut self) -> *mut u8 {
        self.env.ptr()
    }

    pub fn pc(&mut self) -> u64 {
        let off = self.frontend.pc_offset();
        // SAFETY: the frontend says a u64 pc lives at this offset of its state.
        unsafe { (self.env.ptr().add(off) as *const u64).read() }
    }

    pub fn set_pc(&mut self, pc: u64) {
        let off = self.frontend.pc_offset();
        // SAFETY: as in `pc`.
        unsafe { (self.env.ptr().add(off) as *mut u64).write(pc) }
    }

    /// Drops every translated block (after `fence.i`, or when guest code
    /// pages are unmapped or made writable).
    pub fn flush(&mut self) {
        self.cache.flush();
        self.backend.flush();
        self.stats.flushes += 1;
    }

    /// Drops every block if any overlaps `[start, end)`.
    pub fn invalidate_range(&mut self, start: u64, end: u64) {
        if self.cache.overlaps(start, end) {
            self.flush();
        }
    }

    /// Runs guest code until an exit the machine must handle.
    pub fn run(&mut self, mem: &GuestMemView) -> Result<RunExit, ExecError> {
        let t0 = Instant::now();
        let r = self.run_inner(mem);
        self.stats.run_time += t0.elapsed();
        self.stats.insns_executed = self.insns_executed();
        self.log.flush();
        r
    }

    fn run_inner(&mut self, mem: &GuestMemView) -> Result<RunExit, ExecError> {
        let env = self.env.ptr();
        // The block at `pc`, or return the instruction-fetch fault.
        macro_rules! find_or_fault {
            ($pc:expr) => {
                match self.find($pc, mem)? {
                    Ok(id) => id,
                    Err(fault) => return Ok(self.fault(fault)),
                }
            };
        }
        let pc = self.pc();
        let mut tb = find_or_fault!(pc);
        loop {
            self.stats.dispatches += 1;
            let t = self.cache.get(tb);
            if self.log.mask.exec {
                let (pc, insns) = (t.pc, t.insns);
                self.log
                    .write(format_args!("Trace: {pc:#018x} [{insns} insns]\n"));
            }
            // SAFETY: `env` is this vCPU's state plus scratch, allocated for
            // this frontend; `mem` is the machine's live guest memory.
            let exit = unsafe { self.backend.exec(&t.code, env, mem) };
            tb = match exit {
                TbExit::GotoTb { slot, tag: from } => {
                    let linked = self
                        .cache
                        .get(from)
                        .links
                        .get(slot as usize)
                        .copied()
                        .unwrap_or(NO_TB);
                    if linked != NO_TB {
                        linked
                    } else {
                        let flushes = self.stats.flushes;
                        let pc = self.pc();
                        let id = find_or_fault!(pc);
                        // A flush inside `find` dropped `from`; and `-d exec`
                        // wants to see every block.
                        if self.stats.flushes == flushes && !self.log.mask.exec {
                            self.cache.link(from, slot, id);
                            let (f, t) = (&self.cache.get(from).code, &self.cache.get(id).code);
                            self.backend.link(f, slot, t);
                        }
                        id
                    }
                }
                TbExit::GotoPtr(target) => {
                    self.set_pc(target);
                    let id = find_or_fault!(target);
                    self.backend.note_target(target, &self.cache.get(id).code);
                    id
                }
                TbExit::Exit(0) => {
                    let pc = self.pc();
                    find_or_fault!(pc)
                }
                TbExit::Exit(code) => return Ok(RunExit::Exit(code)),
                TbExit::Fault(f) => return Ok(self.fault(f)),
            };
        }
    }

    /// Guest instructions executed so far (kept by the backends in the
    /// scratch area, so chained blocks are counted too).
    pub fn insns_executed(&mut self) -> u64 {
        let off = scratch_offset(self.frontend.env_size()) + SCRATCH_ICOUNT;
        // SAFETY: the counter lies in the scratch area of this vCPU's state.
        unsafe { (self.env.ptr().add(off) as *const u64).read() }
    }

    fn fault(&mut self, f: GuestFault) -> RunExit {
        self.set_pc(f.pc);
        RunExit::Fault(f)
    }

    /// The block at `pc`, translating it on a miss. The inner `Err` is an
    /// instruction-fetch fault.
    #[inline]
    fn find(&mut self, pc: u64, mem: &GuestMemView) -> Result<Result<TbId, GuestFault>, ExecError> {
        if let Some(id) = self.cache.lookup(pc) {
            return Ok(Ok(id));
        }
        self.translate(pc, mem)
    }

    #[cold]
    fn translate(
        &mut self,
        pc: u64,
        mem: &GuestMemView,
    ) -> Result<Result<TbId, GuestFault>, ExecError> {
        let t0 = Instant::now();
        if self.cache.len() >= self.opts.max_blocks {
            self.flush();
        }
        let mut max_insns = self.opts.max_block_insns.max(1);
        let mut flushed = false;
        let result = loop {
            let translated = match self.frontend.translate(&ViewFetch(mem), pc, max_insns) {
                Ok(t) => t,
                Err(addr) => {
                    break Ok(Err(GuestFault {
                        pc,
                        addr,
                        access: Access::Exec,
                        kind: FaultKind::Unmapped,
                    }))
                }
            };
            let mut block = translated.block;
            if self.log.mask.in_asm {
                self.log_in_asm(mem, pc, translated.guest_size);
            }
            if self.log.mask.op {
                self.log.write(format_args!("OP:\n{block}\n"));
            }
            if self.opts.optimize {
                polyvm_ir::opt::optimize(&mut block);
            }
            if self.log.mask.op_opt {
                self.log
                    .write(format_args!("OP after optimization:\n{block}\n"));
            }
            let tag = self.cache.len() as u32;
            match self.backend.compile(&block, self.frontend.env_size(), tag) {
                Ok(code) => {
                    if self.log.mask.out_asm {
                        if let Some(text) = self.backend.disas(&code) {
                            self.log.write(format_args!(
                                "OUT: [size={}]\n{text}\n",
                                text.lines().count()
                            ));
                        }
                    }
                    self.stats.blocks_translated += 1;
                    self.stats.insns_translated += translated.insns as u64;
                    let id = self.cache.insert(Tb {
                        pc,
                        guest_size: translated.guest_size,
                        insns: translated.insns,
                        code,
                        links: [NO_TB; 2],
                    });
                    break Ok(Ok(id));
                }
                // A block too big for the backend is retried shorter.
                Err(CompileError::TooLarge { .. }) if max_insns > 1 => {
                    max_insns /= 2;
                }
                // A full code buffer: start afresh (once; a block that does
                // not fit an empty buffer is an error).
                Err(CompileError::BufferFull) if !flushed => {
                    self.flush();
                    flushed = true;
                }
                Err(err) => break Err(ExecError { pc, err }),
            }
        };
        self.stats.translate_time += t0.elapsed();
        result
    }

    fn log_in_asm(&mut self, mem: &GuestMemView, pc: u64, size: u64) {
        self.log.write(format_args!("----------------\nIN: \n"));
        let mut at = pc;
        while at < pc + size {
            match self.frontend.disas(&ViewFetch(mem), at) {
                Some((text, len)) => {
                    self.log.write(format_args!("{at:#018x}:  {text}\n"));
                    at += len.max(1) as u64;
                }
                None => break,
            }
        }
        self.log.write(format_args!("\n"));
    }
}
