//! Exact IEEE 754 binary32/binary64 arithmetic with RISC-V's rules, for
//! the F and D helpers.
//!
//! Every operation computes its exact result as `±m × 2^e` (an integer
//! significand, plus a sticky bit when bits were dropped far below the
//! rounding point) and rounds it once in [`round_pack`], which implements
//! all five rounding modes, gradual underflow, overflow and the flags.
//! Tininess is detected after rounding, as RISC-V specifies. NaN results
//! are always the canonical NaN. Values are passed as raw bits (`u64`,
//! binary32 in the low 32 bits); NaN-boxing is the caller's business.
//!
//! This is a reference implementation: correct in every mode, not fast.
//! (A later step can use the host FPU where its results provably agree.)

/// Rounding modes (the `rm` field encoding).
pub const RNE: u32 = 0;
pub const RTZ: u32 = 1;
pub const RDN: u32 = 2;
pub const RUP: u32 = 3;
pub const RMM: u32 = 4;

/// Exception flags (the `fflags` encoding).
pub const NX: u32 = 1;
pub const UF: u32 = 2;
pub const OF: u32 = 4;
pub const DZ: u32 = 8;
pub const NV: u32 = 16;

/// A binary interchange format.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Fmt {
    ebits: u32,
    mbits: u32,
}

pub const F32: Fmt = Fmt {
    ebits: 8,
    mbits: 23,
};
pub const F64: Fmt = Fmt {
    ebits: 11,
    mbits: 52,
};

impl Fmt {
    #[inline]
    fn bias(self) -> i32 {
        (1 << (self.ebits - 1)) - 1
    }
    #[inline]
    fn emin(self) -> i32 {
        1 - self.bias()
    }
    /// Precision in bits, counting the implicit one.
    #[inline]
    fn prec(self) -> i32 {
        self.mbits as i32 + 1
    }
    #[inline]
    fn sign_bit(self) -> u64 {
        1 << (self.ebits + self.mbits)
    }
    #[inline]
    fn exp_mask(self) -> u64 {
        ((1u64 << self.ebits) - 1) << self.mbits
    }
    #[inline]
    fn frac_mask(self) -> u64 {
        (1u64 << self.mbits) - 1
    }
    #[inline]
    fn quiet_bit(self) -> u64 {
        1 << (self.mbits - 1)
    }
    /// The canonical quiet NaN (positive, only the quiet bit set).
    #[inline]
    pub fn canonical_nan(self) -> u64 {
        self.exp_mask() | self.quiet_bit()
    }
    #[inline]
    pub fn is_nan(self, x: u64) -> bool {
        x & self.exp_mask() == self.exp_mask() && x & self.frac_mask() != 0
    }
    #[inline]
    pub fn is_snan(self, x: u64) -> bool {
        self.is_nan(x) && x & self.quiet_bit() == 0
    }
    #[inline]
    pub fn sign(self, x: u64) -> bool {
        x & self.sign_bit() != 0
    }
    #[inline]
    fn zero(self, neg: bool) -> u64 {
        if neg {
            self.sign_bit()
        } else {
            0
        }
    }
    #[inline]
    fn inf(self, neg: bool) -> u64 {
        self.zero(neg) | self.exp_mask()
    }
    #[inline]
    fn max_finite(self, neg: bool) -> u64 {
        self.zero(neg) | (self.exp_mask() - (1 << self.mbits)) | self.frac_mask()
    }
    /// The value as a host `f64` (exact for both formats; not for NaNs).
    #[inline]
    fn to_f64(self, x: u64) -> f64 {
        if self == F64 {
            f64::from_bits(x)
        } else {
            f32::from_bits(x as u32) as f64
        }
    }
}

/// Rounding mode in, accrued flags out.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Env {
    pub rm: u32,
    pub flags: u32,
}

impl Env {
    pub fn new(rm: u32) -> Env {
        Env { rm, flags: 0 }
    }
}

/// A decoded operand.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Val {
    Zero(bool),
    Inf(bool),
    Nan,
    /// `±m × 2^e`, `m > 0`.
    Fin(bool, i32, u64),
}

fn unpack(f: Fmt, x: u64) -> Val {
    let s = f.sign(x);
    let be = ((x & f.exp_mask()) >> f.mbits) as i32;
    let frac = x & f.frac_mask();
    let emax_biased = (1 << f.ebits) - 1;
    if be == emax_biased {
        if frac == 0 {
            Val::Inf(s)
        } else {
            Val::Nan
        }
    } else if be == 0 {
        if frac == 0 {
            Val::Zero(s)
        } else {
            Val::Fin(s, f.emin() - f.mbits as i32, frac)
        }
    } else {
        Val::Fin(s, be - f.bias() - f.mbits as i32, frac | (1 << f.mbits))
    }
}

