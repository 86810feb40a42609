//! Variable-time point arithmetic on secp256k1, for recovering senders.
//!
//! Recovery computes `u1·G + u2·R` for public `u1`, `u2` and `R`. k256's `ProjectivePoint::lincomb`
//! does it in constant time, as signing needs: complete projective formulas, table lookups that read
//! every entry, and one addition per 4-bit digit of each scalar, zero or not. With public inputs
//! the usual variable-time method (libsecp256k1's for verification and recovery) does less:
//! - Jacobian coordinates, whose doubling (2M + 5S) costs about half the complete formula's; the
//!   special cases of addition (equal or opposite points, infinity) are tested for;
//! - the curve's endomorphism `λ·(x, y) = (β·x, y)` (GLV): each scalar splits into two halves below
//!   2^128, `k ≡ k1 + k2·λ (mod n)`, and the four halves share 128 doublings;
//! - each half in width-w NAF (odd digits, at least w − 1 zeros after each), so there is one
//!   addition per w + 1 bits on average, and zero digits cost nothing;
//! - the odd multiples of `G` and of `λ·G` computed once, as affine points (a wide window and the
//!   cheaper mixed addition); those of `R` and `λ·R` per signature (a narrow window).
//!
//! The field is k256's `FieldElement`, whose values carry a magnitude (how far from reduced they
//! may be): a product's inputs must have magnitude at most 8, so sums are weakly normalised before
//! they could exceed it, and every point's coordinates have magnitude 1. Debug builds of k256
//! check these bounds, so the tests check them too.

use std::sync::OnceLock;

use alloy_primitives::{U256, U512, hex};
use k256::{
    FieldBytes, FieldElement, Scalar,
    elliptic_curve::{PrimeField, ops::Reduce, scalar::IsHigh},
};

/// Window width for the generator: 2^(W_G − 2) precomputed odd multiples of `G` and of `λ·G`.
const W_G: usize = 8;
/// Window width for `R`, whose multiples are computed per signature.
const W_R: usize = 5;
/// Digits of the width-w NAF of a number below 2^128: one more than its bits, for a last carry.
const WNAF_LEN: usize = 129;

/// A finite point in affine coordinates, each of magnitude 1.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Affine {
    pub(crate) x: FieldElement,
    pub(crate) y: FieldElement,
}

impl Affine {
    /// The point with x-coordinate `x` and a y-coordinate of the given parity, if there is one
    /// (`x` below p, and `x³ + 7` a square).
    pub(crate) fn decompress(x: &FieldBytes, y_is_odd: bool) -> Option<Self> {
        let x = Option::<FieldElement>::from(FieldElement::from_bytes(x))?;
        let y = Option::<FieldElement>::from((x.square() * x + FieldElement::from(7)).sqrt())?
            .normalize();
        let y = match bool::from(y.is_odd()) == y_is_odd {
            true => y,
            false => y.negate(1).normalize(),
        };
        Some(Self { x, y })
    }

    /// The uncompressed encoding without its prefix: `x ‖ y`, big-endian.
    pub(crate) fn to_raw(self) -> [u8; 64] {
        let mut raw = [0; 64];
        raw[..32].copy_from_slice(&self.x.normalize().to_bytes());
        raw[32..].copy_from_slice(&self.y.normalize().to_bytes());
        raw
    }

    fn negate(&self) -> Self {
        Self {
            x: self.x,
            y: self.y.negate(1).normalize_weak(),
        }
    }

    /// `λ·self`.
    fn endomorphism(&self, beta: &FieldElement) -> Self {
        Self {
            x: (self.x * beta).normalize(),
            y: self.y,
        }
    }
}

/// A point in Jacobian coordinates, `(X/Z², Y/Z³)`, each of magnitude 1, or the point at infinity.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Jacobian {
    x: FieldElement,
    y: FieldElement,
    z: FieldElement,
    infinity: bool,
}

impl Jacobian {
    const INFINITY: Self = Self {
        x: FieldElement::ZERO,
        y: FieldElement::ZERO,
        z: FieldElement::ZERO,
        infinity: true,
    };

    fn from_affine(p: &Affine) -> Self {
        Self {
            x: p.x,
            y: p.y,
            z: FieldElement::ONE,
            infinity: false,
        }
    }

