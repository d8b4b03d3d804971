//! compare-qemu: polyvm against qemu-riscv64 and native on our benchmark
//! programs, side by side.
//!
//! ```text
//!  build (cached): programs/*.c ─► riscv64 static ELF + native exe
//!  for each program, for each round: native, qemu, polyvm <backend>…
//!        (runner order rotates every round, so slow drifts of the machine
//!         spread over all runners)
//!  check: every run prints what the native build printed, same exit status
//!  report (stdout, markdown): medians, polyvm/QEMU, QEMU/polyvm, polyvm/native,
//!        geometric means per group, polyvm's translation cost from --stats
//! ```
//!
//! Progress goes to stderr, the report to stdout, so `compare-qemu > r.md` works.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::Duration;

use clap::Parser;
use polyvm_benches::measure::{self, Builds, RunResult, Runner, Tools};
use polyvm_benches::programs::{self, Group, Program};
use polyvm_benches::report::{self, count, geomean, median, or_dash, ratio, secs, Align, Table};
use polyvm_benches::toolchain::{self, Toolchain};
use polyvm_benches::{Error, Result};

#[derive(Parser, Debug)]
#[command(
    name = "compare-qemu",
    about = "Times polyvm against qemu-riscv64 and native code on polyvm's benchmark programs",
    after_help = "Needs qemu-riscv64, riscv64-linux-gnu-gcc and gcc (testsuite/install-deps.sh \
                  installs them) and a release build of polyvm (cargo build --release)."
)]
struct Args {
    /// Timed runs of every program under every runner; the median is reported.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// polyvm backends to compare, comma-separated; ones this polyvm does not
    /// know are skipped with a note.
    #[arg(long, value_delimiter = ',', default_value = "interp,x86_64")]
    backends: Vec<String>,
    /// Only programs whose name contains one of these comma-separated words,
    /// or a group name (integer, indirect).
    #[arg(long)]
    filter: Option<String>,
    /// Work per program in percent of the default (about 1 s each under
    /// QEMU at 100).
    #[arg(long, default_value_t = 100)]
    scale: u32,
    /// The polyvm binary (default: release/polyvm in this tool's target dir).
    #[arg(long)]
    polyvm: Option<PathBuf>,
    /// The QEMU user-mode emulator.
    #[arg(long, default_value = "qemu-riscv64")]
    qemu: PathBuf,
    /// Where program builds are cached (default: bench-programs/ in the
    /// target dir).
    #[arg(long)]
    cache_dir: Option<PathBuf>,
    /// Kill a run that takes longer than this many seconds.
    #[arg(long, default_value_t = 600)]
    timeout: u64,
}

/// Everything measured for one program.
struct ProgramResult {
    program: Program,
    /// Runs per runner label, in round order.
    runs: BTreeMap<String, Vec<RunResult>>,
    /// Human descriptions of runs that disagreed with the native reference.
    mismatches: Vec<String>,
    /// Runner labels with at least one disagreeing run.
    bad_runners: Vec<String>,
}

impl ProgramResult {
    fn median_secs(&self, label: &str) -> Option<f64> {
        let runs = self.runs.get(label)?;
        median(
            &runs
                .iter()
                .map(|r| r.wall.as_secs_f64())
                .collect::<Vec<_>>(),
        )
    }

    /// Median of a statistic over a runner's runs that reported it.
    fn median_stat(&self, label: &str, f: impl Fn(&RunResult) -> Option<f64>) -> Option<f64> {
        let v: Vec<f64> = self.runs.get(label)?.iter().filter_map(f).collect();
        median(&v)
    }

    fn ok(&self, label: &str) -> bool {
        !self.bad_runners.iter().any(|b| b == label)
    }
}

fn first_line(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.lines().next().map(|l| l.trim().to_string())
}

