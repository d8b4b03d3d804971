//! The `polyvm` command line.
//!
//! `clap` dispatches the subcommands; `polyvm user` takes qemu-user's
//! single-dash options (`-L`, `-d`, `-D`, `-E`, `-U`, `-accel`), which clap
//! cannot parse, so they go through the small parser in `user_cli.rs`.

mod user_cli;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "polyvm",
    version,
    about = "polyvm: run foreign-architecture guests through one IR, fast",
    long_about = "polyvm translates guest machine code (riscv64 today) into a shared IR and runs it \
                  on the host. `polyvm user PROGRAM` runs a Linux program of another \
                  architecture; `polyvm demo` runs a guest program built into polyvm."
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run a foreign Linux ELF program (qemu-user style options; `polyvm user -h` lists them)
    // `-h` belongs to the qemu-user style parser, which prints the options.
    #[command(disable_help_flag = true)]
    User {
        #[arg(
            trailing_var_arg = true,
            allow_hyphen_values = true,
            value_name = "OPTIONS] PROGRAM [ARGS"
        )]
        args: Vec<String>,
    },
    /// Run the riscv64 demo program built into polyvm and report what it computed and how fast
    Demo {
        /// TCG backend (`help` lists them)
        #[arg(long, default_value = polyvm_accel::tcg::default_backend())]
        backend: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.cmd {
        Cmd::User { args } => user_cli::main(&args),
        Cmd::Demo { backend } => user_cli::demo(&backend),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("polyvm: {e:#}");
            ExitCode::from(1)
        }
    }
}
