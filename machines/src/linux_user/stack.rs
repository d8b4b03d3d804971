//! The initial process stack, as the Linux ELF loader and the psABI lay it
//! out:
//!
//! ```text
//!   stack_top ─► 8 zero bytes (end marker)
//!                argv strings, envp strings, execfn      (ascending)
//!                platform string (if any), 16 random bytes (AT_RANDOM)
//!                padding to the stack alignment
//!                auxv pairs ..., AT_NULL 0
//!                envp[0..], NULL
//!                argv[0..], NULL
//!   sp ───────►  argc                                     (sp % 16 == 0)
//! ```

use polyvm_runtime::guest_mem::GuestMemory;

use super::arch::Arch;
use crate::{Error, Result};

pub const AT_NULL: u64 = 0;
pub const AT_PHDR: u64 = 3;
pub const AT_PHENT: u64 = 4;
pub const AT_PHNUM: u64 = 5;
pub const AT_PAGESZ: u64 = 6;
pub const AT_BASE: u64 = 7;
pub const AT_FLAGS: u64 = 8;
pub const AT_ENTRY: u64 = 9;
pub const AT_UID: u64 = 11;
pub const AT_EUID: u64 = 12;
pub const AT_GID: u64 = 13;
pub const AT_EGID: u64 = 14;
pub const AT_PLATFORM: u64 = 15;
pub const AT_HWCAP: u64 = 16;
pub const AT_CLKTCK: u64 = 17;
pub const AT_SECURE: u64 = 23;
pub const AT_RANDOM: u64 = 25;
pub const AT_HWCAP2: u64 = 26;
pub const AT_EXECFN: u64 = 31;

/// Everything the stack records about the loaded image.
#[derive(Clone, Debug, Default)]
pub struct ImageInfo {
    /// Guest address of the program headers (AT_PHDR).
    pub phdr: u64,
    pub phent: u64,
    pub phnum: u64,
    /// The interpreter's load address, 0 without one (AT_BASE).
    pub interp_base: u64,
    /// The program's own entry point (AT_ENTRY), not the interpreter's.
    pub entry: u64,
}

/// Where the pieces of the initial stack ended up.
#[derive(Clone, Debug)]
pub struct StackLayout {
    /// Initial stack pointer: points at argc.
    pub sp: u64,
    pub argv: u64,
    pub envp: u64,
    pub auxv: u64,
    /// Address of the 16 AT_RANDOM bytes.
    pub random: u64,
    /// Address of the AT_EXECFN string.
    pub execfn: u64,
    /// The auxiliary vector as written (without the AT_NULL terminator).
    pub auxv_pairs: Vec<(u64, u64)>,
}

/// Host identity values reported in the auxiliary vector.
fn ids() -> [u64; 4] {
    // SAFETY: these calls cannot fail and touch no memory.
    unsafe {
        [
            libc::getuid() as u64,
            libc::geteuid() as u64,
            libc::getgid() as u64,
            libc::getegid() as u64,
        ]
    }
}

