//! Spec corner cases (expected values worked out from the RISC-V and IEEE
//! 754 rules, in the comments), plus a differential test against the host's
//! SSE/FMA unit, which implements IEEE 754 in RNE/RTZ/RDN/RUP with the same
//! flags and (like RISC-V) detects tininess after rounding. Only NaN
//! payloads differ (x86 propagates them), so NaN results compare by class.

use super::*;

const NAN64: u64 = 0x7ff8_0000_0000_0000;
const NAN32: u64 = 0x7fc0_0000;
const SNAN64: u64 = 0x7ff0_0000_0000_0001;
const SNAN32: u64 = 0x7f80_0001;
const QNAN64_PAYLOAD: u64 = 0xfff8_0000_0000_1234;

fn d(x: f64) -> u64 {
    x.to_bits()
}
fn s(x: f32) -> u64 {
    x.to_bits() as u64
}

/// Runs `op` under `rm`; returns (result, flags).
fn run(rm: u32, op: impl FnOnce(&mut Env) -> u64) -> (u64, u32) {
    let mut e = Env::new(rm);
    let r = op(&mut e);
    (r, e.flags)
}

#[test]
fn invalid_operations_give_the_canonical_nan() {
    assert_eq!(
        run(RNE, |e| add(
            F64,
            e,
            d(f64::INFINITY),
            d(f64::NEG_INFINITY),
            false
        )),
        (NAN64, NV)
    );
    assert_eq!(
        run(RNE, |e| add(
            F64,
            e,
            d(f64::INFINITY),
            d(f64::INFINITY),
            true
        )),
        (NAN64, NV)
    );
    assert_eq!(run(RNE, |e| mul(F64, e, d(f64::INFINITY), 0)), (NAN64, NV));
    assert_eq!(run(RNE, |e| div(F64, e, 0, 0)), (NAN64, NV));
    assert_eq!(
        run(RNE, |e| div(F32, e, s(f32::INFINITY), s(f32::INFINITY))),
        (NAN32, NV)
    );
    assert_eq!(run(RNE, |e| sqrt(F64, e, d(-1.0))), (NAN64, NV));
    assert_eq!(
        run(RNE, |e| sqrt(F32, e, s(f32::NEG_INFINITY))),
        (NAN32, NV)
    );
    // √-0 = -0, exactly.
    assert_eq!(run(RNE, |e| sqrt(F64, e, d(-0.0))), (d(-0.0), 0));
    // A quiet NaN operand: canonical NaN, no flag; a signalling one: NV.
    assert_eq!(
        run(RNE, |e| add(F64, e, QNAN64_PAYLOAD, d(1.0), false)),
        (NAN64, 0)
    );
    assert_eq!(run(RNE, |e| mul(F64, e, SNAN64, d(1.0))), (NAN64, NV));
    assert_eq!(run(RNE, |e| sqrt(F32, e, SNAN32)), (NAN32, NV));
    // ∞ × 0 + qNaN is invalid too (the spec requires NV here).
    assert_eq!(
        run(RNE, |e| fma(
            F64,
            e,
            d(f64::INFINITY),
            0,
            NAN64,
            false,
            false
        )),
        (NAN64, NV)
    );
    // ∞ × 1 - ∞ is invalid; ∞ × 1 + ∞ is ∞.
    let inf = d(f64::INFINITY);
    assert_eq!(
        run(RNE, |e| fma(F64, e, inf, d(1.0), inf, false, true)),
        (NAN64, NV)
    );
    assert_eq!(
        run(RNE, |e| fma(F64, e, inf, d(1.0), inf, false, false)),
        (inf, 0)
    );
    // Narrowing a NaN gives the single canonical NaN.
    assert_eq!(
        run(RNE, |e| convert(F64, F32, e, QNAN64_PAYLOAD)),
        (NAN32, 0)
    );
    assert_eq!(run(RNE, |e| convert(F32, F64, e, SNAN32)), (NAN64, NV));
}

#[test]
fn division_by_zero() {
    assert_eq!(
        run(RNE, |e| div(F64, e, d(1.0), d(-0.0))),
        (d(f64::NEG_INFINITY), DZ)
    );
    assert_eq!(
        run(RNE, |e| div(F32, e, s(-3.0), 0)),
        (s(f32::NEG_INFINITY), DZ)
    );
    // ∞ / 0 is exact ∞, no flag.
    assert_eq!(
        run(RNE, |e| div(F64, e, d(f64::INFINITY), 0)),
        (d(f64::INFINITY), 0)
    );
}

