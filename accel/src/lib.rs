//! Accelerator and vCPU traits; the TCG accelerator
