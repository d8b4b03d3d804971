//! Running a linux-user process: load the program, create the vCPU, and
//! serve its exits (system calls, faults, illegal instructions) until the
//! guest exits — QEMU's `cpu_loop`.
//!
//! ```text
//!  load_program ─► vCPU (pc = entry, sp) ─► run ─► ECALL  ─► Process::syscall ─► a0, pc += 4 ─┐
//!                                            ▲     FENCE_I ─► flush translations ─────────────┤
//!                                            │     ILLEGAL / EBREAK / fault ─► report, 128+sig │
//!                                            └────────────────────────────────────────────────┘
//! ```

use std::io::Write;
use std::path::PathBuf;

use polyvm_accel::tcg::{self, TcgOptions};
use polyvm_accel::VcpuExit;
use polyvm_frontend_riscv::{cpu, Riscv64Frontend, RiscvCpu};
use polyvm_ir::abi::{Access, FaultKind, GuestFault};
use polyvm_runtime::{Log, LogMask, Stats};

use super::{load_program_bytes, SyscallOutcome};
use crate::{Error, Result};

/// Where the guest program comes from.
pub enum Program {
    Path(PathBuf),
    /// An image built into polyvm (the demo).
    Bytes {
        name: String,
        data: &'static [u8],
    },
}

/// Everything `polyvm user` decided before running.
pub struct UserConfig {
    pub program: Program,
    pub argv: Vec<String>,
    pub envp: Vec<String>,
    pub sysroot: Option<PathBuf>,
    pub tcg: TcgOptions,
    pub log: LogMask,
    pub log_out: Box<dyn Write + Send>,
    /// Log every system call and its result on stderr (`-strace`).
    pub strace: bool,
}

/// How the guest ended.
pub struct Outcome {
    /// Exit status as a shell reports it (128 + signal for a fatal signal).
    pub status: i32,
    pub stats: Option<Stats>,
}

const SIGILL: i32 = 4;
const SIGTRAP: i32 = 5;
const SIGBUS: i32 = 7;
const SIGSEGV: i32 = 11;

/// The guest range whose translations a system call may have made stale
/// (unmapped, re-protected or replaced code), given its arguments and
/// result; `None` for calls that cannot affect mapped code.
fn stale_code_range(nr: u64, args: &[u64; 6], ret: u64) -> Option<(u64, u64)> {
    let failed = (ret as i64) < 0 && (ret as i64) > -4096;
    let range = |start: u64, len: u64| Some((start, start.saturating_add(len)));
    match nr {
        // munmap, mprotect: the range given.
        215 | 226 => range(args[0], args[1]),
        // mremap: the old range goes away.
        216 if !failed => range(args[0], args[1]),
        // mmap: only a MAP_FIXED mapping can replace existing code; the
        // range is where the mapping landed.
        222 if !failed => range(ret, args[1]),
        _ => None,
    }
}

pub fn run(cfg: UserConfig) -> Result<Outcome> {
    let (name, data): (String, std::borrow::Cow<'static, [u8]>) = match &cfg.program {
        Program::Path(p) => {
            let data = std::fs::read(p).map_err(|e| Error::Io {
                what: format!("cannot open program {}", p.display()),
                source: e,
            })?;
            (p.to_string_lossy().into_owned(), data.into())
        }
        Program::Bytes { name, data } => (name.clone(), (*data).into()),
    };
    let (mut process, loaded) =
        load_program_bytes(&name, &data, &cfg.argv, &cfg.envp, cfg.sysroot.as_deref())?;
    process.set_strace(cfg.strace);

    let log = Log::new(cfg.log, cfg.log_out);
    let mut vcpu = tcg::create_vcpu(Riscv64Frontend::new(), &cfg.tcg, log)?;
    {
        // SAFETY: the vCPU was created for the riscv64 frontend, whose CPU
        // state is a `RiscvCpu` at `env_ptr`; no other reference is live.
        let st: &mut RiscvCpu = unsafe { RiscvCpu::from_env(vcpu.env_ptr()) };
        st.pc = loaded.entry;
        st.x[2] = loaded.sp;
    }
    let guest_errors = cfg.log.guest_errors;

    let status = loop {
        let view = process.mem.view();
        let exit = vcpu.run(&view)?;
        // SAFETY: as above; the reference ends before the next `run`.
        let st: &mut RiscvCpu = unsafe { RiscvCpu::from_env(vcpu.env_ptr()) };
        match exit {
            VcpuExit::Event(cpu::EXIT_ECALL) => {
                let nr = st.x[17];
                let args = [st.x[10], st.x[11], st.x[12], st.x[13], st.x[14], st.x[15]];
                match process.syscall(nr, args) {
                    SyscallOutcome::Return(v) => {
                        st.x[10] = v;
                        st.pc += 4;
                        if let Some((start, end)) = stale_code_range(nr, &args, v) {
                            vcpu.invalidate_code(start, end);
                        }
                    }
                    SyscallOutcome::Exit(code) => break code,
                    // No signal delivery yet: the guest dies of it.
                    SyscallOutcome::Signal(sig) => {
                        eprintln!("{}", super::uncaught_message(sig));
                        break super::exit_status(sig);
                    }
                }
            }
            VcpuExit::Event(cpu::EXIT_FENCE_I) => vcpu.flush_code(),
            VcpuExit::Event(cpu::EXIT_ILLEGAL) => {
                let (pc, insn) = (st.pc, st.badinsn);
                let width = if insn & 3 == 3 { 8 } else { 4 };
                eprintln!(
                    "polyvm: guest illegal instruction at pc {pc:#x} (encoding {insn:#0w$x}): uncaught SIGILL",
                    w = width + 2
                );
                break 128 + SIGILL;
            }
            VcpuExit::Event(cpu::EXIT_EBREAK) => {
                eprintln!(
                    "polyvm: guest breakpoint (ebreak) at pc {:#x}: uncaught SIGTRAP",
                    st.pc
                );
                break 128 + SIGTRAP;
            }
            VcpuExit::Event(other) => {
                return Err(Error::Internal(format!(
                    "unknown riscv64 exit code {other} at pc {:#x}",
                    st.pc
                )))
            }
            VcpuExit::Fault(f) => {
                if guest_errors {
                    eprintln!("polyvm: guest_errors: {f:?}");
                }
                let (sig, text) = describe_fault(&f);
                eprintln!("polyvm: {text}");
                break 128 + sig;
            }
        }
    };
    let _ = std::io::stdout().flush();
    Ok(Outcome {
        status,
        stats: vcpu.stats().cloned(),
    })
}

/// The signal a Linux guest would get for `f`, and one line for the user.
fn describe_fault(f: &GuestFault) -> (i32, String) {
    let access = match f.access {
        Access::Read => "reading",
        Access::Write => "writing",
        Access::Exec => "executing",
    };
    match f.kind {
        FaultKind::Misaligned => (
            SIGBUS,
            format!(
                "guest bus error (misaligned access) at pc {:#x} {access} {:#x}: uncaught SIGBUS",
                f.pc, f.addr
            ),
        ),
        kind => {
            let why = if kind == FaultKind::Unmapped {
                "unmapped address"
            } else {
                "permission denied"
            };
            (
                SIGSEGV,
                format!(
                    "guest segmentation fault at pc {:#x} {access} {:#x} ({why}): uncaught SIGSEGV",
                    f.pc, f.addr
                ),
            )
        }
    }
}
