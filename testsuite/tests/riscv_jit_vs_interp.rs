//! Random RISC-V code through the whole pipeline on both backends: random
//! 32-bit words that the frontend decodes (any RV64GC + Zba/Zbb/Zbs
//! instruction, control flow and system instructions included) are placed
//! in guest memory, translated, optimised, and run once on the interpreter
//! (the oracle) and once on the x86-64 JIT, from the same random CPU state
//! and memory. The CPU state, the exit and guest memory must agree.
//!
//! This checks the JIT on the IR shapes the real frontend produces (helper
//! calls for FP, CSR accesses, AMOs, branches) beyond the random IR of the
//! backend's own property test.
#![cfg(target_arch = "x86_64")]

use polyvm_backend_interp::Interp;
use polyvm_backend_x86_64::X86_64;
use polyvm_frontend_riscv::{decode, Riscv64Frontend, RiscvCpu};
use polyvm_ir::abi::{
    scratch_offset, Backend, CodeFetch, Frontend, FrontendHints, TbExit, ENV_SCRATCH_BYTES,
    PAGE_EXEC, PAGE_READ, PAGE_WRITE,
};
use polyvm_runtime::guest_mem::GuestMemory;
use proptest::prelude::*;

const MEM: u64 = 64 * 1024;
const CODE: u64 = 0x8000;

struct Fetch<'a>(&'a GuestMemory);

impl CodeFetch for Fetch<'_> {
    fn fetch(&self, addr: u64, out: &mut [u8]) -> bool {
        self.0.read(addr, out).is_ok()
    }
}

/// A fresh guest memory with `data` at 0 and `code` at CODE.
fn memory(data: &[u8], code: &[u32]) -> GuestMemory {
    let mut m = GuestMemory::new(MEM).expect("reserve guest memory");
    m.map_anon(0, MEM, PAGE_READ | PAGE_WRITE | PAGE_EXEC)
        .expect("map guest memory");
    m.write_initial(0, data).unwrap();
    let bytes: Vec<u8> = code.iter().flat_map(|w| w.to_le_bytes()).collect();
    m.write_initial(CODE, &bytes).unwrap();
    m
}

/// Runs the block at CODE on `backend`; returns the CPU state's bytes,
/// the exit and guest memory.
fn run<B: Backend>(
    backend: &mut B,
    cpu: &RiscvCpu,
    data: &[u8],
    code: &[u32],
) -> Option<(Vec<u8>, TbExit, Vec<u8>)> {
    let fe = Riscv64Frontend::new();
    let mem = memory(data, code);
    let mut block = fe.translate(&Fetch(&mem), CODE, 32).ok()?.block;
    polyvm_ir::opt::optimize(&mut block);
    let env_size = fe.env_size();
    let code = backend.compile(&block, env_size, 0).expect("compiles");
    let words = (scratch_offset(env_size) + ENV_SCRATCH_BYTES).div_ceil(16);
    let mut env = vec![0u128; words];
    // SAFETY: the buffer is at least env_size bytes, 16-byte aligned, and
    // RiscvCpu is plain data.
    unsafe {
        std::ptr::copy_nonoverlapping(
            cpu as *const RiscvCpu as *const u8,
            env.as_mut_ptr() as *mut u8,
            std::mem::size_of::<RiscvCpu>(),
        );
    }
    let view = mem.view();
    // SAFETY: env has the CPU state plus scratch; memory is live.
    let exit = unsafe { backend.exec(&code, env.as_mut_ptr() as *mut u8, &view) };
    // SAFETY: reading back the CPU state bytes written above.
    let state = unsafe { std::slice::from_raw_parts(env.as_ptr() as *const u8, env_size) }.to_vec();
    let mut out = vec![0u8; MEM as usize];
    mem.read(0, &mut out).unwrap();
    Some((state, exit, out))
}

fn arb_case() -> impl Strategy<Value = (Vec<u32>, [u64; 32], Vec<u64>, u64, u64)> {
    (
        prop::collection::vec(any::<u32>(), 64),
        any::<[u64; 32]>(),
        prop::collection::vec(any::<u64>(), 64),
        any::<u64>(),
        0u64..5,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn random_riscv_blocks_agree((words, xregs, fregs_and_data, seed, frm) in arb_case()) {
        // Instructions the decoder accepts, up to 24 of them.
        let code: Vec<u32> = words.into_iter().filter(|w| decode(*w).is_some()).take(24).collect();
        prop_assume!(!code.is_empty());
        let mut cpu = RiscvCpu {
            x: xregs,
            ..RiscvCpu::default()
        };
        cpu.x[0] = 0;
        // Some registers hold addresses inside guest data so memory
        // instructions also succeed.
        for (i, r) in [2usize, 8, 10, 11, 12, 14, 15].into_iter().enumerate() {
            cpu.x[r] = (seed.rotate_left(i as u32 * 7) % (CODE - 64)) & !7;
        }
        cpu.f.copy_from_slice(&fregs_and_data[..32]);
        cpu.frm = frm;
        cpu.pc = CODE;
        let data: Vec<u8> = fregs_and_data.iter().flat_map(|v| v.to_le_bytes()).cycle().take(CODE as usize).collect();

        let Some(oracle) = run(&mut Interp, &cpu, &data, &code) else {
            return Ok(());
        };
        for hot in [&[][..], Riscv64Frontend::new().hot_globals()] {
            let mut jit = X86_64::new(4).expect("host supports the JIT");
            jit.set_hints(&FrontendHints { hot_globals: hot, pc_offset: Some(Riscv64Frontend::new().pc_offset()) });
            let got = run(&mut jit, &cpu, &data, &code).expect("translates as for the interpreter");
            prop_assert_eq!(&got.1, &oracle.1, "exit differs for {:08x?}", code);
            prop_assert!(got.0 == oracle.0, "CPU state differs for {:08x?}", code);
            prop_assert!(got.2 == oracle.2, "memory differs for {:08x?}", code);
        }
    }
}
