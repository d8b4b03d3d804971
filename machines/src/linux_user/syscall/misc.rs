//! Time, identity, limits, futex and other small system calls.
//!
//! Layouts used here (all 64-bit asm-generic, checked in the riscv64
//! headers): `timespec`/`timeval` are two 64-bit words, `utsname` six
//! 65-byte strings, `rlimit` two 64-bit words, `tms` four longs, `rusage`
//! two timevals and fourteen longs, `sysinfo` 112 bytes as encoded below.

use super::{hret, Process, SysResult};
use crate::linux_user::host;

const UTS_FIELD: usize = 65;
const RLIMIT_DATA: u32 = 2;
const RLIMIT_STACK: u32 = 3;
const RLIMIT_AS: u32 = 9;
const RLIM_NLIMITS: u32 = 16;

const FUTEX_WAIT: i32 = 0;
const FUTEX_WAKE: i32 = 1;
const FUTEX_REQUEUE: i32 = 3;
const FUTEX_CMP_REQUEUE: i32 = 4;
const FUTEX_WAKE_OP: i32 = 5;
const FUTEX_WAIT_BITSET: i32 = 9;
const FUTEX_WAKE_BITSET: i32 = 10;
const FUTEX_PRIVATE_FLAG: i32 = 128;
const FUTEX_CLOCK_REALTIME: i32 = 256;

const PR_GET_DUMPABLE: i32 = 3;
const PR_SET_DUMPABLE: i32 = 4;
const PR_SET_NAME: i32 = 15;
const PR_GET_NAME: i32 = 16;

/// Little serialiser for guest structures in the guest's byte order.
struct Out {
    b: Vec<u8>,
    be: bool,
}