/// The newest modification time of a `.rs` or `Cargo.toml` file under `dir`.
fn newest_source(dir: &std::path::Path) -> Option<std::time::SystemTime> {
    let mut newest = None;
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let t = if path.is_dir() {
            if name == "target" || name.to_string_lossy().starts_with('.') {
                continue;
            }
            newest_source(&path)
        } else if path.extension().is_some_and(|e| e == "rs") || name == "Cargo.toml" {
            entry.metadata().ok()?.modified().ok()
        } else {
            None
        };
        newest = newest.max(t);
    }
    newest
}

/// A warning if polyvm's sources changed after `polyvm` was built: timing a
/// stale binary is an easy mistake.
fn staleness_warning(polyvm: &std::path::Path) -> Option<String> {
    let built = std::fs::metadata(polyvm).ok()?.modified().ok()?;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent()?;
    let dirs = [
        "src",
        "ir",
        "frontends",
        "backends",
        "runtime",
        "accel",
        "machines",
    ];
    let newest = dirs
        .iter()
        .filter_map(|d| newest_source(&root.join(d)))
        .max()?;
    (newest > built).then(|| {
        format!(
            "{} is older than polyvm's sources in {}: rebuild it (`cargo build --release`) for current numbers",
            polyvm.display(),
            root.display()
        )
    })
}

fn host_cpu() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = info
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, m)| m.trim().to_string())
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{model}, {cpus} CPUs")
}

/// A one-line rendering of a run's visible result, for mismatch reports.
fn describe(r: &RunResult) -> String {
    let mut s = format!("exit {}", r.status);
    if r.timed_out {
        s += " (killed: timeout)";
    }
    s += &format!(", stdout {:?}", r.stdout);
    if !r.stderr.is_empty() {
        s += &format!(", stderr {:?}", r.stderr);
    }
    s
}

fn measure_program(
    program: &Program,
    builds: &Builds,
    tools: &Tools,
    runners: &[Runner],
    args: &Args,
) -> Result<ProgramResult> {
    let prog_args = vec![args.scale.to_string()];
    let timeout = Duration::from_secs(args.timeout);
    let mut res = ProgramResult {
        program: *program,
        runs: BTreeMap::new(),
        mismatches: Vec::new(),
        bad_runners: Vec::new(),
    };
    let mut reference: Option<RunResult> = None;
    for round in 0..args.runs {
        let mut line = format!("[{} {}/{}]", program.name, round + 1, args.runs);
        for k in 0..runners.len() {
            let runner = &runners[(k + round) % runners.len()];
            let cmd = measure::command(runner, tools, builds, &prog_args);
            let r = measure::run_timed(cmd, timeout)?;
            let label = runner.label();
            line += &format!("  {label} {:.3} s", r.wall.as_secs_f64());
            if *runner == Runner::Native && reference.is_none() {
                if r.status != 0 || r.timed_out {
                    res.mismatches.push(format!(
                        "{}: the native build itself failed: {}",
                        program.name,
                        describe(&r)
                    ));
                    // Timing a broken program means nothing for any runner.
                    res.bad_runners.push(label.clone());
                }
                reference = Some(r.clone());
            }
            res.runs.entry(label).or_default().push(r);
        }
        eprintln!("{line}");
    }
    // The reference is native's first run (round 0 starts with it); every run,
    // that one included, is compared with it.
    let Some(reference) = reference else {
        return Err(Error::Usage("no native run to compare with".into()));
    };
    for (label, runs) in &res.runs {
        for (i, r) in runs.iter().enumerate() {
            if r.stdout != reference.stdout || r.status != reference.status || r.timed_out {
                res.mismatches.push(format!(
                    "{} under {label}, run {}: {}; native: {}",
                    program.name,
                    i + 1,
                    describe(r),
                    describe(&reference)
                ));
                if !res.bad_runners.contains(label) {
                    res.bad_runners.push(label.clone());
                }
            }
        }
    }
    Ok(res)
}

