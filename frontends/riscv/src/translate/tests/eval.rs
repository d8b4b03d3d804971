//! A minimal IR evaluator for the frontend's own tests (the real executor
//! is `polyvm-backend-interp`, which a frontend must not name). Pure ops go
//! through `polyvm_ir::eval`, the op table's reference semantics; this file
//! adds control flow, the CPU state (globals kept in place, no caching) and
//! guest memory as a flat byte vector at address 0.

use crate::cpu::*;
use polyvm_ir::abi::CodeFetch;
use polyvm_ir::{Block, Cond, MemOp, Opcode, TempKind, Type};

/// How a block left.
#[derive(Debug, PartialEq, Eq)]
pub enum Stop {
    GotoTb(u64),
    GotoPtr(u64),
    Exit(u64),
    Fault(u64),
}

pub struct Machine {
    pub cpu: RiscvCpu,
    pub mem: Vec<u8>,
}

impl CodeFetch for Machine {
    fn fetch(&self, addr: u64, out: &mut [u8]) -> bool {
        let (a, n) = (addr as usize, out.len());
        if addr >= self.mem.len() as u64 || a + n > self.mem.len() {
            return false;
        }
        out.copy_from_slice(&self.mem[a..a + n]);
        true
    }
}

/// The CPU-state field at byte offset `off`.
fn slot(cpu: &mut RiscvCpu, off: u32) -> &mut u64 {
    let x0 = std::mem::offset_of!(RiscvCpu, x) as u32;
    let f0 = std::mem::offset_of!(RiscvCpu, f) as u32;
    match off {
        o if (x0..x0 + 256).contains(&o) => &mut cpu.x[((o - x0) / 8) as usize],
        OFF_PC => &mut cpu.pc,
        o if (f0..f0 + 256).contains(&o) => &mut cpu.f[((o - f0) / 8) as usize],
        OFF_FFLAGS => &mut cpu.fflags,
        OFF_FRM => &mut cpu.frm,
        OFF_RES_ADDR => &mut cpu.res_addr,
        OFF_RES_VAL => &mut cpu.res_val,
        OFF_BADINSN => &mut cpu.badinsn,
        _ => panic!("no CPU field at offset {off}"),
    }
}

impl Machine {
    pub fn new(size: usize) -> Machine {
        Machine {
            cpu: RiscvCpu::default(),
            mem: vec![0; size],
        }
    }

    /// Stores instruction words (16-bit ones take two bytes) at `addr`.
    pub fn load_code(&mut self, addr: u64, words: &[u32]) -> u64 {
        let mut a = addr as usize;
        for &w in words {
            let n = if w & 3 == 3 { 4 } else { 2 };
            self.mem[a..a + n].copy_from_slice(&w.to_le_bytes()[..n]);
            a += n;
        }
        a as u64
    }

    pub fn read(&self, addr: u64, n: usize) -> u64 {
        let mut b = [0u8; 8];
        b[..n].copy_from_slice(&self.mem[addr as usize..addr as usize + n]);
        u64::from_le_bytes(b)
    }

    pub fn write(&mut self, addr: u64, n: usize, v: u64) {
        self.mem[addr as usize..addr as usize + n].copy_from_slice(&v.to_le_bytes()[..n]);
    }