    /// k256's affine point, infinity included.
    pub(crate) fn from_k256(p: &k256::AffinePoint) -> Self {
        use k256::elliptic_curve::sec1::{Coordinates, ToEncodedPoint};
        let encoded = p.to_encoded_point(false);
        let Coordinates::Uncompressed { x, y } = encoded.coordinates() else {
            return Self::INFINITY;
        };
        let coordinate = |c| Option::<FieldElement>::from(FieldElement::from_bytes(c));
        match (coordinate(x), coordinate(y)) {
            (Some(x), Some(y)) => Self::from_affine(&Affine { x, y }),
            _ => Self::INFINITY,
        }
    }

    fn negate(&self) -> Self {
        Self {
            y: self.y.negate(1).normalize_weak(),
            ..*self
        }
    }

    /// `λ·self`.
    fn endomorphism(&self, beta: &FieldElement) -> Self {
        Self {
            x: self.x * beta,
            ..*self
        }
    }

    /// `2·self` ("dbl-2009-l", for a = 0). secp256k1 has no point of order two, so the double of a
    /// finite point is finite.
    fn double(&self) -> Self {
        if self.infinity {
            return *self;
        }
        let a = self.x.square();
        let b = self.y.square();
        let c = b.square();
        // D = 2·((X + B)² − A − C), E = 3·A
        let d = ((self.x + b).square() + a.negate(1) + c.negate(1))
            .double()
            .normalize_weak();
        let e = a.mul_single(3);
        // X3 = E² − 2·D, Y3 = E·(D − X3) − 8·C, Z3 = 2·Y·Z
        let x = (e.square() + d.double().negate(2)).normalize_weak();
        let y = (e * (d + x.negate(1)) + c.mul_single(8).negate(8)).normalize_weak();
        let z = (self.y * self.z).double().normalize_weak();
        Self {
            x,
            y,
            z,
            infinity: false,
        }
    }

    /// `self + other` (12M + 4S).
    fn add(&self, other: &Self) -> Self {
        if self.infinity {
            return *other;
        }
        if other.infinity {
            return *self;
        }
        let z1z1 = self.z.square();
        let z2z2 = other.z.square();
        let u1 = self.x * z2z2;
        let u2 = other.x * z1z1;
        let s1 = self.y * (z2z2 * other.z);
        let s2 = other.y * (z1z1 * self.z);
        self.end_add(other, [u1, u2, s1, s2], self.z * other.z)
    }

    /// `self + other` for an affine `other` (8M + 3S).
    fn add_affine(&self, other: &Affine) -> Self {
        if self.infinity {
            return Self::from_affine(other);
        }
        let z1z1 = self.z.square();
        let u2 = other.x * z1z1;
        let s2 = other.y * (z1z1 * self.z);
        let other = Self::from_affine(other);
        self.end_add(&other, [self.x, u2, self.y, s2], self.z)
    }

    /// What both additions share ("add-1998-cmo-2"), given `U1 = X1·Z2²`, `U2 = X2·Z1²`,
    /// `S1 = Y1·Z2³`, `S2 = Y2·Z1³` and `Z1·Z2`, all of magnitude 1.
    fn end_add(
        &self,
        other: &Self,
        [u1, u2, s1, s2]: [FieldElement; 4],
        z1z2: FieldElement,
    ) -> Self {
        let h = u2 + u1.negate(1);
        let r = s2 + s1.negate(1);
        if bool::from(h.normalizes_to_zero()) {
            // The same x-coordinate: the points are equal or opposite.
            return match bool::from(r.normalizes_to_zero()) {
                true => other.double(),
                false => Self::INFINITY,
            };
        }
        // X3 = R² − H³ − 2·U1·H², Y3 = R·(U1·H² − X3) − S1·H³, Z3 = Z1·Z2·H
        let h2 = h.square();
        let h3 = h * h2;
        let u1h2 = u1 * h2;
        let x = (r.square() + h3.negate(1) + u1h2.double().negate(2)).normalize_weak();
        let y = (r * (u1h2 + x.negate(1)) + (s1 * h3).negate(1)).normalize_weak();
        Self {
            x,
            y,
            z: z1z2 * h,
            infinity: false,
        }
    }
}

