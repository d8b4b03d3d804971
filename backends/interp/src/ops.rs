//! The interpreter's op set and its executor.
//!
//! Pure arithmetic comes from two tables (`binops!`, `unops!`): each row is
//! an IR (opcode, type) pair, the interpreter op it lowers to, and the
//! expression that computes it, so the lowering and the executor cannot
//! disagree. Values of type `i32` are kept zero-extended in their slots.

use polyvm_ir::abi::{Access, FaultKind, GuestFault, GuestMemView, TbExit, PAGE_READ, PAGE_WRITE};
use polyvm_ir::{Cond, MemOp, Opcode, Type};

use crate::lower::InterpCode;

#[inline(always)]
fn z32(v: u32) -> u64 {
    v as u64
}

fn mulsh64(a: u64, b: u64) -> u64 {
    ((a as i64 as i128 * b as i64 as i128) >> 64) as u64
}
fn muluh64(a: u64, b: u64) -> u64 {
    ((a as u128 * b as u128) >> 64) as u64
}
fn mulsuh64(a: u64, b: u64) -> u64 {
    ((a as i64 as i128 * b as u128 as i128) >> 64) as u64
}
fn divs64(a: u64, b: u64) -> u64 {
    let (a, b) = (a as i64, b as i64);
    if b == 0 {
        u64::MAX
    } else {
        a.wrapping_div(b) as u64
    }
}
fn rems64(a: u64, b: u64) -> u64 {
    let (a, b) = (a as i64, b as i64);
    if b == 0 {
        a as u64
    } else {
        a.wrapping_rem(b) as u64
    }
}
fn divs32(a: u64, b: u64) -> u64 {
    let (a, b) = (a as i32, b as i32);
    z32(if b == 0 {
        u32::MAX
    } else {
        a.wrapping_div(b) as u32
    })
}
fn rems32(a: u64, b: u64) -> u64 {
    let (a, b) = (a as i32, b as i32);
    z32(if b == 0 {
        a as u32
    } else {
        a.wrapping_rem(b) as u32
    })
}

