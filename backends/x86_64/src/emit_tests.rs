//! Tests of the x86-64 backend: emitted bytes checked through a disassembler
//! (iced-x86), and execution compared with the interpreter, the oracle —
//! on hand-written blocks and on random ones (proptest).

use std::sync::Arc;

use iced_x86::{Decoder, DecoderOptions, Formatter, IntelFormatter};
use polyvm_backend_interp::Interp;
use polyvm_ir::abi::{
    scratch_offset, Backend, GuestMemView, TbExit, ENV_SCRATCH_BYTES, PAGE_READ, PAGE_WRITE,
};
use polyvm_ir::{Block, Builder, Cond, GlobalDecl, MemOp, Opcode, Temp, Type};
use proptest::prelude::*;

use crate::X86_64;

const NREGS: usize = 8;
const ENV: usize = NREGS * 8;

fn globals() -> Arc<[GlobalDecl]> {
    (0..NREGS)
        .map(|i| GlobalDecl {
            name: format!("r{i}"),
            ty: Type::I64,
            offset: (i * 8) as u32,
        })
        .collect()
}

/// Guest memory for tests: 4 host pages whose protections mirror the guest
/// flags, as the runtime's guest memory does: page 2 read-only, page 3
/// unmapped (and outside the guest size).
struct Mem {
    base: *mut u8,
    flags: Vec<u8>,
}

const PAGES: usize = 4;

