//! The op table: the single source of truth for every IR opcode.
//!
//! Each row names the opcode, its text spelling, how many output temps,
//! input temps and constant arguments it takes, the kinds of its constant
//! arguments (so the printer and parser know how to spell them), its type
//! rule and its flags, with a one-line statement of its semantics. The
//! [`Opcode`] enum, [`OpDef`] table, printer, parser, verifier arity checks
//! and the interpreter's lowering all follow from this table.
//!
//! Conventions: `ty` is the instruction's operation type (`.i32`/`.i64` in
//! text). Shifts by an amount ≥ the width are masked to the width, as every
//! mainstream host does; guests with other semantics expand them in the
//! frontend. Division by zero and signed overflow (`MIN / -1`) give the
//! RISC-V results (all ones / dividend for div, dividend / 0 for rem);
//! frontends of other guests handle those cases themselves before the op.

use crate::ConstKind;

/// How the types of an instruction's temps are checked by the verifier.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum TypeRule {
    /// Every output and input temp has the instruction's type.
    Same,
    /// Outputs have the instruction's type; the single input is the other
    /// integer width (`ext_i32_i64`, `trunc_i64_i32`).
    Widen,
    /// Output is `i32`, input is `i64` (truncation).
    Narrow,
    /// Guest memory access: the value has the instruction's type, the
    /// address has the block's guest address type.
    Mem,
    /// Helper call: types follow the helper declaration.
    Call,
    /// No temps.
    NoTemps,
    /// Any single input type, no outputs (`goto_ptr`).
    Addr,
}

bitflags_lite! {
    /// Properties an optimiser or backend must respect.
    pub struct OpFlags: u8 {
        /// Has an effect beyond writing its outputs; never removed by DCE.
        const SIDE_EFFECTS = 1 << 0;
        /// Transfers control out of the block (or to a label).
        const BRANCH = 1 << 1;
        /// Ends the block: nothing after it on the fall-through path runs.
        const BLOCK_END = 1 << 2;
        /// May raise a guest exception (a fault restores state from `insn_start`).
        const CAN_FAULT = 1 << 3;
        /// Reads or writes guest globals behind the IR's back (helper calls).
        const CALL = 1 << 4;
        /// Starts a new extended basic block (labels): value knowledge resets.
        const BB_START = 1 << 5;
    }
}