impl Out {
    fn new(size: usize, be: bool) -> Out {
        Out {
            b: vec![0; size],
            be,
        }
    }
    fn u64(&mut self, at: usize, v: u64) {
        let bytes = if self.be {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.b[at..at + 8].copy_from_slice(&bytes);
    }
    fn u32(&mut self, at: usize, v: u32) {
        let bytes = if self.be {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.b[at..at + 4].copy_from_slice(&bytes);
    }
    fn u16(&mut self, at: usize, v: u16) {
        let bytes = if self.be {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.b[at..at + 2].copy_from_slice(&bytes);
    }
}

/// Copies a NUL-terminated C char array into a 65-byte utsname field.
fn uts_field(dst: &mut [u8], src: &[libc::c_char]) {
    let bytes: Vec<u8> = src
        .iter()
        .map(|&c| c as u8)
        .take_while(|&c| c != 0)
        .take(UTS_FIELD - 1)
        .collect();
    dst[..bytes.len()].copy_from_slice(&bytes);
}

impl Process {
    /// `uname`: the host's names, with the guest's machine.
    pub(super) fn sys_uname(&mut self, buf: u64) -> SysResult {
        let u = host::uname().map_err(|e| (-e) as i32)?;
        let mut b = vec![0u8; 6 * UTS_FIELD];
        let fields: [&[libc::c_char]; 6] = [
            &u.sysname,
            &u.nodename,
            &u.release,
            &u.version,
            &u.machine,
            &u.domainname,
        ];
        for (i, f) in fields.iter().enumerate() {
            uts_field(&mut b[i * UTS_FIELD..(i + 1) * UTS_FIELD], f);
        }
        let m = self.arch.uname_machine.as_bytes();
        let field = &mut b[4 * UTS_FIELD..5 * UTS_FIELD];
        field.fill(0);
        field[..m.len()].copy_from_slice(m);
        self.write_bytes(buf, &b)?;
        Ok(0)
    }

    /// `clock_gettime`, or `clock_getres` when `res` (whose pointer may be
    /// NULL).
    pub(super) fn sys_clock_gettime(&mut self, clk: i32, tp: u64, res: bool) -> SysResult {
        let ts = if res {
            host::clock_getres(clk)
        } else {
            host::clock_gettime(clk)
        }
        .map_err(|e| (-e) as i32)?;
        if tp != 0 || !res {
            self.write_timespec(tp, &ts)?;
        }
        Ok(0)
    }

    /// `gettimeofday`; the timezone (if asked) is UTC, as the kernel's
    /// default `sys_tz`.
    pub(super) fn sys_gettimeofday(&mut self, tv: u64, tz: u64) -> SysResult {
        if tv != 0 {
            let ts = host::clock_gettime(libc::CLOCK_REALTIME).map_err(|e| (-e) as i32)?;
            let us = libc::timespec {
                tv_sec: ts.tv_sec,
                tv_nsec: ts.tv_nsec / 1000,
            };
            // struct timeval has the same two-word shape as timespec.
            self.write_timespec(tv, &us)?;
        }
        if tz != 0 {
            self.write_bytes(tz, &[0u8; 8])?;
        }
        Ok(0)
    }

    /// `nanosleep` (on CLOCK_MONOTONIC, as Linux) and `clock_nanosleep`.
    pub(super) fn sys_clock_nanosleep(
        &mut self,
        clk: i32,
        flags: i32,
        req: u64,
        rem: u64,
    ) -> SysResult {
        let ts = self.read_timespec(req)?;
        if ts.tv_sec < 0 || !(0..1_000_000_000).contains(&ts.tv_nsec) {
            return Err(libc::EINVAL);
        }
        let (r, left) = host::clock_nanosleep(clk, flags, &ts);
        if r == -i64::from(libc::EINTR) && rem != 0 && flags & libc::TIMER_ABSTIME == 0 {
            self.write_timespec(rem, &left)?;
        }
        hret(r)
    }

    pub(super) fn sys_getrandom(&mut self, buf: u64, len: u64, flags: u32) -> SysResult {
        let b = self.out_buf(buf, len)?;
        hret(host::getrandom(b, flags))
    }

    /// `prlimit64` (and `getrlimit`/`setrlimit` with pid 0). Limits on our
    /// own address space, data and stack are recorded but not applied:
    /// they would constrain the emulator, not the guest.
    pub(super) fn sys_prlimit(&mut self, pid: i32, res: u32, new: u64, old: u64) -> SysResult {
        if pid != 0 && pid != self.pid {
            // Another process: the layouts match, forward as is.
            let n = if new != 0 {
                Some([self.read_u64(new)?, self.read_u64(new + 8)?])
            } else {
                None
            };
            let o = host::prlimit(pid, res as i32, n).map_err(|e| (-e) as i32)?;
            if old != 0 {
                self.write_u64(old, o[0])?;
                self.write_u64(old + 8, o[1])?;
            }
            return Ok(0);
        }
        if res >= RLIM_NLIMITS {
            return Err(libc::EINVAL);
        }
        let n = if new != 0 {
            let v = [self.read_u64(new)?, self.read_u64(new + 8)?];
            if v[0] > v[1] {
                return Err(libc::EINVAL);
            }
            Some(v)
        } else {
            None
        };
        let current = match self.rlimit_override[res as usize] {
            Some(v) => v,
            None => host::prlimit(0, res as i32, None).map_err(|e| (-e) as i32)?,
        };
        if let Some(v) = n {
            if matches!(res, RLIMIT_AS | RLIMIT_DATA | RLIMIT_STACK) {
                // Raising the hard limit needs privilege, as on the host.
                if v[1] > current[1] && host::geteuid() != 0 {
                    return Err(libc::EPERM);
                }
                self.rlimit_override[res as usize] = Some(v);
            } else {
                host::prlimit(0, res as i32, Some(v)).map_err(|e| (-e) as i32)?;
            }
        }
        if old != 0 {
            self.write_u64(old, current[0])?;
            self.write_u64(old + 8, current[1])?;
        }
        Ok(0)
    }

    /// `sched_getaffinity`: the host's mask for our (single) thread.
    pub(super) fn sys_sched_getaffinity(&mut self, pid: i32, len: u64, mask: u64) -> SysResult {
        let pid = if pid == self.pid { 0 } else { pid };
        let b = self.out_buf(mask, len)?;
        hret(host::sched_getaffinity(pid, b))
    }

    /// `futex` for a single-threaded process: there is never anyone to wake
    /// or to wait for. A wait whose value matches can only end by timeout;
    /// without one it would block forever, so it returns EINTR (reported
    /// once) instead of hanging.
    pub(super) fn sys_futex(
        &mut self,
        uaddr: u64,
        op: i32,
        val: u32,
        timeout: u64,
        uaddr2: u64,
        val3: u32,
    ) -> SysResult {
        let cmd = op & !(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
        match cmd {
            FUTEX_WAIT | FUTEX_WAIT_BITSET => {
                if !uaddr.is_multiple_of(4) {
                    return Err(libc::EINVAL);
                }
                if cmd == FUTEX_WAIT_BITSET && val3 == 0 {
                    return Err(libc::EINVAL);
                }
                if self.read_u32(uaddr)? != val {
                    return Err(libc::EAGAIN);
                }
                if timeout == 0 {
                    if self.reported.insert(u64::MAX) {
                        eprintln!(
                            "polyvm: futex wait with no other thread to wake it (returning EINTR)"
                        );
                    }
                    return Err(libc::EINTR);
                }
                let ts = self.read_timespec(timeout)?;
                if ts.tv_sec < 0 || !(0..1_000_000_000).contains(&ts.tv_nsec) {
                    return Err(libc::EINVAL);
                }
                // FUTEX_WAIT's timeout is relative (monotonic); the bitset
                // form's is absolute on the chosen clock.
                let (clk, flags) = if cmd == FUTEX_WAIT {
                    (libc::CLOCK_MONOTONIC, 0)
                } else if op & FUTEX_CLOCK_REALTIME != 0 {
                    (libc::CLOCK_REALTIME, libc::TIMER_ABSTIME)
                } else {
                    (libc::CLOCK_MONOTONIC, libc::TIMER_ABSTIME)
                };
                let (r, _) = host::clock_nanosleep(clk, flags, &ts);
                hret(r)?;
                Err(libc::ETIMEDOUT)
            }
            FUTEX_WAKE | FUTEX_WAKE_BITSET | FUTEX_REQUEUE => Ok(0),
            FUTEX_CMP_REQUEUE => {
                if self.read_u32(uaddr)? != val3 {
                    return Err(libc::EAGAIN);
                }
                Ok(0)
            }
            FUTEX_WAKE_OP => {
                // val3 = op:4 cmp:4 oparg:12 cmparg:12; the operation on
                // *uaddr2 happens even though nobody is woken.
                let opc = (val3 >> 28) & 0xf;
                let mut oparg = ((val3 << 8) as i32 >> 20) as u32;
                if opc & 8 != 0 {
                    oparg = 1u32.wrapping_shl(oparg & 31);
                }
                if !uaddr2.is_multiple_of(4) {
                    return Err(libc::EINVAL);
                }
                let old = self.read_u32(uaddr2)?;
                let new = match opc & 7 {
                    0 => oparg,
                    1 => old.wrapping_add(oparg),
                    2 => old | oparg,
                    3 => old & !oparg,
                    4 => old ^ oparg,
                    _ => return Err(libc::ENOSYS),
                };
                self.write_u32(uaddr2, new)?;
                Ok(0)
            }
            _ => Err(libc::ENOSYS),
        }
    }

    /// `sysinfo`: 112 bytes: uptime, loads[3], totalram, freeram,
    /// sharedram, bufferram, totalswap, freeswap (8 bytes each, from 0),
    /// procs u16 at 80, totalhigh at 88, freehigh at 96, mem_unit u32 at 104.
    // libc's field widths follow the host's `long`.
    #[allow(clippy::unnecessary_cast)]
    pub(super) fn sys_sysinfo(&mut self, buf: u64) -> SysResult {
        let si = host::sysinfo().map_err(|e| (-e) as i32)?;
        let mut o = Out::new(112, self.arch.big_endian);
        o.u64(0, si.uptime as u64);
        for (i, l) in si.loads.iter().enumerate() {
            o.u64(8 + 8 * i, *l as u64);
        }
        o.u64(32, si.totalram as u64);
        o.u64(40, si.freeram as u64);
        o.u64(48, si.sharedram as u64);
        o.u64(56, si.bufferram as u64);
        o.u64(64, si.totalswap as u64);
        o.u64(72, si.freeswap as u64);
        o.u16(80, si.procs);
        o.u64(88, si.totalhigh as u64);
        o.u64(96, si.freehigh as u64);
        o.u32(104, si.mem_unit);
        self.write_bytes(buf, &o.b)?;
        Ok(0)
    }

    /// `times`: four clock_t counters; returns the tick count.
    pub(super) fn sys_times(&mut self, buf: u64) -> SysResult {
        let (r, t) = host::times();
        let r = hret(r)?;
        if buf != 0 {
            let mut o = Out::new(32, self.arch.big_endian);
            o.u64(0, t.tms_utime as u64);
            o.u64(8, t.tms_stime as u64);
            o.u64(16, t.tms_cutime as u64);
            o.u64(24, t.tms_cstime as u64);
            self.write_bytes(buf, &o.b)?;
        }
        Ok(r)
    }

    /// `getrusage`: ru_utime, ru_stime (timevals), then fourteen longs.
    pub(super) fn sys_getrusage(&mut self, who: i32, buf: u64) -> SysResult {
        let ru = host::getrusage(who).map_err(|e| (-e) as i32)?;
        let mut o = Out::new(144, self.arch.big_endian);
        o.u64(0, ru.ru_utime.tv_sec as u64);
        o.u64(8, ru.ru_utime.tv_usec as u64);
        o.u64(16, ru.ru_stime.tv_sec as u64);
        o.u64(24, ru.ru_stime.tv_usec as u64);
        let longs = [
            ru.ru_maxrss,
            ru.ru_ixrss,
            ru.ru_idrss,
            ru.ru_isrss,
            ru.ru_minflt,
            ru.ru_majflt,
            ru.ru_nswap,
            ru.ru_inblock,
            ru.ru_oublock,
            ru.ru_msgsnd,
            ru.ru_msgrcv,
            ru.ru_nsignals,
            ru.ru_nvcsw,
            ru.ru_nivcsw,
        ];
        for (i, v) in longs.iter().enumerate() {
            o.u64(32 + 8 * i, *v as u64);
        }
        self.write_bytes(buf, &o.b)?;
        Ok(0)
    }

    /// `prctl`: the thread name and the dumpable flag; other options EINVAL.
    pub(super) fn sys_prctl(&mut self, option: i32, arg2: u64) -> SysResult {
        match option {
            PR_SET_NAME => {
                let mut name = [0u8; 16];
                let s = self.mem.read_cstr(arg2, 4096).map_err(|_| libc::EFAULT)?;
                let n = s.len().min(15);
                name[..n].copy_from_slice(&s[..n]);
                self.comm = name;
                Ok(0)
            }
            PR_GET_NAME => {
                let name = self.comm;
                self.write_bytes(arg2, &name)?;
                Ok(0)
            }
            PR_GET_DUMPABLE => Ok(1),
            PR_SET_DUMPABLE => Ok(0),
            _ => Err(libc::EINVAL),
        }
    }

    /// `riscv_hwprobe(pairs, count, cpusetsize, cpus, flags)`: answers for
    /// RV64GC: base behaviour IMA, extensions F+D and C; unknown keys get
    /// key -1 as the kernel does.
    pub(super) fn sys_riscv_hwprobe(
        &mut self,
        pairs: u64,
        count: u64,
        _setsize: u64,
        _cpus: u64,
        flags: u64,
    ) -> SysResult {
        const KEY_MVENDORID: u64 = 0;
        const KEY_MARCHID: u64 = 1;
        const KEY_MIMPID: u64 = 2;
        const KEY_BASE_BEHAVIOR: u64 = 3;
        const KEY_IMA_EXT_0: u64 = 4;
        const BASE_BEHAVIOR_IMA: u64 = 1;
        const IMA_FD: u64 = 1 << 0;
        const IMA_C: u64 = 1 << 1;
        if flags != 0 {
            return Err(libc::EINVAL);
        }
        if count > 4096 {
            return Err(libc::EINVAL);
        }
        for i in 0..count {
            let at = pairs + 16 * i;
            let key = self.read_u64(at)?;
            let (k, v) = match key {
                KEY_MVENDORID | KEY_MARCHID | KEY_MIMPID => (key, 0),
                KEY_BASE_BEHAVIOR => (key, BASE_BEHAVIOR_IMA),
                KEY_IMA_EXT_0 => (key, IMA_FD | IMA_C),
                _ => (u64::MAX, 0),
            };
            self.write_u64(at, k)?;
            self.write_u64(at + 8, v)?;
        }
        Ok(0)
    }
}
