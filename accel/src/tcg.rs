//! The TCG accelerator: guest code translated through polyvm's IR and run by
//! a backend (the portable interpreter today; host JITs plug in here).

use polyvm_backend_interp::Interp;
use polyvm_ir::abi::{Backend, Frontend, GuestMemView};
use polyvm_runtime::{ExecOptions, Executor, Log, RunExit, Stats};

use crate::{AccelError, Result, Vcpu, VcpuExit};

/// Backends `-accel tcg,backend=` accepts.
pub const BACKENDS: &[(&str, &str)] = &[
    ("interp", "portable IR interpreter (any host)"),
    #[cfg(target_arch = "x86_64")]
    ("x86_64", "x86-64 JIT (needs BMI1, BMI2, LZCNT, POPCNT)"),
];

/// Parsed `-accel tcg,…` options.
#[derive(Clone, Debug)]
pub struct TcgOptions {
    pub backend: String,
    pub exec: ExecOptions,
    /// Code buffer size in MiB for JIT backends (`tb-size`).
    pub tb_size_mib: usize,
}

impl Default for TcgOptions {
    fn default() -> Self {
        TcgOptions {
            backend: default_backend().to_string(),
            exec: ExecOptions::default(),
            tb_size_mib: 32,
        }
    }
}

/// The best backend this host has.
pub fn default_backend() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    if polyvm_backend_x86_64::host_supported().is_ok() {
        return "x86_64";
    }
    "interp"
}

impl TcgOptions {
    /// Applies one `key=value` of `-accel tcg,key=value,…`.
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        let bad = || AccelError::BadValue(key.to_string(), value.to_string());
        match key {
            "backend" => {
                if !BACKENDS.iter().any(|(n, _)| *n == value) {
                    return Err(unknown_backend(value));
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
            "tb-size" => {
                let n: usize = value.parse().map_err(|_| bad())?;
                if n == 0 || n > 2048 {
                    return Err(bad());
                }
                self.tb_size_mib = n;
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

fn unknown_backend(name: &str) -> AccelError {
    let names: Vec<_> = BACKENDS.iter().map(|(n, _)| *n).collect();
    AccelError::UnknownBackend(name.to_string(), names.join(", "))
}

/// Creates a TCG vCPU for `frontend` with the chosen backend.
pub fn create_vcpu<F: Frontend + 'static>(
    frontend: F,
    opts: &TcgOptions,
    log: Log,
) -> Result<Box<dyn Vcpu>> {
    fn vcpu<F: Frontend + 'static, B: Backend + 'static>(
        frontend: F,
        backend: B,
        opts: &TcgOptions,
        log: Log,
    ) -> Box<dyn Vcpu> {
        let mut ex = Executor::new(frontend, backend, opts.exec.clone());
        ex.log = log;
        Box::new(TcgVcpu(ex))
    }
    match opts.backend.as_str() {
        "interp" => Ok(vcpu(frontend, Interp::new(), opts, log)),
        #[cfg(target_arch = "x86_64")]
        "x86_64" => {
            let jit = polyvm_backend_x86_64::X86_64::new(opts.tb_size_mib)
                .map_err(|e| AccelError::Backend(e.to_string()))?;
            Ok(vcpu(frontend, jit, opts, log))
        }
        other => Err(unknown_backend(other)),
    }
}

/// A vCPU run by translation.
pub struct TcgVcpu<F: Frontend, B: Backend>(pub Executor<F, B>);

impl<F: Frontend, B: Backend> Vcpu for TcgVcpu<F, B> {
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