#[test]
fn signed_zero_sums() {
    // x - x is +0, except under RDN where it is -0.
    assert_eq!(run(RNE, |e| add(F64, e, d(1.5), d(1.5), true)), (0, 0));
    assert_eq!(
        run(RDN, |e| add(F64, e, d(1.5), d(1.5), true)),
        (d(-0.0), 0)
    );
    assert_eq!(
        run(RNE, |e| add(F64, e, d(-0.0), d(-0.0), false)),
        (d(-0.0), 0)
    );
    assert_eq!(run(RNE, |e| add(F64, e, d(-0.0), 0, false)), (0, 0));
    assert_eq!(run(RDN, |e| add(F64, e, d(-0.0), 0, false)), (d(-0.0), 0));
    // (+0 × -1) + +0 = +0 (RNE), -0 under RDN; -0 × 1 + -0 = -0.
    assert_eq!(
        run(RNE, |e| fma(F64, e, 0, d(-1.0), 0, false, false)),
        (0, 0)
    );
    assert_eq!(
        run(RDN, |e| fma(F64, e, 0, d(-1.0), 0, false, false)),
        (d(-0.0), 0)
    );
    assert_eq!(
        run(RNE, |e| fma(F64, e, d(-0.0), d(1.0), d(-0.0), false, false)),
        (d(-0.0), 0)
    );
}

#[test]
fn rounding_modes_on_halfway_cases() {
    // 1 + 2^-53 is exactly halfway between 1 and 1 + 2^-52.
    let h = d(2f64.powi(-53));
    let one = d(1.0);
    assert_eq!(run(RNE, |e| add(F64, e, one, h, false)), (one, NX)); // ties to even
    assert_eq!(run(RMM, |e| add(F64, e, one, h, false)), (one + 1, NX)); // ties away
    assert_eq!(run(RTZ, |e| add(F64, e, one, h, false)), (one, NX));
    assert_eq!(run(RUP, |e| add(F64, e, one, h, false)), (one + 1, NX));
    assert_eq!(run(RDN, |e| add(F64, e, one, h, false)), (one, NX));
    // Negated: RDN and RUP swap.
    let mone = d(-1.0);
    let mh = d(-(2f64.powi(-53)));
    assert_eq!(run(RDN, |e| add(F64, e, mone, mh, false)), (mone + 1, NX));
    assert_eq!(run(RUP, |e| add(F64, e, mone, mh, false)), (mone, NX));
    assert_eq!(run(RMM, |e| add(F64, e, mone, mh, false)), (mone + 1, NX));
    // (1 + 2^-52) + 2^-53: halfway, odd below, so RNE and RMM both go up.
    assert_eq!(run(RNE, |e| add(F64, e, one + 1, h, false)), (one + 2, NX));
    assert_eq!(run(RMM, |e| add(F64, e, one + 1, h, false)), (one + 2, NX));
    // Singles: 1 + 2^-24 is halfway between 1 and 1 + 2^-23.
    let hs = s(2f32.powi(-24));
    let ones = s(1.0);
    assert_eq!(run(RNE, |e| add(F32, e, ones, hs, false)), (ones, NX));
    assert_eq!(run(RMM, |e| add(F32, e, ones, hs, false)), (ones + 1, NX));
    // 3 × (1 + 2^-52) = 3 + 3·2^-52: ulp at 3 is 2^-51, so 1.5 ulps: RMM and
    // RNE go to 3 + 2^-50 (even: 3 + 4·2^-52), RTZ to 3 + 2^-51.
    let x = one + 1;
    assert_eq!(run(RNE, |e| mul(F64, e, d(3.0), x)), (d(3.0) + 2, NX));
    assert_eq!(run(RMM, |e| mul(F64, e, d(3.0), x)), (d(3.0) + 2, NX));
    assert_eq!(run(RTZ, |e| mul(F64, e, d(3.0), x)), (d(3.0) + 1, NX));
    // 1/3: the nearest double 0x3fd5555555555555 lies below the exact value
    // (by 1.85e-17, checked with 60-digit decimal arithmetic), so only RUP
    // differs.
    let third = d(1.0 / 3.0);
    assert_eq!(third, 0x3fd5_5555_5555_5555);
    assert_eq!(run(RNE, |e| div(F64, e, one, d(3.0))), (third, NX));
    assert_eq!(run(RMM, |e| div(F64, e, one, d(3.0))), (third, NX));
    assert_eq!(run(RTZ, |e| div(F64, e, one, d(3.0))), (third, NX));
    assert_eq!(run(RUP, |e| div(F64, e, one, d(3.0))), (third + 1, NX));
    // √2: the nearest double 0x3ff6a09e667f3bcd lies above the exact value
    // (by 9.67e-17), so RUP agrees with RNE and RTZ/RDN are one ulp lower.
    let r2 = 0x3ff6_a09e_667f_3bcd;
    assert_eq!(run(RNE, |e| sqrt(F64, e, d(2.0))), (r2, NX));
    assert_eq!(run(RUP, |e| sqrt(F64, e, d(2.0))), (r2, NX));
    assert_eq!(run(RTZ, |e| sqrt(F64, e, d(2.0))), (r2 - 1, NX));
    assert_eq!(run(RDN, |e| sqrt(F64, e, d(2.0))), (r2 - 1, NX));
    assert_eq!(run(RNE, |e| sqrt(F64, e, d(4.0))), (d(2.0), 0));
}

