//! The TCG accelerator: guest code translated through polyvm's IR and run by
//! a backend (the portable interpreter today; host JITs plug in here).

use polyvm_backend_interp::Interp;
use polyvm_ir::abi::{Frontend, GuestMemView};
use polyvm_runtime::{ExecOptions, Executor, Log, RunExit, Stats};

use crate::{AccelError, Result, Vcpu, VcpuExit};

/// Backends `-accel tcg,backend=` accepts.
pub const BACKENDS: &[(&str, &str)] = &[("interp", "portable IR interpreter (any host)")];

/// Parsed `-accel tcg,…` options.
#[derive(Clone, Debug)]
pub struct TcgOptions {
    pub backend: String,
    pub exec: ExecOptions,
}

impl Default for TcgOptions {
    fn default() -> Self {
        TcgOptions {
            backend: default_backend().to_string(),
            exec: ExecOptions::default(),
        }
    }
}

/// The best backend this host has.
pub fn default_backend() -> &'static str {
    "interp"
}

impl TcgOptions {
    /// Applies one `key=value` of `-accel tcg,key=value,…`.
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        let bad = || AccelError::BadValue(key.to_string(), value.to_string());
        match key {
            "backend" => {
                if !BACKENDS.iter().any(|(n, _)| *n == value) {
                    let names: Vec<_> = BACKENDS.iter().map(|(n, _)| *n).collect();
                    return Err(AccelError::UnknownBackend(
                        value.to_string(),
                        names.join(", "),
                    ));
                }
                self.backend = value.to_string();
            }
            "max-block-insns" => {
                let n: u32 = value.parse().map_err(|_| bad())?;
                if n == 0 || n > 4096 {
                    return Err(bad());
                }
                self.exec.max_block_insns = n;
            }
            "optimize" => {
                self.exec.optimize = match value {
                    "on" | "yes" | "true" => true,
                    "off" | "no" | "false" => false,
                    _ => return Err(bad()),
                }
            }
            _ => return Err(AccelError::UnknownOption(key.to_string())),
        }
        Ok(())
    }
}

/// Creates a TCG vCPU for `frontend` with the chosen backend.
pub fn create_vcpu<F: Frontend + 'static>(
    frontend: F,
    opts: &TcgOptions,
    log: Log,
) -> Result<Box<dyn Vcpu>> {
    match opts.backend.as_str() {
        "interp" => {
            let mut ex = Executor::new(frontend, Interp::new(), opts.exec.clone());
            ex.log = log;
            Ok(Box::new(TcgVcpu(ex)))
        }
        other => {
            let names: Vec<_> = BACKENDS.iter().map(|(n, _)| *n).collect();
            Err(AccelError::UnknownBackend(
                other.to_string(),
                names.join(", "),
            ))
        }
    }
}

/// A vCPU run by translation.
pub struct TcgVcpu<F: Frontend, B: polyvm_ir::abi::Backend>(pub Executor<F, B>);

impl<F: Frontend, B: polyvm_ir::abi::Backend> Vcpu for TcgVcpu<F, B> {
    fn run(&mut self, mem: &GuestMemView) -> Result<VcpuExit> {
        Ok(match self.0.run(mem)? {
            RunExit::Exit(code) => VcpuExit::Event(code),
            RunExit::Fault(f) => VcpuExit::Fault(f),
        })
    }
    fn env_ptr(&mut self) -> *mut u8 {
        self.0.env_ptr()
    }
    fn invalidate_code(&mut self, start: u64, end: u64) {
        self.0.invalidate_range(start, end);
    }
    fn flush_code(&mut self) {
        self.0.flush();
    }
    fn stats(&self) -> Option<&Stats> {
        Some(&self.0.stats)
    }
}
