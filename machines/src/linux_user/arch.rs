//! What the process model needs to know about a guest architecture.
//!
//! One [`Arch`] value per supported ELF machine; the loader, the initial
//! stack and the syscall layer read their per-architecture facts from it, so
//! a new architecture is a new table entry (plus its syscall numbering if it
//! is not the asm-generic one).

use crate::{Error, Result};

use super::elf;

/// How the architecture numbers its system calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyscallAbi {
    /// `include/uapi/asm-generic/unistd.h` (riscv64, aarch64, loongarch64),
    /// with the architecture's own calls from 244 (`arch_specific_syscall`).
    AsmGeneric,
}

/// A guest architecture for linux-user emulation.
#[derive(Debug)]
pub struct Arch {
    /// Short name, as the frontend's `arch()` (`riscv64`).
    pub name: &'static str,
    /// ELF `e_machine` this architecture runs.
    pub e_machine: u16,
    /// `utsname.machine` reported to the guest.
    pub uname_machine: &'static str,
    /// Guest page size (AT_PAGESZ).
    pub page_size: u64,
    /// AT_HWCAP and AT_HWCAP2.
    pub hwcap: u64,
    pub hwcap2: u64,
    /// AT_PLATFORM string, if the architecture's kernel reports one.
    pub platform: Option<&'static str>,
    /// Required alignment of the stack pointer at process entry.
    pub stack_align: u64,
    pub big_endian: bool,
    pub syscalls: SyscallAbi,
}

/// RISC-V hwcap bit for a single-letter extension, as the kernel's
/// `COMPAT_HWCAP_ISA_*`.
const fn isa_bit(letter: u8) -> u64 {
    1 << (letter - b'A')
}

/// RV64GC, the ISA the riscv frontend implements.
pub static RISCV64: Arch = Arch {
    name: "riscv64",
    e_machine: elf::EM_RISCV,
    uname_machine: "riscv64",
    page_size: 4096,
    hwcap: isa_bit(b'I')
        | isa_bit(b'M')
        | isa_bit(b'A')
        | isa_bit(b'F')
        | isa_bit(b'D')
        | isa_bit(b'C'),
    hwcap2: 0,
    // The riscv kernel sets no ELF_PLATFORM.
    platform: None,
    stack_align: 16,
    big_endian: false,
    syscalls: SyscallAbi::AsmGeneric,
};

/// Every architecture linux-user mode runs.
pub static ARCHES: &[&Arch] = &[&RISCV64];

/// The architecture for an ELF machine number, or an error naming it.
pub fn arch_for_machine(e_machine: u16) -> Result<&'static Arch> {
    ARCHES
        .iter()
        .copied()
        .find(|a| a.e_machine == e_machine)
        .ok_or_else(|| Error::UnsupportedMachine {
            machine: e_machine,
            name: elf::machine_name(e_machine)
                .unwrap_or("unknown machine")
                .to_string(),
        })
}

impl Arch {
    /// Encodes a guest pointer-sized word in the guest's byte order.
    pub fn word_bytes(&self, v: u64) -> [u8; 8] {
        if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }

    /// Decodes a guest pointer-sized word.
    pub fn word_from(&self, b: [u8; 8]) -> u64 {
        if self.big_endian {
            u64::from_be_bytes(b)
        } else {
            u64::from_le_bytes(b)
        }
    }

    /// Encodes a guest 32-bit value.
    pub fn u32_bytes(&self, v: u32) -> [u8; 4] {
        if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }

    /// Decodes a guest 32-bit value.
    pub fn u32_from(&self, b: [u8; 4]) -> u32 {
        if self.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn riscv_hwcap_is_imafdc() {
        // I=8, M=12, A=0, F=5, D=3, C=2 (letter - 'A').
        let want = (1 << 8) | (1 << 12) | 1 | (1 << 5) | (1 << 3) | (1 << 2);
        assert_eq!(RISCV64.hwcap, want);
        assert_eq!(RISCV64.hwcap, 0x112d);
    }

    #[test]
    fn lookup_names_unsupported_machines() {
        assert_eq!(arch_for_machine(243).unwrap().name, "riscv64");
        let e = arch_for_machine(62).unwrap_err().to_string();
        assert!(e.contains("x86-64"), "{e}");
        let e = arch_for_machine(183).unwrap_err().to_string();
        assert!(e.contains("AArch64"), "{e}");
        let e = arch_for_machine(9999).unwrap_err().to_string();
        assert!(e.contains("9999"), "{e}");
    }
}