#[test]
fn overflow_follows_the_rounding_direction() {
    let max = d(f64::MAX);
    let inf = d(f64::INFINITY);
    assert_eq!(run(RNE, |e| mul(F64, e, max, d(2.0))), (inf, OF | NX));
    assert_eq!(run(RMM, |e| mul(F64, e, max, d(2.0))), (inf, OF | NX));
    assert_eq!(run(RTZ, |e| mul(F64, e, max, d(2.0))), (max, OF | NX));
    assert_eq!(run(RDN, |e| mul(F64, e, max, d(2.0))), (max, OF | NX));
    assert_eq!(run(RUP, |e| mul(F64, e, max, d(2.0))), (inf, OF | NX));
    assert_eq!(
        run(RDN, |e| mul(F64, e, max, d(-2.0))),
        (inf | 1 << 63, OF | NX)
    );
    assert_eq!(
        run(RUP, |e| mul(F64, e, max, d(-2.0))),
        (max | 1 << 63, OF | NX)
    );
    // Narrowing overflows too.
    assert_eq!(
        run(RNE, |e| convert(F64, F32, e, d(1e39))),
        (s(f32::INFINITY), OF | NX)
    );
    assert_eq!(
        run(RTZ, |e| convert(F64, F32, e, d(1e39))),
        (s(f32::MAX), OF | NX)
    );
}

#[test]
fn underflow_is_detected_after_rounding() {
    let min_normal = d(f64::MIN_POSITIVE); // 2^-1022
    let half = d(2f64.powi(-538));
    let mhalf = d(-(2f64.powi(-538)));
    // 2^-1022 - 2^-1076 = 2^-1022 (1 - 2^-54): to 53 bits with unbounded
    // exponent it ties to 2^-1022 (even), so it is not tiny: NX only.
    assert_eq!(
        run(RNE, |e| fma(F64, e, mhalf, half, min_normal, false, false)),
        (min_normal, NX)
    );
    // Under RTZ it rounds to 2^-1022 (1 - 2^-53) < 2^-1022: tiny, and the
    // result is the largest subnormal.
    assert_eq!(
        run(RTZ, |e| fma(F64, e, mhalf, half, min_normal, false, false)),
        (min_normal - 1, UF | NX)
    );
    // (1 - 2^-53) × 2^-1022 has 53 bits, so unbounded rounding is exact and
    // below 2^-1022: tiny; the subnormal rounding (a tie) goes to 2^-1022.
    let below_one = d(1.0) - 1;
    assert_eq!(
        run(RNE, |e| mul(F64, e, below_one, min_normal)),
        (min_normal, UF | NX)
    );
    // Exact subnormal results raise nothing.
    assert_eq!(
        run(RNE, |e| div(F64, e, min_normal, d(4.0))),
        (min_normal >> 2, 0)
    );
    // The smallest subnormal halved: a tie between 0 and 2^-1074 → 0 (even).
    assert_eq!(run(RNE, |e| mul(F64, e, 1, d(0.5))), (0, UF | NX));
    assert_eq!(run(RUP, |e| mul(F64, e, 1, d(0.5))), (1, UF | NX));
    assert_eq!(run(RMM, |e| mul(F64, e, 1, d(0.5))), (1, UF | NX));
}

#[test]
fn fused_multiply_add_rounds_once() {
    // (1 + 2^-52)(1 - 2^-52) - 1 = -2^-104 exactly; a separate multiply
    // would round the product to 1 and give 0.
    let a = d(1.0) + 1;
    let b = d(1.0 - 2f64.powi(-52));
    assert_eq!(
        run(RNE, |e| fma(F64, e, a, b, d(1.0), false, true)),
        (d(-(2f64.powi(-104))), 0)
    );
    // fnmadd = -(a×b) - c; fnmsub = -(a×b) + c.
    assert_eq!(
        run(RNE, |e| fma(F64, e, d(2.0), d(3.0), d(1.0), true, true)),
        (d(-7.0), 0)
    );
    assert_eq!(
        run(RNE, |e| fma(F64, e, d(2.0), d(3.0), d(1.0), true, false)),
        (d(-5.0), 0)
    );
    assert_eq!(
        run(RNE, |e| fma(F32, e, s(2.0), s(3.0), s(1.0), false, true)),
        (s(5.0), 0)
    );
    // A tiny addend far below the product only makes it inexact.
    assert_eq!(
        run(RNE, |e| fma(F64, e, d(1.0), d(1.0), 1, false, false)),
        (d(1.0), NX)
    );
    assert_eq!(
        run(RUP, |e| fma(F64, e, d(1.0), d(1.0), 1, false, false)),
        (d(1.0) + 1, NX)
    );
    assert_eq!(
        run(RDN, |e| fma(F64, e, d(1.0), d(1.0), 1, false, true)),
        (d(1.0) - 1, NX)
    );
}

