//! `auth-jwt k8s-secret`: a Kubernetes Secret manifest for a JWK Set: type `nginx.org/jwk`
//! with data key `jwk` (what the NGINX Ingress Controller's JWT policy reads), or an `Opaque`
//! Secret to mount as a volume.

use std::path::PathBuf;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use clap::{Args, ValueEnum};
use serde_json::{json, Value};

use crate::error::{Context, Result};
use crate::fail;
use crate::files::read_limited;
use crate::keys::{is_decryption_key, PRIVATE_MEMBERS};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SecretType {
    /// `type: nginx.org/jwk`, data key `jwk`: for the Ingress Controller's JWT policy.
    Ingress,
    /// `type: Opaque`, for a volume mount and auth_jwt_key_file.
    Generic,
}

#[derive(Args)]
pub struct SecretArgs {
    /// The JWK Set file to put in the Secret.
    pub file: PathBuf,
    /// metadata.name of the Secret.
    #[arg(long)]
    pub name: String,
    /// metadata.namespace (omitted when not given).
    #[arg(long)]
    pub namespace: Option<String>,
    #[arg(long = "type", value_enum, default_value = "ingress")]
    pub secret_type: SecretType,
    /// Data key of a generic Secret (the file name in the mounted volume).
    #[arg(long, default_value = "jwks.json")]
    pub data_key: String,
}

/// A DNS-1123 subdomain, which Kubernetes requires of object names.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name.as_bytes()[name.len() - 1].is_ascii_alphanumeric()
}

/// A Secret data key: alphanumerics, `-`, `_`, `.`.
fn valid_data_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 253
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

pub fn manifest(args: &SecretArgs, content: &[u8]) -> Result<Value> {
    if !valid_name(&args.name) {
        fail!(
            "invalid --name \"{}\": Kubernetes names are lower-case letters, digits, '-' and '.'",
            args.name
        );
    }
    if let Some(ns) = &args.namespace {
        if !valid_name(ns) || ns.contains('.') || ns.len() > 63 {
            fail!("invalid --namespace \"{ns}\"");
        }
    }
    // What the module would refuse is no use in a Secret.
    auth_jwt_core::KeySet::from_json(content).context(args.file.display())?;
    if let Ok(Value::Object(root)) = serde_json::from_slice::<Value>(content) {
        let keys = match root.get("keys") {
            Some(Value::Array(keys)) => keys.clone(),
            _ => vec![Value::Object(root.clone())],
        };
        for (i, key) in keys.iter().enumerate() {
            if let Some(m) = PRIVATE_MEMBERS.iter().find(|m| key.get(**m).is_some()) {
                let is_oct = key.get("kty").and_then(Value::as_str) == Some("oct");
                // The module decrypts with a decryption key's private part, read from a mounted
                // generic Secret; the Ingress Controller's JWT policy only verifies signatures.
                let decrypts = args.secret_type == SecretType::Generic
                    && key.as_object().is_some_and(is_decryption_key);
                if !is_oct && !decrypts {
                    fail!(
                        "{}: key {} has the private member \"{m}\": a Secret for nginx holds the \
                         public part of signing keys (private keys only for decryption keys, \
                         \"use\": \"enc\", in a --type generic Secret)",
                        args.file.display(),
                        i + 1
                    );
                }
            }
        }
    }
    let (secret_type, data_key) = match args.secret_type {
        SecretType::Ingress => ("nginx.org/jwk", "jwk"),
        SecretType::Generic => {
            if !valid_data_key(&args.data_key) {
                fail!("invalid --data-key \"{}\"", args.data_key);
            }
            ("Opaque", args.data_key.as_str())
        }
    };
    let mut metadata = json!({ "name": args.name });
    if let Some(ns) = &args.namespace {
        metadata["namespace"] = json!(ns);
    }
    Ok(json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": metadata,
        "type": secret_type,
        "data": { data_key: STANDARD.encode(content) },
    }))
}

