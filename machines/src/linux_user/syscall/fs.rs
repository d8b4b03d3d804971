//! File and descriptor system calls.
//!
//! Open flags, `fcntl` commands, `AT_*` flags and `struct flock` are the
//! same on asm-generic guests and x86-64 hosts, so they pass through
//! unchanged (a unit test pins the host values); a host with other values
//! (arm64, ppc, mips) would need a translation here. `struct stat` differs
//! and is converted to the asm-generic layout.

use std::ffi::CString;

use polyvm_ir::abi::{PAGE_READ, PAGE_WRITE};

use super::{hret, Process, SysResult, PATH_MAX};
use crate::linux_user::host;

/// asm-generic `struct stat` is 128 bytes.
pub const GUEST_STAT_SIZE: usize = 128;
/// `IOV_MAX`.
const IOV_MAX: u64 = 1024;

/// ioctl requests (asm-generic `ioctls.h`, the same on x86-64).
const TCGETS: u64 = 0x5401;
const TCSETS: u64 = 0x5402;
const TCSETSW: u64 = 0x5403;
const TCSETSF: u64 = 0x5404;
const TIOCGPGRP: u64 = 0x540f;
const TIOCSPGRP: u64 = 0x5410;
const TIOCGWINSZ: u64 = 0x5413;
const TIOCSWINSZ: u64 = 0x5414;
const FIONREAD: u64 = 0x541b;
const FIONBIO: u64 = 0x5421;
const FIONCLEX: u64 = 0x5450;
const FIOCLEX: u64 = 0x5451;
/// Kernel `struct termios` (asm-generic: 4 flag words, c_line, 19 cc).
const TERMIOS_SIZE: u64 = 36;

/// fcntl commands.
const F_DUPFD: i32 = 0;
const F_GETFD: i32 = 1;
const F_SETFD: i32 = 2;
const F_GETFL: i32 = 3;
const F_SETFL: i32 = 4;
const F_GETLK: i32 = 5;
const F_SETLK: i32 = 6;
const F_SETLKW: i32 = 7;
const F_SETOWN: i32 = 8;
const F_GETOWN: i32 = 9;
const F_OFD_GETLK: i32 = 36;
const F_OFD_SETLK: i32 = 37;
const F_OFD_SETLKW: i32 = 38;
const F_DUPFD_CLOEXEC: i32 = 1030;
const F_SETPIPE_SZ: i32 = 1031;
const F_GETPIPE_SZ: i32 = 1032;
const F_ADD_SEALS: i32 = 1033;
const F_GET_SEALS: i32 = 1034;

/// Encodes a host `stat` as the asm-generic guest `struct stat`:
///
/// ```text
///   0 st_dev u64     8 st_ino u64     16 st_mode u32   20 st_nlink u32
///  24 st_uid u32    28 st_gid u32     32 st_rdev u64   40 pad
///  48 st_size i64   56 st_blksize i32 60 pad           64 st_blocks i64
///  72 st_atime      80 st_atime_nsec  88 st_mtime      96 st_mtime_nsec
/// 104 st_ctime     112 st_ctime_nsec 120 unused[2]
/// ```
pub fn encode_stat(st: &libc::stat, big_endian: bool) -> [u8; GUEST_STAT_SIZE] {
    let mut b = [0u8; GUEST_STAT_SIZE];
    let put64 = |b: &mut [u8; GUEST_STAT_SIZE], at: usize, v: u64| {
        let bytes = if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        b[at..at + 8].copy_from_slice(&bytes);
    };
    put64(&mut b, 0, st.st_dev);
    put64(&mut b, 8, st.st_ino);
    put64(&mut b, 32, st.st_rdev);
    put64(&mut b, 48, st.st_size as u64);
    put64(&mut b, 64, st.st_blocks as u64);
    put64(&mut b, 72, st.st_atime as u64);
    put64(&mut b, 80, st.st_atime_nsec as u64);
    put64(&mut b, 88, st.st_mtime as u64);
    put64(&mut b, 96, st.st_mtime_nsec as u64);
    put64(&mut b, 104, st.st_ctime as u64);
    put64(&mut b, 112, st.st_ctime_nsec as u64);
    let put32 = |b: &mut [u8; GUEST_STAT_SIZE], at: usize, v: u32| {
        let bytes = if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        b[at..at + 4].copy_from_slice(&bytes);
    };
    put32(&mut b, 16, st.st_mode);
    put32(&mut b, 20, st.st_nlink as u32);
    put32(&mut b, 24, st.st_uid);
    put32(&mut b, 28, st.st_gid);
    put32(&mut b, 56, st.st_blksize as u32);
    b
}

