//! polyvm's intermediate representation.
//!
//! ```text
//!  frontend ──Builder──► Block ──opt passes──► Block ──► backend (interp, x86-64 …)
//!                          │  ▲
//!                       print  parse      (file tests under testsuite/filetests/)
//! ```
//!
//! A [`Block`] is one translation block: a straight-line list of [`Inst`]s
//! with forward and backward labels, over typed [`Temp`]s. A temp is a guest
//! **global** (a field of the CPU state that backends may cache in host
//! registers within the block), a block-**local** value, or a **constant**.
//! Opcodes, their arity and semantics come from one table, `opcodes.rs`.

#[macro_use]
mod flags;
pub mod abi;
pub mod builder;
pub mod eval;
mod opcodes;
pub mod opt;
pub mod parse;
pub mod print;
pub mod verify;

use std::borrow::Cow;
use std::sync::Arc;

pub use builder::Builder;
pub use opcodes::{OpDef, OpFlags, Opcode, TypeRule, ALL_OPCODES, OP_DEFS};

/// Errors from parsing or verifying IR.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    #[error("line {line}: {msg}")]
    Parse { line: usize, msg: String },
    #[error("instruction {index} ({text}): {msg}")]
    Verify {
        index: usize,
        text: String,
        msg: String,
    },
}

pub type Result<T> = std::result::Result<T, Error>;

/// The type of a temp or operation.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    I32,
    I64,
}

impl Type {
    pub fn bits(self) -> u32 {
        match self {
            Type::I32 => 32,
            Type::I64 => 64,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Type::I32 => "i32",
            Type::I64 => "i64",
        }
    }
    /// Truncates `v` to this type's width (constants are stored zero-extended).
    #[inline]
    pub fn mask(self, v: u64) -> u64 {
        match self {
            Type::I32 => v as u32 as u64,
            Type::I64 => v,
        }
    }
    pub fn from_name(s: &str) -> Option<Type> {
        match s {
            "i32" => Some(Type::I32),
            "i64" => Some(Type::I64),
            _ => None,
        }
    }
}

/// A value: an index into [`Block::temps`]. Globals come first.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Temp(pub u32);

impl Temp {
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A branch target inside a block.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Label(pub u32);

/// What a temp is.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum TempKind {
    /// A guest register: [`Block::globals`]`[i]`.
    Global(u32),
    /// A block-local value; dead at block exits.
    Local,
    /// A constant, stored truncated to its type's width.
    Const(u64),
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct TempInfo {
    pub ty: Type,
    pub kind: TempKind,
}

/// A guest global: a named field of the CPU state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GlobalDecl {
    pub name: String,
    pub ty: Type,
    /// Byte offset in the CPU state; 8-byte aligned.
    pub offset: u32,
}

bitflags_lite! {
    /// What a helper call may do besides computing its result.
    pub struct HelperFlags: u8 {
        /// Reads guest globals from the CPU state: cached copies must be written back first.
        const READS_GLOBALS = 1 << 0;
        /// Writes guest globals: cached copies must be reloaded after.
        const WRITES_GLOBALS = 1 << 1;
        /// Neither reads nor writes anything but its arguments: may be removed if unused.
        const PURE = 1 << 2;
    }
}

/// A helper function's host ABI: the CPU state pointer, then up to four
/// arguments (unused ones are zero). It returns its result (or zero).
pub type HelperFn = unsafe extern "C" fn(env: *mut u8, a: u64, b: u64, c: u64, d: u64) -> u64;

/// A helper a block calls.
#[derive(Clone, Debug)]
pub struct HelperDecl {
    /// Names are usually static (declared by a frontend), so cloning a
    /// declaration into each block costs no allocation.
    pub name: Cow<'static, str>,
    /// Number of arguments after `env` (at most 4).
    pub nargs: u8,
    /// Result type, if the helper returns a value.
    pub ret: Option<Type>,
    pub flags: HelperFlags,
    /// The host function; `None` for blocks parsed from text and not bound yet.
    pub func: Option<HelperFn>,
}

impl PartialEq for HelperDecl {
    fn eq(&self, o: &Self) -> bool {
        self.name == o.name && self.nargs == o.nargs && self.ret == o.ret && self.flags == o.flags
    }
}

/// Comparison conditions.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Cond {
    Eq,
    Ne,
    Lt,
    Ge,
    Le,
    Gt,
    Ltu,
    Geu,
    Leu,
    Gtu,
    /// Always true / always false: results of folding.
    Always,
    Never,
}

