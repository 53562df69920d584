//! `auth-jwt jwks`: build and maintain the JWK Set file the module loads. Every change is
//! written atomically, so the module's hot reload sees the old set or the new one, never a
//! partial file.
//!
//! Each key added here carries `"x-added"` (unix seconds): `rotate` uses it to find the
//! previous key and the keys old enough to drop. The module ignores unknown JWK members.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use serde_json::{json, Map, Value};

use crate::error::{Context, Result};
use crate::fail;
use crate::files::{read_limited, write_atomic, Access, Existing};
use crate::keyfile::{has_secrets, parse_object, read_set, set_text};
use crate::keygen::{generate_and_write, KeySpec, PrivateFormat};
use crate::keys::{is_decryption_key, strip_private, PrivateKey};
use crate::time::{format_date, now, parse_non_negative};

/// The member that records when a key was added to the set.
pub const ADDED: &str = "x-added";

#[derive(Subcommand)]
pub enum JwksCommand {
    /// Add keys (JWK, JWK Set or PEM) to a set: the public part of signing keys, decryption
    /// keys ("use": "enc") whole (the module decrypts with them; the set is then written 0600).
    Add(AddArgs),
    /// Remove keys by kid.
    Remove(RemoveArgs),
    /// List the keys of a set.
    List(ListArgs),
    /// Generate a new key, put it first, keep the previous key for an overlap and drop keys
    /// older than --drop-older-than.
    Rotate(RotateArgs),
}

#[derive(Args)]
pub struct AddArgs {
    /// The JWK Set file to change (created if missing).
    #[arg(long)]
    pub set: PathBuf,
    /// Key files to add.
    #[arg(required = true)]
    pub keys: Vec<PathBuf>,
    /// Replace a key that has the same kid.
    #[arg(long)]
    pub force: bool,
}

#[derive(Args)]
pub struct RemoveArgs {
    #[arg(long)]
    pub set: PathBuf,
    /// kids of the keys to remove.
    #[arg(required = true)]
    pub kids: Vec<String>,
}

#[derive(Args)]
pub struct ListArgs {
    #[arg(long)]
    pub set: PathBuf,
}

#[derive(Args)]
pub struct RotateArgs {
    #[arg(long)]
    pub set: PathBuf,
    /// Algorithm of the new key (as for keygen).
    #[arg(long, short = 'a')]
    pub alg: String,
    /// Where to write the new private key (mode 0600).
    #[arg(long)]
    pub private: PathBuf,
    #[arg(long, value_enum, default_value = "jwk")]
    pub format: PrivateFormat,
    /// Key id of the new key; default: its RFC 7638 thumbprint.
    #[arg(long)]
    pub kid: Option<String>,
    #[arg(long, default_value_t = 2048)]
    pub bits: u32,
    /// Drop keys added longer ago than this (e.g. 30d); the previous key always stays.
    #[arg(long)]
    pub drop_older_than: Option<String>,
    /// Replace an existing private key file.
    #[arg(long)]
    pub force: bool,
}

pub fn run(cmd: &JwksCommand, json: bool) -> Result<bool> {
    match cmd {
        JwksCommand::Add(args) => add(args, json),
        JwksCommand::Remove(args) => remove(args, json),
        JwksCommand::List(args) => list(&args.set, json),
        JwksCommand::Rotate(args) => rotate(args, json, now()),
    }
}

fn kid_of(key: &Map<String, Value>) -> Option<&str> {
    key.get("kid").and_then(Value::as_str)
}

/// Checks the set with the module's loader, then writes it atomically (0600 if it holds
/// secrets).
pub fn save(path: &Path, keys: &[Map<String, Value>]) -> Result<()> {
    let text = set_text(keys);
    if !keys.is_empty() {
        auth_jwt_core::KeySet::from_json(text.as_bytes())
            .context("the module would refuse the resulting set, nothing written")?;
    }
    let access = if has_secrets(keys) { Access::Secret } else { Access::Public };
    write_atomic(path, text.as_bytes(), access, Existing::Replace)
}

