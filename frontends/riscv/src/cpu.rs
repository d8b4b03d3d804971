//! The RV64 user-level CPU state that translated code runs against, the IR
//! globals that name its registers, and the frontend's exit codes.
//!
//! Every field is a `u64` so that each IR global is an 8-byte aligned slot.
//! Globals: `x1..x31` (x0 is never stored: reads are the constant 0 and
//! writes are dropped), `pc`, `f0..f31`. `fflags`, `frm` and the LR/SC
//! reservation are plain fields reached with `ld_env`/`st_env` or by helpers.

use polyvm_ir::{GlobalDecl, Type};
use std::mem::offset_of;
use std::sync::{Arc, OnceLock};

/// `exit_tb` code: `ecall`; `pc` is the ecall's own pc.
pub const EXIT_ECALL: u64 = 1;
/// `exit_tb` code: `ebreak`/`c.ebreak`; `pc` is the instruction's own pc.
pub const EXIT_EBREAK: u64 = 2;
/// `exit_tb` code: illegal or unimplemented instruction; `pc` is its pc and
/// `badinsn` its raw encoding (16- or 32-bit).
pub const EXIT_ILLEGAL: u64 = 3;
/// `exit_tb` code: `fence.i`; `pc` is the next instruction. The runtime
/// flushes its translations of guest code.
pub const EXIT_FENCE_I: u64 = 4;

/// Ordering bits of the IR `mb` op as this frontend emits them (TCG's
/// convention): which earlier accesses are ordered before which later ones.
pub const MO_LD_LD: u32 = 1;
pub const MO_ST_LD: u32 = 2;
pub const MO_LD_ST: u32 = 4;
pub const MO_ST_ST: u32 = 8;
pub const MO_ALL: u32 = 0xf;

/// The guest CPU state. `env` in translated code points here.
#[repr(C, align(16))]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RiscvCpu {
    /// Integer registers; `x[0]` stays zero (nothing writes it).
    pub x: [u64; 32],
    pub pc: u64,
    /// Floating-point registers, raw bits; singles are NaN-boxed.
    pub f: [u64; 32],
    /// Accrued exception flags (NV DZ OF UF NX, bits 4..0).
    pub fflags: u64,
    /// Dynamic rounding mode (0..=7; 5..=7 make dynamic-rm instructions illegal).
    pub frm: u64,
    /// LR reservation address; `u64::MAX` when there is none.
    pub res_addr: u64,
    /// The value LR loaded (SC succeeds only if memory still holds it).
    pub res_val: u64,
    /// Raw encoding of the last illegal instruction (see [`EXIT_ILLEGAL`]).
    pub badinsn: u64,
}

impl Default for RiscvCpu {
    fn default() -> Self {
        RiscvCpu {
            x: [0; 32],
            pc: 0,
            f: [0; 32],
            fflags: 0,
            frm: 0,
            res_addr: u64::MAX,
            res_val: 0,
            badinsn: 0,
        }
    }
}

impl RiscvCpu {
    /// The CPU state behind a translated block's or helper's `env` pointer.
    ///
    /// # Safety
    /// `env` must point to a live, properly aligned `RiscvCpu` that nothing
    /// else accesses during `'a`.
    #[inline]
    pub unsafe fn from_env<'a>(env: *mut u8) -> &'a mut RiscvCpu {
        // SAFETY: guaranteed by the caller (see above).
        unsafe { &mut *(env as *mut RiscvCpu) }
    }
}

/// Byte offsets of the CPU state's fields, for `ld_env`/`st_env`.
pub const OFF_PC: u32 = offset_of!(RiscvCpu, pc) as u32;
pub const OFF_FFLAGS: u32 = offset_of!(RiscvCpu, fflags) as u32;
pub const OFF_FRM: u32 = offset_of!(RiscvCpu, frm) as u32;
pub const OFF_RES_ADDR: u32 = offset_of!(RiscvCpu, res_addr) as u32;
pub const OFF_RES_VAL: u32 = offset_of!(RiscvCpu, res_val) as u32;
pub const OFF_BADINSN: u32 = offset_of!(RiscvCpu, badinsn) as u32;

/// Global index of integer register `r` (1..=31).
#[inline]
pub const fn gpr_global(r: u8) -> usize {
    r as usize - 1
}
/// Global index of the pc.
pub const PC_GLOBAL: usize = 31;
/// Global index of floating-point register `r`.
#[inline]
pub const fn fpr_global(r: u8) -> usize {
    32 + r as usize
}
/// Number of globals.
pub const NUM_GLOBALS: usize = 64;

/// The IR globals: `x1..x31`, `pc`, `f0..f31`, all `i64`, built once.
pub fn globals() -> Arc<[GlobalDecl]> {
    static G: OnceLock<Arc<[GlobalDecl]>> = OnceLock::new();
    G.get_or_init(|| {
        let x0 = offset_of!(RiscvCpu, x) as u32;
        let f0 = offset_of!(RiscvCpu, f) as u32;
        let mut v = Vec::with_capacity(NUM_GLOBALS);
        for r in 1..32u32 {
            v.push(GlobalDecl {
                name: format!("x{r}"),
                ty: Type::I64,
                offset: x0 + 8 * r,
            });
        }
        v.push(GlobalDecl {
            name: "pc".into(),
            ty: Type::I64,
            offset: OFF_PC,
        });
        for r in 0..32u32 {
            v.push(GlobalDecl {
                name: format!("f{r}"),
                ty: Type::I64,
                offset: f0 + 8 * r,
            });
        }
        v.into()
    })
    .clone()
}

/// ABI names of the integer registers.
pub const GPR_NAMES: [&str; 32] = [
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4",
    "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4",
    "t5", "t6",
];

/// ABI names of the floating-point registers.
pub const FPR_NAMES: [&str; 32] = [
    "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7", "fs0", "fs1", "fa0", "fa1", "fa2",
    "fa3", "fa4", "fa5", "fa6", "fa7", "fs2", "fs3", "fs4", "fs5", "fs6", "fs7", "fs8", "fs9",
    "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
];

/// User-level CSR numbers the frontend implements.
pub const CSR_FFLAGS: u16 = 0x001;
pub const CSR_FRM: u16 = 0x002;
pub const CSR_FCSR: u16 = 0x003;
pub const CSR_CYCLE: u16 = 0xc00;
pub const CSR_TIME: u16 = 0xc01;
pub const CSR_INSTRET: u16 = 0xc02;

/// Name of a CSR for the disassembler, if it is one objdump names that we know.
pub fn csr_name(csr: u16) -> Option<&'static str> {
    Some(match csr {
        CSR_FFLAGS => "fflags",
        CSR_FRM => "frm",
        CSR_FCSR => "fcsr",
        CSR_CYCLE => "cycle",
        CSR_TIME => "time",
        CSR_INSTRET => "instret",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_all_u64_slots() {
        assert_eq!(std::mem::size_of::<RiscvCpu>() % 16, 0);
        assert_eq!(std::mem::align_of::<RiscvCpu>(), 16);
        let g = globals();
        assert_eq!(g.len(), NUM_GLOBALS);
        assert!(g.iter().all(|d| d.offset % 8 == 0));
        assert_eq!(g[gpr_global(1)].name, "x1");
        assert_eq!(g[gpr_global(31)].offset, 31 * 8);
        assert_eq!(g[PC_GLOBAL].offset, OFF_PC);
        assert_eq!(g[fpr_global(0)].name, "f0");
        assert_eq!(g[fpr_global(31)].offset, OFF_PC + 8 + 31 * 8);
        assert_eq!(RiscvCpu::default().res_addr, u64::MAX);
    }
}
