//! JWE decryption against tokens minted by jwcrypto (`mint.py`), an implementation independent
//! of ours: every alg x enc pair, nested tokens, and the classic JWE attacks.

mod fixtures;

mod attacks;
mod interop;
mod keys;
mod pipeline;

use auth_jwt_core::jwe::{self, DecryptionKeys, Jwe, JweError, JweLimits, Plaintext};

/// Parses and decrypts with the default limits.
pub fn open(token: &str, keys: &DecryptionKeys) -> Result<Plaintext, JweError> {
    let jwe = Jwe::parse(token.as_bytes(), &JweLimits::default())?;
    jwe::decrypt(&jwe, keys)
}

pub fn fixture_keys() -> DecryptionKeys {
    DecryptionKeys::from_json(&fixtures::fixtures().keys_json()).expect("fixture keys load")
}
