//! Emitting x86-64 code for one block: one `emit_<family>` per op family
//! over the register allocator, all code going through `dynasm!`.
//!
//! ```text
//!  entry: add [icount], n │ body … │ goto_tb k: jmp rel32 ─► stub k (until linked)
//!                                  │ stubs: set exit word, jmp epilogue
//!                                  │ fault stubs: record site and address, jmp epilogue
//! ```

use dynasmrt::{dynasm, DynamicLabel, DynasmApi, DynasmLabelApi};

use polyvm_ir::abi::{Access, CompileError};
use polyvm_ir::{Block, Cond, HelperFlags, Inst, MemOp, Opcode, Temp, Type};

use crate::fault::{
    Site, KIND_MISALIGNED, KIND_OUT_OF_RANGE, W_FAULT_ADDR, W_FAULT_KIND, W_FAULT_SITE, W_NEXT_PC,
};
use crate::regalloc::{load_imm, Asm, Regs, R11, R8, RAX, RCX, RDX, RSI};
use crate::{EXIT_KIND_FAULT, EXIT_KIND_GOTO_PTR, EXIT_KIND_GOTO_TB, JC_MASK};

macro_rules! asm {
    ($a:expr; $($t:tt)*) => { dynasm!($a ; .arch x64 ; $($t)*) };
}

/// A fault stub to emit after the body.
struct FaultStub {
    label: DynamicLabel,
    addr_reg: u8,
    site: usize,
    kind: u64,
}

/// What compiling a block produced, before it is copied to the buffer.
pub struct Emitted {
    pub bytes: Vec<u8>,
    /// Offsets of the rel32 of each `goto_tb` jump, and of its stub.
    pub goto_tb: [Option<(usize, usize)>; 2],
    /// Fault sites with offsets relative to the block start.
    pub sites: Vec<Site>,
}

pub struct Ctx<'a> {
    pub block: &'a Block,
    /// rbp-relative offset of the scratch area.
    pub scratch: i32,
    /// Absolute addresses the block may jump or call to.
    pub epilogue: usize,
    pub jump_cache: usize,
    pub tag: u32,
    /// Address the code will be placed at.
    pub base: usize,
    /// Index of the block's first fault site in the backend's table.
    pub first_site: usize,
    /// Scratch bytes available to locals.
    pub scratch_room: usize,
    /// Globals living in host registers across blocks: (global, register).
    pub pins: &'a [(u32, u8)],
    /// The guest pc's global, whose constant stores before `goto_tb` are
    /// deferred to the unlinked exit (see `FrontendHints::pc_offset`).
    pub pc_global: Option<u32>,
}

fn cc_code(c: Cond) -> u8 {
    // x86 condition codes (the low nibble of Jcc/SETcc/CMOVcc).
    match c {
        Cond::Eq => 0x4,
        Cond::Ne => 0x5,
        Cond::Lt => 0xc,
        Cond::Ge => 0xd,
        Cond::Le => 0xe,
        Cond::Gt => 0xf,
        Cond::Ltu => 0x2,
        Cond::Geu => 0x3,
        Cond::Leu => 0x6,
        Cond::Gtu => 0x7,
        Cond::Always | Cond::Never => unreachable!("folded before use"),
    }
}

/// `imm` as a sign-extended 32-bit immediate for an operation of type `ty`,
/// if it is one.
fn imm32(ty: Type, v: u64) -> Option<i32> {
    match ty {
        Type::I32 => Some(v as u32 as i32),
        Type::I64 => i32::try_from(v as i64).ok(),
    }
}

pub fn emit_block(ctx: &Ctx<'_>) -> Result<Emitted, CompileError> {
    let block = ctx.block;
    let locals_base = ctx.scratch as usize + polyvm_ir::abi::SCRATCH_RESERVED;
    let (regs, need) = Regs::new(block, locals_base, ctx.pins);
    if need > ctx.scratch_room {
        return Err(CompileError::TooLarge {
            needed: need,
            available: ctx.scratch_room,
        });
    }
    for h in &block.helpers {
        if h.func.is_none() {
            return Err(CompileError::UnboundHelper(h.name.to_string()));
        }
    }
    // Sized for the common case so that assembling does not reallocate:
    // about 12 bytes of host code per IR instruction, a few labels each.
    let n = block.insts.len();
    let mut asm = Asm::new_with_capacity(ctx.base, 64 + 12 * n, 0, 1, 8 + n / 2, 1, 8 + n / 2);
    let epilogue = asm.new_dynamic_label();
    let mut e = Emitter {
        asm,
        regs,
        ctx,
        labels: Vec::new(),
        stubs: Vec::new(),
        sites: Vec::new(),
        goto_tb_fixups: Vec::new(),
        pending_pc: None,
        guest_pc: block.guest_pc,
        epilogue,
    };
    e.labels = (0..block.nlabels)
        .map(|_| e.asm.new_dynamic_label())
        .collect();

    // The counter lives in r13 while native code runs (see the trampoline).
    let insns = block.guest_insns() as i32;
    if insns != 0 {
        asm!(e.asm; add r13, insns);
    }

    // How many branches name each label (a conditional exit may only
    // absorb a label nothing else jumps to).
    let mut label_refs = vec![0u32; block.nlabels as usize];
    for inst in &block.insts {
        if matches!(inst.opc, Opcode::Br | Opcode::BrCond) {
            if let Some(r) = label_refs.get_mut(inst.label().0 as usize) {
                *r += 1;
            }
        }
    }
    let mut idx = 0;
    while idx < block.insts.len() {
        let inst = &block.insts[idx];
        e.regs.cur = idx as u32;
        let consumed = match inst.opc {
            Opcode::BrCond => e.cond_exit(idx, &label_refs),
            Opcode::Shl => e.scaled_add(idx),
            _ => None,
        };
        let done = match consumed {
            Some(k) => k,
            None => {
                e.inst(inst)?;
                1
            }
        };
        e.regs.unlock_all();
        // Every instruction emitted (alone or as a group) releases the
        // registers of its locals that die there.
        for (i, inst) in block.insts[idx..idx + done].iter().enumerate() {
            e.regs.cur = (idx + i) as u32;
            e.regs.free_dead(inst);
        }
        idx += done;
    }
    // Falling off the end returns to the runtime (the verifier forbids it).
    e.flush_pending_pc();
    e.regs.sync(&mut e.asm, false);
    asm!(e.asm; xor eax, eax; jmp =>e.epilogue);
    e.finish()
}

struct Emitter<'a, 'b> {
    asm: Asm,
    regs: Regs<'b>,
    ctx: &'a Ctx<'b>,
    labels: Vec<DynamicLabel>,
    stubs: Vec<FaultStub>,
    sites: Vec<Site>,
    /// (slot, offset of the rel32, stub label, pc the stub stores)
    goto_tb_fixups: Vec<(usize, usize, DynamicLabel, Option<i32>)>,
    /// A constant pc store not emitted yet (it only matters on exits).
    pending_pc: Option<i32>,
    guest_pc: u64,
    epilogue: DynamicLabel,
}

