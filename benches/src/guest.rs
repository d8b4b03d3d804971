//! A tiny riscv64 Linux program synthesised in Rust, for benches that must not
//! depend on a cross compiler: a counted loop that calls a small function,
//! stores and reloads its accumulator, and exits with the low byte of the result.
//!
//! ```text
//! _start: addi s0,zero,0 ; lui/addiw s1,N ; addi sp,sp,-16
//! loop:   addi a0,s1,0 ; jal ra,mix ; add s0,s0,a0 ; sd s0,0(sp) ; ld t0,0(sp)
//!         xor s0,t0,s1 ; addi s1,s1,-1 ; bne s1,zero,loop
//!         andi a0,s0,255 ; addi a7,zero,94 ; ecall            (exit_group)
//! mix:    slli t1,a0,1 ; add t1,t1,a0 ; srli t2,a0,2 ; xor a0,t1,t2 ; jalr zero,0(ra)
//! ```
//!
//! The ELF has one read+execute `PT_LOAD` segment (headers and code) at
//! 0x10000 and no sections. Encodings follow the RISC-V unprivileged spec's
//! base formats (RV64I only, no compressed instructions).

/// Where the image is loaded.
pub const LOAD_ADDR: u64 = 0x1_0000;
const EHDR: usize = 64;
const PHDR: usize = 56;

// Register numbers (ABI names).
const ZERO: u32 = 0;
const RA: u32 = 1;
const SP: u32 = 2;
const T0: u32 = 5;
const T1: u32 = 6;
const T2: u32 = 7;
const S0: u32 = 8;
const S1: u32 = 9;
const A0: u32 = 10;
const A7: u32 = 17;

fn r_type(funct7: u32, rs2: u32, rs1: u32, funct3: u32, rd: u32, opcode: u32) -> u32 {
    funct7 << 25 | rs2 << 20 | rs1 << 15 | funct3 << 12 | rd << 7 | opcode
}

fn i_type(imm: i32, rs1: u32, funct3: u32, rd: u32, opcode: u32) -> u32 {
    ((imm as u32) & 0xfff) << 20 | rs1 << 15 | funct3 << 12 | rd << 7 | opcode
}

fn s_type(imm: i32, rs2: u32, rs1: u32, funct3: u32, opcode: u32) -> u32 {
    let imm = imm as u32;
    (imm >> 5 & 0x7f) << 25 | rs2 << 20 | rs1 << 15 | funct3 << 12 | (imm & 0x1f) << 7 | opcode
}

fn b_type(offset: i32, rs2: u32, rs1: u32, funct3: u32, opcode: u32) -> u32 {
    let o = offset as u32;
    (o >> 12 & 1) << 31
        | (o >> 5 & 0x3f) << 25
        | rs2 << 20
        | rs1 << 15
        | funct3 << 12
        | (o >> 1 & 0xf) << 8
        | (o >> 11 & 1) << 7
        | opcode
}

fn u_type(imm20: u32, rd: u32, opcode: u32) -> u32 {
    (imm20 & 0xf_ffff) << 12 | rd << 7 | opcode
}

fn j_type(offset: i32, rd: u32, opcode: u32) -> u32 {
    let o = offset as u32;
    (o >> 20 & 1) << 31
        | (o >> 1 & 0x3ff) << 21
        | (o >> 11 & 1) << 20
        | (o >> 12 & 0xff) << 12
        | rd << 7
        | opcode
}

fn addi(rd: u32, rs1: u32, imm: i32) -> u32 {
    i_type(imm, rs1, 0, rd, 0x13)
}
fn andi(rd: u32, rs1: u32, imm: i32) -> u32 {
    i_type(imm, rs1, 7, rd, 0x13)
}
fn slli(rd: u32, rs1: u32, sh: i32) -> u32 {
    i_type(sh, rs1, 1, rd, 0x13)
}
fn srli(rd: u32, rs1: u32, sh: i32) -> u32 {
    i_type(sh, rs1, 5, rd, 0x13)
}
fn addiw(rd: u32, rs1: u32, imm: i32) -> u32 {
    i_type(imm, rs1, 0, rd, 0x1b)
}
fn add(rd: u32, rs1: u32, rs2: u32) -> u32 {
    r_type(0, rs2, rs1, 0, rd, 0x33)
}
fn xor(rd: u32, rs1: u32, rs2: u32) -> u32 {
    r_type(0, rs2, rs1, 4, rd, 0x33)
}
fn ld(rd: u32, rs1: u32, imm: i32) -> u32 {
    i_type(imm, rs1, 3, rd, 0x03)
}
fn sd(rs2: u32, rs1: u32, imm: i32) -> u32 {
    s_type(imm, rs2, rs1, 3, 0x23)
}
fn bne(rs1: u32, rs2: u32, offset: i32) -> u32 {
    b_type(offset, rs2, rs1, 1, 0x63)
}
fn lui(rd: u32, imm20: u32) -> u32 {
    u_type(imm20, rd, 0x37)
}
fn jal(rd: u32, offset: i32) -> u32 {
    j_type(offset, rd, 0x6f)
}
fn jalr(rd: u32, rs1: u32, imm: i32) -> u32 {
    i_type(imm, rs1, 0, rd, 0x67)
}
const ECALL: u32 = 0x73;
/// Linux `exit_group` on riscv64 (asm-generic numbering).
const SYS_EXIT_GROUP: i32 = 94;

