//! Building blocks of IR, the way a frontend does it.
//!
//! Every emitter takes the operation type first, then outputs, then inputs,
//! then constant arguments, mirroring the text form (`add.i64 d, a, b`).

use crate::{Block, Cond, GlobalDecl, HelperDecl, Inst, Label, MemOp, Opcode, Temp, Type};
use std::sync::Arc;

/// Appends instructions to a [`Block`].
pub struct Builder {
    pub block: Block,
}

impl Builder {
    pub fn new(guest_pc: u64, addr_ty: Type, globals: Arc<[GlobalDecl]>) -> Builder {
        Builder {
            block: Block::new(guest_pc, addr_ty, globals),
        }
    }

    pub fn finish(self) -> Block {
        self.block
    }

    /// The temp of global number `i` (globals come first among temps).
    #[inline]
    pub fn global(&self, i: usize) -> Temp {
        debug_assert!(i < self.block.globals.len());
        Temp(i as u32)
    }

    #[inline]
    pub fn konst(&mut self, ty: Type, v: u64) -> Temp {
        self.block.new_const(ty, v)
    }
    #[inline]
    pub fn const_i64(&mut self, v: u64) -> Temp {
        self.block.new_const(Type::I64, v)
    }
    #[inline]
    pub fn const_i32(&mut self, v: u32) -> Temp {
        self.block.new_const(Type::I32, v as u64)
    }
    /// A fresh block-local temp.
    #[inline]
    pub fn temp(&mut self, ty: Type) -> Temp {
        self.block.new_local(ty)
    }
    pub fn new_label(&mut self) -> Label {
        self.block.nlabels += 1;
        Label(self.block.nlabels - 1)
    }

    /// Appends a raw instruction: outputs, inputs and constants as given.
    pub fn emit(&mut self, opc: Opcode, ty: Type, outs: &[Temp], ins: &[Temp], consts: &[u64]) {
        self.block.insts.push(Inst::new(opc, ty, outs, ins, consts));
    }

