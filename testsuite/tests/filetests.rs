//! Runs the IR file tests under `testsuite/filetests/`, one test per
//! directory. `POLYVM_BLESS=1 cargo test -p polyvm-testsuite --test filetests`
//! rewrites the `; check:` blocks with the actual output.

use polyvm_backend_interp::Interp;
use polyvm_ir::abi::{scratch_offset, Backend, GuestMemView, ENV_SCRATCH_BYTES};
use polyvm_ir::Block;
use polyvm_testsuite::filetest::{run_dir, Config, RunCase};
use std::path::{Path, PathBuf};

/// `test run` executes blocks on the interpreter, the oracle backend. The
/// CPU state is just the block's globals at their declared offsets; guest
/// memory is empty (a load or store faults).
fn interp_runner(block: &Block, case: &RunCase) -> Result<Vec<u64>, String> {
    let env_size = block
        .globals
        .iter()
        .map(|g| g.offset as usize + 8)
        .max()
        .unwrap_or(8);
    let mut frame = vec![0u64; (scratch_offset(env_size) + ENV_SCRATCH_BYTES).div_ceil(8)];
    for &(g, v) in &case.inputs {
        frame[block.globals[g].offset as usize / 8] = v;
    }
    let code = Interp
        .compile(block, env_size, 0)
        .map_err(|e| e.to_string())?;
    let mem = GuestMemView {
        base: std::ptr::null_mut(),
        size: 0,
        page_flags: std::ptr::null(),
        page_shift: 12,
    };
    // SAFETY: the frame covers every global plus the scratch area, 8-byte
    // aligned; the memory view is empty, so no guest access can succeed.
    let _exit = unsafe { Interp.exec(&code, frame.as_mut_ptr() as *mut u8, &mem) };
    Ok(block
        .globals
        .iter()
        .map(|g| frame[g.offset as usize / 8])
        .collect())
}

/// The directories, each one `#[test]` below.
const DIRS: &[&str] = &[
    "copyprop", "dce", "envopt", "fold", "optimize", "print", "run", "sext", "verify",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("filetests")
}

fn run(dir: &str) {
    let mut cfg = Config::from_env();
    cfg.runner = Some(&interp_runner);
    let report = run_dir(&root().join(dir), &cfg).expect("reading the file tests");
    println!("{}", report.summary());
    assert!(report.failed.is_empty(), "{}", report.summary());
    assert!(
        report.passed + report.blessed + report.skipped.len() > 0,
        "no file tests in {dir}"
    );
}

#[test]
fn every_directory_has_a_test_here() {
    let mut found: Vec<String> = std::fs::read_dir(root())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    found.sort();
    assert_eq!(found, DIRS);
}

#[test]
fn copyprop() {
    run("copyprop");
}
#[test]
fn dce() {
    run("dce");
}
#[test]
fn envopt() {
    run("envopt");
}
#[test]
fn fold() {
    run("fold");
}
#[test]
fn optimize() {
    run("optimize");
}
#[test]
fn print() {
    run("print");
}
#[test]
fn run_files() {
    run("run");
}
#[test]
fn sext() {
    run("sext");
}
#[test]
fn verify() {
    run("verify");
}
