//! Whole-program differential tests: guest programs run under `qemu-riscv64` (the
//! reference) and under `polyvm user` on every backend, and must agree.
//!
//! ```text
//!  testsuite/programs/NAME.c ──build.sh──► target/riscv64-programs/<hash>/NAME
//!     (// run:, // env:, // sysroot:)            │
//!                          ┌─────────────────────┴───────────────────────┐
//!              qemu-riscv64 [-L DIR] ELF ARGS       polyvm user -accel tcg,backend=B [-L DIR] ELF ARGS
//!                          └──────── stdout, stderr, exit status ────────┘ must match
//! ```
//!
//! The directives are documented in testsuite/programs/README.md. Also here: the CLI's
//! answers to bad input (missing file, not an ELF, another architecture's ELF) and the
//! demo guest of testsuite/demo/.
//!
//! Environment knobs: `POLYVM_BACKENDS` (comma-separated, default `interp`),
//! `POLYVM_PROGRAMS` (only these programs), `POLYVM_PROGRAM_TIMEOUT` (seconds per
//! process, default 60), `POLYVM_TEST_JOBS` (parallel runs, default: CPU count).
//! If the cross compiler or qemu is missing, testsuite/install-deps.sh runs once when
//! the test runs as root; otherwise the test fails and names the script.

use std::fmt::Write as _;
use std::fs;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

const CROSS_CC: &str = "riscv64-linux-gnu-gcc";
const CROSS_NM: &str = "riscv64-linux-gnu-nm";
const QEMU: &str = "qemu-riscv64";
const TMPFILE: &str = "@TMPFILE@";

fn polyvm() -> &'static str {
    env!("CARGO_BIN_EXE_polyvm")
}

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn programs_dir() -> PathBuf {
    workspace().join("testsuite/programs")
}

fn demo_dir() -> PathBuf {
    workspace().join("testsuite/demo")
}

fn timeout() -> Duration {
    let secs = std::env::var("POLYVM_PROGRAM_TIMEOUT")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or(60);
    Duration::from_secs(secs)
}

