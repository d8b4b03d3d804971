//! Unit tests: single ops against hand-computed results, memory faults,
//! control flow. Property tests against the IR constant folder live in the
//! testsuite (they need both crates).

use super::*;
use polyvm_ir::abi::{Access, FaultKind, ENV_SCRATCH_BYTES, PAGE_READ, PAGE_WRITE};
use polyvm_ir::{Builder, Cond, GlobalDecl, MemOp, Opcode, Type};
use std::sync::Arc;

const NREGS: usize = 8;

fn globals() -> Arc<[GlobalDecl]> {
    (0..NREGS)
        .map(|i| GlobalDecl {
            name: format!("r{i}"),
            ty: Type::I64,
            offset: (i * 8) as u32,
        })
        .collect()
}

/// A frame: NREGS u64 registers plus the scratch area.
fn frame() -> Vec<u64> {
    vec![0u64; NREGS + ENV_SCRATCH_BYTES / 8]
}

fn no_mem() -> GuestMemView {
    GuestMemView {
        base: std::ptr::null_mut(),
        size: 0,
        page_flags: std::ptr::null(),
        page_shift: 12,
    }
}

fn run(b: Builder, regs: &[u64], mem: &GuestMemView) -> (Vec<u64>, TbExit) {
    let block = b.finish();
    let code = Interp.compile(&block, NREGS * 8, 0).expect("compiles");
    let mut f = frame();
    f[..regs.len()].copy_from_slice(regs);
    // SAFETY: the frame is NREGS registers plus the scratch area.
    let exit = unsafe { Interp.exec(&code, f.as_mut_ptr() as *mut u8, mem) };
    (f[..NREGS].to_vec(), exit)
}

fn binop(opc: Opcode, ty: Type, a: u64, b: u64) -> u64 {
    let mut bld = Builder::new(0, Type::I64, globals());
    let (r0, r1, r2) = (bld.global(0), bld.global(1), bld.global(2));
    bld.binop(opc, ty, r2, r0, r1);
    bld.exit_tb(0);
    run(bld, &[a, b], &no_mem()).0[2]
}

#[test]
fn arithmetic_matches_hand_computed_values() {
    use Opcode::*;
    assert_eq!(binop(Add, Type::I64, u64::MAX, 2), 1);
    assert_eq!(binop(Add, Type::I32, 0xffff_ffff, 2), 1);
    assert_eq!(binop(Sub, Type::I64, 1, 2), u64::MAX);
    assert_eq!(binop(Mul, Type::I32, 0x10000, 0x10000), 0);
    // (-1) * (-1) = 1: high half 0; as unsigned (2^64-1)^2 high half is 2^64-2.
    assert_eq!(binop(MulSH, Type::I64, u64::MAX, u64::MAX), 0);
    assert_eq!(binop(MulUH, Type::I64, u64::MAX, u64::MAX), u64::MAX - 1);
    // -1 (signed) * (2^64-1) (unsigned) = -(2^64-1): high half is -1.
    assert_eq!(binop(MulSUH, Type::I64, u64::MAX, u64::MAX), u64::MAX);
    // Division corner cases as the op table defines them.
    assert_eq!(binop(DivS, Type::I64, 7, 0), u64::MAX);
    assert_eq!(
        binop(DivS, Type::I64, i64::MIN as u64, u64::MAX),
        i64::MIN as u64
    );
    assert_eq!(binop(RemS, Type::I64, i64::MIN as u64, u64::MAX), 0);
    assert_eq!(binop(RemS, Type::I64, 7, 0), 7);
    assert_eq!(binop(DivU, Type::I32, 7, 0), 0xffff_ffff);
    assert_eq!(binop(RemU, Type::I32, 7, 0), 7);
    assert_eq!(
        binop(DivS, Type::I32, 0x8000_0000, 0xffff_ffff),
        0x8000_0000
    );
    assert_eq!(binop(DivS, Type::I64, (-7i64) as u64, 2), (-3i64) as u64);
    assert_eq!(binop(RemS, Type::I64, (-7i64) as u64, 2), (-1i64) as u64);
    // Shift amounts are taken modulo the width.
    assert_eq!(binop(Shl, Type::I64, 1, 65), 2);
    assert_eq!(binop(Shl, Type::I32, 1, 33), 2);
    assert_eq!(binop(Sar, Type::I32, 0x8000_0000, 31), 0xffff_ffff);
    assert_eq!(binop(Shr, Type::I64, 1 << 63, 63), 1);
    assert_eq!(binop(Rotl, Type::I32, 0x8000_0001, 1), 3);
    assert_eq!(binop(Rotr, Type::I64, 1, 1), 1 << 63);
    assert_eq!(binop(AndC, Type::I64, 0b1111, 0b0101), 0b1010);
}

#[test]
fn field_ops_and_conditions() {
    let mut b = Builder::new(0, Type::I64, globals());
    let (r0, r1, r2, r3, r4, r5) = (
        b.global(0),
        b.global(1),
        b.global(2),
        b.global(3),
        b.global(4),
        b.global(5),
    );
    b.extract(Type::I64, r2, r0, 4, 8); // 0xabcd >> 4 & 0xff = 0xbc
    b.sextract(Type::I64, r3, r0, 8, 8); // 0xab sign-extended
    b.deposit(Type::I64, r4, r0, r1, 0, 4); // 0xabcd with low nibble = 7
    b.setcond(Type::I64, Cond::Ltu, r5, r1, r0); // 7 < 0xabcd
    b.exit_tb(0);
    let (regs, _) = run(b, &[0xabcd, 7], &no_mem());
    assert_eq!(regs[2], 0xbc);
    assert_eq!(regs[3], 0xffff_ffff_ffff_ffab);
    assert_eq!(regs[4], 0xabc7);
    assert_eq!(regs[5], 1);
}

