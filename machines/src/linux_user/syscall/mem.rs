//! Memory-management system calls: brk, mmap, munmap, mprotect, mremap,
//! madvise. They edit the guest address space through `GuestMemory`, which
//! keeps host protections equal to the guest's.

use polyvm_runtime::guest_mem::{GuestMemError, MMAP_MIN_ADDR, PAGE_SIZE};

use super::{Process, SysResult};
use polyvm_ir::abi::{PAGE_READ, PAGE_WRITE};

const PROT_READ: u64 = 0x1;
const PROT_WRITE: u64 = 0x2;
const PROT_EXEC: u64 = 0x4;
const PROT_SEM: u64 = 0x8;
const PROT_GROWSDOWN: u64 = 0x0100_0000;
const PROT_GROWSUP: u64 = 0x0200_0000;

const MAP_SHARED: u64 = 0x01;
const MAP_PRIVATE: u64 = 0x02;
const MAP_SHARED_VALIDATE: u64 = 0x03;
const MAP_TYPE: u64 = 0x0f;
const MAP_FIXED: u64 = 0x10;
const MAP_ANONYMOUS: u64 = 0x20;
const MAP_FIXED_NOREPLACE: u64 = 0x10_0000;

const MREMAP_MAYMOVE: u64 = 1;
const MREMAP_FIXED: u64 = 2;
const MREMAP_DONTUNMAP: u64 = 4;

const MADV_DONTNEED: i32 = 4;

fn page_up(len: u64) -> Option<u64> {
    Some(len.checked_add(PAGE_SIZE - 1)? & !(PAGE_SIZE - 1))
}

/// Guest `PROT_*` bits to page flags (the values coincide), or EINVAL for
/// unknown bits. `PROT_SEM` and the grows flags are accepted and ignored.
fn prot_flags(prot: u64) -> Result<u8, i32> {
    let known = PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM | PROT_GROWSDOWN | PROT_GROWSUP;
    if prot & !known != 0 {
        return Err(libc::EINVAL);
    }
    Ok((prot & (PROT_READ | PROT_WRITE | PROT_EXEC)) as u8)
}

fn mem_errno(e: GuestMemError) -> i32 {
    e.errno()
}

impl Process {
    /// `brk`: returns the new break, or the old one if it cannot move.
    /// The break moves freely inside its pages; whole pages are mapped or
    /// unmapped as it crosses them.
    pub(super) fn sys_brk(&mut self, addr: u64) -> u64 {
        if addr < self.brk_start {
            return self.brk;
        }
        let (Some(old_end), Some(new_end)) = (page_up(self.brk), page_up(addr)) else {
            return self.brk;
        };
        if new_end > old_end {
            let grow = new_end - old_end;
            if !self.mem.is_free(old_end, grow) || new_end > self.mem.mmap_base() {
                return self.brk;
            }
            if self
                .mem
                .map_anon(old_end, grow, PAGE_READ | PAGE_WRITE)
                .is_err()
            {
                return self.brk;
            }
        } else if new_end < old_end && self.mem.unmap(new_end, old_end - new_end).is_err() {
            return self.brk;
        }
        self.brk = addr;
        addr
    }

    pub(super) fn sys_mmap(
        &mut self,
        addr: u64,
        len: u64,
        prot: u64,
        flags: u64,
        fd: i32,
        off: u64,
    ) -> SysResult {
        let prot = prot_flags(prot)?;
        let rlen = match page_up(len) {
            Some(0) => return Err(libc::EINVAL),
            Some(r) => r,
            None => return Err(libc::ENOMEM),
        };
        if !off.is_multiple_of(PAGE_SIZE) {
            return Err(libc::EINVAL);
        }
        let shared = match flags & MAP_TYPE {
            MAP_SHARED | MAP_SHARED_VALIDATE => true,
            MAP_PRIVATE => false,
            _ => return Err(libc::EINVAL),
        };
        let anon = flags & MAP_ANONYMOUS != 0;
        if !anon && off.checked_add(rlen).is_none_or(|e| e > i64::MAX as u64) {
            return Err(libc::EOVERFLOW);
        }
        let target = if flags & (MAP_FIXED | MAP_FIXED_NOREPLACE) != 0 {
            if !addr.is_multiple_of(PAGE_SIZE) {
                return Err(libc::EINVAL);
            }
            if addr < MMAP_MIN_ADDR {
                return Err(libc::EPERM);
            }
            if addr.checked_add(rlen).is_none_or(|e| e > self.mem.size()) {
                return Err(libc::ENOMEM);
            }
            if flags & MAP_FIXED == 0 && !self.mem.is_free(addr, rlen) {
                return Err(libc::EEXIST);
            }
            addr
        } else {
            self.mem.find_free(rlen, addr).ok_or(libc::ENOMEM)?
        };
        if anon {
            self.mem.map_anon(target, rlen, prot).map_err(mem_errno)?;
        } else {
            self.mem
                .map_file(target, rlen, prot, fd, off, shared)
                .map_err(mem_errno)?;
        }
        Ok(target)
    }

