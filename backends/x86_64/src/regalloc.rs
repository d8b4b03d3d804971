//! Register allocation over one block, on the fly, driven by liveness.
//!
//! Every temp has a *home* in memory: a global's field in the CPU state, a
//! local's slot in the scratch area. A temp may also be *cached* in a host
//! register; it is *dirty* while the register is newer than the home.
//! Globals are loaded on first use and written back only where the guest
//! state must be exact — block exits, helper calls, guest memory accesses
//! (which may fault) and branches — and stay cached (clean) afterwards.
//! A local's register is freed after its last use and it is written to its
//! home only if it must survive a branch or an eviction.
//!
//! Pinned: `rbp` = CPU state, `r15` = guest_base, `r14` = guest memory size,
//! `r13` = guest instruction counter (kept in a register so that counting
//! adds no memory dependency between chained blocks), `r11` = emission
//! scratch. Up to six of the frontend's hottest globals live in `rbx`,
//! `r12`, `rsi`, `rdi`, `r8`, `r9` across blocks ("pinned": loaded by the entry
//! trampoline, stored by the epilogue and around helper calls, never
//! spilled). The remaining registers are allocated per block.

use dynasmrt::x64::X64Relocation;
use dynasmrt::{dynasm, DynasmApi, VecAssembler};

use polyvm_ir::{Block, Opcode, TempInfo, TempKind, Type};

pub type Asm = VecAssembler<X64Relocation>;

pub const RAX: u8 = 0;
pub const RCX: u8 = 1;
pub const RDX: u8 = 2;
pub const RBX: u8 = 3;
pub const RSI: u8 = 6;
pub const RDI: u8 = 7;
pub const R8: u8 = 8;
pub const R9: u8 = 9;
pub const R10: u8 = 10;
pub const R11: u8 = 11;
pub const R12: u8 = 12;

/// Preference order: callee-saved first, so cached globals survive helper
/// calls; rax/rdx/rcx last, since division and calls want them.
const ALLOC_ORDER: [u8; 10] = [RBX, R12, RSI, RDI, R8, R9, R10, RAX, RDX, RCX];
/// Registers that may hold pinned globals, in order. Never rax/rcx/rdx
/// (fixed operands, and the fault handler's exit word is in rax). Four
/// registers stay allocatable (r10, rax, rdx, rcx), what the widest
/// instructions need: div and mul-high (rax, rdx, two inputs), variable
/// rotates (rcx, two inputs, a result), movcond (four inputs; its result is
/// built in r11).
pub const PIN_REGS: [u8; 6] = [RBX, R12, RSI, RDI, R8, R9];
/// Registers a helper call clobbers (the SysV ABI's caller-saved set).
pub const CALLER_SAVED: [u8; 9] = [RAX, RCX, RDX, RSI, RDI, R8, R9, R10, R11];

const NONE: u32 = u32::MAX;
const NO_REG: u8 = 0xff;

/// The allocator's state for one block.
pub struct Regs<'a> {
    reg_temp: [u32; 16],
    temp_reg: Vec<u8>,
    dirty: Vec<bool>,
    /// rbp-relative home of each temp (constants: unused).
    home: Vec<i32>,
    /// The block's temps (kinds and types), borrowed, not copied.
    temps: &'a [TempInfo],
    /// Index of the last instruction that reads each temp.
    last_use: Vec<u32>,
    /// Registers the current instruction has claimed.
    locked: u16,
    /// Registers holding pinned globals (never allocated or spilled).
    pinned_mask: u16,
    /// Index of the instruction being emitted.
    pub cur: u32,
}