/// How repeatable the runs were: the spread (max - min) / median of each
/// program's runs under each runner, summarised as its median and maximum.
fn noise_line(results: &[ProgramResult]) -> Option<String> {
    let mut spreads = Vec::new();
    for r in results {
        for (label, runs) in &r.runs {
            let t: Vec<f64> = runs.iter().map(|x| x.wall.as_secs_f64()).collect();
            if t.len() < 3 {
                continue;
            }
            let (lo, hi) = t
                .iter()
                .fold((f64::MAX, 0.0f64), |(lo, hi), &x| (lo.min(x), hi.max(x)));
            if let Some(m) = median(&t).filter(|&m| m > 0.0) {
                spreads.push(((hi - lo) / m, format!("{} under {label}", r.program.name)));
            }
        }
    }
    let mid = median(&spreads.iter().map(|s| s.0).collect::<Vec<_>>())?;
    let worst = spreads.iter().max_by(|a, b| a.0.total_cmp(&b.0))?;
    Some(format!(
        "- run-to-run spread (max - min) / median: {:.1}% typical, {:.1}% worst ({})\n",
        mid * 100.0,
        worst.0 * 100.0,
        worst.1
    ))
}

fn time_table(results: &[ProgramResult], backends: &[String]) -> Table {
    let mut headers: Vec<(String, Align)> = vec![
        ("program".into(), Align::Left),
        ("group".into(), Align::Left),
        ("native s".into(), Align::Right),
        ("qemu s".into(), Align::Right),
    ];
    for b in backends {
        headers.push((format!("{b} s"), Align::Right));
        headers.push((format!("{b}/qemu"), Align::Right));
        headers.push((format!("qemu/{b}"), Align::Right));
        headers.push((format!("{b}/native"), Align::Right));
    }
    let h: Vec<(&str, Align)> = headers.iter().map(|(s, a)| (s.as_str(), *a)).collect();
    let mut t = Table::new(&h);
    for r in results {
        let mark = |label: &str, v: String| if r.ok(label) { v } else { format!("{v} !") };
        let native = r.median_secs("native");
        let qemu = r.median_secs("qemu");
        let mut row = vec![
            r.program.name.to_string(),
            r.program.group.name().to_string(),
            mark("native", or_dash(native.map(secs))),
            mark("qemu", or_dash(qemu.map(secs))),
        ];
        for b in backends {
            let label = Runner::Polyvm(b.clone()).label();
            let p = r.median_secs(&label);
            row.push(mark(&label, or_dash(p.map(secs))));
            let div = |a: Option<f64>, b: Option<f64>| match (a, b) {
                (Some(a), Some(b)) if b > 0.0 => Some(ratio(a / b)),
                _ => None,
            };
            row.push(or_dash(div(p, qemu)));
            row.push(or_dash(div(qemu, p)));
            row.push(or_dash(div(p, native)));
        }
        t.row(row);
    }
    t
}

fn geomean_table(results: &[ProgramResult], backends: &[String]) -> (Table, Vec<String>) {
    let mut t = Table::new(&[
        ("backend", Align::Left),
        ("group", Align::Left),
        ("programs", Align::Right),
        ("speedup qemu/polyvm", Align::Right),
        ("polyvm/native", Align::Right),
        ("qemu/native", Align::Right),
    ]);
    let mut notes = Vec::new();
    for b in backends {
        let label = Runner::Polyvm(b.clone()).label();
        for group in [Some(Group::Integer), Some(Group::Indirect), None] {
            let mut speedups = Vec::new();
            let mut vs_native = Vec::new();
            let mut qemu_native = Vec::new();
            for r in results {
                if group.is_some_and(|g| r.program.group != g) {
                    continue;
                }
                if !(r.ok(&label) && r.ok("qemu") && r.ok("native")) {
                    if group.is_none() {
                        notes.push(format!(
                            "{} left out of the {b} means: outputs disagree",
                            r.program.name
                        ));
                    }
                    continue;
                }
                let (Some(p), Some(q), Some(n)) = (
                    r.median_secs(&label),
                    r.median_secs("qemu"),
                    r.median_secs("native"),
                ) else {
                    continue;
                };
                speedups.push(q / p);
                vs_native.push(p / n);
                qemu_native.push(q / n);
            }
            t.row(vec![
                b.clone(),
                group.map_or("all", Group::name).to_string(),
                speedups.len().to_string(),
                or_dash(geomean(&speedups).map(ratio)),
                or_dash(geomean(&vs_native).map(ratio)),
                or_dash(geomean(&qemu_native).map(ratio)),
            ]);
        }
    }
    (t, notes)
}