/// Backends every program runs on: `POLYVM_BACKENDS`, or every backend
/// this host has (the interpreter, and the x86-64 JIT on x86-64 hosts that
/// `polyvm user -accel help` lists).
fn backends() -> Vec<String> {
    let list = std::env::var("POLYVM_BACKENDS").unwrap_or_else(|_| {
        let help = Command::new(polyvm())
            .args(["user", "-accel", "help"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        if help.contains("x86_64") {
            "interp,x86_64".to_string()
        } else {
            "interp".to_string()
        }
    });
    list.split(',')
        .map(str::trim)
        .filter(|b| !b.is_empty())
        .map(String::from)
        .collect()
}

fn jobs() -> usize {
    std::env::var("POLYVM_TEST_JOBS")
        .ok()
        .and_then(|s| s.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| thread::available_parallelism().map_or(2, |n| n.get()))
}

// ---------------------------------------------------------------------------------
// Tools

fn tool_works(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Makes sure the cross compiler and qemu are present, installing them once (as root
/// only) with testsuite/install-deps.sh.
fn ensure_tools() -> Result<(), String> {
    static RESULT: OnceLock<Result<(), String>> = OnceLock::new();
    RESULT
        .get_or_init(|| {
            let missing = || -> Vec<&str> {
                [CROSS_CC, CROSS_NM, QEMU]
                    .into_iter()
                    .filter(|t| !tool_works(t))
                    .collect()
            };
            let first = missing();
            if first.is_empty() {
                return Ok(());
            }
            let script = workspace().join("testsuite/install-deps.sh");
            if !is_root() {
                return Err(format!(
                    "missing {}: run {} (as root or with sudo) to install them",
                    first.join(", "),
                    script.display()
                ));
            }
            eprintln!(
                "programs: {} missing, running {}",
                first.join(", "),
                script.display()
            );
            let status = Command::new("bash").arg(&script).status();
            if !status.is_ok_and(|s| s.success()) {
                return Err(format!("{} failed", script.display()));
            }
            let still = missing();
            if still.is_empty() {
                Ok(())
            } else {
                Err(format!(
                    "still missing after {}: {}",
                    script.display(),
                    still.join(", ")
                ))
            }
        })
        .clone()
}

// ---------------------------------------------------------------------------------
// Directives

#[derive(Clone, Debug, PartialEq)]
enum Where {
    Symbol(String),
    Addr(u64),
}

#[derive(Clone, Debug, PartialEq)]
enum Expect {
    Exit(i32),
    Signal { signal: i32, pc: Option<Where> },
}

#[derive(Clone, Debug, PartialEq)]
struct Run {
    args: Vec<String>,
    expect: Expect,
}

#[derive(Clone, Debug, Default, PartialEq)]
struct Directives {
    runs: Vec<Run>,
    env: Vec<(String, String)>,
    sysroot: Option<String>,
}

fn parse_expect(text: &str) -> Result<Expect, String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let number = |w: Option<&&str>| -> Result<i32, String> {
        w.ok_or_else(|| format!("missing number in `=> {text}`"))?
            .parse::<i32>()
            .map_err(|e| format!("bad number in `=> {text}`: {e}"))
    };
    match words.first().copied() {
        Some("exit") if words.len() == 2 => Ok(Expect::Exit(number(words.get(1))?)),
        Some("signal") if words.len() == 2 || words.len() == 4 => {
            let signal = number(words.get(1))?;
            let pc = match words.get(2..4) {
                Some(["at", place]) => Some(match place.strip_prefix("0x") {
                    Some(hex) => Where::Addr(
                        u64::from_str_radix(hex, 16)
                            .map_err(|e| format!("bad address {place}: {e}"))?,
                    ),
                    None => Where::Symbol(place.to_string()),
                }),
                Some(_) => return Err(format!("expected `at WHERE` in `=> {text}`")),
                None => None,
            };
            Ok(Expect::Signal { signal, pc })
        }
        _ => Err(format!(
            "expected `exit N` or `signal N [at WHERE]`, got `=> {text}`"
        )),
    }
}

fn parse_directives(source: &str) -> Result<Directives, String> {
    let mut d = Directives::default();
    for line in source.lines() {
        if let Some(rest) = line.strip_prefix("// run:") {
            let (args, expect) = match rest.split_once("=>") {
                Some((args, expect)) => (args, parse_expect(expect)?),
                None => (rest, Expect::Exit(0)),
            };
            d.runs.push(Run {
                args: args.split_whitespace().map(String::from).collect(),
                expect,
            });
        } else if let Some(rest) = line.strip_prefix("// env:") {
            let (name, value) = rest
                .trim()
                .split_once('=')
                .ok_or_else(|| format!("`// env:` needs NAME=VALUE: {line}"))?;
            d.env.push((name.to_string(), value.to_string()));
        } else if let Some(rest) = line.strip_prefix("// sysroot:") {
            d.sysroot = Some(rest.trim().to_string());
        }
    }
    if d.runs.is_empty() {
        d.runs.push(Run {
            args: Vec::new(),
            expect: Expect::Exit(0),
        });
    }
    Ok(d)
}

// ---------------------------------------------------------------------------------
// Building

struct Program {
    name: String,
    elf: PathBuf,
    directives: Directives,
}

fn build_program(name: &str) -> Result<PathBuf, String> {
    let script = programs_dir().join("build.sh");
    let out = Command::new("bash")
        .arg(&script)
        .arg(name)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    if !out.status.success() {
        return Err(format!(
            "building {name} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let path = stdout
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .ok_or_else(|| format!("build.sh printed no path for {name}: {stdout}"))?;
    Ok(PathBuf::from(path.trim()))
}

/// Every program of testsuite/programs (or those named in POLYVM_PROGRAMS), parsed
/// and built once per test process, in parallel.
fn programs() -> Result<&'static [Program], String> {
    static PROGRAMS: OnceLock<Result<Vec<Program>, String>> = OnceLock::new();
    PROGRAMS
        .get_or_init(|| {
            ensure_tools()?;
            let only: Option<Vec<String>> = std::env::var("POLYVM_PROGRAMS")
                .ok()
                .map(|s| s.split(',').map(|n| n.trim().to_string()).collect());
            let mut sources = Vec::new();
            let entries = fs::read_dir(programs_dir()).map_err(|e| e.to_string())?;
            for entry in entries {
                let path = entry.map_err(|e| e.to_string())?.path();
                if path.extension().is_some_and(|e| e == "c") {
                    let name = path
                        .file_stem()
                        .and_then(|s| s.to_str())
                        .ok_or("non-UTF-8 program name")?
                        .to_string();
                    let selected = match &only {
                        None => true,
                        Some(names) => names.contains(&name),
                    };
                    if selected {
                        sources.push((name, path));
                    }
                }
            }
            sources.sort();
            if sources.is_empty() {
                return Err("no programs selected".to_string());
            }
            let built = parallel_map(sources, |(name, path)| {
                let text =
                    fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
                let directives = parse_directives(&text).map_err(|e| format!("{name}.c: {e}"))?;
                let elf = build_program(name)?;
                Ok(Program {
                    name: name.clone(),
                    elf,
                    directives,
                })
            });
            built.into_iter().collect()
        })
        .as_deref()
        .map_err(Clone::clone)
}

fn symbol_address(elf: &Path, symbol: &str) -> Result<u64, String> {
    let out = Command::new(CROSS_NM)
        .arg(elf)
        .output()
        .map_err(|e| format!("cannot run {CROSS_NM}: {e}"))?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| {
            let mut f = l.split_whitespace();
            let (addr, _kind, name) = (f.next()?, f.next()?, f.next()?);
            (name == symbol).then(|| u64::from_str_radix(addr, 16).ok())?
        })
        .ok_or_else(|| format!("symbol {symbol} not found in {}", elf.display()))
}

// ---------------------------------------------------------------------------------
// Running

#[derive(Clone, Copy, Debug, PartialEq)]
enum Status {
    Exited(i32),
    Signaled(i32),
    TimedOut,
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Status::Exited(c) => write!(f, "exit status {c}"),
            Status::Signaled(s) => write!(f, "killed by signal {s}"),
            Status::TimedOut => write!(f, "timed out (killed after {} s)", timeout().as_secs()),
        }
    }
}

struct Outcome {
    status: Status,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

/// Runs `cmd` with stdin closed and output captured in files under `dir` (files, not
/// pipes, so a chatty child can never block on a full pipe), killing it after the
/// timeout.
fn run_captured(cmd: &mut Command, dir: &Path, tag: &str) -> Result<Outcome, String> {
    let out_path = dir.join(format!("{tag}.stdout"));
    let err_path = dir.join(format!("{tag}.stderr"));
    let out_file = fs::File::create(&out_path).map_err(|e| e.to_string())?;
    let err_file = fs::File::create(&err_path).map_err(|e| e.to_string())?;
    cmd.stdin(Stdio::null()).stdout(out_file).stderr(err_file);
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start {cmd:?}: {e}"))?;
    let deadline = Instant::now() + timeout();
    let status = loop {
        match child.try_wait().map_err(|e| e.to_string())? {
            Some(s) => {
                break s
                    .code()
                    .map_or_else(|| Status::Signaled(s.signal().unwrap_or(0)), Status::Exited)
            }
            None if Instant::now() >= deadline => {
                // The child may have exited just now; either way it is reaped below.
                let _ = child.kill();
                let _ = child.wait();
                break Status::TimedOut;
            }
            None => thread::sleep(Duration::from_millis(10)),
        }
    };
    Ok(Outcome {
        status,
        stdout: fs::read(&out_path).map_err(|e| e.to_string())?,
        stderr: fs::read(&err_path).map_err(|e| e.to_string())?,
    })
}

/// A private scratch directory, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(label: &str) -> Scratch {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!(
            "polyvm-programs-{}-{n}-{label}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("cannot create a scratch directory");
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Applies `f` to every item on `jobs()` threads, keeping the order of the results.
fn parallel_map<T: Sync, R: Send>(items: Vec<T>, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let mut results: Vec<Option<R>> = Vec::new();
    results.resize_with(items.len(), || None);
    let slots = std::sync::Mutex::new(&mut results);
    thread::scope(|s| {
        for _ in 0..jobs().min(items.len().max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                let r = f(item);
                slots.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(r);
            });
        }
    });
    results
        .into_iter()
        .map(|r| r.expect("every item was mapped"))
        .collect()
}

#[derive(Clone, Copy, PartialEq)]
enum Runner<'a> {
    Qemu,
    Polyvm(&'a str),
}

/// qemu-user hands the guest its environment in reverse order (it builds a
/// list by pushing each host variable to the front); polyvm keeps the
/// parent's order, as the Linux kernel does. So lines `envp[N] = "…"` are
/// compared as a sorted set; `env_order_is_the_parents` checks polyvm's order.
fn env_order_insensitive(stdout: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(stdout);
    let mut env: Vec<&str> = Vec::new();
    let mut out = String::new();
    for line in text.lines() {
        match line
            .strip_prefix("envp[")
            .and_then(|l| l.split_once("] = "))
        {
            Some((_, value)) => env.push(value),
            None => {
                env.sort_unstable();
                for v in env.drain(..) {
                    out += &format!("envp[*] = {v}\n");
                }
                out += line;
                out.push('\n');
            }
        }
    }
    env.sort_unstable();
    for v in env {
        out += &format!("envp[*] = {v}\n");
    }
    out.into_bytes()
}

fn guest_command(
    runner: Runner,
    program: &Program,
    args: &[String],
    scratch: &Path,
    tag: &str,
) -> Command {
    let mut cmd = match runner {
        Runner::Qemu => Command::new(QEMU),
        Runner::Polyvm(backend) => {
            let mut c = Command::new(polyvm());
            c.arg("user")
                .arg("-accel")
                .arg(format!("tcg,backend={backend}"));
            c
        }
    };
    if let Some(sysroot) = &program.directives.sysroot {
        cmd.arg("-L").arg(sysroot);
    }
    cmd.arg(&program.elf);
    for a in args {
        if a.contains(TMPFILE) {
            let path = scratch.join(format!("{tag}.tmpfile"));
            cmd.arg(a.replace(TMPFILE, &path.to_string_lossy()));
        } else {
            cmd.arg(a);
        }
    }
    // Both emulators get the same, explicit environment and nothing from ours.
    cmd.env_clear();
    cmd.envs(program.directives.env.iter().map(|(k, v)| (k, v)));
    cmd.current_dir(scratch);
    cmd
}

fn lines_without(bytes: &[u8], prefix: &str) -> Vec<String> {
    String::from_utf8_lossy(bytes)
        .lines()
        .filter(|l| !l.starts_with(prefix))
        .map(String::from)
        .collect()
}

/// Describes the first difference between two outputs with a little context.
fn first_difference(reference: &[u8], actual: &[u8]) -> Option<String> {
    if reference == actual {
        return None;
    }
    let (r_text, a_text) = (
        String::from_utf8_lossy(reference),
        String::from_utf8_lossy(actual),
    );
    let r: Vec<&str> = r_text.lines().collect();
    let a: Vec<&str> = a_text.lines().collect();
    let at = r.iter().zip(&a).take_while(|(x, y)| x == y).count();
    let mut text = format!(
        "first difference at line {} (qemu: {} lines, {} bytes; polyvm: {} lines, {} bytes)\n",
        at + 1,
        r.len(),
        reference.len(),
        a.len(),
        actual.len()
    );
    let from = at.saturating_sub(2);
    for (label, side) in [("qemu  ", &r), ("polyvm", &a)] {
        for (i, line) in side.iter().enumerate().skip(from).take(5) {
            let mark = if i == at { '>' } else { ' ' };
            let _ = writeln!(text, "    {label} {mark}{:>5}: {line}", i + 1);
        }
    }
    if at == r.len().min(a.len()) {
        text.push_str(
            "    (one output is a prefix of the other, or they differ only in a final newline)\n",
        );
    }
    Some(text)
}

/// Every hex number in `line` that is written with a 0x prefix or with at least five
/// digits (so words like "de" or a signal number do not count as addresses).
fn hex_numbers(line: &str) -> Vec<u64> {
    line.split(|c: char| !(c.is_ascii_hexdigit() || c == 'x' || c == 'X'))
        .filter_map(|tok| {
            let lower = tok.to_ascii_lowercase();
            match lower.strip_prefix("0x") {
                Some(digits) => u64::from_str_radix(digits, 16).ok(),
                None if lower.len() >= 5 => u64::from_str_radix(&lower, 16).ok(),
                None => None,
            }
        })
        .collect()
}

/// Checks a polyvm error report: exactly one line starting with `polyvm:` and no
/// panic. Returns that line.
fn check_error_line(stderr: &[u8], problems: &mut Vec<String>) -> Option<String> {
    let text = String::from_utf8_lossy(stderr);
    if text.contains("panicked") {
        problems.push("polyvm panicked".to_string());
    }
    let ours: Vec<&str> = text.lines().filter(|l| l.starts_with("polyvm:")).collect();
    if ours.len() != 1 {
        problems.push(format!(
            "expected exactly one stderr line starting with `polyvm:`, found {}",
            ours.len()
        ));
    }
    ours.first().map(|l| l.to_string())
}

fn indent(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines().take(20) {
        let _ = writeln!(out, "    | {line}");
    }
    if text.lines().count() > 20 {
        out.push_str("    | …\n");
    }
    out
}

struct Case<'a> {
    program: &'a Program,
    run_index: usize,
}