impl<'a> Regs<'a> {
    /// Sets up homes: globals at their offsets, locals in the scratch area
    /// from `locals_base`. Returns the bytes of scratch the locals need.
    pub fn new(block: &'a Block, locals_base: usize, pins: &[(u32, u8)]) -> (Regs<'a>, usize) {
        let n = block.temps.len();
        let mut home = vec![0i32; n];
        let mut next = locals_base;
        for (i, t) in block.temps.iter().enumerate() {
            match t.kind {
                TempKind::Global(g) => home[i] = block.globals[g as usize].offset as i32,
                TempKind::Local => {
                    home[i] = next as i32;
                    next += 8;
                }
                TempKind::Const(_) => {}
            }
        }
        let mut last_use = vec![0u32; n];
        let mut label_at = vec![usize::MAX; block.nlabels as usize];
        for (idx, inst) in block.insts.iter().enumerate() {
            for t in inst.ins() {
                last_use[t.index()] = idx as u32;
            }
            if inst.opc == Opcode::SetLabel {
                if let Some(l) = label_at.get_mut(inst.label().0 as usize) {
                    *l = idx;
                }
            }
        }
        // A value read inside a loop (a backward branch to an earlier label)
        // is live until the branch, whatever its last textual use.
        for (j, inst) in block.insts.iter().enumerate() {
            if !matches!(inst.opc, Opcode::Br | Opcode::BrCond) {
                continue;
            }
            let i = label_at
                .get(inst.label().0 as usize)
                .copied()
                .unwrap_or(usize::MAX);
            if i < j {
                for inner in &block.insts[i..=j] {
                    for t in inner.ins() {
                        let lu = &mut last_use[t.index()];
                        *lu = (*lu).max(j as u32);
                    }
                }
            }
        }
        let mut reg_temp = [NONE; 16];
        let mut temp_reg = vec![NO_REG; n];
        let mut pinned_mask = 0u16;
        for &(g, r) in pins {
            reg_temp[r as usize] = g;
            temp_reg[g as usize] = r;
            pinned_mask |= 1 << r;
        }
        (
            Regs {
                reg_temp,
                temp_reg,
                pinned_mask,
                dirty: vec![false; n],
                home,
                temps: &block.temps,
                last_use,
                locked: 0,
                cur: 0,
            },
            next - locals_base,
        )
    }

    /// The host register `t` lives in for good, if it is a pinned global.
    pub fn pinned(&self, t: u32) -> Option<u8> {
        self.reg_of(t).filter(|r| self.pinned_mask & (1 << r) != 0)
    }