fn stats_table(results: &[ProgramResult], backends: &[String]) -> (Table, Vec<String>) {
    let mut t = Table::new(&[
        ("program", Align::Left),
        ("backend", Align::Left),
        ("guest insns executed", Align::Right),
        ("blocks translated", Align::Right),
        ("insns translated", Align::Right),
        ("ns per translated insn", Align::Right),
        ("translating % of run", Align::Right),
        ("guest MIPS", Align::Right),
    ]);
    let mut summary = Vec::new();
    for b in backends {
        let label = Runner::Polyvm(b.clone()).label();
        let mut per_program = Vec::new();
        for r in results {
            let st = |f: fn(&RunResult) -> Option<f64>| r.median_stat(&label, f);
            let ns = st(|x| x.stats.as_ref()?.ns_per_translated_insn());
            if let Some(ns) = ns {
                per_program.push(ns);
            }
            let whole = |v: Option<f64>| v.map(|v| count(v.round() as u64));
            t.row(vec![
                r.program.name.to_string(),
                b.clone(),
                or_dash(whole(st(|x| {
                    x.stats.as_ref()?.insns_executed.map(|v| v as f64)
                }))),
                or_dash(whole(st(|x| {
                    x.stats.as_ref()?.blocks_translated.map(|v| v as f64)
                }))),
                or_dash(whole(st(|x| {
                    x.stats.as_ref()?.insns_translated.map(|v| v as f64)
                }))),
                or_dash(ns.map(|v| format!("{v:.0}"))),
                or_dash(
                    st(|x| x.stats.as_ref()?.translate_share())
                        .map(|v| format!("{:.2}", v * 100.0)),
                ),
                or_dash(st(|x| x.stats.as_ref()?.mips).map(|v| format!("{v:.1}"))),
            ]);
        }
        if let Some(m) = median(&per_program) {
            summary.push(format!(
                "{b}: {m:.0} ns per translated guest instruction (median over {} programs)",
                per_program.len()
            ));
        }
    }
    (t, summary)
}

