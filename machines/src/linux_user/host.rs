//! Thin wrappers over the host's system calls, so that the syscall layer
//! stays free of `unsafe`.
//!
//! Every wrapper returns the kernel convention, `i64`: a non-negative result
//! or `-errno`. Raw `syscall(2)` is used rather than libc's wrappers, so the
//! guest sees exactly what the host kernel said (e.g. `getcwd` returning a
//! length). Buffers are Rust slices: the callers obtained them from
//! `GuestMemory::host_slice{,_mut}` after checking the guest's permissions.

use std::ffi::CStr;

use libc::c_long;

/// Converts a raw `syscall(2)` result to the `-errno` convention.
#[allow(clippy::unnecessary_cast)] // c_long is i64 only on 64-bit hosts
fn ret(r: c_long) -> i64 {
    if r == -1 {
        -i64::from(errno())
    } else {
        r as i64
    }
}

/// The calling thread's errno.
pub fn errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

/// A path argument: a C string, or NULL for the calls that accept it.
fn cptr(p: Option<&CStr>) -> c_long {
    p.map_or(0, |s| s.as_ptr() as c_long)
}

macro_rules! raw {
    ($nr:expr $(, $a:expr)*) => {
        // SAFETY: every pointer argument comes from a live Rust reference or
        // slice whose length is passed alongside (or a NUL-terminated CStr),
        // so the kernel reads and writes only memory we lent it.
        ret(unsafe { libc::syscall($nr $(, $a as c_long)*) })
    };
}

pub fn read(fd: i32, buf: &mut [u8]) -> i64 {
    raw!(libc::SYS_read, fd, buf.as_mut_ptr(), buf.len())
}

pub fn write(fd: i32, buf: &[u8]) -> i64 {
    raw!(libc::SYS_write, fd, buf.as_ptr(), buf.len())
}

pub fn pread(fd: i32, buf: &mut [u8], off: i64) -> i64 {
    raw!(libc::SYS_pread64, fd, buf.as_mut_ptr(), buf.len(), off)
}

pub fn pwrite(fd: i32, buf: &[u8], off: i64) -> i64 {
    raw!(libc::SYS_pwrite64, fd, buf.as_ptr(), buf.len(), off)
}

/// `readv(2)` on host iovecs.
///
/// # Safety
/// Every iovec must describe host memory valid for writes of its length that
/// no live Rust reference aliases.
pub unsafe fn readv(fd: i32, iov: &[libc::iovec]) -> i64 {
    raw!(libc::SYS_readv, fd, iov.as_ptr(), iov.len())
}

/// `writev(2)` on host iovecs.
///
/// # Safety
/// Every iovec must describe host memory valid for reads of its length.
pub unsafe fn writev(fd: i32, iov: &[libc::iovec]) -> i64 {
    raw!(libc::SYS_writev, fd, iov.as_ptr(), iov.len())
}

pub fn openat(dirfd: i32, path: &CStr, flags: i32, mode: u32) -> i64 {
    raw!(libc::SYS_openat, dirfd, path.as_ptr(), flags, mode)
}

pub fn close(fd: i32) -> i64 {
    raw!(libc::SYS_close, fd)
}

pub fn lseek(fd: i32, off: i64, whence: i32) -> i64 {
    raw!(libc::SYS_lseek, fd, off, whence)
}

fn zeroed_stat() -> libc::stat {
    // SAFETY: `struct stat` is plain integers; all-zero is a valid value.
    unsafe { std::mem::zeroed() }
}

/// `newfstatat(2)`; `path` may be empty with `AT_EMPTY_PATH`.
pub fn fstatat(dirfd: i32, path: &CStr, flags: i32) -> Result<libc::stat, i64> {
    let mut st = zeroed_stat();
    let r = raw!(
        libc::SYS_newfstatat,
        dirfd,
        path.as_ptr(),
        &mut st as *mut libc::stat,
        flags
    );
    if r < 0 {
        Err(r)
    } else {
        Ok(st)
    }
}

pub fn fstat(fd: i32) -> Result<libc::stat, i64> {
    let mut st = zeroed_stat();
    let r = raw!(libc::SYS_fstat, fd, &mut st as *mut libc::stat);
    if r < 0 {
        Err(r)
    } else {
        Ok(st)
    }
}

/// `statx(2)` into a 256-byte buffer (its layout is the same everywhere).
pub fn statx(dirfd: i32, path: &CStr, flags: i32, mask: u32, buf: &mut [u8; 256]) -> i64 {
    raw!(
        libc::SYS_statx,
        dirfd,
        path.as_ptr(),
        flags,
        mask,
        buf.as_mut_ptr()
    )
}

pub fn getdents64(fd: i32, buf: &mut [u8]) -> i64 {
    raw!(libc::SYS_getdents64, fd, buf.as_mut_ptr(), buf.len())
}

