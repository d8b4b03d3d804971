//! Machines: linux-user process model (ELF loader, syscalls), boards and devices.
//!
//! [`linux_user`] runs a foreign Linux executable as a process: it loads the
//! ELF image and its interpreter into a [`GuestMemory`], builds the initial
//! stack, and services the guest's system calls on the host.
//!
//! [`GuestMemory`]: polyvm_runtime::guest_mem::GuestMemory

pub mod linux_user;

use std::path::PathBuf;

use polyvm_runtime::guest_mem::GuestMemError;

/// Errors from this crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be opened or read; `what` says which, `source` why
    /// (shown by error-chain printers such as `{:#}` of anyhow).
    #[error("{what}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    /// The bytes are not a well-formed ELF file of a kind we load.
    #[error("malformed ELF file: {0}")]
    MalformedElf(String),
    /// A well-formed ELF file that polyvm does not run (yet).
    #[error("{0}")]
    UnsupportedElf(String),
    /// The ELF file is for a machine polyvm cannot emulate in user mode.
    #[error(
        "unsupported architecture: {name} (ELF machine {machine}); polyvm user supports riscv64"
    )]
    UnsupportedMachine { machine: u16, name: String },
    /// The image does not fit the guest address space as laid out.
    #[error("cannot lay out the guest image: {0}")]
    Layout(String),
    /// A guest-memory operation failed while loading.
    #[error(transparent)]
    GuestMem(#[from] GuestMemError),
    /// The accelerator could not create or run a vCPU.
    #[error(transparent)]
    Accel(#[from] polyvm_accel::AccelError),
    /// A polyvm bug or an exit the machine does not know.
    #[error("internal error: {0}")]
    Internal(String),
    /// Another error, about a particular file.
    /// (The inner error is part of the message, not a `source`, so that
    /// chain printers do not repeat it.)
    #[error("{}: {error}", path.display())]
    InFile { path: PathBuf, error: Box<Error> },
}

impl Error {
    /// Wraps this error with the file it is about (once).
    pub fn in_file(self, path: impl Into<PathBuf>) -> Error {
        match self {
            e @ (Error::Io { .. } | Error::InFile { .. }) => e,
            e => Error::InFile {
                path: path.into(),
                error: Box::new(e),
            },
        }
    }
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, Error>;
