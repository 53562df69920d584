//! The value of the 401 challenge (the header itself is set by `ffi/headers.rs`).

/// `error` parameter of the challenge (RFC 6750 §3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChallengeError {
    /// No token was presented: the challenge carries only the realm.
    None,
    /// A token was presented but rejected.
    InvalidToken,
}

/// The value of `WWW-Authenticate`: `Bearer realm="<realm>"[, error="invalid_token"]`.
///
/// The realm is written as an HTTP quoted-string, so `"` and `\` are escaped; control
/// characters (which nginx would otherwise send verbatim) are dropped.
pub fn challenge_value(realm: &[u8], error: ChallengeError) -> Vec<u8> {
    let mut value = Vec::with_capacity(realm.len() + 48);
    value.extend_from_slice(b"Bearer realm=\"");
    for &byte in realm {
        match byte {
            b'"' | b'\\' => value.extend_from_slice(&[b'\\', byte]),
            0..=0x1f | 0x7f => {}
            _ => value.push(byte),
        }
    }
    value.push(b'"');
    if error == ChallengeError::InvalidToken {
        value.extend_from_slice(b", error=\"invalid_token\"");
    }
    value
}