    pub(super) fn sys_munmap(&mut self, addr: u64, len: u64) -> SysResult {
        if !addr.is_multiple_of(PAGE_SIZE) || len == 0 {
            return Err(libc::EINVAL);
        }
        let rlen = page_up(len).ok_or(libc::EINVAL)?;
        if addr.checked_add(rlen).is_none_or(|e| e > self.mem.size()) {
            return Err(libc::EINVAL);
        }
        self.mem.unmap(addr, rlen).map_err(mem_errno)?;
        Ok(0)
    }

    pub(super) fn sys_mprotect(&mut self, addr: u64, len: u64, prot: u64) -> SysResult {
        let prot = prot_flags(prot)?;
        if !addr.is_multiple_of(PAGE_SIZE) {
            return Err(libc::EINVAL);
        }
        let rlen = page_up(len).ok_or(libc::ENOMEM)?;
        if rlen == 0 {
            return Ok(0);
        }
        if addr.checked_add(rlen).is_none_or(|e| e > self.mem.size()) {
            return Err(libc::ENOMEM);
        }
        self.mem.protect(addr, rlen, prot).map_err(mem_errno)?;
        Ok(0)
    }

    /// `mremap` without `MREMAP_FIXED`/`MREMAP_DONTUNMAP` (EINVAL; glibc's
    /// realloc needs only `MREMAP_MAYMOVE`) and without the `old_len == 0`
    /// duplicate-a-shared-mapping form.
    pub(super) fn sys_mremap(
        &mut self,
        old: u64,
        old_len: u64,
        new_len: u64,
        flags: u64,
        _new_addr: u64,
    ) -> SysResult {
        if flags & !(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP) != 0
            || flags & (MREMAP_FIXED | MREMAP_DONTUNMAP) != 0
            || !old.is_multiple_of(PAGE_SIZE)
            || old_len == 0
            || new_len == 0
        {
            return Err(libc::EINVAL);
        }
        let old_rlen = page_up(old_len).ok_or(libc::EINVAL)?;
        if old
            .checked_add(old_rlen)
            .is_none_or(|e| e > self.mem.size())
            || !self.mem.is_mapped_range(old, old_rlen, 0)
        {
            return Err(libc::EFAULT);
        }
        self.mem
            .remap(old, old_rlen, new_len, flags & MREMAP_MAYMOVE != 0)
            .map_err(|e| match e {
                GuestMemError::NotMapped { .. } | GuestMemError::OutOfRange { .. } => libc::ENOMEM,
                e => e.errno(),
            })
    }

    /// `madvise`: only `MADV_DONTNEED` changes what the guest sees (pages
    /// read back as zero or as the file), so only it is passed on.
    pub(super) fn sys_madvise(&mut self, addr: u64, len: u64, advice: i32) -> SysResult {
        if !addr.is_multiple_of(PAGE_SIZE) {
            return Err(libc::EINVAL);
        }
        let rlen = page_up(len).ok_or(libc::EINVAL)?;
        if rlen == 0 {
            return Ok(0);
        }
        if addr.checked_add(rlen).is_none_or(|e| e > self.mem.size()) {
            return Err(libc::ENOMEM);
        }
        if advice == MADV_DONTNEED {
            self.mem.discard(addr, rlen).map_err(mem_errno)?;
        }
        Ok(0)
    }
}
