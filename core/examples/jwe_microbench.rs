//! Microbenchmark of JWE decryption in the pure crate: per representative `alg` x `enc`, how
//! long parsing and parse + decrypt of one token take, next to the raw cost of its asymmetric
//! key operation in aws-lc-rs.
//!
//! ```sh
//! cargo run --release -p auth-jwt-core --example jwe_microbench [-- --csv]
//! ```
//!
//! `--csv` prints `case,parse_ns,decrypt_ns,raw_keyop_ns` (empty where there is no
//! asymmetric operation), which bench/run hands to bench/bench.pl for its JWE rows.
//!
//! Tokens and keys are minted by jwcrypto (`core/tests/jwe/mint.py`, needs `pip install
//! jwcrypto`), not by our code. Columns, nanoseconds per operation (best ~2 ms batch):
//! - `parse`: [`Jwe::parse`] (split, size checks, base64url, header JSON and checks);
//! - `decrypt`: [`Jwe::parse`] then [`jwe::decrypt`], what a request without a cache needs;
//! - `raw_keyop`: the RSA-OAEP decryption or the ECDH agreement alone, with the key already
//!   built (empty for the symmetric rows).

use std::hint::black_box;
use std::process::Command;
use std::time::Duration;

#[path = "../../bench/measure.rs"]
mod measure;
use measure::measure;

use auth_jwt_core::jwe::{self, DecryptionKeys, Jwe, JweLimits};
use aws_lc_rs::agreement;
use aws_lc_rs::rsa::{OaepPrivateDecryptingKey, PrivateDecryptingKey, OAEP_SHA256_MGF1SHA256};
use openssl::bn::BigNum;
use serde_json::Value;

/// The issue's representative set, plus two rows that split A256KW+A128CBC-HS256 into its
/// key wrap and its CBC-HMAC parts.
const CASES: [(&str, &str, &str, &str); 7] = [
    ("dir+A256GCM", "dir", "A256GCM", "dir-256"),
    ("A256KW+A128CBC-HS256", "A256KW", "A128CBC-HS256", "kw-256"),
    ("dir+A128CBC-HS256", "dir", "A128CBC-HS256", "dir-256"),
    ("A256KW+A256GCM", "A256KW", "A256GCM", "kw-256"),
    ("RSA-OAEP-256+A256GCM", "RSA-OAEP-256", "A256GCM", "rsa"),
    ("ECDH-ES+A256KW P-256", "ECDH-ES+A256KW", "A256GCM", "p256"),
    ("PBES2-HS512 p2c=10000", "", "", ""),
];

fn main() {
    let budget = Duration::from_millis(
        std::env::var("MICROBENCH_MS").ok().and_then(|v| v.parse().ok()).unwrap_or(400),
    );
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/jwe/mint.py");
    let out = Command::new("python3").arg(script).output().expect("python3");
    assert!(out.status.success(), "mint.py: {}", String::from_utf8_lossy(&out.stderr));
    let all: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let keys = DecryptionKeys::from_json(&serde_json::to_vec(&all["keys"]).unwrap()).unwrap();
    let limits = JweLimits::default();
    let key = |kid: &str| {
        all["keys"]["keys"].as_array().unwrap().iter().find(|k| k["kid"] == kid).unwrap().clone()
    };

    let csv = std::env::args().any(|a| a == "--csv");
    if csv {
        println!("case,parse_ns,decrypt_ns,raw_keyop_ns");
    } else {
        println!(
            "{:<24} {:>9} {:>10} {:>10} {:>9}   (ns per op, best batch)",
            "case", "parse", "decrypt", "raw_keyop", "overhead"
        );
    }
    for (label, alg, enc, kid) in CASES {
        let token = if alg.is_empty() {
            all["special"]["p2c_10000"].as_str().unwrap().to_owned()
        } else {
            let found = all["tokens"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["alg"] == alg && t["enc"] == enc && t["kid"] == kid);
            found.unwrap()["token"].as_str().unwrap().to_owned()
        };
        let token = token.as_bytes();
        let opened = jwe::decrypt(&Jwe::parse(token, &limits).unwrap(), &keys);
        assert!(opened.is_ok(), "{label}: {opened:?}");
        let budget = if alg.is_empty() { Duration::from_millis(100) } else { budget };
        let parse_ns = measure(budget, || Jwe::parse(black_box(token), &limits).is_ok());
        let decrypt_ns = measure(budget, || {
            Jwe::parse(black_box(token), &limits).is_ok_and(|t| jwe::decrypt(&t, &keys).is_ok())
        });
        let raw_ns = match alg {
            "RSA-OAEP-256" => Some(raw_rsa(&key(kid), token, budget)),
            "ECDH-ES+A256KW" => Some(raw_ecdh(&key(kid), token, budget)),
            _ => None,
        };
        if csv {
            let raw = raw_ns.map(|raw| format!("{raw:.0}")).unwrap_or_default();
            println!("{label},{parse_ns:.0},{decrypt_ns:.0},{raw}");
            continue;
        }
        let (raw, overhead) = match raw_ns {
            Some(raw) => (format!("{raw:.0}"), format!("{:.0}", decrypt_ns - raw)),
            None => ("-".to_owned(), "-".to_owned()),
        };
        println!("{label:<24} {parse_ns:>9.0} {decrypt_ns:>10.0} {raw:>10} {overhead:>9}");
    }
}

fn b64_decode(s: &str) -> Vec<u8> {
    let std: String = s
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    let pad = "=".repeat((4 - std.len() % 4) % 4);
    openssl::base64::decode_block(&format!("{std}{pad}")).unwrap()
}

fn part(token: &[u8], index: usize) -> Vec<u8> {
    b64_decode(std::str::from_utf8(token).unwrap().split('.').nth(index).unwrap())
}

fn raw_rsa(jwk: &Value, token: &[u8], budget: Duration) -> f64 {
    let n = |m: &str| BigNum::from_slice(&b64_decode(jwk[m].as_str().unwrap())).unwrap();
    let rsa = openssl::rsa::Rsa::from_private_components(
        n("n"),
        n("e"),
        n("d"),
        n("p"),
        n("q"),
        n("dp"),
        n("dq"),
        n("qi"),
    )
    .unwrap();
    let pkcs8 = openssl::pkey::PKey::from_rsa(rsa).unwrap().private_key_to_pkcs8().unwrap();
    let key =
        OaepPrivateDecryptingKey::new(PrivateDecryptingKey::from_pkcs8(&pkcs8).unwrap()).unwrap();
    let wrapped = part(token, 1);
    let mut out = vec![0; key.min_output_size()];
    measure(budget, || key.decrypt(&OAEP_SHA256_MGF1SHA256, &wrapped, &mut out, None).is_ok())
}

fn raw_ecdh(jwk: &Value, token: &[u8], budget: Duration) -> f64 {
    let d = b64_decode(jwk["d"].as_str().unwrap());
    let key = agreement::PrivateKey::from_private_key(&agreement::ECDH_P256, &d).unwrap();
    let header: Value = serde_json::from_slice(&part(token, 0)).unwrap();
    let mut point = vec![4];
    point.extend(b64_decode(header["epk"]["x"].as_str().unwrap()));
    point.extend(b64_decode(header["epk"]["y"].as_str().unwrap()));
    measure(budget, || {
        let peer = agreement::UnparsedPublicKey::new(&agreement::ECDH_P256, &point);
        agreement::agree(&key, peer, (), |z| Ok(z.len())).is_ok()
    })
}
