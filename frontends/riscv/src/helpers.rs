//! Helper functions that translated blocks call: F/D arithmetic (through
//! the exact soft-float core in `softfloat.rs`) and the counter CSRs.
//!
//! Each helper has the `HelperFn` ABI (`env`, four `u64` arguments, a `u64`
//! result) and a `static` [`HelperDecl`]. FP helpers take operands as raw
//! register bits and the instruction's `rm` field (7 = read `frm`); they
//! read `frm` and accrue `fflags` in the CPU state, which are not IR
//! globals, so they declare no global effects. Single-precision helpers
//! unbox their operands (an improperly NaN-boxed value reads as the
//! canonical NaN) and NaN-box their results.

use crate::cpu::RiscvCpu;
use crate::softfloat::{self as sf, F32, F64};
use polyvm_ir::{HelperDecl, HelperFlags, Type};
use std::borrow::Cow;
use std::sync::OnceLock;
use std::time::Instant;

/// Reads a single from a NaN-boxed register value.
#[inline]
pub fn unbox(v: u64) -> u64 {
    if v >> 32 == 0xffff_ffff {
        v & 0xffff_ffff
    } else {
        F32.canonical_nan()
    }
}

/// NaN-boxes a single.
#[inline]
pub fn nanbox(v: u64) -> u64 {
    v | 0xffff_ffff_0000_0000
}

/// Runs one FP operation under the instruction's rounding mode and accrues
/// its flags.
#[inline]
fn fp(cpu: &mut RiscvCpu, rm: u64, op: impl FnOnce(&mut sf::Env) -> u64) -> u64 {
    let rm = if rm == 7 { cpu.frm } else { rm };
    let mut e = sf::Env::new(rm as u32);
    let r = op(&mut e);
    cpu.fflags |= e.flags as u64;
    r
}

/// Nanoseconds of the host's monotonic clock since the first counter read:
/// what `cycle`, `time` and `instret` return (none is exact; all increase).
fn counter() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

