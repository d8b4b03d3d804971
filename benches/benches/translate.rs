//! Translation throughput: guest instructions per second through the riscv64
//! frontend alone, frontend + IR optimiser, and frontend + optimiser + the
//! interpreter backend's compile step.
//!
//! ```text
//!  ELF ─load─► guest memory ─sweep text─► block start pcs
//!     per iteration, for every start: translate ─► optimize ─► Interp::compile
//! ```
//!
//! The code is a static riscv64 build of `crc32` (libc included, so a realistic
//! mix of compiler output), or the committed demo guest when the cross compiler
//! is missing, or the ELF named by `$POLYVM_BENCH_ELF`. The sweep stops after
//! [`MAX_INSNS`] guest instructions so that one iteration stays short.

use std::path::PathBuf;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use polyvm_backend_interp::Interp;
use polyvm_benches::programs::PROGRAMS;
use polyvm_benches::toolchain::{default_cache_dir, Toolchain};
use polyvm_frontend_riscv::Riscv64Frontend;
use polyvm_ir::abi::{Backend, CodeFetch, Frontend, PAGE_EXEC};
use polyvm_machines::linux_user::elf::{self, PF_X};
use polyvm_machines::linux_user::load_program_bytes;
use polyvm_runtime::guest_mem::GuestMemory;

/// Guest instructions per iteration, at most.
const MAX_INSNS: u64 = 20_000;
/// Longest block, as `polyvm user` translates by default.
const MAX_BLOCK: u32 = 512;

static DEMO_ELF: &[u8] = include_bytes!("../../testsuite/demo/demo.riscv64.elf");

/// Guest code read straight from loaded guest memory (exec pages only).
struct MemFetch<'a>(&'a GuestMemory);

impl CodeFetch for MemFetch<'_> {
    fn fetch(&self, addr: u64, out: &mut [u8]) -> bool {
        if out.is_empty() {
            return true;
        }
        let Some(last) = addr.checked_add(out.len() as u64 - 1) else {
            return false;
        };
        self.0.page_flags(addr) & PAGE_EXEC != 0
            && self.0.page_flags(last) & PAGE_EXEC != 0
            && self.0.read(addr, out).is_ok()
    }
}

/// The ELF to translate and a name for it.
fn guest_elf() -> (String, Vec<u8>) {
    if let Some(path) = std::env::var_os("POLYVM_BENCH_ELF") {
        let path = PathBuf::from(path);
        match std::fs::read(&path) {
            Ok(data) => return (path.display().to_string(), data),
            Err(e) => eprintln!("translate: cannot read {}: {e}", path.display()),
        }
    }
    let crc = PROGRAMS.iter().find(|p| p.name == "crc32");
    let built = Toolchain::riscv64()
        .and_then(|tc| tc.build(crc.expect("crc32 is in the table"), &default_cache_dir()));
    match built.map(|p| (std::fs::read(&p), p)) {
        Ok((Ok(data), _)) => ("crc32 (static riscv64 build)".into(), data),
        Ok((Err(e), p)) => {
            eprintln!(
                "translate: cannot read {}: {e}; using the demo guest",
                p.display()
            );
            ("demo.riscv64.elf".into(), DEMO_ELF.to_vec())
        }
        Err(e) => {
            eprintln!("translate: {e}; using the demo guest");
            ("demo.riscv64.elf".into(), DEMO_ELF.to_vec())
        }
    }
}

fn bench_translate(c: &mut Criterion) {
    let (name, data) = guest_elf();
    let exe = elf::parse(&data).expect("a valid ELF");
    let (process, loaded) =
        load_program_bytes::<&str, &str>(&name, &data, &["bench"], &[], None).expect("loadable");
    let mem = process.mem();
    let fetch = MemFetch(mem);
    let fe = Riscv64Frontend::new();

    // Block starts along every executable segment: each block ends at a
    // control transfer, page boundary or the size limit, and the next starts
    // right after it (a linear sweep, as a disassembler does).
    let mut starts = Vec::new();
    let mut insns = 0u64;
    'segments: for seg in exe.loads().filter(|p| p.p_flags & PF_X != 0) {
        let mut pc = seg.p_vaddr + loaded.load_bias;
        let end = pc + seg.p_filesz;
        while pc < end {
            let Ok(t) = fe.translate(&fetch, pc, MAX_BLOCK) else {
                break;
            };
            starts.push(pc);
            insns += u64::from(t.insns);
            pc += t.guest_size.max(2);
            if insns >= MAX_INSNS {
                break 'segments;
            }
        }
    }
    eprintln!(
        "translate: {name}: {} blocks, {insns} guest instructions per iteration",
        starts.len()
    );

    let mut g = c.benchmark_group("translate");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .throughput(Throughput::Elements(insns));

    g.bench_function("frontend", |b| {
        b.iter(|| {
            for &pc in &starts {
                let t = fe
                    .translate(&fetch, pc, MAX_BLOCK)
                    .expect("translated before");
                std::hint::black_box(t);
            }
        })
    });
    g.bench_function("frontend+opt", |b| {
        b.iter(|| {
            for &pc in &starts {
                let mut t = fe
                    .translate(&fetch, pc, MAX_BLOCK)
                    .expect("translated before");
                polyvm_ir::opt::optimize(&mut t.block);
                std::hint::black_box(t);
            }
        })
    });
    g.bench_function("full/interp", |b| {
        b.iter_batched_ref(
            Interp::new,
            |backend| {
                for (tag, &pc) in starts.iter().enumerate() {
                    let mut t = fe
                        .translate(&fetch, pc, MAX_BLOCK)
                        .expect("translated before");
                    polyvm_ir::opt::optimize(&mut t.block);
                    let code = backend
                        .compile(&t.block, fe.env_size(), tag as u32)
                        .expect("compiles");
                    std::hint::black_box(code);
                }
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench_translate);
criterion_main!(benches);
