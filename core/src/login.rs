//! The login redirect of `auth_jwt_login_url`: checking the configured URL and appending the
//! URI the client asked for, percent-encoded, as one query parameter.
//!
//! The redirect target is always the configured URL; the request only ever contributes the
//! encoded value of the parameter, which cannot change the scheme, host or path of the target.

use std::fmt::Write as _;

/// Default name of the query parameter that carries the original request URI.
pub const DEFAULT_PARAM: &str = "return_to";

/// Why a login URL is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LoginUrlError {
    #[error("is empty")]
    Empty,
    #[error("must start with \"http://\", \"https://\" or a single \"/\"")]
    Scheme,
    #[error("contains a space, a control character or a non-ASCII byte (percent-encode them)")]
    InvalidByte,
}

/// Checks a login URL: an absolute `http(s)://` URL or a path starting with one `/`
/// (`//host` and `/\host` are refused: browsers read both as another host), in printable ASCII
/// without spaces (anything else would end up raw in the `Location` header).
pub fn check_login_url(url: &[u8]) -> Result<(), LoginUrlError> {
    if url.is_empty() {
        return Err(LoginUrlError::Empty);
    }
    if url.iter().any(|&b| b <= b' ' || b >= 0x7f) {
        return Err(LoginUrlError::InvalidByte);
    }
    let has_prefix = |prefix: &[u8]| {
        url.len() > prefix.len() && url[..prefix.len()].eq_ignore_ascii_case(prefix)
    };
    let absolute = has_prefix(b"http://") || has_prefix(b"https://");
    let path = url[0] == b'/' && !matches!(url.get(1), Some(b'/' | b'\\'));
    if absolute || path {
        Ok(())
    } else {
        Err(LoginUrlError::Scheme)
    }
}

