//! polyvm's integration tests: file tests and guest programs compared against QEMU.
//!
//! [`filetest`] runs the IR file tests under `testsuite/filetests/`
//! (`cargo test -p polyvm-testsuite --test filetests`; `POLYVM_BLESS=1`
//! rewrites expected output).

pub mod filetest;
