//! File tests: IR text in, expected IR text (or error) out.
//!
//! A `.tir` file starts with a `test` line naming what to do, then one
//! block of IR (see `polyvm_ir::print` for the grammar), then expectations
//! in comments:
//!
//! ```text
//! test optimize                    ; or: print, verify, run, or pass names
//! block pc=0x1000 addr=i64
//!   global x1: i64 @ 8
//!   add.i64 x1, x1, 0
//!   exit_tb 0
//! ; check:
//! ; block pc=0x1000 addr=i64
//! ;   global x1: i64 @ 8
//! ;   exit_tb 0
//! ```
//!
//! Kinds:
//! - `test print`: the block prints back as the `; check:` text, or, with
//!   no check block, exactly as written (comments and blank lines aside);
//!   the printed text parses back to an equal block.
//! - `test verify`: with `; error: <substring>` lines, parsing or verifying
//!   must fail with a message containing every substring; without, the
//!   block must verify.
//! - `test optimize`: runs `polyvm_ir::opt::optimize`.
//! - `test <pass> [<pass> …]` (`fold`, `copyprop`, `dce`, `envopt`): runs
//!   those passes in order. Input must verify, output must verify and match
//!   the check block.
//! - `test run`: each `; run: x1=5 x2=7 -> x3=12` line sets globals, executes
//!   the block (as written and optimised) through a [`Runner`] and compares
//!   the named globals after. Without a runner the file is skipped.
//!
//! Set `POLYVM_BLESS=1` to rewrite each file's `; check:` block with the
//! actual output instead of failing (then read the diff before committing:
//! blessed output is only as right as the reviewer who checked it).

use polyvm_ir::opt::{optimize, pass_by_name, Pass};
use polyvm_ir::verify::verify;
use polyvm_ir::Block;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Errors from reading or running file tests.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {msg}")]
    Format {
        path: PathBuf,
        line: usize,
        msg: String,
    },
}

pub type Result<T> = std::result::Result<T, Error>;

/// One `; run:` line: globals to set, and globals to expect afterwards.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunCase {
    /// 1-based line in the file.
    pub line: usize,
    /// (global index, value) to set before running.
    pub inputs: Vec<(usize, u64)>,
    /// (global index, value) expected after running.
    pub expect: Vec<(usize, u64)>,
}

/// Executes a block for `test run`: starting from the case's inputs (other
/// globals zero), returns every global's value when the block exits, by
/// global index.
pub type Runner<'a> = &'a dyn Fn(&Block, &RunCase) -> std::result::Result<Vec<u64>, String>;

/// How to run file tests.
#[derive(Clone, Copy, Default)]
pub struct Config<'a> {
    /// Rewrite expected output instead of failing (`POLYVM_BLESS=1`).
    pub bless: bool,
    /// Executor for `test run`; those files are skipped without one.
    pub runner: Option<Runner<'a>>,
}

impl Config<'_> {
    /// The default configuration, blessing if `POLYVM_BLESS=1` is set.
    pub fn from_env() -> Config<'static> {
        Config {
            bless: std::env::var("POLYVM_BLESS").is_ok_and(|v| v == "1"),
            runner: None,
        }
    }
}

/// The result of one file.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    /// The check block was rewritten.
    Blessed,
    Skipped(String),
    Fail(String),
}

/// What a `test` line asks for.
#[derive(Clone, Debug)]
enum Kind {
    Print,
    Verify,
    Optimize,
    Passes(Vec<(String, Pass)>),
    Run,
}

/// A file split into its parts.
#[derive(Debug)]
struct TestFile {
    kind: Kind,
    /// The IR text (everything between the `test` line and `; check:`).
    body: String,
    /// 1-based line of the first body line.
    body_line: usize,
    /// Lines of the `; check:` block, without the `; ` prefix.
    check: Option<Vec<String>>,
    /// Text before `; check:`, kept when blessing.
    before_check: String,
    errors: Vec<String>,
    /// (line, text after `run:`).
    runs: Vec<(usize, String)>,
}

fn format_err(path: &Path, line: usize, msg: impl Into<String>) -> Error {
    Error::Format {
        path: path.to_path_buf(),
        line,
        msg: msg.into(),
    }
}