impl Process {
    /// `read`/`pread64`. Like Linux, a buffer that is only partly writable
    /// gets a short read up to the first bad page; none at all is EFAULT.
    pub(super) fn sys_read(&mut self, fd: i32, buf: u64, len: u64, off: Option<i64>) -> SysResult {
        let n = self.accessible_len(buf, len, PAGE_WRITE);
        if n == 0 && len != 0 {
            return Err(libc::EFAULT);
        }
        let b = self.out_buf(buf, n)?;
        hret(match off {
            None => host::read(fd, b),
            Some(o) => host::pread(fd, b, o),
        })
    }

    /// `write`/`pwrite64`, with the same short-count rule as `sys_read`.
    pub(super) fn sys_write(&mut self, fd: i32, buf: u64, len: u64, off: Option<i64>) -> SysResult {
        let n = self.accessible_len(buf, len, PAGE_READ);
        if n == 0 && len != 0 {
            return Err(libc::EFAULT);
        }
        let b = self.in_buf(buf, n)?;
        hret(match off {
            None => host::write(fd, b),
            Some(o) => host::pwrite(fd, b, o),
        })
    }

    /// `readv`/`writev`: guest iovecs {base, len} become host iovecs.
    pub(super) fn sys_readv(&mut self, fd: i32, iov: u64, cnt: u64, write: bool) -> SysResult {
        if cnt > IOV_MAX {
            return Err(libc::EINVAL);
        }
        let need = if write {
            PAGE_READ
        } else {
            PAGE_READ | PAGE_WRITE
        };
        let mut host_iov = Vec::with_capacity(cnt as usize);
        for i in 0..cnt {
            let base = self.read_u64(iov + 16 * i)?;
            let len = self.read_u64(iov + 16 * i + 8)?;
            if len > isize::MAX as u64 {
                return Err(libc::EINVAL);
            }
            let ptr = if len == 0 {
                std::ptr::null_mut()
            } else {
                self.mem.host_ptr(base, len, need).ok_or(libc::EFAULT)?
            };
            host_iov.push(libc::iovec {
                iov_base: ptr as *mut libc::c_void,
                iov_len: len as usize,
            });
        }
        // SAFETY: each iovec spans guest pages checked above to be mapped
        // with the needed host protection; no Rust reference into guest
        // memory is alive (we hold `&mut self`), and the mapping cannot
        // change during the call.
        let r = unsafe {
            if write {
                host::writev(fd, &host_iov)
            } else {
                host::readv(fd, &host_iov)
            }
        };
        hret(r)
    }

    pub(super) fn sys_openat(&mut self, dirfd: i32, path: u64, flags: i32, mode: u32) -> SysResult {
        let p = self.path(path)?;
        hret(host::openat(dirfd, &p, flags, mode))
    }

    pub(super) fn sys_fstat(&mut self, fd: i32, buf: u64) -> SysResult {
        let st = host::fstat(fd).map_err(|e| (-e) as i32)?;
        let b = encode_stat(&st, self.arch.big_endian);
        self.write_bytes(buf, &b)?;
        Ok(0)
    }

    pub(super) fn sys_newfstatat(
        &mut self,
        dirfd: i32,
        path: u64,
        buf: u64,
        flags: i32,
    ) -> SysResult {
        let p = self.path(path)?;
        let st = host::fstatat(dirfd, &p, flags).map_err(|e| (-e) as i32)?;
        let b = encode_stat(&st, self.arch.big_endian);
        self.write_bytes(buf, &b)?;
        Ok(0)
    }

    /// `statx`: its 256-byte structure has one layout everywhere, in the
    /// machine's byte order; big-endian guests get ENOSYS (glibc falls back
    /// to `newfstatat`).
    pub(super) fn sys_statx(
        &mut self,
        dirfd: i32,
        path: u64,
        flags: i32,
        mask: u32,
        buf: u64,
    ) -> SysResult {
        if self.arch.big_endian != cfg!(target_endian = "big") {
            return Err(libc::ENOSYS);
        }
        let p = self.path(path)?;
        // Check the destination first: Linux reports EFAULT before work.
        self.out_buf(buf, 256)?;
        let mut sx = [0u8; 256];
        hret(host::statx(dirfd, &p, flags, mask, &mut sx))?;
        self.write_bytes(buf, &sx)?;
        Ok(0)
    }