macro_rules! define_ops {
    (
        bin { $( $bname:ident ($bop:ident, $bty:ident) |$x:ident, $y:ident| $be:expr; )* }
        un { $( $uname:ident ($uop:ident, $uty:ident) |$z:ident| $ue:expr; )* }
    ) => {
        /// One interpreter op. Operands are frame slot indices.
        #[derive(Copy, Clone, Debug)]
        pub(crate) enum LOp {
            $( $bname { d: u16, a: u16, b: u16 }, )*
            $( $uname { d: u16, a: u16 }, )*
            Mov { d: u16, a: u16 },
            Extract { d: u16, a: u16, pos: u8, mask: u64 },
            SExtract { d: u16, a: u16, up: u8, down: u8, i32: bool },
            Deposit { d: u16, a: u16, b: u16, pos: u8, mask: u64 },
            SetCond { d: u16, a: u16, b: u16, cond: Cond, ty: Type },
            MovCond { d: u16, args: [u16; 4], cond: Cond, ty: Type },
            LdEnv32 { d: u16, off: u32 },
            LdEnv64 { d: u16, off: u32 },
            StEnv32 { a: u16, off: u32 },
            StEnv64 { a: u16, off: u32 },
            Ld { d: u16, addr: u16, mop: u8, i32: bool, addr32: bool },
            St { v: u16, addr: u16, mop: u8, addr32: bool },
            Mb,
            Call { f: u16, d: u16, args: [u16; 4], i32: bool },
            BrCond { a: u16, b: u16, cond: Cond, ty: Type, target: u32 },
            Br { target: u32 },
            GotoTb { n: u8 },
            GotoPtr { a: u16 },
            ExitTb { v: u64 },
        }

        type BinCtor = fn(u16, u16, u16) -> LOp;
        type UnCtor = fn(u16, u16) -> LOp;

        /// (opcode, type) → two-input interpreter op.
        pub(crate) static BINOPS: &[(Opcode, Type, BinCtor)] = &[
            $( (Opcode::$bop, Type::$bty, |d, a, b| LOp::$bname { d, a, b }), )*
        ];
        /// (opcode, type) → one-input interpreter op.
        pub(crate) static UNOPS: &[(Opcode, Type, UnCtor)] = &[
            $( (Opcode::$uop, Type::$uty, |d, a| LOp::$uname { d, a }), )*
        ];

        /// Runs `code` on the frame at `env`.
        ///
        /// # Safety
        /// `env` points to the CPU state plus scratch area the block was
        /// lowered for (every slot index in `code` is in bounds of it, as
        /// `lower` checked), 8-byte aligned; `mem` describes live memory.
        pub(crate) unsafe fn exec(code: &InterpCode, env: *mut u8, mem: &GuestMemView) -> TbExit {
            let f = env as *mut u64;
            // SAFETY: the constant slots lie inside the frame (checked by
            // `lower`) and do not overlap the source vector.
            unsafe {
                core::ptr::copy_nonoverlapping(
                    code.consts.as_ptr(),
                    f.add(code.const_base),
                    code.consts.len(),
                );
            }
            // SAFETY: the counter slot is inside the frame's reserved words.
            unsafe { *f.add(code.icount_slot) += code.insns };
            let ops = code.ops.as_slice();
            let mut ip = 0usize;
            macro_rules! r {
                ($s:expr) => {
                    // SAFETY: slot indices were bounds-checked at lowering.
                    unsafe { *f.add($s as usize) }
                };
            }
            macro_rules! w {
                ($s:expr, $v:expr) => {{
                    let v = $v;
                    // SAFETY: as for `r!`.
                    unsafe { *f.add($s as usize) = v }
                }};
            }
            loop {
                // SAFETY: `lower` ends every op list with an exit and every
                // branch target is an index into the list.
                let op = unsafe { *ops.get_unchecked(ip) };
                ip += 1;
                match op {
                    $( LOp::$bname { d, a, b } => {
                        let $x = r!(a);
                        let $y = r!(b);
                        w!(d, $be);
                    } )*
                    $( LOp::$uname { d, a } => {
                        let $z = r!(a);
                        w!(d, $ue);
                    } )*
                    LOp::Mov { d, a } => w!(d, r!(a)),
                    LOp::Extract { d, a, pos, mask } => w!(d, (r!(a) >> pos) & mask),
                    LOp::SExtract { d, a, up, down, i32 } => {
                        let v = ((r!(a) << up) as i64 >> down) as u64;
                        w!(d, if i32 { v as u32 as u64 } else { v });
                    }
                    LOp::Deposit { d, a, b, pos, mask } => {
                        let v = (r!(a) & !(mask << pos)) | ((r!(b) & mask) << pos);
                        w!(d, v);
                    }
                    LOp::SetCond { d, a, b, cond, ty } => {
                        w!(d, cond.eval(ty, r!(a), r!(b)) as u64)
                    }
                    LOp::MovCond { d, args, cond, ty } => {
                        let pick = if cond.eval(ty, r!(args[0]), r!(args[1])) { args[2] } else { args[3] };
                        w!(d, r!(pick));
                    }
                    // SAFETY (env ops): offsets were checked against the
                    // CPU state's size and the access size's alignment.
                    LOp::LdEnv32 { d, off } => w!(d, unsafe { *(env.add(off as usize) as *const u32) } as u64),
                    LOp::LdEnv64 { d, off } => w!(d, unsafe { *(env.add(off as usize) as *const u64) }),
                    LOp::StEnv32 { a, off } => {
                        let v = r!(a) as u32;
                        unsafe { *(env.add(off as usize) as *mut u32) = v }
                    }
                    LOp::StEnv64 { a, off } => {
                        let v = r!(a);
                        unsafe { *(env.add(off as usize) as *mut u64) = v }
                    }
                    LOp::Ld { d, addr, mop, i32, addr32 } => {
                        let a = if addr32 { r!(addr) as u32 as u64 } else { r!(addr) };
                        // SAFETY: `mem` is live; `load` checks bounds and permissions.
                        match unsafe { load(mem, a, MemOp(mop)) } {
                            Ok(v) => w!(d, if i32 { v as u32 as u64 } else { v }),
                            Err((kind, fa)) => return fault(code, ip - 1, fa, Access::Read, kind),
                        }
                    }
                    LOp::St { v, addr, mop, addr32 } => {
                        let a = if addr32 { r!(addr) as u32 as u64 } else { r!(addr) };
                        // SAFETY: as for loads.
                        let v = r!(v);
                        if let Err((kind, fa)) = unsafe { store(mem, a, MemOp(mop), v) } {
                            return fault(code, ip - 1, fa, Access::Write, kind);
                        }
                    }
                    LOp::Mb => core::sync::atomic::fence(core::sync::atomic::Ordering::SeqCst),
                    LOp::Call { f: h, d, args, i32 } => {
                        // SAFETY: `h` was checked at lowering; the helper's
                        // contract is the frontend's (it receives the CPU state).
                        let func = unsafe { *code.helpers.get_unchecked(h as usize) };
                        let (a0, a1, a2, a3) = (r!(args[0]), r!(args[1]), r!(args[2]), r!(args[3]));
                        let v = unsafe { func(env, a0, a1, a2, a3) };
                        w!(d, if i32 { v as u32 as u64 } else { v });
                    }
                    LOp::BrCond { a, b, cond, ty, target } => {
                        if cond.eval(ty, r!(a), r!(b)) {
                            ip = target as usize;
                        }
                    }
                    LOp::Br { target } => ip = target as usize,
                    LOp::GotoTb { n } => return TbExit::GotoTb { slot: n, tag: code.tag },
                    LOp::GotoPtr { a } => return TbExit::GotoPtr(r!(a)),
                    LOp::ExitTb { v } => return TbExit::Exit(v),
                }
            }
        }
    };
}