impl Emitter<'_, '_> {
    fn t(&self, t: Temp) -> u32 {
        t.0
    }

    /// Output and two inputs of a binary instruction.
    fn dab(inst: &Inst) -> (u32, u32, u32) {
        (inst.out().0, inst.input(0).0, inst.input(1).0)
    }

    /// For ops whose host instructions use rax and rdx implicitly (mul-high,
    /// div): claims both, then loads the two inputs into other registers.
    fn rax_rdx_operands(&mut self, inst: &Inst) -> (u32, u8, u8) {
        let (d, a, b) = Self::dab(inst);
        self.regs.reserve(&mut self.asm, RAX);
        self.regs.reserve(&mut self.asm, RDX);
        let ra = self.regs.input(&mut self.asm, a);
        let rb = self.regs.input(&mut self.asm, b);
        (d, ra, rb)
    }

    fn flush_pending_pc(&mut self) {
        if let (Some(i), Some(g)) = (self.pending_pc.take(), self.ctx.pc_global) {
            let home = self.regs.home(g);
            asm!(self.asm; mov QWORD [rbp + home], i);
        }
    }

    fn inst(&mut self, inst: &Inst) -> Result<(), CompileError> {
        use Opcode::*;
        if !matches!(inst.opc, GotoTb | InsnStart) {
            self.flush_pending_pc();
        }
        match inst.opc {
            Mov => self.emit_mov(inst),
            Add | Sub | And | Or | Xor | Mul => self.emit_alu(inst),
            AndC => self.emit_andc(inst),
            Shl | Shr | Sar => self.emit_shift(inst),
            Rotl | Rotr => self.emit_rotate(inst),
            MulSH | MulUH | MulSUH => self.emit_mulh(inst),
            DivS | DivU | RemS | RemU => self.emit_div(inst),
            Neg | Not | Clz | Ctz | Ctpop | Ext8S | Ext8U | Ext16S | Ext16U | Ext32S | Ext32U
            | ExtI32S | ExtI32U | Trunc => self.emit_unary(inst),
            Extract | SExtract => self.emit_extract(inst),
            Deposit => self.emit_deposit(inst),
            SetCond | MovCond => self.emit_cond(inst),
            LdEnv | StEnv => self.emit_env(inst),
            QemuLd | QemuSt => self.emit_mem(inst),
            Mb => {
                // x86-64 only reorders a store with a later load.
                if inst.consts[0] & 2 != 0 {
                    asm!(self.asm; mfence);
                }
            }
            Call => self.emit_call(inst),
            BrCond => self.emit_brcond(inst),
            Br => {
                self.regs.sync(&mut self.asm, true);
                let l = self.labels[inst.label().0 as usize];
                asm!(self.asm; jmp =>l);
            }
            SetLabel => {
                self.regs.sync(&mut self.asm, true);
                self.regs.forget_all();
                let l = self.labels[inst.label().0 as usize];
                asm!(self.asm; =>l);
            }
            InsnStart => self.guest_pc = inst.consts[0],
            GotoTb => self.emit_goto_tb(inst),
            GotoPtr => self.emit_goto_ptr(inst),
            ExitTb => {
                let v = inst.consts[0];
                if v >= 1 << 61 {
                    return Err(CompileError::Invalid(format!("exit code {v:#x} too large")));
                }
                self.regs.sync(&mut self.asm, false);
                load_imm(&mut self.asm, RAX, v << 2);
                asm!(self.asm; jmp =>self.epilogue);
            }
        }
        Ok(())
    }

    fn emit_mov(&mut self, inst: &Inst) {
        let (d, a) = (self.t(inst.out()), self.t(inst.input(0)));
        if d == a {
            return;
        }
        if let Some(v) = self.regs.const_of(a) {
            if let Some(p) = self.regs.pinned(d) {
                load_imm(&mut self.asm, p, v);
                return;
            }
            // The pc before `goto_tb`: stored only if the exit is not linked.
            if let (Some(g), Type::I64, Some(i)) = (self.ctx.pc_global, inst.ty, imm32(inst.ty, v))
            {
                if g == d && self.regs.pinned(d).is_none() {
                    self.regs.discard(d);
                    self.pending_pc = Some(i);
                    return;
                }
            }
            // A constant into a global: one store.
            // (i64 only: the store sign-extends, i32 slots are zero-extended.)
            if let (true, Type::I64, Some(i)) = (self.regs.is_global(d), inst.ty, imm32(inst.ty, v))
            {
                self.regs.discard(d);
                let home = self.regs.home(d);
                asm!(self.asm; mov QWORD [rbp + home], i);
                return;
            }
            let rd = self.regs.output(&mut self.asm, d);
            load_imm(&mut self.asm, rd, v);
            self.regs.define(&mut self.asm, d, rd);
            return;
        }
        let ra = self.regs.input(&mut self.asm, a);
        let rd = if self.regs.dies_here(ra) {
            ra
        } else {
            let rd = self.regs.output(&mut self.asm, d);
            asm!(self.asm; mov Rq(rd), Rq(ra));
            rd
        };
        self.regs.define(&mut self.asm, d, rd);
    }

    /// The destination of a form that reads its source `a` before writing
    /// (`movsx d, a`, `mov d32, a32` …): `d`'s pinned register, else `a`'s
    /// own when `a` is `d` or dies here, else any register for `d`.
    fn dest_after_read(&mut self, d: u32, a: u32, ra: u8) -> u8 {
        if let Some(p) = self.regs.pinned(d) {
            p
        } else if a == d || self.regs.dies_here(ra) {
            ra
        } else {
            self.regs.output(&mut self.asm, d)
        }
    }

    /// The register the result of `d = a op …` is computed in: `a`'s own
    /// when `a` is `d` or dies here, else a fresh copy of `a`.
    fn dest_from(&mut self, d: u32, a: u32, ra: u8, ty: Type) -> u8 {
        if a == d || self.regs.dies_here(ra) {
            return ra;
        }
        let rd = self.regs.output(&mut self.asm, d);
        match ty {
            Type::I32 => asm!(self.asm; mov Rd(rd), Rd(ra)),
            Type::I64 => asm!(self.asm; mov Rq(rd), Rq(ra)),
        }
        rd
    }