pub fn readlinkat(dirfd: i32, path: &CStr, buf: &mut [u8]) -> i64 {
    raw!(
        libc::SYS_readlinkat,
        dirfd,
        path.as_ptr(),
        buf.as_mut_ptr(),
        buf.len()
    )
}

pub fn getcwd(buf: &mut [u8]) -> i64 {
    raw!(libc::SYS_getcwd, buf.as_mut_ptr(), buf.len())
}

pub fn chdir(path: &CStr) -> i64 {
    raw!(libc::SYS_chdir, path.as_ptr())
}

pub fn fchdir(fd: i32) -> i64 {
    raw!(libc::SYS_fchdir, fd)
}

pub fn faccessat(dirfd: i32, path: &CStr, mode: i32) -> i64 {
    raw!(libc::SYS_faccessat, dirfd, path.as_ptr(), mode)
}

pub fn faccessat2(dirfd: i32, path: &CStr, mode: i32, flags: i32) -> i64 {
    raw!(libc::SYS_faccessat2, dirfd, path.as_ptr(), mode, flags)
}

pub fn unlinkat(dirfd: i32, path: &CStr, flags: i32) -> i64 {
    raw!(libc::SYS_unlinkat, dirfd, path.as_ptr(), flags)
}

pub fn mkdirat(dirfd: i32, path: &CStr, mode: u32) -> i64 {
    raw!(libc::SYS_mkdirat, dirfd, path.as_ptr(), mode)
}

pub fn renameat2(olddir: i32, old: &CStr, newdir: i32, new: &CStr, flags: u32) -> i64 {
    raw!(
        libc::SYS_renameat2,
        olddir,
        old.as_ptr(),
        newdir,
        new.as_ptr(),
        flags
    )
}

pub fn symlinkat(target: &CStr, newdir: i32, link: &CStr) -> i64 {
    raw!(libc::SYS_symlinkat, target.as_ptr(), newdir, link.as_ptr())
}

pub fn linkat(olddir: i32, old: &CStr, newdir: i32, new: &CStr, flags: i32) -> i64 {
    raw!(
        libc::SYS_linkat,
        olddir,
        old.as_ptr(),
        newdir,
        new.as_ptr(),
        flags
    )
}

pub fn fchmodat(dirfd: i32, path: &CStr, mode: u32) -> i64 {
    raw!(libc::SYS_fchmodat, dirfd, path.as_ptr(), mode)
}

pub fn fchmod(fd: i32, mode: u32) -> i64 {
    raw!(libc::SYS_fchmod, fd, mode)
}

pub fn fchownat(dirfd: i32, path: &CStr, uid: u32, gid: u32, flags: i32) -> i64 {
    raw!(libc::SYS_fchownat, dirfd, path.as_ptr(), uid, gid, flags)
}

pub fn fchown(fd: i32, uid: u32, gid: u32) -> i64 {
    raw!(libc::SYS_fchown, fd, uid, gid)
}

/// `utimensat(2)`; a NULL path acts on `dirfd`, NULL times means "now".
pub fn utimensat(
    dirfd: i32,
    path: Option<&CStr>,
    times: Option<&[libc::timespec; 2]>,
    flags: i32,
) -> i64 {
    let t = times.map_or(std::ptr::null(), |t| t.as_ptr());
    raw!(libc::SYS_utimensat, dirfd, cptr(path), t, flags)
}

/// `fcntl(2)` with an integer (or no) argument.
pub fn fcntl_int(fd: i32, cmd: i32, arg: i64) -> i64 {
    raw!(libc::SYS_fcntl, fd, cmd, arg)
}

/// `fcntl(2)` with a `struct flock` (identical on every 64-bit Linux).
pub fn fcntl_flock(fd: i32, cmd: i32, lock: &mut [u8; 32]) -> i64 {
    raw!(libc::SYS_fcntl, fd, cmd, lock.as_mut_ptr())
}

pub fn flock(fd: i32, op: i32) -> i64 {
    raw!(libc::SYS_flock, fd, op)
}

pub fn dup(fd: i32) -> i64 {
    raw!(libc::SYS_dup, fd)
}

pub fn dup3(old: i32, new: i32, flags: i32) -> i64 {
    raw!(libc::SYS_dup3, old, new, flags)
}

pub fn pipe2(flags: i32) -> Result<[i32; 2], i64> {
    let mut fds = [0i32; 2];
    let r = raw!(libc::SYS_pipe2, fds.as_mut_ptr(), flags);
    if r < 0 {
        Err(r)
    } else {
        Ok(fds)
    }
}

/// `ioctl(2)` whose argument points at `arg.len()` bytes.
pub fn ioctl_buf(fd: i32, req: u64, arg: &mut [u8]) -> i64 {
    raw!(libc::SYS_ioctl, fd, req, arg.as_mut_ptr())
}

/// `ioctl(2)` without a pointer argument.
pub fn ioctl_int(fd: i32, req: u64, arg: u64) -> i64 {
    raw!(libc::SYS_ioctl, fd, req, arg)
}

