//! The decryption keys of a key file, read from the same bytes as its signing keys, so that
//! one JWK Set may hold both (an IdP's `use: sig` public keys next to the `use: enc` private
//! keys of a relying party). [`crate::KeySet`] carries the result.
//!
//! Each parser takes its own keys and skips the others; only a key that is broken for the
//! use it claims fails the file.

use crate::error::KeySetError;
use crate::jwe::{DecryptionKeyError, DecryptionKeys};

/// The decryption keys in `bytes` (a JWK Set already accepted as JSON by the signing parser).
/// A file without any decryption key gives an empty set, not an error.
pub(crate) fn decryption_keys(bytes: &[u8]) -> Result<DecryptionKeys, KeySetError> {
    match DecryptionKeys::from_json(bytes) {
        Ok(keys) => Ok(keys),
        Err(DecryptionKeyError::NoUsableKeys(_)) => Ok(DecryptionKeys::empty()),
        Err(error) => Err(KeySetError::Decryption(error)),
    }
}

/// The notes worth showing for keys ignored by the signing parser: those of keys that the
/// decryption parser did not take either. A `use: enc` key that decrypts is not "ignored".
pub(crate) fn ignored_by_both(
    signing_notes: Vec<String>,
    decryption: &DecryptionKeys,
) -> Vec<String> {
    if decryption.is_empty() {
        return signing_notes;
    }
    // Both parsers word a note `key <index>[ (kid ...)]: <why>, skipped`.
    let index = |note: &str| -> Option<String> {
        let rest = note.strip_prefix("key ")?;
        Some(rest.chars().take_while(char::is_ascii_digit).collect())
    };
    let skipped_too: Vec<String> = decryption.skipped().iter().filter_map(|n| index(n)).collect();
    signing_notes
        .into_iter()
        .filter(|note| index(note).is_some_and(|i| skipped_too.contains(&i)))
        .collect()
}