    fn emit_alu(&mut self, inst: &Inst) {
        let ty = inst.ty;
        let (d, a, b) = Self::dab(inst);
        let ra = self.regs.input(&mut self.asm, a);
        let bimm = self.regs.const_of(b).and_then(|v| imm32(ty, v));
        let rb = match bimm {
            Some(_) => 0,
            None => self.regs.input(&mut self.asm, b),
        };
        // A three-operand add (the result not in `a`'s register) is one
        // `lea`: address arithmetic before loads and stores is mostly that.
        let in_place = a == d || self.regs.dies_here(ra);
        let lea_imm = match (inst.opc, bimm) {
            (Opcode::Add, Some(i)) => Some(i),
            (Opcode::Sub, Some(i)) if i != i32::MIN => Some(-i),
            _ => None,
        };
        if !in_place && (lea_imm.is_some() || inst.opc == Opcode::Add) {
            let rd = match self.regs.pinned(d) {
                Some(p) if b != d => p,
                _ => self.regs.alloc(&mut self.asm),
            };
            match (ty, lea_imm) {
                (Type::I64, Some(i)) => asm!(self.asm; lea Rq(rd), [Rq(ra) + i]),
                (Type::I32, Some(i)) => asm!(self.asm; lea Rd(rd), [Rq(ra) + i]),
                (Type::I64, None) => asm!(self.asm; lea Rq(rd), [Rq(ra) + Rq(rb)]),
                (Type::I32, None) => asm!(self.asm; lea Rd(rd), [Rq(ra) + Rq(rb)]),
            }
            self.regs.define(&mut self.asm, d, rd);
            return;
        }
        // `a` in place is only safe if `b` is not `d` in another register.
        let rd = if b == d && a != d {
            let rd = self.regs.alloc(&mut self.asm);
            match ty {
                Type::I32 => asm!(self.asm; mov Rd(rd), Rd(ra)),
                Type::I64 => asm!(self.asm; mov Rq(rd), Rq(ra)),
            }
            rd
        } else {
            self.dest_from(d, a, ra, ty)
        };
        // Immediates in -128..=127 take the short imm8 encoding.
        macro_rules! op {
            ($m:ident) => {
                match (ty, bimm) {
                    (Type::I64, Some(i)) if i8::try_from(i).is_ok() => asm!(self.asm; $m Rq(rd), BYTE i as i8),
                    (Type::I32, Some(i)) if i8::try_from(i).is_ok() => asm!(self.asm; $m Rd(rd), BYTE i as i8),
                    (Type::I64, Some(i)) => asm!(self.asm; $m Rq(rd), i),
                    (Type::I32, Some(i)) => asm!(self.asm; $m Rd(rd), i),
                    (Type::I64, None) => asm!(self.asm; $m Rq(rd), Rq(rb)),
                    (Type::I32, None) => asm!(self.asm; $m Rd(rd), Rd(rb)),
                }
            };
        }
        match inst.opc {
            Opcode::Add => op!(add),
            Opcode::Sub => op!(sub),
            Opcode::And => op!(and),
            Opcode::Or => op!(or),
            Opcode::Xor => op!(xor),
            _ => match (ty, bimm) {
                (Type::I64, Some(i)) => asm!(self.asm; imul Rq(rd), Rq(rd), i),
                (Type::I32, Some(i)) => asm!(self.asm; imul Rd(rd), Rd(rd), i),
                (Type::I64, None) => asm!(self.asm; imul Rq(rd), Rq(rb)),
                (Type::I32, None) => asm!(self.asm; imul Rd(rd), Rd(rb)),
            },
        }
        self.regs.define(&mut self.asm, d, rd);
    }

    fn emit_andc(&mut self, inst: &Inst) {
        let ty = inst.ty;
        let (d, a, b) = Self::dab(inst);
        let ra = self.regs.input(&mut self.asm, a);
        let rb = self.regs.input(&mut self.asm, b);
        let rd = self.regs.alloc(&mut self.asm);
        // d = a & !b with BMI1 andn (d = !src1 & src2).
        match ty {
            Type::I64 => asm!(self.asm; andn Rq(rd), Rq(rb), Rq(ra)),
            Type::I32 => asm!(self.asm; andn Rd(rd), Rd(rb), Rd(ra)),
        }
        self.regs.define(&mut self.asm, d, rd);
    }

    fn emit_shift(&mut self, inst: &Inst) {
        let ty = inst.ty;
        let (d, a, b) = Self::dab(inst);
        let ra = self.regs.input(&mut self.asm, a);
        if let Some(v) = self.regs.const_of(b) {
            let n = (v & (ty.bits() as u64 - 1)) as i8;
            let rd = self.dest_from(d, a, ra, ty);
            match (inst.opc, ty) {
                (Opcode::Shl, Type::I64) => asm!(self.asm; shl Rq(rd), n),
                (Opcode::Shl, Type::I32) => asm!(self.asm; shl Rd(rd), n),
                (Opcode::Shr, Type::I64) => asm!(self.asm; shr Rq(rd), n),
                (Opcode::Shr, Type::I32) => asm!(self.asm; shr Rd(rd), n),
                (_, Type::I64) => asm!(self.asm; sar Rq(rd), n),
                (_, Type::I32) => asm!(self.asm; sar Rd(rd), n),
            }
            self.regs.define(&mut self.asm, d, rd);
            return;
        }
        let rb = self.regs.input(&mut self.asm, b);
        let rd = self.regs.alloc(&mut self.asm);
        // BMI2 shifts take the count from any register, masked to the width.
        match (inst.opc, ty) {
            (Opcode::Shl, Type::I64) => asm!(self.asm; shlx Rq(rd), Rq(ra), Rq(rb)),
            (Opcode::Shl, Type::I32) => asm!(self.asm; shlx Rd(rd), Rd(ra), Rd(rb)),
            (Opcode::Shr, Type::I64) => asm!(self.asm; shrx Rq(rd), Rq(ra), Rq(rb)),
            (Opcode::Shr, Type::I32) => asm!(self.asm; shrx Rd(rd), Rd(ra), Rd(rb)),
            (_, Type::I64) => asm!(self.asm; sarx Rq(rd), Rq(ra), Rq(rb)),
            (_, Type::I32) => asm!(self.asm; sarx Rd(rd), Rd(ra), Rd(rb)),
        }
        self.regs.define(&mut self.asm, d, rd);
    }

    fn emit_rotate(&mut self, inst: &Inst) {
        let ty = inst.ty;
        let (d, a, b) = Self::dab(inst);
        let ra = self.regs.input(&mut self.asm, a);
        let left = inst.opc == Opcode::Rotl;
        if let Some(v) = self.regs.const_of(b) {
            let n = (v & (ty.bits() as u64 - 1)) as i8;
            let rd = self.dest_from(d, a, ra, ty);
            match (left, ty) {
                (true, Type::I64) => asm!(self.asm; rol Rq(rd), n),
                (true, Type::I32) => asm!(self.asm; rol Rd(rd), n),
                (false, Type::I64) => asm!(self.asm; ror Rq(rd), n),
                (false, Type::I32) => asm!(self.asm; ror Rd(rd), n),
            }
            self.regs.define(&mut self.asm, d, rd);
            return;
        }
        // Variable rotates need the count in cl.
        self.regs.reserve(&mut self.asm, RCX);
        let ra = self.regs.input(&mut self.asm, a);
        let rb = self.regs.input(&mut self.asm, b);
        let rd = self.regs.alloc(&mut self.asm);
        asm!(self.asm; mov ecx, Rd(rb));
        match (left, ty) {
            (true, Type::I64) => asm!(self.asm; mov Rq(rd), Rq(ra); rol Rq(rd), cl),
            (true, Type::I32) => asm!(self.asm; mov Rd(rd), Rd(ra); rol Rd(rd), cl),
            (false, Type::I64) => asm!(self.asm; mov Rq(rd), Rq(ra); ror Rq(rd), cl),
            (false, Type::I32) => asm!(self.asm; mov Rd(rd), Rd(ra); ror Rd(rd), cl),
        }
        self.regs.define(&mut self.asm, d, rd);
    }

