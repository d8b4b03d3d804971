//! Places ELF images in guest memory.
//!
//! Static executables (`ET_EXEC`) go at their link addresses; position-
//! independent ones (`ET_DYN`, static-PIE or dynamic) at a load bias. A
//! dynamic executable's interpreter (`PT_INTERP`) is loaded at a second bias,
//! found top-down below the mmap base like any `mmap`.
//!
//! Segments are copied in rather than file-mapped: the guest then never sees
//! host `SIGBUS` past the end of a file, and the tail of the last file-backed
//! page, and all of the bss, stay zero because the pages start zeroed.
//!
//! ```text
//!   0 ─ [ET_EXEC image] [brk →]       ...    [interp] ← mmap ─ gap ─ [stack] ─ top
//!                            [ET_DYN image at 2/3 of the space]
//! ```

use polyvm_ir::abi::{PAGE_EXEC, PAGE_READ, PAGE_WRITE};
use polyvm_runtime::guest_mem::{GuestMemory, PAGE_SIZE};

use super::elf::{ElfFile, PF_R, PF_W, PF_X, PHDR_SIZE, PT_PHDR};
use crate::{Error, Result};

/// Bytes of stack the process starts with (it does not grow).
pub const STACK_SIZE: u64 = 8 << 20;
/// Unmapped bytes between the mmap area and the stack's lowest page, so an
/// overflowing stack faults instead of running into mappings.
pub const STACK_GUARD_GAP: u64 = 1 << 20;

fn page_down(a: u64) -> u64 {
    a & !(PAGE_SIZE - 1)
}

fn page_up(a: u64) -> Option<u64> {
    Some(a.checked_add(PAGE_SIZE - 1)? & !(PAGE_SIZE - 1))
}

/// Guest page permissions for ELF segment flags.
pub fn segment_prot(p_flags: u32) -> u8 {
    let mut prot = 0;
    if p_flags & PF_R != 0 {
        prot |= PAGE_READ;
    }
    if p_flags & PF_W != 0 {
        prot |= PAGE_WRITE;
    }
    if p_flags & PF_X != 0 {
        prot |= PAGE_EXEC;
    }
    prot
}

/// An image placed in guest memory.
#[derive(Clone, Debug)]
pub struct LoadedImage {
    /// Added to every link-time address.
    pub bias: u64,
    /// Biased entry point.
    pub entry: u64,
    /// Guest address of the program-header table.
    pub phdr: u64,
    pub phnum: u64,
    /// Lowest mapped address (page-aligned).
    pub start: u64,
    /// Page-aligned end of the highest segment.
    pub end: u64,
}

/// Chooses where an image goes: its link address for `ET_EXEC`; for
/// `ET_DYN`, two thirds up the address space for a main program (as Linux's
/// `ELF_ET_DYN_BASE`) or the top-down mmap area for an interpreter.
pub fn choose_bias(mem: &GuestMemory, elf: &ElfFile, is_interp: bool) -> Result<u64> {
    let (lo, hi) = elf.load_span();
    let lo = page_down(lo);
    let span = page_up(hi)
        .and_then(|h| h.checked_sub(lo))
        .ok_or_else(|| Error::Layout("image span overflows".into()))?;
    let align = elf.max_align().max(PAGE_SIZE);
    if !elf.is_dyn() {
        return Ok(0);
    }
    let base = if is_interp {
        mem.find_free_aligned(span, 0, align)
            .ok_or_else(|| Error::Layout(format!("no room for a {span:#x}-byte interpreter")))?
    } else {
        (mem.size() / 3 * 2) & !(align - 1)
    };
    base.checked_sub(lo).ok_or_else(|| {
        Error::Layout(format!(
            "image linked at {lo:#x} cannot be placed at {base:#x}"
        ))
    })
}

