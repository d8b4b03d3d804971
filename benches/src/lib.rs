//! polyvm's benchmarks: guest programs of our own, the side-by-side comparison
//! against QEMU (`compare-qemu`), and what the criterion benches share.
//!
//! ```text
//!  programs/*.c ──toolchain (cached builds)──► riscv64 ELF, native exe
//!        │                                        │
//!        └── measure: native │ qemu-riscv64 │ polyvm -accel tcg,backend=… (interleaved rounds)
//!                   ──► outputs compared, --stats parsed ──► report (medians, ratios, geomeans)
//! ```
//!
//! Ratios between runners on the same machine are what we quote, never absolute
//! times; nothing here asserts on time.

pub mod guest;
pub mod measure;
pub mod programs;
pub mod report;
pub mod stats;
pub mod toolchain;

use std::path::PathBuf;

/// Everything that can go wrong while building or running benchmarks.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("`{tool}` not found ({why}); install it with testsuite/install-deps.sh")]
    MissingTool { tool: String, why: String },
    #[error("compiling {program} with {cc} failed:\n{stderr}")]
    Compile {
        program: String,
        cc: String,
        stderr: String,
    },
    #[error("polyvm binary not found at {}; build it first with `cargo build --release` (same CARGO_TARGET_DIR) or pass --polyvm PATH", .0.display())]
    NoPolyvm(PathBuf),
    #[error("no benchmark program matches `{0}` (known: {1})")]
    NoSuchProgram(String, String),
    #[error("{0}")]
    Usage(String),
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An I/O error with what we were doing.
    pub fn io(what: impl Into<String>, source: std::io::Error) -> Error {
        Error::Io {
            what: what.into(),
            source,
        }
    }
}