    fn emit_mulh(&mut self, inst: &Inst) {
        let ty = inst.ty;
        let (d, ra, rb) = self.rax_rdx_operands(inst);
        match ty {
            Type::I64 => {
                asm!(self.asm; mov rax, Rq(ra));
                match inst.opc {
                    Opcode::MulSH => asm!(self.asm; imul Rq(rb)),
                    _ => asm!(self.asm; mul Rq(rb)),
                }
                if inst.opc == Opcode::MulSUH {
                    // signed(a) * unsigned(b) = unsigned product - (a < 0 ? b << 64 : 0)
                    asm!(self.asm; mov r11, Rq(ra); sar r11, 63; and r11, Rq(rb); sub rdx, r11);
                }
            }
            Type::I32 => {
                // 32-bit: widen to 64 bits and take bits 63:32 of the product.
                match inst.opc {
                    Opcode::MulSH => asm!(self.asm; movsxd rax, Rd(ra); movsxd r11, Rd(rb)),
                    Opcode::MulUH => asm!(self.asm; mov eax, Rd(ra); mov r11d, Rd(rb)),
                    _ => asm!(self.asm; movsxd rax, Rd(ra); mov r11d, Rd(rb)),
                }
                asm!(self.asm; imul rax, r11; shr rax, 32; mov edx, eax);
            }
        }
        self.regs.define(&mut self.asm, d, RDX);
    }

    fn emit_div(&mut self, inst: &Inst) {
        let ty = inst.ty;
        let (d, ra, rb) = self.rax_rdx_operands(inst);
        let signed = matches!(inst.opc, Opcode::DivS | Opcode::RemS);
        let rem = matches!(inst.opc, Opcode::RemS | Opcode::RemU);
        let (zero, done, go) = (
            self.asm.new_dynamic_label(),
            self.asm.new_dynamic_label(),
            self.asm.new_dynamic_label(),
        );
        let w64 = ty == Type::I64;
        if w64 {
            asm!(self.asm; test Rq(rb), Rq(rb); jz =>zero);
        } else {
            asm!(self.asm; test Rd(rb), Rd(rb); jz =>zero);
        }
        if signed {
            // MIN / -1 overflows in hardware: quotient MIN, remainder 0.
            if w64 {
                asm!(self.asm; cmp Rq(rb), -1; jne =>go; mov r11, QWORD i64::MIN; cmp Rq(ra), r11; jne =>go);
            } else {
                asm!(self.asm; cmp Rd(rb), -1; jne =>go; cmp Rd(ra), i32::MIN; jne =>go);
            }
            if rem {
                asm!(self.asm; xor edx, edx);
            } else if w64 {
                asm!(self.asm; mov rdx, Rq(ra));
            } else {
                asm!(self.asm; mov edx, Rd(ra));
            }
            asm!(self.asm; jmp =>done);
        }
        asm!(self.asm; =>go);
        match (signed, w64) {
            (true, true) => asm!(self.asm; mov rax, Rq(ra); cqo; idiv Rq(rb)),
            (true, false) => asm!(self.asm; mov eax, Rd(ra); cdq; idiv Rd(rb)),
            (false, true) => asm!(self.asm; mov rax, Rq(ra); xor edx, edx; div Rq(rb)),
            (false, false) => asm!(self.asm; mov eax, Rd(ra); xor edx, edx; div Rd(rb)),
        }
        if !rem {
            asm!(self.asm; mov rdx, rax);
        }
        asm!(self.asm; jmp =>done; =>zero);
        // Division by zero: quotient all ones, remainder the dividend.
        match (rem, w64) {
            (true, true) => asm!(self.asm; mov rdx, Rq(ra)),
            (true, false) => asm!(self.asm; mov edx, Rd(ra)),
            (false, true) => asm!(self.asm; mov rdx, -1),
            (false, false) => asm!(self.asm; mov edx, -1),
        }
        asm!(self.asm; =>done);
        self.regs.define(&mut self.asm, d, RDX);
    }

    fn emit_unary(&mut self, inst: &Inst) {
        use Opcode::*;
        let ty = inst.ty;
        let (d, a) = (self.t(inst.out()), self.t(inst.input(0)));
        let ra = self.regs.input(&mut self.asm, a);
        match inst.opc {
            Neg | Not => {
                let rd = self.dest_from(d, a, ra, ty);
                match (inst.opc, ty) {
                    (Neg, Type::I64) => asm!(self.asm; neg Rq(rd)),
                    (Neg, Type::I32) => asm!(self.asm; neg Rd(rd)),
                    (_, Type::I64) => asm!(self.asm; not Rq(rd)),
                    (_, Type::I32) => asm!(self.asm; not Rd(rd)),
                }
                self.regs.define(&mut self.asm, d, rd);
            }
            _ => {
                // Every form below reads its source before writing.
                let rd = self.dest_after_read(d, a, ra);
                match (inst.opc, ty) {
                    (Clz, Type::I64) => asm!(self.asm; lzcnt Rq(rd), Rq(ra)),
                    (Clz, Type::I32) => asm!(self.asm; lzcnt Rd(rd), Rd(ra)),
                    (Ctz, Type::I64) => asm!(self.asm; tzcnt Rq(rd), Rq(ra)),
                    (Ctz, Type::I32) => asm!(self.asm; tzcnt Rd(rd), Rd(ra)),
                    (Ctpop, Type::I64) => asm!(self.asm; popcnt Rq(rd), Rq(ra)),
                    (Ctpop, Type::I32) => asm!(self.asm; popcnt Rd(rd), Rd(ra)),
                    (Ext8S, Type::I64) => asm!(self.asm; movsx Rq(rd), Rb(ra)),
                    (Ext8S, Type::I32) => asm!(self.asm; movsx Rd(rd), Rb(ra)),
                    (Ext8U, _) => asm!(self.asm; movzx Rd(rd), Rb(ra)),
                    (Ext16S, Type::I64) => asm!(self.asm; movsx Rq(rd), Rw(ra)),
                    (Ext16S, Type::I32) => asm!(self.asm; movsx Rd(rd), Rw(ra)),
                    (Ext16U, _) => asm!(self.asm; movzx Rd(rd), Rw(ra)),
                    (Ext32S, _) | (ExtI32S, _) => asm!(self.asm; movsxd Rq(rd), Rd(ra)),
                    // A 32-bit mov clears the upper half.
                    (Ext32U, _) | (ExtI32U, _) | (Trunc, _) => asm!(self.asm; mov Rd(rd), Rd(ra)),
                    _ => unreachable!("unary op table"),
                }
                self.regs.define(&mut self.asm, d, rd);
            }
        }
    }