/// Whether `name` may be used as the query parameter name: 1 to 64 characters from the
/// RFC 3986 "unreserved" set, so that it never needs encoding.
#[must_use]
pub fn valid_param_name(name: &[u8]) -> bool {
    (1..=64).contains(&name.len()) && name.iter().all(|&b| is_unreserved(b))
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Percent-encodes every byte outside the RFC 3986 unreserved set, for use as a query
/// parameter value: `/a b?x=1&y` → `%2Fa%20b%3Fx%3D1%26y`.
#[must_use]
pub fn encode_component(value: &[u8]) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for &b in value {
        if is_unreserved(b) {
            out.push(char::from(b));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The return URL for a request URI (path and query as the client sent it): always a path
/// that no browser or login page can read as another host.
///
/// `//evil.example/x` is scheme-relative, and browsers treat `\` like `/` and drop tabs and
/// newlines, so `/\evil.example` and `/\t/evil.example` are too. The leading run of slashes,
/// backslashes, whitespace and control bytes is therefore replaced by one `/`
/// (`//evil.example/x` → `/evil.example/x`, a path on this site). A URI that does not start
/// with `/` (an absolute-form request line already gives a path; `*` is no GET) becomes `/`.
#[must_use]
pub fn return_path(uri: &[u8]) -> Vec<u8> {
    if uri.first() != Some(&b'/') {
        return b"/".to_vec();
    }
    let rest = uri
        .iter()
        .position(|&b| !(b == b'/' || b == b'\\' || b <= b' ' || b == 0x7f))
        .map_or(&[][..], |start| &uri[start..]);
    let mut path = Vec::with_capacity(rest.len() + 1);
    path.push(b'/');
    path.extend_from_slice(rest);
    path
}

/// The redirect target: `url` with `param=<encoded return_to>` added to its query, using `&`
/// when `url` already has a query and `?` otherwise, and placed before a `#fragment`.
#[must_use]
pub fn login_redirect(url: &str, param: &str, return_to: &[u8]) -> String {
    let (base, fragment) = match url.find('#') {
        Some(i) => url.split_at(i),
        None => (url, ""),
    };
    let separator = match base.find('?') {
        None => "?",
        Some(_) if base.ends_with('?') || base.ends_with('&') => "",
        Some(_) => "&",
    };
    let encoded = encode_component(return_to);
    let mut out =
        String::with_capacity(base.len() + separator.len() + param.len() + encoded.len() + 1);
    out.push_str(base);
    out.push_str(separator);
    out.push_str(param);
    out.push('=');
    out.push_str(&encoded);
    out.push_str(fragment);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_everything_but_unreserved() {
        assert_eq!(encode_component(b"/"), "%2F");
        assert_eq!(encode_component(b"/app/page?x=1&y=a b"), "%2Fapp%2Fpage%3Fx%3D1%26y%3Da%20b");
        assert_eq!(encode_component(b"AZaz09-._~"), "AZaz09-._~");
        assert_eq!(encode_component(b"%+#\"<>\\"), "%25%2B%23%22%3C%3E%5C");
        assert_eq!(encode_component("é".as_bytes()), "%C3%A9");
        assert_eq!(encode_component(b"\r\n\x00\xff"), "%0D%0A%00%FF");
        assert_eq!(encode_component(b""), "");
    }

    #[test]
    fn redirect_adds_the_parameter() {
        let r = login_redirect("https://login.example.com/", "return_to", b"/app?x=1");
        assert_eq!(r, "https://login.example.com/?return_to=%2Fapp%3Fx%3D1");
        let r = login_redirect("https://idp/login?client=shop", "next", b"/");
        assert_eq!(r, "https://idp/login?client=shop&next=%2F");
        let r = login_redirect("/login", "r", b"/a b");
        assert_eq!(r, "/login?r=%2Fa%20b");
    }

    #[test]
    fn redirect_separator_edge_cases() {
        assert_eq!(login_redirect("/login?", "r", b"/x"), "/login?r=%2Fx");
        assert_eq!(login_redirect("/login?a=1&", "r", b"/x"), "/login?a=1&r=%2Fx");
        assert_eq!(login_redirect("/login#top", "r", b"/x"), "/login?r=%2Fx#top");
        assert_eq!(login_redirect("/login?a=1#f?g", "r", b"/x"), "/login?a=1&r=%2Fx#f?g");
    }

    #[test]
    fn redirect_value_cannot_escape_its_parameter() {
        let r = login_redirect("/login", "r", b"/x&r=https://evil#frag\r\nSet-Cookie: a");
        assert_eq!(r, "/login?r=%2Fx%26r%3Dhttps%3A%2F%2Fevil%23frag%0D%0ASet-Cookie%3A%20a");
        assert!(!r.bytes().any(|b| b <= b' '));
    }

    #[test]
    fn login_url_check() {
        for ok in ["https://login.example.com", "http://x/", "HTTPS://X/login?a=1", "/login", "/"] {
            assert_eq!(check_login_url(ok.as_bytes()), Ok(()), "{ok}");
        }
        assert_eq!(check_login_url(b""), Err(LoginUrlError::Empty));
        for bad in
            ["//evil.example", "/\\evil", "login", "javascript:alert(1)", "https://", "ftp://x"]
        {
            assert_eq!(check_login_url(bad.as_bytes()), Err(LoginUrlError::Scheme), "{bad}");
        }
        for bad in ["/a b", "/a\r\nX: y", "/a\t", "/a\x7f", "https://x/\x00", "/é"] {
            assert_eq!(check_login_url(bad.as_bytes()), Err(LoginUrlError::InvalidByte), "{bad}");
        }
        assert_eq!(check_login_url(b"/\xff"), Err(LoginUrlError::InvalidByte));
    }

    #[test]
    fn param_names() {
        assert!(valid_param_name(b"return_to"));
        assert!(valid_param_name(b"next"));
        assert!(valid_param_name(b"a-b.c~d"));
        assert!(!valid_param_name(b""));
        assert!(!valid_param_name(b"a b"));
        assert!(!valid_param_name(b"a&b"));
        assert!(!valid_param_name(b"a=b"));
        assert!(!valid_param_name(b"%41"));
        assert!(!valid_param_name("é".as_bytes()));
        assert!(!valid_param_name(&[b'a'; 65]));
        assert!(valid_param_name(&[b'a'; 64]));
    }

    #[test]
    fn return_path_is_never_scheme_relative() {
        let cases: [(&[u8], &[u8]); 11] = [
            (b"/app/page?x=1", b"/app/page?x=1"),
            (b"/", b"/"),
            (b"//evil.example/..", b"/evil.example/.."),
            (b"///evil.example", b"/evil.example"),
            (b"/\\evil.example", b"/evil.example"),
            (b"\\/evil.example", b"/"),
            (b"/\\/\\evil", b"/evil"),
            (b"/\t/evil.example", b"/evil.example"),
            (b"//", b"/"),
            (b"*", b"/"),
            (b"", b"/"),
        ];
        for (uri, expected) in cases {
            let got = return_path(uri);
            assert_eq!(got, expected, "{}", String::from_utf8_lossy(uri));
            assert!(!matches!(got.get(1), Some(b'/' | b'\\')));
        }
    }
}