    /// Runs one block.
    pub fn exec(&mut self, block: &Block) -> Stop {
        assert_eq!(block.addr_ty, Type::I64);
        let mut locals = vec![0u64; block.temps.len()];
        let mut labels = vec![usize::MAX; block.nlabels as usize];
        for (k, inst) in block.insts.iter().enumerate() {
            if inst.opc == Opcode::SetLabel {
                labels[inst.consts[0] as usize] = k;
            }
        }
        let mut ip = 0;
        let mut cur_pc = block.guest_pc;
        loop {
            let inst = &block.insts[ip];
            ip += 1;
            assert_eq!(inst.ty, Type::I64, "{:?}", inst.opc);
            let get = |m: &mut Machine, locals: &[u64], t: polyvm_ir::Temp| -> u64 {
                match block.temp(t).kind {
                    TempKind::Global(g) => *slot(&mut m.cpu, block.globals[g as usize].offset),
                    TempKind::Local => locals[t.index()],
                    TempKind::Const(v) => v,
                }
            };
            let ins: Vec<u64> = inst.ins().iter().map(|&t| get(self, &locals, t)).collect();
            let c0 = inst.consts[0];
            let c1 = inst.consts[1];
            let out: Option<u64> = match inst.opc {
                Opcode::LdEnv => Some(*slot(&mut self.cpu, c0 as u32)),
                Opcode::StEnv => {
                    *slot(&mut self.cpu, c0 as u32) = ins[0];
                    None
                }
                Opcode::QemuLd | Opcode::QemuSt => {
                    let mop = MemOp(c0 as u8);
                    let addr = *ins.last().expect("address");
                    let n = mop.size() as usize;
                    let in_bounds =
                        matches!(addr.checked_add(n as u64), Some(e) if e <= self.mem.len() as u64);
                    if !in_bounds || (mop.aligned() && addr & (n as u64 - 1) != 0) {
                        self.cpu.pc = cur_pc;
                        return Stop::Fault(addr);
                    }
                    if inst.opc == Opcode::QemuSt {
                        self.write(addr, n, ins[0]);
                        None
                    } else {
                        let v = self.read(addr, n);
                        let sh = 64 - 8 * n as u32;
                        Some(if mop.signed() && n < 8 {
                            ((v << sh) as i64 >> sh) as u64
                        } else {
                            v
                        })
                    }
                }
                Opcode::Mb | Opcode::SetLabel => None,
                Opcode::InsnStart => {
                    cur_pc = c0;
                    None
                }
                Opcode::Call => {
                    let h = &block.helpers[c0 as usize];
                    let mut a = [0u64; 4];
                    a[..ins.len()].copy_from_slice(&ins);
                    let f = h.func.expect("bound helper");
                    // SAFETY: env is this machine's live RiscvCpu.
                    let r = unsafe {
                        f(
                            &mut self.cpu as *mut RiscvCpu as *mut u8,
                            a[0],
                            a[1],
                            a[2],
                            a[3],
                        )
                    };
                    h.ret.map(|_| r)
                }
                Opcode::BrCond => {
                    if cond(c0).eval(Type::I64, ins[0], ins[1]) {
                        ip = labels[c1 as usize];
                    }
                    None
                }
                Opcode::Br => {
                    ip = labels[c0 as usize];
                    None
                }
                Opcode::GotoTb => return Stop::GotoTb(c0),
                Opcode::GotoPtr => return Stop::GotoPtr(ins[0]),
                Opcode::ExitTb => return Stop::Exit(c0),
                // Pure operations: the op table's reference semantics.
                opc => Some(
                    polyvm_ir::eval::eval(opc, inst.ty, &ins, &inst.consts)
                        .unwrap_or_else(|| panic!("no evaluation for {opc:?}")),
                ),
            };
            if let Some(v) = out {
                let d = inst.out();
                match block.temp(d).kind {
                    TempKind::Global(g) => {
                        *slot(&mut self.cpu, block.globals[g as usize].offset) = v
                    }
                    TempKind::Local => locals[d.index()] = v,
                    TempKind::Const(_) => panic!("write to a constant"),
                }
            }
        }
    }

    /// Runs blocks from `pc` until an `exit_tb` or a fault (at most `limit`
    /// blocks); returns how it stopped.
    pub fn run(&mut self, pc: u64, limit: usize) -> Stop {
        self.cpu.pc = pc;
        for _ in 0..limit {
            let t = super::translate(self, self.cpu.pc, 64).expect("code is mapped");
            match self.exec(&t.block) {
                Stop::GotoTb(_) => {}
                Stop::GotoPtr(a) => assert_eq!(a, self.cpu.pc, "goto_ptr target is the stored pc"),
                other => return other,
            }
        }
        panic!("program did not stop");
    }
}

fn cond(v: u64) -> Cond {
    Cond::from_u64(v).expect("valid condition")
}
