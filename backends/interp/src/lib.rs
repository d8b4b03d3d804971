//! Portable IR interpreter: the oracle every JIT is compared against
