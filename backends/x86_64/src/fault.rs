//! Guest memory faults in native code.
//!
//! A guest load or store is one host instruction on `guest_base + addr`.
//! When the guest page is unmapped or protected, the host faults; this
//! module's SIGSEGV/SIGBUS handler recognises a fault at a recorded *fault
//! site* of translated code, writes the guest address and the site into the
//! scratch area, and resumes at the epilogue with the stack pointer saved on
//! entry — so the block leaves as if it had executed `exit fault`. Globals
//! were written back before every site, so the guest state is precise.
//! Faults anywhere else go to the handler that was installed before ours
//! (or the default action, which ends the process as usual).

use std::cell::Cell;
use std::sync::Once;

use polyvm_ir::abi::Access;

/// One guest memory access in native code.
#[derive(Copy, Clone, Debug)]
pub struct Site {
    /// Host address of the access instruction.
    pub host: usize,
    pub guest_pc: u64,
    pub access: Access,
}

/// What the handler needs while native code runs; lives on the stack of
/// `exec`, published through [`ACTIVE`].
#[repr(C)]
pub struct Active {
    pub code_start: usize,
    pub code_end: usize,
    pub sites: *const Site,
    pub nsites: usize,
    pub epilogue: usize,
    pub guest_base: usize,
    /// The scratch area of the running vCPU.
    pub scratch: *mut u64,
}

thread_local! {
    /// The native code running on this thread, if any. Thread-local: a
    /// fault is delivered to the thread that caused it, and several threads
    /// (vCPUs, tests) may run native code at once. Const-initialised and
    /// without a destructor, so reading it in the handler neither allocates
    /// nor registers anything.
    static ACTIVE: Cell<*mut Active> = const { Cell::new(std::ptr::null_mut()) };
}

/// Publishes (or, with null, withdraws) this thread's running code.
pub fn set_active(a: *mut Active) {
    ACTIVE.with(|c| c.set(a));
}

/// Scratch word indices (after the instruction counter at 0).
pub const W_SAVED_RSP: usize = 1;
pub const W_FAULT_ADDR: usize = 2;
pub const W_FAULT_SITE: usize = 3;
/// 0: a host fault (the runtime classifies it from the page flags);
/// 1: misaligned; 2: outside guest memory.
pub const W_FAULT_KIND: usize = 4;
/// Guest pc of an indirect jump that missed the jump cache.
pub const W_NEXT_PC: usize = 5;

pub const KIND_HOST: u64 = 0;
pub const KIND_MISALIGNED: u64 = 1;
pub const KIND_OUT_OF_RANGE: u64 = 2;

static INSTALL: Once = Once::new();
static mut OLD_SEGV: std::mem::MaybeUninit<libc::sigaction> = std::mem::MaybeUninit::uninit();
static mut OLD_BUS: std::mem::MaybeUninit<libc::sigaction> = std::mem::MaybeUninit::uninit();

/// Installs the handler once per process.
pub fn install() {
    INSTALL.call_once(|| {
        // SAFETY: installing a SA_SIGINFO handler; the old actions are saved
        // into statics written only here, before any fault can use them.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = handler as *const () as usize;
            sa.sa_flags = libc::SA_SIGINFO | libc::SA_NODEFER;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(
                libc::SIGSEGV,
                &sa,
                std::ptr::addr_of_mut!(OLD_SEGV) as *mut libc::sigaction,
            );
            libc::sigaction(
                libc::SIGBUS,
                &sa,
                std::ptr::addr_of_mut!(OLD_BUS) as *mut libc::sigaction,
            );
        }
    });
}

extern "C" fn handler(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo and ucontext to SA_SIGINFO
    // handlers; `ACTIVE` points to a live `Active` while native code runs.
    unsafe {
        let uc = ctx as *mut libc::ucontext_t;
        let gregs = &mut (*uc).uc_mcontext.gregs;
        let rip = gregs[libc::REG_RIP as usize] as usize;
        let active = ACTIVE.with(|c| c.get());
        if !active.is_null() {
            let a = &*active;
            if rip >= a.code_start && rip < a.code_end {
                let sites = std::slice::from_raw_parts(a.sites, a.nsites);
                if let Ok(i) = sites.binary_search_by_key(&rip, |s| s.host) {
                    let fault = (*info).si_addr() as usize;
                    *a.scratch.add(W_FAULT_ADDR) = fault.wrapping_sub(a.guest_base) as u64;
                    *a.scratch.add(W_FAULT_SITE) = i as u64;
                    *a.scratch.add(W_FAULT_KIND) = KIND_HOST;
                    gregs[libc::REG_RSP as usize] = *a.scratch.add(W_SAVED_RSP) as i64;
                    gregs[libc::REG_RAX as usize] = crate::EXIT_KIND_FAULT as i64;
                    gregs[libc::REG_RIP as usize] = a.epilogue as i64;
                    return;
                }
            }
        }
        chain(sig, info, ctx);
    }
}

/// Passes a fault that is not ours to the previous handler, or restores
/// the default action so that returning re-faults and ends the process.
unsafe fn chain(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    // SAFETY: the old actions were saved by `install` before ours was set.
    unsafe {
        let old = if sig == libc::SIGBUS {
            (*std::ptr::addr_of!(OLD_BUS)).assume_init_ref()
        } else {
            (*std::ptr::addr_of!(OLD_SEGV)).assume_init_ref()
        };
        let h = old.sa_sigaction;
        if h == libc::SIG_DFL || h == libc::SIG_IGN {
            libc::signal(sig, libc::SIG_DFL);
        } else if old.sa_flags & libc::SA_SIGINFO != 0 {
            let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                std::mem::transmute(h);
            f(sig, info, ctx);
        } else {
            let f: extern "C" fn(libc::c_int) = std::mem::transmute(h);
            f(sig);
        }
    }
}
