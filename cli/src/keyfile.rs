//! Reading the key files people hand to this tool: a private key as JWK, JWK Set or PEM, and
//! JWK Sets as JSON documents to edit.

use std::path::Path;

use serde_json::{Map, Value};

use crate::error::{Context, Result};
use crate::fail;
use crate::files::read_limited;
use crate::keys::PrivateKey;

/// A private key with the `kid` and `alg` its JWK declares (none for PEM).
pub struct LoadedKey {
    pub key: PrivateKey,
    pub kid: Option<String>,
    pub alg: Option<String>,
    /// The JWK's `use`.
    pub usage: Option<String>,
}

/// Reads a signing key: a PEM private key, a private JWK, or a JWK Set holding one private key
/// (or several, then `kid` chooses).
pub fn load_private(path: &Path, kid: Option<&str>) -> Result<LoadedKey> {
    let bytes = read_limited(path)?;
    let shown = path.display();
    let trimmed = bytes.trim_ascii_start();
    if trimmed.starts_with(b"-----BEGIN") {
        let key = PrivateKey::from_pem(&bytes).context(&shown)?;
        return Ok(LoadedKey { key, kid: None, alg: None, usage: None });
    }
    let root = parse_object(&bytes).context(&shown)?;
    let jwk = match root.get("keys") {
        None => root,
        Some(Value::Array(keys)) => {
            let private: Vec<&Map<String, Value>> = keys
                .iter()
                .filter_map(Value::as_object)
                .filter(|k| {
                    k.contains_key("d") || k.get("kty").and_then(Value::as_str) == Some("oct")
                })
                .filter(|k| {
                    kid.is_none_or(|want| k.get("kid").and_then(Value::as_str) == Some(want))
                })
                .collect();
            match private.as_slice() {
                [one] => (*one).clone(),
                [] => fail!(
                    "{shown}: no private key{} in the JWK Set",
                    kid.map(|k| format!(" with kid \"{k}\"")).unwrap_or_default()
                ),
                _ => fail!("{shown}: several private keys in the JWK Set: choose one with --kid"),
            }
        }
        Some(_) => fail!("{shown}: member \"keys\" is not an array"),
    };
    let key = PrivateKey::from_jwk(&jwk).context(&shown)?;
    let text = |name: &str| jwk.get(name).and_then(Value::as_str).map(str::to_owned);
    Ok(LoadedKey { key, kid: text("kid"), alg: text("alg"), usage: text("use") })
}

pub fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => fail!("not a JSON object"),
        Err(err) => fail!("not valid JSON: {err}"),
    }
}

/// A JWK Set as an editable list of JWK objects; a missing file is an empty set.
pub fn read_set(path: &Path) -> Result<Vec<Map<String, Value>>> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let shown = path.display();
    let root = parse_object(&read_limited(path)?).context(&shown)?;
    let keys = match root.get("keys") {
        Some(Value::Array(keys)) => keys,
        Some(_) => fail!("{shown}: member \"keys\" is not an array"),
        None if root.contains_key("kty") => return Ok(vec![root]),
        None => fail!("{shown}: not a JWK Set (no \"keys\")"),
    };
    keys.iter()
        .enumerate()
        .map(|(i, key)| match key {
            Value::Object(map) => Ok(map.clone()),
            _ => fail!("{shown}: key {} is not a JSON object", i + 1),
        })
        .collect()
}

/// The JSON text of a set, pretty-printed with a final newline.
pub fn set_text(keys: &[Map<String, Value>]) -> String {
    let keys: Vec<Value> = keys.iter().cloned().map(Value::Object).collect();
    let mut text =
        serde_json::to_string_pretty(&serde_json::json!({ "keys": keys })).unwrap_or_default();
    text.push('\n');
    text
}

/// Whether any key holds secret material (an HMAC secret or a private member): such a set
/// is written owner-only.
pub fn has_secrets(keys: &[Map<String, Value>]) -> bool {
    keys.iter().any(|k| {
        k.get("kty").and_then(Value::as_str) == Some("oct")
            || crate::keys::PRIVATE_MEMBERS.iter().any(|m| k.contains_key(*m))
    })
}