impl Case<'_> {
    fn run(&self) -> &Run {
        &self.program.directives.runs[self.run_index]
    }

    fn label(&self) -> String {
        let args = self.run().args.join(" ");
        if args.is_empty() {
            self.program.name.clone()
        } else {
            format!("{} {args}", self.program.name)
        }
    }
}

/// Runs one case under qemu and under polyvm on every backend; returns the problems.
fn check_case(case: &Case, backends: &[String]) -> Vec<String> {
    let mut problems = Vec::new();
    let scratch = Scratch::new(&case.program.name);
    let run = case.run();
    let mut qemu = guest_command(Runner::Qemu, case.program, &run.args, &scratch.0, "qemu");
    let reference = match run_captured(&mut qemu, &scratch.0, "qemu") {
        Ok(o) => o,
        Err(e) => return vec![format!("[{}] qemu: {e}", case.label())],
    };
    // The reference must behave as the program's directives say; otherwise the program
    // or the toolchain is wrong and comparing with polyvm would prove nothing.
    let expected_qemu = match &run.expect {
        Expect::Exit(code) => Status::Exited(*code),
        Expect::Signal { signal, .. } => Status::Signaled(*signal),
    };
    if reference.status != expected_qemu {
        return vec![format!(
            "[{}] reference mismatch: qemu-riscv64 gave {}, the program's `// run:` line expects {}; \
             fix the program, not polyvm\n{}",
            case.label(),
            reference.status,
            expected_qemu,
            indent(&String::from_utf8_lossy(&reference.stderr))
        )];
    }
    let pc = match &run.expect {
        Expect::Signal {
            pc: Some(Where::Symbol(s)),
            ..
        } => match symbol_address(&case.program.elf, s) {
            Ok(a) => Some(a),
            Err(e) => return vec![format!("[{}] {e}", case.label())],
        },
        Expect::Signal {
            pc: Some(Where::Addr(a)),
            ..
        } => Some(*a),
        _ => None,
    };

    for backend in backends {
        let tag = format!("polyvm-{backend}");
        let label = format!("[{} | backend={backend}]", case.label());
        let mut cmd = guest_command(
            Runner::Polyvm(backend),
            case.program,
            &run.args,
            &scratch.0,
            &tag,
        );
        let actual = match run_captured(&mut cmd, &scratch.0, &tag) {
            Ok(o) => o,
            Err(e) => {
                problems.push(format!("{label} {e}"));
                continue;
            }
        };
        let mut found = Vec::new();
        let want = match &run.expect {
            Expect::Exit(code) => Status::Exited(*code),
            Expect::Signal { signal, .. } => Status::Exited(128 + signal),
        };
        if actual.status != want {
            found.push(format!(
                "status: polyvm gave {}, expected {want} (qemu: {})",
                actual.status, reference.status
            ));
        }
        let (ref_out, act_out) = (
            env_order_insensitive(&reference.stdout),
            env_order_insensitive(&actual.stdout),
        );
        if let Some(diff) = first_difference(&ref_out, &act_out) {
            found.push(format!("stdout differs: {diff}"));
        }
        match &run.expect {
            Expect::Exit(_) => {
                if let Some(diff) = first_difference(&reference.stderr, &actual.stderr) {
                    found.push(format!("stderr differs: {diff}"));
                }
            }
            Expect::Signal { .. } => {
                if let Some(line) = check_error_line(&actual.stderr, &mut found) {
                    if let Some(pc) = pc {
                        if !hex_numbers(&line).contains(&pc) {
                            found.push(format!(
                                "the error line does not name the guest pc {pc:#x}: {line}"
                            ));
                        }
                    }
                }
                let guest_ref = lines_without(&reference.stderr, "qemu:");
                let guest_act = lines_without(&actual.stderr, "polyvm:");
                if guest_ref != guest_act {
                    found.push(format!(
                        "guest stderr differs (emulator lines removed):\n    qemu:   {guest_ref:?}\n    polyvm: {guest_act:?}"
                    ));
                }
            }
        }
        if !found.is_empty() {
            let mut text = format!("{label}\n");
            for f in &found {
                let _ = writeln!(text, "  - {}", f.trim_end());
            }
            if !actual.stderr.is_empty() {
                let _ = write!(
                    text,
                    "  polyvm stderr:\n{}",
                    indent(&String::from_utf8_lossy(&actual.stderr))
                );
            }
            problems.push(text);
        }
    }
    problems
}

