//! Guest signal state: dispositions, mask and alternate stack, recorded but
//! not yet delivered, plus what to do when the guest signals itself.
//!
//! Signal numbers and `struct sigaction` are the asm-generic ones (riscv64
//! has no `sa_restorer`: handler, flags, mask; 24 bytes).

use super::{Process, SysResult, SyscallOutcome};
use crate::linux_user::host;

/// Highest signal number.
pub const NSIG: usize = 64;
pub const SIG_DFL: u64 = 0;
pub const SIG_IGN: u64 = 1;
pub const SIGKILL: i32 = 9;
pub const SIGSTOP: i32 = 19;
pub const SS_ONSTACK: i32 = 1;
pub const SS_DISABLE: i32 = 2;
const SS_AUTODISARM: i32 = 1 << 31;
const MINSIGSTKSZ: u64 = 2048;
const SIG_BLOCK: i32 = 0;
const SIG_UNBLOCK: i32 = 1;
const SIG_SETMASK: i32 = 2;

/// A guest `struct sigaction`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GuestSigaction {
    pub handler: u64,
    pub flags: u64,
    pub mask: u64,
}

/// What a signal does to a process that keeps its default action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultAction {
    Terminate,
    CoreDump,
    Ignore,
    Stop,
}

pub fn default_action(sig: i32) -> DefaultAction {
    match sig {
        // SIGQUIT SIGILL SIGTRAP SIGABRT SIGBUS SIGFPE SIGSEGV SIGXCPU SIGXFSZ SIGSYS
        3 | 4 | 5 | 6 | 7 | 8 | 11 | 24 | 25 | 31 => DefaultAction::CoreDump,
        // SIGCHLD SIGCONT SIGURG SIGWINCH
        17 | 18 | 23 | 28 => DefaultAction::Ignore,
        // SIGSTOP SIGTSTP SIGTTIN SIGTTOU
        19..=22 => DefaultAction::Stop,
        _ => DefaultAction::Terminate,
    }
}

/// `strsignal`-style description.
pub fn describe(sig: i32) -> &'static str {
    match sig {
        1 => "Hangup",
        2 => "Interrupt",
        3 => "Quit",
        4 => "Illegal instruction",
        5 => "Trace/breakpoint trap",
        6 => "Aborted",
        7 => "Bus error",
        8 => "Floating point exception",
        9 => "Killed",
        10 => "User defined signal 1",
        11 => "Segmentation fault",
        12 => "User defined signal 2",
        13 => "Broken pipe",
        14 => "Alarm clock",
        15 => "Terminated",
        24 => "CPU time limit exceeded",
        25 => "File size limit exceeded",
        26 => "Virtual timer expired",
        27 => "Profiling timer expired",
        31 => "Bad system call",
        _ => "Unknown signal",
    }
}

/// The line printed when the guest dies of a signal, in qemu-user's words.
pub fn uncaught_message(sig: i32) -> String {
    let core = if default_action(sig) == DefaultAction::CoreDump {
        " - core dumped"
    } else {
        ""
    };
    format!(
        "polyvm: uncaught target signal {sig} ({}){core}",
        describe(sig)
    )
}

/// Shell-style exit status of a process killed by `sig`.
pub fn exit_status(sig: i32) -> i32 {
    128 + sig
}

impl Process {
    /// The outcome of the guest sending `sig` to itself.
    fn signal_self(&mut self, sig: i32) -> SyscallOutcome {
        if sig == 0 {
            return SyscallOutcome::Return(0);
        }
        if !(1..=NSIG as i32).contains(&sig) {
            return SyscallOutcome::Return((-libc::EINVAL) as i64 as u64);
        }
        let blockable = sig != SIGKILL && sig != SIGSTOP;
        if blockable && self.sigmask & (1 << (sig - 1)) != 0 {
            // Stays pending; with no delivery yet it never arrives.
            return SyscallOutcome::Return(0);
        }
        let act = self.signal_action(sig);
        let ignored = blockable
            && (act.handler == SIG_IGN
                || (act.handler == SIG_DFL
                    // Without job control, stop signals are ignored.
                    && matches!(
                        default_action(sig),
                        DefaultAction::Ignore | DefaultAction::Stop
                    )));
        if ignored {
            SyscallOutcome::Return(0)
        } else {
            SyscallOutcome::Signal(sig)
        }
    }

