//! The code buffer: one read-write-execute mapping that compiled blocks are
//! appended to, and that is emptied as a whole when full.
//!
//! ```text
//!  base ─► trampoline (entry + epilogue) │ block │ block │ … │ free ─► end
//!                                          └ reset() rewinds to here
//! ```
//!
//! It is mapped RWX with `libc::mmap` rather than `memmap2`, which only
//! offers W^X toggling: patching a chained jump would then cost two
//! `mprotect` calls. A W^X host (Apple-style) would map the same pages twice.

use std::ptr::NonNull;

/// An executable region.
pub struct CodeBuffer {
    base: NonNull<u8>,
    size: usize,
    /// Bytes in use.
    used: usize,
    /// Where blocks start (after the trampolines).
    blocks_start: usize,
}

impl CodeBuffer {
    /// Maps `size` bytes. Fails if the host refuses executable memory.
    pub fn new(size: usize) -> std::io::Result<CodeBuffer> {
        // SAFETY: a fresh anonymous private mapping; no existing memory is
        // affected. The result is checked against MAP_FAILED.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                size,
                libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        Ok(CodeBuffer {
            base: NonNull::new(p as *mut u8).expect("mmap returned null"),
            size,
            used: 0,
            blocks_start: 0,
        })
    }

    /// Address the next append will land at.
    pub fn next_addr(&self) -> usize {
        self.base.as_ptr() as usize + self.used
    }

    pub fn contains(&self, addr: usize) -> bool {
        let b = self.base.as_ptr() as usize;
        addr >= b && addr < b + self.used
    }

    /// Copies `code` to the end; returns its address, or `None` when full.
    /// `code` must have been assembled for the address [`next_addr`] gave.
    pub fn append(&mut self, code: &[u8]) -> Option<usize> {
        // Keep blocks 16-byte aligned: jump targets decode faster.
        let start = self.used.next_multiple_of(16);
        if start + code.len() > self.size {
            return None;
        }
        // SAFETY: [start, start + len) is inside the mapping (checked above)
        // and not aliased by any Rust reference.
        unsafe {
            std::ptr::copy_nonoverlapping(code.as_ptr(), self.base.as_ptr().add(start), code.len());
        }
        self.used = start + code.len();
        Some(self.base.as_ptr() as usize + start)
    }

    /// The address the next 16-byte aligned append will start at.
    pub fn next_aligned_addr(&self) -> usize {
        self.base.as_ptr() as usize + self.used.next_multiple_of(16)
    }

    /// Marks everything appended so far as permanent (the trampolines).
    pub fn seal_prefix(&mut self) {
        self.blocks_start = self.used;
    }

    /// Drops every block (the trampolines stay).
    pub fn reset(&mut self) {
        self.used = self.blocks_start;
    }

    /// Writes a 32-bit little-endian value at `addr` (a jump displacement).
    pub fn patch_u32(&mut self, addr: usize, v: u32) {
        assert!(
            self.contains(addr) && self.contains(addr + 3),
            "patch outside the code buffer"
        );
        // SAFETY: inside the mapping (asserted), writable; unaligned write.
        unsafe { (addr as *mut u32).write_unaligned(v) };
    }

    pub fn used(&self) -> usize {
        self.used
    }
}

impl Drop for CodeBuffer {
    fn drop(&mut self) {
        // SAFETY: unmapping exactly the region this buffer mapped; no code
        // from it runs after its backend is dropped.
        unsafe { libc::munmap(self.base.as_ptr() as *mut libc::c_void, self.size) };
    }
}
