//! System calls driven directly, without a CPU. Expected values come from
//! the host (std's metadata, clocks) and the asm-generic headers' layouts.

use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

use polyvm_ir::abi::{PAGE_READ, PAGE_WRITE};
use polyvm_runtime::guest_mem::{GuestMemory, PAGE_MAPPED};

use super::names::nr;
use super::*;
use crate::linux_user::arch::RISCV64;

/// Scratch guest memory at 0x100000 (1 MiB, RW); brk starts at 0x400000;
/// mmap area below 0x8000_0000.
const SCRATCH: u64 = 0x10_0000;
const BRK0: u64 = 0x40_0000;
const AT_FDCWD: u64 = -100i64 as u64;

fn process() -> Process {
    let mut mem = GuestMemory::new(1 << 32).unwrap();
    mem.map_anon(SCRATCH, 1 << 20, PAGE_READ | PAGE_WRITE)
        .unwrap();
    mem.set_mmap_base(0x8000_0000);
    Process::new(mem, &RISCV64, BRK0, None, PathBuf::from("/opt/guest/prog"))
}

fn ret(o: SyscallOutcome) -> i64 {
    match o {
        SyscallOutcome::Return(v) => v as i64,
        other => panic!("expected a return, got {other:?}"),
    }
}

fn call(p: &mut Process, n: u64, args: &[u64]) -> i64 {
    let mut a = [0u64; 6];
    a[..args.len()].copy_from_slice(args);
    ret(p.syscall(n, a))
}

fn put(p: &mut Process, addr: u64, data: &[u8]) {
    p.mem_mut().write(addr, data).unwrap();
}

fn get(p: &Process, addr: u64, len: usize) -> Vec<u8> {
    let mut b = vec![0; len];
    p.mem().read(addr, &mut b).unwrap();
    b
}

fn u64_at(p: &Process, addr: u64) -> u64 {
    u64::from_le_bytes(get(p, addr, 8).try_into().unwrap())
}

fn u32_at(p: &Process, addr: u64) -> u32 {
    u32::from_le_bytes(get(p, addr, 4).try_into().unwrap())
}

fn cstr(p: &mut Process, addr: u64, s: &str) -> u64 {
    let mut b = s.as_bytes().to_vec();
    b.push(0);
    put(p, addr, &b);
    addr
}

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("polyvm-sys-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Guest pipe2, returning the two descriptors.
fn pipe(p: &mut Process, flags: u64) -> (u64, u64) {
    assert_eq!(call(p, nr::PIPE2, &[SCRATCH, flags]), 0);
    (u32_at(p, SCRATCH) as u64, u32_at(p, SCRATCH + 4) as u64)
}

fn close(p: &mut Process, fd: u64) {
    assert_eq!(call(p, nr::CLOSE, &[fd]), 0);
}

#[test]
fn write_and_read_through_a_pipe() {
    let mut p = process();
    let (r, w) = pipe(&mut p, 0);
    put(&mut p, SCRATCH + 0x100, b"hello, pipe");
    assert_eq!(call(&mut p, nr::WRITE, &[w, SCRATCH + 0x100, 11]), 11);
    // The bytes really reached the host pipe: read them with std.
    use std::io::Read;
    use std::os::fd::FromRawFd;
    // SAFETY: `r` is a pipe descriptor the guest owns and no longer uses.
    let mut f = unsafe { std::fs::File::from_raw_fd(r as i32) };
    let mut got = [0u8; 11];
    f.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"hello, pipe");
    // And back the other way through guest read().
    put(&mut p, SCRATCH + 0x200, b"abc");
    assert_eq!(call(&mut p, nr::WRITE, &[w, SCRATCH + 0x200, 3]), 3);
    drop(f);
    close(&mut p, w);
}

#[test]
fn read_into_guest_memory_and_efault() {
    let mut p = process();
    let (r, w) = pipe(&mut p, 0);
    put(&mut p, SCRATCH + 0x100, b"data!");
    assert_eq!(call(&mut p, nr::WRITE, &[w, SCRATCH + 0x100, 5]), 5);
    assert_eq!(call(&mut p, nr::READ, &[r, SCRATCH + 0x300, 100]), 5);
    assert_eq!(get(&p, SCRATCH + 0x300, 5), b"data!");
    // Unmapped buffers fault.
    assert_eq!(
        call(&mut p, nr::READ, &[r, 0x5000_0000, 10]),
        -libc::EFAULT as i64
    );
    assert_eq!(
        call(&mut p, nr::WRITE, &[w, 0x5000_0000, 10]),
        -libc::EFAULT as i64
    );
    // A buffer running off the end of the mapping gets a short write of
    // the accessible part, as on Linux.
    let end = SCRATCH + (1 << 20);
    put(&mut p, end - 4, b"tail");
    assert_eq!(call(&mut p, nr::WRITE, &[w, end - 4, 100]), 4);
    assert_eq!(call(&mut p, nr::READ, &[r, SCRATCH + 0x300, 100]), 4);
    assert_eq!(get(&p, SCRATCH + 0x300, 4), b"tail");
    // A read-only page cannot be read into.
    p.mem_mut().map_anon(0x20_0000, 4096, PAGE_READ).unwrap();
    assert_eq!(
        call(&mut p, nr::READ, &[r, 0x20_0000, 1]),
        -libc::EFAULT as i64
    );
    close(&mut p, r);
    close(&mut p, w);
}