    /// The pinned (global temp, register) pairs.
    pub fn pins(&self) -> impl Iterator<Item = (u32, u8)> + '_ {
        (0..16u8)
            .filter(|r| self.pinned_mask & (1 << r) != 0)
            .map(|r| (self.reg_temp[r as usize], r))
    }

    pub fn is_global(&self, t: u32) -> bool {
        matches!(self.temps[t as usize].kind, TempKind::Global(_))
    }

    pub fn const_of(&self, t: u32) -> Option<u64> {
        match self.temps[t as usize].kind {
            TempKind::Const(v) => Some(v),
            _ => None,
        }
    }

    pub fn home(&self, t: u32) -> i32 {
        self.home[t as usize]
    }

    pub fn reg_of(&self, t: u32) -> Option<u8> {
        match self.temp_reg[t as usize] {
            NO_REG => None,
            r => Some(r),
        }
    }

    /// True if `t` is read after the current instruction.
    pub fn live_after(&self, t: u32) -> bool {
        self.is_global(t) || self.last_use[t as usize] > self.cur
    }

    /// True if `t`'s value is still needed: read after, or by the current
    /// instruction itself (whose inputs may not be loaded yet when a
    /// register is reserved or evicted).
    fn needed(&self, t: u32) -> bool {
        self.is_global(t) || self.last_use[t as usize] >= self.cur
    }

    pub fn lock(&mut self, r: u8) {
        self.locked |= 1 << r;
    }

    pub fn unlock_all(&mut self) {
        self.locked = 0;
    }

    fn store_home(&self, asm: &mut Asm, t: u32, r: u8) {
        let off = self.home[t as usize];
        match self.temps[t as usize].ty {
            // i32 values are kept zero-extended, so a 64-bit store keeps
            // the whole 8-byte slot consistent.
            Type::I32 | Type::I64 => dynasm!(asm ; .arch x64 ; mov QWORD [rbp + off], Rq(r)),
        }
    }

    /// Writes `r`'s temp back if needed and forgets the association.
    fn spill(&mut self, asm: &mut Asm, r: u8) {
        let t = self.reg_temp[r as usize];
        if t == NONE || self.pinned_mask & (1 << r) != 0 {
            return;
        }
        if self.dirty[t as usize] && self.needed(t) {
            self.store_home(asm, t, r);
        }
        self.unbind(t, r);
    }

    /// Forgets that `r` holds `t` (without writing anything back).
    fn unbind(&mut self, t: u32, r: u8) {
        self.dirty[t as usize] = false;
        self.temp_reg[t as usize] = NO_REG;
        self.reg_temp[r as usize] = NONE;
    }

    /// A free register not locked by the current instruction, evicting one
    /// if needed (preferring clean values, then values dead after now).
    pub fn alloc(&mut self, asm: &mut Asm) -> u8 {
        let unavailable = self.locked | self.pinned_mask;
        for &r in &ALLOC_ORDER {
            if unavailable & (1 << r) == 0 && self.reg_temp[r as usize] == NONE {
                self.lock(r);
                return r;
            }
        }
        let mut best = None;
        let mut best_cost = u32::MAX;
        for &r in &ALLOC_ORDER {
            if unavailable & (1 << r) != 0 {
                continue;
            }
            let t = self.reg_temp[r as usize];
            let cost = if !self.needed(t) {
                0
            } else if !self.dirty[t as usize] {
                1
            } else {
                2
            };
            if cost < best_cost {
                best_cost = cost;
                best = Some(r);
            }
        }
        let r = best.expect("an instruction never locks every register");
        self.spill(asm, r);
        self.lock(r);
        r
    }

    /// Claims a specific register for the current instruction (spilling
    /// its value); used for the fixed operands of div and mul-high.
    pub fn reserve(&mut self, asm: &mut Asm, r: u8) {
        self.spill(asm, r);
        self.lock(r);
    }

    /// A register holding `t`'s value, locked for this instruction.
    pub fn input(&mut self, asm: &mut Asm, t: u32) -> u8 {
        if let Some(r) = self.reg_of(t) {
            self.lock(r);
            return r;
        }
        let r = self.alloc(asm);
        match self.const_of(t) {
            Some(v) => load_imm(asm, r, v),
            None => {
                let off = self.home[t as usize];
                dynasm!(asm ; .arch x64 ; mov Rq(r), QWORD [rbp + off]);
                self.bind(t, r);
                self.dirty[t as usize] = false;
            }
        }
        r
    }

    /// Associates `t` with `r` (any previous register of `t` is freed).
    fn bind(&mut self, t: u32, r: u8) {
        if let Some(old) = self.reg_of(t) {
            if old != r {
                self.reg_temp[old as usize] = NONE;
            }
        }
        let prev = self.reg_temp[r as usize];
        if prev != NONE && prev != t {
            self.temp_reg[prev as usize] = NO_REG;
            self.dirty[prev as usize] = false;
        }
        self.reg_temp[r as usize] = t;
        self.temp_reg[t as usize] = r;
    }

    /// Records that `r` now holds the new value of `t` (a pinned global's
    /// value is moved into its own register).
    pub fn define(&mut self, asm: &mut Asm, t: u32, r: u8) {
        if let Some(p) = self.pinned(t) {
            if p != r {
                dynasm!(asm ; .arch x64 ; mov Rq(p), Rq(r));
            }
            self.lock(p);
            return;
        }
        self.bind(t, r);
        self.dirty[t as usize] = true;
        self.lock(r);
    }

    /// A register the result of the current instruction may be written to
    /// without clobbering any of its inputs: `t`'s own register when `t` is
    /// not also an input, otherwise a fresh one.
    pub fn output(&mut self, asm: &mut Asm, t: u32) -> u8 {
        if let Some(r) = self.reg_of(t) {
            if self.locked & (1 << r) == 0 {
                self.lock(r);
                return r;
            }
        }
        self.alloc(asm)
    }

    /// Whether `r` holds a local that dies at the current instruction, so
    /// the result may be computed in place.
    pub fn dies_here(&self, r: u8) -> bool {
        let t = self.reg_temp[r as usize];
        t != NONE && !self.live_after(t)
    }

    /// Frees the registers of `inst`'s locals that are dead after it: only
    /// its own operands can have had their last use here (or, for an
    /// output never read again, no use at all).
    pub fn free_dead(&mut self, inst: &polyvm_ir::Inst) {
        for &t in inst.outs().iter().chain(inst.ins()) {
            let t = t.0;
            if self.is_global(t) || self.last_use[t as usize] > self.cur {
                continue;
            }
            if let Some(r) = self.reg_of(t) {
                self.unbind(t, r);
            }
        }
    }

    /// Writes back every dirty global (and live local if `locals`), keeping
    /// the registers cached and clean.
    pub fn sync(&mut self, asm: &mut Asm, locals: bool) {
        for r in 0..16u8 {
            let t = self.reg_temp[r as usize];
            if t == NONE || !self.dirty[t as usize] || self.pinned_mask & (1 << r) != 0 {
                continue;
            }
            let global = self.is_global(t);
            if global || (locals && self.live_after(t)) {
                self.store_home(asm, t, r);
                self.dirty[t as usize] = false;
            }
        }
    }

    /// Writes back one global's slot if cached dirty, and forgets it when
    /// `forget` (the CPU state is about to change underneath it).
    pub fn sync_global_at(&mut self, asm: &mut Asm, t: u32, forget: bool) {
        if let Some(r) = self.pinned(t) {
            // Pinned: the slot is made current; a store to it is reloaded
            // by the caller (`reload_pinned`).
            self.store_home(asm, t, r);
            return;
        }
        if let Some(r) = self.reg_of(t) {
            if self.dirty[t as usize] {
                self.store_home(asm, t, r);
                self.dirty[t as usize] = false;
            }
            if forget && self.locked & (1 << r) == 0 {
                self.unbind(t, r);
            }
        }
    }

    /// Stores `t` to its home if it is cached dirty, whether or not it is
    /// read later (a helper argument).
    pub fn force_home(&mut self, asm: &mut Asm, t: u32) {
        if let Some(r) = self.reg_of(t) {
            if self.dirty[t as usize] {
                self.store_home(asm, t, r);
                self.dirty[t as usize] = false;
            }
        }
    }

    /// Writes every pinned global to its slot (before a helper call or
    /// anything else that reads the CPU state).
    pub fn store_pinned(&mut self, asm: &mut Asm) {
        for (t, r) in self.pins().collect::<Vec<_>>() {
            self.store_home(asm, t, r);
        }
    }

    /// Reloads pinned globals from their slots (after a helper call).
    pub fn reload_pinned(&mut self, asm: &mut Asm) {
        for (t, r) in self.pins().collect::<Vec<_>>() {
            let off = self.home[t as usize];
            dynasm!(asm ; .arch x64 ; mov Rq(r), QWORD [rbp + off]);
        }
    }

    /// Forgets `t`'s register without writing it back (its home is about
    /// to be overwritten directly). Pinned globals are never forgotten.
    pub fn discard(&mut self, t: u32) {
        if self.pinned(t).is_some() {
            return;
        }
        if let Some(r) = self.reg_of(t) {
            self.unbind(t, r);
        }
    }

    /// Forgets every association (at a label: predecessors synced all).
    pub fn forget_all(&mut self) {
        for r in 0..16 {
            let t = self.reg_temp[r];
            if t != NONE && self.pinned_mask & (1 << r) == 0 {
                self.unbind(t, r as u8);
            }
        }
    }

    /// Forgets cached globals (a helper wrote the CPU state). Call after
    /// `sync`, so nothing dirty is lost.
    pub fn forget_globals(&mut self) {
        for r in 0..16 {
            let t = self.reg_temp[r];
            // (Clean after the sync that precedes it, so nothing is lost.)
            if t != NONE && self.is_global(t) && self.pinned_mask & (1 << r) == 0 {
                self.unbind(t, r as u8);
            }
        }
    }

    /// Spills every caller-saved register (before a helper call).
    pub fn spill_caller_saved(&mut self, asm: &mut Asm) {
        for r in CALLER_SAVED {
            self.spill(asm, r);
        }
    }
}

/// `mov r, imm` in the shortest form.
pub fn load_imm(asm: &mut Asm, r: u8, v: u64) {
    if v == 0 {
        dynasm!(asm ; .arch x64 ; xor Rd(r), Rd(r));
    } else if v <= u32::MAX as u64 {
        dynasm!(asm ; .arch x64 ; mov Rd(r), v as u32 as i32);
    } else if v as i64 >= i32::MIN as i64 && (v as i64) < 0 {
        dynasm!(asm ; .arch x64 ; mov Rq(r), v as i64 as i32);
    } else {
        dynasm!(asm ; .arch x64 ; mov Rq(r), QWORD v as i64);
    }
}