/// The affine forms of many points, with one field inversion for all (Montgomery's trick); `None`
/// for the point at infinity.
pub(crate) fn to_affine_all(points: &[Jacobian]) -> Vec<Option<Affine>> {
    // prefix[i]: the product of the finite points' Z up to and including i (never zero).
    let mut prefix = Vec::with_capacity(points.len());
    let mut product = FieldElement::ONE;
    for p in points.iter().filter(|p| !p.infinity) {
        product *= p.z;
        prefix.push(product);
    }
    let mut out = vec![None; points.len()];
    let Some(mut inverse) = Option::<FieldElement>::from(product.invert()) else {
        return out;
    };
    // Walking back, `inverse` is the inverse of prefix[k], k counting the finite points.
    let mut k = prefix.len();
    for (i, p) in points.iter().enumerate().rev() {
        if p.infinity {
            continue;
        }
        k -= 1;
        let z_inv = match k {
            0 => inverse,
            _ => inverse * prefix[k - 1],
        };
        inverse *= p.z;
        let z_inv2 = z_inv.square();
        out[i] = Some(Affine {
            x: (p.x * z_inv2).normalize(),
            y: (p.y * (z_inv2 * z_inv)).normalize(),
        });
    }
    out
}

/// `β`, and the generator's odd multiples and theirs by λ, computed on first use.
struct Tables {
    beta: FieldElement,
    g: Vec<Affine>,
    g_lambda: Vec<Affine>,
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let beta = field(hex!(
            "7ae96a2b657c07106e64479eac3434e99cf0497512f58995c1396c28719501ee"
        ));
        let generator = Affine {
            x: field(hex!(
                "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
            )),
            y: field(hex!(
                "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8"
            )),
        };
        let g: Vec<Affine> = to_affine_all(&odd_multiples(&generator, W_G))
            .into_iter()
            .flatten()
            .collect();
        let g_lambda = g.iter().map(|p| p.endomorphism(&beta)).collect();
        Tables { beta, g, g_lambda }
    })
}

/// A field constant, given big-endian (each one below p).
fn field(bytes: [u8; 32]) -> FieldElement {
    FieldElement::from_bytes(&bytes.into()).expect("the constant is below p")
}

/// `v mod n`.
fn scalar(v: U256) -> Scalar {
    <Scalar as Reduce<k256::U256>>::reduce_bytes(&v.to_be_bytes::<32>().into())
}

/// `P, 3P, 5P, …`: the 2^(w − 2) odd multiples of `p`.
fn odd_multiples(p: &Affine, w: usize) -> Vec<Jacobian> {
    let twice = Jacobian::from_affine(p).double();
    let mut out = Vec::with_capacity(1 << (w - 2));
    out.push(Jacobian::from_affine(p));
    for i in 1..1 << (w - 2) {
        let next = match i {
            1 => twice.add_affine(p),
            _ => out[i - 1].add(&twice),
        };
        out.push(next);
    }
    out
}

/// The width-`w` NAF of `k`: `k = Σ digits[i]·2^i`, each nonzero digit odd and below 2^(w − 1) in
/// absolute value, and followed by at least w − 1 zeros.
fn wnaf(k: u128, w: usize) -> [i8; WNAF_LEN] {
    let bits = |from: usize, count: usize| -> u32 {
        match from {
            128.. => 0,
            _ => ((k >> from) & ((1 << count) - 1)) as u32,
        }
    };
    let mut digits = [0; WNAF_LEN];
    let mut carry = 0;
    let mut bit = 0;
    while bit < WNAF_LEN {
        if bits(bit, 1) == carry {
            bit += 1;
            continue;
        }
        let width = w.min(WNAF_LEN - bit);
        // Odd, at most 2^w − 1 + 1; above 2^(w − 1) it becomes negative and carries one.
        let word = (bits(bit, width) + carry) as i32;
        carry = (word >> (w - 1)) as u32 & 1;
        digits[bit] = (word - ((carry as i32) << w)) as i8;
        bit += width;
    }
    digits
}

/// `−λ mod n`, where `λ·(x, y) = (β·x, y)`.
const MINUS_LAMBDA: U256 = U256::from_be_bytes(hex!(
    "ac9c52b33fa3cf1f5ad9e3fd77ed9ba4a880b9fc8ec739c2e0cfc810b51283cf"
));

