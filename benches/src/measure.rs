//! Running one program once under one runner, timed.
//!
//! The wall time runs from just before `spawn` to the moment the child exits
//! (seen with `waitid(WNOWAIT)`, which leaves it unreaped). A watchdog thread
//! kills a child that overruns its timeout; because the child is reaped only
//! after the watchdog has finished, the pid it signals is always still ours.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::stats::{self, PolyvmStats};
use crate::{Error, Result};

/// Who executes a program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Runner {
    /// The host build, run directly.
    Native,
    /// `qemu-riscv64` on the riscv64 build.
    Qemu,
    /// `polyvm user -accel tcg,backend=NAME --stats` on the riscv64 build.
    Polyvm(String),
}

impl Runner {
    /// Column label: `native`, `qemu`, or the backend's name.
    pub fn label(&self) -> String {
        match self {
            Runner::Native => "native".into(),
            Runner::Qemu => "qemu".into(),
            Runner::Polyvm(b) => format!("polyvm {b}"),
        }
    }
}

/// The executables the runners need.
#[derive(Clone, Debug)]
pub struct Tools {
    pub qemu: PathBuf,
    pub polyvm: PathBuf,
}

/// The two builds of one program.
#[derive(Clone, Debug)]
pub struct Builds {
    pub native: PathBuf,
    pub riscv64: PathBuf,
}

/// How a process ended, in shell terms: a death by signal N counts as exit
/// status 128 + N, which is how polyvm reports a guest killed by a signal.
pub fn shell_status(status: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(c), _) => c,
        (None, Some(s)) => 128 + s,
        (None, None) => -1,
    }
}

/// One timed run.
#[derive(Clone, Debug)]
pub struct RunResult {
    pub wall: Duration,
    pub stdout: String,
    /// The guest's own standard error (polyvm's statistics block removed).
    pub stderr: String,
    pub status: i32,
    /// polyvm's `--stats`, for polyvm runs that printed them.
    pub stats: Option<PolyvmStats>,
    pub timed_out: bool,
}

/// The command line of `runner` for one run of `builds` with `args`.
pub fn command(runner: &Runner, tools: &Tools, builds: &Builds, args: &[String]) -> Command {
    let mut cmd = match runner {
        Runner::Native => Command::new(&builds.native),
        Runner::Qemu => {
            let mut c = Command::new(&tools.qemu);
            c.arg(&builds.riscv64);
            c
        }
        Runner::Polyvm(backend) => {
            let mut c = Command::new(&tools.polyvm);
            c.args(["user", "--stats", "-accel"])
                .arg(format!("tcg,backend={backend}"))
                .arg(&builds.riscv64);
            c
        }
    };
    cmd.args(args);
    cmd
}

fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut p) = pipe {
            // A read error only shortens the output, which the comparison
            // between runners then reports.
            let _ = p.read_to_end(&mut buf);
        }
        buf
    })
}

/// Blocks until `child` has exited, without reaping it.
fn wait_exited(child: &Child) -> std::io::Result<()> {
    loop {
        // SAFETY: an all-zero siginfo_t is a valid value for the kernel to
        // overwrite; `info` outlives the call.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: plain system call on our own child's pid with a valid
        // out-pointer; WNOWAIT leaves the child to be reaped by `Child::wait`.
        let r = unsafe {
            libc::waitid(
                libc::P_PID,
                child.id() as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if r == 0 {
            return Ok(());
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

/// Runs `cmd` once, timed, with no input and its output captured; kills it
/// after `timeout`.
pub fn run_timed(mut cmd: Command, timeout: Duration) -> Result<RunResult> {
    let what = format!("{cmd:?}");
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .map_err(|e| Error::io(format!("starting {what}"), e))?;
    let out = drain(child.stdout.take());
    let err = drain(child.stderr.take());

    let pid = child.id() as libc::pid_t;
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if let Err(mpsc::RecvTimeoutError::Timeout) = done_rx.recv_timeout(timeout) {
            // SAFETY: the child is not reaped before this thread is joined
            // (below), so `pid` still names it, running or a zombie.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            true
        } else {
            false
        }
    });
    let waited = wait_exited(&child);
    let wall = start.elapsed();
    let _ = done_tx.send(());
    let timed_out = watchdog.join().unwrap_or(false);
    waited.map_err(|e| Error::io(format!("waiting for {what}"), e))?;
    let status = child
        .wait()
        .map_err(|e| Error::io(format!("waiting for {what}"), e))?;

    let stdout = String::from_utf8_lossy(&out.join().unwrap_or_default()).into_owned();
    let stderr_all = String::from_utf8_lossy(&err.join().unwrap_or_default()).into_owned();
    let (stderr, stats) = stats::split_stderr(&stderr_all);
    Ok(RunResult {
        wall,
        stdout,
        stderr,
        status: shell_status(status),
        stats,
        timed_out,
    })
}

/// Which of `wanted` backends `polyvm` knows: `-accel tcg,backend=NAME` is
/// rejected for an unknown one before anything runs, and the `-accel help`
/// after it then makes polyvm exit 0 without needing a program.
pub fn known_backends(polyvm: &Path, wanted: &[String]) -> Result<Vec<(String, bool)>> {
    wanted
        .iter()
        .map(|b| {
            let out = Command::new(polyvm)
                .args(["user", "-accel"])
                .arg(format!("tcg,backend={b}"))
                .args(["-accel", "help"])
                .stdin(Stdio::null())
                .output()
                .map_err(|e| Error::io(format!("running {}", polyvm.display()), e))?;
            Ok((b.clone(), out.status.success()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut c = Command::new("sh");
        c.args(["-c", script]);
        c
    }

    #[test]
    fn output_status_and_time_are_captured() {
        let r = run_timed(
            sh("echo out; echo err >&2; exit 7"),
            Duration::from_secs(30),
        )
        .unwrap();
        assert_eq!(r.stdout, "out\n");
        assert_eq!(r.stderr, "err\n");
        assert_eq!(r.status, 7);
        assert!(!r.timed_out);
        assert!(r.stats.is_none());
    }

    #[test]
    fn a_signal_counts_as_128_plus_its_number() {
        // SIGTERM is 15 on Linux.
        let r = run_timed(sh("kill -TERM $$"), Duration::from_secs(30)).unwrap();
        assert_eq!(r.status, 128 + 15);
    }

    #[test]
    fn a_run_past_its_timeout_is_killed() {
        let r = run_timed(sh("exec sleep 30"), Duration::from_millis(200)).unwrap();
        assert!(r.timed_out);
        assert_eq!(r.status, 128 + 9, "SIGKILL");
    }

    #[test]
    fn runner_command_lines() {
        let tools = Tools {
            qemu: "/q".into(),
            polyvm: "/p".into(),
        };
        let builds = Builds {
            native: "/n".into(),
            riscv64: "/r".into(),
        };
        let args = vec!["50".to_string()];
        let line = |r: &Runner| format!("{:?}", command(r, &tools, &builds, &args));
        assert_eq!(line(&Runner::Native), r#""/n" "50""#);
        assert_eq!(line(&Runner::Qemu), r#""/q" "/r" "50""#);
        assert_eq!(
            line(&Runner::Polyvm("interp".into())),
            r#""/p" "user" "--stats" "-accel" "tcg,backend=interp" "/r" "50""#
        );
    }
}
