//! Property tests: every pass keeps random valid blocks valid and keeps
//! what they compute, as seen by a small reference executor written for
//! these tests (globals, CPU-state fields, guest memory, helper calls made,
//! how the block exits, and the guest pc and globals at a fault).

use super::testgen::{arb_block, build, sample_tapes};
use super::{optimize, PASSES};
use crate::eval::eval;
use crate::verify::verify;
use crate::{Block, HelperFlags, Inst, MemOp, Opcode, TempKind};
use proptest::prelude::*;
use std::collections::BTreeMap;

#[derive(Debug, PartialEq, Eq)]
enum Exit {
    GotoTb(u64),
    Code(u64),
    GotoPtr(u64),
    Fault { pc: u64, addr: u64 },
    TooLong,
}

#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    exit: Exit,
    globals: Vec<u64>,
    env: BTreeMap<u64, u64>,
    mem: BTreeMap<u64, u8>,
    /// (helper, arguments, globals it could read) for every non-pure call.
    calls: Vec<(u64, Vec<u64>, Vec<u64>)>,
}

/// A deterministic stand-in for memory and env contents never written.
fn noise(x: u64) -> u64 {
    let x = x.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    x ^ (x >> 29)
}

/// Runs `b` with the given initial globals.
fn run(b: &Block, init: &[u64]) -> Outcome {
    let ng = b.globals.len();
    let mut vals: Vec<u64> = b
        .temps
        .iter()
        .enumerate()
        .map(|(i, t)| match t.kind {
            TempKind::Const(v) => v,
            _ if i < ng => t.ty.mask(init.get(i).copied().unwrap_or(i as u64)),
            _ => 0,
        })
        .collect();
    let mut labels = vec![usize::MAX; b.nlabels as usize];
    for (i, inst) in b.insts.iter().enumerate() {
        if inst.opc == Opcode::SetLabel {
            labels[inst.label().0 as usize] = i;
        }
    }
    let mut env = BTreeMap::new();
    let mut mem = BTreeMap::new();
    let mut calls = Vec::new();
    let mut pc = 0;
    let mut ip = 0;
    let mut steps = 0;
    let exit = loop {
        steps += 1;
        if steps > 10_000 || ip >= b.insts.len() {
            break Exit::TooLong;
        }
        let inst: &Inst = &b.insts[ip];
        ip += 1;
        let ins: Vec<u64> = inst.ins().iter().map(|t| vals[t.index()]).collect();
        let ty = inst.ty;
        let mut out = None;
        match inst.opc {
            Opcode::InsnStart => pc = inst.consts[0],
            Opcode::Mb | Opcode::SetLabel => {}
            Opcode::Br => ip = labels[inst.label().0 as usize],
            Opcode::BrCond => {
                if inst.cond().eval(ty, ins[0], ins[1]) {
                    ip = labels[inst.label().0 as usize];
                }
            }
            Opcode::GotoTb => break Exit::GotoTb(inst.consts[0]),
            Opcode::ExitTb => break Exit::Code(inst.consts[0]),
            Opcode::GotoPtr => break Exit::GotoPtr(ins[0]),
            Opcode::LdEnv => {
                let off = inst.consts[0];
                out = Some(*env.get(&off).unwrap_or(&noise(off)));
            }
            Opcode::StEnv => {
                env.insert(inst.consts[0], ty.mask(ins[0]));
            }
            Opcode::QemuLd | Opcode::QemuSt => {
                let m = MemOp(inst.consts[0] as u8);
                let addr = *ins.last().unwrap();
                let size = m.size() as u64;
                if addr % 61 == 13 || (m.aligned() && addr & (size - 1) != 0) {
                    break Exit::Fault { pc, addr };
                }
                let byte_addr = |i: u64| {
                    let k = if m.big_endian() { size - 1 - i } else { i };
                    b.addr_ty.mask(addr.wrapping_add(k))
                };
                if inst.opc == Opcode::QemuLd {
                    let mut v = 0u64;
                    for i in 0..size {
                        let a = byte_addr(i);
                        let byte = *mem.get(&a).unwrap_or(&(noise(a) as u8));
                        v |= (byte as u64) << (8 * i);
                    }
                    if m.signed() && size < 8 {
                        let sh = 64 - 8 * size;
                        v = ((v << sh) as i64 >> sh) as u64;
                    }
                    out = Some(ty.mask(v));
                } else {
                    for i in 0..size {
                        mem.insert(byte_addr(i), (ins[0] >> (8 * i)) as u8);
                    }
                }
            }
            Opcode::Call => {
                let hi = inst.consts[0];
                let h = &b.helpers[hi as usize];
                let mut r = noise(hi + 1);
                for &a in &ins {
                    r = noise(r ^ a);
                }
                let mut seen = Vec::new();
                if h.flags.contains(HelperFlags::READS_GLOBALS) {
                    seen = vals[..ng].to_vec();
                    for &g in &seen {
                        r = noise(r ^ g);
                    }
                }
                if !h.flags.contains(HelperFlags::PURE) {
                    calls.push((hi, ins.clone(), seen));
                }
                if h.flags.contains(HelperFlags::WRITES_GLOBALS) {
                    let g = hi as usize % ng;
                    vals[g] = b.temps[g].ty.mask(vals[g].wrapping_add(r | 1));
                }
                out = h.ret.map(|t| t.mask(r));
            }
            opc => {
                let n = opc.def().consts.len();
                out = Some(eval(opc, ty, &ins, &inst.consts[..n]).expect("pure op"));
            }
        }
        if let (Some(v), Some(d)) = (out, inst.outs().first()) {
            vals[d.index()] = b.temp(*d).ty.mask(v);
        }
    };
    Outcome {
        exit,
        globals: vals[..ng].to_vec(),
        env,
        mem,
        calls,
    }
}

