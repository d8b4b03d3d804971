//! User-mode guest memory: one contiguous host reservation per guest.
//!
//! Guest address `a` lives at host address `guest_base + a`, so translated
//! code reaches guest memory with a single host access. The whole guest
//! address space (`size` bytes, 256 GiB by default: the user half of RISC-V
//! Sv39) is reserved up front with `PROT_NONE` and `MAP_NORESERVE`; guest
//! mappings are host mappings placed with `MAP_FIXED` inside it, and unmapping
//! puts the reservation back.
//!
//! ```text
//!   host:  guest_base ─┬─ [page 0][page 1] ... [page n-1] ─ guest_base + size
//!   flags:             └─ one byte per 4 KiB page: PAGE_READ|WRITE|EXEC|MAPPED
//! ```
//!
//! Host protections mirror the guest's (never host-executable), so a JIT may
//! rely on host faults instead of checking the flags table. Guest pages that
//! are executable but not readable are host-readable, because code is fetched
//! through the host mapping. Tracking is at 4 KiB granularity whatever the
//! guest page size: a 64 KiB-page guest simply maps 16 pages at a time.
//!
//! All of the runtime's memory-mapping `unsafe` lives in this module.

use polyvm_ir::abi::{GuestMemView, PAGE_EXEC, PAGE_READ, PAGE_WRITE};

/// log2 of the tracking granule (and of the host page size we require).
pub const PAGE_SHIFT: u32 = 12;
/// Bytes per tracked page.
pub const PAGE_SIZE: u64 = 1 << PAGE_SHIFT;
/// Flag bit set on every page the guest has mapped, even `PROT_NONE` ones, so
/// that a guard page is told apart from a hole. Translated code tests only
/// the `PAGE_*` permission bits and ignores this one.
pub const PAGE_MAPPED: u8 = 0x80;
/// Default guest address-space size: 256 GiB.
pub const DEFAULT_SIZE: u64 = 1 << 38;
/// Lowest address [`GuestMemory::find_free`] hands out (as Linux's
/// `vm.mmap_min_addr`), so that null-pointer dereferences keep faulting.
pub const MMAP_MIN_ADDR: u64 = 0x1_0000;

const PROT_MASK: u8 = PAGE_READ | PAGE_WRITE | PAGE_EXEC;

/// Errors from guest-memory operations.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum GuestMemError {
    /// The guest touched `addr`, which is unmapped or lacks the permission.
    #[error("guest memory fault at {addr:#x}")]
    Fault { addr: u64 },
    /// An address or length was not page-aligned where it must be.
    #[error("guest address {addr:#x} or length {len:#x} is not page-aligned")]
    Unaligned { addr: u64, len: u64 },
    /// The range leaves the guest address space.
    #[error("guest range {addr:#x}+{len:#x} is outside the {size:#x}-byte address space")]
    OutOfRange { addr: u64, len: u64, size: u64 },
    /// The range contains pages the guest never mapped.
    #[error("guest range {addr:#x}+{len:#x} is not fully mapped")]
    NotMapped { addr: u64, len: u64 },
    /// No NUL within the allowed length of a guest C string.
    #[error("guest string at {addr:#x} is longer than {max} bytes")]
    StringTooLong { addr: u64, max: usize },
    /// The requested size is unusable.
    #[error("guest address space size {0:#x} must be a non-zero multiple of 4 KiB")]
    BadSize(u64),
    /// The host page size is not the 4 KiB this module tracks.
    #[error("host page size {0} is not supported (need 4096)")]
    HostPageSize(u64),
    /// A host call failed; `errno` is the host's error number.
    #[error("host {op} failed: {}", std::io::Error::from_raw_os_error(*errno))]
    Host { op: &'static str, errno: i32 },
}

impl GuestMemError {
    /// The Linux errno a syscall should report for this error.
    pub fn errno(&self) -> i32 {
        match self {
            GuestMemError::Fault { .. } => libc::EFAULT,
            GuestMemError::Unaligned { .. } => libc::EINVAL,
            GuestMemError::OutOfRange { .. } | GuestMemError::NotMapped { .. } => libc::ENOMEM,
            GuestMemError::StringTooLong { .. } => libc::ENAMETOOLONG,
            GuestMemError::BadSize(_) | GuestMemError::HostPageSize(_) => libc::EINVAL,
            GuestMemError::Host { errno, .. } => *errno,
        }
    }
}

/// Result alias for this module.
pub type Result<T> = std::result::Result<T, GuestMemError>;

fn last_errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

/// Host protection for guest flags: never executable, readable when the
/// guest may read or execute (code is fetched through the host mapping).
fn host_prot(flags: u8) -> libc::c_int {
    let mut p = libc::PROT_NONE;
    if flags & (PAGE_READ | PAGE_EXEC) != 0 {
        p |= libc::PROT_READ;
    }
    if flags & PAGE_WRITE != 0 {
        p |= libc::PROT_READ | libc::PROT_WRITE;
    }
    p
}

/// A guest's user-mode address space.
pub struct GuestMemory {
    base: *mut u8,
    size: u64,
    flags: Vec<u8>,
    mmap_base: u64,
}

// SAFETY: GuestMemory owns its host mapping exclusively; the raw pointer is
// only an address into that mapping, and every mutation goes through
// `&mut self`.
unsafe impl Send for GuestMemory {}
// SAFETY: `&self` methods only read the mapping and the flags table.
unsafe impl Sync for GuestMemory {}