fn split_file(path: &Path, text: &str) -> Result<TestFile> {
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
    let (test_line, header) = lines
        .by_ref()
        .find(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with(';'))
        .ok_or_else(|| format_err(path, 1, "empty file: expected a `test` line"))?;
    let mut words = header.split(';').next().unwrap_or("").split_whitespace();
    if words.next() != Some("test") {
        return Err(format_err(
            path,
            test_line,
            "the first line must be `test <kind>`",
        ));
    }
    let kind = match words.next() {
        Some("print") => Kind::Print,
        Some("verify") => Kind::Verify,
        Some("optimize") => Kind::Optimize,
        Some("run") => Kind::Run,
        Some(first) => {
            let mut passes = Vec::new();
            for name in std::iter::once(first).chain(words.by_ref()) {
                let p = pass_by_name(name).ok_or_else(|| {
                    format_err(
                        path,
                        test_line,
                        format!("unknown test kind or pass `{name}`"),
                    )
                })?;
                passes.push((name.to_string(), p));
            }
            Kind::Passes(passes)
        }
        None => return Err(format_err(path, test_line, "`test` needs a kind")),
    };
    if let Some(extra) = words.next() {
        return Err(format_err(path, test_line, format!("unexpected `{extra}`")));
    }
    let mut tf = TestFile {
        kind,
        body: String::new(),
        body_line: test_line + 1,
        check: None,
        before_check: String::new(),
        errors: Vec::new(),
        runs: Vec::new(),
    };
    for l in text.lines().take(test_line) {
        tf.before_check.push_str(l);
        tf.before_check.push('\n');
    }
    for (n, l) in lines {
        let t = l.trim();
        if let Some(check) = &mut tf.check {
            match t.strip_prefix(';') {
                Some(rest) => check.push(rest.strip_prefix(' ').unwrap_or(rest).to_string()),
                None if t.is_empty() => {}
                None => {
                    return Err(format_err(
                        path,
                        n,
                        "only comment lines may follow `; check:`",
                    ))
                }
            }
            continue;
        }
        if t == "; check:" {
            tf.check = Some(Vec::new());
            continue;
        }
        if let Some(e) = t.strip_prefix("; error:") {
            tf.errors.push(e.trim().to_string());
        } else if let Some(r) = t.strip_prefix("; run:") {
            tf.runs.push((n, r.trim().to_string()));
        }
        tf.body.push_str(l);
        tf.body.push('\n');
        tf.before_check.push_str(l);
        tf.before_check.push('\n');
    }
    Ok(tf)
}

/// Parses `5`, `-1`, `0x10` (64-bit, negative values wrap).
fn parse_value(s: &str) -> Option<u64> {
    let (neg, d) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s),
    };
    let v = match d.strip_prefix("0x") {
        Some(h) if !h.is_empty() && h.bytes().all(|c| c.is_ascii_hexdigit()) => {
            u64::from_str_radix(h, 16).ok()?
        }
        _ if !d.is_empty() && d.bytes().all(|c| c.is_ascii_digit()) => d.parse().ok()?,
        _ => return None,
    };
    Some(if neg { v.wrapping_neg() } else { v })
}

/// Parses the text after `; run:` against the block's globals.
pub fn parse_run(block: &Block, line: usize, text: &str) -> std::result::Result<RunCase, String> {
    let (ins, outs) = text
        .split_once("->")
        .ok_or("a run line is `name=value … -> name=value …`")?;
    let assigns = |s: &str| -> std::result::Result<Vec<(usize, u64)>, String> {
        s.split_whitespace()
            .map(|a| {
                let (name, val) = a
                    .split_once('=')
                    .ok_or_else(|| format!("`{a}` is not name=value"))?;
                let g = block
                    .globals
                    .iter()
                    .position(|g| g.name == name)
                    .ok_or_else(|| format!("`{name}` is not a global of the block"))?;
                let v = parse_value(val).ok_or_else(|| format!("`{val}` is not a number"))?;
                Ok((g, block.globals[g].ty.mask(v)))
            })
            .collect()
    };
    Ok(RunCase {
        line,
        inputs: assigns(ins)?,
        expect: assigns(outs)?,
    })
}

/// The IR lines of `text`: comments, trailing blanks and empty lines gone.
fn ir_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.split(';').next().unwrap_or("").trim_end().to_string())
        .filter(|l| !l.trim().is_empty())
        .collect()
}