#[test]
fn conversions_to_integers_saturate() {
    let w = |rm, x: f64, signed| run(rm, |e| to_int(F64, e, d(x), signed, 32));
    let l = |rm, x: f64, signed| run(rm, |e| to_int(F64, e, d(x), signed, 64));
    // NaN → the largest positive integer (sign-extended for 32-bit forms).
    assert_eq!(
        run(RNE, |e| to_int(F64, e, NAN64, true, 32)),
        (0x7fff_ffff, NV)
    );
    assert_eq!(
        run(RNE, |e| to_int(F64, e, NAN64, false, 32)),
        (u64::MAX, NV)
    );
    assert_eq!(
        run(RNE, |e| to_int(F64, e, NAN64, true, 64)),
        (i64::MAX as u64, NV)
    );
    assert_eq!(
        run(RNE, |e| to_int(F64, e, NAN64, false, 64)),
        (u64::MAX, NV)
    );
    assert_eq!(w(RNE, f64::INFINITY, true), (0x7fff_ffff, NV));
    assert_eq!(w(RNE, f64::NEG_INFINITY, true), (0xffff_ffff_8000_0000, NV));
    assert_eq!(w(RNE, -1.0, false), (0, NV));
    assert_eq!(l(RNE, 2f64.powi(64), false), (u64::MAX, NV)); // 2^64
    assert_eq!(l(RNE, -(2f64.powi(63)), true), (i64::MIN as u64, 0)); // -2^63
    assert_eq!(l(RNE, 2f64.powi(63), true), (i64::MAX as u64, NV)); // 2^63
                                                                    // Rounding, then the range check: 2147483647.5 rounds (RNE) to 2^31.
    assert_eq!(w(RNE, 2147483647.5, true), (0x7fff_ffff, NV));
    assert_eq!(w(RTZ, 2147483647.5, true), (0x7fff_ffff, NX));
    // Negative values that round to zero are fine for unsigned forms.
    assert_eq!(w(RTZ, -0.5, false), (0, NX));
    assert_eq!(w(RNE, -0.5, false), (0, NX)); // tie → even (0)
    assert_eq!(w(RMM, -0.5, false), (0, NV)); // tie → away (-1): invalid
                                              // Unsigned 32-bit results are sign-extended.
    assert_eq!(w(RNE, 3e9, false), (0xffff_ffff_b2d0_5e00, 0));
    // Every mode on ±2.5.
    assert_eq!(w(RNE, 2.5, true).0, 2);
    assert_eq!(w(RMM, 2.5, true).0, 3);
    assert_eq!(w(RTZ, -2.5, true).0, (-2i64) as u64);
    assert_eq!(w(RDN, -2.5, true).0, (-3i64) as u64);
    assert_eq!(w(RUP, -2.5, true).0, (-2i64) as u64);
    assert_eq!(w(RUP, 2.1, true), (3, NX));
    // Singles.
    assert_eq!(
        run(RTZ, |e| to_int(F32, e, s(-7.9), true, 64)),
        ((-7i64) as u64, NX)
    );
}

#[test]
fn conversions_from_integers() {
    // 2^53 + 1 is not a double: RNE → 2^53, RUP → 2^53 + 2.
    let v = (1u64 << 53) + 1;
    assert_eq!(
        run(RNE, |e| from_int(F64, e, v, true, 64)),
        (d(2f64.powi(53)), NX)
    );
    assert_eq!(
        run(RUP, |e| from_int(F64, e, v, true, 64)),
        (d(2f64.powi(53)) + 1, NX)
    );
    assert_eq!(
        run(RNE, |e| from_int(F64, e, u64::MAX, false, 64)),
        (d(2f64.powi(64)), NX)
    );
    assert_eq!(
        run(RTZ, |e| from_int(F64, e, u64::MAX, false, 64)),
        (d(2f64.powi(64)) - 1, NX)
    );
    assert_eq!(
        run(RNE, |e| from_int(F64, e, i64::MIN as u64, true, 64)),
        (d(-(2f64.powi(63))), 0)
    );
    // 32-bit forms read only the low 32 bits.
    assert_eq!(
        run(RNE, |e| from_int(F64, e, 0xdead_beef_ffff_ffff, true, 32)),
        (d(-1.0), 0)
    );
    assert_eq!(
        run(RNE, |e| from_int(F64, e, 0xdead_beef_ffff_ffff, false, 32)),
        (d(4294967295.0), 0)
    );
    assert_eq!(
        run(RNE, |e| from_int(F32, e, 0xffff_ffff, false, 32)),
        (s(4294967296.0), NX)
    );
    assert_eq!(run(RNE, |e| from_int(F32, e, 0, true, 64)), (0, 0));
    // 2^24 + 1 ties between 2^24 and 2^24 + 2 in single precision.
    assert_eq!(
        run(RMM, |e| from_int(F32, e, (1 << 24) + 1, true, 32)),
        (s(16777218.0), NX)
    );
    assert_eq!(
        run(RNE, |e| from_int(F32, e, (1 << 24) + 1, true, 32)),
        (s(16777216.0), NX)
    );
}