#[test]
fn readv_and_writev_scatter_gather() {
    let mut p = process();
    let (r, w) = pipe(&mut p, 0);
    put(&mut p, SCRATCH + 0x100, b"abc");
    put(&mut p, SCRATCH + 0x200, b"defgh");
    let iov = SCRATCH + 0x400;
    let mut v = Vec::new();
    for (base, len) in [(SCRATCH + 0x100, 3u64), (0, 0), (SCRATCH + 0x200, 5)] {
        v.extend_from_slice(&base.to_le_bytes());
        v.extend_from_slice(&len.to_le_bytes());
    }
    put(&mut p, iov, &v);
    assert_eq!(call(&mut p, nr::WRITEV, &[w, iov, 3]), 8);
    // Read back into two buffers of 2 and 10 bytes.
    let mut v = Vec::new();
    for (base, len) in [(SCRATCH + 0x500, 2u64), (SCRATCH + 0x600, 10)] {
        v.extend_from_slice(&base.to_le_bytes());
        v.extend_from_slice(&len.to_le_bytes());
    }
    put(&mut p, iov, &v);
    assert_eq!(call(&mut p, nr::READV, &[r, iov, 2]), 8);
    assert_eq!(get(&p, SCRATCH + 0x500, 2), b"ab");
    assert_eq!(get(&p, SCRATCH + 0x600, 6), b"cdefgh");
    // A bad iovec base is EFAULT; too many iovecs EINVAL.
    put(&mut p, iov, &0x6000_0000u64.to_le_bytes());
    assert_eq!(call(&mut p, nr::WRITEV, &[w, iov, 1]), -libc::EFAULT as i64);
    assert_eq!(
        call(&mut p, nr::WRITEV, &[w, iov, 1025]),
        -libc::EINVAL as i64
    );
    close(&mut p, r);
    close(&mut p, w);
}

#[test]
fn brk_grows_and_shrinks() {
    let mut p = process();
    assert_eq!(call(&mut p, nr::BRK, &[0]) as u64, BRK0);
    // Growing maps whole pages, zero-filled and writable.
    let new = BRK0 + 0x1800;
    assert_eq!(call(&mut p, nr::BRK, &[new]) as u64, new);
    assert_eq!(p.brk(), new);
    assert!(p
        .mem()
        .is_mapped_range(BRK0, 0x2000, PAGE_READ | PAGE_WRITE));
    assert_eq!(p.mem().page_flags(BRK0 + 0x2000), 0);
    assert_eq!(get(&p, BRK0 + 0x17ff, 1), [0]);
    put(&mut p, BRK0 + 0x1fff, b"x");
    // Shrinking unmaps pages wholly above the new break.
    assert_eq!(call(&mut p, nr::BRK, &[BRK0 + 0x10]) as u64, BRK0 + 0x10);
    assert!(p.mem().is_mapped_range(BRK0, 0x1000, PAGE_READ));
    assert_eq!(p.mem().page_flags(BRK0 + 0x1000), 0);
    // Below the start, or into an existing mapping: unchanged.
    assert_eq!(call(&mut p, nr::BRK, &[BRK0 - 0x1000]) as u64, BRK0 + 0x10);
    p.mem_mut()
        .map_anon(BRK0 + 0x10_0000, 4096, PAGE_READ)
        .unwrap();
    assert_eq!(
        call(&mut p, nr::BRK, &[BRK0 + 0x20_0000]) as u64,
        BRK0 + 0x10
    );
}

