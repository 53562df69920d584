//! `auth-jwt verify`, `auth-jwt explain` and `auth-jwt check-keys`: the module's verdict (see
//! `verdict.rs`) for people or scripts.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use serde_json::{json, Value};

use crate::error::Result;
use crate::fail;
use crate::time::{now, parse_non_negative};
use crate::tokens::{time_notes, TokenInput};
use crate::verdict::{describe_require, load_keys, verdict, KeyFate, Require};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TokenType {
    /// A signed JWT (JWS).
    Signed,
    /// A JWE whose plaintext is the claims.
    Encrypted,
    /// A JWE whose plaintext is a signed JWT (cty "JWT").
    Nested,
}

impl TokenType {
    fn core(self) -> auth_jwt_core::TokenType {
        match self {
            TokenType::Signed => auth_jwt_core::TokenType::Signed,
            TokenType::Encrypted => auth_jwt_core::TokenType::Encrypted,
            TokenType::Nested => auth_jwt_core::TokenType::Nested,
        }
    }
}

#[derive(Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub token: TokenInput,
    /// The key file, as given to auth_jwt_key_file; repeat for several (one level with several
    /// auth_jwt_key_file). Without it, as in a location without a key file, the signature is
    /// not checked.
    #[arg(long, short = 'k')]
    pub keys: Vec<PathBuf>,
    #[command(flatten)]
    pub fetch: crate::fetch::FetchArgs,
    /// Allowed clock skew for exp and nbf (auth_jwt_leeway), e.g. 30s.
    #[arg(long, default_value = "0")]
    pub leeway: String,
    /// Expected token type (auth_jwt_type).
    #[arg(long = "type", value_enum, default_value = "signed")]
    pub token_type: TokenType,
    /// Like auth_jwt_require on a claim: PATH (dot-separated for nested claims, e.g.
    /// realm_access.roles) must be present and neither empty nor 0. Repeatable.
    #[arg(long, value_name = "CLAIM")]
    pub require: Vec<String>,
    /// The same for a header member.
    #[arg(long, value_name = "NAME")]
    pub require_header: Vec<String>,
    /// The time to judge at, in unix seconds (default: now).
    #[arg(long, value_name = "UNIX")]
    pub now: Option<i64>,
}

fn fate_text(fate: &KeyFate) -> String {
    match fate {
        KeyFate::Verified => "signature verifies".into(),
        KeyFate::Decrypted => "decrypts the token".into(),
        KeyFate::DoesNotDecrypt => {
            "candidate, does not decrypt (another key's token, or an altered one)".into()
        }
        KeyFate::NotTried => "not tried (an earlier key verified)".into(),
        KeyFate::NotCandidate => {
            "not a candidate (its kid or key type does not fit the token)".into()
        }
        KeyFate::BadSignature => "candidate, signature does not verify".into(),
        KeyFate::Skipped(note) => format!("ignored when loading: {note}"),
    }
}

fn fate_word(fate: &KeyFate) -> &'static str {
    match fate {
        KeyFate::Verified => "verified",
        KeyFate::Decrypted => "decrypted",
        KeyFate::DoesNotDecrypt => "does_not_decrypt",
        KeyFate::NotTried => "not_tried",
        KeyFate::NotCandidate => "not_candidate",
        KeyFate::BadSignature => "bad_signature",
        KeyFate::Skipped(_) => "skipped",
    }
}

