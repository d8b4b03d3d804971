//! RISC-V guest frontend (RV64GC plus the bit-manipulation extensions, user
//! level: I M A F D C Zicsr Zifencei Zba Zbb Zbs): decoder tables, IR
//! generation, CPU state, disassembler.
//!
//! ```text
//!  guest bytes ──decode/ (one table per extension)──► Insn
//!       Insn ──translate.rs (trans_<insn> → gen_* helpers)──► polyvm IR Block
//!       Insn ──disas.rs──► objdump-style text
//!  F/D ops call helpers.rs → softfloat.rs (exact IEEE arithmetic, all modes)
//! ```
//!
//! The runtime drives it through [`Riscv64Frontend`], an implementation of
//! [`polyvm_ir::abi::Frontend`]; translated code runs against [`RiscvCpu`]
//! and leaves with the `EXIT_*` codes of [`cpu`].

pub mod cpu;
pub mod decode;
pub mod disas;
pub mod helpers;
pub mod softfloat;
pub mod translate;

pub use cpu::{
    globals, RiscvCpu, EXIT_EBREAK, EXIT_ECALL, EXIT_FENCE_I, EXIT_ILLEGAL, FPR_NAMES, GPR_NAMES,
};
pub use decode::{decode, Insn, Op};
pub use disas::{disas_insn, disas_word};
pub use helpers::helpers;

use polyvm_ir::abi::{CodeFetch, Frontend, Translated};

/// Errors of this crate (reserved: translation reports unfetchable code
/// through the `Frontend` trait's `Err(addr)`, and bad guest instructions
/// become `EXIT_ILLEGAL` exits, so nothing returns this yet).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    #[error("cannot fetch guest code at {0:#x}")]
    Fetch(u64),
}

pub type Result<T> = std::result::Result<T, Error>;

/// The RV64GC frontend.
#[derive(Copy, Clone, Debug, Default)]
pub struct Riscv64Frontend;

impl Riscv64Frontend {
    pub fn new() -> Self {
        Riscv64Frontend
    }
}

impl Frontend for Riscv64Frontend {
    fn arch(&self) -> &'static str {
        "riscv64"
    }

    fn env_size(&self) -> usize {
        std::mem::size_of::<RiscvCpu>()
    }

    fn pc_offset(&self) -> usize {
        cpu::OFF_PC as usize
    }

    fn translate(
        &self,
        fetch: &dyn CodeFetch,
        pc: u64,
        max_insns: u32,
    ) -> std::result::Result<Translated, u64> {
        translate::translate(fetch, pc, max_insns)
    }

    /// GCC hands out a5, a4, a3 … first for temporaries, keeps results
    /// and loop pointers in a0, a1, a2, and sp carries every frame. Hottest
    /// first (chosen by measuring `benches/` with `compare-qemu`).
    fn hot_globals(&self) -> &'static [u32] {
        const HOT: [u32; 8] = [
            cpu::gpr_global(15) as u32,
            cpu::gpr_global(14) as u32,
            cpu::gpr_global(10) as u32,
            cpu::gpr_global(11) as u32,
            cpu::gpr_global(12) as u32,
            cpu::gpr_global(2) as u32,
            cpu::gpr_global(13) as u32,
            cpu::gpr_global(8) as u32,
        ];
        &HOT
    }

    fn disas(&self, fetch: &dyn CodeFetch, pc: u64) -> Option<(String, u32)> {
        let mut b = [0u8; 4];
        if !fetch.fetch(pc, &mut b[..2]) {
            return None;
        }
        let lo = u16::from_le_bytes([b[0], b[1]]);
        let raw = if decode::insn_len(lo) == 4 {
            if !fetch.fetch(pc.wrapping_add(2), &mut b[2..]) {
                return None;
            }
            u32::from_le_bytes(b)
        } else {
            lo as u32
        };
        Some(disas_word(raw, pc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Code(Vec<u8>);

    impl CodeFetch for Code {
        fn fetch(&self, addr: u64, out: &mut [u8]) -> bool {
            let a = addr as usize;
            match self.0.get(a..a + out.len()) {
                Some(b) => {
                    out.copy_from_slice(b);
                    true
                }
                None => false,
            }
        }
    }

    #[test]
    fn the_frontend_trait() {
        let fe = Riscv64Frontend::new();
        assert_eq!(fe.arch(), "riscv64");
        assert_eq!(fe.env_size(), std::mem::size_of::<RiscvCpu>());
        assert_eq!(fe.pc_offset(), 256);
        // c.addi a0,1; ecall
        let code = Code(vec![0x05, 0x05, 0x73, 0, 0, 0]);
        assert_eq!(fe.disas(&code, 0), Some(("c.addi a0,1".to_string(), 2)));
        assert_eq!(fe.disas(&code, 2), Some(("ecall".to_string(), 4)));
        assert_eq!(fe.disas(&code, 5), None, "one byte left");
        let t = fe.translate(&code, 0, 16).unwrap();
        assert_eq!((t.insns, t.guest_size), (2, 6));
        assert_eq!(fe.translate(&code, 6, 16).err(), Some(6));
        // The first half of a 32-bit instruction (addi) at the end: the
        // missing half is the address that cannot be fetched.
        assert_eq!(fe.translate(&Code(vec![0x13, 0]), 0, 16).err(), Some(2));
    }
}