#[test]
fn mmap_munmap_mprotect() {
    let mut p = process();
    const RW: u64 = 3;
    const PRIVATE_ANON: u64 = 0x02 | 0x20;
    let a = call(
        &mut p,
        nr::MMAP,
        &[0, 10000, RW, PRIVATE_ANON, -1i64 as u64, 0],
    ) as u64;
    assert_eq!(a % 4096, 0);
    assert!(a < 0x8000_0000 && a + 12288 <= 0x8000_0000, "{a:#x}");
    assert!(p.mem().is_mapped_range(a, 12288, PAGE_READ | PAGE_WRITE));
    put(&mut p, a + 12287, b"z");
    // Top-down: the next one lands below.
    let b = call(
        &mut p,
        nr::MMAP,
        &[0, 4096, RW, PRIVATE_ANON, -1i64 as u64, 0],
    ) as u64;
    assert_eq!(b, a - 4096);
    // MAP_FIXED replaces; MAP_FIXED_NOREPLACE refuses an occupied range.
    let fixed = 0x3000_0000;
    assert_eq!(
        call(
            &mut p,
            nr::MMAP,
            &[fixed, 4096, 1, PRIVATE_ANON | 0x10, -1i64 as u64, 0]
        ) as u64,
        fixed
    );
    assert_eq!(
        call(
            &mut p,
            nr::MMAP,
            &[fixed, 4096, 1, PRIVATE_ANON | 0x10_0000, -1i64 as u64, 0]
        ),
        -libc::EEXIST as i64
    );
    assert_eq!(p.mem().page_flags(fixed), PAGE_MAPPED | PAGE_READ);
    // Argument checks.
    let e = |p: &mut Process, args: &[u64]| call(p, nr::MMAP, args);
    assert_eq!(
        e(&mut p, &[0, 0, RW, PRIVATE_ANON, -1i64 as u64, 0]),
        -libc::EINVAL as i64
    );
    assert_eq!(
        e(&mut p, &[0, 4096, RW, PRIVATE_ANON, -1i64 as u64, 1]),
        -libc::EINVAL as i64
    );
    assert_eq!(
        e(&mut p, &[0, 4096, RW, 0x20, -1i64 as u64, 0]),
        -libc::EINVAL as i64
    );
    assert_eq!(
        e(
            &mut p,
            &[0x1001, 4096, RW, PRIVATE_ANON | 0x10, -1i64 as u64, 0]
        ),
        -libc::EINVAL as i64
    );
    assert_eq!(
        e(&mut p, &[0, 4096, 0x40, PRIVATE_ANON, -1i64 as u64, 0]),
        -libc::EINVAL as i64
    );
    // A file mapping of a bad descriptor.
    assert_eq!(e(&mut p, &[0, 4096, 1, 0x02, 9999, 0]), -libc::EBADF as i64);
    // mprotect to read-only, then writes fault.
    assert_eq!(call(&mut p, nr::MPROTECT, &[a, 4096, 1]), 0);
    assert_eq!(p.mem().page_flags(a), PAGE_MAPPED | PAGE_READ);
    assert!(p.mem_mut().write(a, b"x").is_err());
    assert_eq!(
        call(&mut p, nr::MPROTECT, &[a + 1, 4096, 1]),
        -libc::EINVAL as i64
    );
    assert_eq!(
        call(&mut p, nr::MPROTECT, &[0x5000_0000, 4096, 1]),
        -libc::ENOMEM as i64
    );
    // munmap.
    assert_eq!(call(&mut p, nr::MUNMAP, &[a, 12288]), 0);
    assert_eq!(p.mem().page_flags(a), 0);
    assert_eq!(
        call(&mut p, nr::MUNMAP, &[a + 1, 4096]),
        -libc::EINVAL as i64
    );
    assert_eq!(call(&mut p, nr::MUNMAP, &[a, 0]), -libc::EINVAL as i64);
    // madvise(DONTNEED) zeroes anonymous memory.
    put(&mut p, SCRATCH, b"gone");
    assert_eq!(call(&mut p, nr::MADVISE, &[SCRATCH, 4096, 4]), 0);
    assert_eq!(get(&p, SCRATCH, 4), [0; 4]);
}

#[test]
fn mremap_grows_and_moves() {
    let mut p = process();
    let a = call(&mut p, nr::MMAP, &[0, 8192, 3, 0x22, -1i64 as u64, 0]) as u64;
    put(&mut p, a, b"keep");
    // Block in-place growth with a mapping right after it.
    p.mem_mut().map_anon(a + 8192, 4096, PAGE_READ).unwrap();
    assert_eq!(
        call(&mut p, nr::MREMAP, &[a, 8192, 16384, 0, 0]),
        -libc::ENOMEM as i64
    );
    let b = call(&mut p, nr::MREMAP, &[a, 8192, 16384, 1, 0]) as u64;
    assert_ne!(b, a);
    assert_eq!(get(&p, b, 4), b"keep");
    assert!(p.mem().is_mapped_range(b, 16384, PAGE_READ | PAGE_WRITE));
    assert_eq!(
        call(&mut p, nr::MREMAP, &[0x7000_0000, 4096, 8192, 1, 0]),
        -libc::EFAULT as i64
    );
    assert_eq!(call(&mut p, nr::MREMAP, &[b, 16384, 8192, 0, 0]) as u64, b);
    assert_eq!(
        call(&mut p, nr::MREMAP, &[b, 8192, 16384, 2, 0]),
        -libc::EINVAL as i64
    );
}

