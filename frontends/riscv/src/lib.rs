//! RISC-V guest frontend: decoder tables, IR generation, CPU state, disassembler