    fn emit_extract(&mut self, inst: &Inst) {
        let ty = inst.ty;
        let (d, a) = (self.t(inst.out()), self.t(inst.input(0)));
        let (pos, len) = (inst.consts[0] as u32, inst.consts[1] as u32);
        let bits = ty.bits();
        let ra = self.regs.input(&mut self.asm, a);
        let signed = inst.opc == Opcode::SExtract;
        // Unsigned fields ending at bit 31: a 32-bit move clears the top,
        // one 32-bit shift does the rest (`srliw`-style extracts).
        if !signed && pos + len == 32 {
            let rd = self.dest_after_read(d, a, ra);
            asm!(self.asm; mov Rd(rd), Rd(ra));
            if pos != 0 {
                asm!(self.asm; shr Rd(rd), pos as i8);
            }
            self.regs.define(&mut self.asm, d, rd);
            return;
        }
        let rd = self.dest_from(d, a, ra, ty);
        // Move the field to the top, then shift it down (logically or
        // arithmetically): two shifts, any field.
        let up = (bits - pos - len) as i8;
        let down = (bits - len) as i8;
        match ty {
            Type::I64 => {
                if up != 0 {
                    asm!(self.asm; shl Rq(rd), up);
                }
                if down != 0 {
                    if signed {
                        asm!(self.asm; sar Rq(rd), down);
                    } else {
                        asm!(self.asm; shr Rq(rd), down);
                    }
                }
            }
            Type::I32 => {
                if up != 0 {
                    asm!(self.asm; shl Rd(rd), up);
                }
                if down != 0 {
                    if signed {
                        asm!(self.asm; sar Rd(rd), down);
                    } else {
                        asm!(self.asm; shr Rd(rd), down);
                    }
                }
            }
        }
        self.regs.define(&mut self.asm, d, rd);
    }

    fn emit_deposit(&mut self, inst: &Inst) {
        let ty = inst.ty;
        let (d, a, b) = Self::dab(inst);
        let (pos, len) = (inst.consts[0] as u32, inst.consts[1] as u32);
        let bits = ty.bits();
        let ra = self.regs.input(&mut self.asm, a);
        let rb = self.regs.input(&mut self.asm, b);
        let rd = self.regs.alloc(&mut self.asm);
        let (p, l) = (pos as i8, len as i8);
        let top = (bits - len) as i8;
        let back = (bits - len - pos) as i8;
        match ty {
            Type::I64 => {
                // r11 = b's low len bits at pos; rd = a with the field cleared.
                asm!(self.asm; mov r11, Rq(rb); shl r11, top);
                if back != 0 {
                    asm!(self.asm; shr r11, back);
                }
                asm!(self.asm; mov Rq(rd), Rq(ra); ror Rq(rd), p);
                if len < 64 {
                    asm!(self.asm; shr Rq(rd), l; shl Rq(rd), l);
                } else {
                    asm!(self.asm; xor Rd(rd), Rd(rd));
                }
                asm!(self.asm; rol Rq(rd), p; or Rq(rd), r11);
            }
            Type::I32 => {
                asm!(self.asm; mov r11d, Rd(rb); shl r11d, top);
                if back != 0 {
                    asm!(self.asm; shr r11d, back);
                }
                asm!(self.asm; mov Rd(rd), Rd(ra); ror Rd(rd), p);
                if len < 32 {
                    asm!(self.asm; shr Rd(rd), l; shl Rd(rd), l);
                } else {
                    asm!(self.asm; xor Rd(rd), Rd(rd));
                }
                asm!(self.asm; rol Rd(rd), p; or Rd(rd), r11d);
            }
        }
        self.regs.define(&mut self.asm, d, rd);
    }

    /// `cmp a, b` for a condition: sets flags. With `sync`, dirty globals
    /// (and live locals if `Some(true)`) are written back between loading
    /// the operands and comparing (stores keep flags), so that both paths
    /// of a following branch see the same, synced state.
    fn emit_cmp(&mut self, ty: Type, a: u32, b: u32, sync: Option<bool>) {
        let ra = self.regs.input(&mut self.asm, a);
        let bimm = self.regs.const_of(b).and_then(|v| imm32(ty, v));
        let rb = match bimm {
            Some(_) => 0,
            None => self.regs.input(&mut self.asm, b),
        };
        if let Some(locals) = sync {
            self.regs.sync(&mut self.asm, locals);
        }
        match (ty, bimm) {
            (Type::I64, Some(i)) => asm!(self.asm; cmp Rq(ra), i),
            (Type::I32, Some(i)) => asm!(self.asm; cmp Rd(ra), i),
            (Type::I64, None) => asm!(self.asm; cmp Rq(ra), Rq(rb)),
            (Type::I32, None) => asm!(self.asm; cmp Rd(ra), Rd(rb)),
        }
    }

    /// A jump whose rel32 the runtime re-targets when it links exit `slot`
    /// (`opcode` is `E9` for jmp, `0F 80+cc` for jcc); until then it goes to
    /// a stub that stores `pc` and leaves through the epilogue.
    fn patchable_exit(&mut self, opcode: &[u8], slot: usize, pc: Option<i32>) {
        let stub = self.asm.new_dynamic_label();
        self.asm.extend(opcode.iter().copied());
        let rel = self.asm.offset().0;
        self.asm.extend([0, 0, 0, 0]);
        self.goto_tb_fixups.push((slot, rel, stub, pc));
    }

    fn emit_cond(&mut self, inst: &Inst) {
        let ty = inst.ty;
        let cond = inst.cond();
        let d = self.t(inst.out());
        let (a, b) = (self.t(inst.input(0)), self.t(inst.input(1)));
        if inst.opc == Opcode::SetCond {
            if matches!(cond, Cond::Always | Cond::Never) {
                let rd = self.regs.output(&mut self.asm, d);
                load_imm(&mut self.asm, rd, (cond == Cond::Always) as u64);
                self.regs.define(&mut self.asm, d, rd);
                return;
            }
            self.emit_cmp(ty, a, b, None);
            let rd = self.regs.output(&mut self.asm, d);
            let cc = cc_code(cond);
            // setcc r11b; movzx rd, r11b (rd may be an input: read after cmp).
            self.setcc_r11(cc);
            asm!(self.asm; movzx Rd(rd), r11b);
            self.regs.define(&mut self.asm, d, rd);
            return;
        }
        let (t, f) = (self.t(inst.input(2)), self.t(inst.input(3)));
        let rt = self.regs.input(&mut self.asm, t);
        let rf = self.regs.input(&mut self.asm, f);
        // The result is built in r11 while up to four inputs hold registers,
        // then the inputs are released and the result gets a register of
        // its own: no instruction needs more than four allocatable ones.
        match cond {
            Cond::Always => asm!(self.asm; mov r11, Rq(rt)),
            Cond::Never => asm!(self.asm; mov r11, Rq(rf)),
            _ => {
                asm!(self.asm; mov r11, Rq(rf));
                self.emit_cmp(ty, a, b, None);
                self.cmov(cc_code(cond), R11, rt);
            }
        }
        self.regs.unlock_all();
        let rd = match self.regs.pinned(d) {
            Some(p) => p,
            None => self.regs.output(&mut self.asm, d),
        };
        asm!(self.asm; mov Rq(rd), r11);
        self.regs.define(&mut self.asm, d, rd);
    }