impl Cond {
    pub const ALL: [Cond; 12] = [
        Cond::Eq,
        Cond::Ne,
        Cond::Lt,
        Cond::Ge,
        Cond::Le,
        Cond::Gt,
        Cond::Ltu,
        Cond::Geu,
        Cond::Leu,
        Cond::Gtu,
        Cond::Always,
        Cond::Never,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Cond::Eq => "eq",
            Cond::Ne => "ne",
            Cond::Lt => "lt",
            Cond::Ge => "ge",
            Cond::Le => "le",
            Cond::Gt => "gt",
            Cond::Ltu => "ltu",
            Cond::Geu => "geu",
            Cond::Leu => "leu",
            Cond::Gtu => "gtu",
            Cond::Always => "always",
            Cond::Never => "never",
        }
    }
    pub fn from_u64(v: u64) -> Option<Cond> {
        Cond::ALL.get(v as usize).copied()
    }
    /// Evaluates the condition on two values of type `ty`.
    #[inline]
    pub fn eval(self, ty: Type, a: u64, b: u64) -> bool {
        let (sa, sb) = match ty {
            Type::I32 => (a as i32 as i64, b as i32 as i64),
            Type::I64 => (a as i64, b as i64),
        };
        let (ua, ub) = (ty.mask(a), ty.mask(b));
        match self {
            Cond::Eq => ua == ub,
            Cond::Ne => ua != ub,
            Cond::Lt => sa < sb,
            Cond::Ge => sa >= sb,
            Cond::Le => sa <= sb,
            Cond::Gt => sa > sb,
            Cond::Ltu => ua < ub,
            Cond::Geu => ua >= ub,
            Cond::Leu => ua <= ub,
            Cond::Gtu => ua > ub,
            Cond::Always => true,
            Cond::Never => false,
        }
    }
    /// The condition that holds exactly when `self` does not.
    pub fn invert(self) -> Cond {
        match self {
            Cond::Eq => Cond::Ne,
            Cond::Ne => Cond::Eq,
            Cond::Lt => Cond::Ge,
            Cond::Ge => Cond::Lt,
            Cond::Le => Cond::Gt,
            Cond::Gt => Cond::Le,
            Cond::Ltu => Cond::Geu,
            Cond::Geu => Cond::Ltu,
            Cond::Leu => Cond::Gtu,
            Cond::Gtu => Cond::Leu,
            Cond::Always => Cond::Never,
            Cond::Never => Cond::Always,
        }
    }
}

/// A guest memory access: size, signedness, byte order and alignment.
///
/// Packed in a `u64` constant argument: bits 0-1 log2(size), bit 2 sign
/// extend, bit 3 big-endian, bit 4 alignment required.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct MemOp(pub u8);

impl MemOp {
    pub const SIGN: u8 = 1 << 2;
    pub const BE: u8 = 1 << 3;
    pub const ALIGN: u8 = 1 << 4;

    /// A little-endian, unaligned-allowed access of `bytes` (1, 2, 4 or 8).
    pub fn le(bytes: u32, signed: bool) -> MemOp {
        let log = bytes.trailing_zeros() as u8;
        debug_assert!(bytes.is_power_of_two() && bytes <= 8);
        MemOp(log | if signed { Self::SIGN } else { 0 })
    }
    #[inline]
    pub fn size_log2(self) -> u32 {
        (self.0 & 3) as u32
    }
    #[inline]
    pub fn size(self) -> u32 {
        1 << self.size_log2()
    }
    #[inline]
    pub fn signed(self) -> bool {
        self.0 & Self::SIGN != 0
    }
    #[inline]
    pub fn big_endian(self) -> bool {
        self.0 & Self::BE != 0
    }
    #[inline]
    pub fn aligned(self) -> bool {
        self.0 & Self::ALIGN != 0
    }
    pub fn with_align(self) -> MemOp {
        MemOp(self.0 | Self::ALIGN)
    }
    pub fn with_be(self) -> MemOp {
        MemOp(self.0 | Self::BE)
    }
    pub fn is_valid(v: u64) -> bool {
        v < 32
    }
}

/// The kind of a constant argument, which decides its spelling in text.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ConstKind {
    /// A plain integer.
    Imm,
    /// A [`Cond`].
    Cond,
    /// A [`MemOp`].
    MemOp,
    /// A [`Label`] index.
    Label,
    /// An index into [`Block::helpers`].
    Helper,
    /// A byte offset into the CPU state.
    Offset,
}

/// Maximum temps an instruction names (outputs then inputs).
pub const MAX_TEMPS: usize = 5;
/// Maximum constant arguments of an instruction.
pub const MAX_CONSTS: usize = 2;

/// One IR instruction. `args[..nout]` are outputs, `args[nout..nout+nin]`
/// inputs; `consts[..]` follow the op table's constant kinds.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Inst {
    pub opc: Opcode,
    pub ty: Type,
    pub nout: u8,
    pub nin: u8,
    pub args: [Temp; MAX_TEMPS],
    pub consts: [u64; MAX_CONSTS],
}

