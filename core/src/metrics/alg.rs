//! The `alg` dimension of the request counters: each JWS algorithm, and "unknown" for a
//! token whose header names none we support (or that has no readable header at all).

use serde_json::{Map, Value};

use crate::algorithm::{Algorithm, ALL};
use crate::base64url;
use crate::TokenFields;

/// Number of `alg` values counted: every algorithm, then "unknown".
pub const ALG_COUNT: usize = ALL.len() + 1;
/// The index of "unknown".
pub const UNKNOWN_ALG: usize = ALL.len();

/// The label value of the `alg` dimension at `index`.
#[must_use]
pub fn alg_name(index: usize) -> &'static str {
    ALL.get(index).map_or("unknown", |alg| alg.name())
}

/// Headers longer than this are not read for the counters (real ones are under 200 bytes).
const MAX_HEADER_B64: usize = 2048;

/// The `alg` a token's header names, read cheaply for the counters: no signature check, no
/// payload; `None` when there is no readable header or the algorithm is not supported.
#[must_use]
pub fn token_alg(token: &[u8]) -> Option<Algorithm> {
    let end = memchr::memchr(b'.', token)?;
    let header = token.get(..end).filter(|h| h.len() <= MAX_HEADER_B64)?;
    let json = base64url::decode(header).ok()?;
    let map: Map<String, Value> = serde_json::from_slice(&json).ok()?;
    Algorithm::from_name(map.get("alg")?.as_str()?)
}

/// The `alg` of a token that was parsed already (cheaper than [`token_alg`]: no decoding).
#[must_use]
pub fn fields_alg(fields: &TokenFields) -> Option<Algorithm> {
    fields.algorithm()
}

/// The counter index of `alg`.
#[must_use]
pub fn alg_index(alg: Option<Algorithm>) -> usize {
    alg.and_then(|alg| ALL.iter().position(|&a| a == alg)).unwrap_or(UNKNOWN_ALG)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_alg_of_a_header() {
        // {"alg":"RS256","typ":"JWT"}
        let token = b"eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.e30.c2ln";
        assert_eq!(token_alg(token), Some(Algorithm::RS256));
        assert_eq!(alg_name(alg_index(token_alg(token))), "RS256");
        // {"alg":"none"}
        assert_eq!(token_alg(b"eyJhbGciOiJub25lIn0.e30."), None);
        assert_eq!(token_alg(b"garbage"), None);
        assert_eq!(token_alg(b"!!!.e30.x"), None);
        assert_eq!(alg_name(alg_index(None)), "unknown");
    }

    #[test]
    fn reads_the_alg_of_parsed_fields() {
        let header = serde_json::json!({"alg": "ES384", "kid": "a"});
        let Value::Object(header) = header else { unreachable!() };
        let fields = TokenFields::new(header, Map::new());
        assert_eq!(fields_alg(&fields), Some(Algorithm::ES384));
        assert_eq!(fields_alg(&TokenFields::new(Map::new(), Map::new())), None);
    }

    #[test]
    fn names_are_distinct() {
        let names: Vec<&str> = (0..ALG_COUNT).map(alg_name).collect();
        for (i, a) in names.iter().enumerate() {
            assert!(!names[i + 1..].contains(a), "{a}");
        }
    }
}
