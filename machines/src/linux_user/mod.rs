//! linux-user: runs a foreign Linux executable as a host process.
//!
//! ```text
//!   file ─► elf::parse ─► arch_for_machine ─► loader (image, interpreter, stack)
//!                                               │
//!   execution loop ◄── LoadedProgram { entry, sp } ┘   Process ◄── syscalls
//! ```
//!
//! [`load_program`] builds the [`Process`] (guest memory plus kernel-side
//! state) and tells where to start. The execution loop then sets the CPU's
//! pc and stack pointer, and on every system-call trap calls
//! [`Process::syscall`] with the call number and argument registers.
//! Nothing here knows the CPU type.

pub mod arch;
pub mod elf;
mod host;
pub mod loader;
pub mod runner;
pub mod stack;
pub mod syscall;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use polyvm_runtime::guest_mem::{GuestMemory, DEFAULT_SIZE};

pub use arch::{arch_for_machine, Arch, SyscallAbi, RISCV64};
pub use syscall::signal::{exit_status, uncaught_message};
pub use syscall::{host_path, GuestSigaction, Process, SyscallOutcome};

use crate::{Error, Result};

/// Where a loaded program starts and how its memory was laid out.
#[derive(Clone, Debug)]
pub struct LoadedProgram {
    pub arch: &'static Arch,
    /// First guest instruction: the interpreter's entry for a dynamic
    /// executable, else the program's.
    pub entry: u64,
    /// Initial stack pointer (points at argc).
    pub sp: u64,
    /// The program's own (biased) entry point, AT_ENTRY.
    pub program_entry: u64,
    /// Load bias of the program (0 for `ET_EXEC`).
    pub load_bias: u64,
    /// Where the interpreter was loaded (AT_BASE), for dynamic programs.
    pub interp_base: Option<u64>,
    /// Initial program break.
    pub brk: u64,
    pub stack_top: u64,
    pub stack_bottom: u64,
    /// The auxiliary vector placed on the stack (without AT_NULL).
    pub auxv: Vec<(u64, u64)>,
}

fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| Error::Io {
        what: format!("cannot read {}", path.display()),
        source,
    })
}

/// Which architecture the executable at `path` is for.
pub fn probe(path: &Path) -> Result<&'static Arch> {
    let bytes = read_file(path)?;
    let elf = elf::parse(&bytes).map_err(|e| e.in_file(path))?;
    arch_for_machine(elf.e_machine).map_err(|e| e.in_file(path))
}

/// Host random bytes for AT_RANDOM.
fn random16() -> [u8; 16] {
    let mut r = [0u8; 16];
    // A failure leaves zeroes: AT_RANDOM seeds stack protectors, it is not
    // worth refusing to run over.
    let _ = host::getrandom(&mut r, 0);
    r
}

/// Loads the executable at `path` with arguments `argv` (argv[0] as given)
/// and environment `envp` (`NAME=value` strings). With `sysroot` (`-L`),
/// the interpreter and the guest's absolute paths are looked up under it
/// first.
pub fn load_program<A: AsRef<OsStr>, E: AsRef<OsStr>>(
    path: &Path,
    argv: &[A],
    envp: &[E],
    sysroot: Option<&Path>,
) -> Result<(Process, LoadedProgram)> {
    let bytes = read_file(path)?;
    let exe_path = std::fs::canonicalize(path).unwrap_or_else(|_| absolute(path));
    load_image_bytes(path, &bytes, exe_path, argv, envp, sysroot)
}

/// [`load_program`] for an executable already in memory (a built-in
/// guest); `name` stands for its path in messages, AT_EXECFN and
/// `/proc/self/exe`.
pub fn load_program_bytes<A: AsRef<OsStr>, E: AsRef<OsStr>>(
    name: &str,
    data: &[u8],
    argv: &[A],
    envp: &[E],
    sysroot: Option<&Path>,
) -> Result<(Process, LoadedProgram)> {
    let path = Path::new(name);
    load_image_bytes(path, data, absolute(path), argv, envp, sysroot)
}

fn load_image_bytes<A: AsRef<OsStr>, E: AsRef<OsStr>>(
    path: &Path,
    bytes: &[u8],
    exe_path: PathBuf,
    argv: &[A],
    envp: &[E],
    sysroot: Option<&Path>,
) -> Result<(Process, LoadedProgram)> {
    let exe = elf::parse(bytes).map_err(|e| e.in_file(path))?;
    let arch = arch_for_machine(exe.e_machine).map_err(|e| e.in_file(path))?;
    if exe.big_endian != arch.big_endian {
        return Err(Error::UnsupportedElf(format!(
            "{} executables must be {}-endian",
            arch.name,
            if arch.big_endian { "big" } else { "little" }
        ))
        .in_file(path));
    }

    let mut mem = GuestMemory::new(DEFAULT_SIZE)?;
    let (stack_bottom, stack_top) = loader::map_stack(&mut mem)?;

    let bias = loader::choose_bias(&mem, &exe, false).map_err(|e| e.in_file(path))?;
    let image = loader::load_image(&mut mem, &exe, bytes, bias).map_err(|e| e.in_file(path))?;
    let brk = image.end;

    let (entry, interp_base) = match &exe.interp {
        None => (image.entry, None),
        Some(ip) => {
            let ipath = host_path(sysroot, ip);
            let ibytes = read_file(&ipath)?;
            let ielf = elf::parse(&ibytes).map_err(|e| e.in_file(&ipath))?;
            if ielf.e_machine != exe.e_machine {
                return Err(Error::UnsupportedElf(format!(
                    "interpreter is for {}, not {}",
                    elf::machine_name(ielf.e_machine).unwrap_or("another machine"),
                    arch.name
                ))
                .in_file(&ipath));
            }
            if ielf.interp.is_some() {
                return Err(Error::UnsupportedElf(
                    "the interpreter itself asks for an interpreter".into(),
                )
                .in_file(&ipath));
            }
            let ibias = loader::choose_bias(&mem, &ielf, true).map_err(|e| e.in_file(&ipath))?;
            let iimage = loader::load_image(&mut mem, &ielf, &ibytes, ibias)
                .map_err(|e| e.in_file(&ipath))?;
            (iimage.entry, Some(iimage.start))
        }
    };

    let argv_b: Vec<&[u8]> = argv.iter().map(|a| a.as_ref().as_bytes()).collect();
    let envp_b: Vec<&[u8]> = envp.iter().map(|e| e.as_ref().as_bytes()).collect();
    let info = stack::ImageInfo {
        phdr: image.phdr,
        phent: elf::PHDR_SIZE as u64,
        phnum: image.phnum,
        interp_base: interp_base.unwrap_or(0),
        entry: image.entry,
    };
    let layout = stack::build(
        &mut mem,
        arch,
        stack_top,
        stack_bottom,
        &argv_b,
        &envp_b,
        path.as_os_str().as_bytes(),
        &info,
        random16(),
    )?;

    let process = Process::new(mem, arch, brk, sysroot.map(Path::to_path_buf), exe_path);
    Ok((
        process,
        LoadedProgram {
            arch,
            entry,
            sp: layout.sp,
            program_entry: image.entry,
            load_bias: bias,
            interp_base,
            brk,
            stack_top,
            stack_bottom,
            auxv: layout.auxv_pairs,
        },
    ))
}

/// `path` made absolute against the current directory, without touching
/// the file system further.
fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    }
}

#[cfg(test)]
mod tests;