/// Most loop iterations [`loop_program_code`] accepts (so that lui+addiw can
/// build the count as a positive 32-bit value).
pub const MAX_ITERATIONS: u32 = 1 << 30;

/// The program's instructions for `iterations` (1..=[`MAX_ITERATIONS`],
/// clamped) trips round the loop.
pub fn loop_program_code(iterations: u32) -> Vec<u32> {
    let n = iterations.clamp(1, MAX_ITERATIONS) as i32;
    // lui loads bits 31..12; addiw adds a sign-extended 12-bit value, so round
    // the upper part to the nearest multiple of 4096.
    let hi = (n + 0x800) >> 12;
    let lo = n - (hi << 12);
    let mut c = vec![
        addi(S0, ZERO, 0),
        lui(S1, hi as u32),
        addiw(S1, S1, lo),
        addi(SP, SP, -16),
    ];
    let top = c.len();
    c.push(addi(A0, S1, 0));
    let call_at = c.len();
    c.push(0); // jal ra, mix: patched once `mix` has an address
    c.extend([
        add(S0, S0, A0),
        sd(S0, SP, 0),
        ld(T0, SP, 0),
        xor(S0, T0, S1),
        addi(S1, S1, -1),
    ]);
    let back = (top as i32 - c.len() as i32) * 4;
    c.push(bne(S1, ZERO, back));
    c.extend([andi(A0, S0, 255), addi(A7, ZERO, SYS_EXIT_GROUP), ECALL]);
    let mix = c.len();
    c[call_at] = jal(RA, (mix as i32 - call_at as i32) * 4);
    c.extend([
        slli(T1, A0, 1),
        add(T1, T1, A0),
        srli(T2, A0, 2),
        xor(A0, T1, T2),
        jalr(ZERO, RA, 0),
    ]);
    c
}

/// The program as a static riscv64 ELF executable.
pub fn loop_program_elf(iterations: u32) -> Vec<u8> {
    let code = loop_program_code(iterations);
    let size = (EHDR + PHDR + 4 * code.len()) as u64;
    let entry = LOAD_ADDR + (EHDR + PHDR) as u64;
    let mut f = Vec::with_capacity(size as usize);
    // e_ident: magic, ELFCLASS64, ELFDATA2LSB, EV_CURRENT, ELFOSABI_SYSV, padding.
    f.extend_from_slice(b"\x7fELF");
    f.extend_from_slice(&[2, 1, 1, 0]);
    f.extend_from_slice(&[0; 8]);
    f.extend_from_slice(&2u16.to_le_bytes()); // e_type: ET_EXEC
    f.extend_from_slice(&243u16.to_le_bytes()); // e_machine: EM_RISCV
    f.extend_from_slice(&1u32.to_le_bytes()); // e_version
    f.extend_from_slice(&entry.to_le_bytes()); // e_entry
    f.extend_from_slice(&(EHDR as u64).to_le_bytes()); // e_phoff
    f.extend_from_slice(&0u64.to_le_bytes()); // e_shoff: no sections
    f.extend_from_slice(&0u32.to_le_bytes()); // e_flags: no RVC, soft-float ABI
    f.extend_from_slice(&(EHDR as u16).to_le_bytes()); // e_ehsize
    f.extend_from_slice(&(PHDR as u16).to_le_bytes()); // e_phentsize
    f.extend_from_slice(&1u16.to_le_bytes()); // e_phnum
    f.extend_from_slice(&64u16.to_le_bytes()); // e_shentsize
    f.extend_from_slice(&0u16.to_le_bytes()); // e_shnum
    f.extend_from_slice(&0u16.to_le_bytes()); // e_shstrndx
                                              // The one program header: PT_LOAD, PF_R | PF_X, the whole file.
    f.extend_from_slice(&1u32.to_le_bytes());
    f.extend_from_slice(&5u32.to_le_bytes());
    f.extend_from_slice(&0u64.to_le_bytes()); // p_offset
    f.extend_from_slice(&LOAD_ADDR.to_le_bytes()); // p_vaddr
    f.extend_from_slice(&LOAD_ADDR.to_le_bytes()); // p_paddr
    f.extend_from_slice(&size.to_le_bytes()); // p_filesz
    f.extend_from_slice(&size.to_le_bytes()); // p_memsz
    f.extend_from_slice(&0x1000u64.to_le_bytes()); // p_align
    for w in code {
        f.extend_from_slice(&w.to_le_bytes());
    }
    f
}