/// Where the dropped bits lie relative to half an ulp.
#[derive(Copy, Clone, PartialEq, Eq)]
enum Pos {
    Below,
    Half,
    Above,
}

/// Drops the low `sh` bits of `m` (plus a sticky bit below them); returns
/// the kept bits, whether anything nonzero was dropped, and whether the
/// rounding mode rounds the magnitude up.
fn shift_round(m: u128, sh: i32, sticky: bool, rm: u32, neg: bool) -> (u128, bool, bool) {
    if sh <= 0 {
        // Only reached exactly (callers give sticky results enough bits).
        debug_assert!(!sticky);
        return (m << -sh, false, false);
    }
    let (kept, rem) = if sh >= 128 {
        (0, m)
    } else {
        (m >> sh, m & ((1u128 << sh) - 1))
    };
    if rem == 0 && !sticky {
        return (kept, false, false);
    }
    let pos = if sh > 128 {
        Pos::Below
    } else {
        let half = 1u128 << (sh - 1);
        if rem > half || (rem == half && sticky) {
            Pos::Above
        } else if rem == half {
            Pos::Half
        } else {
            Pos::Below
        }
    };
    let up = match rm {
        RTZ => false,
        RDN => neg,
        RUP => !neg,
        RMM => pos != Pos::Below,
        _ => pos == Pos::Above || (pos == Pos::Half && kept & 1 == 1),
    };
    (kept, true, up)
}

/// Rounds the exact value `±(m + δ) × 2^e` (δ in (0, 1) when `sticky`,
/// else 0) to format `f` under `env.rm`, accruing flags. A sticky result
/// must carry at least precision + 2 bits in `m`.
pub fn round_pack(f: Fmt, env: &mut Env, neg: bool, e: i32, m: u128, sticky: bool) -> u64 {
    if m == 0 && !sticky {
        return f.zero(neg);
    }
    let p = f.prec();
    let qmin = f.emin() - f.mbits as i32;
    let n = 128 - m.leading_zeros() as i32;
    // Exponent of the result's last bit: p bits below the leading one, but
    // never below the subnormal quantum.
    let mut q = (e + n - p).max(qmin);
    let (mut kept, inexact, up) = shift_round(m, q - e, sticky, env.rm, neg);
    if up {
        kept += 1;
        if kept == 1u128 << p {
            kept >>= 1;
            q += 1;
        }
    }
    if inexact {
        env.flags |= NX;
        // Tiny after rounding: rounded to p bits with an unbounded exponent
        // range, the value is still below 2^emin.
        if e + n - 1 < f.emin() {
            let tiny = if e + n < f.emin() || m == 0 {
                true
            } else {
                let (k, _, u) = shift_round(m, n - p, sticky, env.rm, neg);
                k + u as u128 != 1u128 << p
            };
            if tiny {
                env.flags |= UF;
            }
        }
    }
    let biased = if kept >> f.mbits != 0 {
        q + f.mbits as i32 + f.bias()
    } else {
        0
    };
    if biased >= (1 << f.ebits) - 1 {
        env.flags |= OF | NX;
        let to_inf = match env.rm {
            RTZ => false,
            RDN => neg,
            RUP => !neg,
            _ => true,
        };
        return if to_inf {
            f.inf(neg)
        } else {
            f.max_finite(neg)
        };
    }
    f.zero(neg) | ((biased as u64) << f.mbits) | (kept as u64 & f.frac_mask())
}

/// Sets NV if any operand is a signalling NaN; true if any is a NaN.
fn nan_check(f: Fmt, env: &mut Env, xs: &[u64]) -> bool {
    if xs.iter().any(|&x| f.is_snan(x)) {
        env.flags |= NV;
    }
    xs.iter().any(|&x| f.is_nan(x))
}

/// Sign of an exact zero sum of operands with different signs.
#[inline]
fn zero_sum_sign(env: &Env) -> bool {
    env.rm == RDN
}