macro_rules! helpers {
    ($( $(#[$doc:meta])* $stat:ident = $name:literal, $nargs:literal, $flags:expr,
        |$cpu:ident, $a:pat_param, $b:pat_param, $c:pat_param, $d:pat_param| $body:expr; )*) => {
        $(
            $(#[$doc])*
            pub static $stat: HelperDecl = HelperDecl {
                name: Cow::Borrowed($name),
                nargs: $nargs,
                ret: Some(Type::I64),
                flags: $flags,
                func: Some({
                    #[allow(unused_variables)]
                    unsafe extern "C" fn func(env: *mut u8, $a: u64, $b: u64, $c: u64, $d: u64) -> u64 {
                        // SAFETY: the HelperFn contract: `env` is the live CPU
                        // state of the block that calls the helper.
                        let $cpu = unsafe { RiscvCpu::from_env(env) };
                        $body
                    }
                    func
                }),
            };
        )*
        /// Every helper the frontend calls, for binding parsed IR by name.
        pub fn helpers() -> &'static [&'static HelperDecl] {
            static ALL: &[&HelperDecl] = &[$(&$stat),*];
            ALL
        }
    };
}

const NONE: HelperFlags = HelperFlags::empty();
const PURE: HelperFlags = HelperFlags::PURE;

helpers! {
    FADD_S = "fadd_s", 3, NONE, |cpu, a, b, rm, _| nanbox(fp(cpu, rm, |e| sf::add(F32, e, unbox(a), unbox(b), false)));
    FSUB_S = "fsub_s", 3, NONE, |cpu, a, b, rm, _| nanbox(fp(cpu, rm, |e| sf::add(F32, e, unbox(a), unbox(b), true)));
    FMUL_S = "fmul_s", 3, NONE, |cpu, a, b, rm, _| nanbox(fp(cpu, rm, |e| sf::mul(F32, e, unbox(a), unbox(b))));
    FDIV_S = "fdiv_s", 3, NONE, |cpu, a, b, rm, _| nanbox(fp(cpu, rm, |e| sf::div(F32, e, unbox(a), unbox(b))));
    FSQRT_S = "fsqrt_s", 2, NONE, |cpu, a, rm, _, _| nanbox(fp(cpu, rm, |e| sf::sqrt(F32, e, unbox(a))));
    FMADD_S = "fmadd_s", 4, NONE, |cpu, a, b, c, rm| nanbox(fp(cpu, rm, |e| sf::fma(F32, e, unbox(a), unbox(b), unbox(c), false, false)));
    FMSUB_S = "fmsub_s", 4, NONE, |cpu, a, b, c, rm| nanbox(fp(cpu, rm, |e| sf::fma(F32, e, unbox(a), unbox(b), unbox(c), false, true)));
    FNMSUB_S = "fnmsub_s", 4, NONE, |cpu, a, b, c, rm| nanbox(fp(cpu, rm, |e| sf::fma(F32, e, unbox(a), unbox(b), unbox(c), true, false)));
    FNMADD_S = "fnmadd_s", 4, NONE, |cpu, a, b, c, rm| nanbox(fp(cpu, rm, |e| sf::fma(F32, e, unbox(a), unbox(b), unbox(c), true, true)));
    FMIN_S = "fmin_s", 2, NONE, |cpu, a, b, _, _| nanbox(fp(cpu, 0, |e| sf::fminmax(F32, e, unbox(a), unbox(b), false)));
    FMAX_S = "fmax_s", 2, NONE, |cpu, a, b, _, _| nanbox(fp(cpu, 0, |e| sf::fminmax(F32, e, unbox(a), unbox(b), true)));
    FEQ_S = "feq_s", 2, NONE, |cpu, a, b, _, _| fp(cpu, 0, |e| sf::feq(F32, e, unbox(a), unbox(b)));
    FLT_S = "flt_s", 2, NONE, |cpu, a, b, _, _| fp(cpu, 0, |e| sf::flt_le(F32, e, unbox(a), unbox(b), false));
    FLE_S = "fle_s", 2, NONE, |cpu, a, b, _, _| fp(cpu, 0, |e| sf::flt_le(F32, e, unbox(a), unbox(b), true));
    FCLASS_S = "fclass_s", 1, PURE, |cpu, a, _, _, _| sf::fclass(F32, unbox(a));
    FCVT_W_S = "fcvt_w_s", 2, NONE, |cpu, a, rm, _, _| fp(cpu, rm, |e| sf::to_int(F32, e, unbox(a), true, 32));
    FCVT_WU_S = "fcvt_wu_s", 2, NONE, |cpu, a, rm, _, _| fp(cpu, rm, |e| sf::to_int(F32, e, unbox(a), false, 32));
    FCVT_L_S = "fcvt_l_s", 2, NONE, |cpu, a, rm, _, _| fp(cpu, rm, |e| sf::to_int(F32, e, unbox(a), true, 64));
    FCVT_LU_S = "fcvt_lu_s", 2, NONE, |cpu, a, rm, _, _| fp(cpu, rm, |e| sf::to_int(F32, e, unbox(a), false, 64));
    FCVT_S_W = "fcvt_s_w", 2, NONE, |cpu, a, rm, _, _| nanbox(fp(cpu, rm, |e| sf::from_int(F32, e, a, true, 32)));
    FCVT_S_WU = "fcvt_s_wu", 2, NONE, |cpu, a, rm, _, _| nanbox(fp(cpu, rm, |e| sf::from_int(F32, e, a, false, 32)));
    FCVT_S_L = "fcvt_s_l", 2, NONE, |cpu, a, rm, _, _| nanbox(fp(cpu, rm, |e| sf::from_int(F32, e, a, true, 64)));
    FCVT_S_LU = "fcvt_s_lu", 2, NONE, |cpu, a, rm, _, _| nanbox(fp(cpu, rm, |e| sf::from_int(F32, e, a, false, 64)));

    FADD_D = "fadd_d", 3, NONE, |cpu, a, b, rm, _| fp(cpu, rm, |e| sf::add(F64, e, a, b, false));
    FSUB_D = "fsub_d", 3, NONE, |cpu, a, b, rm, _| fp(cpu, rm, |e| sf::add(F64, e, a, b, true));
    FMUL_D = "fmul_d", 3, NONE, |cpu, a, b, rm, _| fp(cpu, rm, |e| sf::mul(F64, e, a, b));
    FDIV_D = "fdiv_d", 3, NONE, |cpu, a, b, rm, _| fp(cpu, rm, |e| sf::div(F64, e, a, b));
    FSQRT_D = "fsqrt_d", 2, NONE, |cpu, a, rm, _, _| fp(cpu, rm, |e| sf::sqrt(F64, e, a));
    FMADD_D = "fmadd_d", 4, NONE, |cpu, a, b, c, rm| fp(cpu, rm, |e| sf::fma(F64, e, a, b, c, false, false));
    FMSUB_D = "fmsub_d", 4, NONE, |cpu, a, b, c, rm| fp(cpu, rm, |e| sf::fma(F64, e, a, b, c, false, true));
    FNMSUB_D = "fnmsub_d", 4, NONE, |cpu, a, b, c, rm| fp(cpu, rm, |e| sf::fma(F64, e, a, b, c, true, false));
    FNMADD_D = "fnmadd_d", 4, NONE, |cpu, a, b, c, rm| fp(cpu, rm, |e| sf::fma(F64, e, a, b, c, true, true));
    FMIN_D = "fmin_d", 2, NONE, |cpu, a, b, _, _| fp(cpu, 0, |e| sf::fminmax(F64, e, a, b, false));
    FMAX_D = "fmax_d", 2, NONE, |cpu, a, b, _, _| fp(cpu, 0, |e| sf::fminmax(F64, e, a, b, true));
    FEQ_D = "feq_d", 2, NONE, |cpu, a, b, _, _| fp(cpu, 0, |e| sf::feq(F64, e, a, b));
    FLT_D = "flt_d", 2, NONE, |cpu, a, b, _, _| fp(cpu, 0, |e| sf::flt_le(F64, e, a, b, false));
    FLE_D = "fle_d", 2, NONE, |cpu, a, b, _, _| fp(cpu, 0, |e| sf::flt_le(F64, e, a, b, true));
    FCLASS_D = "fclass_d", 1, PURE, |cpu, a, _, _, _| sf::fclass(F64, a);
    FCVT_W_D = "fcvt_w_d", 2, NONE, |cpu, a, rm, _, _| fp(cpu, rm, |e| sf::to_int(F64, e, a, true, 32));
    FCVT_WU_D = "fcvt_wu_d", 2, NONE, |cpu, a, rm, _, _| fp(cpu, rm, |e| sf::to_int(F64, e, a, false, 32));
    FCVT_L_D = "fcvt_l_d", 2, NONE, |cpu, a, rm, _, _| fp(cpu, rm, |e| sf::to_int(F64, e, a, true, 64));
    FCVT_LU_D = "fcvt_lu_d", 2, NONE, |cpu, a, rm, _, _| fp(cpu, rm, |e| sf::to_int(F64, e, a, false, 64));
    FCVT_D_W = "fcvt_d_w", 2, NONE, |cpu, a, rm, _, _| fp(cpu, rm, |e| sf::from_int(F64, e, a, true, 32));
    FCVT_D_WU = "fcvt_d_wu", 2, NONE, |cpu, a, rm, _, _| fp(cpu, rm, |e| sf::from_int(F64, e, a, false, 32));
    FCVT_D_L = "fcvt_d_l", 2, NONE, |cpu, a, rm, _, _| fp(cpu, rm, |e| sf::from_int(F64, e, a, true, 64));
    FCVT_D_LU = "fcvt_d_lu", 2, NONE, |cpu, a, rm, _, _| fp(cpu, rm, |e| sf::from_int(F64, e, a, false, 64));
    FCVT_S_D = "fcvt_s_d", 2, NONE, |cpu, a, rm, _, _| nanbox(fp(cpu, rm, |e| sf::convert(F64, F32, e, a)));
    FCVT_D_S = "fcvt_d_s", 2, NONE, |cpu, a, rm, _, _| fp(cpu, rm, |e| sf::convert(F32, F64, e, unbox(a)));

    /// Reads `cycle`, `time` or `instret` (argument: the CSR number).
    CSR_COUNTER = "csr_counter", 1, NONE, |cpu, _, _, _, _| counter();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(h: &HelperDecl, cpu: &mut RiscvCpu, a: [u64; 4]) -> u64 {
        let f = h.func.expect("bound");
        // SAFETY: `cpu` is a live RiscvCpu, as the helper ABI requires.
        unsafe { f(cpu as *mut RiscvCpu as *mut u8, a[0], a[1], a[2], a[3]) }
    }

    #[test]
    fn names_are_unique_and_bound() {
        let all = helpers();
        for (i, h) in all.iter().enumerate() {
            assert!(h.func.is_some());
            assert!(h.nargs <= 4);
            assert!(all[i + 1..].iter().all(|o| o.name != h.name), "{}", h.name);
        }
    }

    #[test]
    fn dynamic_rounding_reads_frm_and_flags_accrue() {
        let mut cpu = RiscvCpu::default();
        let one = 1.0f64.to_bits();
        let tiny = f64::from_bits(1).to_bits();
        // 1 + 2^-1074 rounds to 1 under RNE, to nextafter(1) under RUP.
        cpu.frm = sf::RUP as u64;
        assert_eq!(call(&FADD_D, &mut cpu, [one, tiny, 7, 0]), one + 1);
        assert_eq!(cpu.fflags, sf::NX as u64);
        cpu.frm = sf::RNE as u64;
        assert_eq!(call(&FADD_D, &mut cpu, [one, tiny, 7, 0]), one);
        // A static rm overrides frm.
        assert_eq!(
            call(&FADD_D, &mut cpu, [one, tiny, sf::RUP as u64, 0]),
            one + 1
        );
        // 1/0: DZ accrues next to NX.
        call(&FDIV_D, &mut cpu, [one, 0, 0, 0]);
        assert_eq!(cpu.fflags, (sf::NX | sf::DZ) as u64);
    }

    #[test]
    fn singles_are_unboxed_and_boxed() {
        let mut cpu = RiscvCpu::default();
        let one = nanbox(1.0f32.to_bits() as u64);
        let two = nanbox(2.0f32.to_bits() as u64);
        assert_eq!(call(&FADD_S, &mut cpu, [one, one, 0, 0]), two);
        // An improperly boxed operand reads as the canonical NaN.
        let bad = 1.0f32.to_bits() as u64;
        assert_eq!(
            call(&FADD_S, &mut cpu, [bad, one, 0, 0]),
            0xffff_ffff_7fc0_0000
        );
        assert_eq!(cpu.fflags, 0, "a canonical (quiet) NaN raises nothing");
        assert_eq!(call(&FCLASS_S, &mut cpu, [bad, 0, 0, 0]), 1 << 9);
        // fcvt.s.d boxes; fcvt.d.s unboxes.
        assert_eq!(call(&FCVT_S_D, &mut cpu, [2.0f64.to_bits(), 0, 0, 0]), two);
        assert_eq!(call(&FCVT_D_S, &mut cpu, [two, 0, 0, 0]), 2.0f64.to_bits());
    }

    #[test]
    fn counter_increases() {
        let mut cpu = RiscvCpu::default();
        let a = call(&CSR_COUNTER, &mut cpu, [0xc01, 0, 0, 0]);
        std::thread::sleep(std::time::Duration::from_millis(1));
        let b = call(&CSR_COUNTER, &mut cpu, [0xc01, 0, 0, 0]);
        assert!(b > a);
    }
}