#[test]
fn mmap_of_a_file() {
    let d = temp_dir("mmapfile");
    let f = d.join("f");
    std::fs::write(&f, b"file contents here").unwrap();
    let mut p = process();
    let path = cstr(&mut p, SCRATCH, f.to_str().unwrap());
    let fd = call(&mut p, nr::OPENAT, &[AT_FDCWD, path, 0, 0]);
    assert!(fd >= 0);
    let a = call(&mut p, nr::MMAP, &[0, 18, 1, 0x02, fd as u64, 0]) as u64;
    assert_eq!(get(&p, a, 18), b"file contents here");
    // Past the end of the file, the last page reads as zero.
    assert_eq!(get(&p, a + 18, 4), [0; 4]);
    close(&mut p, fd as u64);
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn openat_read_lseek_close() {
    let d = temp_dir("open");
    let f = d.join("file.txt");
    std::fs::write(&f, b"0123456789").unwrap();
    let mut p = process();
    let path = cstr(&mut p, SCRATCH, f.to_str().unwrap());
    let fd = call(&mut p, nr::OPENAT, &[AT_FDCWD, path, 0, 0]);
    assert!(fd >= 0, "{fd}");
    let fd = fd as u64;
    assert_eq!(call(&mut p, nr::READ, &[fd, SCRATCH + 0x1000, 4]), 4);
    assert_eq!(get(&p, SCRATCH + 0x1000, 4), b"0123");
    assert_eq!(call(&mut p, nr::LSEEK, &[fd, 8, 0]), 8);
    assert_eq!(call(&mut p, nr::READ, &[fd, SCRATCH + 0x1000, 100]), 2);
    assert_eq!(get(&p, SCRATCH + 0x1000, 2), b"89");
    assert_eq!(call(&mut p, nr::PREAD64, &[fd, SCRATCH + 0x1000, 3, 5]), 3);
    assert_eq!(get(&p, SCRATCH + 0x1000, 3), b"567");
    close(&mut p, fd);
    assert_eq!(call(&mut p, nr::CLOSE, &[fd]), -libc::EBADF as i64);
    // A missing file and a bad path pointer.
    let missing = cstr(&mut p, SCRATCH, d.join("nope").to_str().unwrap());
    assert_eq!(
        call(&mut p, nr::OPENAT, &[AT_FDCWD, missing, 0, 0]),
        -libc::ENOENT as i64
    );
    assert_eq!(
        call(&mut p, nr::OPENAT, &[AT_FDCWD, 0x7000_0000, 0, 0]),
        -libc::EFAULT as i64
    );
    // Create, write, and check on the host.
    let newf = cstr(&mut p, SCRATCH, d.join("new").to_str().unwrap());
    let fd = call(&mut p, nr::OPENAT, &[AT_FDCWD, newf, 0o1101, 0o644]) as u64; // O_WRONLY|O_CREAT|O_TRUNC
    put(&mut p, SCRATCH + 0x1000, b"written");
    assert_eq!(call(&mut p, nr::WRITE, &[fd, SCRATCH + 0x1000, 7]), 7);
    close(&mut p, fd);
    assert_eq!(std::fs::read(d.join("new")).unwrap(), b"written");
    std::fs::remove_dir_all(&d).unwrap();
}

/// `struct stat` fields at the asm-generic offsets, compared with what std
/// reports for the same file.
#[test]
fn fstat_and_newfstatat_use_the_generic_layout() {
    let d = temp_dir("stat");
    let f = d.join("sized");
    std::fs::write(&f, vec![7u8; 1234]).unwrap();
    let md = std::fs::metadata(&f).unwrap();
    let mut p = process();
    let path = cstr(&mut p, SCRATCH, f.to_str().unwrap());
    let fd = call(&mut p, nr::OPENAT, &[AT_FDCWD, path, 0, 0]) as u64;
    let buf = SCRATCH + 0x1000;
    put(&mut p, buf, &[0xaa; 128]);
    assert_eq!(call(&mut p, nr::FSTAT, &[fd, buf]), 0);
    let check = |p: &Process| {
        assert_eq!(u64_at(p, buf), md.dev(), "st_dev @0");
        assert_eq!(u64_at(p, buf + 8), md.ino(), "st_ino @8");
        assert_eq!(u32_at(p, buf + 16), md.mode(), "st_mode @16");
        assert_eq!(u32_at(p, buf + 20) as u64, md.nlink(), "st_nlink @20");
        assert_eq!(u32_at(p, buf + 24), md.uid(), "st_uid @24");
        assert_eq!(u32_at(p, buf + 28), md.gid(), "st_gid @28");
        assert_eq!(u64_at(p, buf + 48), 1234, "st_size @48");
        assert_eq!(u32_at(p, buf + 56) as u64, md.blksize(), "st_blksize @56");
        assert_eq!(u64_at(p, buf + 64), md.blocks(), "st_blocks @64");
        assert_eq!(u64_at(p, buf + 88) as i64, md.mtime(), "st_mtime @88");
        assert_eq!(
            u64_at(p, buf + 96) as i64,
            md.mtime_nsec(),
            "st_mtime_nsec @96"
        );
        assert_eq!(u64_at(p, buf + 104) as i64, md.ctime(), "st_ctime @104");
        // Padding is zeroed, not left as guest garbage.
        assert_eq!(u64_at(p, buf + 40), 0);
        assert_eq!(u64_at(p, buf + 120), 0);
    };
    check(&p);
    assert_eq!(md.mode() & libc::S_IFMT, libc::S_IFREG);
    put(&mut p, buf, &[0xaa; 128]);
    assert_eq!(call(&mut p, nr::NEWFSTATAT, &[AT_FDCWD, path, buf, 0]), 0);
    check(&p);
    // AT_EMPTY_PATH on the descriptor, as glibc's fstat does.
    let empty = cstr(&mut p, SCRATCH + 0x800, "");
    put(&mut p, buf, &[0xaa; 128]);
    assert_eq!(call(&mut p, nr::NEWFSTATAT, &[fd, empty, buf, 0x1000]), 0);
    check(&p);
    assert_eq!(
        call(&mut p, nr::FSTAT, &[fd, 0x7000_0000]),
        -libc::EFAULT as i64
    );
    assert_eq!(call(&mut p, nr::FSTAT, &[9999, buf]), -libc::EBADF as i64);
    // statx: stx_size is the u64 at offset 40, stx_ino at 32.
    let sbuf = SCRATCH + 0x2000;
    assert_eq!(
        call(&mut p, nr::STATX, &[AT_FDCWD, path, 0, 0x7ff, sbuf]),
        0
    );
    assert_eq!(u64_at(&p, sbuf + 40), 1234);
    assert_eq!(u64_at(&p, sbuf + 32), md.ino());
    close(&mut p, fd);
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn unknown_syscalls_are_enosys_and_reported_once() {
    let mut p = process();
    assert_eq!(call(&mut p, 1000, &[]), -libc::ENOSYS as i64);
    assert_eq!(call(&mut p, 1000, &[]), -libc::ENOSYS as i64);
    // clone (220) is not implemented yet.
    assert_eq!(call(&mut p, 220, &[]), -libc::ENOSYS as i64);
    assert!(p.reported.contains(&1000) && p.reported.contains(&220));
    assert_eq!(p.reported.len(), 2);
    // rseq is deliberately ENOSYS and not reported.
    assert_eq!(call(&mut p, nr::RSEQ, &[]), -libc::ENOSYS as i64);
    assert_eq!(p.reported.len(), 2);
}

#[test]
fn exit_and_exit_group() {
    let mut p = process();
    assert_eq!(
        p.syscall(nr::EXIT_GROUP, [300, 0, 0, 0, 0, 0]),
        SyscallOutcome::Exit(44)
    );
    assert_eq!(
        p.syscall(nr::EXIT, [3, 0, 0, 0, 0, 0]),
        SyscallOutcome::Exit(3)
    );
}

#[test]
fn signals_to_self() {
    let mut p = process();
    let pid = std::process::id() as u64;
    // tgkill(pid, pid, SIGABRT) with the default action kills the process.
    assert_eq!(
        p.syscall(nr::TGKILL, [pid, pid, 6, 0, 0, 0]),
        SyscallOutcome::Signal(6)
    );
    assert_eq!(
        p.syscall(nr::KILL, [pid, 15, 0, 0, 0, 0]),
        SyscallOutcome::Signal(15)
    );
    // Signal 0 probes; SIGCHLD is ignored by default.
    assert_eq!(call(&mut p, nr::KILL, &[pid, 0]), 0);
    assert_eq!(call(&mut p, nr::TGKILL, &[pid, pid, 17]), 0);
    // Another thread id does not exist.
    assert_eq!(
        call(&mut p, nr::TGKILL, &[pid, pid + 1, 6]),
        -libc::ESRCH as i64
    );
    // SIG_IGN for SIGUSR1 (10): ignored.
    let act = SCRATCH + 0x100;
    let mut a = Vec::new();
    for w in [1u64, 0x0400_0000, 0] {
        a.extend_from_slice(&w.to_le_bytes());
    }
    put(&mut p, act, &a);
    assert_eq!(call(&mut p, nr::RT_SIGACTION, &[10, act, 0, 8]), 0);
    assert_eq!(call(&mut p, nr::TKILL, &[pid, 10]), 0);
    // Reading it back through oact.
    let old = SCRATCH + 0x200;
    assert_eq!(call(&mut p, nr::RT_SIGACTION, &[10, 0, old, 8]), 0);
    assert_eq!(get(&p, old, 24), a);
    assert_eq!(p.signal_action(10).flags, 0x0400_0000);
    // SIGKILL cannot be caught; a wrong sigset size is EINVAL.
    assert_eq!(
        call(&mut p, nr::RT_SIGACTION, &[9, act, 0, 8]),
        -libc::EINVAL as i64
    );
    assert_eq!(
        call(&mut p, nr::RT_SIGACTION, &[10, act, 0, 16]),
        -libc::EINVAL as i64
    );
    // A blocked signal stays pending instead of killing.
    put(&mut p, SCRATCH + 0x300, &(1u64 << 14).to_le_bytes()); // SIGTERM
    assert_eq!(
        call(&mut p, nr::RT_SIGPROCMASK, &[0, SCRATCH + 0x300, 0, 8]),
        0
    );
    assert_eq!(call(&mut p, nr::KILL, &[pid, 15]), 0);
    assert_eq!(
        call(&mut p, nr::RT_SIGPROCMASK, &[2, 0, SCRATCH + 0x308, 8]),
        0
    );
    assert_eq!(u64_at(&p, SCRATCH + 0x308), 1 << 14);
    assert_eq!(
        signal::uncaught_message(6),
        "polyvm: uncaught target signal 6 (Aborted) - core dumped"
    );
    assert_eq!(signal::exit_status(6), 134);
}

#[test]
fn sigaltstack_roundtrip() {
    let mut p = process();
    let old = SCRATCH + 0x100;
    assert_eq!(call(&mut p, nr::SIGALTSTACK, &[0, old]), 0);
    assert_eq!(u32_at(&p, old + 8), 2, "initially SS_DISABLE");
    let ss = SCRATCH + 0x200;
    let mut b = Vec::new();
    b.extend_from_slice(&0x12_3000u64.to_le_bytes());
    b.extend_from_slice(&0u64.to_le_bytes());
    b.extend_from_slice(&65536u64.to_le_bytes());
    put(&mut p, ss, &b);
    assert_eq!(call(&mut p, nr::SIGALTSTACK, &[ss, 0]), 0);
    assert_eq!(call(&mut p, nr::SIGALTSTACK, &[0, old]), 0);
    assert_eq!(u64_at(&p, old), 0x12_3000);
    assert_eq!(u64_at(&p, old + 16), 65536);
}

#[test]
fn uname_reports_the_guest_machine() {
    let mut p = process();
    let buf = SCRATCH + 0x100;
    assert_eq!(call(&mut p, nr::UNAME, &[buf]), 0);
    let field = |p: &Process, i: u64| p.mem().read_cstr(buf + 65 * i, 65).unwrap();
    assert_eq!(field(&p, 0), b"Linux");
    assert_eq!(field(&p, 4), b"riscv64");
    assert!(!field(&p, 2).is_empty(), "release");
    assert_eq!(
        call(&mut p, nr::UNAME, &[0x7000_0000]),
        -libc::EFAULT as i64
    );
}

#[test]
fn clocks_and_time() {
    let mut p = process();
    let ts = SCRATCH + 0x100;
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert_eq!(call(&mut p, nr::CLOCK_GETTIME, &[0, ts]), 0);
    let sec = u64_at(&p, ts);
    assert!(sec >= before && sec <= before + 5, "{sec} vs {before}");
    assert!(u64_at(&p, ts + 8) < 1_000_000_000);
    assert_eq!(call(&mut p, nr::GETTIMEOFDAY, &[ts, 0]), 0);
    assert!(u64_at(&p, ts + 8) < 1_000_000, "tv_usec");
    assert_eq!(call(&mut p, nr::CLOCK_GETRES, &[1, ts]), 0);
    assert!(u64_at(&p, ts + 8) > 0 && u64_at(&p, ts) == 0);
    assert_eq!(
        call(&mut p, nr::CLOCK_GETTIME, &[12345, ts]),
        -libc::EINVAL as i64
    );
    // A 1 ms nanosleep.
    put(&mut p, ts, &0u64.to_le_bytes());
    put(&mut p, ts + 8, &1_000_000u64.to_le_bytes());
    let t0 = std::time::Instant::now();
    assert_eq!(call(&mut p, nr::NANOSLEEP, &[ts, 0]), 0);
    assert!(t0.elapsed() >= std::time::Duration::from_millis(1));
    put(&mut p, ts + 8, &2_000_000_000u64.to_le_bytes());
    assert_eq!(call(&mut p, nr::NANOSLEEP, &[ts, 0]), -libc::EINVAL as i64);
    // times() and getrusage() succeed and fill their buffers.
    assert!(call(&mut p, nr::TIMES, &[SCRATCH + 0x200]) > 0);
    assert_eq!(call(&mut p, nr::GETRUSAGE, &[0, SCRATCH + 0x300]), 0);
    assert!(u64_at(&p, SCRATCH + 0x300 + 32) > 0, "ru_maxrss");
}

#[test]
fn ids_and_misc() {
    let mut p = process();
    let pid = std::process::id() as i64;
    assert_eq!(call(&mut p, nr::GETPID, &[]), pid);
    assert_eq!(call(&mut p, nr::GETTID, &[]), pid);
    assert_eq!(call(&mut p, nr::SET_TID_ADDRESS, &[SCRATCH]), pid);
    assert_eq!(p.tid_address(), SCRATCH);
    // SAFETY: these have no preconditions.
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    assert_eq!(call(&mut p, nr::GETUID, &[]), uid as i64);
    assert_eq!(call(&mut p, nr::GETEGID, &[]), gid as i64);
    assert_eq!(call(&mut p, nr::SET_ROBUST_LIST, &[SCRATCH, 24]), 0);
    assert_eq!(
        call(&mut p, nr::SET_ROBUST_LIST, &[SCRATCH, 8]),
        -libc::EINVAL as i64
    );
    // getrandom fills the buffer (16 zero bytes staying zero: 2^-128).
    assert_eq!(call(&mut p, nr::GETRANDOM, &[SCRATCH, 16, 0]), 16);
    assert_ne!(get(&p, SCRATCH, 16), [0; 16]);
    // sysinfo: mem_unit at 104 is at least 1, totalram at 32 non-zero.
    assert_eq!(call(&mut p, nr::SYSINFO, &[SCRATCH]), 0);
    assert!(u32_at(&p, SCRATCH + 104) >= 1);
    assert!(u64_at(&p, SCRATCH + 32) > 0);
    // sched_getaffinity returns the bytes written, at least one CPU set.
    let n = call(&mut p, nr::SCHED_GETAFFINITY, &[0, 128, SCRATCH]);
    assert!(n > 0 && n <= 128, "{n}");
    assert!(get(&p, SCRATCH, n as usize).iter().any(|&b| b != 0));
    // prctl name.
    let name = cstr(&mut p, SCRATCH, "worker-thread-name");
    assert_eq!(call(&mut p, nr::PRCTL, &[15, name]), 0);
    assert_eq!(call(&mut p, nr::PRCTL, &[16, SCRATCH + 0x100]), 0);
    assert_eq!(get(&p, SCRATCH + 0x100, 16), b"worker-thread-n\0");
    // umask returns the previous mask.
    let old = call(&mut p, nr::UMASK, &[0o027]);
    assert_eq!(call(&mut p, nr::UMASK, &[old as u64]), 0o027);
}

#[test]
fn rlimits() {
    let mut p = process();
    let mut host = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `host` is a valid rlimit to fill.
    assert_eq!(
        unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut host) },
        0
    );
    let buf = SCRATCH + 0x100;
    assert_eq!(call(&mut p, nr::PRLIMIT64, &[0, 7, 0, buf]), 0);
    assert_eq!(u64_at(&p, buf), host.rlim_cur);
    assert_eq!(u64_at(&p, buf + 8), host.rlim_max);
    assert_eq!(call(&mut p, nr::GETRLIMIT, &[7, buf]), 0);
    assert_eq!(u64_at(&p, buf), host.rlim_cur);
    // A lower stack limit is recorded for the guest, not applied to us.
    // SAFETY: as above.
    let mut stack = host;
    assert_eq!(
        unsafe { libc::getrlimit(libc::RLIMIT_STACK, &mut stack) },
        0
    );
    put(&mut p, buf, &65536u64.to_le_bytes());
    put(&mut p, buf + 8, &stack.rlim_max.to_le_bytes());
    assert_eq!(call(&mut p, nr::SETRLIMIT, &[3, buf]), 0);
    assert_eq!(call(&mut p, nr::GETRLIMIT, &[3, SCRATCH + 0x200]), 0);
    assert_eq!(u64_at(&p, SCRATCH + 0x200), 65536);
    let mut now = host;
    // SAFETY: as above.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_STACK, &mut now) }, 0);
    assert_eq!(now.rlim_cur, stack.rlim_cur);
    assert_eq!(
        call(&mut p, nr::GETRLIMIT, &[99, buf]),
        -libc::EINVAL as i64
    );
}