    /// `kill(pid, sig)`: to ourselves (our pid or our process group via 0),
    /// or forwarded to the host for other processes.
    pub(super) fn sys_kill(&mut self, pid: i32, sig: i32) -> SyscallOutcome {
        if pid == self.pid || pid == 0 {
            return self.signal_self(sig);
        }
        let r = host::kill(pid, sig);
        SyscallOutcome::Return(r as u64)
    }

    /// `tkill(tid, sig)` / `tgkill(tgid, tid, sig)`: only our one thread.
    pub(super) fn sys_tgkill(&mut self, tgid: Option<i32>, tid: i32, sig: i32) -> SyscallOutcome {
        if tid <= 0 || tgid.is_some_and(|g| g <= 0) {
            return SyscallOutcome::Return((-libc::EINVAL) as i64 as u64);
        }
        if tid == self.pid && tgid.is_none_or(|g| g == self.pid) {
            return self.signal_self(sig);
        }
        SyscallOutcome::Return((-libc::ESRCH) as i64 as u64)
    }

    pub(super) fn sys_rt_sigaction(
        &mut self,
        sig: i32,
        act: u64,
        oact: u64,
        setsize: u64,
    ) -> SysResult {
        if setsize != 8 || !(1..=NSIG as i32).contains(&sig) {
            return Err(libc::EINVAL);
        }
        let new = if act != 0 {
            if sig == SIGKILL || sig == SIGSTOP {
                return Err(libc::EINVAL);
            }
            Some(GuestSigaction {
                handler: self.read_u64(act)?,
                flags: self.read_u64(act + 8)?,
                mask: self.read_u64(act + 16)?,
            })
        } else {
            None
        };
        if oact != 0 {
            let old = self.sigactions[sig as usize];
            let mut b = [0u8; 24];
            b[..8].copy_from_slice(&self.arch.word_bytes(old.handler));
            b[8..16].copy_from_slice(&self.arch.word_bytes(old.flags));
            b[16..].copy_from_slice(&self.arch.word_bytes(old.mask));
            self.write_bytes(oact, &b)?;
        }
        if let Some(n) = new {
            self.sigactions[sig as usize] = n;
        }
        Ok(0)
    }

    pub(super) fn sys_rt_sigprocmask(
        &mut self,
        how: i32,
        set: u64,
        oset: u64,
        setsize: u64,
    ) -> SysResult {
        if setsize != 8 {
            return Err(libc::EINVAL);
        }
        let new = if set != 0 {
            let s = self.read_u64(set)?;
            Some(match how {
                SIG_BLOCK => self.sigmask | s,
                SIG_UNBLOCK => self.sigmask & !s,
                SIG_SETMASK => s,
                _ => return Err(libc::EINVAL),
            })
        } else {
            None
        };
        if oset != 0 {
            self.write_u64(oset, self.sigmask)?;
        }
        if let Some(m) = new {
            // SIGKILL and SIGSTOP cannot be blocked.
            self.sigmask = m & !((1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1)));
        }
        Ok(0)
    }

    /// `sigaltstack`: `stack_t` is { ss_sp, int ss_flags, ss_size } (24 bytes).
    pub(super) fn sys_sigaltstack(&mut self, ss: u64, oss: u64) -> SysResult {
        let new = if ss != 0 {
            let sp = self.read_u64(ss)?;
            let flags = self.read_u32(ss + 8)? as i32;
            let size = self.read_u64(ss + 16)?;
            let mode = flags & !SS_AUTODISARM;
            if mode != 0 && mode != SS_DISABLE && mode != SS_ONSTACK {
                return Err(libc::EINVAL);
            }
            if mode != SS_DISABLE && size < MINSIGSTKSZ {
                return Err(libc::ENOMEM);
            }
            Some(if mode == SS_DISABLE {
                (0, SS_DISABLE, 0)
            } else {
                (sp, flags & SS_AUTODISARM, size)
            })
        } else {
            None
        };
        if oss != 0 {
            let (sp, flags, size) = self.altstack;
            let mut b = [0u8; 24];
            b[..8].copy_from_slice(&self.arch.word_bytes(sp));
            b[8..12].copy_from_slice(&self.arch.u32_bytes(flags as u32));
            b[16..].copy_from_slice(&self.arch.word_bytes(size));
            self.write_bytes(oss, &b)?;
        }
        if let Some(n) = new {
            self.altstack = n;
        }
        Ok(0)
    }
}