#[test]
fn comparisons_and_their_flags() {
    let one = d(1.0);
    assert_eq!(run(RNE, |e| feq(F64, e, NAN64, one)), (0, 0));
    assert_eq!(run(RNE, |e| feq(F64, e, SNAN64, one)), (0, NV));
    assert_eq!(run(RNE, |e| flt_le(F64, e, NAN64, one, false)), (0, NV));
    assert_eq!(run(RNE, |e| flt_le(F64, e, one, NAN64, true)), (0, NV));
    assert_eq!(run(RNE, |e| feq(F64, e, 0, d(-0.0))), (1, 0));
    assert_eq!(run(RNE, |e| flt_le(F64, e, d(-0.0), 0, false)), (0, 0));
    assert_eq!(run(RNE, |e| flt_le(F64, e, d(-0.0), 0, true)), (1, 0));
    assert_eq!(run(RNE, |e| flt_le(F32, e, s(1.0), s(2.0), false)), (1, 0));
}

#[test]
fn min_and_max() {
    let one = d(1.0);
    assert_eq!(
        run(RNE, |e| fminmax(F64, e, d(-0.0), 0, false)),
        (d(-0.0), 0)
    );
    assert_eq!(
        run(RNE, |e| fminmax(F64, e, 0, d(-0.0), false)),
        (d(-0.0), 0)
    );
    assert_eq!(run(RNE, |e| fminmax(F64, e, d(-0.0), 0, true)), (0, 0));
    assert_eq!(run(RNE, |e| fminmax(F64, e, 0, d(-0.0), true)), (0, 0));
    assert_eq!(
        run(RNE, |e| fminmax(F64, e, QNAN64_PAYLOAD, one, false)),
        (one, 0)
    );
    assert_eq!(run(RNE, |e| fminmax(F64, e, one, SNAN64, true)), (one, NV));
    assert_eq!(
        run(RNE, |e| fminmax(F64, e, SNAN64, QNAN64_PAYLOAD, true)),
        (NAN64, NV)
    );
    assert_eq!(
        run(RNE, |e| fminmax(F32, e, s(-2.0), s(3.0), false)),
        (s(-2.0), 0)
    );
    assert_eq!(
        run(RNE, |e| fminmax(F32, e, s(-2.0), s(3.0), true)),
        (s(3.0), 0)
    );
}

#[test]
fn classify() {
    let cases: [(u64, u32); 10] = [
        (d(f64::NEG_INFINITY), 0),
        (d(-1.0), 1),
        (d(-f64::MIN_POSITIVE / 2.0), 2),
        (d(-0.0), 3),
        (0, 4),
        (1, 5),
        (d(1.0), 6),
        (d(f64::INFINITY), 7),
        (SNAN64, 8),
        (NAN64, 9),
    ];
    for (x, bit) in cases {
        assert_eq!(fclass(F64, x), 1 << bit, "{x:#x}");
    }
    assert_eq!(fclass(F32, SNAN32), 1 << 8);
    assert_eq!(fclass(F32, 1), 1 << 5);
    assert_eq!(fclass(F32, s(-1.0)), 1 << 1);
}