fn run(args: &Args) -> Result<bool> {
    if args.runs == 0 {
        return Err(Error::Usage("--runs must be at least 1".into()));
    }
    if args.scale == 0 || args.scale > 100_000 {
        return Err(Error::Usage("--scale must be 1..=100000 (percent)".into()));
    }
    let selected = programs::select(args.filter.as_deref())?;

    // Tools first, so that a missing one is reported before any work.
    let qemu_version = Command::new(&args.qemu)
        .arg("--version")
        .output()
        .map_err(|e| Error::MissingTool {
            tool: args.qemu.display().to_string(),
            why: e.to_string(),
        })?;
    let qemu_version = String::from_utf8_lossy(&qemu_version.stdout)
        .lines()
        .next()
        .unwrap_or("")
        .to_string();
    let cross = Toolchain::riscv64()?;
    let native = Toolchain::native()?;
    let polyvm = args
        .polyvm
        .clone()
        .unwrap_or_else(|| toolchain::target_dir().join("release").join("polyvm"));
    if !polyvm.is_file() {
        return Err(Error::NoPolyvm(polyvm));
    }
    let mut notes = Vec::new();
    if args.polyvm.is_none() {
        if let Some(w) = staleness_warning(&polyvm) {
            eprintln!("warning: {w}");
            notes.push(w);
        }
    }
    let mut backends = Vec::new();
    for (b, known) in measure::known_backends(&polyvm, &args.backends)? {
        if known {
            backends.push(b);
        } else {
            let note = format!(
                "backend `{b}` skipped: {} does not know it (`polyvm user -accel help` lists its backends)",
                polyvm.display()
            );
            eprintln!("note: {note}");
            notes.push(note);
        }
    }
    if backends.is_empty() {
        return Err(Error::Usage(format!(
            "none of the backends {} is available in {}",
            args.backends.join(", "),
            polyvm.display()
        )));
    }

    let cache = args
        .cache_dir
        .clone()
        .unwrap_or_else(toolchain::default_cache_dir);
    let mut builds = Vec::new();
    for p in &selected {
        let b = Builds {
            native: native.build(p, &cache)?,
            riscv64: cross.build(p, &cache)?,
        };
        eprintln!("built {}: {}", p.name, b.riscv64.display());
        builds.push(b);
    }

    let tools = Tools {
        qemu: args.qemu.clone(),
        polyvm: polyvm.clone(),
    };
    let mut runners = vec![Runner::Native, Runner::Qemu];
    runners.extend(backends.iter().cloned().map(Runner::Polyvm));
    let mut results = Vec::new();
    for (p, b) in selected.iter().zip(&builds) {
        results.push(measure_program(p, b, &tools, &runners, args)?);
    }

    // The report.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let command: Vec<String> = std::env::args().collect();
    let mut out = String::new();
    out += "# polyvm vs QEMU: riscv64 linux-user benchmark programs\n\n";
    out += &format!("- date: {} (UTC)\n", report::utc_date(now));
    out += &format!("- host: {}\n", host_cpu());
    out += &format!("- command: `{}`\n", command.join(" "));
    out += &format!(
        "- timed runs per program and runner: {} (median reported), runner order rotated every round; scale {}%\n",
        args.runs, args.scale
    );
    if let Some(line) = noise_line(&results) {
        out += &line;
    }
    out += &format!(
        "- native: {} {}; guest: {} {}\n",
        native.version_line(),
        native.flags.join(" "),
        cross.version_line(),
        cross.flags.join(" ")
    );
    out += &format!("- qemu: {qemu_version}\n");
    out += &format!(
        "- polyvm: {} (backends: {})\n",
        polyvm.display(),
        backends.join(", ")
    );
    if let Some(v) = first_line(Command::new(&polyvm).arg("--version")) {
        out += &format!("- polyvm version: {v}\n");
    }
    for n in &notes {
        out += &format!("- note: {n}\n");
    }
    out += "\n## Median wall time (seconds) and ratios\n\n";
    out += "`B/qemu` is polyvm's time over QEMU's (below 1: polyvm is faster); \
            `qemu/B` is the speedup over QEMU (above 1: polyvm is faster); \
            `B/native` is the slowdown against the host build. \
            `!` marks a runner whose output differed from the native build's.\n\n";
    out += &time_table(&results, &backends).render();
    out += "\n## Geometric means\n\n";
    let (gt, gnotes) = geomean_table(&results, &backends);
    out += &gt.render();
    if !gnotes.is_empty() {
        out += "\n";
        for n in gnotes {
            out += &format!("- {n}\n");
        }
    }
    out += "\n## polyvm statistics (`--stats`, medians over the runs)\n\n";
    let (st, summary) = stats_table(&results, &backends);
    out += &st.render();
    if !summary.is_empty() {
        out += "\nTranslation cost: ";
        out += &summary.join("; ");
        out += "\n";
    }
    let mismatches: Vec<&String> = results.iter().flat_map(|r| &r.mismatches).collect();
    if !mismatches.is_empty() {
        out += "\n## Output mismatches\n\n";
        for m in &mismatches {
            out += &format!("- {m}\n");
        }
    }
    print!("{out}");
    Ok(mismatches.is_empty())
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("compare-qemu: some runs printed something else than the native build (see the report)");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("compare-qemu: {e}");
            ExitCode::from(2)
        }
    }
}