/// `k` split as `k ≡ k1 + k2·λ (mod n)`, each half given as its sign (true: negative) and its
/// magnitude, which is below 2^128; `None` if one were not (the method's bound excludes it).
///
/// Hankerson, Menezes and Vanstone, Guide to Elliptic Curve Cryptography, algorithm 3.74, with the
/// two rounded divisions by n replaced by products with g1/2^384 and g2/2^384 (libsecp256k1's
/// constants and bound).
fn split(k: &Scalar) -> Option<[(bool, u128); 2]> {
    const G1: U256 = U256::from_be_bytes(hex!(
        "3086d221a7d46bcde86c90e49284eb153daa8a1471e8ca7fe893209a45dbb031"
    ));
    const G2: U256 = U256::from_be_bytes(hex!(
        "e4437ed6010e88286f547fa90abfe4c4221208ac9df506c61571b4ae8ac47f71"
    ));
    const MINUS_B1: U256 = U256::from_be_bytes(hex!(
        "00000000000000000000000000000000e4437ed6010e88286f547fa90abfe4c3"
    ));
    const MINUS_B2: U256 = U256::from_be_bytes(hex!(
        "fffffffffffffffffffffffffffffffe8a280ac50774346dd765cda83db1562c"
    ));
    let k_int = U256::from_be_bytes::<32>(k.to_repr().into());
    // round(k·g / 2^384)
    let rounded = |g: U256| -> Scalar {
        let wide: U512 = k_int.widening_mul(g);
        scalar(((wide >> 384usize) + ((wide >> 383usize) & U512::from(1))).saturating_to())
    };
    let k2 = rounded(G1) * scalar(MINUS_B1) + rounded(G2) * scalar(MINUS_B2);
    let k1 = *k + k2 * scalar(MINUS_LAMBDA);
    let half = |s: Scalar| -> Option<(bool, u128)> {
        let negative = bool::from(s.is_high());
        let magnitude: [u8; 32] = if negative { -s } else { s }.to_repr().into();
        let (high, low) = magnitude.split_at(16);
        match high.iter().all(|&b| b == 0) {
            true => Some((negative, u128::from_be_bytes(low.try_into().ok()?))),
            false => None,
        }
    };
    Some([half(k1)?, half(k2)?])
}

/// `u1·G + u2·R`, in variable time; `None` only if a scalar's split were out of its bound.
pub(crate) fn mul_add(u1: &Scalar, u2: &Scalar, r: &Affine) -> Option<Jacobian> {
    let tables = tables();
    let [(g_negative, g_k1), (g_lambda_negative, g_k2)] = split(u1)?;
    let [(r_negative, r_k1), (r_lambda_negative, r_k2)] = split(u2)?;
    let r_table = odd_multiples(r, W_R);
    let r_lambda_table: Vec<Jacobian> = r_table
        .iter()
        .map(|p| p.endomorphism(&tables.beta))
        .collect();

    let g_digits = [wnaf(g_k1, W_G), wnaf(g_k2, W_G)];
    let r_digits = [wnaf(r_k1, W_R), wnaf(r_k2, W_R)];
    let g_halves = [
        (g_negative, &tables.g),
        (g_lambda_negative, &tables.g_lambda),
    ];
    let r_halves = [(r_negative, &r_table), (r_lambda_negative, &r_lambda_table)];
    let top = g_digits
        .iter()
        .chain(&r_digits)
        .filter_map(|d| d.iter().rposition(|&x| x != 0))
        .max();

    let mut acc = Jacobian::INFINITY;
    for i in (0..=top.unwrap_or(0)).rev() {
        acc = acc.double();
        // A digit d of a half whose sign is negative adds −d times the point.
        for (digits, (negative, table)) in g_digits.iter().zip(g_halves) {
            if let Some(p) = pick(digits[i], negative, table) {
                acc = acc.add_affine(&match p {
                    (p, false) => *p,
                    (p, true) => p.negate(),
                });
            }
        }
        for (digits, (negative, table)) in r_digits.iter().zip(r_halves) {
            if let Some(p) = pick(digits[i], negative, table) {
                acc = acc.add(&match p {
                    (p, false) => *p,
                    (p, true) => p.negate(),
                });
            }
        }
    }
    Some(acc)
}

/// The table entry for a nonzero digit `d`, `|d|·P`, and whether to negate it.
fn pick<T>(d: i8, negative: bool, table: &[T]) -> Option<(&T, bool)> {
    let entry = table.get(usize::from(d.unsigned_abs() / 2))?;
    (d != 0).then_some((entry, (d < 0) != negative))
}