fn has_backward_branch(b: &Block) -> bool {
    let mut defined = vec![false; b.nlabels as usize];
    b.insts.iter().any(|i| match i.opc {
        Opcode::SetLabel => {
            defined[i.label().0 as usize] = true;
            false
        }
        Opcode::Br | Opcode::BrCond => defined[i.label().0 as usize],
        _ => false,
    })
}

fn check_pass(b: &Block, init: &[u64], name: &str, pass: fn(&mut Block)) {
    let mut o = b.clone();
    pass(&mut o);
    if let Err(e) = verify(&o) {
        panic!("`{name}` broke the block: {e}\nbefore:\n{b}\nafter:\n{o}");
    }
    let (want, got) = (run(b, init), run(&o, init));
    assert_eq!(
        want, got,
        "`{name}` changed what the block does\nbefore:\n{b}\nafter:\n{o}"
    );
}

fn check_all(b: &Block, init: &[u64]) {
    verify(b).unwrap_or_else(|e| panic!("generator made an invalid block: {e}\n{b}"));
    for (name, pass) in PASSES {
        check_pass(b, init, name, *pass);
    }
    check_pass(b, init, "optimize", optimize);
}

#[test]
fn sample_blocks_keep_their_meaning() {
    for tape in sample_tapes() {
        let b = build(&tape);
        check_all(&b, &[3, 0x8000_0000, u64::MAX, 0x10, 61 + 13]);
    }
}

