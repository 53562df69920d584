//! Ed25519 public keys of small order.
//!
//! A point of order 1, 2, 4 or 8 is no key at all: with such an `A`, the signature `R = A` (or
//! the identity), `S = 0` satisfies the verification equation `[S]B = R + [k]A` for every message,
//! since `[k]A` cycles through a handful of points whatever the hash `k` is. Libraries disagree on
//! whether they refuse such keys at verify time (RFC 8032 does not require it), so they are
//! refused when a key set is loaded, as an RSA exponent of 1 is.
//!
//! An encoding is the little-endian `y` coordinate with the sign of `x` in the top bit. The eight
//! small-order points have only five distinct `y` values (0, 1, -1 and the two `y` of the order-8
//! points), and `0` and `1` also have the non-canonical encodings `p` and `p + 1`. Comparing `y`
//! with the sign bit cleared against these seven values covers every encoding, canonical or not,
//! with either sign bit (the list libsodium's `ge25519_has_small_order` uses).

/// The `y` values, little-endian, whose points have small order.
const SMALL_ORDER_Y: [[u8; 32]; 7] = [
    // 0: the two points of order 4, (±sqrt(-1), 0).
    [0; 32],
    // 1: the identity (0, 1).
    le_with_low_byte(0x01, 0x00, 0x00),
    // One pair of order-8 points.
    [
        0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98,
        0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53,
        0xfc, 0x05,
    ],
    // The other pair of order-8 points.
    [
        0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67,
        0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac,
        0x03, 0x7a,
    ],
    // p - 1 = -1: the point of order 2, (0, -1).
    le_with_low_byte(0xec, 0xff, 0x7f),
    // p: a non-canonical 0.
    le_with_low_byte(0xed, 0xff, 0x7f),
    // p + 1: a non-canonical 1.
    le_with_low_byte(0xee, 0xff, 0x7f),
];

/// A 32-byte little-endian number: `low`, then 30 bytes of `middle`, then `top`.
const fn le_with_low_byte(low: u8, middle: u8, top: u8) -> [u8; 32] {
    let mut out = [middle; 32];
    out[0] = low;
    out[31] = top;
    out
}

/// Whether the encoded Ed25519 public key `x` (RFC 8037 `x`, 32 bytes) is a point of small
/// order, in any of its encodings.
pub(crate) fn has_small_order(x: &[u8; 32]) -> bool {
    let mut y = *x;
    y[31] &= 0x7f;
    SMALL_ORDER_Y.contains(&y)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> [u8; 32] {
        let mut out = [0; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    }

    /// The eight small-order points in their canonical encodings, as listed in "Taming the many
    /// EdDSAs" (Chalkias, Garillot, Nikolaenko, 2020) and in libsodium's blocklist.
    const CANONICAL: [&str; 8] = [
        "0100000000000000000000000000000000000000000000000000000000000000", // order 1
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // order 2
        "0000000000000000000000000000000000000000000000000000000000000080", // order 4
        "0000000000000000000000000000000000000000000000000000000000000000", // order 4
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", // order 8
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa", // order 8
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", // order 8
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85", // order 8
    ];

    /// Non-canonical encodings of the same points: `x = 0` with the sign bit set, and `y` values
    /// of `p` and `p + 1`.
    const NON_CANONICAL: [&str; 6] = [
        "0100000000000000000000000000000000000000000000000000000000000080",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    ];

    #[test]
    fn every_small_order_encoding_is_refused() {
        for enc in CANONICAL.iter().chain(&NON_CANONICAL) {
            assert!(has_small_order(&hex(enc)), "{enc}");
        }
    }

    #[test]
    fn ordinary_keys_and_neighbours_pass() {
        // RFC 8032 §7.1 test 1 public key.
        let rfc = hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
        assert!(!has_small_order(&rfc));
        // The base point (y = 4/5) and values next to the listed ones.
        let base = hex("5866666666666666666666666666666666666666666666666666666666666666");
        assert!(!has_small_order(&base));
        assert!(!has_small_order(&le_with_low_byte(0x02, 0x00, 0x00)));
        assert!(!has_small_order(&le_with_low_byte(0xef, 0xff, 0x7f)));
    }
}