/// Copies the loadable segments of `elf` (whose bytes are `file`) into guest
/// memory at `bias` and applies their permissions.
pub fn load_image(
    mem: &mut GuestMemory,
    elf: &ElfFile,
    file: &[u8],
    bias: u64,
) -> Result<LoadedImage> {
    let outside = |a: u64| {
        Error::Layout(format!(
            "segment at {a:#x} is outside the guest address space"
        ))
    };
    // Page ranges and permissions of each non-empty segment, in order.
    let mut segs: Vec<(u64, u64, u8)> = Vec::new();
    for p in elf.loads().filter(|p| p.p_memsz > 0) {
        let start = p
            .p_vaddr
            .checked_add(bias)
            .ok_or_else(|| outside(p.p_vaddr))?;
        let end = start
            .checked_add(p.p_memsz)
            .filter(|&e| e <= mem.size())
            .ok_or_else(|| outside(start))?;
        let (pstart, pend) = (
            page_down(start),
            page_up(end).ok_or_else(|| outside(start))?,
        );
        if pend > mem.size() {
            return Err(outside(start));
        }
        // Map the pages the previous segment has not (they may share the
        // first one); anything else already there is a layout conflict.
        let first = segs.last().map_or(pstart, |s| s.1.max(pstart));
        if first < pend {
            if !mem.is_free(first, pend - first) {
                return Err(Error::Layout(format!(
                    "segment at {start:#x} overlaps an existing mapping"
                )));
            }
            mem.map_anon(first, pend - first, PAGE_READ | PAGE_WRITE)?;
        }
        // The parser checked offset + filesz against the file length.
        let off = p.p_offset as usize;
        let bytes = file
            .get(off..off + p.p_filesz as usize)
            .ok_or_else(|| Error::MalformedElf("segment past the end of the file".into()))?;
        mem.write_initial(start, bytes)?;
        segs.push((pstart, pend, segment_prot(p.p_flags)));
    }
    for &(s, e, prot) in &segs {
        mem.protect(s, e - s, prot)?;
    }
    // A page shared by two segments gets both segments' permissions.
    for w in segs.windows(2) {
        let (_, prev_end, prev_prot) = w[0];
        let (cur_start, _, cur_prot) = w[1];
        if cur_start < prev_end {
            mem.protect(cur_start, PAGE_SIZE, prev_prot | cur_prot)?;
        }
    }
    let start = segs.first().map_or(0, |s| s.0);
    let end = segs.last().map_or(0, |s| s.1);
    let phdr = match phdr_address(elf, bias) {
        Some(a) => a,
        None => copy_phdrs(mem, elf, file)?,
    };
    Ok(LoadedImage {
        bias,
        entry: elf.e_entry.wrapping_add(bias),
        phdr,
        phnum: u64::from(elf.e_phnum),
        start,
        end,
    })
}

/// Where the program headers are in the loaded image: PT_PHDR if present,
/// else the loadable segment whose file bytes contain the table.
fn phdr_address(elf: &ElfFile, bias: u64) -> Option<u64> {
    if let Some(p) = elf.phdrs.iter().find(|p| p.p_type == PT_PHDR) {
        return p.p_vaddr.checked_add(bias);
    }
    let table = u64::from(elf.e_phnum) * PHDR_SIZE as u64;
    elf.loads()
        .find(|p| elf.e_phoff >= p.p_offset && elf.e_phoff + table <= p.p_offset + p.p_filesz)
        .and_then(|p| (p.p_vaddr + (elf.e_phoff - p.p_offset)).checked_add(bias))
}

/// For images that do not load their own program headers: put a read-only
/// copy in fresh memory so AT_PHDR still points at them.
fn copy_phdrs(mem: &mut GuestMemory, elf: &ElfFile, file: &[u8]) -> Result<u64> {
    let off = elf.e_phoff as usize;
    let len = usize::from(elf.e_phnum) * PHDR_SIZE;
    let bytes = file
        .get(off..off + len)
        .ok_or_else(|| Error::MalformedElf("program headers past the end of the file".into()))?;
    let at = mem
        .find_free(len as u64, 0)
        .ok_or_else(|| Error::Layout("no room for the program headers".into()))?;
    mem.map_anon(at, len as u64, PAGE_READ)?;
    mem.write_initial(at, bytes)?;
    Ok(at)
}

/// Maps the stack just below the top of the address space, leaving the top
/// page unmapped, and moves the mmap base below it with a guard gap.
/// Returns (stack bottom, stack top).
pub fn map_stack(mem: &mut GuestMemory) -> Result<(u64, u64)> {
    let top = mem
        .size()
        .checked_sub(PAGE_SIZE)
        .ok_or_else(|| Error::Layout("address space too small".into()))?;
    let bottom = top
        .checked_sub(STACK_SIZE + STACK_GUARD_GAP)
        .map(|b| b + STACK_GUARD_GAP)
        .ok_or_else(|| Error::Layout("address space too small for the stack".into()))?;
    mem.map_anon(bottom, STACK_SIZE, PAGE_READ | PAGE_WRITE)?;
    mem.set_mmap_base(bottom - STACK_GUARD_GAP);
    Ok((bottom, top))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_flags_map_to_page_bits() {
        assert_eq!(segment_prot(PF_R | PF_X), PAGE_READ | PAGE_EXEC);
        assert_eq!(segment_prot(PF_R | PF_W), PAGE_READ | PAGE_WRITE);
        assert_eq!(segment_prot(0), 0);
    }

    #[test]
    fn stack_sits_below_the_top_with_gaps() {
        let mut mem = GuestMemory::new(1 << 38).unwrap();
        let (bottom, top) = map_stack(&mut mem).unwrap();
        assert_eq!(top, (1 << 38) - 4096);
        assert_eq!(top - bottom, 8 << 20);
        assert!(mem.is_mapped_range(bottom, top - bottom, PAGE_READ | PAGE_WRITE));
        assert_eq!(mem.page_flags(top), 0, "top page is a guard");
        assert_eq!(mem.page_flags(bottom - 1), 0, "guard gap below");
        assert_eq!(mem.mmap_base(), bottom - (1 << 20));
        // mmap-style allocations land under the gap.
        let a = mem.find_free(4096, 0).unwrap();
        assert_eq!(a, bottom - (1 << 20) - 4096);
    }
}