/// Adds two nonzero finite values exactly, then rounds.
#[allow(clippy::too_many_arguments)]
fn add_finite(
    f: Fmt,
    env: &mut Env,
    sx: bool,
    ex: i32,
    mx: u128,
    sy: bool,
    ey: i32,
    my: u128,
) -> u64 {
    let top = (ex + 128 - mx.leading_zeros() as i32).max(ey + 128 - my.leading_zeros() as i32);
    // Align both to a common exponent 126 bits below the top. The operand
    // that reaches the top has at most 106 bits, so it stays exact; the
    // other may drop bits into a sticky bit, and then it is so much smaller
    // that the result keeps more than 120 bits.
    let base = top - 126;
    let align = |m: u128, e: i32| -> (u128, bool) {
        if e >= base {
            (m << (e - base), false)
        } else {
            let sh = base - e;
            if sh >= 128 {
                (0, true)
            } else {
                (m >> sh, m & ((1u128 << sh) - 1) != 0)
            }
        }
    };
    let (ax, stx) = align(mx, ex);
    let (ay, sty) = align(my, ey);
    let (neg, m, sticky) = if sx == sy {
        (sx, ax + ay, stx || sty)
    } else if ax > ay || (ax == ay && stx) {
        // x - (y + δ) = (x - y - 1) + (1 - δ)
        (sx, ax - ay - sty as u128, stx || sty)
    } else if ay > ax || sty {
        (sy, ay - ax - stx as u128, stx || sty)
    } else {
        return f.zero(zero_sum_sign(env));
    };
    round_pack(f, env, neg, base, m, sticky)
}

/// `a + b`, or `a - b` when `sub`.
pub fn add(f: Fmt, env: &mut Env, a: u64, b: u64, sub: bool) -> u64 {
    if nan_check(f, env, &[a, b]) {
        return f.canonical_nan();
    }
    let b = if sub { b ^ f.sign_bit() } else { b };
    match (unpack(f, a), unpack(f, b)) {
        (Val::Inf(sa), Val::Inf(sb)) => {
            if sa != sb {
                env.flags |= NV;
                f.canonical_nan()
            } else {
                f.inf(sa)
            }
        }
        (Val::Inf(s), _) | (_, Val::Inf(s)) => f.inf(s),
        (Val::Zero(sa), Val::Zero(sb)) => f.zero(if sa == sb { sa } else { zero_sum_sign(env) }),
        (Val::Zero(_), _) => b,
        (_, Val::Zero(_)) => a,
        (Val::Fin(sa, ea, ma), Val::Fin(sb, eb, mb)) => {
            add_finite(f, env, sa, ea, ma as u128, sb, eb, mb as u128)
        }
        _ => f.canonical_nan(),
    }
}

/// `a × b`.
pub fn mul(f: Fmt, env: &mut Env, a: u64, b: u64) -> u64 {
    if nan_check(f, env, &[a, b]) {
        return f.canonical_nan();
    }
    let neg = f.sign(a) != f.sign(b);
    match (unpack(f, a), unpack(f, b)) {
        (Val::Inf(_), Val::Zero(_)) | (Val::Zero(_), Val::Inf(_)) => {
            env.flags |= NV;
            f.canonical_nan()
        }
        (Val::Inf(_), _) | (_, Val::Inf(_)) => f.inf(neg),
        (Val::Zero(_), _) | (_, Val::Zero(_)) => f.zero(neg),
        (Val::Fin(_, ea, ma), Val::Fin(_, eb, mb)) => {
            round_pack(f, env, neg, ea + eb, ma as u128 * mb as u128, false)
        }
        _ => f.canonical_nan(),
    }
}

/// `a ÷ b`.
pub fn div(f: Fmt, env: &mut Env, a: u64, b: u64) -> u64 {
    if nan_check(f, env, &[a, b]) {
        return f.canonical_nan();
    }
    let neg = f.sign(a) != f.sign(b);
    match (unpack(f, a), unpack(f, b)) {
        (Val::Inf(_), Val::Inf(_)) | (Val::Zero(_), Val::Zero(_)) => {
            env.flags |= NV;
            f.canonical_nan()
        }
        (Val::Inf(_), _) => f.inf(neg),
        (_, Val::Inf(_)) => f.zero(neg),
        (Val::Zero(_), _) => f.zero(neg),
        (_, Val::Zero(_)) => {
            env.flags |= DZ;
            f.inf(neg)
        }
        (Val::Fin(_, ea, ma), Val::Fin(_, eb, mb)) => {
            // Normalise both to 64 bits, so the quotient of (a << 64) / b
            // has 64 or 65 bits: plenty for rounding with a sticky bit.
            let (sa, sb) = (ma.leading_zeros(), mb.leading_zeros());
            let na = ((ma << sa) as u128) << 64;
            let nb = (mb << sb) as u128;
            let (qt, r) = (na / nb, na % nb);
            let e = (ea - sa as i32) - (eb - sb as i32) - 64;
            round_pack(f, env, neg, e, qt, r != 0)
        }
        _ => f.canonical_nan(),
    }
}