#[cfg(test)]
mod tests {
    use k256::{
        AffinePoint, ProjectivePoint,
        elliptic_curve::{ops::MulByGenerator, sec1::ToEncodedPoint},
    };

    use super::*;

    /// A deterministic sequence of scalars spread over the whole range.
    fn scalars(count: u64) -> impl Iterator<Item = Scalar> {
        (0..count).map(|i| {
            scalar(U256::from_be_bytes(
                alloy_primitives::keccak256(i.to_be_bytes()).0,
            ))
        })
    }

    fn edge_scalars() -> Vec<Scalar> {
        let lambda = -scalar(MINUS_LAMBDA);
        let mut edges = vec![
            Scalar::ZERO,
            Scalar::ONE,
            Scalar::from(2u64),
            Scalar::from(3u64),
        ];
        edges.extend([
            -Scalar::ONE,
            -Scalar::from(2u64),
            lambda,
            -lambda,
            lambda + Scalar::ONE,
        ]);
        edges.push(scalar(U256::from(1) << 128));
        edges.push(scalar((U256::from(1) << 128) - U256::from(1)));
        edges.push(scalar(U256::MAX >> 1));
        edges
    }

    /// k256's point as `x ‖ y`, or `None` for infinity.
    fn raw(p: &ProjectivePoint) -> Option<[u8; 64]> {
        let encoded = p.to_affine().to_encoded_point(false);
        encoded
            .as_bytes()
            .get(1..65)
            .map(|b| b.try_into().expect("64 bytes"))
    }

    fn affine(p: &ProjectivePoint) -> Affine {
        let raw = raw(p).expect("a finite point");
        Affine {
            x: field(raw[..32].try_into().expect("32 bytes")),
            y: field(raw[32..].try_into().expect("32 bytes")),
        }
    }

    fn result(p: Option<Jacobian>) -> Option<[u8; 64]> {
        to_affine_all(&[p.expect("in bound")])[0].map(Affine::to_raw)
    }

    #[test]
    fn the_tables_hold_odd_multiples_and_beta_is_lambdas_endomorphism() {
        let tables = tables();
        assert_eq!(tables.g.len(), 1 << (W_G - 2));
        for (i, (p, q)) in tables.g.iter().zip(&tables.g_lambda).enumerate() {
            let k = Scalar::from(2 * i as u64 + 1);
            let expected = ProjectivePoint::mul_by_generator(&k);
            assert_eq!(Some(p.to_raw()), raw(&expected), "{}G", 2 * i + 1);
            assert_eq!(
                Some(q.to_raw()),
                raw(&expected.endomorphism()),
                "{}·λG",
                2 * i + 1
            );
        }
    }

    #[test]
    fn wnaf_digits_are_odd_bounded_spaced_and_sum_to_the_number() {
        let numbers = (0..300u64)
            .map(|i| {
                u128::from_be_bytes(
                    alloy_primitives::keccak256(i.to_be_bytes())[..16]
                        .try_into()
                        .unwrap(),
                ) >> (i % 128)
            })
            .chain([0, 1, 2, u128::MAX, u128::MAX - 1, 1 << 127, (1 << 127) - 1]);
        for k in numbers {
            for w in [2, W_R, W_G] {
                let digits = wnaf(k, w);
                let mut sum = U256::ZERO;
                let mut last: Option<usize> = None;
                for (i, &d) in digits.iter().enumerate().filter(|(_, d)| **d != 0) {
                    assert!(d % 2 != 0, "{k:x} w {w}: even digit {d} at {i}");
                    assert!(
                        i32::from(d).unsigned_abs() < 1 << (w - 1),
                        "{k:x} w {w}: digit {d}"
                    );
                    if let Some(last) = last {
                        assert!(i - last >= w, "{k:x} w {w}: digits at {last} and {i}");
                    }
                    last = Some(i);
                    let term = U256::from(i32::from(d).unsigned_abs()) << i;
                    sum = if d < 0 { sum - term } else { sum + term };
                }
                assert_eq!(sum, U256::from(k), "w {w}");
            }
        }
    }

    #[test]
    fn split_halves_are_short_and_recombine() {
        let lambda = -scalar(MINUS_LAMBDA);
        assert_eq!(
            lambda * lambda * lambda,
            Scalar::ONE,
            "λ is a cube root of one"
        );
        for k in scalars(2000).chain(edge_scalars()) {
            let [(n1, k1), (n2, k2)] = split(&k).expect("within the bound");
            let signed = |negative: bool, v: u128| {
                let v = scalar(U256::from(v));
                if negative { -v } else { v }
            };
            assert_eq!(signed(n1, k1) + signed(n2, k2) * lambda, k);
        }
    }

