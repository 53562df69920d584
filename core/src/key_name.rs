//! Key file names built from variables (`auth_jwt_key_file keys/$tenant.json;`): the part a
//! request supplies must not lead out of the directory the configuration names.

/// Why an evaluated key file name is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyNameError {
    #[error("the key file name is empty")]
    Empty,
    #[error("the key file name contains a NUL byte")]
    Nul,
    #[error("the key file name has a \"..\" segment where variables are")]
    DotDot,
    #[error("the part of the key file name from variables starts with \"/\"")]
    Absolute,
}

/// The first variable in a key file name (the directive argument as written) whose value comes
/// from the token itself: `$jwt_claim_*`, `$jwt_header_*` or `$jwt_payload`, in either spelling
/// (`$x`, `${x}`), as nginx matches names (case-insensitively). Such a name cannot work: the keys
/// that verify a token would depend on that token, and evaluating it loops back into the
/// verification until nginx's variable depth limit; it is refused at configuration time.
#[must_use]
pub fn token_variable_in_key_file_name(template: &[u8]) -> Option<String> {
    let mut rest = template;
    while let Some(dollar) = rest.iter().position(|&b| b == b'$') {
        rest = &rest[dollar + 1..];
        let (name, after) = match rest.first() {
            Some(b'{') => {
                let end = rest.iter().position(|&b| b == b'}').unwrap_or(rest.len());
                (&rest[1..end], &rest[end.min(rest.len())..])
            }
            _ => {
                let end = rest
                    .iter()
                    .position(|&b| !(b.is_ascii_alphanumeric() || b == b'_'))
                    .unwrap_or(rest.len());
                (&rest[..end], &rest[end..])
            }
        };
        let lower = name.to_ascii_lowercase();
        if lower.starts_with(b"jwt_claim_")
            || lower.starts_with(b"jwt_header_")
            || lower == b"jwt_payload"
        {
            return Some(String::from_utf8_lossy(name).into_owned());
        }
        rest = after;
    }
    None
}

/// Checks `name`, the value of the directive argument `template` for one request.
///
/// The text of `template` before its first variable is the configured directory part. Where
/// the variables are, a path segment `..` is refused (it would leave that directory), and so
/// is a `/` at the start of the variables' part after a configured prefix; a NUL byte is
/// refused anywhere (it would cut the name short). A name that starts with a variable may be
/// absolute, so that a `map` can give full paths (`$tenant_keys` → `/etc/nginx/keys/a.json`);
/// such a variable must come from known values, never from the request directly.
pub fn check_key_file_name(template: &[u8], name: &[u8]) -> Result<(), KeyNameError> {
    if name.is_empty() {
        return Err(KeyNameError::Empty);
    }
    if name.contains(&0) {
        return Err(KeyNameError::Nul);
    }
    let fixed_len = template.iter().position(|&b| b == b'$').unwrap_or(template.len());
    // The variables come after the configured text; should the name not start with it (it
    // always does), treat all of it as coming from variables.
    let fixed = match name.get(..fixed_len) {
        Some(fixed) if fixed == &template[..fixed_len] => fixed,
        _ => &[][..],
    };
    if !fixed.is_empty() && name.get(fixed.len()) == Some(&b'/') {
        return Err(KeyNameError::Absolute);
    }
    // Segments touched by the variables: from the start of the segment the first one is in.
    let segments_from = fixed.iter().rposition(|&b| b == b'/').map_or(0, |slash| slash + 1);
    if name[segments_from..].split(|&b| b == b'/').any(|segment| segment == b"..") {
        return Err(KeyNameError::DotDot);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_inside_the_configured_directory_pass() {
        let ok: [(&[u8], &[u8]); 8] = [
            // `..` from the variable, but not a segment of its own.
            (b"keys/$t.json", b"keys/...json"),
            (b"keys/$tenant.json", b"keys/acme.json"),
            (b"keys/$tenant.json", b"keys/a..b.json"),
            (b"keys/$tenant.json", b"keys/sub/acme.json"),
            (b"/etc/keys/$t/jwks.json", b"/etc/keys/acme/jwks.json"),
            (b"../keys/$t.json", b"../keys/acme.json"),
            (b"$tenant_keys", b"/etc/nginx/keys/acme.json"),
            (b"${dir}keys.json", b"conf/keys.json"),
        ];
        for (template, name) in ok {
            assert_eq!(check_key_file_name(template, name), Ok(()), "{name:?}");
        }
    }

    #[test]
    fn names_that_walk_out_are_refused() {
        let bad: [(&[u8], &[u8], KeyNameError); 9] = [
            (b"keys/$t.json", b"", KeyNameError::Empty),
            (b"keys/$t.json", b"keys/../../etc/passwd.json", KeyNameError::DotDot),
            (b"keys/$t/jwks.json", b"keys/../jwks.json", KeyNameError::DotDot),
            (b"keys/x$t.json", b"keys/x../../a.json", KeyNameError::DotDot),
            (b"keys/x$t.json", b"keys/x/../a.json", KeyNameError::Absolute),
            (b"keys/$t.json", b"keys//etc/passwd.json", KeyNameError::Absolute),
            (b"keys/$t.json", b"keys/a\0.json", KeyNameError::Nul),
            (b"$keys", b"../../etc/passwd", KeyNameError::DotDot),
            (b"$keys", b"/etc/x/../shadow", KeyNameError::DotDot),
        ];
        for (template, name, error) in bad {
            assert_eq!(check_key_file_name(template, name), Err(error), "{name:?}");
        }
    }

    #[test]
    fn token_variables_in_key_file_names_are_found() {
        let found = |t: &str| token_variable_in_key_file_name(t.as_bytes());
        assert_eq!(found("keys/$jwt_claim_tenant.json").as_deref(), Some("jwt_claim_tenant"));
        assert_eq!(found("keys/${jwt_header_kid}.json").as_deref(), Some("jwt_header_kid"));
        assert_eq!(found("$host/$JWT_PAYLOAD").as_deref(), Some("JWT_PAYLOAD"));
        assert_eq!(found("$jwt_payload_x"), None);
        assert_eq!(found("keys/$tenant.json"), None);
        assert_eq!(found("keys/$jwt_status.json"), None);
        assert_eq!(found("keys/$arg_jwt_claim_x.json"), None);
        assert_eq!(found("keys/${unclosed"), None);
        assert_eq!(found("keys/$"), None);
    }
}