    fn setcc_r11(&mut self, cc: u8) {
        // SETcc r11b = REX.B 0F 90+cc /0 with ModRM for r11.
        self.asm.extend([0x41, 0x0f, 0x90 | cc, 0xc3]);
    }

    fn cmov(&mut self, cc: u8, rd: u8, rs: u8) {
        // CMOVcc r64, r/m64 = REX.W(+R,+B) 0F 40+cc /r
        let rex = 0x48 | ((rd >> 3) << 2) | (rs >> 3);
        let modrm = 0xc0 | ((rd & 7) << 3) | (rs & 7);
        self.asm.extend([rex, 0x0f, 0x40 | cc, modrm]);
    }

    fn jcc(&mut self, cc: u8, target: DynamicLabel) {
        match cc {
            0x2 => asm!(self.asm; jb =>target),
            0x3 => asm!(self.asm; jae =>target),
            0x4 => asm!(self.asm; je =>target),
            0x5 => asm!(self.asm; jne =>target),
            0x6 => asm!(self.asm; jbe =>target),
            0x7 => asm!(self.asm; ja =>target),
            0xc => asm!(self.asm; jl =>target),
            0xd => asm!(self.asm; jge =>target),
            0xe => asm!(self.asm; jle =>target),
            _ => asm!(self.asm; jg =>target),
        }
    }

    fn emit_brcond(&mut self, inst: &Inst) {
        let ty = inst.ty;
        let cond = inst.cond();
        let l = self.labels[inst.label().0 as usize];
        let (a, b) = (self.t(inst.input(0)), self.t(inst.input(1)));
        match cond {
            Cond::Never => return,
            Cond::Always => {
                self.regs.sync(&mut self.asm, true);
                asm!(self.asm; jmp =>l);
                return;
            }
            _ => {}
        }
        self.emit_cmp(ty, a, b, Some(true));
        self.jcc(cc_code(cond), l);
    }

    /// `shl t, a, k; add d, t, b` (k = 1, 2, 3) where `t` is not needed
    /// afterwards — array indexing — becomes `lea d, [b + a * 2^k]`: one
    /// instruction and one cycle of latency instead of two. Returns how many
    /// instructions it consumed.
    fn scaled_add(&mut self, idx: usize) -> Option<usize> {
        let insts = &self.ctx.block.insts;
        let (shl, add) = (&insts[idx], insts.get(idx + 1)?);
        if shl.ty != Type::I64 || add.opc != Opcode::Add || add.ty != Type::I64 {
            return None;
        }
        let k = self.regs.const_of(shl.input(1).0)?;
        if !(1..=3).contains(&k) {
            return None;
        }
        let (t, a) = (shl.out().0, shl.input(0).0);
        let (d, x, y) = (add.out().0, add.input(0).0, add.input(1).0);
        let b = match (x == t, y == t) {
            (true, false) => y,
            (false, true) => x,
            _ => return None,
        };
        // `t` must be dead after the add: overwritten by it, or a local
        // whose last read is the add.
        self.regs.cur = (idx + 1) as u32;
        let t_dead = d == t || !self.regs.live_after(t);
        if !t_dead || self.regs.const_of(b).is_some() || self.regs.const_of(a).is_some() {
            self.regs.cur = idx as u32;
            return None;
        }
        let ra = self.regs.input(&mut self.asm, a);
        let rb = self.regs.input(&mut self.asm, b);
        let rd = match self.regs.pinned(d) {
            Some(p) => p,
            None => self.regs.alloc(&mut self.asm),
        };
        match k {
            1 => asm!(self.asm; lea Rq(rd), [Rq(rb) + Rq(ra) * 2]),
            2 => asm!(self.asm; lea Rq(rd), [Rq(rb) + Rq(ra) * 4]),
            _ => asm!(self.asm; lea Rq(rd), [Rq(rb) + Rq(ra) * 8]),
        }
        self.regs.define(&mut self.asm, d, rd);
        // `t` (if it is not `d`) is dead: drop a stale register copy of it.
        if t != d {
            self.regs.discard(t);
        }
        Some(2)
    }

    /// One exit path `[mov pc, C;] goto_tb n` starting at `at`: its slot,
    /// the pc constant and the index after it.
    fn exit_path(&self, at: usize) -> Option<(usize, Option<i32>, usize)> {
        let insts = &self.ctx.block.insts;
        let mut i = at;
        let mut pc = None;
        let first = insts.get(i)?;
        if first.opc == Opcode::Mov && first.ty == Type::I64 {
            let g = self.ctx.pc_global?;
            let v = self.regs.const_of(first.input(0).0)?;
            if first.out().0 != g || self.regs.pinned(g).is_some() {
                return None;
            }
            pc = Some(imm32(Type::I64, v)?);
            i += 1;
        }
        let g = insts.get(i)?;
        (g.opc == Opcode::GotoTb).then_some(((g.consts[0] & 1) as usize, pc, i + 1))
    }

    /// The frontend's conditional branch between two chainable exits,
    ///
    /// ```text
    ///   brcond c, a, b, L; [mov pc, C0;] goto_tb n; set_label L; [mov pc, C1;] goto_tb m
    /// ```
    ///
    /// becomes `cmp a, b; jcc rel32 (exit m); jmp rel32 (exit n)`, both
    /// re-targeted when linked: a loop's back edge is then one conditional
    /// jump, as in native code. Returns how many instructions it consumed.
    fn cond_exit(&mut self, idx: usize, label_refs: &[u32]) -> Option<usize> {
        let insts = &self.ctx.block.insts;
        let br = &insts[idx];
        let cond = br.cond();
        if matches!(cond, Cond::Always | Cond::Never) {
            return None;
        }
        let l = br.label().0;
        if label_refs.get(l as usize) != Some(&1) {
            return None;
        }
        let (slot_a, pc_a, next) = self.exit_path(idx + 1)?;
        let set = insts.get(next)?;
        if set.opc != Opcode::SetLabel || set.label().0 != l {
            return None;
        }
        let (slot_b, pc_b, end) = self.exit_path(next + 1)?;
        if slot_a == slot_b {
            return None;
        }
        // A backward target (a loop's head) goes on the conditional jump,
        // so that a linked loop iterates with one taken branch.
        let backward =
            |pc: Option<i32>| pc.is_some_and(|p| p as i64 as u64 <= self.ctx.block.guest_pc);
        let (cond, (slot_a, pc_a), (slot_b, pc_b)) = if backward(pc_a) && !backward(pc_b) {
            (cond.invert(), (slot_b, pc_b), (slot_a, pc_a))
        } else {
            (cond, (slot_a, pc_a), (slot_b, pc_b))
        };
        let ty = br.ty;
        let (a, b) = (br.input(0).0, br.input(1).0);
        self.emit_cmp(ty, a, b, Some(false));
        self.patchable_exit(&[0x0f, 0x80 | cc_code(cond)], slot_b, pc_b);
        // The fall-through path is an ordinary goto_tb.
        self.patchable_exit(&[0xe9], slot_a, pc_a);
        Some(end - idx)
    }

