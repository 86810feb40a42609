//! Recovering the sender of a signed transaction.
//!
//! Sender recovery is most of the cost of verifying a batch of transfers, in the browser above all.
//! Without the `secp256k1` feature the light node recovers with the pure-Rust k256, which builds
//! for wasm; with it (the server), with libsecp256k1 through alloy.
//!
//! The k256 path is ECDSA public-key recovery, `Q = r⁻¹·(s·R − z·G)`, with k256's scalars and field
//! and the variable-time point arithmetic of [`super::curve`]. It differs from
//! `VerifyingKey::recover_from_prehash`, which alloy's k256 backend calls, in ways that change no
//! result:
//! - that function verifies the signature against the key it has just recovered. The check cannot
//!   fail: for any valid `r`, `s` and point `R` with `x(R) = r`, the recovered `Q` satisfies
//!   `z/s·G + r/s·Q = R`, whose x-coordinate is `r`. It doubles the cost, so it is left out;
//! - it runs in constant time. Every input here is public (transactions are broadcast), so
//!   constant-time code buys nothing, and recovery with the variable-time multiplication takes
//!   about three quarters of the time natively and two thirds in wasm (docs/benchmarks.md).
//!
//! [`recover_all`] recovers many senders at once, such as a block's, and shares two inversions
//! among them (Montgomery's trick): one for all the `r` values (k256's `BatchInvert`), one for the
//! recovered points' coordinates. Each costs about as much as a sender's whole point arithmetic
//! spends in a few dozen additions, so a block of many transfers recovers faster.

use alloy_consensus::{TxEnvelope, crypto::SECP256K1N_HALF};
use alloy_primitives::{Address, B256, Signature};
use k256::Scalar;

use super::curve::{self, Affine};

/// The address that signed the transaction, or `None` when its signature is invalid: `r` or `s`
/// zero or not below the curve's order, `s` in the order's upper half (EIP-2), or no curve point
/// with x-coordinate `r`.
pub(crate) fn recover_sender(tx: &TxEnvelope) -> Option<Address> {
    recover(tx.signature(), &tx.signature_hash())
}

/// The address whose key signed `hash` with `signature`, as [`recover_sender`].
pub(crate) fn recover(signature: &Signature, hash: &B256) -> Option<Address> {
    if signature.s() > SECP256K1N_HALF {
        return None;
    }
    #[cfg(feature = "secp256k1")]
    return alloy_consensus::crypto::secp256k1::recover_signer_unchecked(signature, *hash).ok();
    #[cfg(not(feature = "secp256k1"))]
    return recover_k256(signature, hash);
}

/// The address that signed each `(signature, hash)`, as [`recover`] gives it for each alone.
pub(crate) fn recover_all(signed: &[(Signature, B256)]) -> Vec<Option<Address>> {
    #[cfg(feature = "secp256k1")]
    return signed.iter().map(|(s, h)| recover(s, h)).collect();
    #[cfg(not(feature = "secp256k1"))]
    return recover_all_k256(signed);
}

/// A signature's values, checked: `r` and `s` in range and not zero, and the point `R`.
#[cfg_attr(feature = "secp256k1", allow(dead_code))]
struct Parts {
    r: Scalar,
    s: Scalar,
    big_r: Affine,
    z: Scalar,
}

#[cfg_attr(feature = "secp256k1", allow(dead_code))]
impl Parts {
    fn of(signature: &Signature, hash: &B256) -> Option<Self> {
        use k256::{
            FieldBytes, U256,
            elliptic_curve::{PrimeField, ops::Reduce},
        };

        let r_bytes = FieldBytes::from(signature.r().to_be_bytes::<32>());
        let r = Option::<Scalar>::from(Scalar::from_repr(r_bytes))?;
        let s =
            Option::<Scalar>::from(Scalar::from_repr(signature.s().to_be_bytes::<32>().into()))?;
        if bool::from(r.is_zero() | s.is_zero()) {
            return None;
        }
        // Ethereum's recovery id is the y parity alone: R's x-coordinate is r itself, never r + n.
        let big_r = Affine::decompress(&r_bytes, signature.v())?;
        let z = <Scalar as Reduce<U256>>::reduce_bytes(&FieldBytes::from(hash.0));
        Some(Self { r, s, big_r, z })
    }