// ---- differential test against the host FPU ---------------------------------

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// An operand biased towards the interesting cases: specials, the
    /// subnormal and overflow boundaries, runs of ones and zeros.
    fn operand(&mut self, f: Fmt) -> u64 {
        let (eb, mb) = (f.ebits, f.mbits);
        let emax = (1u64 << eb) - 1;
        let sign = (self.next() & 1) << (eb + mb);
        let frac_mask = (1u64 << mb) - 1;
        let frac = match self.below(4) {
            0 => self.next() & frac_mask,
            1 => (1u64 << self.below(mb as u64 + 1)) - 1, // low ones
            2 => frac_mask ^ ((1u64 << self.below(mb as u64 + 1)) - 1), // high ones
            _ => self.next() & self.next() & frac_mask,
        };
        let exp = match self.below(10) {
            0 => {
                return sign
                    | [0, 1, f.canonical_nan(), f.exp_mask() | 1, f.exp_mask()]
                        [self.below(5) as usize]
            }
            1 => 0,
            2 => 1 + self.below(3),
            3 => emax - 1 - self.below(3),
            4 => emax / 2 - 30 + self.below(60),
            _ => 1 + self.below(emax - 1),
        };
        sign | (exp << mb) | frac
    }
    /// A second operand near the first (for cancellation and carries).
    fn near(&mut self, f: Fmt, a: u64) -> u64 {
        let b = a.wrapping_add(self.below(5)).wrapping_sub(2);
        let b = if self.next() & 1 == 0 {
            b ^ f.sign_bit()
        } else {
            b
        };
        b & ((f.sign_bit() << 1).wrapping_sub(1))
    }
}

#[cfg(target_arch = "x86_64")]
mod hw {
    use super::super::*;
    use std::arch::asm;

    /// MXCSR with every exception masked and the rounding control for `rm`.
    fn mxcsr(rm: u32) -> u32 {
        let rc = match rm {
            RNE => 0,
            RDN => 1,
            RUP => 2,
            _ => 3, // RTZ
        };
        0x1f80 | (rc << 13)
    }

    /// MXCSR status bits → fflags (the denormal-operand bit has no peer).
    fn flags(m: u32) -> u32 {
        let mut f = 0;
        for (bit, flag) in [(0, NV), (2, DZ), (3, OF), (4, UF), (5, NX)] {
            if m & (1 << bit) != 0 {
                f |= flag;
            }
        }
        f
    }

    /// Runs one SSE instruction with MXCSR set for `rm`, restoring it after.
    macro_rules! sse {
        ($name:ident, $insn:literal, $t:ty, $u:ty, $cls:ident) => {
            pub fn $name(a: $t, b: $u, rm: u32) -> ($t, u32) {
                let mut csr = mxcsr(rm);
                let mut saved = 0u32;
                let mut x = a;
                // SAFETY: the asm only touches its operands and MXCSR, which
                // it restores; the pointers are to live locals.
                unsafe {
                    asm!(
                        "stmxcsr [{saved}]",
                        "ldmxcsr [{csr}]",
                        concat!($insn, " {x}, {y}"),
                        "stmxcsr [{csr}]",
                        "ldmxcsr [{saved}]",
                        saved = in(reg) &mut saved as *mut u32,
                        csr = in(reg) &mut csr as *mut u32,
                        x = inout(xmm_reg) x,
                        y = in($cls) b,
                        options(nostack),
                    );
                }
                (x, flags(csr))
            }
        };
    }
    sse!(addsd, "addsd", f64, f64, xmm_reg);
    sse!(subsd, "subsd", f64, f64, xmm_reg);
    sse!(mulsd, "mulsd", f64, f64, xmm_reg);
    sse!(divsd, "divsd", f64, f64, xmm_reg);
    sse!(sqrtsd, "sqrtsd", f64, f64, xmm_reg);
    sse!(addss, "addss", f32, f32, xmm_reg);
    sse!(subss, "subss", f32, f32, xmm_reg);
    sse!(mulss, "mulss", f32, f32, xmm_reg);
    sse!(divss, "divss", f32, f32, xmm_reg);
    sse!(sqrtss, "sqrtss", f32, f32, xmm_reg);
    sse!(cvtsd2ss, "cvtsd2ss", f32, f64, xmm_reg);
    sse!(cvtsi2sd, "cvtsi2sd", f64, i64, reg);
    sse!(cvtsi2ss, "cvtsi2ss", f32, i64, reg);

    /// cvtsd2si with the current rounding mode (64-bit result).
    pub fn cvtsd2si(a: f64, rm: u32) -> (i64, u32) {
        let mut csr = mxcsr(rm);
        let mut saved = 0u32;
        let r: i64;
        // SAFETY: as in `sse!`.
        unsafe {
            asm!(
                "stmxcsr [{saved}]",
                "ldmxcsr [{csr}]",
                "cvtsd2si {r}, {x}",
                "stmxcsr [{csr}]",
                "ldmxcsr [{saved}]",
                saved = in(reg) &mut saved as *mut u32,
                csr = in(reg) &mut csr as *mut u32,
                r = out(reg) r,
                x = in(xmm_reg) a,
                options(nostack),
            );
        }
        (r, flags(csr))
    }