#[test]
fn loop_with_labels_counts_down() {
    // r1 = 0; do { r1 += r0; r0 -= 1 } while r0 != 0   (sum 1..=10 = 55)
    let mut b = Builder::new(0, Type::I64, globals());
    let (r0, r1) = (b.global(0), b.global(1));
    let top = b.new_label();
    b.set_label(top);
    b.binop(Opcode::Add, Type::I64, r1, r1, r0);
    b.binop_imm(Opcode::Sub, Type::I64, r0, r0, 1);
    let zero = b.const_i64(0);
    b.brcond(Type::I64, Cond::Ne, r0, zero, top);
    b.goto_tb(1);
    let (regs, exit) = run(b, &[10, 0], &no_mem());
    assert_eq!(regs[1], 55);
    assert_eq!(exit, TbExit::GotoTb { slot: 1, tag: 0 });
}

#[test]
fn memory_access_and_precise_faults() {
    // Two pages: page 0 read-only, page 1 read-write.
    let mut backing = vec![0u8; 8192];
    backing[4..8].copy_from_slice(&0x8000_0001u32.to_le_bytes());
    let flags = [PAGE_READ, PAGE_READ | PAGE_WRITE];
    let mem = GuestMemView {
        base: backing.as_mut_ptr(),
        size: 8192,
        page_flags: flags.as_ptr(),
        page_shift: 12,
    };
    let mut b = Builder::new(0x1000, Type::I64, globals());
    let (r0, r1, r2) = (b.global(0), b.global(1), b.global(2));
    b.insn_start(0x1000);
    b.qemu_ld(Type::I64, r1, r0, MemOp::le(4, true), 0); // sign-extending load
    b.insn_start(0x1004);
    b.qemu_st(Type::I64, r1, r2, MemOp::le(8, false), 0); // store to r2
    b.exit_tb(0);
    let block = b.finish();
    let code = Interp.compile(&block, NREGS * 8, 0).unwrap();

    // Store into the writable page succeeds.
    let mut f = frame();
    f[0] = 4;
    f[2] = 4096 + 8;
    // SAFETY: frame sized for NREGS + scratch; mem is live.
    let exit = unsafe { Interp.exec(&code, f.as_mut_ptr() as *mut u8, &mem) };
    assert_eq!(exit, TbExit::Exit(0));
    assert_eq!(f[1], 0xffff_ffff_8000_0001);
    assert_eq!(
        &backing[4104..4112],
        &0xffff_ffff_8000_0001u64.to_le_bytes()
    );

    // Store into the read-only page faults at the second instruction.
    f[2] = 16;
    // SAFETY: as above.
    let exit = unsafe { Interp.exec(&code, f.as_mut_ptr() as *mut u8, &mem) };
    match exit {
        TbExit::Fault(fl) => {
            assert_eq!(fl.pc, 0x1004);
            assert_eq!(fl.addr, 16);
            assert_eq!(fl.access, Access::Write);
            assert_eq!(fl.kind, FaultKind::Protection);
        }
        e => panic!("expected a fault, got {e:?}"),
    }

    // A load straddling the end of guest memory faults at the first one.
    f[0] = 8190;
    // SAFETY: as above.
    let exit = unsafe { Interp.exec(&code, f.as_mut_ptr() as *mut u8, &mem) };
    assert!(matches!(exit, TbExit::Fault(fl) if fl.pc == 0x1000 && fl.kind == FaultKind::Unmapped));
}

#[test]
fn unbound_helpers_and_huge_blocks_are_compile_errors() {
    let mut b = Builder::new(0, Type::I64, globals());
    let h = polyvm_ir::HelperDecl {
        name: "nothing".into(),
        nargs: 0,
        ret: None,
        flags: polyvm_ir::HelperFlags::empty(),
        func: None,
    };
    b.call(&h, None, &[]);
    b.exit_tb(0);
    assert!(matches!(
        Interp.compile(&b.finish(), NREGS * 8, 0),
        Err(CompileError::UnboundHelper(_))
    ));

    let mut b = Builder::new(0, Type::I64, globals());
    for _ in 0..ENV_SCRATCH_BYTES / 8 {
        let r0 = b.global(0);
        b.binop_imm(Opcode::Add, Type::I64, r0, r0, 1);
    }
    b.exit_tb(0);
    assert!(matches!(
        Interp.compile(&b.finish(), NREGS * 8, 0),
        Err(CompileError::TooLarge { .. })
    ));
}

unsafe extern "C" fn add3(_env: *mut u8, a: u64, b: u64, c: u64, _d: u64) -> u64 {
    a + b + c
}

#[test]
fn helper_calls_receive_arguments() {
    let mut b = Builder::new(0, Type::I64, globals());
    let h = polyvm_ir::HelperDecl {
        name: "add3".into(),
        nargs: 3,
        ret: Some(Type::I64),
        flags: polyvm_ir::HelperFlags::PURE,
        func: Some(add3),
    };
    let (r0, r1, r2, r3) = (b.global(0), b.global(1), b.global(2), b.global(3));
    b.call(&h, Some(r3), &[r0, r1, r2]);
    b.exit_tb(5);
    let (regs, exit) = run(b, &[1, 20, 300], &no_mem());
    assert_eq!(regs[3], 321);
    assert_eq!(exit, TbExit::Exit(5));
}