impl Mem {
    fn new() -> Mem {
        // SAFETY: a fresh anonymous mapping, filled and protected before use.
        let base = unsafe {
            let p = libc::mmap(
                std::ptr::null_mut(),
                PAGES * 4096,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            assert_ne!(p, libc::MAP_FAILED);
            let p = p as *mut u8;
            for i in 0..PAGES * 4096 {
                *p.add(i) = (i * 7 + 3) as u8;
            }
            libc::mprotect(p.add(2 * 4096) as *mut _, 4096, libc::PROT_READ);
            libc::mprotect(p.add(3 * 4096) as *mut _, 4096, libc::PROT_NONE);
            p
        };
        Mem {
            base,
            flags: vec![PAGE_READ | PAGE_WRITE, PAGE_READ | PAGE_WRITE, PAGE_READ, 0],
        }
    }
    fn view(&mut self) -> GuestMemView {
        GuestMemView {
            base: self.base,
            size: 3 * 4096,
            page_flags: self.flags.as_ptr(),
            page_shift: 12,
        }
    }
    fn contents(&self) -> Vec<u8> {
        // SAFETY: the first three pages are readable.
        unsafe { std::slice::from_raw_parts(self.base, 3 * 4096) }.to_vec()
    }
}

impl Drop for Mem {
    fn drop(&mut self) {
        // SAFETY: unmapping this test's own mapping.
        unsafe { libc::munmap(self.base as *mut _, PAGES * 4096) };
    }
}

fn frame(regs: &[u64]) -> Vec<u64> {
    let mut f = vec![0u64; (scratch_offset(ENV) + ENV_SCRATCH_BYTES) / 8];
    f[..regs.len()].copy_from_slice(regs);
    f
}

/// Runs `block` on a backend; returns registers, exit and memory.
fn run_on<B: Backend>(b: &mut B, block: &Block, regs: &[u64]) -> (Vec<u64>, TbExit, Vec<u8>) {
    let code = b.compile(block, ENV, 7).expect("compiles");
    let mut mem = Mem::new();
    let mut f = frame(regs);
    let view = mem.view();
    // SAFETY: the frame is the 8 registers plus scratch; memory is live.
    let exit = unsafe { b.exec(&code, f.as_mut_ptr() as *mut u8, &view) };
    (f[..NREGS].to_vec(), exit, mem.contents())
}

/// Runs `block` on the interpreter and on the JIT, without and with
/// pinned globals (r1, r2, r5, r0, r7, r3 kept in host registers); all
/// must agree.
fn both(block: &Block, regs: &[u64]) -> (Vec<u64>, TbExit) {
    let (ir, ie, im) = run_on(&mut Interp, block, regs);
    for hot in [&[][..], &[1, 2, 5, 0, 7, 3][..]] {
        let mut jit = X86_64::new(4).expect("host supports the JIT");
        jit.set_hints(&polyvm_ir::abi::FrontendHints {
            hot_globals: hot,
            pc_offset: None,
        });
        let (jr, je, jm) = run_on(&mut jit, block, regs);
        assert_eq!(jr, ir, "registers differ (pinned {hot:?})\n{block}");
        assert_eq!(je, ie, "exits differ (pinned {hot:?})\n{block}");
        assert!(jm == im, "memory differs (pinned {hot:?})\n{block}");
    }
    (ir, ie)
}

fn binop_block(opc: Opcode, ty: Type) -> Block {
    let mut b = Builder::new(0x1000, Type::I64, globals());
    let (r0, r1, r2) = (b.global(0), b.global(1), b.global(2));
    b.binop(opc, ty, r2, r0, r1);
    b.exit_tb(0);
    b.finish()
}

#[test]
fn division_corner_cases_match_the_interpreter() {
    for opc in [Opcode::DivS, Opcode::DivU, Opcode::RemS, Opcode::RemU] {
        for ty in [Type::I32, Type::I64] {
            let block = binop_block(opc, ty);
            for (a, b) in [
                (100u64, 100u64),
                (7, 0),
                (i64::MIN as u64, u64::MAX),
                (0x8000_0000, 0xffff_ffff),
                ((-7i64) as u64, 2),
                (12345, 10),
            ] {
                let a = if ty == Type::I32 { a as u32 as u64 } else { a };
                let b = if ty == Type::I32 { b as u32 as u64 } else { b };
                both(&block, &[a, b]);
            }
        }
    }
}

#[test]
fn every_binary_op_matches_the_interpreter_on_edge_values() {
    let edges = [
        0u64,
        1,
        2,
        31,
        32,
        63,
        64,
        0x7fff_ffff,
        0x8000_0000,
        u64::MAX,
        1 << 63,
    ];
    for &opc in polyvm_ir::ALL_OPCODES {
        let d = opc.def();
        if d.nout != 1 || d.nin != 2 || !d.consts.is_empty() {
            continue;
        }
        for ty in [Type::I32, Type::I64] {
            let block = binop_block(opc, ty);
            for &a in &edges {
                for &b in &edges {
                    both(&block, &[ty.mask(a), ty.mask(b)]);
                }
            }
        }
    }
}

#[test]
fn memory_faults_are_precise() {
    let mut b = Builder::new(0x1000, Type::I64, globals());
    let (r0, r1, r2, r3) = (b.global(0), b.global(1), b.global(2), b.global(3));
    b.insn_start(0x1000);
    b.binop_imm(Opcode::Add, Type::I64, r3, r3, 5);
    b.insn_start(0x1004);
    b.qemu_ld(Type::I64, r1, r0, MemOp::le(4, true), 0);
    b.insn_start(0x1008);
    b.qemu_st(Type::I64, r1, r2, MemOp::le(8, false), 0);
    b.exit_tb(3);
    let block = b.finish();
    // Success, a protection fault, an unmapped page, out of range, misaligned.
    both(&block, &[8, 0, 4096 + 16, 0]);
    let (regs, exit) = both(&block, &[8, 0, 2 * 4096 + 8, 0]);
    assert_eq!(regs[3], 5, "the first instruction completed");
    assert!(matches!(exit, TbExit::Fault(f) if f.pc == 0x1008 && f.addr == 2 * 4096 + 8));
    let (_, exit) = both(&block, &[3 * 4096 - 2, 0, 0, 0]);
    assert!(matches!(exit, TbExit::Fault(f) if f.pc == 0x1004));
    both(&block, &[1 << 40, 0, 0, 0]);
    both(&block, &[u64::MAX - 1, 0, 0, 0]);

    let mut b = Builder::new(0x1000, Type::I64, globals());
    let (r0, r1) = (b.global(0), b.global(1));
    b.insn_start(0x1000);
    b.qemu_ld(Type::I64, r1, r0, MemOp::le(8, false).with_align(), 0);
    b.exit_tb(0);
    let block = b.finish();
    both(&block, &[16, 0]);
    let (_, exit) = both(&block, &[17, 0]);
    assert!(matches!(exit, TbExit::Fault(f) if f.kind == polyvm_ir::abi::FaultKind::Misaligned));
}

#[test]
fn branches_and_loops_keep_registers_consistent() {
    // r1 = sum of r0 down to 1, with a local accumulator live across the loop.
    let mut b = Builder::new(0x1000, Type::I64, globals());
    let (r0, r1) = (b.global(0), b.global(1));
    let acc = b.temp(Type::I64);
    b.movi(Type::I64, acc, 0);
    let top = b.new_label();
    b.set_label(top);
    b.binop(Opcode::Add, Type::I64, acc, acc, r0);
    b.binop_imm(Opcode::Sub, Type::I64, r0, r0, 1);
    let zero = b.const_i64(0);
    b.brcond(Type::I64, Cond::Ne, r0, zero, top);
    b.mov(Type::I64, r1, acc);
    b.goto_tb(1);
    let block = b.finish();
    let (regs, exit) = both(&block, &[10, 0]);
    assert_eq!(regs[1], 55);
    assert_eq!(exit, TbExit::GotoTb { slot: 1, tag: 7 });
}

/// Disassembles `bytes` (placed at `ip`) as Intel syntax, one line each.
fn disasm(bytes: &[u8], ip: u64) -> Vec<String> {
    let mut d = Decoder::with_ip(64, bytes, ip, DecoderOptions::NONE);
    let mut f = IntelFormatter::new();
    let mut out = Vec::new();
    while d.can_decode() {
        let i = d.decode();
        let mut s = String::new();
        f.format(&i, &mut s);
        out.push(s);
    }
    out
}

#[test]
fn emitted_forms_disassemble_as_intended() {
    // add.i64 r2, r2, 5 on a global: load, add imm, write back at exit.
    let mut b = Builder::new(0x1000, Type::I64, globals());
    let r2 = b.global(2);
    b.insn_start(0x1000);
    b.binop_imm(Opcode::Add, Type::I64, r2, r2, 5);
    b.exit_tb(0);
    let block = b.finish();
    let ctx = crate::emit::Ctx {
        block: &block,
        scratch: ENV as i32,
        epilogue: 0x10_0000,
        jump_cache: 0x20_0000,
        tag: 0,
        base: 0x10_0000 - 0x1000,
        first_site: 0,
        scratch_room: 4096,
        pins: &[],
        pc_global: None,
    };
    let em = crate::emit::emit_block(&ctx).unwrap();
    let text = disasm(&em.bytes, ctx.base as u64);
    let expect = [
        "add r13,1",
        "mov rbx,[rbp+10h]",
        "add rbx,5",
        "mov [rbp+10h],rbx",
        "xor eax,eax",
        "jmp short 00000000000FF016h",
    ];
    assert_eq!(&text[..5], &expect[..5], "{text:#?}");
    // The epilogue jump is an absolute target reached through rel32.
    assert!(
        text.iter().any(|l| l == "jmp 0000000000100000h"),
        "{text:#?}"
    );
    // Small immediates use the sign-extended imm8 form: REX.W 83 /0 ib.
    assert!(
        em.bytes.windows(4).any(|w| w == [0x48, 0x83, 0xc3, 0x05]),
        "{:02x?}",
        em.bytes
    );
}

/// A random straight-line block over the registers, with optional memory
/// ops and a conditional exit: the property test's program generator.
fn arb_block() -> impl Strategy<Value = (Block, Vec<u64>)> {
    let op = prop_oneof![
        Just(Opcode::Mov),
        Just(Opcode::Add),
        Just(Opcode::Sub),
        Just(Opcode::Mul),
        Just(Opcode::And),
        Just(Opcode::Or),
        Just(Opcode::Xor),
        Just(Opcode::AndC),
        Just(Opcode::Shl),
        Just(Opcode::Shr),
        Just(Opcode::Sar),
        Just(Opcode::Rotl),
        Just(Opcode::Rotr),
        Just(Opcode::MulSH),
        Just(Opcode::MulUH),
        Just(Opcode::MulSUH),
        Just(Opcode::DivS),
        Just(Opcode::DivU),
        Just(Opcode::RemS),
        Just(Opcode::RemU),
        Just(Opcode::SetCond),
        Just(Opcode::Neg),
        Just(Opcode::Not),
        Just(Opcode::Ext8S),
        Just(Opcode::Ext16U),
        Just(Opcode::Ext32S),
        Just(Opcode::Clz),
        Just(Opcode::Ctpop),
        Just(Opcode::Extract),
        Just(Opcode::SExtract),
        Just(Opcode::Deposit),
        Just(Opcode::MovCond),
        Just(Opcode::QemuLd),
        Just(Opcode::QemuSt),
    ];
    let step = (
        op,
        0..NREGS + 3,
        0..NREGS + 3,
        0..NREGS + 3,
        any::<u64>(),
        any::<bool>(),
        0u32..64,
        1u32..64,
    );
    (
        prop::collection::vec(step, 1..24),
        prop::collection::vec(any::<u64>(), NREGS),
        any::<bool>(),
    )
        .prop_map(|(steps, regs, cond_exit)| {
            let mut b = Builder::new(0x1000, Type::I64, globals());
            let locals: Vec<Temp> = (0..3).map(|_| b.temp(Type::I64)).collect();
            for l in &locals {
                b.movi(Type::I64, *l, 0x1234);
            }
            let pick = |b: &Builder, i: usize| {
                if i < NREGS {
                    b.global(i)
                } else {
                    locals[i - NREGS]
                }
            };
            for (n, (opc, d, a, c, imm, use_imm, pos, len)) in steps.into_iter().enumerate() {
                b.insn_start(0x1000 + 4 * n as u64);
                let (d, a) = (pick(&b, d), pick(&b, a));
                let c = if use_imm {
                    b.const_i64(imm % 300)
                } else {
                    pick(&b, c)
                };
                let ty = Type::I64;
                // Odd immediates run plain arithmetic in i32: truncate the
                // operands, operate, sign-extend back (as `*w` ops do).
                let narrow = imm & 1 == 1
                    && (opc.def().nin == 1 || opc.def().nin == 2)
                    && opc.def().consts.is_empty()
                    && !matches!(opc, Opcode::QemuLd | Opcode::QemuSt | Opcode::Ext32S);
                if narrow {
                    let (na, nc, nd) = (b.temp(Type::I32), b.temp(Type::I32), b.temp(Type::I32));
                    b.unop(Opcode::Trunc, Type::I32, na, a);
                    b.unop(Opcode::Trunc, Type::I32, nc, c);
                    if opc.def().nin == 1 {
                        b.unop(opc, Type::I32, nd, na);
                    } else {
                        b.binop(opc, Type::I32, nd, na, nc);
                    }
                    b.unop(Opcode::ExtI32S, Type::I64, d, nd);
                    continue;
                }
                match opc {
                    Opcode::SetCond => b.setcond(ty, Cond::ALL[(imm % 10) as usize], d, a, c),
                    Opcode::MovCond => {
                        let e = pick(&b, (imm % 8) as usize);
                        b.movcond(ty, Cond::ALL[(imm % 10) as usize], d, a, c, e, a)
                    }
                    Opcode::Extract | Opcode::SExtract | Opcode::Deposit => {
                        let pos = pos % 64;
                        let len = 1 + (len - 1) % (64 - pos);
                        match opc {
                            Opcode::Extract => b.extract(ty, d, a, pos, len),
                            Opcode::SExtract => b.sextract(ty, d, a, pos, len),
                            _ => b.deposit(ty, d, a, c, pos, len),
                        }
                    }
                    Opcode::QemuLd | Opcode::QemuSt => {
                        // Addresses mostly inside memory, sometimes not.
                        let addr = b.temp(Type::I64);
                        b.binop_imm(
                            Opcode::And,
                            Type::I64,
                            addr,
                            a,
                            if imm % 5 == 0 { u64::MAX } else { 0x3fff },
                        );
                        let mop = MemOp::le(1 << (imm % 4), imm & 4 != 0);
                        if opc == Opcode::QemuLd {
                            b.qemu_ld(ty, d, addr, mop, 0);
                        } else {
                            b.qemu_st(ty, c, addr, mop, 0);
                        }
                    }
                    // A mov from a constant or from another register.
                    Opcode::Mov => b.mov(ty, d, if use_imm { c } else { a }),
                    o if o.def().nin == 1 => b.unop(o, ty, d, a),
                    o => b.binop(o, ty, d, a, c),
                }
            }
            // Block ends: a plain exit, a conditional exit_tb, or the
            // frontends' conditional pair of chainable exits (which the JIT
            // turns into jcc/jmp rel32).
            match (cond_exit, regs[7] % 3) {
                (false, _) => b.exit_tb(2),
                (true, 0) => {
                    let l = b.new_label();
                    let (r0, r1) = (b.global(0), b.global(1));
                    b.brcond(Type::I64, Cond::Ltu, r0, r1, l);
                    b.exit_tb(1);
                    b.set_label(l);
                    b.exit_tb(2);
                }
                (true, _) => {
                    let l = b.new_label();
                    let (r0, r1) = (b.global(0), b.global(1));
                    b.brcond(Type::I64, Cond::ALL[(regs[6] % 10) as usize], r0, r1, l);
                    b.goto_tb(0);
                    b.set_label(l);
                    b.goto_tb(1);
                }
            }
            (b.finish(), regs)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn random_blocks_agree_with_the_interpreter((block, regs) in arb_block()) {
        both(&block, &regs);
    }
}

#[test]
fn a_full_buffer_asks_for_a_flush_and_works_after_it() {
    let mut jit = X86_64::with_buffer_bytes(4096).unwrap();
    let block = binop_block(Opcode::Add, Type::I64);
    let mut n = 0;
    let err = loop {
        match jit.compile(&block, ENV, n) {
            Ok(_) => n += 1,
            Err(e) => break e,
        }
        assert!(n < 1000, "a 4 KiB buffer never filled");
    };
    assert_eq!(err, polyvm_ir::abi::CompileError::BufferFull);
    jit.flush();
    let (regs, _, _) = run_on(&mut jit, &block, &[40, 2]);
    assert_eq!(regs[2], 42);
}

#[test]
fn linked_blocks_run_straight_through() {
    // Block A: r0 += 1, goto_tb 0. Block B: r1 = r0 * 10, exit_tb 9.
    let mut a = Builder::new(0x1000, Type::I64, globals());
    let r0 = a.global(0);
    a.insn_start(0x1000);
    a.binop_imm(Opcode::Add, Type::I64, r0, r0, 1);
    a.goto_tb(0);
    let a = a.finish();
    let mut b = Builder::new(0x2000, Type::I64, globals());
    let (r0, r1) = (b.global(0), b.global(1));
    b.insn_start(0x2000);
    b.binop_imm(Opcode::Mul, Type::I64, r1, r0, 10);
    b.exit_tb(9);
    let b = b.finish();
    let mut jit = X86_64::new(1).unwrap();
    let ca = jit.compile(&a, ENV, 1).unwrap();
    let cb = jit.compile(&b, ENV, 2).unwrap();
    let mut mem = Mem::new();
    let view = mem.view();
    let mut f = frame(&[4]);
    // SAFETY: frame and memory as in `run_on`.
    let exit = unsafe { jit.exec(&ca, f.as_mut_ptr() as *mut u8, &view) };
    assert_eq!(exit, TbExit::GotoTb { slot: 0, tag: 1 });
    jit.link(&ca, 0, &cb);
    // SAFETY: as above.
    let exit = unsafe { jit.exec(&ca, f.as_mut_ptr() as *mut u8, &view) };
    assert_eq!(exit, TbExit::Exit(9));
    assert_eq!(f[0], 6);
    assert_eq!(f[1], 60);
    // Both blocks counted their instruction: 3 block runs in all.
    let icount = f[scratch_offset(ENV) / 8];
    assert_eq!(icount, 3);
}

/// Emits a one-op block (globals r0..r7, nothing pinned) and returns its
/// disassembly, for the per-form emission table below.
fn emit_one(build: impl FnOnce(&mut Builder)) -> Vec<String> {
    let mut b = Builder::new(0x1000, Type::I64, globals());
    b.insn_start(0x1000);
    build(&mut b);
    b.exit_tb(0);
    let block = b.finish();
    let base = 0x10_0000;
    let ctx = crate::emit::Ctx {
        block: &block,
        scratch: ENV as i32,
        epilogue: 0x20_0000,
        jump_cache: 0x30_0000,
        tag: 0,
        base,
        first_site: 0,
        scratch_room: 4096,
        pins: &[],
        pc_global: None,
    };
    let em = crate::emit::emit_block(&ctx).unwrap();
    disasm(&em.bytes, base as u64)
}

#[test]
#[ignore = "prints the emission table's disassembly for review"]
fn print_emission_forms() {
    for (name, lines) in emission_cases() {
        println!("== {name}");
        for l in lines {
            println!("{l}");
        }
    }
}

fn emission_cases() -> Vec<(&'static str, Vec<String>)> {
    let g = |b: &Builder, i: usize| b.global(i);
    let bin = |opc: Opcode, ty: Type, imm: Option<u64>| {
        emit_one(move |b| {
            let (r0, r1, r2) = (g(b, 0), g(b, 1), g(b, 2));
            match imm {
                Some(v) => b.binop_imm(opc, ty, r2, r0, v),
                None => b.binop(opc, ty, r2, r0, r1),
            }
        })
    };
    let un = |opc: Opcode, ty: Type| {
        emit_one(move |b| {
            let (r0, r2) = (g(b, 0), g(b, 2));
            b.unop(opc, ty, r2, r0)
        })
    };
    vec![
        ("add.i64 reg", bin(Opcode::Add, Type::I64, None)),
        ("add.i64 imm8", bin(Opcode::Add, Type::I64, Some(5))),
        ("sub.i32 imm32", bin(Opcode::Sub, Type::I32, Some(1000))),
        ("mul.i64", bin(Opcode::Mul, Type::I64, None)),
        ("andc.i64", bin(Opcode::AndC, Type::I64, None)),
        ("shl.i64 imm", bin(Opcode::Shl, Type::I64, Some(3))),
        ("shr.i32 reg", bin(Opcode::Shr, Type::I32, None)),
        ("sar.i64 reg", bin(Opcode::Sar, Type::I64, None)),
        ("rotr.i64 reg", bin(Opcode::Rotr, Type::I64, None)),
        ("muluh.i64", bin(Opcode::MulUH, Type::I64, None)),
        ("divu.i64", bin(Opcode::DivU, Type::I64, None)),
        ("neg.i64", un(Opcode::Neg, Type::I64)),
        ("clz.i64", un(Opcode::Clz, Type::I64)),
        ("ext32s.i64", un(Opcode::Ext32S, Type::I64)),
        ("ext16u.i64", un(Opcode::Ext16U, Type::I64)),
        (
            "extract.i64 8,24",
            emit_one(|b| {
                let (r0, r2) = (g(b, 0), g(b, 2));
                b.extract(Type::I64, r2, r0, 8, 24)
            }),
        ),
        (
            "setcond.i64 ltu",
            emit_one(|b| {
                let (r0, r1, r2) = (g(b, 0), g(b, 1), g(b, 2));
                b.setcond(Type::I64, Cond::Ltu, r2, r0, r1)
            }),
        ),
        (
            "qemu_ld.i64 i32s",
            emit_one(|b| {
                let (r0, r2) = (g(b, 0), g(b, 2));
                b.qemu_ld(Type::I64, r2, r0, MemOp::le(4, true), 0)
            }),
        ),
        (
            "qemu_st.i64 i8",
            emit_one(|b| {
                let (r0, r1) = (g(b, 0), g(b, 1));
                b.qemu_st(Type::I64, r1, r0, MemOp::le(1, false), 0)
            }),
        ),
        (
            "st_env.i64 imm",
            emit_one(|b| {
                let c = b.const_i64(7);
                b.st_env(Type::I64, c, 0x100)
            }),
        ),
        ("goto_ptr", emit_one(|b| b.goto_ptr(g(b, 0)))),
        ("rotl.i64 imm", bin(Opcode::Rotl, Type::I64, Some(7))),
        ("mulsh.i64", bin(Opcode::MulSH, Type::I64, None)),
        ("divs.i32", bin(Opcode::DivS, Type::I32, None)),
        ("ctz.i32", un(Opcode::Ctz, Type::I32)),
        ("ctpop.i64", un(Opcode::Ctpop, Type::I64)),
        ("ext8s.i64", un(Opcode::Ext8S, Type::I64)),
        (
            "sextract.i64 4,8",
            emit_one(|b| {
                let (r0, r2) = (g(b, 0), g(b, 2));
                b.sextract(Type::I64, r2, r0, 4, 8)
            }),
        ),
        (
            "deposit.i64 8,8",
            emit_one(|b| {
                let (r0, r1, r2) = (g(b, 0), g(b, 1), g(b, 2));
                b.deposit(Type::I64, r2, r0, r1, 8, 8)
            }),
        ),
        (
            "movcond.i64 lt",
            emit_one(|b| {
                let (r0, r1, r2, r3, r4) = (g(b, 0), g(b, 1), g(b, 2), g(b, 3), g(b, 4));
                b.movcond(Type::I64, Cond::Lt, r4, r0, r1, r2, r3)
            }),
        ),
        (
            "ld_env.i32",
            emit_one(|b| {
                let t = b.temp(Type::I32);
                b.ld_env(Type::I32, t, 0x104);
                let r2 = g(b, 2);
                b.unop(Opcode::ExtI32U, Type::I64, r2, t)
            }),
        ),
        ("goto_tb 1", emit_one(|b| b.goto_tb(1))),
        (
            "shl 2 + add",
            emit_one(|b| {
                let (r0, r1, r2) = (g(b, 0), g(b, 1), g(b, 2));
                let t = b.temp(Type::I64);
                b.binop_imm(Opcode::Shl, Type::I64, t, r0, 2);
                b.binop(Opcode::Add, Type::I64, r2, t, r1)
            }),
        ),
    ]
}

/// The instructions each form must emit (after the operand loads), checked
/// by hand against the op table's semantics: globals r0, r1 are loaded into
/// rbx, r12 (the allocator's first choices) and the result lands in r2 at
/// [rbp+10h].
#[test]
fn each_op_form_emits_the_expected_instructions() {
    let expect: &[(&str, &[&str])] = &[
        // Three-operand adds are one lea.
        ("add.i64 reg", &["lea rsi,[rbx+r12]", "mov [rbp+10h],rsi"]),
        ("add.i64 imm8", &["lea r12,[rbx+5]", "mov [rbp+10h],r12"]),
        // x - 1000 as lea with a negative displacement; the 32-bit
        // destination clears the upper half.
        ("sub.i32 imm32", &["lea r12d,[rbx-3E8h]"]),
        ("mul.i64", &["mov rsi,rbx", "imul rsi,r12"]),
        // andn d, s1, s2 = !s1 & s2, so r0 & !r1 is andn d, r1, r0.
        ("andc.i64", &["andn rsi,r12,rbx"]),
        ("shl.i64 imm", &["mov r12,rbx", "shl r12,3"]),
        // BMI2 shifts take the count from any register and mask it.
        ("shr.i32 reg", &["shrx esi,ebx,r12d"]),
        ("sar.i64 reg", &["sarx rsi,rbx,r12"]),
        (
            "rotr.i64 reg",
            &["mov ecx,r12d", "mov rsi,rbx", "ror rsi,cl"],
        ),
        (
            "muluh.i64",
            &["mov rax,rbx", "mul r12", "mov [rbp+10h],rdx"],
        ),
        // Zero divisor: all ones; else the quotient, moved to rdx.
        (
            "divu.i64",
            &[
                "test r12,r12",
                "mov rax,rbx",
                "xor edx,edx",
                "div r12",
                "mov rdx,rax",
                "mov rdx,0FFFFFFFFFFFFFFFFh",
                "mov [rbp+10h],rdx",
            ],
        ),
        ("neg.i64", &["mov r12,rbx", "neg r12"]),
        ("clz.i64", &["lzcnt r12,rbx"]),
        ("ext32s.i64", &["movsxd r12,ebx"]),
        ("ext16u.i64", &["movzx r12d,bx"]),
        // Bits 31:8: a 32-bit move clears 63:32, one shift drops 7:0.
        ("extract.i64 8,24", &["mov r12d,ebx", "shr r12d,8"]),
        (
            "setcond.i64 ltu",
            &["cmp rbx,r12", "setb r11b", "movzx esi,r11b"],
        ),
        // Bounds check against r14 (guest size), then one host load.
        ("qemu_ld.i64 i32s", &["cmp rbx,r14", "movsxd r12,[r15+rbx]"]),
        ("qemu_st.i64 i8", &["cmp rbx,r14", "mov [r15+rbx],r12b"]),
        ("st_env.i64 imm", &["mov qword ptr [rbp+100h],7"]),
        // Jump-cache probe: index (pc >> 1) & 0xfff, 16-byte entries.
        (
            "goto_ptr",
            &[
                "mov rax,rbx",
                "mov r11,rax",
                "shr r11,1",
                "and r11d,0FFFh",
                "shl r11,4",
                "mov rdx,300000h",
                "add r11,rdx",
                "cmp [r11],rax",
            ],
        ),
        ("rotl.i64 imm", &["mov r12,rbx", "rol r12,7"]),
        // One-operand imul: rdx:rax = rax * r12, signed; the high half is rdx.
        (
            "mulsh.i64",
            &["mov rax,rbx", "imul r12", "mov [rbp+10h],rdx"],
        ),
        // Zero divisor, then MIN / -1 (quotient MIN), then idiv.
        (
            "divs.i32",
            &[
                "test r12d,r12d",
                "cmp r12d,0FFFFFFFFh",
                "cmp ebx,80000000h",
                "mov edx,ebx",
                "mov eax,ebx",
                "cdq",
                "idiv r12d",
                "mov rdx,rax",
                "mov edx,0FFFFFFFFh",
            ],
        ),
        ("ctz.i32", &["tzcnt r12d,ebx"]),
        ("ctpop.i64", &["popcnt r12,rbx"]),
        ("ext8s.i64", &["movsx r12,bl"]),
        // Field 11:4 to the top (shl 64-4-8 = 52), then down (sar 64-8 = 56).
        (
            "sextract.i64 4,8",
            &["mov r12,rbx", "shl r12,34h", "sar r12,38h"],
        ),
        // b's low byte to bits 15:8 (shl 56, shr 48); a with 15:8 cleared by
        // rotating the field to the bottom and shifting it out; or.
        (
            "deposit.i64 8,8",
            &[
                "mov r11,r12",
                "shl r11,38h",
                "shr r11,30h",
                "mov rsi,rbx",
                "ror rsi,8",
                "shr rsi,8",
                "shl rsi,8",
                "rol rsi,8",
                "or rsi,r11",
            ],
        ),
        // r4 = r0 < r1 ? r2 : r3, built in r11 from the false value.
        (
            "movcond.i64 lt",
            &[
                "mov r11,r12",
                "cmp rsi,rdi",
                "cmovl r11,rbx",
                "mov r8,r11",
                "mov [rbp+20h],r8",
            ],
        ),
        ("ld_env.i32", &["mov ebx,[rbp+104h]", "mov ebx,ebx"]),
        // Unlinked: the stub stores the tag (scratch word 5 = 0x40 + 0x28)
        // and the exit word kind 1 | slot 1 << 2 = 5.
        ("goto_tb 1", &["mov dword ptr [rbp+68h],0", "mov eax,5"]),
        // (r0 << 2) + r1 with the shifted value dead after: one lea.
        ("shl 2 + add", &["lea rsi,[r12+rbx*4]", "mov [rbp+10h],rsi"]),
    ];
    let cases = emission_cases();
    assert_eq!(cases.len(), expect.len());
    for ((name, lines), (ename, want)) in cases.iter().zip(expect) {
        assert_eq!(name, ename);
        // The expected lines appear in order (other lines may sit between).
        let mut at = 0;
        for w in *want {
            match lines[at..].iter().position(|l| l == w) {
                Some(p) => at += p + 1,
                None => panic!("{name}: `{w}` missing (in order) from\n{lines:#?}"),
            }
        }
    }
}

#[test]
fn conditional_exits_link_both_ways() {
    // A: if r0 == r1 goto exit 1 else exit 0. B: exit_tb 9.
    let mut a = Builder::new(0x1000, Type::I64, globals());
    let (r0, r1) = (a.global(0), a.global(1));
    let l = a.new_label();
    a.insn_start(0x1000);
    a.brcond(Type::I64, Cond::Eq, r0, r1, l);
    a.goto_tb(0);
    a.set_label(l);
    a.goto_tb(1);
    let a = a.finish();
    let mut b = Builder::new(0x2000, Type::I64, globals());
    b.insn_start(0x2000);
    b.exit_tb(9);
    let b = b.finish();
    let mut jit = X86_64::new(1).unwrap();
    let ca = jit.compile(&a, ENV, 1).unwrap();
    let cb = jit.compile(&b, ENV, 2).unwrap();
    let mut mem = Mem::new();
    let view = mem.view();
    let run = |jit: &mut X86_64, r0: u64, r1: u64| {
        let mut f = frame(&[r0, r1]);
        // SAFETY: frame and memory as in `run_on`.
        unsafe { jit.exec(&ca, f.as_mut_ptr() as *mut u8, &view) }
    };
    assert_eq!(run(&mut jit, 3, 3), TbExit::GotoTb { slot: 1, tag: 1 });
    assert_eq!(run(&mut jit, 3, 4), TbExit::GotoTb { slot: 0, tag: 1 });
    jit.link(&ca, 1, &cb);
    assert_eq!(run(&mut jit, 3, 3), TbExit::Exit(9));
    assert_eq!(run(&mut jit, 3, 4), TbExit::GotoTb { slot: 0, tag: 1 });
    jit.link(&ca, 0, &cb);
    assert_eq!(run(&mut jit, 3, 4), TbExit::Exit(9));
}