pub fn isatty(fd: i32) -> bool {
    // SAFETY: isatty only inspects the descriptor.
    unsafe { libc::isatty(fd) == 1 }
}

pub fn ftruncate(fd: i32, len: i64) -> i64 {
    raw!(libc::SYS_ftruncate, fd, len)
}

pub fn truncate(path: &CStr, len: i64) -> i64 {
    raw!(libc::SYS_truncate, path.as_ptr(), len)
}

pub fn fsync(fd: i32) -> i64 {
    raw!(libc::SYS_fsync, fd)
}

pub fn fdatasync(fd: i32) -> i64 {
    raw!(libc::SYS_fdatasync, fd)
}

fn zero_ts() -> libc::timespec {
    libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    }
}

pub fn clock_gettime(clk: i32) -> Result<libc::timespec, i64> {
    let mut ts = zero_ts();
    let r = raw!(libc::SYS_clock_gettime, clk, &mut ts as *mut libc::timespec);
    if r < 0 {
        Err(r)
    } else {
        Ok(ts)
    }
}

pub fn clock_getres(clk: i32) -> Result<libc::timespec, i64> {
    let mut ts = zero_ts();
    let r = raw!(libc::SYS_clock_getres, clk, &mut ts as *mut libc::timespec);
    if r < 0 {
        Err(r)
    } else {
        Ok(ts)
    }
}

/// `clock_nanosleep(2)`; returns the result and the remaining time.
pub fn clock_nanosleep(clk: i32, flags: i32, req: &libc::timespec) -> (i64, libc::timespec) {
    let mut rem = zero_ts();
    let r = raw!(
        libc::SYS_clock_nanosleep,
        clk,
        flags,
        req as *const libc::timespec,
        &mut rem as *mut libc::timespec
    );
    (r, rem)
}

pub fn getrandom(buf: &mut [u8], flags: u32) -> i64 {
    raw!(libc::SYS_getrandom, buf.as_mut_ptr(), buf.len(), flags)
}

pub fn sched_getaffinity(pid: i32, mask: &mut [u8]) -> i64 {
    raw!(
        libc::SYS_sched_getaffinity,
        pid,
        mask.len(),
        mask.as_mut_ptr()
    )
}

pub fn sched_yield() -> i64 {
    raw!(libc::SYS_sched_yield)
}

pub fn kill(pid: i32, sig: i32) -> i64 {
    raw!(libc::SYS_kill, pid, sig)
}

pub fn sysinfo() -> Result<libc::sysinfo, i64> {
    // SAFETY: `struct sysinfo` is plain integers; all-zero is valid.
    let mut si: libc::sysinfo = unsafe { std::mem::zeroed() };
    let r = raw!(libc::SYS_sysinfo, &mut si as *mut libc::sysinfo);
    if r < 0 {
        Err(r)
    } else {
        Ok(si)
    }
}

/// `times(2)`: the clock-tick count and the process times.
pub fn times() -> (i64, libc::tms) {
    let mut t = libc::tms {
        tms_utime: 0,
        tms_stime: 0,
        tms_cutime: 0,
        tms_cstime: 0,
    };
    let r = raw!(libc::SYS_times, &mut t as *mut libc::tms);
    (r, t)
}

pub fn umask(mask: u32) -> i64 {
    raw!(libc::SYS_umask, mask)
}

pub fn getrusage(who: i32) -> Result<libc::rusage, i64> {
    // SAFETY: `struct rusage` is plain integers; all-zero is valid.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    let r = raw!(libc::SYS_getrusage, who, &mut ru as *mut libc::rusage);
    if r < 0 {
        Err(r)
    } else {
        Ok(ru)
    }
}

/// `prlimit64(2)`: optionally sets, and returns the old (cur, max).
pub fn prlimit(pid: i32, resource: i32, new: Option<[u64; 2]>) -> Result<[u64; 2], i64> {
    let mut old = [0u64; 2];
    let newp = new.as_ref().map_or(std::ptr::null(), |n| n.as_ptr());
    let r = raw!(libc::SYS_prlimit64, pid, resource, newp, old.as_mut_ptr());
    if r < 0 {
        Err(r)
    } else {
        Ok(old)
    }
}

pub fn uname() -> Result<libc::utsname, i64> {
    // SAFETY: `struct utsname` is byte arrays; all-zero is valid.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    let r = raw!(libc::SYS_uname, &mut u as *mut libc::utsname);
    if r < 0 {
        Err(r)
    } else {
        Ok(u)
    }
}

pub fn getpid() -> i64 {
    raw!(libc::SYS_getpid)
}

pub fn getppid() -> i64 {
    raw!(libc::SYS_getppid)
}

pub fn getuid() -> i64 {
    raw!(libc::SYS_getuid)
}

pub fn geteuid() -> i64 {
    raw!(libc::SYS_geteuid)
}

pub fn getgid() -> i64 {
    raw!(libc::SYS_getgid)
}

pub fn getegid() -> i64 {
    raw!(libc::SYS_getegid)
}