impl std::fmt::Debug for GuestMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuestMemory")
            .field("base", &self.base)
            .field("size", &self.size)
            .field("mmap_base", &self.mmap_base)
            .finish()
    }
}

/// Inaccessible bytes reserved after the guest address space (more than
/// the widest guest access).
const GUARD_BYTES: usize = 64 * 1024;

impl GuestMemory {
    /// Reserves a guest address space of `size` bytes (a multiple of 4 KiB).
    /// Nothing is mapped for the guest yet.
    pub fn new(size: u64) -> Result<GuestMemory> {
        if size == 0 || !size.is_multiple_of(PAGE_SIZE) || usize::try_from(size).is_err() {
            return Err(GuestMemError::BadSize(size));
        }
        // SAFETY: sysconf has no memory-safety preconditions.
        let host_page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        if host_page != PAGE_SIZE as libc::c_long {
            return Err(GuestMemError::HostPageSize(host_page as u64));
        }
        // SAFETY: a fresh anonymous PROT_NONE reservation; it aliases nothing.
        // It extends GUARD_BYTES past the guest's size and is never made
        // accessible there: native code bounds-checks only an access's first
        // byte, so one that straddles the end must fault in this guard.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                size as usize + GUARD_BYTES,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(GuestMemError::Host {
                op: "mmap (reserve)",
                errno: last_errno(),
            });
        }
        Ok(GuestMemory {
            base: p as *mut u8,
            size,
            // Zeroed allocation: the OS maps it lazily, so untouched parts of
            // a 256 GiB address space cost nothing.
            flags: vec![0u8; (size >> PAGE_SHIFT) as usize],
            mmap_base: size,
        })
    }

    /// The view translated code uses.
    pub fn view(&self) -> GuestMemView {
        GuestMemView {
            base: self.base,
            size: self.size,
            page_flags: self.flags.as_ptr(),
            page_shift: PAGE_SHIFT,
        }
    }

    /// Host address of guest address 0.
    pub fn guest_base(&self) -> *mut u8 {
        self.base
    }

    /// Size of the guest address space in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Upper bound (exclusive) of the area [`find_free`](Self::find_free)
    /// searches; the loader sets it just below the stack's guard gap.
    pub fn mmap_base(&self) -> u64 {
        self.mmap_base
    }

    /// Sets the upper bound of the `find_free` search area.
    pub fn set_mmap_base(&mut self, addr: u64) {
        self.mmap_base = (addr & !(PAGE_SIZE - 1)).min(self.size);
    }

    /// The page's flags (`PAGE_*` and [`PAGE_MAPPED`]); 0 outside the space.
    pub fn page_flags(&self, addr: u64) -> u8 {
        self.flags
            .get((addr >> PAGE_SHIFT) as usize)
            .copied()
            .unwrap_or(0)
    }

    /// Checks that `addr`/`len` is page-aligned and inside the space; returns
    /// the page-rounded length and the page index range.
    fn page_range(&self, addr: u64, len: u64) -> Result<(u64, std::ops::Range<usize>)> {
        if !addr.is_multiple_of(PAGE_SIZE) {
            return Err(GuestMemError::Unaligned { addr, len });
        }
        let out = GuestMemError::OutOfRange {
            addr,
            len,
            size: self.size,
        };
        let rlen = len.checked_add(PAGE_SIZE - 1).ok_or(out.clone())? & !(PAGE_SIZE - 1);
        let end = addr.checked_add(rlen).ok_or(out.clone())?;
        if end > self.size {
            return Err(out);
        }
        Ok((
            rlen,
            (addr >> PAGE_SHIFT) as usize..(end >> PAGE_SHIFT) as usize,
        ))
    }

    fn host(&self, addr: u64) -> *mut u8 {
        // Callers have range-checked `addr` against `size`.
        self.base.wrapping_add(addr as usize)
    }

    /// Maps zeroed anonymous memory at `addr` (page-aligned; `len` is rounded
    /// up to whole pages), replacing whatever was there, as `MAP_FIXED` does.
    pub fn map_anon(&mut self, addr: u64, len: u64, prot: u8) -> Result<()> {
        let (rlen, pages) = self.page_range(addr, len)?;
        if rlen == 0 {
            return Ok(());
        }
        // SAFETY: the target range lies inside our reservation (checked by
        // page_range), so MAP_FIXED replaces only pages this object owns.
        let p = unsafe {
            libc::mmap(
                self.host(addr) as *mut libc::c_void,
                rlen as usize,
                host_prot(prot),
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(GuestMemError::Host {
                op: "mmap",
                errno: last_errno(),
            });
        }
        self.flags[pages].fill(PAGE_MAPPED | (prot & PROT_MASK));
        Ok(())
    }

    /// Maps `len` bytes of host file `fd` from `offset` at guest `addr`
    /// (page-aligned), privately or shared, replacing what was there.
    /// Host errors (a bad fd, a file that cannot be mapped, a read-only fd for
    /// a shared writable mapping) come back as [`GuestMemError::Host`].
    pub fn map_file(
        &mut self,
        addr: u64,
        len: u64,
        prot: u8,
        fd: i32,
        offset: u64,
        shared: bool,
    ) -> Result<()> {
        let (rlen, pages) = self.page_range(addr, len)?;
        if rlen == 0 {
            return Ok(());
        }
        if !offset.is_multiple_of(PAGE_SIZE) || offset > i64::MAX as u64 {
            return Err(GuestMemError::Unaligned { addr: offset, len });
        }
        let kind = if shared {
            libc::MAP_SHARED
        } else {
            libc::MAP_PRIVATE
        };
        // SAFETY: the target range lies inside our reservation, so MAP_FIXED
        // replaces only pages this object owns; the kernel validates `fd`.
        let p = unsafe {
            libc::mmap(
                self.host(addr) as *mut libc::c_void,
                rlen as usize,
                host_prot(prot),
                kind | libc::MAP_FIXED,
                fd,
                offset as libc::off_t,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(GuestMemError::Host {
                op: "mmap (file)",
                errno: last_errno(),
            });
        }
        self.flags[pages].fill(PAGE_MAPPED | (prot & PROT_MASK));
        Ok(())
    }

    /// Puts the reservation back over a host range (already range-checked).
    fn reserve(&mut self, addr: u64, rlen: u64) -> Result<()> {
        // SAFETY: the range lies inside our reservation; replacing it with a
        // fresh PROT_NONE mapping drops the guest's pages and nothing else.
        let p = unsafe {
            libc::mmap(
                self.host(addr) as *mut libc::c_void,
                rlen as usize,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(GuestMemError::Host {
                op: "mmap (unmap)",
                errno: last_errno(),
            });
        }
        Ok(())
    }

    /// Unmaps guest pages (page-aligned `addr`; `len` rounded up). Holes in
    /// the range are fine, as with Linux `munmap`.
    pub fn unmap(&mut self, addr: u64, len: u64) -> Result<()> {
        let (rlen, pages) = self.page_range(addr, len)?;
        if rlen == 0 {
            return Ok(());
        }
        self.reserve(addr, rlen)?;
        self.flags[pages].fill(0);
        Ok(())
    }

    /// Changes the permissions of mapped pages. Fails with
    /// [`GuestMemError::NotMapped`] (ENOMEM) if any page is unmapped.
    pub fn protect(&mut self, addr: u64, len: u64, prot: u8) -> Result<()> {
        let (rlen, pages) = self.page_range(addr, len)?;
        if self.flags[pages.clone()]
            .iter()
            .any(|f| f & PAGE_MAPPED == 0)
        {
            return Err(GuestMemError::NotMapped { addr, len });
        }
        if rlen == 0 {
            return Ok(());
        }
        // SAFETY: the range lies inside our reservation and is mapped.
        let r = unsafe {
            libc::mprotect(
                self.host(addr) as *mut libc::c_void,
                rlen as usize,
                host_prot(prot),
            )
        };
        if r != 0 {
            return Err(GuestMemError::Host {
                op: "mprotect",
                errno: last_errno(),
            });
        }
        self.flags[pages].fill(PAGE_MAPPED | (prot & PROT_MASK));
        Ok(())
    }

    /// Tells the host the guest no longer needs the contents of mapped pages
    /// (Linux `MADV_DONTNEED`: private anonymous pages read back as zero,
    /// private file pages as the file's contents).
    pub fn discard(&mut self, addr: u64, len: u64) -> Result<()> {
        let (rlen, pages) = self.page_range(addr, len)?;
        if self.flags[pages].iter().any(|f| f & PAGE_MAPPED == 0) {
            return Err(GuestMemError::NotMapped { addr, len });
        }
        if rlen == 0 {
            return Ok(());
        }
        // SAFETY: the range lies inside our reservation and is mapped; the
        // only effect is on the guest's page contents.
        let r = unsafe {
            libc::madvise(
                self.host(addr) as *mut libc::c_void,
                rlen as usize,
                libc::MADV_DONTNEED,
            )
        };
        if r != 0 {
            return Err(GuestMemError::Host {
                op: "madvise",
                errno: last_errno(),
            });
        }
        Ok(())
    }

    /// True if no page of the (page-aligned, in-range) span is mapped.
    pub fn is_free(&self, addr: u64, len: u64) -> bool {
        match self.page_range(addr, len) {
            Ok((_, pages)) => self.flags[pages].iter().all(|f| f & PAGE_MAPPED == 0),
            Err(_) => false,
        }
    }

    /// Finds `len` bytes (rounded up to pages) of unmapped guest space.
    ///
    /// Policy, as Linux's default top-down layout: a non-zero `hint` is
    /// taken (rounded up to a page) if the whole range there is free, inside
    /// the space and at or above [`MMAP_MIN_ADDR`]; otherwise the highest
    /// free range that ends at or below [`mmap_base`](Self::mmap_base) and
    /// starts at or above `MMAP_MIN_ADDR` is returned.
    pub fn find_free(&self, len: u64, hint: u64) -> Option<u64> {
        self.find_free_aligned(len, hint, PAGE_SIZE)
    }

    /// [`find_free`](Self::find_free) with the result aligned to `align`
    /// (a power of two; smaller than a page means a page).
    pub fn find_free_aligned(&self, len: u64, hint: u64, align: u64) -> Option<u64> {
        if len == 0 || !align.is_power_of_two() {
            return None;
        }
        let align = align.max(PAGE_SIZE);
        let rlen = len.checked_add(PAGE_SIZE - 1)? & !(PAGE_SIZE - 1);
        if hint != 0 {
            let h = hint.checked_add(align - 1)? & !(align - 1);
            if h >= MMAP_MIN_ADDR && self.is_free(h, rlen) {
                return Some(h);
            }
        }
        let npages = (rlen >> PAGE_SHIFT) as usize;
        let min_page = (MMAP_MIN_ADDR >> PAGE_SHIFT) as usize;
        let align_pages = (align >> PAGE_SHIFT) as usize;
        let mut top = (self.mmap_base >> PAGE_SHIFT) as usize;
        // Walk down: `top` is the exclusive end of the candidate range.
        while top >= min_page + npages {
            let start = (top - npages) & !(align_pages - 1);
            if start < min_page {
                return None;
            }
            // The highest mapped page of the candidate, if any, blocks it:
            // retry with the range ending below the whole mapped run that
            // page belongs to, so each mapped page is stepped over once.
            match self.flags[start..start + npages]
                .iter()
                .rposition(|f| f & PAGE_MAPPED != 0)
            {
                None => return Some((start as u64) << PAGE_SHIFT),
                Some(i) => {
                    let mut t = start + i;
                    while t > min_page && self.flags[t - 1] & PAGE_MAPPED != 0 {
                        t -= 1;
                    }
                    top = t;
                }
            }
        }
        None
    }

    /// True if every page of `[addr, addr+len)` is mapped with at least the
    /// `need` permissions. An empty range is accepted if `addr <= size`.
    pub fn is_mapped_range(&self, addr: u64, len: u64, need: u8) -> bool {
        self.first_bad(addr, len, need).is_none()
    }

    /// The first address in the range whose page lacks `need` (or the first
    /// out-of-range address), or None if the whole range is accessible.
    fn first_bad(&self, addr: u64, len: u64, need: u8) -> Option<u64> {
        if len == 0 {
            return (addr > self.size).then_some(addr);
        }
        let Some(end) = addr.checked_add(len).filter(|&e| e <= self.size) else {
            // Report the first byte that is actually inaccessible.
            let inside = self.size.saturating_sub(addr).min(len);
            return Some(self.first_bad(addr, inside, need).unwrap_or(addr + inside));
        };
        let first = (addr >> PAGE_SHIFT) as usize;
        let last = ((end - 1) >> PAGE_SHIFT) as usize;
        let want = need | PAGE_MAPPED;
        self.flags[first..=last]
            .iter()
            .position(|f| f & want != want)
            .map(|i| (((first + i) as u64) << PAGE_SHIFT).max(addr))
    }

    /// Copies guest memory into `buf`, checking read permission.
    pub fn read(&self, addr: u64, buf: &mut [u8]) -> Result<()> {
        if let Some(a) = self.first_bad(addr, buf.len() as u64, PAGE_READ) {
            return Err(GuestMemError::Fault { addr: a });
        }
        if !buf.is_empty() {
            // SAFETY: every page of the source range is mapped and readable
            // on the host (checked above); `buf` is a distinct Rust buffer.
            unsafe { std::ptr::copy_nonoverlapping(self.host(addr), buf.as_mut_ptr(), buf.len()) };
        }
        Ok(())
    }

    /// Copies `data` into guest memory, checking write permission.
    pub fn write(&mut self, addr: u64, data: &[u8]) -> Result<()> {
        if let Some(a) = self.first_bad(addr, data.len() as u64, PAGE_WRITE) {
            return Err(GuestMemError::Fault { addr: a });
        }
        if !data.is_empty() {
            // SAFETY: every page of the target range is mapped and writable
            // on the host (checked above); `data` is a distinct Rust buffer.
            unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), self.host(addr), data.len()) };
        }
        Ok(())
    }

    /// Reads a NUL-terminated string of at most `max` bytes (NUL excluded)
    /// and returns it without the NUL.
    pub fn read_cstr(&self, addr: u64, max: usize) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut a = addr;
        loop {
            // Read up to the end of the current page at a time, so that a
            // string ending just before an unmapped page is fine.
            let page_end = (a | (PAGE_SIZE - 1)).saturating_add(1);
            let chunk = (page_end - a).min((max + 1 - out.len()) as u64) as usize;
            let Some(bytes) = self.host_slice(a, chunk as u64, PAGE_READ) else {
                return Err(GuestMemError::Fault {
                    addr: self.first_bad(a, chunk as u64, PAGE_READ).unwrap_or(a),
                });
            };
            if let Some(n) = bytes.iter().position(|&b| b == 0) {
                out.extend_from_slice(&bytes[..n]);
                return Ok(out);
            }
            out.extend_from_slice(bytes);
            if out.len() > max {
                return Err(GuestMemError::StringTooLong { addr, max });
            }
            a += chunk as u64;
        }
    }

    /// Borrows guest memory for a host call that reads it (e.g. `write(2)`),
    /// if every page has the `need` permissions.
    pub fn host_slice(&self, addr: u64, len: u64, need: u8) -> Option<&[u8]> {
        if self.first_bad(addr, len, need).is_some() {
            return None;
        }
        if len == 0 {
            return Some(&[]);
        }
        // SAFETY: the range is inside the reservation, mapped and
        // host-readable (a guest-readable or -executable page is); the
        // borrow of `self` keeps it mapped while the slice lives.
        Some(unsafe { std::slice::from_raw_parts(self.host(addr), len as usize) })
    }

    /// Borrows guest memory for a host call that writes it (e.g. `read(2)`);
    /// the pages must be guest-writable as well as have `need`.
    pub fn host_slice_mut(&mut self, addr: u64, len: u64, need: u8) -> Option<&mut [u8]> {
        if self.first_bad(addr, len, need | PAGE_WRITE).is_some() {
            return None;
        }
        if len == 0 {
            return Some(&mut []);
        }
        // SAFETY: the range is inside the reservation, mapped and
        // host-writable; `&mut self` makes the borrow exclusive.
        Some(unsafe { std::slice::from_raw_parts_mut(self.host(addr), len as usize) })
    }

    /// Host address of a guest range every page of which has `need`, for
    /// host calls that take several buffers at once (`readv`'s iovecs).
    /// Dereferencing it is the caller's `unsafe`: the pointer stays valid
    /// only while the mapping is not changed.
    pub fn host_ptr(&self, addr: u64, len: u64, need: u8) -> Option<*mut u8> {
        if self.first_bad(addr, len, need).is_some() {
            return None;
        }
        Some(self.host(addr))
    }

    /// Writes `data` for the loader, whatever the pages' write permission;
    /// every page must be mapped.
    pub fn write_initial(&mut self, addr: u64, data: &[u8]) -> Result<()> {
        if let Some(a) = self.first_bad(addr, data.len() as u64, 0) {
            return Err(GuestMemError::Fault { addr: a });
        }
        if data.is_empty() {
            return Ok(());
        }
        let first = addr & !(PAGE_SIZE - 1);
        let end = addr + data.len() as u64;
        let pages = (first >> PAGE_SHIFT) as usize..((end + PAGE_SIZE - 1) >> PAGE_SHIFT) as usize;
        let readonly = self.flags[pages.clone()]
            .iter()
            .any(|f| f & PAGE_WRITE == 0);
        let span = ((pages.end - pages.start) as u64) << PAGE_SHIFT;
        if readonly {
            // SAFETY: the span lies inside the reservation and is mapped.
            let r = unsafe {
                libc::mprotect(
                    self.host(first) as *mut libc::c_void,
                    span as usize,
                    libc::PROT_READ | libc::PROT_WRITE,
                )
            };
            if r != 0 {
                return Err(GuestMemError::Host {
                    op: "mprotect",
                    errno: last_errno(),
                });
            }
        }
        // SAFETY: the target range is mapped and now host-writable.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), self.host(addr), data.len()) };
        if readonly {
            // Put each page's own protection back.
            for p in pages {
                let f = self.flags[p];
                // SAFETY: one mapped page inside the reservation.
                let r = unsafe {
                    libc::mprotect(
                        self.host((p as u64) << PAGE_SHIFT) as *mut libc::c_void,
                        PAGE_SIZE as usize,
                        host_prot(f),
                    )
                };
                if r != 0 {
                    return Err(GuestMemError::Host {
                        op: "mprotect",
                        errno: last_errno(),
                    });
                }
            }
        }
        Ok(())
    }

    /// Resizes the mapping at `old` (page-aligned) from `old_len` to
    /// `new_len` bytes, as Linux `mremap`: shrinking unmaps the tail, growing
    /// extends in place when the pages after it are free, and otherwise moves
    /// it to a free range if `may_move` (contents, including file backing,
    /// move with it). Returns the mapping's new address. Every page of the
    /// old range must be mapped; new pages take the last old page's flags.
    pub fn remap(&mut self, old: u64, old_len: u64, new_len: u64, may_move: bool) -> Result<u64> {
        let (old_rlen, old_pages) = self.page_range(old, old_len)?;
        if old_rlen == 0 || new_len == 0 {
            return Err(GuestMemError::Unaligned {
                addr: old,
                len: new_len,
            });
        }
        if self.flags[old_pages.clone()]
            .iter()
            .any(|f| f & PAGE_MAPPED == 0)
        {
            return Err(GuestMemError::NotMapped {
                addr: old,
                len: old_len,
            });
        }
        let new_rlen = new_len
            .checked_add(PAGE_SIZE - 1)
            .ok_or(GuestMemError::OutOfRange {
                addr: old,
                len: new_len,
                size: self.size,
            })?
            & !(PAGE_SIZE - 1);
        if new_rlen <= old_rlen {
            self.unmap(old + new_rlen, old_rlen - new_rlen)?;
            return Ok(old);
        }
        let tail_flags = self.flags[old_pages.end - 1];
        let grow = new_rlen - old_rlen;
        let in_place = old
            .checked_add(new_rlen)
            .is_some_and(|e| e <= self.size && self.is_free(old + old_rlen, grow));
        let target = if in_place {
            old
        } else if may_move {
            self.find_free(new_rlen, 0)
                .ok_or(GuestMemError::NotMapped {
                    addr: old,
                    len: new_len,
                })?
        } else {
            return Err(GuestMemError::NotMapped {
                addr: old,
                len: new_len,
            });
        };
        if in_place {
            // Drop our reservation after the mapping so that the host can
            // extend the mapping itself (keeping any file backing).
            // SAFETY: the extension range is inside the reservation and free
            // for the guest; unmapping it only removes our PROT_NONE pages.
            let r = unsafe {
                libc::munmap(
                    self.host(old + old_rlen) as *mut libc::c_void,
                    grow as usize,
                )
            };
            if r != 0 {
                return Err(GuestMemError::Host {
                    op: "munmap",
                    errno: last_errno(),
                });
            }
            // SAFETY: the old mapping is ours and the host range after it
            // was just vacated, so growing in place touches nothing else.
            let p = unsafe {
                libc::mremap(
                    self.host(old) as *mut libc::c_void,
                    old_rlen as usize,
                    new_rlen as usize,
                    0,
                )
            };
            if p == libc::MAP_FAILED {
                let errno = last_errno();
                // Restore the reservation before reporting.
                self.reserve(old + old_rlen, grow)?;
                return Err(GuestMemError::Host {
                    op: "mremap",
                    errno,
                });
            }
        } else {
            // SAFETY: source and target both lie inside the reservation;
            // MREMAP_FIXED replaces only our PROT_NONE pages at the target.
            let p = unsafe {
                libc::mremap(
                    self.host(old) as *mut libc::c_void,
                    old_rlen as usize,
                    new_rlen as usize,
                    libc::MREMAP_MAYMOVE | libc::MREMAP_FIXED,
                    self.host(target) as *mut libc::c_void,
                )
            };
            if p == libc::MAP_FAILED {
                return Err(GuestMemError::Host {
                    op: "mremap",
                    errno: last_errno(),
                });
            }
            // The host left a hole where the old mapping was.
            self.reserve(old, old_rlen)?;
            let moved: Vec<u8> = self.flags[old_pages.clone()].to_vec();
            self.flags[old_pages].fill(0);
            let t = (target >> PAGE_SHIFT) as usize;
            self.flags[t..t + moved.len()].copy_from_slice(&moved);
        }
        let start = ((target + old_rlen) >> PAGE_SHIFT) as usize;
        let end = ((target + new_rlen) >> PAGE_SHIFT) as usize;
        self.flags[start..end].fill(tail_flags);
        // The grown part must carry the tail's protection on the host too.
        // SAFETY: the grown range is inside the reservation and now mapped.
        let r = unsafe {
            libc::mprotect(
                self.host(target + old_rlen) as *mut libc::c_void,
                grow as usize,
                host_prot(tail_flags),
            )
        };
        if r != 0 {
            return Err(GuestMemError::Host {
                op: "mprotect",
                errno: last_errno(),
            });
        }
        Ok(target)
    }
}