fn trimmed(lines: &[String]) -> Vec<String> {
    let mut v: Vec<String> = lines.iter().map(|l| l.trim_end().to_string()).collect();
    while v.last().is_some_and(|l| l.is_empty()) {
        v.pop();
    }
    while v.first().is_some_and(|l| l.is_empty()) {
        v.remove(0);
    }
    v
}

/// A line diff (longest common subsequence): `-` expected, `+` actual.
pub fn diff(expected: &[String], actual: &[String]) -> String {
    let (n, m) = (expected.len(), actual.len());
    let mut lcs = vec![0u32; (n + 1) * (m + 1)];
    let at = |i: usize, j: usize| i * (m + 1) + j;
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[at(i, j)] = if expected[i] == actual[j] {
                lcs[at(i + 1, j + 1)] + 1
            } else {
                lcs[at(i + 1, j)].max(lcs[at(i, j + 1)])
            };
        }
    }
    let mut out = String::new();
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && expected[i] == actual[j] {
            let _ = writeln!(out, "  {}", expected[i]);
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[at(i + 1, j)] >= lcs[at(i, j + 1)]) {
            let _ = writeln!(out, "- {}", expected[i]);
            i += 1;
        } else {
            let _ = writeln!(out, "+ {}", actual[j]);
            j += 1;
        }
    }
    out
}

/// Compares output with the check block, blessing if asked.
fn expect_output(path: &Path, tf: &TestFile, actual: &str, cfg: &Config<'_>) -> Result<Outcome> {
    let actual: Vec<String> = trimmed(&actual.lines().map(str::to_string).collect::<Vec<_>>());
    let expected = tf.check.as_deref().map(trimmed);
    if expected.as_ref() == Some(&actual) {
        return Ok(Outcome::Pass);
    }
    if cfg.bless {
        let mut text = tf.before_check.trim_end().to_string();
        text.push_str("\n; check:\n");
        for l in &actual {
            text.push(';');
            if !l.is_empty() {
                text.push(' ');
                text.push_str(l);
            }
            text.push('\n');
        }
        std::fs::write(path, text).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        return Ok(Outcome::Blessed);
    }
    Ok(Outcome::Fail(match expected {
        None => format!("no `; check:` block; the output is:\n{}", actual.join("\n")),
        Some(e) => format!(
            "output differs (- expected, + actual):\n{}",
            diff(&e, &actual)
        ),
    }))
}

/// Runs one file test.
pub fn run_file(path: &Path, cfg: &Config<'_>) -> Result<Outcome> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    run_text(path, &text, cfg)
}

/// Runs a file test given as text (`path` names it in messages and is
/// written when blessing).
pub fn run_text(path: &Path, text: &str, cfg: &Config<'_>) -> Result<Outcome> {
    let tf = split_file(path, text)?;
    // Parse-error line numbers count from the block's first line; report
    // them as file lines.
    let parsed = polyvm_ir::parse::parse(&tf.body).map_err(|e| match e {
        polyvm_ir::Error::Parse { line, msg } => (tf.body_line + line - 1, msg),
        other => (tf.body_line, other.to_string()),
    });
    if let Kind::Verify = tf.kind {
        let result = match &parsed {
            Err((line, msg)) => Err(format!("line {line}: {msg}")),
            Ok(b) => verify(b).map_err(|e| e.to_string()),
        };
        return Ok(match (result, tf.errors.is_empty()) {
            (Ok(()), true) => Outcome::Pass,
            (Ok(()), false) => Outcome::Fail(format!(
                "expected an error containing {:?}, but the block is valid",
                tf.errors
            )),
            (Err(e), true) => Outcome::Fail(format!("expected a valid block: {e}")),
            (Err(e), false) => match tf.errors.iter().find(|s| !e.contains(s.as_str())) {
                None => Outcome::Pass,
                Some(s) => Outcome::Fail(format!("error `{e}` does not contain `{s}`")),
            },
        });
    }
    let mut block = match parsed {
        Ok(b) => b,
        Err((line, msg)) => return Err(format_err(path, line, msg)),
    };
    if let Err(e) = verify(&block) {
        return Ok(Outcome::Fail(format!(
            "the input block does not verify: {e}"
        )));
    }
    match &tf.kind {
        Kind::Print => {
            let printed = block.to_string();
            match polyvm_ir::parse::parse(&printed) {
                Ok(again) if again == block => {}
                Ok(_) => return Ok(Outcome::Fail("the printed block parses differently".into())),
                Err(e) => {
                    return Ok(Outcome::Fail(format!(
                        "the printed block does not parse: {e}"
                    )))
                }
            }
            if tf.check.is_some() || cfg.bless {
                return expect_output(path, &tf, &printed, cfg);
            }
            let (want, got) = (ir_lines(&tf.body), ir_lines(&printed));
            if want == got {
                Ok(Outcome::Pass)
            } else {
                Ok(Outcome::Fail(format!(
                    "does not print as written (- written, + printed):\n{}",
                    diff(&want, &got)
                )))
            }
        }
        Kind::Optimize | Kind::Passes(_) => {
            match &tf.kind {
                Kind::Passes(ps) => {
                    for (name, pass) in ps {
                        pass(&mut block);
                        if let Err(e) = verify(&block) {
                            return Ok(Outcome::Fail(format!(
                                "pass `{name}` made an invalid block: {e}\n{block}"
                            )));
                        }
                    }
                }
                _ => optimize(&mut block),
            }
            if let Err(e) = verify(&block) {
                return Ok(Outcome::Fail(format!(
                    "optimised block is invalid: {e}\n{block}"
                )));
            }
            expect_output(path, &tf, &block.to_string(), cfg)
        }
        Kind::Run => run_cases(&tf, block, cfg),
        Kind::Verify => unreachable!("handled above"),
    }
}