pub fn run(args: &VerifyArgs, json: bool, explain: bool) -> Result<bool> {
    let leeway = parse_non_negative(&args.leeway)?;
    let token = args.token.read()?;
    let keys = load_keys(&args.keys, args.fetch.fetch_all()?);
    let mut require: Vec<Require> = Vec::new();
    for (list, header) in [(&args.require, false), (&args.require_header, true)] {
        for path in list {
            if path.is_empty() || path.split('.').any(str::is_empty) {
                fail!("invalid --require \"{path}\": expected a name or a dot-separated path");
            }
            require.push(Require { header, path: path.split('.').map(str::to_owned).collect() });
        }
    }
    let now = args.now.unwrap_or_else(now);
    let v = verdict(&token, args.token_type.core(), &keys, now, leeway, &require);
    let accepted = v.status == auth_jwt_core::JwtStatus::Ok.as_str();
    let claims = v.claims.clone().map(Value::Object).unwrap_or(Value::Null);
    let notes = time_notes(&claims, now);

    if json {
        let keys_json: Vec<Value> = v
            .keys
            .iter()
            .map(|k| {
                let fate = &k.fate;
                let mut k = json!({ "file": k.file, "index": k.index, "kid": k.kid, "result": fate_word(fate) });
                if let KeyFate::Skipped(note) = fate {
                    k["note"] = json!(note);
                }
                k
            })
            .collect();
        let key_json = |i: Option<usize>| {
            i.and_then(|i| v.keys.get(i))
                .map(|k| json!({ "file": k.file, "index": k.index, "kid": k.kid }))
        };
        let matched = key_json(v.matched);
        let times: serde_json::Map<String, Value> = notes
            .iter()
            .map(|(n, t, text)| ((*n).to_owned(), json!({ "unix": t, "text": text })))
            .collect();
        let mut out = json!({
            "status": v.status,
            "accepted": accepted,
            "reason": v.reason,
            "matched_key": matched,
            "signed_by": key_json(v.signed_by),
            "signature_checked": !keys.is_none(),
        });
        if explain {
            out["keys"] = json!(keys_json);
            out["times"] = json!(times);
            out["header"] = v.header.clone().map(Value::Object).unwrap_or(Value::Null);
            out["claims"] = claims;
            out["require"] = json!(require.iter().map(describe_require).collect::<Vec<_>>());
        }
        println!("{out}");
        return Ok(accepted);
    }

    println!("{}", v.status);
    if let Some(reason) = &v.reason {
        println!("reason: {reason}");
    }
    let kid_text = |kid: &Option<String>| {
        kid.as_deref().map_or_else(|| "no kid".to_owned(), |k| format!("kid \"{k}\""))
    };
    if let Some(k) = v.matched.and_then(|i| v.keys.get(i)) {
        let what = if k.fate == KeyFate::Decrypted { "decrypted by" } else { "key" };
        println!("{what}: {} in {}, {}", k.index, k.file, kid_text(&k.kid));
    }
    if let Some(k) = v.signed_by.and_then(|i| v.keys.get(i)) {
        println!("signed by: {} in {}, {}", k.index, k.file, kid_text(&k.kid));
    }
    if explain {
        if keys.is_none() {
            println!(
                "keys: none given, the signature is not checked (as without auth_jwt_key_file)"
            );
        }
        let mut file = None;
        for k in &v.keys {
            if file != Some(&k.file) {
                println!("keys in {}:", k.file);
                file = Some(&k.file);
            }
            println!("  {}. {}: {}", k.index, kid_text(&k.kid), fate_text(&k.fate));
        }
        if let Some(header) = &v.header {
            let alg = header.get("alg").and_then(Value::as_str).unwrap_or("-");
            let kid = header.get("kid").map_or_else(|| "none".to_owned(), |k| k.to_string());
            match header.get("enc").and_then(Value::as_str) {
                Some(enc) => println!("token: JWE, alg {alg}, enc {enc}, kid {kid}"),
                None => println!("token: alg {alg}, kid {kid}"),
            }
        }
        for (_, _, text) in &notes {
            println!("{text}");
        }
        if leeway > 0 {
            println!("leeway: {leeway} s");
        }
    }
    Ok(accepted)
}

pub fn check_keys(path: &Path, json: bool) -> Result<bool> {
    let shown = path.display();
    match auth_jwt_core::keystore::read_key_file(path) {
        Err(reason) => {
            let line = format!("auth_jwt_key_file \"{shown}\" is unusable: {reason}; requests that need it will get 500");
            if json {
                println!(
                    "{}",
                    json!({ "file": path, "usable": false, "error": reason, "message": line })
                );
            } else {
                println!("{line}");
            }
            Ok(false)
        }
        Ok(set) => {
            // The module's start-up lines, in its order: weak keys first, then skipped ones.
            let warnings: Vec<String> = set
                .warnings()
                .iter()
                .map(|weak| format!("auth_jwt_key_file \"{shown}\": {weak}"))
                .chain(
                    set.skipped()
                        .iter()
                        .map(|note| format!("auth_jwt_key_file \"{shown}\": ignored {note}")),
                )
                .collect();
            if json {
                let decryption = set.decryption_keys().len();
                println!(
                    "{}",
                    json!({ "file": path, "usable": true, "keys": set.len(),
                            "decryption_keys": decryption, "warnings": warnings })
                );
            } else {
                for w in &warnings {
                    println!("warning: {w}");
                }
                let plural = |n: usize| if n == 1 { "" } else { "s" };
                let decryption = set.decryption_keys().len();
                let signing = set.len();
                match decryption {
                    0 => println!("ok: {signing} usable key{} in {shown}", plural(signing)),
                    _ => println!(
                        "ok: {signing} signing key{} and {decryption} decryption key{} (JWE) in {shown}",
                        plural(signing),
                        plural(decryption)
                    ),
                }
            }
            Ok(true)
        }
    }
}