/// YAML of the manifest. Every value is a plain string that needs no quoting except the type,
/// which contains '/', and is quoted anyway.
fn yaml(m: &Value) -> String {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let mut out = String::from("apiVersion: v1\nkind: Secret\nmetadata:\n");
    out.push_str(&format!("  name: {}\n", s(&m["metadata"]["name"])));
    if let Some(ns) = m["metadata"].get("namespace") {
        out.push_str(&format!("  namespace: {}\n", s(ns)));
    }
    out.push_str(&format!("type: \"{}\"\ndata:\n", s(&m["type"])));
    if let Some(data) = m["data"].as_object() {
        for (k, v) in data {
            out.push_str(&format!("  {k}: {}\n", s(v)));
        }
    }
    out
}

pub fn run(args: &SecretArgs, json: bool) -> Result<bool> {
    let content = read_limited(&args.file)?;
    let m = manifest(args, &content)?;
    if json {
        println!("{m}");
    } else {
        print!("{}", yaml(&m));
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(name: &str) -> SecretArgs {
        SecretArgs {
            file: "jwks.json".into(),
            name: name.into(),
            namespace: Some("default".into()),
            secret_type: SecretType::Ingress,
            data_key: "jwks.json".into(),
        }
    }

    const SET: &[u8] = br#"{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"a","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#;

    #[test]
    fn ingress_secret_has_the_controller_type_and_key() {
        let m = manifest(&args("jwk-secret"), SET).unwrap();
        assert_eq!(m["type"], "nginx.org/jwk");
        assert_eq!(STANDARD.decode(m["data"]["jwk"].as_str().unwrap()).unwrap(), SET);
        let text = yaml(&m);
        assert!(text.contains("type: \"nginx.org/jwk\"\ndata:\n  jwk: "), "{text}");
    }

    /// The module decrypts with a decryption key's private part: a generic Secret (a volume
    /// for `auth_jwt_key_file`) may hold one; a signing key's private part never, nor does the
    /// Ingress Controller's Secret hold any.
    #[test]
    fn decryption_keys_keep_their_private_part_in_a_generic_secret_only() {
        let (x, d) = (
            "MSSzCCAWJG4W1XuPI9bObHQLoUZrn8-7ySlHa6sInAE",
            "2BJ9h7Qne8Vu6AXyASInLW644r1NVWPgG5pmB3mi9mw",
        );
        let decrypting = format!(
            r#"{{"keys":[{{"kty":"OKP","crv":"X25519","kid":"e","use":"enc","alg":"ECDH-ES","x":"{x}","d":"{d}"}}]}}"#
        );
        let generic = SecretArgs { secret_type: SecretType::Generic, ..args("jwe-keys") };
        let m = manifest(&generic, decrypting.as_bytes()).unwrap();
        assert_eq!(m["type"], "Opaque");
        let refused = manifest(&args("jwe-keys"), decrypting.as_bytes()).unwrap_err().0;
        assert!(refused.contains("private member \"d\""), "{refused}");
        let (x, d) = (
            "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
            "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",
        );
        let signing = format!(
            r#"{{"keys":[{{"kty":"OKP","crv":"Ed25519","kid":"a","x":"{x}","d":"{d}"}}]}}"#
        );
        let refused = manifest(&generic, signing.as_bytes()).unwrap_err().0;
        assert!(refused.contains("private member \"d\""), "{refused}");
    }

    #[test]
    fn bad_names_private_keys_and_broken_sets_are_refused() {
        assert!(manifest(&args("Bad_Name"), SET).unwrap_err().0.contains("invalid --name"));
        let private = br#"{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"a","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}]}"#;
        assert!(manifest(&args("s"), private).unwrap_err().0.contains("private member \"d\""));
        assert!(manifest(&args("s"), br#"{"keys":[]}"#).unwrap_err().0.contains("empty JWK set"));
    }
}