/// Runs every case the filter selects and fails the test with one report of all
/// problems.
fn check_programs(select: impl Fn(&Run) -> bool) {
    let programs = match programs() {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    };
    let backends = backends();
    assert!(!backends.is_empty(), "POLYVM_BACKENDS names no backend");
    let cases: Vec<Case> = programs
        .iter()
        .flat_map(|program| {
            (0..program.directives.runs.len()).map(move |run_index| Case { program, run_index })
        })
        .filter(|c| select(c.run()))
        .collect();
    let started = Instant::now();
    let results = parallel_map(cases, |case| {
        let t = Instant::now();
        let problems = check_case(case, &backends);
        (case.label(), t.elapsed(), problems)
    });
    let mut failed = 0;
    let mut report = String::new();
    for (label, elapsed, problems) in &results {
        let verdict = if problems.is_empty() { "ok  " } else { "FAIL" };
        println!("{verdict} {label} ({:.2} s)", elapsed.as_secs_f64());
        if !problems.is_empty() {
            failed += 1;
            for p in problems {
                let _ = writeln!(report, "{p}");
            }
        }
    }
    println!(
        "{} of {} runs passed on backends {:?} in {:.1} s",
        results.len() - failed,
        results.len(),
        backends,
        started.elapsed().as_secs_f64()
    );
    assert!(
        failed == 0,
        "{failed} of {} runs differ from qemu-riscv64:\n\n{report}",
        results.len()
    );
}

