//! The guest process and its system calls.
//!
//! [`Process`] owns the guest's memory and the little kernel state a
//! single-threaded process needs (brk, signal dispositions, ...). The
//! execution loop calls [`Process::syscall`] on every guest system-call trap
//! and writes the returned value to the guest's result register.
//!
//! As in qemu-user, guest file descriptors are host descriptors, guest paths
//! are host paths (tried under the sysroot first when one is set), and calls
//! whose structures have the same layout on guest and host are forwarded
//! with their buffers lent straight from guest memory. Structures that
//! differ (`struct stat`, ...) are converted field by field. Guest pointers
//! are untrusted: every range is checked against the guest's page
//! permissions first and yields `-EFAULT` otherwise.
//!
//! ```text
//!   ecall ─► syscall(nr, args) ─► dispatch ─► fs / mem / misc handler
//!                                   │            │ checks guest ranges
//!                                   │            └─► host:: wrapper ─► host kernel
//!                                   └─► SyscallOutcome::{Return, Exit, Signal}
//! ```

mod fs;
mod mem;
mod misc;
pub mod names;
pub mod signal;
#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::ffi::{CString, OsStr};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use polyvm_ir::abi::{PAGE_READ, PAGE_WRITE};
use polyvm_runtime::guest_mem::{GuestMemError, GuestMemory, PAGE_SIZE};

use super::arch::Arch;
use super::host;
pub use signal::GuestSigaction;

/// What the execution loop does after a system call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyscallOutcome {
    /// Write this to the result register (a negative errno as `u64` on
    /// failure) and continue after the trap.
    Return(u64),
    /// The process exited with this status (`exit`, `exit_group`).
    Exit(i32),
    /// The guest sent itself this signal and it is not ignored or blocked.
    /// Until signal delivery exists the process dies of it: print
    /// [`signal::uncaught_message`] and exit with [`signal::exit_status`].
    /// [`Process::signal_action`] tells whether the guest installed a handler.
    Signal(i32),
}

/// Result of one handler: the value, or a positive errno.
type SysResult = Result<u64, i32>;

/// Longest guest path we accept, including its NUL (Linux's PATH_MAX).
const PATH_MAX: usize = 4096;

/// Converts a host `-errno`/value result.
fn hret(r: i64) -> SysResult {
    if r < 0 {
        Err((-r) as i32)
    } else {
        Ok(r as u64)
    }
}

fn fault<T>(_: T) -> i32 {
    libc::EFAULT
}

/// Maps a guest path to the host file system: an absolute path is looked up
/// under the sysroot first and used from there if anything exists at it
/// (even a dangling symlink); otherwise the path is used as is.
pub fn host_path(sysroot: Option<&Path>, guest: &[u8]) -> PathBuf {
    let plain = Path::new(OsStr::from_bytes(guest));
    if let (Some(root), true) = (sysroot, guest.starts_with(b"/")) {
        let rel = guest
            .iter()
            .position(|&b| b != b'/')
            .map_or(&[][..], |i| &guest[i..]);
        let cand = root.join(OsStr::from_bytes(rel));
        if cand.symlink_metadata().is_ok() {
            return cand;
        }
    }
    plain.to_path_buf()
}

/// A single-threaded guest process.
pub struct Process {
    /// The guest's memory (the runner hands its view to the vCPU).
    pub(crate) mem: GuestMemory,
    arch: &'static Arch,
    brk_start: u64,
    brk: u64,
    sysroot: Option<PathBuf>,
    exe: PathBuf,
    pid: i32,
    sigactions: [GuestSigaction; signal::NSIG + 1],
    sigmask: u64,
    /// sigaltstack: (ss_sp, ss_flags, ss_size).
    altstack: (u64, i32, u64),
    tid_address: u64,
    robust_list: u64,
    /// Resource limits the guest set that we must not apply to ourselves.
    rlimit_override: [Option<[u64; 2]>; 16],
    comm: [u8; 16],
    reported: HashSet<u64>,
    strace: bool,
}

impl std::fmt::Debug for Process {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Process")
            .field("arch", &self.arch.name)
            .field("exe", &self.exe)
            .field("brk", &self.brk)
            .finish_non_exhaustive()
    }
}

