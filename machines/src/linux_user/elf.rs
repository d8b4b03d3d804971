//! A small ELF64 parser: just what loading an executable needs.
//!
//! It checks everything the loader relies on (identification, header sizes,
//! program-header bounds, segment sizes and their overflow, alignment,
//! ordering of loadable segments, the interpreter path), so that a truncated
//! or hostile file gives an [`Error::MalformedElf`] and never a panic. Both
//! byte orders are read, for the big-endian guests to come.

use crate::{Error, Result};

pub const ET_REL: u16 = 1;
pub const ET_EXEC: u16 = 2;
pub const ET_DYN: u16 = 3;
pub const ET_CORE: u16 = 4;

pub const EM_RISCV: u16 = 243;

pub const PT_LOAD: u32 = 1;
pub const PT_DYNAMIC: u32 = 2;
pub const PT_INTERP: u32 = 3;
pub const PT_PHDR: u32 = 6;
pub const PT_TLS: u32 = 7;
pub const PT_GNU_STACK: u32 = 0x6474_e551;

pub const PF_X: u32 = 1;
pub const PF_W: u32 = 2;
pub const PF_R: u32 = 4;

/// Size of the ELF64 file header.
pub const EHDR_SIZE: usize = 64;
/// Size of one ELF64 program header.
pub const PHDR_SIZE: usize = 56;
/// Longest interpreter path we accept (Linux's PATH_MAX).
const MAX_INTERP: usize = 4096;
/// Linux refuses program-header tables larger than 64 KiB.
const MAX_PHDR_BYTES: usize = 65536;

/// One program header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProgramHeader {
    pub p_type: u32,
    pub p_flags: u32,
    pub p_offset: u64,
    pub p_vaddr: u64,
    pub p_paddr: u64,
    pub p_filesz: u64,
    pub p_memsz: u64,
    pub p_align: u64,
}

impl ProgramHeader {
    /// End of the segment in memory (validated not to overflow for loads).
    pub fn vaddr_end(&self) -> u64 {
        self.p_vaddr.saturating_add(self.p_memsz)
    }
}

/// A parsed, validated ELF64 executable or shared object.
#[derive(Clone, Debug)]
pub struct ElfFile {
    pub big_endian: bool,
    pub e_type: u16,
    pub e_machine: u16,
    pub e_flags: u32,
    pub e_entry: u64,
    pub e_phoff: u64,
    pub e_phentsize: u16,
    pub e_phnum: u16,
    pub phdrs: Vec<ProgramHeader>,
    /// The PT_INTERP path, without its NUL.
    pub interp: Option<Vec<u8>>,
}

impl ElfFile {
    /// The loadable segments, in ascending address order.
    pub fn loads(&self) -> impl Iterator<Item = &ProgramHeader> {
        self.phdrs.iter().filter(|p| p.p_type == PT_LOAD)
    }

    /// Lowest and highest (exclusive) addresses the loadable segments use.
    pub fn load_span(&self) -> (u64, u64) {
        let lo = self.loads().map(|p| p.p_vaddr).min().unwrap_or(0);
        let hi = self.loads().map(|p| p.vaddr_end()).max().unwrap_or(0);
        (lo, hi)
    }

    /// Largest p_align among the loadable segments (at least 1).
    pub fn max_align(&self) -> u64 {
        self.loads().map(|p| p.p_align).max().unwrap_or(1).max(1)
    }

    /// Position-independent (`ET_DYN`): loaded at a bias of our choice.
    pub fn is_dyn(&self) -> bool {
        self.e_type == ET_DYN
    }
}

/// Human name of an ELF machine number, for error messages.
pub fn machine_name(e_machine: u16) -> Option<&'static str> {
    Some(match e_machine {
        2 => "SPARC",
        3 => "i386",
        4 => "m68k",
        8 => "MIPS",
        15 => "PA-RISC",
        20 => "PowerPC",
        21 => "PowerPC64",
        22 => "s390x",
        40 => "ARM",
        42 => "SuperH",
        43 => "SPARC64",
        50 => "IA-64",
        62 => "x86-64",
        92 => "OpenRISC",
        94 => "Xtensa",
        164 => "Hexagon",
        183 => "AArch64",
        189 => "MicroBlaze",
        243 => "RISC-V",
        258 => "LoongArch",
        0x9026 => "Alpha",
        _ => return None,
    })
}

fn bad(msg: impl Into<String>) -> Error {
    Error::MalformedElf(msg.into())
}

/// Endian-aware reads at fixed offsets of a slice already bounds-checked.
struct Fields<'a> {
    b: &'a [u8],
    be: bool,
}

