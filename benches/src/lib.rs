//! criterion benchmarks and the side-by-side comparison against QEMU
