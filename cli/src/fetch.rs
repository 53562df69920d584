//! `--jwks-url`: a key set fetched over HTTP(S), judged exactly as the module judges the
//! response of an `auth_jwt_key_request` (`auth_jwt_core::key_set_of_response`), so that a
//! 500, a body that is not a JWK Set or one too large is the same `key_fetch_error` with the
//! same reason.
//!
//! The module fetches through a subrequest to a location that usually does `proxy_pass`;
//! nginx does not follow redirects there, nor decode `Content-Encoding`, and keeps the body in
//! a buffer of `subrequest_output_buffer_size`. This client does the same: no redirects, no
//! decompression, the same size limit.

use std::io::Read as _;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::error::{one_line, Context, Result};
use crate::fail;
use crate::files::read_limited;
use crate::verdict::Fetched;

#[derive(Args)]
pub struct FetchArgs {
    /// Fetch the key set from this URL (http or https), as auth_jwt_key_request with a
    /// proxy_pass to it would; repeat for several. Combined with --keys as the module combines
    /// key files and key requests at one level.
    #[arg(long, value_name = "URL")]
    pub jwks_url: Vec<String>,
    /// Trust the CA certificates of this PEM file (instead of the public roots) for https
    /// URLs: identity providers inside a cluster often have a private CA.
    #[arg(long, value_name = "FILE", requires = "jwks_url")]
    pub cacert: Option<PathBuf>,
    /// Give up on a fetch after this long (connection, response and body), e.g. 5s.
    #[arg(long, default_value = "10s", value_name = "DURATION", requires = "jwks_url")]
    pub timeout: String,
    /// The module keeps a key request's response in a buffer of this size: a larger body
    /// fails the fetch. Give the value of the key request location (nginx's default is one
    /// memory page: 4k).
    #[arg(long, default_value = "4k", value_name = "SIZE", requires = "jwks_url")]
    pub subrequest_output_buffer_size: String,
}

impl FetchArgs {
    /// Every URL fetched and judged. An error here is the tool's (a bad URL or CA file), not
    /// a failed fetch, which is a [`Fetched`] with its reason.
    pub fn fetch_all(&self) -> Result<Vec<Fetched>> {
        if self.jwks_url.is_empty() {
            return Ok(Vec::new());
        }
        let timeout = crate::time::parse_non_negative(&self.timeout)?;
        if timeout == 0 {
            fail!("--timeout must be more than 0 s");
        }
        let limit = parse_size(&self.subrequest_output_buffer_size)?;
        let agent = agent(self.cacert.as_ref(), Duration::from_secs(timeout))?;
        self.jwks_url.iter().map(|url| fetch(&agent, url, limit)).collect()
    }
}

/// `4096`, `4k`, `64K`, `1m`: nginx's size syntax.
pub fn parse_size(text: &str) -> Result<usize> {
    let (digits, unit) = match text.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&text[..i], Some(c.to_ascii_lowercase())),
        _ => (text, None),
    };
    let scale = match unit {
        None => 1,
        Some('k') => 1024,
        Some('m') => 1024 * 1024,
        Some(_) => fail!("invalid size \"{text}\": use bytes, or k or m (e.g. 4k, 64k, 1m)"),
    };
    match digits.parse::<usize>().ok().and_then(|n| n.checked_mul(scale)) {
        Some(size) if size > 0 => Ok(size),
        _ => fail!("invalid size \"{text}\": use bytes, or k or m (e.g. 4k, 64k, 1m)"),
    }
}

fn agent(cacert: Option<&PathBuf>, timeout: Duration) -> Result<ureq::Agent> {
    use ureq::tls::{parse_pem, PemItem, RootCerts, TlsConfig};
    let roots = match cacert {
        None => RootCerts::WebPki,
        Some(file) => {
            let pem = read_limited(file)?;
            let mut certs = Vec::new();
            for item in parse_pem(&pem) {
                if let PemItem::Certificate(cert) = item.context(file.display())? {
                    certs.push(cert.to_owned());
                }
            }
            if certs.is_empty() {
                fail!("{}: no PEM certificate in the file", file.display());
            }
            RootCerts::new_with_certs(&certs)
        }
    };
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .max_redirects_will_error(false)
        .timeout_global(Some(timeout))
        .tls_config(TlsConfig::builder().root_certs(roots).build())
        .user_agent("auth-jwt")
        .build();
    Ok(ureq::Agent::new_with_config(config))
}

fn fetch(agent: &ureq::Agent, url: &str, limit: usize) -> Result<Fetched> {
    let lower = url.to_ascii_lowercase();
    if !lower.starts_with("http://") && !lower.starts_with("https://") {
        fail!("--jwks-url \"{url}\": only http:// and https:// URLs can be fetched");
    }
    let failed = |reason: String| Ok(Fetched { url: url.to_owned(), result: Err(reason) });
    let mut response = match agent.get(url).call() {
        Ok(response) => response,
        Err(err) => return failed(format!("cannot fetch it: {}", one_line(&err.to_string()))),
    };
    let status = usize::from(response.status().as_u16());
    let encoding =
        response.headers().get("content-encoding").map(|value| value.as_bytes().to_vec());
    let mut body = Vec::new();
    let read = response.body_mut().as_reader().take(limit as u64 + 1).read_to_end(&mut body);
    if let Err(err) = read {
        return failed(format!(
            "the subrequest failed (the body could not be read: {})",
            one_line(&err.to_string())
        ));
    }
    if body.len() > limit {
        // nginx logs "too big subrequest response" and the key request fails as a whole.
        return failed(format!(
            "the subrequest failed (the body is larger than subrequest_output_buffer_size, {limit} bytes)"
        ));
    }
    let judged = auth_jwt_core::key_set_of_response(status, encoding.as_deref(), Some(&body));
    Ok(Fetched { url: url.to_owned(), result: judged.map(|set| (set, body)) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_in_nginx_syntax() {
        assert_eq!(parse_size("4096").unwrap(), 4096);
        assert_eq!(parse_size("4k").unwrap(), 4096);
        assert_eq!(parse_size("64K").unwrap(), 65536);
        assert_eq!(parse_size("1m").unwrap(), 1 << 20);
        for bad in ["", "k", "0", "4g", "-1", "4kk"] {
            assert!(parse_size(bad).unwrap_err().0.starts_with("invalid size"), "{bad}");
        }
    }

    #[test]
    fn only_http_urls_are_fetched() {
        let agent = agent(None, Duration::from_secs(1)).unwrap();
        let err = fetch(&agent, "file:///etc/passwd", 4096).err().unwrap();
        assert!(err.0.contains("only http:// and https://"), "{err}");
    }

    #[test]
    fn a_refused_connection_is_a_failed_fetch() {
        // Port 1 on loopback: nothing listens there.
        let agent = agent(None, Duration::from_secs(2)).unwrap();
        let fetched = fetch(&agent, "http://127.0.0.1:1/jwks.json", 4096).unwrap();
        assert!(fetched.result.unwrap_err().starts_with("cannot fetch it"));
    }

    #[test]
    fn a_ca_file_without_certificates_is_an_error() {
        let file = std::env::temp_dir().join(format!("auth-jwt-cacert-{}.pem", std::process::id()));
        std::fs::write(&file, "not a certificate\n").unwrap();
        let err = agent(Some(&file), Duration::from_secs(1)).err().unwrap();
        assert!(err.0.contains("no PEM certificate"), "{err}");
        std::fs::remove_file(file).unwrap();
    }
}
