//! Evaluation of the IR's pure ops, exactly as the op table defines them.
//!
//! One function shared by constant folding and the interpreter, so that the
//! optimiser can never disagree with execution about what an op computes.

use crate::{Cond, Opcode, Type};

/// Sign-interprets a `ty`-sized value.
#[inline]
fn sx(ty: Type, v: u64) -> i64 {
    match ty {
        Type::I32 => v as u32 as i32 as i64,
        Type::I64 => v as i64,
    }
}

/// `len` low bits set (`len` in 1..=64).
#[inline]
fn low_bits(len: u32) -> u64 {
    if len >= 64 {
        u64::MAX
    } else {
        (1u64 << len) - 1
    }
}

/// Validates an `extract`/`deposit` field `pos`, `len` within `bits`.
#[inline]
fn field(bits: u32, consts: &[u64]) -> Option<(u32, u32)> {
    let (&pos, &len) = (consts.first()?, consts.get(1)?);
    (pos < bits as u64 && len >= 1 && pos + len <= bits as u64).then_some((pos as u32, len as u32))
}

/// Computes the result of a pure op from its input values and constant
/// arguments, truncated to `ty`. Inputs are read at their operand types, so
/// stray high bits are ignored.
///
/// Returns `None` for ops that touch state or control flow (loads, stores,
/// calls, branches, markers), when inputs are missing, or when a constant
/// argument is invalid (a bad condition or bit field).
#[inline]
pub fn eval(opc: Opcode, ty: Type, inputs: &[u64], consts: &[u64]) -> Option<u64> {
    use Opcode::*;
    let bits = ty.bits();
    let arg = |i: usize| inputs.get(i).map(|&v| ty.mask(v));
    let r = match opc {
        Mov => arg(0)?,
        Add => arg(0)?.wrapping_add(arg(1)?),
        Sub => arg(0)?.wrapping_sub(arg(1)?),
        Mul => arg(0)?.wrapping_mul(arg(1)?),
        MulSH => {
            let p = sx(ty, arg(0)?) as i128 * sx(ty, arg(1)?) as i128;
            (p >> bits) as u64
        }
        MulUH => ((arg(0)? as u128 * arg(1)? as u128) >> bits) as u64,
        MulSUH => {
            let p = sx(ty, arg(0)?) as i128 * arg(1)? as i128;
            (p >> bits) as u64
        }
        DivS => {
            let (a, b) = (sx(ty, arg(0)?), sx(ty, arg(1)?));
            let min = sx(ty, 1 << (bits - 1));
            if b == 0 {
                u64::MAX
            } else if a == min && b == -1 {
                a as u64
            } else {
                (a / b) as u64
            }
        }
        DivU => {
            let (a, b) = (arg(0)?, arg(1)?);
            a.checked_div(b).unwrap_or(u64::MAX)
        }
        RemS => {
            let (a, b) = (sx(ty, arg(0)?), sx(ty, arg(1)?));
            if b == 0 {
                a as u64
            } else {
                // MIN % -1 is 0 (wrapping_rem gives exactly that).
                a.wrapping_rem(b) as u64
            }
        }
        RemU => {
            let (a, b) = (arg(0)?, arg(1)?);
            a.checked_rem(b).unwrap_or(a)
        }
        Neg => arg(0)?.wrapping_neg(),
        And => arg(0)? & arg(1)?,
        Or => arg(0)? | arg(1)?,
        Xor => arg(0)? ^ arg(1)?,
        Not => !arg(0)?,
        AndC => arg(0)? & !arg(1)?,
        Shl => arg(0)? << (arg(1)? & (bits as u64 - 1)),
        Shr => arg(0)? >> (arg(1)? & (bits as u64 - 1)),
        Sar => (sx(ty, arg(0)?) >> (arg(1)? & (bits as u64 - 1))) as u64,
        Rotl | Rotr => {
            let (a, n) = (arg(0)?, (arg(1)? & (bits as u64 - 1)) as u32);
            let left = if opc == Rotl { n } else { (bits - n) % bits };
            match ty {
                Type::I32 => (a as u32).rotate_left(left) as u64,
                Type::I64 => a.rotate_left(left),
            }
        }
        Clz => match ty {
            Type::I32 => (arg(0)? as u32).leading_zeros() as u64,
            Type::I64 => arg(0)?.leading_zeros() as u64,
        },
        Ctz => match ty {
            Type::I32 => (arg(0)? as u32).trailing_zeros() as u64,
            Type::I64 => arg(0)?.trailing_zeros() as u64,
        },
        Ctpop => arg(0)?.count_ones() as u64,
        Ext8S => arg(0)? as u8 as i8 as i64 as u64,
        Ext8U => arg(0)? as u8 as u64,
        Ext16S => arg(0)? as u16 as i16 as i64 as u64,
        Ext16U => arg(0)? as u16 as u64,
        Ext32S => arg(0)? as u32 as i32 as i64 as u64,
        Ext32U => arg(0)? as u32 as u64,
        // The widening and narrowing ops read an input of the other width.
        ExtI32S => *inputs.first()? as u32 as i32 as i64 as u64,
        ExtI32U => *inputs.first()? as u32 as u64,
        Trunc => *inputs.first()? as u32 as u64,
        Extract => {
            let (pos, len) = field(bits, consts)?;
            (arg(0)? >> pos) & low_bits(len)
        }
        SExtract => {
            let (pos, len) = field(bits, consts)?;
            // Move the field's top bit to bit 63, then shift it back down
            // arithmetically.
            ((arg(0)? << (64 - pos - len)) as i64 >> (64 - len)) as u64
        }
        Deposit => {
            let (pos, len) = field(bits, consts)?;
            let m = low_bits(len) << pos;
            (arg(0)? & !m) | ((arg(1)? << pos) & m)
        }
        SetCond => {
            let c = Cond::from_u64(*consts.first()?)?;
            c.eval(ty, arg(0)?, arg(1)?) as u64
        }
        MovCond => {
            let c = Cond::from_u64(*consts.first()?)?;
            if c.eval(ty, arg(0)?, arg(1)?) {
                arg(2)?
            } else {
                arg(3)?
            }
        }
        LdEnv | StEnv | QemuLd | QemuSt | Mb | Call | BrCond | Br | SetLabel | InsnStart
        | GotoTb | GotoPtr | ExitTb => return None,
    };
    Some(ty.mask(r))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Opcode::*;
    use Type::{I32, I64};

    fn e(opc: Opcode, ty: Type, ins: &[u64]) -> u64 {
        eval(opc, ty, ins, &[]).unwrap()
    }

    const MIN32: u64 = 0x8000_0000;
    const MIN64: u64 = 1 << 63;
    const M1_32: u64 = 0xffff_ffff;

    #[test]
    fn arithmetic_wraps_at_the_type_width() {
        assert_eq!(e(Add, I32, &[M1_32, 2]), 1);
        assert_eq!(e(Add, I64, &[M1_32, 2]), 0x1_0000_0001);
        assert_eq!(e(Sub, I32, &[0, 1]), M1_32);
        assert_eq!(e(Mul, I32, &[0x10000, 0x10000]), 0);
        assert_eq!(e(Neg, I64, &[1]), u64::MAX);
        assert_eq!(e(Not, I32, &[0]), M1_32);
        assert_eq!(e(AndC, I64, &[0b1111, 0b0101]), 0b1010);
        // Stray high bits in an i32 input are ignored.
        assert_eq!(e(Add, I32, &[0xdead_0000_0001, 1]), 2);
    }

    #[test]
    fn high_multiplies() {
        // (-1) * (-1) = 1: signed high half 0; unsigned 0xffffffff^2 = 0xfffffffe_00000001.
        assert_eq!(e(MulSH, I32, &[M1_32, M1_32]), 0);
        assert_eq!(e(MulUH, I32, &[M1_32, M1_32]), 0xffff_fffe);
        // signed -1 times unsigned 0xffffffff = -0xffffffff = 0xffffffff_00000001.
        assert_eq!(e(MulSUH, I32, &[M1_32, M1_32]), M1_32);
        assert_eq!(e(MulUH, I64, &[u64::MAX, u64::MAX]), u64::MAX - 1);
        assert_eq!(e(MulSH, I64, &[MIN64, 2]), u64::MAX); // -2^64 >> 64 = -1
        assert_eq!(e(MulSUH, I64, &[u64::MAX, 2]), u64::MAX); // -2 >> 64 = -1
        assert_eq!(e(MulSH, I64, &[1 << 32, 1 << 32]), 1);
    }

    #[test]
    fn division_follows_riscv_for_the_corner_cases() {
        assert_eq!(e(DivS, I32, &[7, 0]), M1_32);
        assert_eq!(e(DivS, I32, &[MIN32, M1_32]), MIN32);
        assert_eq!(e(DivS, I64, &[MIN64, u64::MAX]), MIN64);
        assert_eq!(e(DivS, I64, &[(-7i64) as u64, 2]), (-3i64) as u64); // truncates
        assert_eq!(e(DivU, I64, &[7, 0]), u64::MAX);
        assert_eq!(e(DivU, I32, &[7, 0]), M1_32);
        assert_eq!(e(RemS, I32, &[7, 0]), 7);
        assert_eq!(e(RemS, I32, &[MIN32, M1_32]), 0);
        assert_eq!(e(RemS, I64, &[(-7i64) as u64, 2]), u64::MAX); // sign of dividend
        assert_eq!(e(RemU, I64, &[7, 0]), 7);
        assert_eq!(e(RemU, I32, &[M1_32, 10]), 5); // 4294967295 % 10
    }

    #[test]
    fn shifts_mask_the_amount() {
        assert_eq!(e(Shl, I32, &[1, 33]), 2);
        assert_eq!(e(Shl, I64, &[1, 65]), 2);
        assert_eq!(e(Shr, I32, &[MIN32, 31]), 1);
        assert_eq!(e(Sar, I32, &[MIN32, 31]), M1_32);
        assert_eq!(e(Sar, I64, &[MIN32, 31]), 1);
        assert_eq!(e(Rotl, I32, &[MIN32 | 1, 1]), 3);
        assert_eq!(e(Rotr, I32, &[3, 1]), MIN32 | 1);
        assert_eq!(e(Rotr, I64, &[1, 0]), 1);
        assert_eq!(e(Rotr, I64, &[1, 64]), 1);
        assert_eq!(e(Rotl, I64, &[MIN64, 1]), 1);
    }

    #[test]
    fn bit_counts() {
        assert_eq!(e(Clz, I32, &[0]), 32);
        assert_eq!(e(Clz, I64, &[0]), 64);
        assert_eq!(e(Clz, I32, &[1]), 31);
        assert_eq!(e(Ctz, I32, &[0]), 32);
        assert_eq!(e(Ctz, I64, &[0x100]), 8);
        assert_eq!(e(Ctpop, I32, &[u64::MAX]), 32);
    }

    #[test]
    fn extensions() {
        assert_eq!(e(Ext8S, I32, &[0x80]), 0xffff_ff80);
        assert_eq!(e(Ext8S, I64, &[0x17f]), 0x7f);
        assert_eq!(e(Ext8U, I64, &[0x1ff]), 0xff);
        assert_eq!(e(Ext16S, I64, &[0x8000]), 0xffff_ffff_ffff_8000);
        assert_eq!(e(Ext16U, I32, &[0x12345]), 0x2345);
        assert_eq!(e(Ext32S, I64, &[MIN32]), 0xffff_ffff_8000_0000);
        assert_eq!(e(Ext32U, I64, &[u64::MAX]), M1_32);
        assert_eq!(e(ExtI32S, I64, &[M1_32]), u64::MAX);
        assert_eq!(e(ExtI32U, I64, &[M1_32]), M1_32);
        assert_eq!(e(Trunc, I32, &[0x1_2345_6789]), 0x2345_6789);
    }

    #[test]
    fn bit_fields() {
        let f = |opc, ty, ins: &[u64], pos, len| eval(opc, ty, ins, &[pos, len]);
        assert_eq!(f(Extract, I32, &[0xabcd], 4, 8), Some(0xbc));
        assert_eq!(f(Extract, I64, &[u64::MAX], 0, 64), Some(u64::MAX));
        assert_eq!(f(SExtract, I32, &[0x80], 4, 4), Some(0xffff_fff8));
        assert_eq!(f(SExtract, I64, &[0x70], 4, 4), Some(7));
        assert_eq!(f(Deposit, I32, &[0xffff, 0], 4, 8), Some(0xf00f));
        assert_eq!(f(Deposit, I64, &[0, 0x1ff], 60, 4), Some(0xf << 60));
        assert_eq!(f(Extract, I32, &[1], 30, 4), None);
        assert_eq!(f(Extract, I32, &[1], 0, 0), None);
        assert_eq!(eval(Extract, I32, &[1], &[0]), None);
    }

    #[test]
    fn conditions() {
        let c = |cond: Cond, ty, a, b| eval(SetCond, ty, &[a, b], &[cond as u64]);
        assert_eq!(c(Cond::Lt, I32, M1_32, 0), Some(1));
        assert_eq!(c(Cond::Ltu, I32, M1_32, 0), Some(0));
        assert_eq!(c(Cond::Lt, I64, M1_32, 0), Some(0));
        assert_eq!(c(Cond::Never, I64, 0, 0), Some(0));
        assert_eq!(eval(SetCond, I64, &[1, 2], &[12]), None);
        let mc = |cond: Cond| eval(MovCond, I64, &[1, 2, 10, 20], &[cond as u64]);
        assert_eq!(mc(Cond::Lt), Some(10));
        assert_eq!(mc(Cond::Gt), Some(20));
    }

    #[test]
    fn non_pure_ops_do_not_evaluate() {
        assert_eq!(eval(LdEnv, I64, &[], &[8]), None);
        assert_eq!(eval(BrCond, I64, &[1, 1], &[0, 0]), None);
        assert_eq!(eval(Add, I64, &[1], &[]), None);
    }
}