    /// `Q = r⁻¹·(s·R − z·G)`, given `r⁻¹`.
    fn key(&self, r_inv: &Scalar) -> curve::Jacobian {
        let u1 = -(*r_inv * self.z);
        let u2 = *r_inv * self.s;
        curve::mul_add(&u1, &u2, &self.big_r).unwrap_or_else(|| self.key_k256(&u1, &u2))
    }

    /// `u1·G + u2·R` by k256's constant-time multiplication, for a scalar that
    /// [`curve::mul_add`] could not split within its bound (which the method excludes).
    #[cold]
    fn key_k256(&self, u1: &Scalar, u2: &Scalar) -> curve::Jacobian {
        use k256::{
            AffinePoint, EncodedPoint, ProjectivePoint,
            elliptic_curve::{ops::LinearCombination, sec1::FromEncodedPoint},
        };
        let raw = self.big_r.to_raw();
        let encoded = EncodedPoint::from_untagged_bytes(&raw.into());
        let big_r = AffinePoint::from_encoded_point(&encoded).unwrap_or(AffinePoint::IDENTITY);
        let q = ProjectivePoint::lincomb(&ProjectivePoint::GENERATOR, u1, &big_r.into(), u2);
        curve::Jacobian::from_k256(&q.to_affine())
    }
}

/// The address of a recovered key.
#[cfg_attr(feature = "secp256k1", allow(dead_code))]
fn address(key: Affine) -> Address {
    Address::from_raw_public_key(&key.to_raw())
}

/// Recovery with k256; see the module's documentation.
#[cfg_attr(feature = "secp256k1", allow(dead_code))]
fn recover_k256(signature: &Signature, hash: &B256) -> Option<Address> {
    use k256::elliptic_curve::ops::Invert;
    let parts = Parts::of(signature, hash)?;
    let r_inv = Option::<Scalar>::from(parts.r.invert_vartime())?;
    curve::to_affine_all(&[parts.key(&r_inv)])[0].map(address)
}

/// [`recover_all`] with k256, sharing the inversions; see the module's documentation.
#[cfg_attr(feature = "secp256k1", allow(dead_code))]
fn recover_all_k256(signed: &[(Signature, B256)]) -> Vec<Option<Address>> {
    use k256::elliptic_curve::ops::BatchInvert;

    let parts: Vec<Option<Parts>> = signed
        .iter()
        .map(|(signature, hash)| {
            (signature.s() <= SECP256K1N_HALF)
                .then(|| Parts::of(signature, hash))
                .flatten()
        })
        .collect();
    let rs: Vec<Scalar> = parts.iter().flatten().map(|p| p.r).collect();
    // Inverting a batch of one costs more than inverting one alone (in constant time).
    let inverted = match rs.len() {
        0 | 1 => None,
        _ => Option::<Vec<Scalar>>::from(<Scalar as BatchInvert<[Scalar]>>::batch_invert(&rs)),
    };
    let Some(r_invs) = inverted else {
        return signed.iter().map(|(s, h)| recover(s, h)).collect();
    };
    let keys: Vec<curve::Jacobian> = parts
        .iter()
        .flatten()
        .zip(&r_invs)
        .map(|(p, r_inv)| p.key(r_inv))
        .collect();
    let mut keys = curve::to_affine_all(&keys).into_iter();
    parts
        .iter()
        .map(|p| p.as_ref().and_then(|_| keys.next()).flatten().map(address))
        .collect()
}

#[cfg(test)]
mod tests {
    use alloy_consensus::crypto::secp256k1::recover_signer;
    use alloy_primitives::{U256, keccak256};

    use super::*;

    /// The secp256k1 group order.
    const ORDER: U256 = U256::from_be_bytes(alloy_primitives::hex!(
        "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"
    ));

    fn sign(key_seed: u64, message: u64) -> (Signature, B256) {
        use k256::ecdsa::SigningKey;
        let key = SigningKey::from_slice(keccak256(key_seed.to_be_bytes()).as_slice())
            .expect("a valid key");
        let hash = keccak256(message.to_be_bytes());
        let (sig, id) = key
            .sign_prehash_recoverable(hash.as_slice())
            .expect("signs");
        (Signature::from((sig, id)), hash)
    }

    #[test]
    fn recovers_what_alloy_recovers() {
        for i in 0..200 {
            let (signature, hash) = sign(i, i * 7 + 1);
            let expected = recover_signer(&signature, hash).expect("alloy recovers");
            assert_eq!(recover_k256(&signature, &hash), Some(expected));
            assert_eq!(recover(&signature, &hash), Some(expected));
        }
    }