#[test]
fn futex_single_thread() {
    let mut p = process();
    put(&mut p, SCRATCH, &5u32.to_le_bytes());
    // Value differs: EAGAIN. WAKE: nobody to wake.
    assert_eq!(
        call(&mut p, nr::FUTEX, &[SCRATCH, 128, 4]),
        -libc::EAGAIN as i64
    );
    assert_eq!(call(&mut p, nr::FUTEX, &[SCRATCH, 129, 1]), 0);
    // Value matches with a 1 ms timeout: ETIMEDOUT.
    let ts = SCRATCH + 0x100;
    put(&mut p, ts, &0u64.to_le_bytes());
    put(&mut p, ts + 8, &1_000_000u64.to_le_bytes());
    assert_eq!(
        call(&mut p, nr::FUTEX, &[SCRATCH, 128, 5, ts]),
        -libc::ETIMEDOUT as i64
    );
    assert_eq!(
        call(&mut p, nr::FUTEX, &[SCRATCH + 1, 0, 5]),
        -libc::EINVAL as i64
    );
    assert_eq!(
        call(&mut p, nr::FUTEX, &[0x7000_0000, 0, 5]),
        -libc::EFAULT as i64
    );
    // WAKE_OP: op ADD(1), oparg 3 on *uaddr2 (= 5) gives 8.
    let val3 = (1u64 << 28) | (3 << 12);
    assert_eq!(
        call(&mut p, nr::FUTEX, &[SCRATCH + 8, 5, 1, 0, SCRATCH, val3]),
        0
    );
    assert_eq!(u32_at(&p, SCRATCH), 8);
}