/// Floor of the square root of `x`.
fn isqrt(x: u128) -> u128 {
    if x == 0 {
        return 0;
    }
    // A double-precision estimate, then Newton steps from above (each step
    // from any positive start lands at or above the floor), then fix-up.
    let est = ((x as f64).sqrt() as u128).clamp(1, u64::MAX as u128);
    let mut r = (est + x / est) / 2;
    loop {
        let next = (r + x / r) / 2;
        if next >= r {
            break;
        }
        r = next;
    }
    while !matches!(r.checked_mul(r), Some(s) if s <= x) {
        r -= 1;
    }
    while (r + 1).checked_mul(r + 1).is_some_and(|s| s <= x) {
        r += 1;
    }
    r
}

/// `√a`.
pub fn sqrt(f: Fmt, env: &mut Env, a: u64) -> u64 {
    if nan_check(f, env, &[a]) {
        return f.canonical_nan();
    }
    match unpack(f, a) {
        Val::Zero(_) => a,
        Val::Inf(false) => a,
        Val::Inf(true) | Val::Fin(true, _, _) => {
            env.flags |= NV;
            f.canonical_nan()
        }
        Val::Fin(false, e, m) => {
            // Scale m up to 126 or 127 bits keeping the exponent even, so
            // the root has 63 or 64 bits.
            let mut sh = m.leading_zeros() as i32 + 64 - 2;
            if (e - sh) % 2 != 0 {
                sh += 1;
            }
            let x = (m as u128) << sh;
            let r = isqrt(x);
            round_pack(f, env, false, (e - sh) / 2, r, r * r != x)
        }
        Val::Nan => f.canonical_nan(),
    }
}

/// Fused multiply-add: `±(a × b) ± c` with one rounding. `neg_prod`
/// negates the product, `neg_c` the addend (fmsub, fnmsub, fnmadd).
pub fn fma(f: Fmt, env: &mut Env, a: u64, b: u64, c: u64, neg_prod: bool, neg_c: bool) -> u64 {
    let (ua, ub) = (unpack(f, a), unpack(f, b));
    let inf_times_zero = matches!(
        (ua, ub),
        (Val::Inf(_), Val::Zero(_)) | (Val::Zero(_), Val::Inf(_))
    );
    // ∞ × 0 is invalid even when the addend is a quiet NaN.
    let any_nan = nan_check(f, env, &[a, b, c]);
    if inf_times_zero {
        env.flags |= NV;
        return f.canonical_nan();
    }
    if any_nan {
        return f.canonical_nan();
    }
    let sp = (f.sign(a) != f.sign(b)) != neg_prod;
    let c = if neg_c { c ^ f.sign_bit() } else { c };
    let sc = f.sign(c);
    match (ua, ub, unpack(f, c)) {
        (Val::Inf(_), _, uc) | (_, Val::Inf(_), uc) => {
            if uc == Val::Inf(!sp) {
                env.flags |= NV;
                f.canonical_nan()
            } else {
                f.inf(sp)
            }
        }
        (_, _, Val::Inf(s)) => f.inf(s),
        (Val::Zero(_), _, uc) | (_, Val::Zero(_), uc) => match uc {
            Val::Zero(_) => f.zero(if sp == sc { sp } else { zero_sum_sign(env) }),
            _ => c,
        },
        (Val::Fin(_, ea, ma), Val::Fin(_, eb, mb), Val::Zero(_)) => {
            round_pack(f, env, sp, ea + eb, ma as u128 * mb as u128, false)
        }
        (Val::Fin(_, ea, ma), Val::Fin(_, eb, mb), Val::Fin(_, ec, mc)) => add_finite(
            f,
            env,
            sp,
            ea + eb,
            ma as u128 * mb as u128,
            sc,
            ec,
            mc as u128,
        ),
        _ => f.canonical_nan(),
    }
}