impl Drop for GuestMemory {
    fn drop(&mut self) {
        // SAFETY: we own the whole reservation; nothing borrows it once the
        // GuestMemory is being dropped.
        unsafe {
            libc::munmap(
                self.base as *mut libc::c_void,
                self.size as usize + GUARD_BYTES,
            )
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RW: u8 = PAGE_READ | PAGE_WRITE;
    const P: u64 = PAGE_SIZE;

    fn mem() -> GuestMemory {
        GuestMemory::new(1 << 30).expect("reserve 1 GiB")
    }

    #[test]
    fn rejects_bad_sizes() {
        assert_eq!(GuestMemory::new(0).unwrap_err(), GuestMemError::BadSize(0));
        assert_eq!(
            GuestMemory::new(4097).unwrap_err(),
            GuestMemError::BadSize(4097)
        );
    }

    #[test]
    fn default_size_reserves() {
        let m = GuestMemory::new(DEFAULT_SIZE).unwrap();
        assert_eq!(m.size(), 1 << 38);
        let v = m.view();
        assert_eq!(v.size, 1 << 38);
        assert_eq!(v.page_shift, 12);
        assert_eq!(v.base, m.guest_base());
    }

    #[test]
    fn unmapped_access_faults() {
        let mut m = mem();
        let mut b = [0u8; 4];
        assert_eq!(
            m.read(0x10000, &mut b),
            Err(GuestMemError::Fault { addr: 0x10000 })
        );
        assert_eq!(
            m.write(0x10000, &b),
            Err(GuestMemError::Fault { addr: 0x10000 })
        );
        assert_eq!(m.page_flags(0x10000), 0);
    }

    #[test]
    fn map_read_write_roundtrip_and_view() {
        let mut m = mem();
        m.map_anon(0x10000, 2 * P, RW).unwrap();
        assert_eq!(m.page_flags(0x10000), PAGE_MAPPED | RW);
        assert_eq!(m.page_flags(0x11000), PAGE_MAPPED | RW);
        assert_eq!(m.page_flags(0x12000), 0);
        // A write crossing the page boundary.
        m.write(0x10ffe, b"abcd").unwrap();
        let mut b = [0u8; 4];
        m.read(0x10ffe, &mut b).unwrap();
        assert_eq!(&b, b"abcd");
        // Fresh anonymous memory is zero.
        m.read(0x10000, &mut b).unwrap();
        assert_eq!(b, [0; 4]);
        // The view sees the same bytes at base + addr, and the same flags.
        let v = m.view();
        // SAFETY: 0x10ffe..0x11002 is mapped readable, as just checked.
        let host = unsafe { std::slice::from_raw_parts(v.base.add(0x10ffe), 4) };
        assert_eq!(host, b"abcd");
        // SAFETY: page 0x10 is inside the flags table.
        assert_eq!(unsafe { *v.page_flags.add(0x10) }, PAGE_MAPPED | RW);
    }

    #[test]
    fn fault_reports_first_bad_address() {
        let mut m = mem();
        m.map_anon(0x10000, P, RW).unwrap();
        let mut b = [0u8; 16];
        // Starts mapped, runs into the unmapped page at 0x11000.
        assert_eq!(
            m.read(0x10ff8, &mut b),
            Err(GuestMemError::Fault { addr: 0x11000 })
        );
    }

    #[test]
    fn permissions_are_enforced() {
        let mut m = mem();
        m.map_anon(0x20000, P, PAGE_READ).unwrap();
        assert_eq!(
            m.write(0x20010, b"x"),
            Err(GuestMemError::Fault { addr: 0x20010 })
        );
        // The loader may write anyway; the page stays read-only after.
        m.write_initial(0x20010, b"xy").unwrap();
        let mut b = [0u8; 2];
        m.read(0x20010, &mut b).unwrap();
        assert_eq!(&b, b"xy");
        assert_eq!(m.page_flags(0x20000), PAGE_MAPPED | PAGE_READ);
        assert!(m.write(0x20010, b"x").is_err());
        // Exec-only: not readable through checked reads.
        m.map_anon(0x30000, P, PAGE_EXEC).unwrap();
        assert!(m.read(0x30000, &mut b).is_err());
        assert!(m.is_mapped_range(0x30000, 4, PAGE_EXEC));
        assert!(!m.is_mapped_range(0x30000, 4, PAGE_READ));
    }

    #[test]
    fn protect_changes_flags_and_requires_mapping() {
        let mut m = mem();
        m.map_anon(0x40000, 2 * P, RW).unwrap();
        m.write(0x40000, b"hello").unwrap();
        m.protect(0x40000, P, PAGE_READ).unwrap();
        assert_eq!(m.page_flags(0x40000), PAGE_MAPPED | PAGE_READ);
        assert_eq!(m.page_flags(0x41000), PAGE_MAPPED | RW);
        assert!(m.write(0x40000, b"x").is_err());
        let mut b = [0u8; 5];
        m.read(0x40000, &mut b).unwrap();
        assert_eq!(&b, b"hello");
        // PROT_NONE keeps the page mapped (a guard page), but inaccessible.
        m.protect(0x41000, P, 0).unwrap();
        assert_eq!(m.page_flags(0x41000), PAGE_MAPPED);
        assert!(m.read(0x41000, &mut b).is_err());
        // A range with a hole cannot be protected: ENOMEM.
        let e = m.protect(0x41000, 2 * P, RW).unwrap_err();
        assert_eq!(e.errno(), libc::ENOMEM);
        assert_eq!(
            m.protect(0x40001, P, RW).unwrap_err(),
            GuestMemError::Unaligned {
                addr: 0x40001,
                len: P
            }
        );
    }

    #[test]
    fn unmap_drops_contents() {
        let mut m = mem();
        m.map_anon(0x50000, 3 * P, RW).unwrap();
        m.write(0x51000, b"zz").unwrap();
        m.unmap(0x51000, P).unwrap();
        assert_eq!(m.page_flags(0x51000), 0);
        assert!(m.is_mapped_range(0x50000, P, RW));
        assert!(!m.is_mapped_range(0x50000, 2 * P, RW));
        // Mapping again gives zeroes, not the old bytes.
        m.map_anon(0x51000, P, RW).unwrap();
        let mut b = [1u8; 2];
        m.read(0x51000, &mut b).unwrap();
        assert_eq!(b, [0, 0]);
        // Unmapping holes is fine.
        m.unmap(0x60000, 16 * P).unwrap();
    }

    #[test]
    fn out_of_range_is_rejected() {
        let mut m = mem();
        let size = m.size();
        assert!(matches!(
            m.map_anon(size - P, 2 * P, RW),
            Err(GuestMemError::OutOfRange { .. })
        ));
        assert!(matches!(
            m.map_anon(!(P - 1), P, RW),
            Err(GuestMemError::OutOfRange { .. })
        ));
        m.map_anon(size - P, P, RW).unwrap();
        let mut b = [0u8; 8];
        assert_eq!(
            m.read(size - 4, &mut b),
            Err(GuestMemError::Fault { addr: size })
        );
        assert_eq!(
            m.read(u64::MAX - 2, &mut b),
            Err(GuestMemError::Fault { addr: u64::MAX - 2 })
        );
        assert!(m.host_slice(size - 4, 8, PAGE_READ).is_none());
        assert_eq!(m.page_flags(size), 0);
        assert_eq!(m.page_flags(u64::MAX), 0);
    }

    #[test]
    fn find_free_is_top_down_below_mmap_base() {
        let mut m = mem();
        let size = m.size();
        // Default mmap_base is the top of the space.
        assert_eq!(m.find_free(P, 0), Some(size - P));
        m.set_mmap_base(0x100000);
        assert_eq!(m.find_free(2 * P, 0), Some(0x100000 - 2 * P));
        // Something mapped at the top of the area pushes the result down.
        m.map_anon(0xff000, P, RW).unwrap();
        assert_eq!(m.find_free(2 * P, 0), Some(0xfd000));
        // A gap too small is skipped: map 0xfb000, leaving 0xfc000..0xff000
        // (3 pages) free between it and 0xff000.
        m.map_anon(0xfb000, P, RW).unwrap();
        assert_eq!(m.find_free(3 * P, 0), Some(0xfc000));
        assert_eq!(m.find_free(4 * P, 0), Some(0xfb000 - 4 * P));
        // A free hint is honoured (rounded up to a page), a busy one is not.
        assert_eq!(m.find_free(P, 0x200001), Some(0x201000));
        assert_eq!(m.find_free(P, 0xff000), Some(0xfe000));
        // A hint below MMAP_MIN_ADDR is ignored.
        assert_eq!(m.find_free(P, 0x1000), Some(0xfe000));
        // Alignment.
        assert_eq!(m.find_free_aligned(P, 0, 0x10000), Some(0xf0000));
        // Nothing fits.
        assert_eq!(m.find_free(0x100000, 0), None);
        assert_eq!(m.find_free(0, 0), None);
    }

    #[test]
    fn find_free_after_many_mappings() {
        let mut m = mem();
        m.set_mmap_base(0x1000_0000);
        // 2000 adjacent 16-page mappings handed out top-down, then a hole.
        let mut last = 0x1000_0000;
        for _ in 0..2000 {
            let a = m.find_free(16 * P, 0).unwrap();
            assert_eq!(a, last - 16 * P);
            m.map_anon(a, 16 * P, RW).unwrap();
            last = a;
        }
        m.unmap(0x1000_0000 - 32 * P, 16 * P).unwrap();
        assert_eq!(m.find_free(16 * P, 0), Some(0x1000_0000 - 32 * P));
        assert_eq!(m.find_free(17 * P, 0), Some(last - 17 * P));
    }

    #[test]
    fn read_cstr_stops_at_nul_and_limits() {
        let mut m = mem();
        m.map_anon(0x70000, P, RW).unwrap();
        m.write(0x70100, b"hello\0world").unwrap();
        assert_eq!(m.read_cstr(0x70100, 100).unwrap(), b"hello");
        assert_eq!(m.read_cstr(0x70100, 5).unwrap(), b"hello");
        assert_eq!(
            m.read_cstr(0x70100, 4),
            Err(GuestMemError::StringTooLong {
                addr: 0x70100,
                max: 4
            })
        );
        // A string that runs into an unmapped page faults there.
        m.write(0x70ffc, b"abcd").unwrap();
        assert_eq!(
            m.read_cstr(0x70ffc, 100),
            Err(GuestMemError::Fault { addr: 0x71000 })
        );
        // One ending right at the page end is fine.
        m.write(0x70ffc, b"abc\0").unwrap();
        assert_eq!(m.read_cstr(0x70ffc, 100).unwrap(), b"abc");
    }

    #[test]
    fn host_slices_check_permissions() {
        let mut m = mem();
        m.map_anon(0x80000, P, PAGE_READ).unwrap();
        assert!(m.host_slice(0x80000, P, PAGE_READ).is_some());
        assert!(m.host_slice_mut(0x80000, 1, 0).is_none());
        m.protect(0x80000, P, RW).unwrap();
        let s = m.host_slice_mut(0x80000, 3, 0).unwrap();
        s.copy_from_slice(b"xyz");
        assert_eq!(m.host_slice(0x80000, 3, PAGE_READ).unwrap(), b"xyz");
        assert_eq!(m.host_slice(0x90000, 0, PAGE_READ).unwrap(), b"");
    }

    #[test]
    fn map_file_private_and_shared() {
        use std::io::Write;
        use std::os::fd::AsRawFd;
        let path = std::env::temp_dir().join(format!("polyvm-gm-{}", std::process::id()));
        let mut f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .unwrap();
        let mut data = vec![b'a'; P as usize];
        data.extend_from_slice(b"second page");
        f.write_all(&data).unwrap();
        let mut m = mem();
        // Map from file offset one page: "second page" then zeroes.
        m.map_file(0xa0000, 100, PAGE_READ, f.as_raw_fd(), P, false)
            .unwrap();
        let mut b = [0xffu8; 13];
        m.read(0xa0000, &mut b).unwrap();
        assert_eq!(&b, b"second page\0\0");
        // Shared writable: guest writes reach the file.
        m.map_file(0xb0000, P, RW, f.as_raw_fd(), 0, true).unwrap();
        m.write(0xb0000, b"ZZ").unwrap();
        drop(m);
        let back = std::fs::read(&path).unwrap();
        assert_eq!(&back[..3], b"ZZa");
        std::fs::remove_file(&path).unwrap();
        // A bad fd is a host error carrying EBADF.
        let mut m = mem();
        let e = m.map_file(0xa0000, P, PAGE_READ, -1, 0, false).unwrap_err();
        assert_eq!(e.errno(), libc::EBADF);
        assert_eq!(m.page_flags(0xa0000), 0);
    }

    #[test]
    fn remap_shrink_grow_move() {
        let mut m = mem();
        m.map_anon(0x100000, 2 * P, RW).unwrap();
        m.write(0x100000, b"keep").unwrap();
        // Grow in place: the next pages are free.
        assert_eq!(m.remap(0x100000, 2 * P, 4 * P, false), Ok(0x100000));
        assert!(m.is_mapped_range(0x100000, 4 * P, RW));
        m.write(0x103ff0, b"tail").unwrap();
        // Shrink.
        assert_eq!(m.remap(0x100000, 4 * P, P, false), Ok(0x100000));
        assert!(!m.is_mapped_range(0x100000, 2 * P, 0));
        // Blocked growth without MAYMOVE fails; with it, the data moves.
        m.map_anon(0x101000, P, PAGE_READ).unwrap();
        assert!(m.remap(0x100000, P, 3 * P, false).is_err());
        let new = m.remap(0x100000, P, 3 * P, true).unwrap();
        assert_ne!(new, 0x100000);
        let mut b = [0u8; 4];
        m.read(new, &mut b).unwrap();
        assert_eq!(&b, b"keep");
        assert!(m.is_mapped_range(new, 3 * P, RW));
        assert_eq!(m.page_flags(0x100000), 0);
        // The old place is a hole again, and can be mapped afresh.
        m.map_anon(0x100000, P, RW).unwrap();
        m.read(0x100000, &mut b).unwrap();
        assert_eq!(b, [0; 4]);
        // Remapping something unmapped fails.
        assert!(m.remap(0x300000, P, 2 * P, true).is_err());
    }

    #[test]
    fn discard_zeroes_anonymous_pages() {
        let mut m = mem();
        m.map_anon(0x120000, P, RW).unwrap();
        m.write(0x120000, b"data").unwrap();
        m.discard(0x120000, P).unwrap();
        let mut b = [1u8; 4];
        m.read(0x120000, &mut b).unwrap();
        assert_eq!(b, [0; 4]);
        assert!(m.discard(0x121000, P).is_err());
    }
}
