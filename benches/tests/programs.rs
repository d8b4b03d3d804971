//! The benchmark programs are portable and self-consistent: each one, built
//! natively and for riscv64, passes its own checks against published values
//! and prints the same checksum on the host and under qemu-riscv64; the
//! synthetic loop runs under polyvm with the status its model predicts.
//! Skipped (with a note) where the compilers or QEMU are missing.

use std::process::Command;

use polyvm_accel::tcg::{TcgOptions, BACKENDS};
use polyvm_benches::guest;
use polyvm_benches::programs::PROGRAMS;
use polyvm_benches::toolchain::{default_cache_dir, Toolchain};
use polyvm_machines::linux_user::runner::{self, Program, UserConfig};
use polyvm_runtime::LogMask;

fn output(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().expect("spawn");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn native_and_qemu_print_the_same_checksums() {
    let (native, cross) = match (Toolchain::native(), Toolchain::riscv64()) {
        (Ok(n), Ok(c)) => (n, c),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("skipped: {e}");
            return;
        }
    };
    let qemu = Command::new("qemu-riscv64")
        .arg("--version")
        .output()
        .is_ok();
    let cache = default_cache_dir();
    for p in PROGRAMS {
        // Two repetitions: the smallest run that still goes round the loop.
        let args = ["reps=2"];
        let exe = native.build(p, &cache).unwrap();
        let (status, out, err) = output(Command::new(&exe).args(args));
        assert_eq!(status, 0, "{} natively: {err}", p.name);
        let prefix = format!("{} reps=2 checksum=0x", p.name);
        assert!(
            out.starts_with(&prefix) && out.len() == prefix.len() + 17,
            "{out:?}"
        );
        // `quiet` prints nothing and keeps the status.
        let (status, quiet, _) = output(Command::new(&exe).args(["reps=1", "quiet"]));
        assert_eq!((status, quiet.as_str()), (0, ""), "{}", p.name);

        let elf = cross.build(p, &cache).unwrap();
        if qemu {
            let (status, qout, err) = output(Command::new("qemu-riscv64").arg(&elf).args(args));
            assert_eq!(status, 0, "{} under qemu: {err}", p.name);
            assert_eq!(qout, out, "{}: qemu and native disagree", p.name);
        }
    }
    if !qemu {
        eprintln!("qemu-riscv64 not installed: only native runs checked");
    }
}

#[test]
fn the_synthetic_loop_runs_on_every_backend() {
    let trips = 3000;
    let elf: &'static [u8] = Box::leak(guest::loop_program_elf(trips).into_boxed_slice());
    for (backend, _) in BACKENDS {
        let mut tcg = TcgOptions::default();
        tcg.set("backend", backend).unwrap();
        let cfg = UserConfig {
            program: Program::Bytes {
                name: "loop".into(),
                data: elf,
            },
            argv: vec!["loop".into()],
            envp: Vec::new(),
            sysroot: None,
            tcg,
            log: LogMask::default(),
            log_out: Box::new(std::io::sink()),
            strace: false,
        };
        let out = runner::run(cfg).unwrap();
        assert_eq!(
            out.status,
            guest::loop_program_status(trips),
            "backend {backend}"
        );
        if let Some(s) = out.stats {
            assert_eq!(
                s.insns_executed,
                guest::loop_program_insns(trips),
                "backend {backend}: guest instructions counted"
            );
        }
    }
}