/// `test run`: the extension point for execution (see [`Runner`]).
fn run_cases(tf: &TestFile, block: Block, cfg: &Config<'_>) -> Result<Outcome> {
    let mut cases = Vec::new();
    for (line, text) in &tf.runs {
        match parse_run(&block, *line, text) {
            Ok(c) => cases.push(c),
            Err(e) => return Ok(Outcome::Fail(format!("line {line}: {e}"))),
        }
    }
    if cases.is_empty() {
        return Ok(Outcome::Fail("`test run` needs `; run:` lines".into()));
    }
    let Some(runner) = cfg.runner else {
        return Ok(Outcome::Skipped("no runner for `test run`".into()));
    };
    let mut optimised = block.clone();
    optimize(&mut optimised);
    for case in &cases {
        for (what, b) in [("as written", &block), ("optimised", &optimised)] {
            let globals = match runner(b, case) {
                Ok(g) => g,
                Err(e) => return Ok(Outcome::Fail(format!("line {}: {what}: {e}", case.line))),
            };
            for &(g, want) in &case.expect {
                let got = globals.get(g).copied();
                if got != Some(want) {
                    return Ok(Outcome::Fail(format!(
                        "line {}: {what}: {} is {:#x?}, expected {want:#x}",
                        case.line, block.globals[g].name, got
                    )));
                }
            }
        }
    }
    Ok(Outcome::Pass)
}

/// Totals of a directory run.
#[derive(Debug, Default)]
pub struct Report {
    pub passed: usize,
    pub blessed: usize,
    pub skipped: Vec<(PathBuf, String)>,
    pub failed: Vec<(PathBuf, String)>,
}

impl Report {
    /// A summary with every failure's message.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        for (p, msg) in &self.failed {
            let _ = writeln!(s, "FAIL {}\n{msg}\n", p.display());
        }
        for (p, msg) in &self.skipped {
            let _ = writeln!(s, "skip {}: {msg}", p.display());
        }
        let _ = writeln!(
            s,
            "{} passed, {} failed, {} blessed, {} skipped",
            self.passed,
            self.failed.len(),
            self.blessed,
            self.skipped.len()
        );
        s
    }
}