impl Process {
    /// A process around loaded memory. `brk` is the initial program break
    /// (page-aligned end of the executable); `exe` is the host path that
    /// `/proc/self/exe` reports.
    pub fn new(
        mem: GuestMemory,
        arch: &'static Arch,
        brk: u64,
        sysroot: Option<PathBuf>,
        exe: PathBuf,
    ) -> Process {
        let mut comm = [0u8; 16];
        if let Some(name) = exe.file_name() {
            let b = name.as_bytes();
            let n = b.len().min(15);
            comm[..n].copy_from_slice(&b[..n]);
        }
        Process {
            mem,
            arch,
            brk_start: brk,
            brk,
            sysroot,
            exe,
            pid: host::getpid() as i32,
            sigactions: [GuestSigaction::default(); signal::NSIG + 1],
            sigmask: 0,
            altstack: (0, signal::SS_DISABLE, 0),
            tid_address: 0,
            robust_list: 0,
            rlimit_override: [None; 16],
            comm,
            reported: HashSet::new(),
            strace: false,
        }
    }

    pub fn mem(&self) -> &GuestMemory {
        &self.mem
    }

    pub fn mem_mut(&mut self) -> &mut GuestMemory {
        &mut self.mem
    }

    pub fn arch(&self) -> &'static Arch {
        self.arch
    }

    /// The current program break.
    pub fn brk(&self) -> u64 {
        self.brk
    }

    /// The host path of the executable (what `/proc/self/exe` reads).
    pub fn exe(&self) -> &Path {
        &self.exe
    }

    pub fn sysroot(&self) -> Option<&Path> {
        self.sysroot.as_deref()
    }

    /// The address `set_tid_address` registered (for a future thread exit).
    pub fn tid_address(&self) -> u64 {
        self.tid_address
    }

    /// Logs every call and its result on stderr (`-strace`).
    pub fn set_strace(&mut self, on: bool) {
        self.strace = on;
    }

    /// The disposition the guest set for `sig` (default for out-of-range).
    pub fn signal_action(&self, sig: i32) -> GuestSigaction {
        usize::try_from(sig)
            .ok()
            .and_then(|s| self.sigactions.get(s))
            .copied()
            .unwrap_or_default()
    }

    /// Performs system call `nr` (in the architecture's numbering) with the
    /// guest's six argument registers.
    pub fn syscall(&mut self, nr: u64, args: [u64; 6]) -> SyscallOutcome {
        let out = self.dispatch(nr, args);
        if self.strace {
            let name = names::syscall_name(self.arch, nr).unwrap_or("unknown");
            let a = args;
            let res = match out {
                SyscallOutcome::Return(v) if (v as i64) < 0 && (v as i64) > -4096 => {
                    format!(
                        "-1 errno={} ({})",
                        -(v as i64),
                        std::io::Error::from_raw_os_error(-(v as i64) as i32)
                    )
                }
                SyscallOutcome::Return(v) => format!("{v:#x}"),
                SyscallOutcome::Exit(c) => format!("exit {c}"),
                SyscallOutcome::Signal(s) => format!("signal {s}"),
            };
            eprintln!(
                "{} {name}({:#x},{:#x},{:#x},{:#x},{:#x},{:#x}) = {res}",
                self.pid, a[0], a[1], a[2], a[3], a[4], a[5]
            );
        }
        out
    }

    fn dispatch(&mut self, nr: u64, a: [u64; 6]) -> SyscallOutcome {
        use names::nr::*;
        let fd = |i: usize| a[i] as i32;
        let r = match nr {
            EXIT | EXIT_GROUP => return SyscallOutcome::Exit(a[0] as i32 & 0xff),
            KILL => return self.sys_kill(a[0] as i32, a[1] as i32),
            TKILL => return self.sys_tgkill(None, a[0] as i32, a[1] as i32),
            TGKILL => return self.sys_tgkill(Some(a[0] as i32), a[1] as i32, a[2] as i32),

            // Files and descriptors (fs.rs).
            READ => self.sys_read(fd(0), a[1], a[2], None),
            WRITE => self.sys_write(fd(0), a[1], a[2], None),
            PREAD64 => self.sys_read(fd(0), a[1], a[2], Some(a[3] as i64)),
            PWRITE64 => self.sys_write(fd(0), a[1], a[2], Some(a[3] as i64)),
            READV => self.sys_readv(fd(0), a[1], a[2], false),
            WRITEV => self.sys_readv(fd(0), a[1], a[2], true),
            OPENAT => self.sys_openat(fd(0), a[1], a[2] as i32, a[3] as u32),
            CLOSE => hret(host::close(fd(0))),
            LSEEK => hret(host::lseek(fd(0), a[1] as i64, a[2] as i32)),
            FSTAT => self.sys_fstat(fd(0), a[1]),
            NEWFSTATAT => self.sys_newfstatat(fd(0), a[1], a[2], a[3] as i32),
            STATX => self.sys_statx(fd(0), a[1], a[2] as i32, a[3] as u32, a[4]),
            GETDENTS64 => self.sys_getdents64(fd(0), a[1], a[2]),
            READLINKAT => self.sys_readlinkat(fd(0), a[1], a[2], a[3]),
            GETCWD => self.sys_getcwd(a[0], a[1]),
            CHDIR => self.path(a[0]).and_then(|p| hret(host::chdir(&p))),
            FCHDIR => hret(host::fchdir(fd(0))),
            FACCESSAT => self
                .path(a[1])
                .and_then(|p| hret(host::faccessat(fd(0), &p, a[2] as i32))),
            FACCESSAT2 => self
                .path(a[1])
                .and_then(|p| hret(host::faccessat2(fd(0), &p, a[2] as i32, a[3] as i32))),
            UNLINKAT => self
                .path(a[1])
                .and_then(|p| hret(host::unlinkat(fd(0), &p, a[2] as i32))),
            MKDIRAT => self
                .path(a[1])
                .and_then(|p| hret(host::mkdirat(fd(0), &p, a[2] as u32))),
            RENAMEAT2 => self.sys_renameat2(fd(0), a[1], fd(2), a[3], a[4] as u32),
            SYMLINKAT => self.sys_symlinkat(a[0], fd(1), a[2]),
            LINKAT => self.sys_linkat(fd(0), a[1], fd(2), a[3], a[4] as i32),
            FCHMODAT => self
                .path(a[1])
                .and_then(|p| hret(host::fchmodat(fd(0), &p, a[2] as u32))),
            FCHMOD => hret(host::fchmod(fd(0), a[1] as u32)),
            FCHOWNAT => self.path(a[1]).and_then(|p| {
                hret(host::fchownat(
                    fd(0),
                    &p,
                    a[2] as u32,
                    a[3] as u32,
                    a[4] as i32,
                ))
            }),
            FCHOWN => hret(host::fchown(fd(0), a[1] as u32, a[2] as u32)),
            UTIMENSAT => self.sys_utimensat(fd(0), a[1], a[2], a[3] as i32),
            TRUNCATE => self
                .path(a[0])
                .and_then(|p| hret(host::truncate(&p, a[1] as i64))),
            FTRUNCATE => hret(host::ftruncate(fd(0), a[1] as i64)),
            FSYNC => hret(host::fsync(fd(0))),
            FDATASYNC => hret(host::fdatasync(fd(0))),
            FLOCK => hret(host::flock(fd(0), a[1] as i32)),
            FCNTL => self.sys_fcntl(fd(0), a[1] as i32, a[2]),
            DUP => hret(host::dup(fd(0))),
            DUP3 => hret(host::dup3(fd(0), fd(1), a[2] as i32)),
            PIPE2 => self.sys_pipe2(a[0], a[1] as i32),
            IOCTL => self.sys_ioctl(fd(0), a[1], a[2]),
            UMASK => hret(host::umask(a[0] as u32 & 0o777)),

            // Memory (mem.rs).
            BRK => Ok(self.sys_brk(a[0])),
            MMAP => self.sys_mmap(a[0], a[1], a[2], a[3], fd(4), a[5]),
            MUNMAP => self.sys_munmap(a[0], a[1]),
            MPROTECT => self.sys_mprotect(a[0], a[1], a[2]),
            MREMAP => self.sys_mremap(a[0], a[1], a[2], a[3], a[4]),
            MADVISE => self.sys_madvise(a[0], a[1], a[2] as i32),

            // Everything else (misc.rs).
            UNAME => self.sys_uname(a[0]),
            CLOCK_GETTIME => self.sys_clock_gettime(a[0] as i32, a[1], false),
            CLOCK_GETRES => self.sys_clock_gettime(a[0] as i32, a[1], true),
            GETTIMEOFDAY => self.sys_gettimeofday(a[0], a[1]),
            NANOSLEEP => self.sys_clock_nanosleep(libc::CLOCK_MONOTONIC, 0, a[0], a[1]),
            CLOCK_NANOSLEEP => self.sys_clock_nanosleep(a[0] as i32, a[1] as i32, a[2], a[3]),
            GETRANDOM => self.sys_getrandom(a[0], a[1], a[2] as u32),
            SET_TID_ADDRESS => {
                self.tid_address = a[0];
                Ok(self.pid as u64)
            }
            SET_ROBUST_LIST => {
                if a[1] != 24 {
                    Err(libc::EINVAL)
                } else {
                    self.robust_list = a[0];
                    Ok(0)
                }
            }
            // glibc registers rseq only if the kernel supports it.
            RSEQ => Err(libc::ENOSYS),
            RT_SIGACTION => self.sys_rt_sigaction(a[0] as i32, a[1], a[2], a[3]),
            RT_SIGPROCMASK => self.sys_rt_sigprocmask(a[0] as i32, a[1], a[2], a[3]),
            SIGALTSTACK => self.sys_sigaltstack(a[0], a[1]),
            PRLIMIT64 => self.sys_prlimit(a[0] as i32, a[1] as u32, a[2], a[3]),
            GETRLIMIT => self.sys_prlimit(0, a[0] as u32, 0, a[1]),
            SETRLIMIT => self.sys_prlimit(0, a[0] as u32, a[1], 0),
            GETPID | GETTID => Ok(self.pid as u64),
            GETPPID => hret(host::getppid()),
            GETUID => hret(host::getuid()),
            GETEUID => hret(host::geteuid()),
            GETGID => hret(host::getgid()),
            GETEGID => hret(host::getegid()),
            SCHED_GETAFFINITY => self.sys_sched_getaffinity(a[0] as i32, a[1], a[2]),
            SCHED_YIELD => hret(host::sched_yield()),
            FUTEX => self.sys_futex(a[0], a[1] as i32, a[2] as u32, a[3], a[4], a[5] as u32),
            SYSINFO => self.sys_sysinfo(a[0]),
            TIMES => self.sys_times(a[0]),
            GETRUSAGE => self.sys_getrusage(a[0] as i32, a[1]),
            PRCTL => self.sys_prctl(a[0] as i32, a[1]),
            RISCV_HWPROBE if self.arch.name == "riscv64" => {
                self.sys_riscv_hwprobe(a[0], a[1], a[2], a[3], a[4])
            }
            // The runtime notices modified code pages itself.
            RISCV_FLUSH_ICACHE if self.arch.name == "riscv64" => Ok(0),
            _ => {
                self.report_unsupported(nr);
                Err(libc::ENOSYS)
            }
        };
        SyscallOutcome::Return(match r {
            Ok(v) => v,
            Err(e) => (-i64::from(e)) as u64,
        })
    }

    /// Says once per number that a call is missing.
    fn report_unsupported(&mut self, nr: u64) {
        if self.reported.insert(nr) {
            let name = names::syscall_name(self.arch, nr).unwrap_or("unknown");
            eprintln!("polyvm: unsupported syscall {nr} ({name})");
        }
    }

    // ---- guest-memory helpers: every failure is EFAULT ----

    fn read_u64(&self, addr: u64) -> Result<u64, i32> {
        let mut b = [0u8; 8];
        self.mem.read(addr, &mut b).map_err(fault)?;
        Ok(self.arch.word_from(b))
    }

    fn read_u32(&self, addr: u64) -> Result<u32, i32> {
        let mut b = [0u8; 4];
        self.mem.read(addr, &mut b).map_err(fault)?;
        Ok(self.arch.u32_from(b))
    }

    fn write_bytes(&mut self, addr: u64, data: &[u8]) -> Result<(), i32> {
        self.mem.write(addr, data).map_err(fault)
    }

    fn write_u64(&mut self, addr: u64, v: u64) -> Result<(), i32> {
        let b = self.arch.word_bytes(v);
        self.write_bytes(addr, &b)
    }

    fn write_u32(&mut self, addr: u64, v: u32) -> Result<(), i32> {
        let b = self.arch.u32_bytes(v);
        self.write_bytes(addr, &b)
    }

    /// A guest `struct timespec` (two 64-bit words).
    fn read_timespec(&self, addr: u64) -> Result<libc::timespec, i32> {
        let sec = self.read_u64(addr)? as i64;
        let nsec = self.read_u64(addr + 8)? as i64;
        Ok(libc::timespec {
            tv_sec: sec as libc::time_t,
            tv_nsec: nsec as libc::c_long,
        })
    }

    fn write_timespec(&mut self, addr: u64, ts: &libc::timespec) -> Result<(), i32> {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&self.arch.word_bytes(ts.tv_sec as u64));
        b[8..].copy_from_slice(&self.arch.word_bytes(ts.tv_nsec as u64));
        self.write_bytes(addr, &b)
    }

    /// How many bytes from `addr` (up to `len`) are accessible with `need`:
    /// Linux copies up to the first bad page and returns a short count.
    fn accessible_len(&self, addr: u64, len: u64, need: u8) -> u64 {
        if self.mem.is_mapped_range(addr, len, need) {
            return len;
        }
        let mut ok = 0;
        while ok < len {
            let page_left = PAGE_SIZE - ((addr + ok) & (PAGE_SIZE - 1));
            let step = page_left.min(len - ok);
            if !self.mem.is_mapped_range(addr + ok, step, need) {
                break;
            }
            ok += step;
        }
        ok
    }

    /// Guest buffer for a host call that reads it.
    fn in_buf(&self, addr: u64, len: u64) -> Result<&[u8], i32> {
        self.mem
            .host_slice(addr, len, PAGE_READ)
            .ok_or(libc::EFAULT)
    }

    /// Guest buffer for a host call that fills it.
    fn out_buf(&mut self, addr: u64, len: u64) -> Result<&mut [u8], i32> {
        self.mem
            .host_slice_mut(addr, len, PAGE_WRITE)
            .ok_or(libc::EFAULT)
    }

    /// A guest C string, as is (for data such as a symlink's target).
    fn cstring(&self, addr: u64) -> Result<CString, i32> {
        let s = self
            .mem
            .read_cstr(addr, PATH_MAX - 1)
            .map_err(|e| match e {
                GuestMemError::StringTooLong { .. } => libc::ENAMETOOLONG,
                _ => libc::EFAULT,
            })?;
        // read_cstr stops at the first NUL, so there is none inside.
        CString::new(s).map_err(|_| libc::EINVAL)
    }

    /// Is this guest path the process's own executable?
    fn is_self_exe(&self, p: &[u8]) -> bool {
        p == b"/proc/self/exe"
            || p == b"/proc/thread-self/exe"
            || p == format!("/proc/{}/exe", self.pid).as_bytes()
    }

    /// A guest path argument, mapped to the host path to use.
    fn path(&self, addr: u64) -> Result<CString, i32> {
        let raw = self.cstring(addr)?;
        let b = raw.as_bytes();
        if self.is_self_exe(b) {
            return CString::new(self.exe.as_os_str().as_bytes()).map_err(|_| libc::ENOENT);
        }
        if self.sysroot.is_none() || !b.starts_with(b"/") {
            return Ok(raw);
        }
        let p = host_path(self.sysroot.as_deref(), b);
        CString::new(p.into_os_string().into_vec()).map_err(|_| libc::EINVAL)
    }
}
