//! The keys of an `auth_jwt_key_request` response: the rules a response must meet for its
//! body to be the key set, and the one-line reason (for the log) when it does not. Anything
//! that judges a fetched key set as the module does (the `auth-jwt` tool's `--jwks-url`) calls
//! this, so the two cannot drift apart.

use crate::error::escape_name;
use crate::jwk::KeySet;

/// The key set `body` carries, given the response `status` and its `Content-Encoding`; or why
/// it carries none. The body must be the JWK Set itself: a 2xx response, not content-encoded
/// (nginx's in-memory subrequest does not decode it), not empty, and accepted by
/// [`KeySet::from_json`] (its size limit included).
pub fn key_set_of_response(
    status: usize,
    content_encoding: Option<&[u8]>,
    body: Option<&[u8]>,
) -> Result<KeySet, String> {
    if !(200..300).contains(&status) {
        return Err(format!("the response status is {status}"));
    }
    if let Some(encoding) = content_encoding.filter(|e| !e.eq_ignore_ascii_case(b"identity")) {
        return Err(format!(
            "the response is {}-encoded (add \"gunzip on;\" to the key request location, or \
             \"proxy_set_header Accept-Encoding \\\"\\\";\")",
            escape_name(encoding)
        ));
    }
    match body.filter(|body| !body.is_empty()) {
        None => Err("the response body is empty".into()),
        Some(body) => KeySet::from_json(body).map_err(|err| err.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SET: &[u8] =
        br#"{"keys":[{"kty":"oct","kid":"k","k":"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlYw"}]}"#;

    #[test]
    fn a_good_response_is_its_key_set() {
        assert_eq!(key_set_of_response(200, None, Some(SET)).unwrap().len(), 1);
        assert_eq!(key_set_of_response(203, Some(b"Identity"), Some(SET)).unwrap().len(), 1);
    }

    #[test]
    fn every_other_response_has_a_reason() {
        let reason = |status, encoding, body| key_set_of_response(status, encoding, body).err();
        assert_eq!(reason(500, None, Some(SET)).unwrap(), "the response status is 500");
        assert_eq!(reason(302, None, None).unwrap(), "the response status is 302");
        assert!(reason(200, Some(&b"gzip"[..]), Some(SET))
            .unwrap()
            .starts_with("the response is \"gzip\"-encoded"));
        assert_eq!(reason(200, None, Some(b"")).unwrap(), "the response body is empty");
        assert_eq!(reason(200, None, None).unwrap(), "the response body is empty");
        assert!(reason(200, None, Some(b"<html>")).unwrap().contains("not valid JSON"));
        let big = vec![b' '; crate::MAX_KEY_FILE_BYTES + 1];
        assert!(reason(200, None, Some(&big)).unwrap().contains("at most"));
    }
}