    /// `d = op a` for a one-input op (`mov`, `neg`, `not`, `ext*`, `clz` …).
    #[inline]
    pub fn unop(&mut self, opc: Opcode, ty: Type, d: Temp, a: Temp) {
        self.emit(opc, ty, &[d], &[a], &[]);
    }
    /// `d = a op b` for a two-input op (`add`, `shl`, `divu` …).
    #[inline]
    pub fn binop(&mut self, opc: Opcode, ty: Type, d: Temp, a: Temp, b: Temp) {
        self.emit(opc, ty, &[d], &[a, b], &[]);
    }
    /// `d = a op imm`, the constant made for you.
    #[inline]
    pub fn binop_imm(&mut self, opc: Opcode, ty: Type, d: Temp, a: Temp, imm: u64) {
        let b = self.konst(ty, imm);
        self.binop(opc, ty, d, a, b);
    }
    #[inline]
    pub fn mov(&mut self, ty: Type, d: Temp, a: Temp) {
        self.unop(Opcode::Mov, ty, d, a);
    }
    #[inline]
    pub fn movi(&mut self, ty: Type, d: Temp, v: u64) {
        let c = self.konst(ty, v);
        self.mov(ty, d, c);
    }
    pub fn extract(&mut self, ty: Type, d: Temp, a: Temp, pos: u32, len: u32) {
        self.emit(Opcode::Extract, ty, &[d], &[a], &[pos as u64, len as u64]);
    }
    pub fn sextract(&mut self, ty: Type, d: Temp, a: Temp, pos: u32, len: u32) {
        self.emit(Opcode::SExtract, ty, &[d], &[a], &[pos as u64, len as u64]);
    }
    pub fn deposit(&mut self, ty: Type, d: Temp, a: Temp, b: Temp, pos: u32, len: u32) {
        self.emit(
            Opcode::Deposit,
            ty,
            &[d],
            &[a, b],
            &[pos as u64, len as u64],
        );
    }
    pub fn setcond(&mut self, ty: Type, cond: Cond, d: Temp, a: Temp, b: Temp) {
        self.emit(Opcode::SetCond, ty, &[d], &[a, b], &[cond as u64]);
    }
    /// `d = (a cond b) ? t : f`
    #[allow(clippy::too_many_arguments)]
    pub fn movcond(&mut self, ty: Type, cond: Cond, d: Temp, a: Temp, b: Temp, t: Temp, f: Temp) {
        self.emit(Opcode::MovCond, ty, &[d], &[a, b, t, f], &[cond as u64]);
    }
    pub fn brcond(&mut self, ty: Type, cond: Cond, a: Temp, b: Temp, l: Label) {
        self.emit(Opcode::BrCond, ty, &[], &[a, b], &[cond as u64, l.0 as u64]);
    }
    pub fn br(&mut self, l: Label) {
        self.emit(Opcode::Br, Type::I64, &[], &[], &[l.0 as u64]);
    }
    pub fn set_label(&mut self, l: Label) {
        self.emit(Opcode::SetLabel, Type::I64, &[], &[], &[l.0 as u64]);
    }
    /// `d = env[off]`, a `ty`-sized field of the CPU state.
    pub fn ld_env(&mut self, ty: Type, d: Temp, off: u32) {
        self.emit(Opcode::LdEnv, ty, &[d], &[], &[off as u64]);
    }
    /// `env[off] = a`
    pub fn st_env(&mut self, ty: Type, a: Temp, off: u32) {
        self.emit(Opcode::StEnv, ty, &[], &[a], &[off as u64]);
    }
    /// `d = guest memory[addr]` with the access described by `mop`.
    pub fn qemu_ld(&mut self, ty: Type, d: Temp, addr: Temp, mop: MemOp, mmu_idx: u32) {
        self.emit(
            Opcode::QemuLd,
            ty,
            &[d],
            &[addr],
            &[mop.0 as u64, mmu_idx as u64],
        );
    }
    /// `guest memory[addr] = v`
    pub fn qemu_st(&mut self, ty: Type, v: Temp, addr: Temp, mop: MemOp, mmu_idx: u32) {
        self.emit(
            Opcode::QemuSt,
            ty,
            &[],
            &[v, addr],
            &[mop.0 as u64, mmu_idx as u64],
        );
    }
    /// Calls `helper` with `args`; `out` receives its result.
    pub fn call(&mut self, helper: &HelperDecl, out: Option<Temp>, args: &[Temp]) {
        debug_assert_eq!(args.len(), helper.nargs as usize);
        debug_assert_eq!(out.is_some(), helper.ret.is_some());
        let idx = match self
            .block
            .helpers
            .iter()
            .position(|h| h.name == helper.name)
        {
            Some(i) => i,
            None => {
                self.block.helpers.push(helper.clone());
                self.block.helpers.len() - 1
            }
        };
        let ty = helper.ret.unwrap_or(Type::I64);
        match out {
            Some(o) => self.emit(Opcode::Call, ty, &[o], args, &[idx as u64]),
            None => self.emit(Opcode::Call, ty, &[], args, &[idx as u64]),
        }
    }
    pub fn mb(&mut self, bits: u32) {
        self.emit(Opcode::Mb, Type::I64, &[], &[], &[bits as u64]);
    }
    pub fn insn_start(&mut self, pc: u64) {
        self.emit(Opcode::InsnStart, Type::I64, &[], &[], &[pc]);
    }
    /// Chainable exit `n` (0 or 1). Store the next guest pc first.
    pub fn goto_tb(&mut self, n: u32) {
        self.emit(Opcode::GotoTb, Type::I64, &[], &[], &[n as u64]);
    }
    /// Indirect exit to guest pc `a` through the jump cache.
    pub fn goto_ptr(&mut self, a: Temp) {
        let ty = self.block.temp(a).ty;
        self.emit(Opcode::GotoPtr, ty, &[], &[a], &[]);
    }
    /// Return to the runtime with exit code `v`.
    pub fn exit_tb(&mut self, v: u64) {
        self.emit(Opcode::ExitTb, Type::I64, &[], &[], &[v]);
    }
}