define_ops! {
    bin {
        Add64 (Add, I64) |a, b| a.wrapping_add(b);
        Add32 (Add, I32) |a, b| z32((a as u32).wrapping_add(b as u32));
        Sub64 (Sub, I64) |a, b| a.wrapping_sub(b);
        Sub32 (Sub, I32) |a, b| z32((a as u32).wrapping_sub(b as u32));
        Mul64 (Mul, I64) |a, b| a.wrapping_mul(b);
        Mul32 (Mul, I32) |a, b| z32((a as u32).wrapping_mul(b as u32));
        MulSH64 (MulSH, I64) |a, b| mulsh64(a, b);
        MulSH32 (MulSH, I32) |a, b| z32(((a as i32 as i64 * b as i32 as i64) >> 32) as u32);
        MulUH64 (MulUH, I64) |a, b| muluh64(a, b);
        MulUH32 (MulUH, I32) |a, b| z32(((a as u32 as u64 * b as u32 as u64) >> 32) as u32);
        MulSUH64 (MulSUH, I64) |a, b| mulsuh64(a, b);
        MulSUH32 (MulSUH, I32) |a, b| z32(((a as i32 as i64 * b as u32 as i64) >> 32) as u32);
        DivS64 (DivS, I64) |a, b| divs64(a, b);
        DivS32 (DivS, I32) |a, b| divs32(a, b);
        DivU64 (DivU, I64) |a, b| a.checked_div(b).unwrap_or(u64::MAX);
        DivU32 (DivU, I32) |a, b| z32((a as u32).checked_div(b as u32).unwrap_or(u32::MAX));
        RemS64 (RemS, I64) |a, b| rems64(a, b);
        RemS32 (RemS, I32) |a, b| rems32(a, b);
        RemU64 (RemU, I64) |a, b| a.checked_rem(b).unwrap_or(a);
        RemU32 (RemU, I32) |a, b| z32((a as u32).checked_rem(b as u32).unwrap_or(a as u32));
        And64 (And, I64) |a, b| a & b;
        And32 (And, I32) |a, b| (a & b) & 0xffff_ffff;
        Or64 (Or, I64) |a, b| a | b;
        Or32 (Or, I32) |a, b| (a | b) & 0xffff_ffff;
        Xor64 (Xor, I64) |a, b| a ^ b;
        Xor32 (Xor, I32) |a, b| (a ^ b) & 0xffff_ffff;
        AndC64 (AndC, I64) |a, b| a & !b;
        AndC32 (AndC, I32) |a, b| (a & !b) & 0xffff_ffff;
        Shl64 (Shl, I64) |a, b| a << (b & 63);
        Shl32 (Shl, I32) |a, b| z32((a as u32) << (b & 31));
        Shr64 (Shr, I64) |a, b| a >> (b & 63);
        Shr32 (Shr, I32) |a, b| z32((a as u32) >> (b & 31));
        Sar64 (Sar, I64) |a, b| ((a as i64) >> (b & 63)) as u64;
        Sar32 (Sar, I32) |a, b| z32(((a as i32) >> (b & 31)) as u32);
        Rotl64 (Rotl, I64) |a, b| a.rotate_left((b & 63) as u32);
        Rotl32 (Rotl, I32) |a, b| z32((a as u32).rotate_left((b & 31) as u32));
        Rotr64 (Rotr, I64) |a, b| a.rotate_right((b & 63) as u32);
        Rotr32 (Rotr, I32) |a, b| z32((a as u32).rotate_right((b & 31) as u32));
    }
    un {
        Neg64 (Neg, I64) |a| a.wrapping_neg();
        Neg32 (Neg, I32) |a| z32((a as u32).wrapping_neg());
        Not64 (Not, I64) |a| !a;
        Not32 (Not, I32) |a| z32(!(a as u32));
        Clz64 (Clz, I64) |a| a.leading_zeros() as u64;
        Clz32 (Clz, I32) |a| (a as u32).leading_zeros() as u64;
        Ctz64 (Ctz, I64) |a| a.trailing_zeros() as u64;
        Ctz32 (Ctz, I32) |a| (a as u32).trailing_zeros() as u64;
        Ctpop64 (Ctpop, I64) |a| a.count_ones() as u64;
        Ctpop32 (Ctpop, I32) |a| (a as u32).count_ones() as u64;
        Ext8S64 (Ext8S, I64) |a| a as i8 as i64 as u64;
        Ext8S32 (Ext8S, I32) |a| z32(a as i8 as i32 as u32);
        Ext8U64 (Ext8U, I64) |a| a as u8 as u64;
        Ext8U32 (Ext8U, I32) |a| a as u8 as u64;
        Ext16S64 (Ext16S, I64) |a| a as i16 as i64 as u64;
        Ext16S32 (Ext16S, I32) |a| z32(a as i16 as i32 as u32);
        Ext16U64 (Ext16U, I64) |a| a as u16 as u64;
        Ext16U32 (Ext16U, I32) |a| a as u16 as u64;
        Ext32S64 (Ext32S, I64) |a| a as i32 as i64 as u64;
        Ext32U64 (Ext32U, I64) |a| a as u32 as u64;
        ExtI32S (ExtI32S, I64) |a| a as i32 as i64 as u64;
        ExtI32U (ExtI32U, I64) |a| a as u32 as u64;
        Trunc (Trunc, I32) |a| a as u32 as u64;
    }
}

