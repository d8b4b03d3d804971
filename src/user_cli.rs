//! `polyvm user` and `polyvm demo`: option parsing and reporting. The
//! process model itself lives in `polyvm_machines::linux_user`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context, Result};
use polyvm_accel::tcg::{TcgOptions, BACKENDS};
use polyvm_machines::linux_user::runner::{self, Program, UserConfig};
use polyvm_runtime::{LogMask, Stats, LOG_ITEMS};

const USAGE: &str = "\
usage: polyvm user [OPTIONS] PROGRAM [ARGS...]

Runs a Linux program of another architecture (read from its ELF header).

Options (qemu-user compatible where they exist there):
  -L PATH              guest library root for dynamic programs and absolute
                       paths (default: $QEMU_LD_PREFIX)
  -E VAR=VALUE         set a variable in the guest environment
  -U VAR               remove a variable from the guest environment
  -0 ARGV0             use ARGV0 as the guest's argv[0]
  -d ITEM[,ITEM...]    log items (`-d help` lists them)
  -D FILE              write the log to FILE instead of stderr
  -accel tcg[,backend=NAME][,tb-size=MiB][,max-block-insns=N][,optimize=on|off]
                       translation options (`-accel help`)
  -cpu MODEL           CPU model (`-cpu help`)
  -strace              log every system call and its result on stderr
  --stats, -stats      print execution statistics to stderr at exit
  -h, -help, --help    show this help

The exit status is the guest's; a guest killed by a signal gives 128 + the
signal number, as a shell reports it.";

struct UserArgs {
    program: PathBuf,
    guest_args: Vec<String>,
    argv0: Option<String>,
    sysroot: Option<PathBuf>,
    set_env: Vec<(String, String)>,
    unset_env: Vec<String>,
    log: LogMask,
    log_file: Option<PathBuf>,
    tcg: TcgOptions,
    stats: bool,
    strace: bool,
}

enum Parsed {
    Run(Box<UserArgs>),
    /// A help text was requested: print it and exit 0.
    Help(String),
}

fn log_help() -> String {
    let mut s = String::from("Log items (comma separated):\n");
    for (name, help) in LOG_ITEMS {
        s += &format!("  {name:<14}{help}\n");
    }
    s
}

fn accel_help() -> String {
    let mut s = String::from(
        "Accelerators:\n  tcg           translation through polyvm's IR (the only one for linux-user)\n\
         tcg options:\n  backend=NAME  code generator:\n",
    );
    for (name, help) in BACKENDS {
        s += &format!("                  {name:<10}{help}\n");
    }
    s += "  tb-size=MiB         JIT code buffer size, flushed when full (default 32)\n";
    s += "  max-block-insns=N   most guest instructions per block (1-4096, default 512)\n";
    s += "  optimize=on|off     run the IR optimiser (default on)\n";
    s
}

/// Parses `-accel tcg,key=value,...` into `opts`.
fn parse_accel(spec: &str, opts: &mut TcgOptions) -> Result<Option<String>> {
    let mut parts = spec.split(',');
    match parts.next() {
        Some("help") => return Ok(Some(accel_help())),
        Some("tcg") => {}
        Some(other) => bail!("-accel {other}: not available for linux-user (try `-accel help`)"),
        None => bail!("-accel needs a value (try `-accel help`)"),
    }
    for kv in parts {
        if kv == "help" {
            return Ok(Some(accel_help()));
        }
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| anyhow!("-accel: expected key=value, got `{kv}`"))?;
        opts.set(k, v)?;
    }
    Ok(None)
}