/// Builds the initial stack just below `stack_top` (which is the exclusive
/// top of the mapped stack; it must be mapped writable down to
/// `stack_bottom`). `random` fills AT_RANDOM.
#[allow(clippy::too_many_arguments)]
pub fn build(
    mem: &mut GuestMemory,
    arch: &Arch,
    stack_top: u64,
    stack_bottom: u64,
    argv: &[&[u8]],
    envp: &[&[u8]],
    execfn: &[u8],
    image: &ImageInfo,
    random: [u8; 16],
) -> Result<StackLayout> {
    let too_big = || Error::Layout("arguments and environment do not fit on the stack".into());
    let strlen = |s: &[u8]| s.len() as u64 + 1;
    let strings: u64 = argv.iter().chain(envp).map(|s| strlen(s)).sum::<u64>() + strlen(execfn);
    let end_marker = 8;
    let str_base = stack_top
        .checked_sub(end_marker + strings)
        .filter(|&a| a >= stack_bottom)
        .ok_or_else(too_big)?;

    // Strings, ascending from str_base.
    let mut area = Vec::with_capacity(strings as usize + end_marker as usize);
    let mut argv_ptrs = Vec::with_capacity(argv.len());
    let mut envp_ptrs = Vec::with_capacity(envp.len());
    for s in argv {
        argv_ptrs.push(str_base + area.len() as u64);
        area.extend_from_slice(s);
        area.push(0);
    }
    for s in envp {
        envp_ptrs.push(str_base + area.len() as u64);
        area.extend_from_slice(s);
        area.push(0);
    }
    let execfn_addr = str_base + area.len() as u64;
    area.extend_from_slice(execfn);
    area.push(0);
    area.extend_from_slice(&[0u8; 8]);
    mem.write(str_base, &area)?;

    // Platform string and random bytes below, 16-byte aligned.
    let mut p = str_base & !15;
    let platform_addr = match arch.platform {
        Some(s) => {
            p = p.checked_sub(s.len() as u64 + 1).ok_or_else(too_big)?;
            let mut b = s.as_bytes().to_vec();
            b.push(0);
            mem.write(p, &b)?;
            Some(p)
        }
        None => None,
    };
    p = p.checked_sub(16).ok_or_else(too_big)? & !15;
    let random_addr = p;
    mem.write(random_addr, &random)?;

    let [uid, euid, gid, egid] = ids();
    let mut auxv = vec![
        (AT_HWCAP, arch.hwcap),
        (AT_PAGESZ, arch.page_size),
        (AT_CLKTCK, 100),
        (AT_PHDR, image.phdr),
        (AT_PHENT, image.phent),
        (AT_PHNUM, image.phnum),
        (AT_BASE, image.interp_base),
        (AT_FLAGS, 0),
        (AT_ENTRY, image.entry),
        (AT_UID, uid),
        (AT_EUID, euid),
        (AT_GID, gid),
        (AT_EGID, egid),
        (AT_SECURE, 0),
        (AT_RANDOM, random_addr),
    ];
    if arch.hwcap2 != 0 {
        auxv.push((AT_HWCAP2, arch.hwcap2));
    }
    auxv.push((AT_EXECFN, execfn_addr));
    if let Some(a) = platform_addr {
        auxv.push((AT_PLATFORM, a));
    }

    let words = 1 + argv.len() + 1 + envp.len() + 1 + 2 * (auxv.len() + 1);
    let align = arch.stack_align.max(16);
    let sp = p
        .checked_sub(8 * words as u64)
        .map(|s| s & !(align - 1))
        .filter(|&s| s >= stack_bottom)
        .ok_or_else(too_big)?;

    let mut table = Vec::with_capacity(words * 8);
    let mut push = |v: u64| table.extend_from_slice(&arch.word_bytes(v));
    push(argv.len() as u64);
    argv_ptrs.iter().for_each(|&a| push(a));
    push(0);
    envp_ptrs.iter().for_each(|&a| push(a));
    push(0);
    for &(k, v) in &auxv {
        push(k);
        push(v);
    }
    push(AT_NULL);
    push(0);
    mem.write(sp, &table)?;

    let argv_addr = sp + 8;
    let envp_addr = argv_addr + 8 * (argv.len() as u64 + 1);
    let auxv_addr = envp_addr + 8 * (envp.len() as u64 + 1);
    Ok(StackLayout {
        sp,
        argv: argv_addr,
        envp: envp_addr,
        auxv: auxv_addr,
        random: random_addr,
        execfn: execfn_addr,
        auxv_pairs: auxv,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linux_user::arch::RISCV64;
    use polyvm_ir::abi::{PAGE_READ, PAGE_WRITE};

    fn word(mem: &GuestMemory, a: u64) -> u64 {
        let mut b = [0u8; 8];
        mem.read(a, &mut b).unwrap();
        u64::from_le_bytes(b)
    }

    /// Builds a stack and reads it back the way a C runtime would: from sp
    /// alone, following the pointers.
    #[test]
    fn parse_back_what_was_built() {
        let mut mem = GuestMemory::new(1 << 30).unwrap();
        let top = (1 << 30) - 4096;
        let bottom = top - (1 << 20);
        mem.map_anon(bottom, top - bottom, PAGE_READ | PAGE_WRITE)
            .unwrap();
        let image = ImageInfo {
            phdr: 0x10040,
            phent: 56,
            phnum: 7,
            interp_base: 0x7000_0000,
            entry: 0x10500,
        };
        let random = *b"0123456789abcdef";
        let argv: [&[u8]; 3] = [b"prog", b"-x", b""];
        let envp: [&[u8]; 2] = [b"A=1", b"PATH=/bin"];
        let l = build(
            &mut mem,
            &RISCV64,
            top,
            bottom,
            &argv,
            &envp,
            b"/bin/prog",
            &image,
            random,
        )
        .unwrap();

        let sp = l.sp;
        assert_eq!(sp % 16, 0, "psABI: sp is 16-byte aligned at entry");
        assert!(sp >= bottom && sp < top);
        assert_eq!(word(&mem, sp), 3, "argc");
        let mut a = sp + 8;
        for want in argv {
            let p = word(&mem, a);
            assert_eq!(mem.read_cstr(p, 100).unwrap(), want);
            a += 8;
        }
        assert_eq!(word(&mem, a), 0, "argv NULL");
        a += 8;
        assert_eq!(a, l.envp);
        for want in envp {
            let p = word(&mem, a);
            assert_eq!(mem.read_cstr(p, 100).unwrap(), want);
            a += 8;
        }
        assert_eq!(word(&mem, a), 0, "envp NULL");
        a += 8;
        assert_eq!(a, l.auxv);
        let mut aux = std::collections::HashMap::new();
        loop {
            let (k, v) = (word(&mem, a), word(&mem, a + 8));
            a += 16;
            if k == AT_NULL {
                break;
            }
            assert!(aux.insert(k, v).is_none(), "duplicate auxv key {k}");
        }
        assert!(a <= l.random, "auxv ends below the random bytes");
        assert_eq!(aux[&AT_PHDR], 0x10040);
        assert_eq!(aux[&AT_PHENT], 56);
        assert_eq!(aux[&AT_PHNUM], 7);
        assert_eq!(aux[&AT_PAGESZ], 4096);
        assert_eq!(aux[&AT_BASE], 0x7000_0000);
        assert_eq!(aux[&AT_ENTRY], 0x10500);
        assert_eq!(aux[&AT_FLAGS], 0);
        assert_eq!(aux[&AT_SECURE], 0);
        assert_eq!(aux[&AT_CLKTCK], 100);
        assert_eq!(aux[&AT_HWCAP], 0x112d);
        // SAFETY: getuid/getgid have no preconditions.
        let (uid, gid) = unsafe { (libc::getuid() as u64, libc::getgid() as u64) };
        assert_eq!(aux[&AT_UID], uid);
        assert_eq!(aux[&AT_GID], gid);
        let mut r = [0u8; 16];
        mem.read(aux[&AT_RANDOM], &mut r).unwrap();
        assert_eq!(&r, b"0123456789abcdef");
        assert_eq!(aux[&AT_RANDOM] % 16, 0);
        assert_eq!(mem.read_cstr(aux[&AT_EXECFN], 100).unwrap(), b"/bin/prog");
        assert!(!aux.contains_key(&AT_PLATFORM));
        // Strings sit at the top, just under the 8-byte end marker.
        assert_eq!(l.execfn + b"/bin/prog\0".len() as u64 + 8, top);
        assert_eq!(word(&mem, top - 8), 0);
    }

    #[test]
    fn too_many_arguments_is_an_error() {
        let mut mem = GuestMemory::new(1 << 30).unwrap();
        let top = 0x20000;
        let bottom = 0x1f000;
        mem.map_anon(bottom, 0x1000, PAGE_READ | PAGE_WRITE)
            .unwrap();
        let big = vec![b'x'; 5000];
        let argv: [&[u8]; 1] = [&big];
        let e = build(
            &mut mem,
            &RISCV64,
            top,
            bottom,
            &argv,
            &[],
            b"p",
            &ImageInfo::default(),
            [0; 16],
        )
        .unwrap_err();
        assert!(e.to_string().contains("do not fit"), "{e}");
    }
}