/// Checks that `[a, a + size)` is inside guest memory with `need` permission.
/// A fault reports the first byte that is not accessible, as a host MMU
/// does for an access that crosses into a bad page.
#[inline(always)]
fn check(mem: &GuestMemView, a: u64, size: u64, need: u8) -> Result<(), (FaultKind, u64)> {
    let end = a.wrapping_add(size - 1);
    if end < a || a >= mem.size {
        return Err((FaultKind::Unmapped, a));
    }
    let page_flags = |addr: u64| {
        // SAFETY: addr < mem.size, so the index is inside the flags table.
        unsafe { *mem.page_flags.add((addr >> mem.page_shift) as usize) }
    };
    let kind = |flags: u8| {
        if flags == 0 {
            FaultKind::Unmapped
        } else {
            FaultKind::Protection
        }
    };
    let first = page_flags(a);
    if first & need == 0 {
        return Err((kind(first), a));
    }
    if end >= mem.size {
        return Err((FaultKind::Unmapped, mem.size));
    }
    let last = page_flags(end);
    if last & need == 0 {
        return Err((kind(last), end >> mem.page_shift << mem.page_shift));
    }
    Ok(())
}

/// A guest load per `mop`, sign- or zero-extended to 64 bits.
///
/// # Safety
/// `mem` describes a live mapping whose flagged pages are host-readable.
#[inline(always)]
unsafe fn load(mem: &GuestMemView, a: u64, mop: MemOp) -> Result<u64, (FaultKind, u64)> {
    let size = mop.size() as u64;
    if mop.aligned() && a & (size - 1) != 0 {
        return Err((FaultKind::Misaligned, a));
    }
    check(mem, a, size, PAGE_READ)?;
    // SAFETY: `check` proved the range is inside the mapping and readable.
    let p = unsafe { mem.base.add(a as usize) };
    let be = mop.big_endian();
    // SAFETY: `p` is valid for `size` bytes (see above); unaligned reads.
    let v = unsafe {
        match mop.size_log2() {
            0 => p.read() as u64,
            1 => {
                let v = (p as *const u16).read_unaligned();
                (if be { v.swap_bytes() } else { v }) as u64
            }
            2 => {
                let v = (p as *const u32).read_unaligned();
                (if be { v.swap_bytes() } else { v }) as u64
            }
            _ => {
                let v = (p as *const u64).read_unaligned();
                if be {
                    v.swap_bytes()
                } else {
                    v
                }
            }
        }
    };
    if mop.signed() {
        let sh = 64 - 8 * size as u32;
        Ok((((v << sh) as i64) >> sh) as u64)
    } else {
        Ok(v)
    }
}

