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
use crate::keys::PRIVATE_MEMBERS;

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
            let is_oct = key.get("kty").and_then(Value::as_str) == Some("oct");
            if let Some(m) = PRIVATE_MEMBERS.iter().find(|m| key.get(**m).is_some()) {
                if !is_oct {
                    fail!("{}: key {} has the private member \"{m}\": put only public keys in a Secret for nginx", args.file.display(), i + 1);
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

    #[test]
    fn bad_names_private_keys_and_broken_sets_are_refused() {
        assert!(manifest(&args("Bad_Name"), SET).unwrap_err().0.contains("invalid --name"));
        let private = br#"{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"a","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}]}"#;
        assert!(manifest(&args("s"), private).unwrap_err().0.contains("private member \"d\""));
        assert!(manifest(&args("s"), br#"{"keys":[]}"#).unwrap_err().0.contains("empty JWK set"));
    }
}