/// What the program computes, written out directly: its exit status.
pub fn loop_program_status(iterations: u32) -> i32 {
    let mut acc: u64 = 0;
    let mut i = u64::from(iterations.clamp(1, MAX_ITERATIONS));
    while i != 0 {
        let mix = (i * 3) ^ (i >> 2);
        acc = acc.wrapping_add(mix) ^ i;
        i -= 1;
    }
    (acc & 255) as i32
}

/// Guest instructions the program executes: 4 before the loop, 8 in it plus
/// 5 in `mix` per trip, 3 after it (the `ecall` included).
pub fn loop_program_insns(iterations: u32) -> u64 {
    4 + 13 * u64::from(iterations.clamp(1, MAX_ITERATIONS)) + 3
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `riscv64-linux-gnu-as -march=rv64i` and `objdump -d -M no-aliases` on
    /// the listing in the module docs with N = 50000 (0xc350).
    const GNU_AS_50000: [u32; 20] = [
        0x00000413, 0x0000c4b7, 0x3504849b, 0xff010113, // _start
        0x00048513, 0x028000ef, 0x00a40433, 0x00813023, // loop
        0x00013283, 0x0092c433, 0xfff48493, 0xfe0492e3, //
        0x0ff47513, 0x05e00893, 0x00000073, // exit
        0x00151313, 0x00a30333, 0x00255393, 0x00734533, 0x00008067, // mix
    ];

    #[test]
    fn encodings_match_gnu_as() {
        assert_eq!(loop_program_code(50_000), GNU_AS_50000);
    }

    #[test]
    fn counts_that_need_a_negative_low_part() {
        // 0x7ff is the largest low part; 0x800 must become lui 1, addiw -2048.
        for n in [1u32, 0x7ff, 0x800, 0xfff, 0x1000, 123_456, MAX_ITERATIONS] {
            let c = loop_program_code(n);
            let hi = c[1] >> 12;
            let lo = (c[2] as i32) >> 20; // addiw's immediate, sign-extended
            assert_eq!(((hi as i64) << 12) + lo as i64, n as i64, "n = {n}");
        }
    }

    #[test]
    fn the_model_by_hand() {
        // N = 1: mix(1) = 3 ^ 0 = 3; acc = (0 + 3) ^ 1 = 2.
        assert_eq!(loop_program_status(1), 2);
        // N = 2: mix(2) = 6 ^ 0 = 6, acc = 6 ^ 2 = 4; then acc = (4 + 3) ^ 1 = 6.
        assert_eq!(loop_program_status(2), 6);
    }

    #[test]
    fn polyvm_loads_the_elf_where_we_said() {
        let elf = loop_program_elf(10);
        let parsed = polyvm_machines::linux_user::elf::parse(&elf).unwrap();
        assert_eq!(parsed.e_entry, LOAD_ADDR + 120);
        assert_eq!(
            parsed.load_span(),
            (LOAD_ADDR, LOAD_ADDR + elf.len() as u64)
        );
    }

    /// The ELF under qemu-riscv64 (when installed) exits with the model's
    /// status: checks encodings, layout and model against an independent CPU.
    #[test]
    fn qemu_agrees_with_the_model() {
        let dir = std::env::temp_dir().join(format!("polyvm-bench-guest-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for n in [1u32, 2, 1000, 50_000] {
            let path = dir.join(format!("loop{n}"));
            std::fs::write(&path, loop_program_elf(n)).unwrap();
            // qemu-user, like the kernel, runs only files marked executable.
            let mode = std::os::unix::fs::PermissionsExt::from_mode(0o755);
            std::fs::set_permissions(&path, mode).unwrap();
            let status = match std::process::Command::new("qemu-riscv64")
                .arg(&path)
                .status()
            {
                Ok(s) => s,
                Err(_) => {
                    eprintln!("qemu-riscv64 not installed: skipping");
                    break;
                }
            };
            assert_eq!(status.code(), Some(loop_program_status(n)), "n = {n}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