/// The JWKs of a key file to put in a set for nginx: a JWK, a JWK Set, or a PEM key (then its
/// public part, with its thumbprint as kid). Signing keys lose their private members (nginx
/// verifies with the public part); decryption keys (`"use": "enc"`) keep theirs, since the
/// module decrypts with them.
fn keys_for_nginx(path: &Path) -> Result<Vec<Map<String, Value>>> {
    let bytes = read_limited(path)?;
    let shown = path.display();
    if bytes.trim_ascii_start().starts_with(b"-----BEGIN") {
        let key = PrivateKey::from_pem(&bytes).context(&shown)?;
        return Ok(vec![key.public_jwk(&key.thumbprint()?, None, key.usage())?]);
    }
    let root = parse_object(&bytes).context(&shown)?;
    let keys = match root.get("keys") {
        Some(Value::Array(keys)) => keys.iter().filter_map(Value::as_object).cloned().collect(),
        Some(_) => fail!("{shown}: member \"keys\" is not an array"),
        None => vec![root],
    };
    Ok(keys
        .iter()
        .map(|key| if is_decryption_key(key) { key.clone() } else { strip_private(key) })
        .collect())
}

fn add(args: &AddArgs, json: bool) -> Result<bool> {
    let mut set = read_set(&args.set)?;
    let mut added = Vec::new();
    for file in &args.keys {
        for mut key in keys_for_nginx(file)? {
            let Some(kid) = kid_of(&key).map(str::to_owned) else {
                fail!("{}: a key has no kid (give it one, or add it as PEM)", file.display());
            };
            if let Some(pos) = set.iter().position(|k| kid_of(k) == Some(kid.as_str())) {
                if !args.force {
                    fail!(
                        "{}: kid \"{kid}\" is already in the set (use --force to replace it)",
                        args.set.display()
                    );
                }
                set.remove(pos);
            }
            key.entry(ADDED).or_insert(json!(now()));
            set.push(key);
            added.push(kid);
        }
    }
    save(&args.set, &set)?;
    report(json, "added", &added, &args.set);
    Ok(true)
}

fn remove(args: &RemoveArgs, json: bool) -> Result<bool> {
    let mut set = read_set(&args.set)?;
    for kid in &args.kids {
        if !set.iter().any(|k| kid_of(k) == Some(kid.as_str())) {
            fail!("{}: no key with kid \"{kid}\"", args.set.display());
        }
        set.retain(|k| kid_of(k) != Some(kid.as_str()));
    }
    if set.is_empty() {
        fail!(
            "{}: removing every key would leave an empty set, which the module refuses",
            args.set.display()
        );
    }
    save(&args.set, &set)?;
    report(json, "removed", &args.kids, &args.set);
    Ok(true)
}

fn report(json: bool, what: &str, kids: &[String], set: &Path) {
    if json {
        println!("{}", json!({ what: kids, "set": set }));
    } else {
        for kid in kids {
            println!("{what} kid \"{kid}\" in {}", set.display());
        }
    }
}

fn describe(key: &Map<String, Value>) -> String {
    let text = |m: &str| key.get(m).and_then(Value::as_str).unwrap_or("");
    match text("kty") {
        "RSA" => {
            let bits = base64::Engine::decode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                text("n"),
            )
            .map(|n| n.iter().skip_while(|b| **b == 0).count() * 8)
            .unwrap_or(0);
            format!("RSA {bits}")
        }
        "EC" | "OKP" => format!("{} {}", text("kty"), text("crv")),
        "oct" => "oct".to_owned(),
        other => other.to_owned(),
    }
}

fn list(path: &Path, json: bool) -> Result<bool> {
    if !path.exists() {
        fail!("{}: no such file or directory", path.display());
    }
    let set = read_set(path)?;
    let now = now();
    if json {
        let keys: Vec<Value> = set
            .iter()
            .map(|k| {
                json!({
                    "kid": kid_of(k), "key": describe(k), "alg": k.get("alg"), "use": k.get("use"),
                    "added": k.get(ADDED),
                })
            })
            .collect();
        println!("{}", json!({ "set": path, "keys": keys }));
        return Ok(true);
    }
    for (i, k) in set.iter().enumerate() {
        let text = |m: &str| k.get(m).and_then(Value::as_str).unwrap_or("-").to_owned();
        let added = k
            .get(ADDED)
            .and_then(Value::as_i64)
            .map(|t| format!("added {} ({})", format_date(t), crate::time::relative(t, now)))
            .unwrap_or_else(|| "added -".into());
        println!(
            "{}  kid {}  {}  alg {}  use {}  {added}",
            i + 1,
            text("kid"),
            describe(k),
            text("alg"),
            text("use")
        );
    }
    Ok(true)
}