#[test]
fn paths_cwd_and_proc_self_exe() {
    let mut p = process();
    let buf = SCRATCH + 0x100;
    let n = call(&mut p, nr::GETCWD, &[buf, 4096]);
    let cwd = std::env::current_dir().unwrap();
    assert_eq!(n as usize, cwd.as_os_str().len() + 1, "length includes NUL");
    assert_eq!(
        p.mem().read_cstr(buf, 4096).unwrap(),
        cwd.as_os_str().as_encoded_bytes()
    );
    let exe = cstr(&mut p, SCRATCH, "/proc/self/exe");
    assert_eq!(
        call(&mut p, nr::READLINKAT, &[AT_FDCWD, exe, buf, 4096]),
        15
    );
    assert_eq!(get(&p, buf, 15), b"/opt/guest/prog");
    // Truncated to the buffer, no NUL.
    assert_eq!(call(&mut p, nr::READLINKAT, &[AT_FDCWD, exe, buf, 4]), 4);
    // faccessat on something that exists and something that does not.
    let tmp = cstr(&mut p, SCRATCH, "/tmp");
    assert_eq!(call(&mut p, nr::FACCESSAT, &[AT_FDCWD, tmp, 0]), 0);
    let none = cstr(&mut p, SCRATCH, "/no/such/path");
    assert_eq!(
        call(&mut p, nr::FACCESSAT, &[AT_FDCWD, none, 0]),
        -libc::ENOENT as i64
    );
}

