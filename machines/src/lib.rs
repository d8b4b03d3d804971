//! Machines: linux-user process model (ELF loader, syscalls), boards and devices