/// The rotation plan: which keys of the old set stay, given the new key's time.
/// The most recently added old key always stays (tokens signed with it are still in use);
/// others stay unless they were added more than `max_age` seconds before `now`. Keys without
/// `x-added` are as old as can be.
pub fn keys_to_keep(set: &[Map<String, Value>], max_age: Option<u64>, now: i64) -> Vec<bool> {
    let added = |k: &Map<String, Value>| k.get(ADDED).and_then(Value::as_i64).unwrap_or(i64::MIN);
    let previous = set
        .iter()
        .enumerate()
        .max_by_key(|(i, k)| (added(k), std::cmp::Reverse(*i)))
        .map(|(i, _)| i);
    set.iter()
        .enumerate()
        .map(|(i, k)| {
            Some(i) == previous
                || max_age
                    .is_none_or(|max| i128::from(now) - i128::from(added(k)) <= i128::from(max))
        })
        .collect()
}

fn rotate(args: &RotateArgs, json: bool, now: i64) -> Result<bool> {
    let max_age = args.drop_older_than.as_deref().map(parse_non_negative).transpose()?;
    let old = read_set(&args.set)?;
    // Checked before anything is written: a refused rotation changes no file.
    if let Some(kid) = &args.kid {
        if old.iter().any(|k| kid_of(k) == Some(kid.as_str())) {
            fail!("{}: kid \"{kid}\" is already in the set", args.set.display());
        }
    }
    let keep = keys_to_keep(&old, max_age, now);
    let existing = if args.force { Existing::Replace } else { Existing::Refuse };
    let spec = KeySpec {
        alg: &args.alg,
        rsa_bits: args.bits,
        enc: None,
        crv: None,
        kid: args.kid.as_deref(),
        with_alg: true,
        format: args.format,
    };
    let made = generate_and_write(&spec, &args.private, None, existing)?;
    if old.iter().any(|k| kid_of(k) == Some(made.kid.as_str())) {
        fail!("{}: kid \"{}\" is already in the set", args.set.display(), made.kid);
    }
    let mut new_key = made.public_jwk.clone();
    new_key.insert(ADDED.into(), json!(now));
    // The new key goes first: the module tries keys in file order.
    let mut set = vec![new_key];
    let mut dropped = Vec::new();
    for (key, keep) in old.into_iter().zip(keep) {
        if keep {
            set.push(key);
        } else {
            dropped.push(kid_of(&key).unwrap_or("-").to_owned());
        }
    }
    save(&args.set, &set)?;
    let kept: Vec<&str> = set.iter().skip(1).filter_map(kid_of).collect();
    if json {
        println!(
            "{}",
            json!({ "added": made.kid, "kept": kept, "dropped": dropped, "set": args.set, "private": args.private })
        );
    } else {
        println!(
            "added kid \"{}\" ({} for {}) to {}",
            made.kid,
            made.key.describe(),
            made.alg,
            args.set.display()
        );
        println!("private key: {} (mode 0600)", args.private.display());
        for kid in kept {
            println!("kept kid \"{kid}\"");
        }
        for kid in &dropped {
            println!("dropped kid \"{kid}\"");
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(kid: &str, added: Option<i64>) -> Map<String, Value> {
        let mut k = Map::new();
        k.insert("kid".into(), json!(kid));
        if let Some(t) = added {
            k.insert(ADDED.into(), json!(t));
        }
        k
    }

    #[test]
    fn rotation_keeps_the_previous_key_and_drops_old_ones() {
        let set =
            [key("a", Some(1000)), key("b", Some(5000)), key("c", None), key("d", Some(9000))];
        // Without an age limit nothing is dropped.
        assert_eq!(keys_to_keep(&set, None, 10_000), [true; 4]);
        // d is the previous key; b (5000 s old) is within 6000 s; a and c are not.
        assert_eq!(keys_to_keep(&set, Some(6000), 10_000), [false, true, false, true]);
        // Even with age 0 the previous key stays.
        assert_eq!(keys_to_keep(&set, Some(0), 10_000), [false, false, false, true]);
        // Undated keys only: the first one is the previous key.
        assert_eq!(keys_to_keep(&[key("x", None), key("y", None)], Some(0), 10), [true, false]);
    }
}