    fn emit_env(&mut self, inst: &Inst) {
        let ty = inst.ty;
        let off = inst.consts[0] as i32;
        let size = ty.bits() as i32 / 8;
        // A field that is also a global's slot: keep the cache coherent.
        let mut reload_pinned = false;
        for (g, decl) in self.ctx.block.globals.iter().enumerate() {
            let go = decl.offset as i32;
            if off < go + 8 && go < off + size {
                let store = inst.opc == Opcode::StEnv;
                reload_pinned |= store && self.regs.pinned(g as u32).is_some();
                self.regs.sync_global_at(&mut self.asm, g as u32, store);
            }
        }
        if inst.opc == Opcode::LdEnv {
            let d = self.t(inst.out());
            let rd = self.regs.output(&mut self.asm, d);
            match ty {
                Type::I64 => asm!(self.asm; mov Rq(rd), QWORD [rbp + off]),
                Type::I32 => asm!(self.asm; mov Rd(rd), DWORD [rbp + off]),
            }
            self.regs.define(&mut self.asm, d, rd);
        } else {
            let a = self.t(inst.input(0));
            match self.regs.const_of(a).and_then(|v| imm32(ty, v)) {
                Some(i) => match ty {
                    Type::I64 => asm!(self.asm; mov QWORD [rbp + off], i),
                    Type::I32 => asm!(self.asm; mov DWORD [rbp + off], i),
                },
                None => {
                    let ra = self.regs.input(&mut self.asm, a);
                    match ty {
                        Type::I64 => asm!(self.asm; mov QWORD [rbp + off], Rq(ra)),
                        Type::I32 => asm!(self.asm; mov DWORD [rbp + off], Rd(ra)),
                    }
                }
            }
        }
        if reload_pinned {
            self.regs.reload_pinned(&mut self.asm);
        }
    }

    fn add_site(&mut self, access: Access) -> usize {
        let host = self.asm.offset().0;
        self.sites.push(Site {
            host,
            guest_pc: self.guest_pc,
            access,
        });
        self.ctx.first_site + self.sites.len() - 1
    }

    fn emit_mem(&mut self, inst: &Inst) {
        let ty = inst.ty;
        let mop = MemOp(inst.consts[0] as u8);
        let load = inst.opc == Opcode::QemuLd;
        let addr_t = self.t(inst.input(if load { 0 } else { 1 }));
        let ra = self.regs.input(&mut self.asm, addr_t);
        let rv = if load {
            0
        } else {
            let v = self.t(inst.input(0));
            self.regs.input(&mut self.asm, v)
        };
        // The guest state must be exact if this access faults.
        self.regs.sync(&mut self.asm, false);
        let addr32 = self.ctx.block.addr_ty == Type::I32;
        let ra = if addr32 {
            asm!(self.asm; mov r11d, Rd(ra));
            R11
        } else {
            ra
        };
        let access = if load { Access::Read } else { Access::Write };
        let size = mop.size() as i32;
        if mop.aligned() && size > 1 {
            let stub = self.asm.new_dynamic_label();
            let site = self.ctx.first_site + self.sites.len();
            asm!(self.asm; test Rd(ra), size - 1; jnz =>stub);
            self.stubs.push(FaultStub {
                label: stub,
                addr_reg: ra,
                site,
                kind: KIND_MISALIGNED,
            });
        }
        // Guest memory is [0, size): r14 holds the size.
        let oob = self.asm.new_dynamic_label();
        let site = self.ctx.first_site + self.sites.len();
        asm!(self.asm; cmp Rq(ra), r14; jae =>oob);
        self.stubs.push(FaultStub {
            label: oob,
            addr_reg: ra,
            site,
            kind: KIND_OUT_OF_RANGE,
        });
        let be = mop.big_endian();
        if load {
            let d = self.t(inst.out());
            // The address is consumed by the load, so a pinned destination
            // is written directly, even when it is also the address.
            let rd = match self.regs.pinned(d) {
                Some(p) => p,
                None => self.regs.output(&mut self.asm, d),
            };
            self.add_site(access);
            match (mop.size_log2(), mop.signed() && !be, ty) {
                (0, false, _) => asm!(self.asm; movzx Rd(rd), BYTE [r15 + Rq(ra)]),
                (0, true, Type::I64) => asm!(self.asm; movsx Rq(rd), BYTE [r15 + Rq(ra)]),
                (0, true, Type::I32) => asm!(self.asm; movsx Rd(rd), BYTE [r15 + Rq(ra)]),
                (1, false, _) => asm!(self.asm; movzx Rd(rd), WORD [r15 + Rq(ra)]),
                (1, true, Type::I64) => asm!(self.asm; movsx Rq(rd), WORD [r15 + Rq(ra)]),
                (1, true, Type::I32) => asm!(self.asm; movsx Rd(rd), WORD [r15 + Rq(ra)]),
                (2, true, Type::I64) => asm!(self.asm; movsxd Rq(rd), DWORD [r15 + Rq(ra)]),
                (2, _, _) => asm!(self.asm; mov Rd(rd), DWORD [r15 + Rq(ra)]),
                (_, _, _) => asm!(self.asm; mov Rq(rd), QWORD [r15 + Rq(ra)]),
            }
            if be && size > 1 {
                match size {
                    2 => asm!(self.asm; rol Rw(rd), 8),
                    4 => asm!(self.asm; bswap Rd(rd)),
                    _ => asm!(self.asm; bswap Rq(rd)),
                }
                if mop.signed() {
                    match (size, ty) {
                        (2, Type::I64) => asm!(self.asm; movsx Rq(rd), Rw(rd)),
                        (2, Type::I32) => asm!(self.asm; movsx Rd(rd), Rw(rd)),
                        (4, Type::I64) => asm!(self.asm; movsxd Rq(rd), Rd(rd)),
                        _ => {}
                    }
                } else if size == 2 {
                    asm!(self.asm; movzx Rd(rd), Rw(rd));
                }
            }
            if ty == Type::I32 && size == 8 {
                asm!(self.asm; mov Rd(rd), Rd(rd));
            }
            self.regs.define(&mut self.asm, d, rd);
        } else {
            let src = if be && size > 1 {
                // Swap a copy: the value's own register stays intact.
                let r = self.regs.alloc(&mut self.asm);
                asm!(self.asm; mov Rq(r), Rq(rv));
                match size {
                    2 => asm!(self.asm; rol Rw(r), 8),
                    4 => asm!(self.asm; bswap Rd(r)),
                    _ => asm!(self.asm; bswap Rq(r)),
                }
                r
            } else {
                rv
            };
            self.add_site(access);
            match size {
                1 => asm!(self.asm; mov BYTE [r15 + Rq(ra)], Rb(src)),
                2 => asm!(self.asm; mov WORD [r15 + Rq(ra)], Rw(src)),
                4 => asm!(self.asm; mov DWORD [r15 + Rq(ra)], Rd(src)),
                _ => asm!(self.asm; mov QWORD [r15 + Rq(ra)], Rq(src)),
            }
        }
    }