#[test]
fn optimising_shrinks_sample_blocks() {
    // Not a law, but the passes must do something on random code full of
    // constants: the sample tapes lose instructions.
    let (mut before, mut after) = (0, 0);
    for tape in sample_tapes() {
        let mut b = build(&tape);
        before += b.insts.len();
        optimize(&mut b);
        after += b.insts.len();
    }
    assert!(after < before, "{after} !< {before}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn passes_keep_blocks_valid_and_meaning_the_same(
        b in arb_block(),
        init in proptest::collection::vec(any::<u64>(), 5),
    ) {
        check_all(&b, &init);
    }

    /// Line-edited blocks that still verify (backward branches, odd label
    /// layouts, unusual orders) keep their meaning too. Blocks with a
    /// backward branch may read a local before any write on some path (the
    /// verifier does not follow backward branches), so those only need to
    /// stay valid.
    #[test]
    fn edited_blocks_keep_their_meaning(
        b in arb_block(),
        edits in proptest::collection::vec(any::<(u8, usize, usize, usize)>(), 1..5),
        init in proptest::collection::vec(any::<u64>(), 5),
    ) {
        let text = super::testgen::mutate_lines(&b.to_string(), &edits);
        let Ok(b) = crate::parse::parse(&text) else { return Ok(()) };
        if verify(&b).is_err() {
            return Ok(());
        }
        if has_backward_branch(&b) || run(&b, &init).exit == Exit::TooLong {
            let mut o = b.clone();
            optimize(&mut o);
            prop_assert_eq!(verify(&o), Ok(()));
        } else {
            check_all(&b, &init);
        }
    }

    #[test]
    fn optimize_twice_is_still_correct(b in arb_block(), init in proptest::collection::vec(any::<u64>(), 5)) {
        let mut o = b.clone();
        optimize(&mut o);
        optimize(&mut o);
        prop_assert!(verify(&o).is_ok());
        prop_assert_eq!(run(&b, &init), run(&o, &init));
    }
}

/// Hand-checked cases of the laws, one per pass, in Rust; the file tests
/// under `testsuite/filetests/` hold many more.
mod laws {
    use super::*;
    use crate::parse::parse;

    fn opt(pass: fn(&mut Block), text: &str) -> String {
        let mut b = parse(text).unwrap();
        verify(&b).unwrap();
        pass(&mut b);
        verify(&b).unwrap();
        let s = b.to_string();
        s.lines()
            .filter(|l| !l.starts_with("  global") && !l.starts_with("  temp"))
            .skip(1)
            .collect::<Vec<_>>()
            .join("\n")
    }

    const HEAD: &str = "block pc=0 addr=i64\n global x1: i64 @ 8\n global x2: i64 @ 16\n temp t0: i64\n temp t1: i32\n";

    #[test]
    fn fold_chains_constants() {
        let t =
            format!("{HEAD} mov.i64 t0, 6\n mul.i64 t0, t0, 7\n sub.i64 x1, t0, 2\n exit_tb 0\n");
        assert_eq!(
            opt(super::super::fold::fold, &t),
            "  mov.i64 t0, 6\n  mov.i64 t0, 42\n  mov.i64 x1, 40\n  exit_tb 0"
        );
    }

    #[test]
    fn copyprop_forwards_through_chains() {
        let t =
            format!("{HEAD} mov.i64 t0, x1\n mov.i64 x2, t0\n add.i64 x1, x2, x2\n exit_tb 0\n");
        assert_eq!(
            opt(super::super::copyprop::copyprop, &t),
            "  mov.i64 t0, x1\n  mov.i64 x2, x1\n  add.i64 x1, x1, x1\n  exit_tb 0"
        );
    }

    #[test]
    fn dce_keeps_globals_at_faults() {
        // The first store to x1 is visible if the load faults.
        let t = format!("{HEAD} mov.i64 x1, 1\n qemu_ld.i64 t0, x2, i64.le, 0\n mov.i64 x1, 2\n mov.i64 x2, 3\n mov.i64 x2, 4\n exit_tb 0\n");
        assert_eq!(
            opt(super::super::dce::dce, &t),
            "  mov.i64 x1, 1\n  qemu_ld.i64 t0, x2, i64.le, 0\n  mov.i64 x1, 2\n  mov.i64 x2, 4\n  exit_tb 0"
        );
    }

    #[test]
    fn envopt_forwards_stores() {
        let t = format!("{HEAD} st_env.i64 x1, 512\n ld_env.i64 t0, 512\n ld_env.i64 x2, 8\n ld_env.i64 x2, 8\n mov.i64 x1, t0\n exit_tb 0\n");
        assert_eq!(
            opt(super::super::envopt::envopt, &t),
            "  st_env.i64 x1, 512\n  mov.i64 t0, x1\n  ld_env.i64 x2, 8\n  ld_env.i64 x2, 8\n  mov.i64 x1, t0\n  exit_tb 0"
        );
    }
}