/// Runs every `.tir` file under `dir` (recursively, in name order).
pub fn run_dir(dir: &Path, cfg: &Config<'_>) -> Result<Report> {
    let mut files = Vec::new();
    collect(dir, &mut files)?;
    files.sort();
    let mut report = Report::default();
    for f in files {
        match run_file(&f, cfg) {
            Ok(Outcome::Pass) => report.passed += 1,
            Ok(Outcome::Blessed) => report.blessed += 1,
            Ok(Outcome::Skipped(why)) => report.skipped.push((f, why)),
            Ok(Outcome::Fail(msg)) => report.failed.push((f, msg)),
            Err(e) => report.failed.push((f, e.to_string())),
        }
    }
    Ok(report)
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let io = |source| Error::Io {
        path: dir.to_path_buf(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let p = entry.map_err(io)?.path();
        if p.is_dir() {
            collect(&p, out)?;
        } else if p.extension().is_some_and(|e| e == "tir") {
            out.push(p);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPT: &str = "\
test fold
block pc=0x0 addr=i64
  global x1: i64 @ 8
  add.i64 x1, 2, 3
  exit_tb 0
; check:
; block pc=0x0 addr=i64
;   global x1: i64 @ 8
;   mov.i64 x1, 5
;   exit_tb 0
";

    fn run(text: &str) -> Outcome {
        run_text(Path::new("mem.tir"), text, &Config::default()).unwrap()
    }

    #[test]
    fn matching_output_passes() {
        assert_eq!(run(OPT), Outcome::Pass);
    }

    #[test]
    fn wrong_output_fails_with_a_diff() {
        let wrong = OPT.replace(";   mov.i64 x1, 5", ";   mov.i64 x1, 6");
        match run(&wrong) {
            Outcome::Fail(msg) => {
                assert!(msg.contains("-   mov.i64 x1, 6"), "{msg}");
                assert!(msg.contains("+   mov.i64 x1, 5"), "{msg}");
            }
            o => panic!("{o:?}"),
        }
    }

    #[test]
    fn verify_expectations() {
        let bad = "test verify\nblock pc=0 addr=i64\n global x1: i64 @ 8\n mov.i64 x1, 1\n";
        assert_eq!(
            run(&format!("{bad}; error: falls off the end\n")),
            Outcome::Pass
        );
        assert!(matches!(
            run(&format!("{bad}; error: something else\n")),
            Outcome::Fail(_)
        ));
        assert!(matches!(run(bad), Outcome::Fail(_)));
        // Parse errors count too, with file line numbers.
        let perr =
            "test verify\n\nblock pc=0 addr=i64\n  frob.i64 x\n; error: line 4: unknown op\n";
        assert_eq!(run(perr), Outcome::Pass);
    }

    #[test]
    fn print_round_trip_as_written() {
        let t = "test print\nblock pc=0x0 addr=i64\n  global x1: i64 @ 8   ; hi\n  exit_tb 0\n";
        assert_eq!(run(t), Outcome::Pass);
        let t2 = t.replace("@ 8", "@ 0x8");
        assert!(matches!(run(&t2), Outcome::Fail(m) if m.contains("+   global x1: i64 @ 8")));
    }

    #[test]
    fn run_lines_parse_and_reach_the_runner() {
        let t = "test run\nblock pc=0x0 addr=i64\n  global x1: i64 @ 8\n  global x2: i32 @ 16\n  \
                 add.i64 x1, x1, 1\n  exit_tb 0\n; run: x1=5 x2=-1 -> x1=6\n";
        assert!(matches!(run(t), Outcome::Skipped(_)));
        let fake = |b: &Block, c: &RunCase| -> std::result::Result<Vec<u64>, String> {
            assert_eq!(c.inputs, vec![(0, 5), (1, 0xffff_ffff)]);
            let mut g = vec![0; b.globals.len()];
            for &(i, v) in &c.inputs {
                g[i] = v;
            }
            g[0] += 1;
            Ok(g)
        };
        let cfg = Config {
            bless: false,
            runner: Some(&fake),
        };
        assert_eq!(run_text(Path::new("m"), t, &cfg).unwrap(), Outcome::Pass);
        let t7 = t.replace("-> x1=6", "-> x1=7");
        assert!(matches!(
            run_text(Path::new("m"), &t7, &cfg).unwrap(),
            Outcome::Fail(_)
        ));
    }

    #[test]
    fn bless_rewrites_the_check_block() {
        let dir = std::env::temp_dir().join(format!("polyvm-bless-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("t.tir");
        let stale = OPT.replace(";   mov.i64 x1, 5", ";   nonsense");
        std::fs::write(&f, &stale).unwrap();
        let cfg = Config {
            bless: true,
            runner: None,
        };
        assert_eq!(run_file(&f, &cfg).unwrap(), Outcome::Blessed);
        assert_eq!(std::fs::read_to_string(&f).unwrap(), OPT);
        assert_eq!(run_file(&f, &Config::default()).unwrap(), Outcome::Pass);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn diff_marks_changes() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            diff(&s(&["a", "b", "c"]), &s(&["a", "x", "c"])),
            "  a\n- b\n+ x\n  c\n"
        );
    }
}