    #[test]
    fn the_other_parity_recovers_another_key_or_none() {
        for i in 0..50 {
            let (signature, hash) = sign(i, i + 1000);
            let flipped = signature.with_parity(!signature.v());
            let ours = recover_k256(&flipped, &hash);
            assert_eq!(ours, recover_signer(&flipped, hash).ok());
            assert_ne!(ours, recover_signer(&signature, hash).ok());
        }
    }

    #[test]
    fn refuses_what_alloy_refuses() {
        let (good, hash) = sign(1, 2);
        let out_of_range = [
            (U256::ZERO, good.s()),
            (good.r(), U256::ZERO),
            (ORDER, good.s()),
            (ORDER + U256::from(1), good.s()),
            (U256::MAX, good.s()),
        ];
        // High s (EIP-2): k256 alone would recover these, the light node must not.
        let high_s = [
            (good.r(), ORDER - good.s()),
            (good.r(), SECP256K1N_HALF + U256::from(1)),
        ];
        for (r, s) in out_of_range.into_iter().chain(high_s) {
            for parity in [false, true] {
                let signature = Signature::new(r, s, parity);
                assert_eq!(recover(&signature, &hash), None, "r {r:x} s {s:x}");
                assert!(recover_signer(&signature, hash).is_err());
            }
        }
        for (r, s) in out_of_range {
            for parity in [false, true] {
                let signature = Signature::new(r, s, parity);
                assert_eq!(recover_k256(&signature, &hash), None, "r {r:x} s {s:x}");
            }
        }
    }

    #[test]
    fn recovering_together_gives_what_recovering_alone_gives() {
        // Valid signatures among every kind of invalid one, in batches of every small size.
        let mut signed = Vec::new();
        for i in 0..40u64 {
            let (good, hash) = sign(i, i + 77);
            let signature = match i % 8 {
                0 => Signature::new(U256::ZERO, good.s(), good.v()),
                1 => Signature::new(good.r(), ORDER - good.s(), !good.v()),
                2 => Signature::new(U256::from(i), good.s(), false),
                3 => good.with_parity(!good.v()),
                4 => Signature::new(ORDER, good.s(), good.v()),
                _ => good,
            };
            signed.push((signature, hash));
        }
        for len in 0..=signed.len() {
            let batch = &signed[..len];
            let alone: Vec<_> = batch.iter().map(|(s, h)| recover(s, h)).collect();
            assert_eq!(recover_all_k256(batch), alone, "the first {len}");
            assert_eq!(recover_all(batch), alone, "the first {len}");
        }
        assert!(signed.iter().any(|(s, h)| recover(s, h).is_none()));
        assert!(
            signed
                .iter()
                .filter(|(s, h)| recover(s, h).is_some())
                .count()
                > 20
        );
    }

    #[test]
    fn the_constant_time_fallback_gives_the_same_keys() {
        use k256::elliptic_curve::ops::Invert;
        for i in 0..20 {
            let (signature, hash) = sign(i, i + 500);
            let parts = Parts::of(&signature, &hash).expect("a valid signature");
            let r_inv = Option::<Scalar>::from(parts.r.invert_vartime()).expect("r is not zero");
            let (u1, u2) = (-(r_inv * parts.z), r_inv * parts.s);
            let keys = curve::to_affine_all(&[parts.key(&r_inv), parts.key_k256(&u1, &u2)]);
            let [Some(ours), Some(k256)] = keys.as_slice() else {
                panic!("both keys are finite: {keys:?}");
            };
            assert_eq!(ours.to_raw(), k256.to_raw());
            assert_eq!(Some(address(*ours)), recover_signer(&signature, hash).ok());
        }
    }

    #[test]
    fn an_r_off_the_curve_recovers_nothing() {
        // About half of all x-coordinates have no point on the curve; both must agree on each.
        let (good, hash) = sign(3, 4);
        let mut off_curve = 0;
        for x in 1..40u64 {
            let signature = Signature::new(U256::from(x), good.s(), false);
            let ours = recover_k256(&signature, &hash);
            assert_eq!(ours, recover_signer(&signature, hash).ok(), "x {x}");
            off_curve += usize::from(ours.is_none());
        }
        assert!(off_curve > 0, "some small x have no curve point");
    }
}