impl Inst {
    /// An instruction from its outputs, inputs and constant arguments.
    pub fn new(opc: Opcode, ty: Type, outs: &[Temp], ins: &[Temp], consts: &[u64]) -> Inst {
        debug_assert!(outs.len() + ins.len() <= MAX_TEMPS && consts.len() <= MAX_CONSTS);
        let mut args = [Temp(0); MAX_TEMPS];
        args[..outs.len()].copy_from_slice(outs);
        args[outs.len()..outs.len() + ins.len()].copy_from_slice(ins);
        let mut c = [0u64; MAX_CONSTS];
        c[..consts.len()].copy_from_slice(consts);
        Inst {
            opc,
            ty,
            nout: outs.len() as u8,
            nin: ins.len() as u8,
            args,
            consts: c,
        }
    }

    #[inline]
    pub fn outs(&self) -> &[Temp] {
        &self.args[..self.nout as usize]
    }
    #[inline]
    pub fn ins(&self) -> &[Temp] {
        &self.args[self.nout as usize..(self.nout + self.nin) as usize]
    }
    #[inline]
    pub fn ins_mut(&mut self) -> &mut [Temp] {
        let (o, i) = (self.nout as usize, self.nin as usize);
        &mut self.args[o..o + i]
    }
    #[inline]
    pub fn out(&self) -> Temp {
        self.args[0]
    }
    #[inline]
    pub fn input(&self, i: usize) -> Temp {
        self.args[self.nout as usize + i]
    }
    pub fn cond(&self) -> Cond {
        Cond::from_u64(self.consts[0]).unwrap_or(Cond::Never)
    }
    pub fn label(&self) -> Label {
        let i = self
            .opc
            .def()
            .consts
            .iter()
            .position(|k| *k == ConstKind::Label);
        Label(self.consts[i.unwrap_or(0)] as u32)
    }
    pub fn memop(&self) -> MemOp {
        MemOp(self.consts[0] as u8)
    }
    /// A `mov` (used by passes that rewrite an instruction in place).
    pub fn mov(ty: Type, d: Temp, a: Temp) -> Inst {
        let mut args = [Temp(0); MAX_TEMPS];
        args[0] = d;
        args[1] = a;
        Inst {
            opc: Opcode::Mov,
            ty,
            nout: 1,
            nin: 1,
            args,
            consts: [0; MAX_CONSTS],
        }
    }
}

/// One translation block of IR.
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    /// Guest pc of the first instruction.
    pub guest_pc: u64,
    /// The guest's address type (what `qemu_ld`/`qemu_st` addresses are).
    pub addr_ty: Type,
    /// Guest registers, shared by every block of a frontend.
    pub globals: Arc<[GlobalDecl]>,
    /// All temps; `temps[..globals.len()]` are the globals in order.
    pub temps: Vec<TempInfo>,
    pub insts: Vec<Inst>,
    pub helpers: Vec<HelperDecl>,
    pub nlabels: u32,
}

impl Block {
    /// An empty block over the given globals.
    pub fn new(guest_pc: u64, addr_ty: Type, globals: Arc<[GlobalDecl]>) -> Block {
        let temps = globals
            .iter()
            .enumerate()
            .map(|(i, g)| TempInfo {
                ty: g.ty,
                kind: TempKind::Global(i as u32),
            })
            .collect();
        Block {
            guest_pc,
            addr_ty,
            globals,
            temps,
            insts: Vec::new(),
            helpers: Vec::new(),
            nlabels: 0,
        }
    }

    #[inline]
    pub fn temp(&self, t: Temp) -> &TempInfo {
        &self.temps[t.index()]
    }

    #[inline]
    pub fn is_global(&self, t: Temp) -> bool {
        t.index() < self.globals.len()
    }

    /// The constant value of `t`, if it is a constant.
    #[inline]
    pub fn const_value(&self, t: Temp) -> Option<u64> {
        match self.temps[t.index()].kind {
            TempKind::Const(v) => Some(v),
            _ => None,
        }
    }

    /// Adds a constant temp.
    pub fn new_const(&mut self, ty: Type, v: u64) -> Temp {
        self.temps.push(TempInfo {
            ty,
            kind: TempKind::Const(ty.mask(v)),
        });
        Temp(self.temps.len() as u32 - 1)
    }

    /// Adds a block-local temp.
    pub fn new_local(&mut self, ty: Type) -> Temp {
        self.temps.push(TempInfo {
            ty,
            kind: TempKind::Local,
        });
        Temp(self.temps.len() as u32 - 1)
    }

    /// Number of guest instructions (`insn_start` markers) in the block.
    pub fn guest_insns(&self) -> usize {
        self.insts
            .iter()
            .filter(|i| i.opc == Opcode::InsnStart)
            .count()
    }
}