/// A guest store of the low `size` bytes of `v`.
///
/// # Safety
/// `mem` describes a live mapping whose writable pages are host-writable.
#[inline(always)]
unsafe fn store(mem: &GuestMemView, a: u64, mop: MemOp, v: u64) -> Result<(), (FaultKind, u64)> {
    let size = mop.size() as u64;
    if mop.aligned() && a & (size - 1) != 0 {
        return Err((FaultKind::Misaligned, a));
    }
    check(mem, a, size, PAGE_WRITE)?;
    // SAFETY: `check` proved the range is inside the mapping and writable.
    let p = unsafe { mem.base.add(a as usize) };
    let be = mop.big_endian();
    // SAFETY: `p` is valid for `size` bytes; unaligned writes.
    unsafe {
        match mop.size_log2() {
            0 => p.write(v as u8),
            1 => {
                let v = v as u16;
                (p as *mut u16).write_unaligned(if be { v.swap_bytes() } else { v })
            }
            2 => {
                let v = v as u32;
                (p as *mut u32).write_unaligned(if be { v.swap_bytes() } else { v })
            }
            _ => (p as *mut u64).write_unaligned(if be { v.swap_bytes() } else { v }),
        }
    }
    Ok(())
}

#[cold]
fn fault(code: &InterpCode, op: usize, addr: u64, access: Access, kind: FaultKind) -> TbExit {
    TbExit::Fault(GuestFault {
        pc: code.pc_of_op(op),
        addr,
        access,
        kind,
    })
}