    #[test]
    fn mul_add_agrees_with_k256() {
        use k256::elliptic_curve::ops::LinearCombination;
        let points: Vec<ProjectivePoint> = scalars(40)
            .map(|k| ProjectivePoint::mul_by_generator(&k))
            .chain([ProjectivePoint::GENERATOR, -ProjectivePoint::GENERATOR])
            .collect();
        let u1s: Vec<Scalar> = scalars(60).skip(40).chain(edge_scalars()).collect();
        let u2s: Vec<Scalar> = scalars(80).skip(60).chain(edge_scalars()).collect();
        for (i, r) in points.iter().enumerate() {
            for (u1, u2) in u1s.iter().zip(u2s.iter().cycle().skip(i)) {
                let expected = ProjectivePoint::lincomb(&ProjectivePoint::GENERATOR, u1, r, u2);
                assert_eq!(result(mul_add(u1, u2, &affine(r))), raw(&expected));
            }
        }
    }

    #[test]
    fn mul_add_meets_the_special_cases_of_addition() {
        // R = k·G, so u1·G + u2·R = (u1 + k·u2)·G: pick u1 to make it infinity, or G, or to make
        // the running sum meet R or −R on the way.
        for k in scalars(20)
            .chain(edge_scalars())
            .filter(|k| !bool::from(k.is_zero()))
        {
            let r_point = ProjectivePoint::mul_by_generator(&k);
            let r = affine(&r_point);
            for u2 in [
                Scalar::ONE,
                Scalar::from(2u64),
                -Scalar::ONE,
                k,
                k * k + Scalar::ONE,
            ] {
                for target in [Scalar::ZERO, Scalar::ONE, -Scalar::ONE, k, -k, k + k] {
                    let u1 = target - k * u2;
                    let got = result(mul_add(&u1, &u2, &r));
                    assert_eq!(got, raw(&ProjectivePoint::mul_by_generator(&target)));
                }
            }
            // Doubling a point in an addition: u1·G + u2·R with u1·G = u2·R.
            let got = result(mul_add(&k, &Scalar::ONE, &r));
            assert_eq!(got, raw(&r_point.double()));
        }
    }

    #[test]
    fn to_affine_all_skips_infinity_anywhere() {
        let finite = |k: u64| {
            let p = ProjectivePoint::mul_by_generator(&Scalar::from(k));
            (
                Jacobian::from_affine(&affine(&p)).double(),
                raw(&p.double()),
            )
        };
        let (a, a_raw) = finite(5);
        let (b, b_raw) = finite(9);
        for points in [
            vec![],
            vec![Jacobian::INFINITY],
            vec![a, Jacobian::INFINITY, b],
            vec![Jacobian::INFINITY, a, b, Jacobian::INFINITY],
        ] {
            let expected: Vec<Option<[u8; 64]>> = points
                .iter()
                .map(|p| match p.infinity {
                    true => None,
                    false if p.x == a.x => a_raw,
                    false => b_raw,
                })
                .collect();
            let got: Vec<Option<[u8; 64]>> = to_affine_all(&points)
                .into_iter()
                .map(|p| p.map(Affine::to_raw))
                .collect();
            assert_eq!(got, expected);
        }
    }

    #[test]
    fn decompress_agrees_with_k256() {
        use k256::elliptic_curve::{point::DecompressPoint, subtle::Choice};
        for x in 0..60u64 {
            let bytes = FieldBytes::from(U256::from(x).to_be_bytes::<32>());
            for odd in [false, true] {
                let theirs = Option::<AffinePoint>::from(AffinePoint::decompress(
                    &bytes,
                    Choice::from(u8::from(odd)),
                ))
                .map(ProjectivePoint::from);
                assert_eq!(
                    Affine::decompress(&bytes, odd).map(Affine::to_raw),
                    theirs.and_then(|p| raw(&p)),
                    "x {x}"
                );
            }
        }
        // p itself is not a field element.
        let p = FieldBytes::from(hex!(
            "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f"
        ));
        assert!(Affine::decompress(&p, false).is_none());
    }
}