/// The macro every consumer of the op table expands.
///
/// Row: `Variant "text" nout nin [const kinds] TypeRule flags; /// semantics`
#[macro_export]
macro_rules! for_each_op {
    ($m:ident) => {
        $m! {
            /// d = a
            Mov "mov" 1 1 [] Same 0;
            /// d = a + b (wrapping)
            Add "add" 1 2 [] Same 0;
            /// d = a - b (wrapping)
            Sub "sub" 1 2 [] Same 0;
            /// d = a * b (low half, wrapping)
            Mul "mul" 1 2 [] Same 0;
            /// d = high half of the signed product a * b
            MulSH "mulsh" 1 2 [] Same 0;
            /// d = high half of the unsigned product a * b
            MulUH "muluh" 1 2 [] Same 0;
            /// d = high half of signed a times unsigned b
            MulSUH "mulsuh" 1 2 [] Same 0;
            /// d = a / b signed; b == 0 gives -1, MIN / -1 gives MIN
            DivS "divs" 1 2 [] Same 0;
            /// d = a / b unsigned; b == 0 gives all ones
            DivU "divu" 1 2 [] Same 0;
            /// d = a % b signed; b == 0 gives a, MIN % -1 gives 0
            RemS "rems" 1 2 [] Same 0;
            /// d = a % b unsigned; b == 0 gives a
            RemU "remu" 1 2 [] Same 0;
            /// d = -a
            Neg "neg" 1 1 [] Same 0;
            /// d = a & b
            And "and" 1 2 [] Same 0;
            /// d = a | b
            Or "or" 1 2 [] Same 0;
            /// d = a ^ b
            Xor "xor" 1 2 [] Same 0;
            /// d = !a
            Not "not" 1 1 [] Same 0;
            /// d = a & !b
            AndC "andc" 1 2 [] Same 0;
            /// d = a << (b mod width)
            Shl "shl" 1 2 [] Same 0;
            /// d = a >> (b mod width), logical
            Shr "shr" 1 2 [] Same 0;
            /// d = a >> (b mod width), arithmetic
            Sar "sar" 1 2 [] Same 0;
            /// d = a rotated left by (b mod width)
            Rotl "rotl" 1 2 [] Same 0;
            /// d = a rotated right by (b mod width)
            Rotr "rotr" 1 2 [] Same 0;
            /// d = number of leading zero bits of a (width if a == 0)
            Clz "clz" 1 1 [] Same 0;
            /// d = number of trailing zero bits of a (width if a == 0)
            Ctz "ctz" 1 1 [] Same 0;
            /// d = number of one bits of a
            Ctpop "ctpop" 1 1 [] Same 0;
            /// d = sign-extended low 8 bits of a
            Ext8S "ext8s" 1 1 [] Same 0;
            /// d = zero-extended low 8 bits of a
            Ext8U "ext8u" 1 1 [] Same 0;
            /// d = sign-extended low 16 bits of a
            Ext16S "ext16s" 1 1 [] Same 0;
            /// d = zero-extended low 16 bits of a
            Ext16U "ext16u" 1 1 [] Same 0;
            /// d = sign-extended low 32 bits of a (i64 only)
            Ext32S "ext32s" 1 1 [] Same 0;
            /// d = zero-extended low 32 bits of a (i64 only)
            Ext32U "ext32u" 1 1 [] Same 0;
            /// d:i64 = sign-extended a:i32
            ExtI32S "exts_i32" 1 1 [] Widen 0;
            /// d:i64 = zero-extended a:i32
            ExtI32U "extu_i32" 1 1 [] Widen 0;
            /// d:i32 = low 32 bits of a:i64
            Trunc "trunc_i64" 1 1 [] Narrow 0;
            /// d = (a >> pos) & ((1 << len) - 1)
            Extract "extract" 1 1 [Imm Imm] Same 0;
            /// d = sign-extended bit field a[pos + len - 1 : pos]
            SExtract "sextract" 1 1 [Imm Imm] Same 0;
            /// d = a with bits [pos + len - 1 : pos] replaced by the low bits of b
            Deposit "deposit" 1 2 [Imm Imm] Same 0;
            /// d = (a cond b) ? 1 : 0
            SetCond "setcond" 1 2 [Cond] Same 0;
            /// d = (a cond b) ? c : e
            MovCond "movcond" 1 4 [Cond] Same 0;
            /// d = the `ty`-sized field of the CPU state at byte offset `off`, zero-extended
            LdEnv "ld_env" 1 0 [Offset] Same 0;
            /// the CPU state's `ty`-sized field at byte offset `off` = a
            StEnv "st_env" 0 1 [Offset] Same SIDE_EFFECTS;
            /// d = guest memory[addr], size/sign/endianness/alignment from the memop
            QemuLd "qemu_ld" 1 1 [MemOp Imm] Mem CAN_FAULT;
            /// guest memory[addr] = a, size/endianness/alignment from the memop
            QemuSt "qemu_st" 0 2 [MemOp Imm] Mem (SIDE_EFFECTS | CAN_FAULT);
            /// host memory barrier with the given ordering bits
            Mb "mb" 0 0 [Imm] NoTemps SIDE_EFFECTS;
            /// call a helper; its declaration says what it reads and writes
            Call "call" 0 0 [Helper] Call (SIDE_EFFECTS | CALL | CAN_FAULT);
            /// if (a cond b) jump to label
            BrCond "brcond" 0 2 [Cond Label] Same (SIDE_EFFECTS | BRANCH);
            /// jump to label
            Br "br" 0 0 [Label] NoTemps (SIDE_EFFECTS | BRANCH | BLOCK_END);
            /// label definition: a branch target
            SetLabel "set_label" 0 0 [Label] NoTemps (SIDE_EFFECTS | BB_START);
            /// marks the start of guest instruction at `pc` (precise faults, tracing)
            InsnStart "insn_start" 0 0 [Imm] NoTemps SIDE_EFFECTS;
            /// leave the block through chainable exit `n` (0 or 1); the guest pc is already stored
            GotoTb "goto_tb" 0 0 [Imm] NoTemps (SIDE_EFFECTS | BRANCH | BLOCK_END);
            /// leave the block to the guest pc `a`, found through the jump cache
            GotoPtr "goto_ptr" 0 1 [] Addr (SIDE_EFFECTS | BRANCH | BLOCK_END);
            /// return to the runtime with exit code `v` (0 = just look up the next block)
            ExitTb "exit_tb" 0 0 [Imm] NoTemps (SIDE_EFFECTS | BRANCH | BLOCK_END);
        }
    };
}

macro_rules! define_opcodes {
    ($( $(#[doc = $doc:expr])* $var:ident $name:literal $nout:literal $nin:literal
        [$($ck:ident)*] $rule:ident $flags:tt; )*) => {
        /// An IR opcode. See the op table in `opcodes.rs` for semantics.
        #[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub enum Opcode {
            $( $(#[doc = $doc])* $var, )*
        }

        /// Every opcode's static description, indexed by `Opcode as usize`.
        pub static OP_DEFS: &[OpDef] = &[
            $( OpDef {
                name: $name,
                nout: $nout,
                nin: $nin,
                consts: &[$(ConstKind::$ck),*],
                rule: TypeRule::$rule,
                flags: define_opcodes!(@flags $flags),
                doc: concat!($($doc),*),
            }, )*
        ];

        /// Every opcode, in table order.
        pub static ALL_OPCODES: &[Opcode] = &[ $( Opcode::$var, )* ];
    };
    (@flags 0) => { OpFlags::empty() };
    (@flags $f:ident) => { OpFlags::$f };
    (@flags ($($f:ident)|*)) => { OpFlags::from_bits_retain(0 $(| OpFlags::$f.bits())*) };
}

for_each_op!(define_opcodes);

/// Static description of one opcode.
#[derive(Debug)]
pub struct OpDef {
    pub name: &'static str,
    /// Output temps (for `call`, from the helper declaration instead).
    pub nout: u8,
    /// Input temps (for `call`, from the helper declaration instead).
    pub nin: u8,
    /// Kinds of the constant arguments, in order.
    pub consts: &'static [ConstKind],
    pub rule: TypeRule,
    pub flags: OpFlags,
    /// The one-line semantics from the table.
    pub doc: &'static str,
}

impl Opcode {
    /// This opcode's row of the op table.
    #[inline]
    pub fn def(self) -> &'static OpDef {
        &OP_DEFS[self as usize]
    }

    #[inline]
    pub fn name(self) -> &'static str {
        self.def().name
    }

    #[inline]
    pub fn flags(self) -> OpFlags {
        self.def().flags
    }

    /// Looks an opcode up by its text spelling.
    pub fn from_name(name: &str) -> Option<Opcode> {
        ALL_OPCODES.iter().copied().find(|op| op.name() == name)
    }
}