    /// `getdents64`: `struct linux_dirent64` is the same on every
    /// architecture (in the machine's byte order).
    pub(super) fn sys_getdents64(&mut self, fd: i32, buf: u64, len: u64) -> SysResult {
        if self.arch.big_endian != cfg!(target_endian = "big") {
            return Err(libc::ENOSYS);
        }
        let b = self.out_buf(buf, len)?;
        hret(host::getdents64(fd, b))
    }

    /// `readlinkat`; `/proc/self/exe` names the guest executable, not
    /// polyvm.
    pub(super) fn sys_readlinkat(
        &mut self,
        dirfd: i32,
        path: u64,
        buf: u64,
        size: u64,
    ) -> SysResult {
        if size as i64 <= 0 {
            return Err(libc::EINVAL);
        }
        let raw = self.cstring(path)?;
        if self.is_self_exe(raw.as_bytes()) {
            use std::os::unix::ffi::OsStrExt;
            let target = self.exe.as_os_str().as_bytes().to_vec();
            let n = target.len().min(size as usize);
            self.write_bytes(buf, &target[..n])?;
            return Ok(n as u64);
        }
        let p = self.path(path)?;
        let b = self.out_buf(buf, size)?;
        hret(host::readlinkat(dirfd, &p, b))
    }

    pub(super) fn sys_getcwd(&mut self, buf: u64, size: u64) -> SysResult {
        let b = self.out_buf(buf, size.min(PATH_MAX as u64 * 16))?;
        hret(host::getcwd(b))
    }

    pub(super) fn sys_renameat2(
        &mut self,
        od: i32,
        old: u64,
        nd: i32,
        new: u64,
        flags: u32,
    ) -> SysResult {
        let o = self.path(old)?;
        let n = self.path(new)?;
        hret(host::renameat2(od, &o, nd, &n, flags))
    }

    /// `symlinkat`: the target is stored as written, not mapped.
    pub(super) fn sys_symlinkat(&mut self, target: u64, dirfd: i32, link: u64) -> SysResult {
        let t = self.cstring(target)?;
        let l = self.path(link)?;
        hret(host::symlinkat(&t, dirfd, &l))
    }

    pub(super) fn sys_linkat(
        &mut self,
        od: i32,
        old: u64,
        nd: i32,
        new: u64,
        flags: i32,
    ) -> SysResult {
        let o = self.path(old)?;
        let n = self.path(new)?;
        hret(host::linkat(od, &o, nd, &n, flags))
    }

    /// `utimensat`: a NULL path acts on `dirfd`; NULL times mean "now".
    pub(super) fn sys_utimensat(
        &mut self,
        dirfd: i32,
        path: u64,
        times: u64,
        flags: i32,
    ) -> SysResult {
        let p: Option<CString> = if path == 0 {
            None
        } else {
            Some(self.path(path)?)
        };
        let t = if times == 0 {
            None
        } else {
            Some([self.read_timespec(times)?, self.read_timespec(times + 16)?])
        };
        hret(host::utimensat(dirfd, p.as_deref(), t.as_ref(), flags))
    }

    pub(super) fn sys_fcntl(&mut self, fd: i32, cmd: i32, arg: u64) -> SysResult {
        match cmd {
            F_DUPFD | F_DUPFD_CLOEXEC | F_GETFD | F_SETFD | F_GETFL | F_SETFL | F_SETOWN
            | F_GETOWN | F_SETPIPE_SZ | F_GETPIPE_SZ | F_ADD_SEALS | F_GET_SEALS => {
                hret(host::fcntl_int(fd, cmd, arg as i64))
            }
            F_GETLK | F_SETLK | F_SETLKW | F_OFD_GETLK | F_OFD_SETLK | F_OFD_SETLKW => {
                // struct flock { short type, whence; off_t start, len; pid_t
                // pid; } is 32 bytes on asm-generic 64-bit and x86-64 alike.
                let mut lock = [0u8; 32];
                self.mem.read(arg, &mut lock).map_err(|_| libc::EFAULT)?;
                let r = hret(host::fcntl_flock(fd, cmd, &mut lock))?;
                if cmd == F_GETLK || cmd == F_OFD_GETLK {
                    self.write_bytes(arg, &lock)?;
                }
                Ok(r)
            }
            _ => Err(libc::EINVAL),
        }
    }