fn parse(args: &[String]) -> Result<Parsed> {
    let mut a = UserArgs {
        program: PathBuf::new(),
        guest_args: Vec::new(),
        argv0: None,
        sysroot: std::env::var_os("QEMU_LD_PREFIX").map(PathBuf::from),
        set_env: Vec::new(),
        unset_env: Vec::new(),
        log: LogMask::default(),
        log_file: None,
        tcg: TcgOptions::default(),
        stats: false,
        strace: false,
    };
    let mut i = 0;
    let value = |i: &mut usize, opt: &str| -> Result<String> {
        *i += 1;
        args.get(*i)
            .cloned()
            .ok_or_else(|| anyhow!("option {opt} needs a value (see `polyvm user -h`)"))
    };
    while i < args.len() {
        let arg = args[i].as_str();
        if !arg.starts_with('-') || arg == "-" {
            if arg == "help" {
                return Ok(Parsed::Help(USAGE.to_string()));
            }
            break;
        }
        // qemu-user accepts both -opt and --opt.
        let opt = arg.strip_prefix("--").map(|o| format!("-{o}"));
        let opt = opt.as_deref().unwrap_or(arg);
        match opt {
            "-h" | "-help" => return Ok(Parsed::Help(USAGE.to_string())),
            "-L" => a.sysroot = Some(PathBuf::from(value(&mut i, opt)?)),
            "-E" => {
                let kv = value(&mut i, opt)?;
                let (k, v) = kv
                    .split_once('=')
                    .ok_or_else(|| anyhow!("-E expects VAR=VALUE, got `{kv}`"))?;
                a.set_env.push((k.to_string(), v.to_string()));
            }
            "-U" => a.unset_env.push(value(&mut i, opt)?),
            "-0" => a.argv0 = Some(value(&mut i, opt)?),
            "-d" => {
                let items = value(&mut i, opt)?;
                if items == "help" {
                    return Ok(Parsed::Help(log_help()));
                }
                a.log = LogMask::parse(&items)?;
            }
            "-D" => a.log_file = Some(PathBuf::from(value(&mut i, opt)?)),
            "-accel" => {
                let spec = value(&mut i, opt)?;
                if let Some(help) = parse_accel(&spec, &mut a.tcg)? {
                    return Ok(Parsed::Help(help));
                }
            }
            "-cpu" => {
                let model = value(&mut i, opt)?;
                match model.as_str() {
                    "help" => {
                        return Ok(Parsed::Help(
                            "Available CPUs:\n  rv64   RV64GC (I, M, A, F, D, C, Zicsr, Zifencei) with Zba, Zbb, Zbs\n  any    same as rv64\n  max    same as rv64\n"
                                .into(),
                        ))
                    }
                    "rv64" | "any" | "max" => {}
                    other => bail!("unknown CPU model `{other}` (try `-cpu help`)"),
                }
            }
            "-stats" => a.stats = true,
            "-strace" => a.strace = true,
            _ => bail!("unknown option `{arg}` (see `polyvm user -h`)"),
        }
        i += 1;
    }
    let Some(program) = args.get(i) else {
        bail!("no program given (usage: polyvm user [OPTIONS] PROGRAM [ARGS...])");
    };
    a.program = PathBuf::from(program);
    a.guest_args = args[i + 1..].to_vec();
    Ok(Parsed::Run(Box::new(a)))
}

fn guest_env(set: &[(String, String)], unset: &[String]) -> Vec<String> {
    let mut env: Vec<(String, String)> = std::env::vars_os()
        .map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.to_string_lossy().into_owned(),
            )
        })
        .collect();
    env.retain(|(k, _)| !unset.contains(k));
    for (k, v) in set {
        env.retain(|(ek, _)| ek != k);
        env.push((k.clone(), v.clone()));
    }
    env.into_iter().map(|(k, v)| format!("{k}={v}")).collect()
}

fn open_log(file: &Option<PathBuf>) -> Result<Box<dyn std::io::Write + Send>> {
    Ok(match file {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p)
                .with_context(|| format!("cannot create log file {}", p.display()))?,
        )),
        None => Box::new(std::io::stderr()),
    })
}

pub fn main(args: &[String]) -> Result<ExitCode> {
    let a = match parse(args)? {
        Parsed::Help(text) => {
            println!("{text}");
            return Ok(ExitCode::SUCCESS);
        }
        Parsed::Run(a) => a,
    };
    let argv0 = a
        .argv0
        .clone()
        .unwrap_or_else(|| a.program.to_string_lossy().into_owned());
    let mut argv = vec![argv0];
    argv.extend(a.guest_args.iter().cloned());
    let cfg = UserConfig {
        program: Program::Path(a.program.clone()),
        argv,
        envp: guest_env(&a.set_env, &a.unset_env),
        sysroot: a.sysroot.clone(),
        tcg: a.tcg.clone(),
        log: a.log,
        log_out: open_log(&a.log_file)?,
        strace: a.strace,
    };
    let outcome = runner::run(cfg)?;
    if a.stats {
        if let Some(s) = &outcome.stats {
            eprint!("{}", format_stats(s, &a.tcg.backend));
        }
    }
    Ok(ExitCode::from(outcome.status as u8))
}