    macro_rules! fma3 {
        ($name:ident, $insn:literal, $t:ty) => {
            /// `a × b + c` (requires the FMA extension).
            pub fn $name(a: $t, b: $t, c: $t, rm: u32) -> ($t, u32) {
                let mut csr = mxcsr(rm);
                let mut saved = 0u32;
                let mut x = c;
                // SAFETY: as in `sse!`; callers check for FMA support.
                unsafe {
                    asm!(
                        "stmxcsr [{saved}]",
                        "ldmxcsr [{csr}]",
                        concat!($insn, " {x}, {y}, {z}"),
                        "stmxcsr [{csr}]",
                        "ldmxcsr [{saved}]",
                        saved = in(reg) &mut saved as *mut u32,
                        csr = in(reg) &mut csr as *mut u32,
                        x = inout(xmm_reg) x,
                        y = in(xmm_reg) a,
                        z = in(xmm_reg) b,
                        options(nostack),
                    );
                }
                (x, flags(csr))
            }
        };
    }
    fma3!(fmadd_sd, "vfmadd231sd", f64);
    fma3!(fmadd_ss, "vfmadd231ss", f32);
}

#[cfg(target_arch = "x86_64")]
mod differential {
    use super::*;

    const MODES: [u32; 4] = [RNE, RTZ, RDN, RUP];
    const N: usize = 20_000;

    /// Compares (ours) with (host): NaN results by class, else bit-exact;
    /// flags always.
    fn check(f: Fmt, what: &str, inputs: &[u64], rm: u32, ours: (u64, u32), host: (u64, u32)) {
        let ok_val = if f.is_nan(host.0) {
            ours.0 == f.canonical_nan()
        } else {
            ours.0 == host.0
        };
        assert!(
            ok_val && ours.1 == host.1,
            "{what} rm={rm} inputs={inputs:x?}: ours {:#x} flags {:#x}, host {:#x} flags {:#x}",
            ours.0,
            ours.1,
            host.0,
            host.1
        );
    }

    fn binary_ops(f: Fmt, seed: u64) {
        let mut rng = Rng(seed);
        for _ in 0..N {
            let a = rng.operand(f);
            let b = if rng.below(4) == 0 {
                rng.near(f, a)
            } else {
                rng.operand(f)
            };
            for rm in MODES {
                let host = |op: usize| -> (u64, u32) {
                    if f == F64 {
                        let (x, y) = (f64::from_bits(a), f64::from_bits(b));
                        let (r, fl) = [hw::addsd, hw::subsd, hw::mulsd, hw::divsd][op](x, y, rm);
                        (r.to_bits(), fl)
                    } else {
                        let (x, y) = (f32::from_bits(a as u32), f32::from_bits(b as u32));
                        let (r, fl) = [hw::addss, hw::subss, hw::mulss, hw::divss][op](x, y, rm);
                        (r.to_bits() as u64, fl)
                    }
                };
                check(
                    f,
                    "add",
                    &[a, b],
                    rm,
                    run(rm, |e| add(f, e, a, b, false)),
                    host(0),
                );
                check(
                    f,
                    "sub",
                    &[a, b],
                    rm,
                    run(rm, |e| add(f, e, a, b, true)),
                    host(1),
                );
                check(f, "mul", &[a, b], rm, run(rm, |e| mul(f, e, a, b)), host(2));
                check(f, "div", &[a, b], rm, run(rm, |e| div(f, e, a, b)), host(3));
            }
        }
    }

    #[test]
    fn f64_add_sub_mul_div_match_the_host() {
        binary_ops(F64, 0x1234_5678_9abc_def1);
    }

    #[test]
    fn f32_add_sub_mul_div_match_the_host() {
        binary_ops(F32, 0x0fed_cba9_8765_4321);
    }

    #[test]
    fn sqrt_matches_the_host() {
        let mut rng = Rng(77);
        for _ in 0..N {
            for f in [F64, F32] {
                let a = rng.operand(f);
                for rm in MODES {
                    let host = if f == F64 {
                        let (r, fl) = hw::sqrtsd(0.0, f64::from_bits(a), rm);
                        (r.to_bits(), fl)
                    } else {
                        let (r, fl) = hw::sqrtss(0.0, f32::from_bits(a as u32), rm);
                        (r.to_bits() as u64, fl)
                    };
                    check(f, "sqrt", &[a], rm, run(rm, |e| sqrt(f, e, a)), host);
                }
            }
        }
    }