    pub(super) fn sys_pipe2(&mut self, fds: u64, flags: i32) -> SysResult {
        // Check the destination first so that no descriptors leak.
        self.out_buf(fds, 8)?;
        let p = host::pipe2(flags).map_err(|e| (-e) as i32)?;
        let mut b = [0u8; 8];
        b[..4].copy_from_slice(&self.arch.u32_bytes(p[0] as u32));
        b[4..].copy_from_slice(&self.arch.u32_bytes(p[1] as u32));
        self.write_bytes(fds, &b)?;
        Ok(0)
    }

    /// `ioctl`: the terminal requests whose structures have the same layout
    /// on guest and host (termios, winsize, pgrp) are forwarded when `fd` is
    /// a terminal, and fail with ENOTTY otherwise; the generic descriptor
    /// requests (FIONREAD, FIONBIO, FIOCLEX, FIONCLEX) are forwarded for any
    /// descriptor. Everything else is ENOTTY, as for a descriptor that does
    /// not understand the request.
    pub(super) fn sys_ioctl(&mut self, fd: i32, req: u64, arg: u64) -> SysResult {
        let req = req & 0xffff_ffff;
        let tty_buf = |req| match req {
            TCGETS | TCSETS | TCSETSW | TCSETSF => Some(TERMIOS_SIZE),
            TIOCGWINSZ | TIOCSWINSZ => Some(8),
            TIOCGPGRP | TIOCSPGRP => Some(4),
            _ => None,
        };
        if let Some(size) = tty_buf(req) {
            if !host::isatty(fd) {
                return Err(libc::ENOTTY);
            }
            let reads_guest = matches!(req, TCSETS | TCSETSW | TCSETSF | TIOCSWINSZ | TIOCSPGRP);
            let mut b = vec![0u8; size as usize];
            if reads_guest {
                self.mem.read(arg, &mut b).map_err(|_| libc::EFAULT)?;
            } else {
                self.out_buf(arg, size)?;
            }
            let r = hret(host::ioctl_buf(fd, req, &mut b))?;
            if !reads_guest {
                self.write_bytes(arg, &b)?;
            }
            return Ok(r);
        }
        match req {
            FIONREAD => {
                self.out_buf(arg, 4)?;
                let mut b = [0u8; 4];
                let r = hret(host::ioctl_buf(fd, req, &mut b))?;
                let v = i32::from_ne_bytes(b) as u32;
                self.write_u32(arg, v)?;
                Ok(r)
            }
            FIONBIO => {
                let v = self.read_u32(arg)?;
                let mut b = v.to_ne_bytes();
                hret(host::ioctl_buf(fd, req, &mut b))
            }
            FIOCLEX | FIONCLEX => hret(host::ioctl_int(fd, req, 0)),
            _ => Err(libc::ENOTTY),
        }
    }
}

#[cfg(all(test, target_arch = "x86_64"))]
mod host_abi_tests {
    /// The pass-through of open flags and fcntl commands relies on the host
    /// using the asm-generic values (checked in the riscv64 headers).
    #[test]
    fn x86_64_host_shares_generic_flag_values() {
        assert_eq!(libc::O_CREAT, 0o100);
        assert_eq!(libc::O_EXCL, 0o200);
        assert_eq!(libc::O_NOCTTY, 0o400);
        assert_eq!(libc::O_TRUNC, 0o1000);
        assert_eq!(libc::O_APPEND, 0o2000);
        assert_eq!(libc::O_NONBLOCK, 0o4000);
        assert_eq!(libc::O_DIRECT, 0o40000);
        assert_eq!(libc::O_DIRECTORY, 0o200000);
        assert_eq!(libc::O_NOFOLLOW, 0o400000);
        assert_eq!(libc::O_CLOEXEC, 0o2000000);
        assert_eq!(libc::O_PATH, 0o10000000);
        assert_eq!(libc::F_DUPFD_CLOEXEC, 1030);
        assert_eq!(libc::AT_FDCWD, -100);
        assert_eq!(libc::AT_EMPTY_PATH, 0x1000);
        assert_eq!(libc::AT_SYMLINK_NOFOLLOW, 0x100);
        assert_eq!(libc::AT_REMOVEDIR, 0x200);
        assert_eq!(std::mem::size_of::<libc::flock>(), 32);
        assert_eq!(libc::TCGETS, 0x5401);
        assert_eq!(libc::TIOCGWINSZ, 0x5413);
    }
}