impl Fields<'_> {
    fn bytes<const N: usize>(&self, at: usize) -> [u8; N] {
        let mut out = [0u8; N];
        // Callers index only inside a header whose length was checked.
        out.copy_from_slice(&self.b[at..at + N]);
        if self.be {
            out.reverse();
        }
        out
    }
    fn u16(&self, at: usize) -> u16 {
        u16::from_le_bytes(self.bytes(at))
    }
    fn u32(&self, at: usize) -> u32 {
        u32::from_le_bytes(self.bytes(at))
    }
    fn u64(&self, at: usize) -> u64 {
        u64::from_le_bytes(self.bytes(at))
    }
}

/// Parses and validates an ELF file held in memory.
pub fn parse(file: &[u8]) -> Result<ElfFile> {
    if file.len() < 16 || file[..4] != *b"\x7fELF" {
        return Err(bad("not an ELF file (bad magic number)"));
    }
    match file[4] {
        2 => {}
        1 => {
            return Err(Error::UnsupportedElf(
                "32-bit ELF files are not supported yet".into(),
            ))
        }
        c => return Err(bad(format!("unknown ELF class {c}"))),
    }
    let be = match file[5] {
        1 => false,
        2 => true,
        d => return Err(bad(format!("unknown ELF data encoding {d}"))),
    };
    if file[6] != 1 {
        return Err(bad(format!(
            "unknown ELF identification version {}",
            file[6]
        )));
    }
    if file.len() < EHDR_SIZE {
        return Err(bad("file too short for an ELF64 header"));
    }
    let h = Fields {
        b: &file[..EHDR_SIZE],
        be,
    };
    let e_type = h.u16(16);
    let e_machine = h.u16(18);
    let e_version = h.u32(20);
    let e_entry = h.u64(24);
    let e_phoff = h.u64(32);
    let e_flags = h.u32(48);
    let e_ehsize = h.u16(52);
    let e_phentsize = h.u16(54);
    let e_phnum = h.u16(56);
    if e_version != 1 {
        return Err(bad(format!("unknown ELF version {e_version}")));
    }
    match e_type {
        ET_EXEC | ET_DYN => {}
        ET_REL => {
            return Err(Error::UnsupportedElf(
                "a relocatable object (.o), not an executable".into(),
            ))
        }
        ET_CORE => {
            return Err(Error::UnsupportedElf(
                "a core dump, not an executable".into(),
            ))
        }
        t => return Err(bad(format!("unknown ELF file type {t}"))),
    }
    if usize::from(e_ehsize) != EHDR_SIZE {
        return Err(bad(format!("ELF header size {e_ehsize}, expected 64")));
    }
    if e_phnum == 0 {
        return Err(bad("no program headers"));
    }
    if e_phnum == 0xffff {
        return Err(Error::UnsupportedElf(
            "extended program header numbering (PN_XNUM)".into(),
        ));
    }
    if usize::from(e_phentsize) != PHDR_SIZE {
        return Err(bad(format!(
            "program header size {e_phentsize}, expected 56"
        )));
    }
    let table = usize::from(e_phnum) * PHDR_SIZE;
    if table > MAX_PHDR_BYTES {
        return Err(bad(format!("{e_phnum} program headers is too many")));
    }
    let start = usize::try_from(e_phoff)
        .ok()
        .filter(|&s| s.checked_add(table).is_some_and(|e| e <= file.len()))
        .ok_or_else(|| {
            bad(format!(
                "program headers at {e_phoff:#x} (+{table:#x}) run past the end of the {:#x}-byte file",
                file.len()
            ))
        })?;

    let mut phdrs = Vec::with_capacity(usize::from(e_phnum));
    for i in 0..usize::from(e_phnum) {
        let at = start + i * PHDR_SIZE;
        let f = Fields {
            b: &file[at..at + PHDR_SIZE],
            be,
        };
        phdrs.push(ProgramHeader {
            p_type: f.u32(0),
            p_flags: f.u32(4),
            p_offset: f.u64(8),
            p_vaddr: f.u64(16),
            p_paddr: f.u64(24),
            p_filesz: f.u64(32),
            p_memsz: f.u64(40),
            p_align: f.u64(48),
        });
    }

    let file_len = file.len() as u64;
    let in_file = |p: &ProgramHeader| {
        p.p_offset
            .checked_add(p.p_filesz)
            .is_some_and(|e| e <= file_len)
    };
    let mut prev_end: Option<u64> = None;
    let mut nloads = 0;
    let mut interp = None;
    for (i, p) in phdrs.iter().enumerate() {
        match p.p_type {
            PT_LOAD => {
                nloads += 1;
                if p.p_filesz > p.p_memsz {
                    return Err(bad(format!(
                        "segment {i}: file size {:#x} exceeds memory size {:#x}",
                        p.p_filesz, p.p_memsz
                    )));
                }
                if !in_file(p) {
                    return Err(bad(format!(
                        "segment {i}: file range {:#x}+{:#x} runs past the end of the file",
                        p.p_offset, p.p_filesz
                    )));
                }
                let Some(end) = p.p_vaddr.checked_add(p.p_memsz) else {
                    return Err(bad(format!(
                        "segment {i}: {:#x}+{:#x} overflows the address space",
                        p.p_vaddr, p.p_memsz
                    )));
                };
                if p.p_align > 1 {
                    if !p.p_align.is_power_of_two() {
                        return Err(bad(format!(
                            "segment {i}: alignment {:#x} is not a power of two",
                            p.p_align
                        )));
                    }
                    if p.p_vaddr % p.p_align != p.p_offset % p.p_align {
                        return Err(bad(format!(
                            "segment {i}: address {:#x} and file offset {:#x} disagree modulo the alignment {:#x}",
                            p.p_vaddr, p.p_offset, p.p_align
                        )));
                    }
                }
                if p.p_memsz > 0 {
                    if let Some(pe) = prev_end {
                        if p.p_vaddr < pe {
                            return Err(bad(format!(
                                "segment {i} at {:#x} overlaps or precedes the previous loadable segment",
                                p.p_vaddr
                            )));
                        }
                    }
                    prev_end = Some(end);
                }
            }
            PT_INTERP => {
                if interp.is_some() {
                    return Err(bad("more than one PT_INTERP"));
                }
                if !in_file(p) {
                    return Err(bad("interpreter path runs past the end of the file"));
                }
                let len = p.p_filesz as usize;
                if !(2..=MAX_INTERP).contains(&len) {
                    return Err(bad(format!("interpreter path length {len} is unusable")));
                }
                let off = p.p_offset as usize;
                let s = &file[off..off + len];
                if s[len - 1] != 0 || s[..len - 1].contains(&0) {
                    return Err(bad("interpreter path is not a NUL-terminated string"));
                }
                interp = Some(s[..len - 1].to_vec());
            }
            _ => {}
        }
    }
    if nloads == 0 {
        return Err(bad("no loadable segments"));
    }
    let elf = ElfFile {
        big_endian: be,
        e_type,
        e_machine,
        e_flags,
        e_entry,
        e_phoff,
        e_phentsize,
        e_phnum,
        phdrs,
        interp,
    };
    if !elf
        .loads()
        .any(|p| e_entry >= p.p_vaddr && e_entry < p.vaddr_end())
    {
        return Err(bad(format!(
            "entry point {e_entry:#x} is outside every loadable segment"
        )));
    }
    Ok(elf)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal valid little-endian ELF64 executable: header, one PT_LOAD
    /// covering the whole file at 0x10000, entry at 0x10078.
    pub(crate) fn tiny_elf(machine: u16) -> Vec<u8> {
        let mut f = vec![0u8; 0x80];
        f[..4].copy_from_slice(b"\x7fELF");
        f[4] = 2; // ELFCLASS64
        f[5] = 1; // little-endian
        f[6] = 1; // EV_CURRENT
        f[16..18].copy_from_slice(&ET_EXEC.to_le_bytes());
        f[18..20].copy_from_slice(&machine.to_le_bytes());
        f[20..24].copy_from_slice(&1u32.to_le_bytes());
        f[24..32].copy_from_slice(&0x10078u64.to_le_bytes());
        f[32..40].copy_from_slice(&64u64.to_le_bytes());
        f[52..54].copy_from_slice(&64u16.to_le_bytes());
        f[54..56].copy_from_slice(&56u16.to_le_bytes());
        f[56..58].copy_from_slice(&1u16.to_le_bytes());
        let p = 64;
        f[p..p + 4].copy_from_slice(&PT_LOAD.to_le_bytes());
        f[p + 4..p + 8].copy_from_slice(&(PF_R | PF_X).to_le_bytes());
        f[p + 16..p + 24].copy_from_slice(&0x10000u64.to_le_bytes());
        f[p + 32..p + 40].copy_from_slice(&0x80u64.to_le_bytes());
        f[p + 40..p + 48].copy_from_slice(&0x80u64.to_le_bytes());
        f[p + 48..p + 56].copy_from_slice(&0x1000u64.to_le_bytes());
        // An `ecall`-free guest body is irrelevant here; leave zeroes.
        f
    }

    fn err(bytes: &[u8]) -> String {
        parse(bytes).unwrap_err().to_string()
    }

    #[test]
    fn tiny_is_valid() {
        let e = parse(&tiny_elf(EM_RISCV)).unwrap();
        assert_eq!(e.e_machine, 243);
        assert_eq!(e.e_entry, 0x10078);
        assert_eq!(e.phdrs.len(), 1);
        assert_eq!(e.load_span(), (0x10000, 0x10080));
        assert!(!e.is_dyn());
        assert!(e.interp.is_none());
    }

    #[test]
    fn header_fields_are_checked() {
        let good = tiny_elf(EM_RISCV);
        assert!(err(b"").contains("bad magic"));
        assert!(err(b"MZ\x90\x00").contains("bad magic"));
        let mut f = good.clone();
        f[4] = 1;
        assert!(err(&f).contains("32-bit"));
        f[4] = 7;
        assert!(err(&f).contains("class 7"));
        let mut f = good.clone();
        f[5] = 0;
        assert!(err(&f).contains("data encoding"));
        let mut f = good.clone();
        f[16] = ET_REL as u8;
        assert!(err(&f).contains("relocatable"));
        f[16] = ET_CORE as u8;
        assert!(err(&f).contains("core dump"));
        f[16] = 9;
        assert!(err(&f).contains("file type 9"));
        let mut f = good.clone();
        f[20] = 2;
        assert!(err(&f).contains("ELF version"));
        let mut f = good.clone();
        f[54] = 32;
        assert!(err(&f).contains("program header size"));
        let mut f = good.clone();
        f[56] = 0;
        assert!(err(&f).contains("no program headers"));
        let mut f = good.clone();
        f[56] = 0xff;
        f[57] = 0xff;
        assert!(err(&f).contains("PN_XNUM"));
        let mut f = good.clone();
        f[56] = 2; // second header would run past the end
        assert!(err(&f).contains("past the end"));
        let mut f = good.clone();
        f[32..40].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(err(&f).contains("past the end"));
        assert!(err(&good[..40]).contains("too short"));
    }

    #[test]
    fn segments_are_checked() {
        let good = tiny_elf(EM_RISCV);
        let p = 64;
        let set = |f: &mut Vec<u8>, at: usize, v: u64| {
            f[p + at..p + at + 8].copy_from_slice(&v.to_le_bytes())
        };
        let mut f = good.clone();
        set(&mut f, 32, 0x100); // filesz > memsz
        assert!(err(&f).contains("exceeds memory size"));
        let mut f = good.clone();
        set(&mut f, 32, 0x100);
        set(&mut f, 40, 0x100); // past the end of the 0x80-byte file
        assert!(err(&f).contains("past the end of the file"));
        let mut f = good.clone();
        set(&mut f, 8, u64::MAX); // offset + filesz overflows
        assert!(err(&f).contains("past the end of the file"));
        let mut f = good.clone();
        set(&mut f, 16, u64::MAX - 0x10);
        assert!(err(&f).contains("overflows"));
        let mut f = good.clone();
        set(&mut f, 48, 0x1800);
        assert!(err(&f).contains("power of two"));
        let mut f = good.clone();
        set(&mut f, 16, 0x10010); // vaddr % align != offset % align
        assert!(err(&f).contains("disagree"));
        let mut f = good.clone();
        f[24..32].copy_from_slice(&0x20000u64.to_le_bytes());
        assert!(err(&f).contains("entry point"));
        let mut f = good.clone();
        f[p] = 4; // PT_NOTE: now no PT_LOAD at all
        assert!(err(&f).contains("no loadable"));
    }

    #[test]
    fn big_endian_headers_parse() {
        // Byte-swap every header field of the tiny file.
        let le = tiny_elf(EM_RISCV);
        let mut be = le.clone();
        be[5] = 2;
        let swap = |f: &mut Vec<u8>, at: usize, n: usize| f[at..at + n].reverse();
        for (at, n) in [
            (16, 2),
            (18, 2),
            (20, 4),
            (24, 8),
            (32, 8),
            (52, 2),
            (54, 2),
            (56, 2),
        ] {
            swap(&mut be, at, n);
        }
        for (at, n) in [(0, 4), (4, 4), (8, 8), (16, 8), (32, 8), (40, 8), (48, 8)] {
            swap(&mut be, 64 + at, n);
        }
        let e = parse(&be).unwrap();
        assert!(e.big_endian);
        assert_eq!(e.e_entry, 0x10078);
        assert_eq!(e.phdrs[0].p_vaddr, 0x10000);
    }

    #[test]
    fn machine_names() {
        assert_eq!(machine_name(62), Some("x86-64"));
        assert_eq!(machine_name(183), Some("AArch64"));
        assert_eq!(machine_name(243), Some("RISC-V"));
        assert_eq!(machine_name(12345), None);
    }

    /// Every prefix and many single-byte mutations of a valid file must give
    /// a result (Ok or Err), never a panic.
    #[test]
    fn truncations_and_mutations_never_panic() {
        let good = tiny_elf(EM_RISCV);
        for n in 0..good.len() {
            assert!(parse(&good[..n]).is_err(), "prefix {n} parsed");
        }
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20000 {
            let mut f = good.clone();
            for _ in 0..3 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let at = (seed % f.len() as u64) as usize;
                f[at] = (seed >> 32) as u8;
            }
            let _ = parse(&f);
        }
    }
}