// ---------------------------------------------------------------------------------
// Tests

/// Programs that end normally: output and exit status must match qemu's.
#[test]
fn programs_match_qemu() {
    check_programs(|run| matches!(run.expect, Expect::Exit(_)));
}

/// Programs that die of a signal (illegal instruction, bad access, abort): polyvm
/// must exit with 128 + signal and one `polyvm:` line naming the pc.
#[test]
fn user_help_lists_the_options() {
    for flag in ["-h", "--help", "-help"] {
        let out = Command::new(polyvm())
            .args(["user", flag])
            .output()
            .expect("polyvm runs");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{flag}: {text}");
        for opt in ["-L PATH", "-d ITEM", "-accel tcg", "-strace", "--stats"] {
            assert!(text.contains(opt), "{flag}: `{opt}` missing from\n{text}");
        }
    }
}

#[test]
fn strace_logs_each_system_call() {
    let program = programs()
        .expect("programs build")
        .iter()
        .find(|p| p.name == "hello")
        .expect("hello exists");
    let out = Command::new(polyvm())
        .args(["user", "-strace"])
        .arg(&program.elf)
        .output()
        .expect("polyvm runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    // hello writes its line with write(1, …) and ends with exit_group(0).
    assert!(err.lines().any(|l| l.contains(" write(0x1,")), "{err}");
    assert!(err.lines().any(|l| l.contains(" exit_group(0x0,")), "{err}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("Hello"));
}

#[test]
fn env_order_is_the_parents() {
    let program = programs()
        .expect("programs build")
        .iter()
        .find(|p| p.name == "args_env")
        .expect("args_env exists");
    // std's Command sorts the variables it passes, so the order is given
    // through `-E`, which appends in command-line order.
    let out = Command::new(polyvm())
        .args(["user", "-E", "ZED=1", "-E", "ALPHA=2", "-E", "MID=3"])
        .arg(&program.elf)
        .env_clear()
        .output()
        .expect("polyvm runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let env: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("envp["))
        .filter_map(|l| l.split_once("] = ").map(|(_, v)| v))
        .collect();
    assert_eq!(env, ["\"ZED=1\"", "\"ALPHA=2\"", "\"MID=3\""], "{text}");
}

#[test]
fn guest_faults_match_qemu() {
    check_programs(|run| matches!(run.expect, Expect::Signal { .. }));
}

/// Bad input to `polyvm user`: one clear error line, a non-zero exit, no panic.
#[test]
fn cli_rejects_bad_input() {
    let scratch = Scratch::new("cli");
    let dir = &scratch.0;
    let text_file = dir.join("notes.txt");
    fs::write(&text_file, "this is a text file, not an ELF\n").unwrap();
    let empty_file = dir.join("empty");
    fs::write(&empty_file, b"").unwrap();
    // The committed demo ELF cut off in its program headers.
    let demo = fs::read(demo_dir().join("demo.riscv64.elf"))
        .expect("testsuite/demo/demo.riscv64.elf is committed");
    let truncated = dir.join("truncated.elf");
    fs::write(&truncated, &demo[..100.min(demo.len())]).unwrap();
    // ELFs for the host (x86-64 here), i.e. another architecture than the guest's.
    let host_elf = std::env::current_exe().unwrap();
    let mut cases: Vec<(&str, PathBuf)> = vec![
        ("missing file", dir.join("does-not-exist")),
        ("text file", text_file),
        ("empty file", empty_file),
        ("truncated ELF", truncated),
        ("directory", dir.clone()),
        ("host-architecture ELF", host_elf),
    ];
    if Path::new("/bin/true").exists() {
        cases.push(("host /bin/true", PathBuf::from("/bin/true")));
    }
    let mut report = String::new();
    for (what, path) in &cases {
        let mut cmd = Command::new(polyvm());
        cmd.arg("user").arg(path).env_clear();
        let out = match run_captured(&mut cmd, dir, "cli") {
            Ok(o) => o,
            Err(e) => {
                let _ = writeln!(report, "{what}: {e}");
                continue;
            }
        };
        let mut problems = Vec::new();
        match out.status {
            Status::Exited(0) => problems.push("exit status 0".to_string()),
            Status::Exited(_) => {}
            other => problems.push(format!("{other} (expected a non-zero exit status)")),
        }
        check_error_line(&out.stderr, &mut problems);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if stderr.lines().count() != 1 {
            problems.push(format!(
                "expected one line on stderr, found {}",
                stderr.lines().count()
            ));
        }
        if !out.stdout.is_empty() {
            problems.push(format!(
                "unexpected stdout:\n{}",
                indent(&String::from_utf8_lossy(&out.stdout))
            ));
        }
        println!("{what}: {} / {}", out.status, stderr.trim_end());
        if !problems.is_empty() {
            let _ = writeln!(report, "polyvm user {} ({what}):", path.display());
            for p in problems {
                let _ = writeln!(report, "  - {}", p.trim_end());
            }
            let _ = write!(report, "  stderr:\n{}", indent(&stderr));
        }
    }
    assert!(
        report.is_empty(),
        "bad input was not rejected cleanly:\n{report}"
    );
}

/// What the demo guest prints; each value is checked independently in
/// testsuite/demo/README.md (π(2·10⁶) = 148933; the rest with Python's zlib and
/// plain integer arithmetic).
const DEMO_LINES: &[&str] = &[
    "polyvm demo: a riscv64 guest computing primes, a CRC and Collatz chains",
    "primes below 2000000: 148933",
    "largest prime below 2000000: 1999993",
    "crc32 of 1 MiB of LCG bytes: 0xc0f68319",
    "collatz steps for 1..30000: 2864311",
    "longest collatz chain below 30001: 26623 (307 steps)",
    "demo done",
];

/// The committed demo ELF prints the expected lines under qemu, a fresh build of
/// demo.c prints the same, and `polyvm demo` prints them too (extra lines, such as
/// statistics, are allowed around them).
#[test]
fn demo_matches_reference() {
    let committed = demo_dir().join("demo.riscv64.elf");
    let scratch = Scratch::new("demo");
    let mut report = String::new();
    let expected: String = DEMO_LINES.iter().map(|l| format!("{l}\n")).collect();

    match ensure_tools() {
        Ok(()) => {
            let reference =
                run_captured(Command::new(QEMU).arg(&committed), &scratch.0, "committed").unwrap();
            if reference.status != Status::Exited(0) || reference.stdout != expected.as_bytes() {
                let _ = writeln!(
                    report,
                    "committed demo.riscv64.elf under qemu: {}\n{}",
                    reference.status,
                    first_difference(expected.as_bytes(), &reference.stdout).unwrap_or_default()
                );
            }
            let fresh = scratch.0.join("demo.fresh.elf");
            let build = Command::new("bash")
                .arg(demo_dir().join("build.sh"))
                .arg(&fresh)
                .output()
                .expect("cannot run testsuite/demo/build.sh");
            if !build.status.success() {
                let _ = writeln!(
                    report,
                    "demo build failed:\n{}",
                    indent(&String::from_utf8_lossy(&build.stderr))
                );
            } else {
                let rebuilt =
                    run_captured(Command::new(QEMU).arg(&fresh), &scratch.0, "fresh").unwrap();
                if let Some(diff) = first_difference(&reference.stdout, &rebuilt.stdout) {
                    let _ = writeln!(
                        report,
                        "a fresh build of demo.c prints something else: {diff}"
                    );
                }
                if fs::read(&fresh).ok() != fs::read(&committed).ok() {
                    // Another compiler version may lay the code out differently; the output
                    // is what must agree. Say so, so that a stale ELF gets noticed.
                    println!("note: demo.riscv64.elf differs from a fresh build (other compiler?); rebuild it with testsuite/demo/build.sh");
                }
            }
        }
        Err(e) => {
            let _ = writeln!(report, "{e}");
        }
    }

    let mut demo_cmd = Command::new(polyvm());
    demo_cmd.arg("demo").env_clear();
    let out = run_captured(&mut demo_cmd, &scratch.0, "polyvm-demo").unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut lines = stdout.lines();
    let missing: Vec<&str> = DEMO_LINES
        .iter()
        .copied()
        .filter(|want| !lines.any(|l| l == *want))
        .collect();
    if out.status != Status::Exited(0) || !missing.is_empty() {
        let _ = writeln!(
            report,
            "`polyvm demo`: {}; lines missing or out of order: {missing:?}\n  stdout:\n{}  stderr:\n{}",
            out.status,
            indent(&stdout),
            indent(&String::from_utf8_lossy(&out.stderr))
        );
    }
    assert!(report.is_empty(), "{report}");
}

/// The directive parser itself (no tools needed).
#[test]
fn directive_parser() {
    let d = parse_directives(
        "// build: -O2\n// run: a b => exit 3\n// run: => signal 4 at bad_insn\n\
         // run: x => signal 11 at 0x0\n// run: @TMPFILE@\n// env: K=V=W\n// sysroot: /sys/root\n\
         int main() {}\n   // run: indented lines are not directives\n",
    )
    .unwrap();
    assert_eq!(
        d.runs,
        vec![
            Run {
                args: vec!["a".into(), "b".into()],
                expect: Expect::Exit(3)
            },
            Run {
                args: vec![],
                expect: Expect::Signal {
                    signal: 4,
                    pc: Some(Where::Symbol("bad_insn".into()))
                }
            },
            Run {
                args: vec!["x".into()],
                expect: Expect::Signal {
                    signal: 11,
                    pc: Some(Where::Addr(0))
                }
            },
            Run {
                args: vec![TMPFILE.into()],
                expect: Expect::Exit(0)
            },
        ]
    );
    assert_eq!(d.env, vec![("K".to_string(), "V=W".to_string())]);
    assert_eq!(d.sysroot.as_deref(), Some("/sys/root"));
    // No run lines: one run without arguments, expecting exit 0.
    assert_eq!(
        parse_directives("int x;\n").unwrap().runs,
        vec![Run {
            args: vec![],
            expect: Expect::Exit(0)
        }]
    );
    assert!(parse_directives("// run: => exit\n").is_err());
    assert!(parse_directives("// run: => signal 4 near x\n").is_err());
    assert!(parse_directives("// run: => crash\n").is_err());
    assert!(parse_directives("// env: NOEQUALS\n").is_err());
}

/// Finding the pc in an error line, and the other small helpers.
#[test]
fn helpers() {
    assert_eq!(
        hex_numbers("polyvm: illegal instruction at pc 0x1027c (signal 4)"),
        vec![0x1027c]
    );
    assert_eq!(
        hex_numbers("polyvm: SIGSEGV pc=000000000001026A addr=0x0"),
        vec![0x1026a, 0]
    );
    assert!(hex_numbers("polyvm: bad 4 de 11").is_empty());
    assert_eq!(first_difference(b"a\nb\n", b"a\nb\n"), None);
    let diff = first_difference(b"a\nb\nc\n", b"a\nX\nc\n").unwrap();
    assert!(diff.contains("first difference at line 2"), "{diff}");
    assert_eq!(
        lines_without(b"qemu: x\nguest\n", "qemu:"),
        vec!["guest".to_string()]
    );
    let mut problems = Vec::new();
    assert_eq!(
        check_error_line(b"polyvm: no such file\n", &mut problems).as_deref(),
        Some("polyvm: no such file")
    );
    assert!(problems.is_empty());
    check_error_line(b"thread 'main' panicked at src/main.rs\n", &mut problems);
    assert_eq!(problems.len(), 2, "{problems:?}");
    let items: Vec<u32> = (0..50).collect();
    assert_eq!(
        parallel_map(items.clone(), |x| x * 2),
        items.iter().map(|x| x * 2).collect::<Vec<_>>()
    );
}