    #[test]
    fn fma_matches_the_host() {
        if !std::arch::is_x86_feature_detected!("fma") {
            println!("skipped: the host has no FMA unit");
            return;
        }
        let mut rng = Rng(4242);
        for _ in 0..N {
            for f in [F64, F32] {
                let a = rng.operand(f);
                let b = rng.operand(f);
                // An addend near the product exercises cancellation.
                let c = match rng.below(3) {
                    0 => {
                        let p = run(RNE, |e| mul(f, e, a, b)).0;
                        rng.near(f, p)
                    }
                    _ => rng.operand(f),
                };
                let (np, nc) = (rng.next() & 1 == 1, rng.next() & 1 == 1);
                let neg = |x: u64, n: bool| if n { x ^ f.sign_bit() } else { x };
                for rm in MODES {
                    let (ha, hc) = (neg(a, np), neg(c, nc));
                    let host = if f == F64 {
                        let (r, fl) = hw::fmadd_sd(
                            f64::from_bits(ha),
                            f64::from_bits(b),
                            f64::from_bits(hc),
                            rm,
                        );
                        (r.to_bits(), fl)
                    } else {
                        let (r, fl) = hw::fmadd_ss(
                            f32::from_bits(ha as u32),
                            f32::from_bits(b as u32),
                            f32::from_bits(hc as u32),
                            rm,
                        );
                        (r.to_bits() as u64, fl)
                    };
                    // RISC-V (unlike x86) raises NV for ∞ × 0 + qNaN.
                    let mag = |x: u64| x & !f.sign_bit();
                    let inf = f.exp_mask();
                    let inf_zero = (mag(a) == inf && mag(b) == 0) || (mag(a) == 0 && mag(b) == inf);
                    let host = if inf_zero {
                        (host.0, host.1 | NV)
                    } else {
                        host
                    };
                    let ours = run(rm, |e| fma(f, e, a, b, c, np, nc));
                    check(f, "fma", &[a, b, c, np as u64, nc as u64], rm, ours, host);
                }
            }
        }
    }

    #[test]
    fn conversions_match_the_host() {
        let mut rng = Rng(99);
        for _ in 0..N {
            let a = rng.operand(F64);
            let v = match rng.below(3) {
                0 => rng.next(),
                1 => rng.next() >> rng.below(64),
                _ => (rng.next() >> rng.below(64)).wrapping_neg(),
            };
            for rm in MODES {
                let (r, fl) = hw::cvtsd2ss(0.0, f64::from_bits(a), rm);
                let ours = run(rm, |e| convert(F64, F32, e, a));
                check(F32, "fcvt.s.d", &[a], rm, ours, (r.to_bits() as u64, fl));

                let (r, fl) = hw::cvtsi2sd(0.0, v as i64, rm);
                check(
                    F64,
                    "fcvt.d.l",
                    &[v],
                    rm,
                    run(rm, |e| from_int(F64, e, v, true, 64)),
                    (r.to_bits(), fl),
                );
                let (r, fl) = hw::cvtsi2ss(0.0, v as i64, rm);
                check(
                    F32,
                    "fcvt.s.l",
                    &[v],
                    rm,
                    run(rm, |e| from_int(F32, e, v, true, 64)),
                    (r.to_bits() as u64, fl),
                );

                // Values in range compare exactly; out of range both say NV.
                let (r, fl) = hw::cvtsd2si(f64::from_bits(a), rm);
                let ours = run(rm, |e| to_int(F64, e, a, true, 64));
                if fl & NV == 0 {
                    assert_eq!(ours, (r as u64, fl), "fcvt.l.d {a:#x} rm={rm}");
                } else {
                    assert_eq!(ours.1, NV, "fcvt.l.d {a:#x} rm={rm}");
                }
            }
        }
    }
}

/// RMM has no SSE peer. For single-precision products the exact value fits
/// in a double, so the expected result is computable: it is RNE's except on
/// exact ties, where it is the neighbour away from zero (RUP for positive,
/// RDN for negative results).
#[test]
fn rmm_products_tie_away_from_zero() {
    let mut rng = Rng(5);
    for _ in 0..50_000 {
        let a = rng.operand(F32);
        let b = rng.operand(F32);
        let ours = run(RMM, |e| mul(F32, e, a, b));
        let (x, y) = (f32::from_bits(a as u32), f32::from_bits(b as u32));
        let exact = x as f64 * y as f64; // 48-bit product: exact (or ±∞/NaN)
        let rne = run(RNE, |e| mul(F32, e, a, b));
        let lo = run(RTZ, |e| mul(F32, e, a, b)).0;
        let away = if exact < 0.0 {
            run(RDN, |e| mul(F32, e, a, b)).0
        } else {
            run(RUP, |e| mul(F32, e, a, b)).0
        };
        let (lo_f, away_f) = (
            f32::from_bits(lo as u32) as f64,
            f32::from_bits(away as u32) as f64,
        );
        let tie =
            lo != away && exact.is_finite() && exact == (lo_f + away_f) / 2.0 && away_f.is_finite();
        let want = if tie { away } else { rne.0 };
        assert_eq!(ours.0, want, "{a:#x} × {b:#x}");
    }
}