    fn emit_call(&mut self, inst: &Inst) {
        let h = &self.ctx.block.helpers[inst.consts[0] as usize];
        let func = h.func.expect("checked in emit_block") as usize;
        // Helpers see the CPU state: write everything back first, and the
        // arguments too (a local read for the last time here is not "live
        // after", but the call still needs it from its home).
        self.regs.sync(&mut self.asm, true);
        for t in inst.ins() {
            self.regs.force_home(&mut self.asm, t.0);
        }
        self.regs.store_pinned(&mut self.asm);
        self.regs.spill_caller_saved(&mut self.asm);
        const ARGS: [u8; 4] = [RSI, RDX, RCX, R8];
        let ins: Vec<u32> = inst.ins().iter().map(|t| t.0).collect();
        for (i, t) in ins.iter().enumerate() {
            let r = ARGS[i];
            // Pinned globals may sit in argument registers: take them from
            // their (just written) slots.
            let cached = self
                .regs
                .reg_of(*t)
                .filter(|_| self.regs.pinned(*t).is_none());
            match (self.regs.const_of(*t), cached) {
                (Some(v), _) => load_imm(&mut self.asm, r, v),
                // Only callee-saved registers still hold values here.
                (None, Some(src)) => asm!(self.asm; mov Rq(r), Rq(src)),
                (None, None) => {
                    let off = self.regs.home(*t);
                    asm!(self.asm; mov Rq(r), QWORD [rbp + off]);
                }
            }
        }
        asm!(self.asm; mov rdi, rbp; mov rax, QWORD func as i64; call rax);
        if h.flags.contains(HelperFlags::WRITES_GLOBALS) {
            self.regs.forget_globals();
        }
        self.regs.reload_pinned(&mut self.asm);
        if inst.nout == 1 {
            let d = self.t(inst.out());
            if inst.ty == Type::I32 {
                asm!(self.asm; mov eax, eax);
            }
            self.regs.define(&mut self.asm, d, RAX);
        }
    }

    fn emit_goto_tb(&mut self, inst: &Inst) {
        let slot = (inst.consts[0] & 1) as usize;
        self.regs.sync(&mut self.asm, false);
        let pc = self.pending_pc.take();
        self.patchable_exit(&[0xe9], slot, pc);
    }

    fn emit_goto_ptr(&mut self, inst: &Inst) {
        let a = self.t(inst.input(0));
        let ra = self.regs.input(&mut self.asm, a);
        self.regs.sync(&mut self.asm, false);
        let jc = self.ctx.jump_cache as i64;
        let miss = self.asm.new_dynamic_label();
        let w_next = self.ctx.scratch + (W_NEXT_PC * 8) as i32;
        // Everything is written back: any register may be clobbered now.
        asm!(self.asm
            ; mov rax, Rq(ra)
            ; mov r11, rax
            ; shr r11, 1
            ; and r11d, JC_MASK as i32
            ; shl r11, 4
            ; mov rdx, QWORD jc
            ; add r11, rdx
            ; cmp [r11], rax
            ; jne =>miss
            ; jmp QWORD [r11 + 8]
            ; =>miss
            ; mov QWORD [rbp + w_next], rax
            ; mov eax, EXIT_KIND_GOTO_PTR as i32
            ; jmp =>self.epilogue
        );
    }

    fn finish(mut self) -> Result<Emitted, CompileError> {
        // goto_tb stubs: exit word = kind | slot << 2, tag in the next pc word.
        let w_next = self.ctx.scratch + (W_NEXT_PC * 8) as i32;
        let fixups = std::mem::take(&mut self.goto_tb_fixups);
        let mut stub_offsets = Vec::new();
        for &(slot, _, stub, pc) in &fixups {
            asm!(self.asm; =>stub);
            stub_offsets.push(self.asm.offset().0);
            if let (Some(i), Some(g)) = (pc, self.ctx.pc_global) {
                let home = self.regs.home(g);
                asm!(self.asm; mov QWORD [rbp + home], i);
            }
            let word = EXIT_KIND_GOTO_TB as i32 | (slot as i32) << 2;
            let tag = self.ctx.tag as i32;
            asm!(self.asm
                ; mov DWORD [rbp + w_next], tag
                ; mov eax, word
                ; jmp =>self.epilogue
            );
        }
        let s = self.ctx.scratch;
        let (w_addr, w_site, w_kind) = (
            s + (W_FAULT_ADDR * 8) as i32,
            s + (W_FAULT_SITE * 8) as i32,
            s + (W_FAULT_KIND * 8) as i32,
        );
        for stub in std::mem::take(&mut self.stubs) {
            let (r, site, kind) = (stub.addr_reg, stub.site as i32, stub.kind as i32);
            asm!(self.asm
                ; =>stub.label
                ; mov QWORD [rbp + w_addr], Rq(r)
                ; mov QWORD [rbp + w_site], site
                ; mov QWORD [rbp + w_kind], kind
                ; mov eax, EXIT_KIND_FAULT as i32
                ; jmp =>self.epilogue
            );
        }
        let epi = self.ctx.epilogue;
        asm!(self.asm; =>self.epilogue; jmp extern epi);
        let bytes = self
            .asm
            .finalize()
            .map_err(|e| CompileError::Invalid(format!("assembler: {e}")))?;
        // Point each goto_tb jump at its stub.
        let mut goto_tb = [None, None];
        let mut bytes = bytes;
        for (i, &(slot, rel, _, _)) in fixups.iter().enumerate() {
            let stub = stub_offsets[i];
            let disp = (stub as i64 - (rel as i64 + 4)) as i32;
            bytes[rel..rel + 4].copy_from_slice(&disp.to_le_bytes());
            goto_tb[slot] = Some((rel, stub));
        }
        Ok(Emitted {
            bytes,
            goto_tb,
            sites: self.sites,
        })
    }
}