#[test]
fn sysroot_lookup_and_fallback() {
    let root = temp_dir("sysroot");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(root.join("etc/only-in-root"), b"root").unwrap();
    assert_eq!(
        host_path(Some(&root), b"/etc/only-in-root"),
        root.join("etc/only-in-root")
    );
    // Not under the sysroot: the host path.
    assert_eq!(
        host_path(Some(&root), b"/etc/passwd"),
        PathBuf::from("/etc/passwd")
    );
    // Relative paths are never redirected.
    assert_eq!(
        host_path(Some(&root), b"etc/only-in-root"),
        PathBuf::from("etc/only-in-root")
    );
    assert_eq!(
        host_path(None, b"/etc/only-in-root"),
        PathBuf::from("/etc/only-in-root")
    );
    // Through the syscall layer.
    let mut mem = GuestMemory::new(1 << 32).unwrap();
    mem.map_anon(SCRATCH, 1 << 20, PAGE_READ | PAGE_WRITE)
        .unwrap();
    let mut p = Process::new(mem, &RISCV64, BRK0, Some(root.clone()), PathBuf::from("/x"));
    let path = cstr(&mut p, SCRATCH, "/etc/only-in-root");
    let fd = call(&mut p, nr::OPENAT, &[AT_FDCWD, path, 0, 0]);
    assert!(fd >= 0);
    assert_eq!(call(&mut p, nr::READ, &[fd as u64, SCRATCH + 0x100, 10]), 4);
    assert_eq!(get(&p, SCRATCH + 0x100, 4), b"root");
    close(&mut p, fd as u64);
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn descriptors_fcntl_dup_ioctl() {
    let mut p = process();
    let (r, w) = pipe(&mut p, libc::O_CLOEXEC as u64);
    assert_eq!(call(&mut p, nr::FCNTL, &[r, 1]), 1, "F_GETFD: FD_CLOEXEC");
    assert_eq!(call(&mut p, nr::FCNTL, &[r, 2, 0]), 0);
    assert_eq!(call(&mut p, nr::FCNTL, &[r, 1]), 0);
    assert_eq!(call(&mut p, nr::FCNTL, &[r, 3]) & 3, 0, "O_RDONLY");
    assert_eq!(call(&mut p, nr::FCNTL, &[r, 9999]), -libc::EINVAL as i64);
    let d = call(&mut p, nr::DUP, &[w]);
    assert!(d > w as i64);
    let d2 = call(&mut p, nr::FCNTL, &[w, 1030, 100]);
    assert!(d2 >= 100);
    assert_eq!(call(&mut p, nr::FCNTL, &[d2 as u64, 1]), 1);
    // ioctl: a pipe is not a terminal; FIONREAD works on it.
    assert_eq!(
        call(&mut p, nr::IOCTL, &[r, 0x5401, SCRATCH]),
        -libc::ENOTTY as i64
    );
    assert_eq!(
        call(&mut p, nr::IOCTL, &[r, 0x5413, SCRATCH]),
        -libc::ENOTTY as i64
    );
    put(&mut p, SCRATCH + 0x100, b"xyz");
    assert_eq!(call(&mut p, nr::WRITE, &[d as u64, SCRATCH + 0x100, 3]), 3);
    assert_eq!(call(&mut p, nr::IOCTL, &[r, 0x541b, SCRATCH + 0x200]), 0);
    assert_eq!(u32_at(&p, SCRATCH + 0x200), 3);
    assert_eq!(
        call(&mut p, nr::IOCTL, &[r, 0x1234, 0]),
        -libc::ENOTTY as i64
    );
    for fd in [r, w, d as u64, d2 as u64] {
        close(&mut p, fd);
    }
    // pipe2 into an unmapped buffer: EFAULT, and no descriptors leak.
    assert_eq!(
        call(&mut p, nr::PIPE2, &[0x7000_0000, 0]),
        -libc::EFAULT as i64
    );
}

#[test]
fn directories_and_names() {
    let d = temp_dir("dirs");
    let mut p = process();
    let sub = cstr(&mut p, SCRATCH, d.join("sub").to_str().unwrap());
    assert_eq!(call(&mut p, nr::MKDIRAT, &[AT_FDCWD, sub, 0o755]), 0);
    assert!(d.join("sub").is_dir());
    std::fs::write(d.join("a"), b"").unwrap();
    let a = cstr(&mut p, SCRATCH + 0x400, d.join("a").to_str().unwrap());
    let b = cstr(&mut p, SCRATCH + 0x800, d.join("b").to_str().unwrap());
    assert_eq!(
        call(&mut p, nr::RENAMEAT2, &[AT_FDCWD, a, AT_FDCWD, b, 0]),
        0
    );
    assert!(d.join("b").exists() && !d.join("a").exists());
    // getdents64 lists "b" and "sub" (plus . and ..).
    let dir = cstr(&mut p, SCRATCH + 0xc00, d.to_str().unwrap());
    let fd = call(&mut p, nr::OPENAT, &[AT_FDCWD, dir, 0o200000, 0]) as u64; // O_DIRECTORY
    let buf = SCRATCH + 0x1000;
    let n = call(&mut p, nr::GETDENTS64, &[fd, buf, 4096]);
    assert!(n > 0);
    let raw = get(&p, buf, n as usize);
    let mut names = Vec::new();
    let mut off = 0;
    while off < raw.len() {
        // linux_dirent64: ino u64, off i64, reclen u16 @16, type u8 @18, name @19.
        let reclen = u16::from_le_bytes([raw[off + 16], raw[off + 17]]) as usize;
        let name = &raw[off + 19..off + reclen];
        let end = name.iter().position(|&c| c == 0).unwrap();
        names.push(String::from_utf8(name[..end].to_vec()).unwrap());
        off += reclen;
    }
    names.sort();
    assert_eq!(names, [".", "..", "b", "sub"]);
    close(&mut p, fd);
    assert_eq!(call(&mut p, nr::UNLINKAT, &[AT_FDCWD, b, 0]), 0);
    assert_eq!(call(&mut p, nr::UNLINKAT, &[AT_FDCWD, sub, 0x200]), 0); // AT_REMOVEDIR
    assert!(std::fs::read_dir(&d).unwrap().next().is_none());
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn riscv_hwprobe_answers_rv64gc() {
    let mut p = process();
    let pairs = SCRATCH;
    let mut b = Vec::new();
    for k in [3u64, 4, 9999] {
        b.extend_from_slice(&k.to_le_bytes());
        b.extend_from_slice(&0u64.to_le_bytes());
    }
    put(&mut p, pairs, &b);
    assert_eq!(call(&mut p, nr::RISCV_HWPROBE, &[pairs, 3, 0, 0, 0]), 0);
    assert_eq!(u64_at(&p, pairs + 8), 1, "BASE_BEHAVIOR_IMA");
    assert_eq!(u64_at(&p, pairs + 24), 3, "IMA_FD | IMA_C");
    assert_eq!(u64_at(&p, pairs + 32) as i64, -1, "unknown key");
    assert_eq!(call(&mut p, nr::RISCV_FLUSH_ICACHE, &[0, 0, 0]), 0);
}