/// Converts to an integer of `bits` (32 or 64) bits, signed or not, with
/// RISC-V's saturation: NaN and +overflow give the maximum, -overflow the
/// minimum, both raising only NV. The result is returned sign-extended to
/// 64 bits when `bits` is 32 (even for the unsigned forms, as RV64 does).
pub fn to_int(f: Fmt, env: &mut Env, a: u64, signed: bool, bits: u32) -> u64 {
    let (min, max): (i128, i128) = if signed {
        (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
    } else {
        (0, (1i128 << bits) - 1)
    };
    let v: Result<i128, bool> = match unpack(f, a) {
        Val::Nan => Err(false),
        Val::Inf(s) => Err(s),
        Val::Zero(_) => Ok(0),
        Val::Fin(s, e, m) => {
            let mag = if e >= 0 {
                if e > 64 {
                    None
                } else {
                    Some(((m as u128) << e, false))
                }
            } else {
                let (k, inexact, up) = shift_round(m as u128, -e, false, env.rm, s);
                Some((k + up as u128, inexact))
            };
            match mag {
                None => Err(s),
                Some((k, inexact)) => {
                    let v = if s { -(k as i128) } else { k as i128 };
                    if v < min || v > max {
                        Err(s)
                    } else {
                        if inexact {
                            env.flags |= NX;
                        }
                        Ok(v)
                    }
                }
            }
        }
    };
    let v = v.unwrap_or_else(|neg| {
        env.flags |= NV;
        if neg {
            min
        } else {
            max
        }
    });
    if bits == 32 {
        v as u32 as i32 as i64 as u64
    } else {
        v as u64
    }
}

/// Converts an integer to format `f`: `v` is read as a `bits`-bit (32 or
/// 64) signed or unsigned integer from the register's low bits.
pub fn from_int(f: Fmt, env: &mut Env, v: u64, signed: bool, bits: u32) -> u64 {
    let (neg, mag) = match (signed, bits) {
        (true, 32) => {
            let x = v as i32 as i64;
            (x < 0, x.unsigned_abs())
        }
        (false, 32) => (false, v as u32 as u64),
        (true, _) => {
            let x = v as i64;
            (x < 0, x.unsigned_abs())
        }
        (false, _) => (false, v),
    };
    round_pack(f, env, neg, 0, mag as u128, false)
}

/// Converts between the two formats (rounding when narrowing).
pub fn convert(from: Fmt, to: Fmt, env: &mut Env, a: u64) -> u64 {
    if nan_check(from, env, &[a]) {
        return to.canonical_nan();
    }
    match unpack(from, a) {
        Val::Zero(s) => to.zero(s),
        Val::Inf(s) => to.inf(s),
        Val::Fin(s, e, m) => round_pack(to, env, s, e, m as u128, false),
        Val::Nan => to.canonical_nan(),
    }
}

/// `feq`: quiet comparison (NV only for signalling NaNs).
pub fn feq(f: Fmt, env: &mut Env, a: u64, b: u64) -> u64 {
    if nan_check(f, env, &[a, b]) {
        return 0;
    }
    (f.to_f64(a) == f.to_f64(b)) as u64
}

/// `flt` (`le` false) / `fle` (`le` true): signalling comparisons (NV for
/// any NaN).
pub fn flt_le(f: Fmt, env: &mut Env, a: u64, b: u64, le: bool) -> u64 {
    if f.is_nan(a) || f.is_nan(b) {
        env.flags |= NV;
        return 0;
    }
    let (x, y) = (f.to_f64(a), f.to_f64(b));
    (if le { x <= y } else { x < y }) as u64
}

/// `fmin` / `fmax` (IEEE 754-2019 minimumNumber/maximumNumber): a NaN
/// operand yields the other operand, two NaNs the canonical NaN, and
/// -0 orders below +0. NV for signalling NaNs.
pub fn fminmax(f: Fmt, env: &mut Env, a: u64, b: u64, max: bool) -> u64 {
    nan_check(f, env, &[a, b]);
    match (f.is_nan(a), f.is_nan(b)) {
        (true, true) => f.canonical_nan(),
        (true, false) => b,
        (false, true) => a,
        (false, false) => {
            let (x, y) = (f.to_f64(a), f.to_f64(b));
            let a_first = if x == y {
                // Equal values differ only for ±0: min takes the negative one.
                f.sign(a) != max
            } else {
                (x < y) != max
            };
            if a_first {
                a
            } else {
                b
            }
        }
    }
}

/// `fclass`: a one-hot mask of the operand's class.
pub fn fclass(f: Fmt, a: u64) -> u64 {
    let bit = match unpack(f, a) {
        Val::Inf(true) => 0,
        Val::Fin(true, _, _) if a & f.exp_mask() != 0 => 1,
        Val::Fin(true, _, _) => 2,
        Val::Zero(true) => 3,
        Val::Zero(false) => 4,
        Val::Fin(false, _, _) if a & f.exp_mask() == 0 => 5,
        Val::Fin(false, _, _) => 6,
        Val::Inf(false) => 7,
        Val::Nan if f.is_snan(a) => 8,
        Val::Nan => 9,
    };
    1 << bit
}

#[cfg(test)]
mod tests;
