//! Execution speed end to end, in-process through the linux-user runner
//! (`polyvm_machines::linux_user::runner::run`): load, translate, run, exit.
//!
//! - `exec/loop/<backend>`: the synthetic loop of `polyvm_benches::guest`
//!   (a call, a store and a reload per trip; no libc, no cross compiler needed);
//! - `exec/<program>/<backend>`: a few repetitions of a benchmark program, quiet,
//!   when the riscv64 cross compiler is installed (startup of a static glibc
//!   program included).
//!
//! Every backend polyvm was built with (`polyvm_accel::tcg::BACKENDS`) is
//! measured; throughput is in guest instructions as polyvm counts them.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use polyvm_accel::tcg::{TcgOptions, BACKENDS};
use polyvm_benches::guest;
use polyvm_benches::programs::PROGRAMS;
use polyvm_benches::toolchain::{default_cache_dir, Toolchain};
use polyvm_machines::linux_user::runner::{self, Program, UserConfig};
use polyvm_runtime::LogMask;

/// Loop trips of the synthetic program: 13 guest instructions each.
const LOOP_TRIPS: u32 = 50_000;

/// Benchmark programs and the `reps=N` that keeps each run to a few ms.
const PROGRAM_RUNS: &[(&str, &str)] = &[("crc32", "reps=1"), ("virtual_calls", "reps=5")];

fn config(program: Program, argv: Vec<String>, backend: &str) -> UserConfig {
    let mut tcg = TcgOptions::default();
    tcg.set("backend", backend).expect("a listed backend");
    UserConfig {
        program,
        argv,
        envp: Vec::new(),
        sysroot: None,
        tcg,
        log: LogMask::default(),
        log_out: Box::new(std::io::sink()),
        strace: false,
    }
}

/// Runs once and returns the exit status and the guest instructions executed.
fn run_once(make: &dyn Fn() -> UserConfig) -> (i32, u64) {
    let out = runner::run(make()).expect("the guest runs");
    let insns = out.stats.map_or(0, |s| s.insns_executed);
    (out.status, insns)
}

fn bench_exec(c: &mut Criterion) {
    let mut g = c.benchmark_group("exec");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));

    // The synthetic loop: an ELF built in memory, leaked once because the
    // runner wants a 'static image.
    let elf: &'static [u8] = Box::leak(guest::loop_program_elf(LOOP_TRIPS).into_boxed_slice());
    for (backend, _) in BACKENDS {
        let make = || {
            let program = Program::Bytes {
                name: "loop".into(),
                data: elf,
            };
            config(program, vec!["loop".into()], backend)
        };
        let (status, insns) = run_once(&make);
        assert_eq!(status, guest::loop_program_status(LOOP_TRIPS), "{backend}");
        g.throughput(Throughput::Elements(insns.max(1)));
        g.bench_function(format!("loop/{backend}"), |b| b.iter(|| run_once(&make)));
    }

    // Real programs, if they can be built.
    let built: Vec<_> = match Toolchain::riscv64() {
        Ok(tc) => PROGRAM_RUNS
            .iter()
            .filter_map(|&(name, reps)| {
                let p = PROGRAMS.iter().find(|p| p.name == name)?;
                match tc.build(p, &default_cache_dir()) {
                    Ok(path) => Some((name, reps, path)),
                    Err(e) => {
                        eprintln!("exec: {e}");
                        None
                    }
                }
            })
            .collect(),
        Err(e) => {
            eprintln!("exec: {e}; only the synthetic loop is measured");
            Vec::new()
        }
    };
    for (name, reps, path) in &built {
        for (backend, _) in BACKENDS {
            let make = || {
                let argv = vec![name.to_string(), reps.to_string(), "quiet".into()];
                config(Program::Path(path.clone()), argv, backend)
            };
            let (status, insns) = run_once(&make);
            assert_eq!(status, 0, "{name} on {backend}");
            g.throughput(Throughput::Elements(insns.max(1)));
            g.bench_function(format!("{name}/{backend}"), |b| b.iter(|| run_once(&make)));
        }
    }
    g.finish();
}

criterion_group!(benches, bench_exec);
criterion_main!(benches);