fn format_stats(s: &Stats, backend: &str) -> String {
    let secs = s.run_time.as_secs_f64();
    let exec = s.exec_time().as_secs_f64();
    let tr = s.translate_time.as_secs_f64();
    let per_insn = if s.insns_translated > 0 {
        tr * 1e9 / s.insns_translated as f64
    } else {
        0.0
    };
    let mips = if secs > 0.0 {
        s.insns_executed as f64 / secs / 1e6
    } else {
        0.0
    };
    format!(
        "polyvm stats (tcg, backend {backend}):\n\
         \x20 guest instructions executed  {}\n\
         \x20 dispatcher block lookups     {}\n\
         \x20 blocks translated            {} ({} guest instructions, {} flushes)\n\
         \x20 time translating             {:.3} ms ({per_insn:.0} ns per guest instruction)\n\
         \x20 time executing               {:.3} ms\n\
         \x20 guest MIPS                   {mips:.1}\n",
        s.insns_executed,
        s.dispatches,
        s.blocks_translated,
        s.insns_translated,
        s.flushes,
        tr * 1e3,
        exec * 1e3,
    )
}

/// The demo guest: a small riscv64 program built from testsuite/demo/demo.c.
static DEMO_ELF: &[u8] = include_bytes!("../testsuite/demo/demo.riscv64.elf");

pub fn demo(backend: &str) -> Result<ExitCode> {
    let mut tcg = TcgOptions::default();
    if backend == "help" {
        println!("{}", accel_help());
        return Ok(ExitCode::SUCCESS);
    }
    tcg.set("backend", backend)?;
    println!("polyvm demo: running a built-in riscv64 guest (backend {backend})");
    let cfg = UserConfig {
        program: Program::Bytes {
            name: "demo.riscv64".into(),
            data: DEMO_ELF,
        },
        argv: vec!["demo".into()],
        envp: Vec::new(),
        sysroot: None,
        tcg,
        log: LogMask::default(),
        log_out: Box::new(std::io::stderr()),
        strace: false,
    };
    let outcome = runner::run(cfg)?;
    if let Some(s) = &outcome.stats {
        let secs = s.run_time.as_secs_f64();
        println!(
            "polyvm demo: {} guest instructions in {:.3} s = {:.1} guest MIPS",
            s.insns_executed,
            secs,
            s.insns_executed as f64 / secs.max(1e-9) / 1e6
        );
    }
    Ok(ExitCode::from(outcome.status as u8))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn options_stop_at_the_program() {
        let Parsed::Run(a) =
            parse(&args(&["-L", "/sys", "-d", "in_asm", "prog", "-L", "x"])).unwrap()
        else {
            panic!("expected a run")
        };
        assert_eq!(a.program, PathBuf::from("prog"));
        assert_eq!(a.guest_args, args(&["-L", "x"]));
        assert_eq!(a.sysroot, Some(PathBuf::from("/sys")));
        assert!(a.log.in_asm);
    }

    #[test]
    fn bad_options_are_errors_and_help_is_help() {
        assert!(parse(&args(&["-bogus", "prog"])).is_err());
        assert!(parse(&args(&["-d"])).is_err());
        assert!(parse(&args(&[])).is_err());
        assert!(parse(&args(&["-d", "nonsense", "p"])).is_err());
        assert!(parse(&args(&["-accel", "tcg,backend=nope", "p"])).is_err());
        assert!(parse(&args(&["-accel", "kvm", "p"])).is_err());
        assert!(matches!(parse(&args(&["-d", "help"])), Ok(Parsed::Help(_))));
        assert!(matches!(
            parse(&args(&["-accel", "help"])),
            Ok(Parsed::Help(_))
        ));
        assert!(matches!(parse(&args(&["--help"])), Ok(Parsed::Help(_))));
    }

    #[test]
    fn env_edits_apply_in_order() {
        let env = guest_env(&[("POLYVM_T".into(), "1".into())], &["PATH".into()]);
        assert!(env.contains(&"POLYVM_T=1".to_string()));
        assert!(!env.iter().any(|e| e.starts_with("PATH=")));
    }
}
