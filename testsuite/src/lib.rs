//! polyvm's integration tests: file tests and guest programs compared against QEMU
