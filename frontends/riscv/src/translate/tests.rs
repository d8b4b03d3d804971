//! Translation tests: block shapes (insn_start count, exits, page and
//! fetch limits) and instruction semantics, executed by the small evaluator
//! in `eval.rs`. Expected values follow from the ISA manual's definitions;
//! the arithmetic is in the comments.

use super::*;
use crate::softfloat::{NV, NX};
use eval::{Machine, Stop};
use polyvm_ir::Opcode;

mod eval;

/// A tiny encoder for the test programs (field layouts from the spec),
/// checked against assembler output in `encoder_matches_the_assembler`.
mod enc {
    pub fn r(f7: u32, rs2: u32, rs1: u32, f3: u32, rd: u32, op: u32) -> u32 {
        f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op
    }
    pub fn i(imm: i32, rs1: u32, f3: u32, rd: u32, op: u32) -> u32 {
        (imm as u32 & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op
    }
    pub fn s(imm: i32, rs2: u32, rs1: u32, f3: u32, op: u32) -> u32 {
        let v = imm as u32;
        ((v >> 5) & 0x7f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | (v & 0x1f) << 7 | op
    }
    pub fn b(imm: i32, rs2: u32, rs1: u32, f3: u32) -> u32 {
        let v = imm as u32;
        ((v >> 12) & 1) << 31
            | ((v >> 5) & 0x3f) << 25
            | rs2 << 20
            | rs1 << 15
            | f3 << 12
            | ((v >> 1) & 0xf) << 8
            | ((v >> 11) & 1) << 7
            | 0x63
    }
    pub fn j(imm: i32, rd: u32) -> u32 {
        let v = imm as u32;
        ((v >> 20) & 1) << 31
            | ((v >> 1) & 0x3ff) << 21
            | ((v >> 11) & 1) << 20
            | ((v >> 12) & 0xff) << 12
            | rd << 7
            | 0x6f
    }
    pub fn addi(rd: u32, rs1: u32, imm: i32) -> u32 {
        i(imm, rs1, 0, rd, 0x13)
    }
    pub fn op(f7: u32, f3: u32, rd: u32, rs1: u32, rs2: u32) -> u32 {
        r(f7, rs2, rs1, f3, rd, 0x33)
    }
    pub fn op32(f7: u32, f3: u32, rd: u32, rs1: u32, rs2: u32) -> u32 {
        r(f7, rs2, rs1, f3, rd, 0x3b)
    }
    pub fn amo(f5: u32, aq: u32, rl: u32, f3: u32, rd: u32, rs1: u32, rs2: u32) -> u32 {
        r(f5 << 2 | aq << 1 | rl, rs2, rs1, f3, rd, 0x2f)
    }
    pub fn fp(f7: u32, rm: u32, rd: u32, rs1: u32, rs2: u32) -> u32 {
        r(f7, rs2, rs1, rm, rd, 0x53)
    }
    pub fn csr(f3: u32, rd: u32, csr: u32, rs1: u32) -> u32 {
        i(csr as i32, rs1, f3, rd, 0x73)
    }
    pub const ECALL: u32 = 0x73;
    pub const NOP: u32 = 0x13;
}

use enc::*;

const RA: u32 = 1;
const A0: u32 = 10;
const A1: u32 = 11;
const A2: u32 = 12;
const A3: u32 = 13;
const CODE: u64 = 0x1000;

#[test]
fn encoder_matches_the_assembler() {
    // Words from riscv64-linux-gnu-as + objdump.
    assert_eq!(addi(A0, A0, -2048), 0x80050513);
    assert_eq!(s(24, RA, 2, 3, 0x23), 0x00113c23); // sd ra,24(sp)
    assert_eq!(b(-0x8a, A1, A0, 0), 0xf6b50be3); // beq a0,a1,.-0x8a
    assert_eq!(j(-0x8e, RA), 0xf73ff0ef); // jal ra,.-0x8e
    assert_eq!(amo(0, 1, 1, 2, A0, A2, A1), 0x06b6252f); // amoadd.w.aqrl a0,a1,(a2)
    assert_eq!(fp(1, 7, A0, A0, A1), 0x02b57553); // fadd.d fa0,fa0,fa1
    assert_eq!(csr(5, A0, 3, 3), 0x0031d573); // csrrwi a0,fcsr,3
}

fn machine(code: &[u32]) -> Machine {
    let mut m = Machine::new(0x4000);
    m.load_code(CODE, code);
    m
}

fn tr(m: &Machine, pc: u64, max: u32) -> Translated {
    translate(m, pc, max).expect("translates")
}

fn insn_starts(b: &polyvm_ir::Block) -> Vec<u64> {
    b.insts
        .iter()
        .filter(|i| i.opc == Opcode::InsnStart)
        .map(|i| i.consts[0])
        .collect()
}

/// The constant stored into the pc global by the last `mov pc, const`.
fn last_pc_store(b: &polyvm_ir::Block) -> u64 {
    let pc = polyvm_ir::Temp(PC_GLOBAL as u32);
    let i = b
        .insts
        .iter()
        .rev()
        .find(|i| i.opc == Opcode::Mov && i.out() == pc)
        .expect("pc store");
    b.const_value(i.input(0)).expect("constant pc")
}

// ---- block shapes -------------------------------------------------------------

#[test]
fn straight_line_block_ends_at_ecall() {
    let m = machine(&[addi(A0, A0, 1), op(0, 0, A1, A0, A0), ECALL, NOP]);
    let t = tr(&m, CODE, 64);
    assert_eq!((t.insns, t.guest_size), (3, 12));
    assert_eq!(insn_starts(&t.block), [0x1000, 0x1004, 0x1008]);
    let last = t.block.insts.last().unwrap();
    assert_eq!((last.opc, last.consts[0]), (Opcode::ExitTb, EXIT_ECALL));
    assert_eq!(last_pc_store(&t.block), 0x1008, "pc of the ecall itself");
}

#[test]
fn branches_end_with_two_chainable_exits() {
    let m = machine(&[b(-16, A1, A0, 0)]); // beq a0,a1,.-16
    let t = tr(&m, CODE, 64);
    assert_eq!(t.insns, 1);
    let ops: Vec<Opcode> = t.block.insts.iter().map(|i| i.opc).collect();
    assert_eq!(
        ops,
        [
            Opcode::InsnStart,
            Opcode::BrCond,
            Opcode::Mov,
            Opcode::GotoTb,
            Opcode::SetLabel,
            Opcode::Mov,
            Opcode::GotoTb
        ]
    );
    let mut m = machine(&[b(-16, A1, A0, 0)]);
    m.cpu.x[A0 as usize] = 5;
    m.cpu.x[A1 as usize] = 5;
    assert_eq!(m.exec(&t.block), Stop::GotoTb(0));
    assert_eq!(m.cpu.pc, 0x1000 - 16);
    m.cpu.x[A1 as usize] = 6;
    assert_eq!(m.exec(&t.block), Stop::GotoTb(1));
    assert_eq!(m.cpu.pc, 0x1004);
}

#[test]
fn jalr_leaves_through_goto_ptr_with_bit_zero_cleared() {
    // jalr ra,0(a0)
    let mut m = machine(&[i(0, A0, 0, RA, 0x67)]);
    m.cpu.x[A0 as usize] = 0x2001;
    let t = tr(&m, CODE, 64);
    assert_eq!(t.block.insts.last().unwrap().opc, Opcode::GotoPtr);
    assert_eq!(m.exec(&t.block), Stop::GotoPtr(0x2000));
    assert_eq!((m.cpu.pc, m.cpu.x[RA as usize]), (0x2000, 0x1004));
    // jalr a0,3(a0): the target uses the old a0.
    let mut m = machine(&[i(3, A0, 0, A0, 0x67)]);
    m.cpu.x[A0 as usize] = 0x2000;
    let t = tr(&m, CODE, 64);
    assert_eq!(m.exec(&t.block), Stop::GotoPtr(0x2002));
    assert_eq!(m.cpu.x[A0 as usize], 0x1004);
    // c.jalr a0 links pc + 2.
    let mut m = machine(&[0x9502]);
    m.cpu.x[A0 as usize] = 0x3000;
    let t = tr(&m, CODE, 64);
    assert_eq!(m.exec(&t.block), Stop::GotoPtr(0x3000));
    assert_eq!(m.cpu.x[RA as usize], 0x1002);
}

#[test]
fn jal_links_and_chains() {
    let mut m = machine(&[j(0x100, RA)]);
    let t = tr(&m, CODE, 64);
    assert_eq!(m.exec(&t.block), Stop::GotoTb(0));
    assert_eq!((m.cpu.pc, m.cpu.x[RA as usize]), (0x1100, 0x1004));
}

#[test]
fn max_insns_limits_the_block() {
    let m = machine(&[NOP, NOP, NOP, NOP]);
    let t = tr(&m, CODE, 2);
    assert_eq!((t.insns, t.guest_size), (2, 8));
    assert_eq!(t.block.insts.last().unwrap().opc, Opcode::GotoTb);
    assert_eq!(last_pc_store(&t.block), 0x1008);
    // max_insns = 0 still makes progress.
    assert_eq!(tr(&m, CODE, 0).insns, 1);
}

#[test]
fn blocks_stop_at_the_page_boundary() {
    let mut m = Machine::new(0x4000);
    m.load_code(0x1ff8, &[NOP, NOP, NOP]);
    let t = tr(&m, 0x1ff8, 64);
    assert_eq!((t.insns, t.guest_size), (2, 8));
    assert_eq!(last_pc_store(&t.block), 0x2000);
    // An instruction that starts in the page may cross it.
    let mut m = Machine::new(0x4000);
    m.load_code(0x1ffe, &[NOP, NOP]);
    let t = tr(&m, 0x1ffe, 64);
    assert_eq!((t.insns, t.guest_size), (1, 4));
    assert_eq!(last_pc_store(&t.block), 0x2002);
}

#[test]
fn unfetchable_code() {
    let mut m = Machine::new(0x1806);
    // The first instruction unmapped: Err(its address).
    assert_eq!(translate(&m, 0x1806, 8).err(), Some(0x1806));
    // A 32-bit instruction whose second half is unmapped: Err(pc + 2).
    m.load_code(0x1804, &[0x0001]);
    m.mem[0x1804] = 0x13;
    assert_eq!(translate(&m, 0x1804, 8).err(), Some(0x1806));
    // Later: the block ends before it.
    m.load_code(0x1800, &[0x0001, 0x0001]);
    let t = tr(&m, 0x1800, 8);
    assert_eq!((t.insns, t.guest_size), (2, 4));
    assert_eq!(t.block.insts.last().unwrap().opc, Opcode::GotoTb);
    assert_eq!(last_pc_store(&t.block), 0x1804);
}

#[test]
fn traps_leave_with_their_exit_codes() {
    // ecall, c.ebreak: pc is the instruction's own.
    let mut m = machine(&[NOP, ECALL]);
    assert_eq!(m.run(CODE, 4), Stop::Exit(EXIT_ECALL));
    assert_eq!(m.cpu.pc, 0x1004);
    let mut m = machine(&[NOP, 0x9002]);
    assert_eq!(m.run(CODE, 4), Stop::Exit(EXIT_EBREAK));
    assert_eq!(m.cpu.pc, 0x1004);
    // fence.i: pc is the next instruction.
    let mut m = machine(&[0x0000_100f, NOP]);
    assert_eq!(m.run(CODE, 4), Stop::Exit(EXIT_FENCE_I));
    assert_eq!(m.cpu.pc, 0x1004);
}

#[test]
fn illegal_instructions_report_pc_and_encoding() {
    for (word, len) in [(0x0000u32, 2u64), (0x3020_0073, 4), (0x02b5_5553, 4)] {
        let mut m = machine(&[NOP, word, NOP]);
        assert_eq!(m.run(CODE, 4), Stop::Exit(EXIT_ILLEGAL), "{word:#x}");
        assert_eq!((m.cpu.pc, m.cpu.badinsn), (0x1004, word as u64));
        let t = tr(&m, CODE, 64);
        assert_eq!((t.insns, t.guest_size), (2, 4 + len));
    }
}

#[test]
fn only_user_csrs_exist_and_counters_are_read_only() {
    let legal = |w: u32| {
        let mut m = machine(&[w, ECALL]);
        m.run(CODE, 4) == Stop::Exit(EXIT_ECALL)
    };
    assert!(!legal(csr(2, A0, 0x7c0, 0))); // csrrs a0,0x7c0,zero: no such CSR
    assert!(!legal(csr(2, A0, 0x300, 0))); // mstatus: not at user level
    assert!(!legal(csr(1, 0, 0xc00, A0))); // csrrw zero,cycle,a0: read-only
    assert!(!legal(csr(7, A0, 0xc01, 1))); // csrrci a0,time,1: writes
    assert!(legal(csr(2, A0, 0xc00, 0))); // csrrs a0,cycle,zero: read
    assert!(legal(csr(6, A0, 0xc02, 0))); // csrrsi a0,instret,0: read
    assert!(legal(csr(3, A0, 0xc01, 0))); // csrrc a0,time,zero: read
    let mut m = machine(&[csr(2, A0, 0xc01, 0), ECALL]);
    m.run(CODE, 4);
    assert_ne!(m.cpu.x[A0 as usize], 0, "time advances from the first read");
}

// ---- integer semantics ----------------------------------------------------------

/// Runs `words` then an ecall with a0..a3 preset; returns the machine.
fn exec(words: &[u32], regs: [u64; 4]) -> Machine {
    let mut code = words.to_vec();
    code.push(ECALL);
    let mut m = machine(&code);
    m.cpu.x[A0 as usize..=A3 as usize].copy_from_slice(&regs);
    assert_eq!(m.run(CODE, 16), Stop::Exit(EXIT_ECALL));
    m
}

/// a0 = a1 op a2 for an OP/OP-32 encoding.
fn binop(w: u32, a: u64, b: u64) -> u64 {
    exec(&[w], [0, a, b, 0]).cpu.x[A0 as usize]
}

const MIN: u64 = 1 << 63;

#[test]
fn multiply_and_divide() {
    let m = |f3| op(1, f3, A0, A1, A2);
    let mw = |f3| op32(1, f3, A0, A1, A2);
    let neg = |x: i64| x as u64;
    assert_eq!(binop(m(4), neg(-7), 2), neg(-3)); // div truncates
    assert_eq!(binop(m(6), neg(-7), 2), neg(-1)); // rem takes the dividend's sign
    assert_eq!(binop(m(4), 5, 0), u64::MAX); // div by 0 = -1
    assert_eq!(binop(m(5), 5, 0), u64::MAX); // divu by 0 = 2^64 - 1
    assert_eq!(binop(m(6), 5, 0), 5); // rem by 0 = dividend
    assert_eq!(binop(m(4), MIN, neg(-1)), MIN); // overflow: MIN
    assert_eq!(binop(m(6), MIN, neg(-1)), 0);
    assert_eq!(binop(m(1), neg(-1), neg(-1)), 0); // mulh: (-1)(-1) = 1, high 0
    assert_eq!(binop(m(3), u64::MAX, u64::MAX), u64::MAX - 1); // (2^64-1)^2 >> 64
                                                               // mulhsu: -1 × (2^64 - 1) = -2^64 + 1: high half all ones.
    assert_eq!(binop(m(2), neg(-1), u64::MAX), u64::MAX);
    assert_eq!(binop(mw(0), 0x7fff_ffff, 2), 0xffff_ffff_ffff_fffe); // mulw
                                                                     // divw sees the low 32 bits: -2^31 / -1 overflows to -2^31.
    assert_eq!(
        binop(mw(4), 0x1234_5678_8000_0000, u64::MAX),
        0xffff_ffff_8000_0000
    );
    assert_eq!(binop(mw(5), 0xffff_ffff_0000_0005, 0x1_0000_0000), u64::MAX); // divuw by 0
    assert_eq!(binop(mw(7), 0x1_8000_0000, 0), 0xffff_ffff_8000_0000); // remuw by 0
    assert_eq!(binop(mw(6), 0xabcd_ffff_fff9, 2), neg(-1)); // remw: -7 % 2
    assert_eq!(binop(mw(5), 0xffff_fffe, 2), 0x7fff_ffff); // divuw unsigned
}

#[test]
fn shifts_and_word_ops() {
    let neg = |x: i64| x as u64;
    assert_eq!(binop(op32(0, 1, A0, A1, A2), 1, 33), 2); // sllw: 33 mod 32 = 1
    assert_eq!(binop(op32(0, 5, A0, A1, A2), 0xffff_ffff_8000_0000, 31), 1); // srlw
    assert_eq!(binop(op32(0x20, 5, A0, A1, A2), 0x8000_0000, 63), neg(-1)); // sraw by 31
    assert_eq!(binop(op(0, 1, A0, A1, A2), 1, 65), 2); // sll: 65 mod 64
    assert_eq!(binop(op(0x20, 5, A0, A1, A2), MIN, 63), neg(-1)); // sra
    assert_eq!(binop(op(0, 5, A0, A1, A2), MIN, 63), 1); // srl
    let imm = |w, a| exec(&[w], [0, a, 0, 0]).cpu.x[A0 as usize];
    // srliw by 0 sign-extends the low word.
    assert_eq!(
        imm(i(0, A1, 5, A0, 0x1b), 0x8000_0000),
        0xffff_ffff_8000_0000
    );
    assert_eq!(imm(i(4, A1, 5, A0, 0x1b), 0x8000_0000), 0x0800_0000); // srliw 4
    assert_eq!(
        imm(i(0x404, A1, 5, A0, 0x1b), 0x8000_0000),
        0xffff_ffff_f800_0000
    ); // sraiw 4
    assert_eq!(imm(i(31, A1, 1, A0, 0x1b), 1), 0xffff_ffff_8000_0000); // slliw 31
    assert_eq!(
        imm(i(1, A1, 0, A0, 0x1b), 0x7fff_ffff),
        0xffff_ffff_8000_0000
    ); // addiw
    assert_eq!(imm(i(0x43f, A1, 5, A0, 0x13), MIN), neg(-1)); // srai 63
    assert_eq!(imm(i(-1, A1, 3, A0, 0x13), 5), 1); // sltiu 5 <u 2^64-1
    assert_eq!(imm(i(-1, A1, 2, A0, 0x13), 5), 0); // slti 5 < -1
    assert_eq!(binop(op(0, 2, A0, A1, A2), neg(-1), 0), 1); // slt
    assert_eq!(binop(op(0, 3, A0, A1, A2), neg(-1), 0), 0); // sltu
                                                            // auipc a0,0x1 at 0x1000; lui a0,0x80000 sign-extends.
    assert_eq!(exec(&[0x0000_1517], [0; 4]).cpu.x[A0 as usize], 0x2000);
    assert_eq!(
        exec(&[0x8000_0537], [0; 4]).cpu.x[A0 as usize],
        0xffff_ffff_8000_0000
    );
    // Writes to x0 vanish.
    assert_eq!(exec(&[addi(0, 0, 5)], [0; 4]).cpu.x[0], 0);
}

/// Zba/Zbb/Zbs on hand-checked operands. Encodings are riscv64-linux-gnu-as
/// output for `insn a0,a1,a2` / `insn a0,a1` / `insn a0,a1,imm`.
#[test]
fn bit_manipulation() {
    let un = |w, a| exec(&[w], [0, a, 0, 0]).cpu.x[A0 as usize];
    // Zba: (rs1 << n) + rs2; .uw zero-extends rs1's low word first.
    assert_eq!(binop(0x20c5a533, 3, 10), 16); // sh1add: 6 + 10
    assert_eq!(binop(0x20c5c533, 3, 10), 22); // sh2add: 12 + 10
    assert_eq!(binop(0x20c5e533, 3, 10), 34); // sh3add: 24 + 10
    assert_eq!(binop(0x08c5853b, u64::MAX, 1), 0x1_0000_0000); // add.uw: 0xffffffff + 1
    assert_eq!(binop(0x20c5e53b, 0xffff_ffff_8000_0000, 1), 0x4_0000_0001); // sh3add.uw
    assert_eq!(un(0x0bf5951b, 0xffff_ffff_0000_0001), MIN); // slli.uw 63
                                                            // Zbb logic with negation.
    assert_eq!(binop(0x40c5f533, 0b1100, 0b1010), 0b0100); // andn
    assert_eq!(binop(0x40c5e533, 0, u64::MAX - 1), 1); // orn: 0 | !(-2)
    assert_eq!(binop(0x40c5c533, 0b1100, 0b1010), !0b0110); // xnor
                                                            // Counts: clz/ctz of 0 are the width; the word forms look at bits 31:0 only.
    assert_eq!(un(0x60059513, 0), 64); // clz
    assert_eq!(un(0x60059513, 1), 63);
    assert_eq!(un(0x6005951b, 0xffff_ffff_0000_0000), 32); // clzw
    assert_eq!(un(0x6005951b, 0x0000_0000_0000_ffff), 16);
    assert_eq!(un(0x60159513, MIN), 63); // ctz
    assert_eq!(un(0x6015951b, 0x1_0000_0000), 32); // ctzw
                                                   // Not 63: the upper word does not count (qemu-riscv64 7.2 says 63; see zb.c).
    assert_eq!(un(0x6015951b, MIN), 32);
    assert_eq!(un(0x6015951b, 0x8000_0000), 31);
    assert_eq!(un(0x60259513, u64::MAX), 64); // cpop
    assert_eq!(un(0x6025951b, u64::MAX), 32); // cpopw
                                              // min/max, signed and unsigned: -1 vs 1.
    assert_eq!(binop(0x0ac5e533, u64::MAX, 1), 1); // max
    assert_eq!(binop(0x0ac5f533, u64::MAX, 1), u64::MAX); // maxu
    assert_eq!(binop(0x0ac5c533, u64::MAX, 1), u64::MAX); // min
    assert_eq!(binop(0x0ac5d533, u64::MAX, 1), 1); // minu
                                                   // Extensions.
    assert_eq!(un(0x60459513, 0x180), 0xffff_ffff_ffff_ff80); // sext.b
    assert_eq!(un(0x60559513, 0x1_8000), 0xffff_ffff_ffff_8000); // sext.h
    assert_eq!(un(0x0805c53b, u64::MAX), 0xffff); // zext.h
                                                  // Rotations: amounts mod 64 (mod 32 for the word forms, then sign-extend).
    assert_eq!(binop(0x60c59533, MIN | 1, 65), 3); // rol by 65 = 1
    assert_eq!(binop(0x60c5d533, 3, 1), MIN | 1); // ror
    assert_eq!(un(0x63f5d513, 1), 2); // rori 63 = rol 1
    assert_eq!(binop(0x60c5953b, 0xdead_0000_8000_0001, 33), 3); // rolw by 33 = 1
    assert_eq!(binop(0x60c5d53b, 1, 1), 0xffff_ffff_8000_0000); // rorw
    assert_eq!(un(0x61f5d51b, 0x4000_0000), 0xffff_ffff_8000_0000); // roriw 31 = rolw 1
                                                                    // Byte operations.
                                                                    // orc.b: bytes 01 00 80 00 00 00 7f 00 -> ff 00 ff 00 00 00 ff 00.
    assert_eq!(un(0x2875d513, 0x0100_8000_0000_7f00), 0xff00_ff00_0000_ff00);
    assert_eq!(un(0x6b85d513, 0x0102_0304_0506_0708), 0x0807_0605_0403_0201); // rev8
                                                                              // Zbs: the index is rs2 mod 64.
    assert_eq!(binop(0x48c59533, u64::MAX, 64), u64::MAX - 1); // bclr bit 0
    assert_eq!(binop(0x48c5d533, MIN, 63), 1); // bext
    assert_eq!(binop(0x68c59533, 0, 127), MIN); // binv bit 63
    assert_eq!(binop(0x28c59533, 0, 32), 0x1_0000_0000); // bset
    assert_eq!(un(0x4bf59513, u64::MAX), !MIN); // bclri 63
    assert_eq!(un(0x4bf5d513, MIN), 1); // bexti 63
    assert_eq!(un(0x6bf59513, MIN), 0); // binvi 63
    assert_eq!(un(0x2bf59513, 0), MIN); // bseti 63
}

#[test]
fn loads_and_stores() {
    let mut code = vec![
        i(0, A1, 0, A0, 0x03), // lb a0,0(a1)
        i(0, A1, 4, A2, 0x03), // lbu a2,0(a1)
        i(1, A1, 6, A3, 0x03), // lwu a3,1(a1) (misaligned is allowed)
        s(9, A3, A1, 3, 0x23), // sd a3,9(a1)
    ];
    code.push(ECALL);
    let mut m = machine(&code);
    m.write(0x100, 8, 0xffff_ffff_ffff_ff80);
    m.cpu.x[A1 as usize] = 0x100;
    assert_eq!(m.run(CODE, 4), Stop::Exit(EXIT_ECALL));
    assert_eq!(m.cpu.x[A0 as usize], (-128i64) as u64);
    assert_eq!(m.cpu.x[A2 as usize], 0x80);
    assert_eq!(m.cpu.x[A3 as usize], 0xffff_ffff);
    assert_eq!(m.read(0x109, 8), 0xffff_ffff);
    // A load into x0 still accesses memory (and faults).
    let mut m = machine(&[i(0, A1, 2, 0, 0x03), ECALL]);
    m.cpu.x[A1 as usize] = 0x10_0000;
    assert_eq!(m.run(CODE, 4), Stop::Fault(0x10_0000));
    assert_eq!(m.cpu.pc, CODE);
}

#[test]
fn a_loop_runs_across_blocks() {
    // a0 = 0; a1 = 10; loop: a0 += a1; a1 -= 1; bnez a1, loop
    let code = [
        addi(A0, 0, 0),
        addi(A1, 0, 10),
        op(0, 0, A0, A0, A1),
        addi(A1, A1, -1),
        b(-8, 0, A1, 1),
        ECALL,
    ];
    let mut m = machine(&code);
    assert_eq!(m.run(CODE, 100), Stop::Exit(EXIT_ECALL));
    assert_eq!(m.cpu.x[A0 as usize], 55);
}

// ---- atomics ---------------------------------------------------------------------

/// Runs one AMO `amo<f5>.<w|d> a0, a2, (a1)` on memory word `mem` at 0x100;
/// returns (a0, new memory value).
fn amo_run(f5: u32, d: bool, mem: u64, src: u64) -> (u64, u64) {
    let (f3, n) = if d { (3, 8) } else { (2, 4) };
    let mut m = machine(&[amo(f5, 1, 1, f3, A0, A1, A2), ECALL]);
    m.write(0x100, 8, mem);
    m.cpu.x[A1 as usize] = 0x100;
    m.cpu.x[A2 as usize] = src;
    assert_eq!(m.run(CODE, 4), Stop::Exit(EXIT_ECALL));
    (m.cpu.x[A0 as usize], m.read(0x100, n))
}

#[test]
fn amos_compute_and_sign_extend() {
    // amoadd.w: old -1 (sign-extended into a0), -1 + 2 = 1.
    assert_eq!(amo_run(0, false, 0xffff_ffff, 2), (u64::MAX, 1));
    // amoswap.d
    assert_eq!(amo_run(1, true, 7, 9), (7, 9));
    assert_eq!(amo_run(4, false, 0xf0, 0xff), (0xf0, 0x0f)); // amoxor.w
    assert_eq!(amo_run(12, true, 0xf0, 0x3c), (0xf0, 0x30)); // amoand.d
    assert_eq!(amo_run(8, false, 0xf0, 0x0f), (0xf0, 0xff)); // amoor.w
                                                             // amominu.w compares low words unsigned: min(0x80000000, 1) = 1.
    assert_eq!(
        amo_run(24, false, 0x8000_0000, 0x1_0000_0001),
        (0xffff_ffff_8000_0000, 1)
    );
    // amomaxu.w: max(0x80000000, 1) = 0x80000000.
    assert_eq!(amo_run(28, false, 0x8000_0000, 1).1, 0x8000_0000);
    // amomax.w is signed: max(-2^31, 0) = 0 (the upper half of rs2 is ignored).
    assert_eq!(amo_run(20, false, 0x8000_0000, 0xffff_ffff_0000_0000).1, 0);
    // amomin.w: min(-2^31, 5) = -2^31.
    assert_eq!(amo_run(16, false, 0x8000_0000, 5).1, 0x8000_0000);
    // amomin.d / amomax.d / amominu.d / amomaxu.d on 64-bit values.
    assert_eq!(amo_run(16, true, MIN, 5).1, MIN);
    assert_eq!(amo_run(20, true, MIN, 5).1, 5);
    assert_eq!(amo_run(24, true, MIN, 5).1, 5);
    assert_eq!(amo_run(28, true, MIN, 5).1, MIN);
}

#[test]
fn amos_need_natural_alignment() {
    let mut m = machine(&[amo(0, 0, 0, 2, A0, A1, A2), ECALL]);
    m.cpu.x[A1 as usize] = 0x102;
    assert_eq!(m.run(CODE, 4), Stop::Fault(0x102));
}

#[test]
fn lr_sc_pairs() {
    let lr = amo(2, 1, 0, 3, A0, A1, 0); // lr.d.aq a0,(a1)
    let sc = amo(3, 0, 1, 3, A2, A1, A3); // sc.d.rl a2,a3,(a1)
                                          // Success, then a second SC fails: the reservation is gone.
    let mut m = machine(&[lr, sc, ECALL]);
    m.write(0x100, 8, 41);
    m.cpu.x[A1 as usize] = 0x100;
    m.cpu.x[A3 as usize] = 42;
    assert_eq!(m.run(CODE, 4), Stop::Exit(EXIT_ECALL));
    assert_eq!((m.cpu.x[A0 as usize], m.cpu.x[A2 as usize]), (41, 0));
    assert_eq!((m.read(0x100, 8), m.cpu.res_addr), (42, u64::MAX));
    m.cpu.x[A3 as usize] = 43;
    m.run(CODE + 4, 4); // the sc again, without an lr
    assert_eq!((m.cpu.x[A2 as usize], m.read(0x100, 8)), (1, 42));
    // Memory changed between LR and SC: SC fails and stores nothing.
    let sd = s(0, A0, A1, 3, 0x23); // sd a0,0(a1) (a0 = 41 + 1 below)
    let mut m = machine(&[lr, addi(A0, A0, 1), sd, sc, ECALL]);
    m.write(0x100, 8, 41);
    m.cpu.x[A1 as usize] = 0x100;
    m.cpu.x[A3 as usize] = 99;
    m.run(CODE, 4);
    assert_eq!((m.cpu.x[A2 as usize], m.read(0x100, 8)), (1, 42));
    // lr.w sign-extends and sc.w compares with that value.
    let lrw = amo(2, 0, 0, 2, A0, A1, 0);
    let scw = amo(3, 0, 0, 2, A2, A1, A3);
    let mut m = machine(&[lrw, scw, ECALL]);
    m.write(0x100, 8, 0x8000_0000);
    m.cpu.x[A1 as usize] = 0x100;
    m.cpu.x[A3 as usize] = 7;
    m.run(CODE, 4);
    assert_eq!(m.cpu.x[A0 as usize], 0xffff_ffff_8000_0000);
    assert_eq!((m.cpu.x[A2 as usize], m.read(0x100, 8)), (0, 7));
}

// ---- floating point ---------------------------------------------------------------

const BOX: u64 = 0xffff_ffff_0000_0000;

/// Runs `words` with f10..f13 (fa0..fa3) and a0..a3 preset.
fn fexec(words: &[u32], f: [u64; 4], x: [u64; 4]) -> Machine {
    let mut code = words.to_vec();
    code.push(ECALL);
    let mut m = machine(&code);
    m.cpu.f[10..14].copy_from_slice(&f);
    m.cpu.x[10..14].copy_from_slice(&x);
    assert_eq!(m.run(CODE, 16), Stop::Exit(EXIT_ECALL));
    m
}

#[test]
fn fp_arithmetic_goes_through_the_helpers() {
    // fadd.d fa0,fa1,fa2 (dyn rm, frm = RNE): 0.1 + 0.2 = 0x3fd3333333333334, inexact.
    let m = fexec(
        &[fp(1, 7, 10, 11, 12)],
        [0, 0.1f64.to_bits(), 0.2f64.to_bits(), 0],
        [0; 4],
    );
    assert_eq!(m.cpu.f[10], 0x3fd3_3333_3333_3334);
    assert_eq!(m.cpu.fflags, NX as u64);
    // fcvt.w.d a0,fa1,rtz of -2.7 = -2, inexact.
    let m = fexec(
        &[fp(0x61, 1, A0, 11, 0)],
        [0, (-2.7f64).to_bits(), 0, 0],
        [0; 4],
    );
    assert_eq!(m.cpu.x[A0 as usize], (-2i64) as u64);
    // fclass.d a0,fa1 of -0.0: bit 3.
    let m = fexec(
        &[fp(0x71, 1, A0, 11, 0)],
        [0, (-0.0f64).to_bits(), 0, 0],
        [0; 4],
    );
    assert_eq!(m.cpu.x[A0 as usize], 1 << 3);
    // feq.d zero,fa1,fa1 with a signalling NaN still raises NV.
    let m = fexec(
        &[fp(0x51, 2, 0, 11, 11)],
        [0, 0x7ff0_0000_0000_0001, 0, 0],
        [0; 4],
    );
    assert_eq!(m.cpu.fflags, NV as u64);
}

#[test]
fn single_precision_registers_are_nan_boxed() {
    // flw fa0,0(a1) boxes; fsw fa0,8(a1) stores the low word.
    let mut m = machine(&[i(0, A1, 2, 10, 0x07), s(8, 10, A1, 2, 0x27), ECALL]);
    m.write(0x100, 4, 1.0f32.to_bits() as u64);
    m.cpu.x[A1 as usize] = 0x100;
    m.run(CODE, 4);
    assert_eq!(m.cpu.f[10], BOX | 0x3f80_0000);
    assert_eq!(m.read(0x108, 8), 0x3f80_0000);
    // fmv.x.w sign-extends; fmv.w.x boxes the low word.
    let m = fexec(
        &[fp(0x70, 0, A0, 11, 0), fp(0x78, 0, 12, A1, 0)],
        [0, BOX | 0xbf80_0000, 0, 0],
        [0, 0x1234_5678_3f80_0000, 0, 0],
    );
    assert_eq!(m.cpu.x[A0 as usize], 0xffff_ffff_bf80_0000);
    assert_eq!(m.cpu.f[12], BOX | 0x3f80_0000);
    // fsgnj.s fa0,fa1,fa2 with fa1 improperly boxed: canonical NaN with
    // fa2's sign (-1.0f), boxed.
    let m = fexec(
        &[fp(0x10, 0, 10, 11, 12)],
        [0, 0x3f80_0000, BOX | 0xbf80_0000, 0],
        [0; 4],
    );
    assert_eq!(m.cpu.f[10], BOX | 0xffc0_0000);
    // fsgnjn.s fa0,fa1,fa1 negates; fsgnjx.s xors the signs.
    let m = fexec(
        &[fp(0x10, 1, 10, 11, 11)],
        [0, BOX | 0x3f80_0000, 0, 0],
        [0; 4],
    );
    assert_eq!(m.cpu.f[10], BOX | 0xbf80_0000);
    let m = fexec(
        &[fp(0x10, 2, 10, 11, 12)],
        [0, BOX | 0xbf80_0000, BOX | 0xc000_0000, 0],
        [0; 4],
    );
    assert_eq!(m.cpu.f[10], BOX | 0x3f80_0000);
}

#[test]
fn double_sign_injection_is_inline() {
    let one = 1.0f64.to_bits();
    let m2 = (-2.0f64).to_bits();
    // fsgnj.d / fsgnjn.d / fsgnjx.d fa0,fa1,fa2 with fa1 = 1, fa2 = -2.
    for (f3, want) in [(0, -1.0f64), (1, 1.0), (2, -1.0)] {
        let w = fp(0x11, f3, 10, 11, 12);
        let m = fexec(&[w], [0, one, m2, 0], [0; 4]);
        assert_eq!(m.cpu.f[10], want.to_bits(), "funct3 {f3}");
        let t = tr(&machine(&[w]), CODE, 1);
        assert!(t.block.insts.iter().all(|i| i.opc != Opcode::Call));
    }
}

#[test]
fn dynamic_rounding_checks_frm_once_per_block() {
    let fadd = fp(1, 7, 10, 11, 12);
    let fmul = fp(9, 7, 10, 11, 12);
    let frm_loads = |t: &Translated| {
        t.block
            .insts
            .iter()
            .filter(|i| i.opc == Opcode::LdEnv && i.consts[0] == OFF_FRM as u64)
            .count()
    };
    let t = tr(&machine(&[fadd, fmul, ECALL]), CODE, 64);
    assert_eq!(frm_loads(&t), 1);
    // A write to frm in between forces a new check.
    let t = tr(&machine(&[fadd, csr(5, 0, 2, 1), fmul, ECALL]), CODE, 64);
    assert_eq!(frm_loads(&t), 2);
    // A static rm needs none.
    let t = tr(&machine(&[fp(1, 1, 10, 11, 12), ECALL]), CODE, 64);
    assert_eq!(frm_loads(&t), 0);
}

#[test]
fn invalid_frm_makes_dynamic_rounding_illegal() {
    let fadd = fp(1, 7, 10, 11, 12);
    // csrrwi zero,frm,5 then fadd.d (dyn): illegal at the fadd.
    let mut m = machine(&[csr(5, 0, 2, 5), fadd, ECALL]);
    assert_eq!(m.run(CODE, 4), Stop::Exit(EXIT_ILLEGAL));
    assert_eq!(
        (m.cpu.pc, m.cpu.badinsn, m.cpu.frm),
        (0x1004, fadd as u64, 5)
    );
    // A static rounding mode does not care.
    let mut m = machine(&[csr(5, 0, 2, 5), fp(1, 0, 10, 11, 12), ECALL]);
    assert_eq!(m.run(CODE, 4), Stop::Exit(EXIT_ECALL));
}

#[test]
fn fp_csrs() {
    // csrrw a0,fcsr,a1 with a1 = 0xff: frm = 7, fflags = 0x1f; a0 = old fcsr.
    let mut m = machine(&[csr(1, A0, 3, A1), ECALL]);
    m.cpu.frm = 2;
    m.cpu.fflags = 1;
    m.cpu.x[A1 as usize] = 0xff;
    m.run(CODE, 4);
    assert_eq!(
        (m.cpu.x[A0 as usize], m.cpu.frm, m.cpu.fflags),
        (0x41, 7, 0x1f)
    );
    // csrrci a0,fflags,1 clears NX; csrrs a1,frm,zero reads without writing.
    let mut m = machine(&[csr(7, A0, 1, 1), csr(2, A1, 2, 0), ECALL]);
    m.cpu.fflags = 0x11;
    m.cpu.frm = 3;
    m.run(CODE, 4);
    assert_eq!(
        (m.cpu.x[A0 as usize], m.cpu.fflags, m.cpu.x[A1 as usize]),
        (0x11, 0x10, 3)
    );
    // csrrs a0,fflags,a1 sets bits (masked to 5).
    let mut m = machine(&[csr(2, A0, 1, A1), ECALL]);
    m.cpu.x[A1 as usize] = 0xff;
    m.run(CODE, 4);
    assert_eq!(m.cpu.fflags, 0x1f);
}

// ---- a compiled program, against qemu-riscv64 ------------------------------------

/// Loads an ELF64 executable's PT_LOAD segments; returns the entry point.
fn load_elf(m: &mut Machine, elf: &[u8]) -> u64 {
    let u16_at = |o: usize| u16::from_le_bytes(elf[o..o + 2].try_into().unwrap()) as usize;
    let u64_at = |o: usize| u64::from_le_bytes(elf[o..o + 8].try_into().unwrap());
    assert_eq!(&elf[..4], b"\x7fELF");
    let (phoff, phentsize, phnum) = (u64_at(0x20) as usize, u16_at(0x36), u16_at(0x38));
    for k in 0..phnum {
        let ph = phoff + k * phentsize;
        if u32::from_le_bytes(elf[ph..ph + 4].try_into().unwrap()) != 1 {
            continue;
        }
        let (off, vaddr, filesz) = (
            u64_at(ph + 8) as usize,
            u64_at(ph + 16) as usize,
            u64_at(ph + 32) as usize,
        );
        m.mem[vaddr..vaddr + filesz].copy_from_slice(&elf[off..off + filesz]);
    }
    u64_at(0x18)
}

/// Runs a freestanding program (write and exit syscalls only) to its exit;
/// returns what it wrote to stdout.
fn run_program(m: &mut Machine, entry: u64) -> Vec<u8> {
    let mut cache = std::collections::HashMap::new();
    let mut stdout = Vec::new();
    m.cpu.pc = entry;
    loop {
        let pc = m.cpu.pc;
        let block = cache
            .entry(pc)
            .or_insert_with(|| translate(&*m, pc, 512).expect("mapped code").block)
            .clone();
        match m.exec(&block) {
            Stop::GotoTb(_) | Stop::GotoPtr(_) => {}
            Stop::Exit(EXIT_ECALL) => {
                let (a0, a1, a2, a7) = (m.cpu.x[10], m.cpu.x[11], m.cpu.x[12], m.cpu.x[17]);
                match a7 {
                    64 => {
                        assert_eq!(a0, 1, "write to stdout");
                        stdout.extend_from_slice(&m.mem[a1 as usize..(a1 + a2) as usize]);
                        m.cpu.x[10] = a2;
                    }
                    93 | 94 => return stdout,
                    other => panic!("unexpected syscall {other}"),
                }
                m.cpu.pc += 4;
            }
            other => panic!("stopped with {other:?} at {:#x}", m.cpu.pc),
        }
    }
}

/// `tests/data/semantics.c` exercises FP arithmetic in every rounding mode,
/// conversions, comparisons, NaN-boxing, the FP CSRs, integer and M
/// instructions and AMO/LR/SC on many operands, printing every result and
/// flag set. Its output under this frontend must equal qemu-riscv64's.
#[test]
fn compiled_program_matches_qemu() {
    program_matches_qemu("semantics.c", "rv64gc");
}

/// `tests/data/zb.c` runs every Zba/Zbb/Zbs instruction on edge operands.
/// qemu-riscv64 7.2's default CPU implements all three extensions.
#[test]
fn bitmanip_program_matches_qemu() {
    program_matches_qemu("zb.c", "rv64gc_zba_zbb_zbs");
}

/// Compiles `tests/data/<file>` freestanding for `march`, runs it under
/// qemu-riscv64 and under this frontend, and compares what both print.
fn program_matches_qemu(file: &str, march: &str) {
    use std::process::Command;
    let have = |t: &str| {
        Command::new(t)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let (gcc, qemu) = ("riscv64-linux-gnu-gcc", "qemu-riscv64");
    if !have(gcc) || !have(qemu) {
        println!("skipped: needs {gcc} and {qemu} (Debian: gcc-riscv64-linux-gnu, qemu-user)");
        return;
    }
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(file);
    let elf = std::env::temp_dir().join(format!("polyvm-{file}-{}.elf", std::process::id()));
    let st = Command::new(gcc)
        .arg("-O2")
        .arg(format!("-march={march}"))
        .args(["-mabi=lp64d", "-nostdlib", "-static", "-ffreestanding"])
        .args([
            "-fno-builtin",
            "-Wl,--no-relax",
            "-Wl,--build-id=none",
            "-o",
        ])
        .arg(&elf)
        .arg(&src)
        .status()
        .unwrap();
    assert!(st.success());
    let want = Command::new(qemu).arg(&elf).output().unwrap();
    assert!(want.status.success());
    let mut m = Machine::new(4 << 20);
    let entry = load_elf(&mut m, &std::fs::read(&elf).unwrap());
    m.cpu.x[2] = (4 << 20) - 64; // sp
    let got = run_program(&mut m, entry);
    let _ = std::fs::remove_file(&elf);
    let words = |b: &[u8]| -> Vec<u64> {
        b.chunks(8)
            .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
            .collect()
    };
    let (g, w) = (words(&got), words(&want.stdout));
    assert_eq!(g.len(), w.len(), "output length");
    let diffs: Vec<String> = g
        .iter()
        .zip(&w)
        .enumerate()
        .filter(|(_, (a, b))| a != b)
        .take(20)
        .map(|(k, (a, b))| format!("word {k}: ours {a:#018x}, qemu {b:#018x}"))
        .collect();
    assert!(
        diffs.is_empty(),
        "{} words, differences:\n{}",
        g.len(),
        diffs.join("\n")
    );
    println!("{file}: {} result words agree with qemu-riscv64", g.len());
}
