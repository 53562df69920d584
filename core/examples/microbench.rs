//! Microbenchmark of the pure crate: per algorithm, how long parsing and verifying one token
//! takes, next to the raw cost of the signature check in the crypto backend.
//!
//! ```sh
//! cargo run --release -p auth-jwt-core --example microbench            # table on stdout
//! cargo run --release -p auth-jwt-core --example microbench -- --csv   # CSV on stdout
//! ```
//!
//! Columns (nanoseconds per operation: the fastest of many ~2 ms batches, see `measure`):
//! - `raw_verify`: the backend alone, with the key object built and the signature already in
//!   the backend's own format (aws-lc-rs for RSA, ECDSA, Ed25519; OpenSSL for Ed448; `hmac` +
//!   `sha2` for HS*, see `src/backend.rs`), one signature verified again and again;
//! - `raw_verify_distinct`: the same, rotating through [`DISTINCT`] tokens with distinct
//!   signatures, as the "distinct" rows of `bench/run` do. Some backend code is variable-time
//!   (ECDSA's modular inverse, for one): the same signature again and again lets the branch
//!   predictor learn its path, so `raw_verify` is up to ~15% below what a stream of distinct
//!   tokens costs;
//! - `parse`: [`Jws::parse`] (split, base64url, both JSON documents, header checks);
//! - `verify`: [`verify_signature`] on a parsed token (key selection + format conversion +
//!   the backend);
//! - `validate`: [`validate`], everything a request without a cache needs;
//! - `cached_hit`: [`validate_cached`] on a token already in the cache (`exp`/`nbf` still
//!   checked).
//!
//! `bench/run` reads `raw_verify` and `raw_verify_distinct` to separate the module's own
//! overhead from the crypto.
//! Tokens are signed here with the private keys of `t/data/keys`; the key set is
//! `t/data/jwks/all.json`, as in the nginx tests.

use std::cell::Cell;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[path = "../../bench/measure.rs"]
mod measure;
use measure::measure;

use auth_jwt_core::{
    validate, validate_cached, verify_signature, Jws, KeySet, Limits, VerifiedCache,
};
use aws_lc_rs::hmac as lc_hmac;
use aws_lc_rs::signature as lc;
use openssl::ecdsa::EcdsaSig;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private, Public};
use openssl::rsa::Padding;
use openssl::sign::{RsaPssSaltlen, Signer, Verifier};

/// One benchmarked algorithm: its name, the key file it signs with, and how to sign.
struct Case {
    label: &'static str,
    alg: &'static str,
    key: &'static str,
}

/// How many distinct tokens `raw_verify_distinct` rotates through (as many as `bench/run`
/// sends in its "distinct" rows).
const DISTINCT: u64 = 1000;

const CASES: &[Case] = &[
    Case { label: "HS256", alg: "HS256", key: "hs256" },
    Case { label: "HS512", alg: "HS512", key: "hs512" },
    Case { label: "RS256", alg: "RS256", key: "rsa" },
    Case { label: "RS512", alg: "RS512", key: "rsa" },
    Case { label: "PS256", alg: "PS256", key: "rsa" },
    Case { label: "ES256", alg: "ES256", key: "ec256" },
    Case { label: "ES384", alg: "ES384", key: "ec384" },
    Case { label: "ES512", alg: "ES512", key: "ec521" },
    Case { label: "EdDSA", alg: "EdDSA", key: "ed25519" },
    Case { label: "EdDSA-Ed448", alg: "EdDSA", key: "ed448" },
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let csv = args.iter().any(|a| a == "--csv");
    let only: Vec<&str> =
        args.iter().filter(|a| !a.starts_with("--")).map(String::as_str).collect();
    let budget = Duration::from_millis(
        std::env::var("MICROBENCH_MS").ok().and_then(|v| v.parse().ok()).unwrap_or(400),
    );

    let data = data_dir();
    let keys = KeySet::from_json(&read(&data.join("jwks/all.json"))).expect("jwks/all.json");
    let limits = Limits::default();
    let now = unix_now();

    if csv {
        println!(
            "alg,raw_verify_ns,raw_verify_distinct_ns,parse_ns,verify_ns,validate_ns,\
             cached_hit_ns,token_bytes"
        );
    } else {
        println!(
            "{:<12} {:>11} {:>11} {:>9} {:>9} {:>10} {:>11} {:>9}   (ns per op, best batch)",
            "alg",
            "raw_verify",
            "raw_distinct",
            "parse",
            "verify",
            "validate",
            "cached_hit",
            "overhead"
        );
    }
    for case in CASES.iter().filter(|c| only.is_empty() || only.contains(&c.label)) {
        let signer = SigningKey::load(&data, case);
        let token = signer.token(case.alg, case.key, now, 0);
        let token = token.as_bytes();

        // Sanity: the token verifies, so every timing below is of the success path.
        validate(token, Some(&keys), now, 0, &limits).expect("benchmark token must validate");

        let raw = signer.raw_verifier(case.alg, &[token]);
        let raw_ns = measure(budget, || raw.verify());
        let distinct: Vec<String> =
            (0..DISTINCT).map(|serial| signer.token(case.alg, case.key, now, serial)).collect();
        let distinct: Vec<&[u8]> = distinct.iter().map(String::as_bytes).collect();
        let raw_distinct = signer.raw_verifier(case.alg, &distinct);
        let raw_distinct_ns = measure(budget, || raw_distinct.verify());
        let parse_ns = measure(budget, || Jws::parse(black_box(token), &limits).is_ok());
        let jws = Jws::parse(token, &limits).expect("parse");
        let verify_ns = measure(budget, || verify_signature(black_box(&jws), Some(&keys)).is_ok());
        let validate_ns =
            measure(budget, || validate(black_box(token), Some(&keys), now, 0, &limits).is_ok());
        let mut cache = VerifiedCache::new(1024);
        validate_cached(token, Some(&keys), now, 0, &limits, &mut cache).expect("fills the cache");
        let hit_ns = measure(budget, || {
            validate_cached(black_box(token), Some(&keys), now, 0, &limits, &mut cache).is_ok()
        });

        if csv {
            println!(
                "{},{raw_ns:.0},{raw_distinct_ns:.0},{parse_ns:.0},{verify_ns:.0},{validate_ns:.0},\
                 {hit_ns:.0},{}",
                case.label,
                token.len()
            );
        } else {
            println!(
                "{:<12} {raw_ns:>11.0} {raw_distinct_ns:>11.0} {parse_ns:>9.0} {verify_ns:>9.0} \
                 {validate_ns:>10.0} {hit_ns:>11.0} {:>9.0}",
                case.label,
                validate_ns - raw_ns
            );
        }
    }
}

enum SigningKey {
    Hmac(Vec<u8>),
    Pkey(PKey<Private>),
}

impl SigningKey {
    fn load(data: &Path, case: &Case) -> SigningKey {
        if case.alg.starts_with("HS") {
            SigningKey::Hmac(read(&data.join(format!("keys/{}.bin", case.key))))
        } else {
            let pem = read(&data.join(format!("keys/{}.pem", case.key)));
            SigningKey::Pkey(PKey::private_key_from_pem(&pem).expect("private key"))
        }
    }

    /// A compact JWS with typical claims; `serial` makes tokens distinct.
    fn token(&self, alg: &str, kid: &str, now: i64, serial: u64) -> String {
        let header = format!(r#"{{"alg":"{alg}","kid":"{kid}","typ":"JWT"}}"#);
        let claims = format!(
            r#"{{"aud":"api","exp":{},"iat":{now},"iss":"https://idp.example.com","jti":"{serial}","sub":"user-{serial}"}}"#,
            now + 3600
        );
        let input = format!("{}.{}", b64(header.as_bytes()), b64(claims.as_bytes()));
        let sig = self.sign(alg, input.as_bytes());
        format!("{input}.{}", b64(&sig))
    }

    fn sign(&self, alg: &str, input: &[u8]) -> Vec<u8> {
        match self {
            SigningKey::Hmac(secret) => {
                let md = digest(alg);
                let key = PKey::hmac(secret).expect("hmac key");
                let mut signer = Signer::new(md, &key).expect("signer");
                signer.sign_oneshot_to_vec(input).expect("hmac")
            }
            SigningKey::Pkey(key) if alg == "EdDSA" => {
                let mut signer = Signer::new_without_digest(key).expect("signer");
                signer.sign_oneshot_to_vec(input).expect("eddsa")
            }
            SigningKey::Pkey(key) => {
                let mut signer = Signer::new(digest(alg), key).expect("signer");
                if alg.starts_with("PS") {
                    signer.set_rsa_padding(Padding::PKCS1_PSS).expect("pss");
                    signer.set_rsa_pss_saltlen(RsaPssSaltlen::DIGEST_LENGTH).expect("salt");
                }
                let sig = signer.sign_oneshot_to_vec(input).expect("sign");
                if alg.starts_with("ES") {
                    let half = match alg {
                        "ES256" => 32,
                        "ES384" => 48,
                        _ => 66,
                    };
                    let der = EcdsaSig::from_der(&sig).expect("der");
                    let mut raw = der.r().to_vec_padded(half).expect("r");
                    raw.extend(der.s().to_vec_padded(half).expect("s"));
                    raw
                } else {
                    sig
                }
            }
        }
    }

    /// The backend alone, as `core/src/backend.rs` uses it: the key parsed once, the signature
    /// in the backend's own format. aws-lc-rs for RSA, ECDSA, Ed25519 and HS* (the HMAC key
    /// prepared once); OpenSSL for Ed448. Each call of `verify` takes the next of `tokens`.
    fn raw_verifier(&self, alg: &str, tokens: &[&[u8]]) -> RawVerifier {
        let signed = tokens
            .iter()
            .map(|token| {
                let dot = token.iter().rposition(|&b| b == b'.').expect("dot");
                (token[..dot].to_vec(), b64_decode(&token[dot + 1..]))
            })
            .collect();
        let next = Cell::new(0);
        let key = match self {
            SigningKey::Hmac(secret) => {
                let hash = match alg {
                    "HS256" => lc_hmac::HMAC_SHA256,
                    "HS384" => lc_hmac::HMAC_SHA384,
                    _ => lc_hmac::HMAC_SHA512,
                };
                let key = RawKey::Hmac(Box::new(lc_hmac::Key::new(hash, secret)));
                return RawVerifier { key, signed, next };
            }
            SigningKey::Pkey(key) => key,
        };
        let public =
            PKey::public_key_from_der(&key.public_key_to_der().expect("spki")).expect("public key");
        let params: &'static dyn lc::VerificationAlgorithm = match alg {
            "RS256" => &lc::RSA_PKCS1_2048_8192_SHA256,
            "RS384" => &lc::RSA_PKCS1_2048_8192_SHA384,
            "RS512" => &lc::RSA_PKCS1_2048_8192_SHA512,
            "PS256" => &lc::RSA_PSS_2048_8192_SHA256,
            "PS384" => &lc::RSA_PSS_2048_8192_SHA384,
            "PS512" => &lc::RSA_PSS_2048_8192_SHA512,
            "ES256" => &lc::ECDSA_P256_SHA256_FIXED,
            "ES384" => &lc::ECDSA_P384_SHA384_FIXED,
            "ES512" => &lc::ECDSA_P521_SHA512_FIXED,
            _ if public.id() == openssl::pkey::Id::ED25519 => &lc::ED25519,
            _ => return RawVerifier { key: RawKey::OpenSsl(public), signed, next },
        };
        let bytes = if alg.starts_with("ES") {
            let ec = public.ec_key().expect("ec");
            let mut ctx = openssl::bn::BigNumContext::new().expect("ctx");
            ec.public_key()
                .to_bytes(ec.group(), openssl::ec::PointConversionForm::UNCOMPRESSED, &mut ctx)
                .expect("point")
        } else if alg == "EdDSA" {
            public.raw_public_key().expect("raw")
        } else {
            public.rsa().and_then(|r| r.public_key_to_der_pkcs1()).expect("pkcs1")
        };
        let key = lc::ParsedPublicKey::new(params, bytes).expect("aws-lc-rs key");
        RawVerifier { key: RawKey::AwsLc(key), signed, next }
    }
}

/// A key in the backend's own form, and the signing inputs and signatures it checks in turn.
struct RawVerifier {
    key: RawKey,
    signed: Vec<(Vec<u8>, Vec<u8>)>,
    next: Cell<usize>,
}

enum RawKey {
    Hmac(Box<lc_hmac::Key>),
    AwsLc(lc::ParsedPublicKey),
    /// Ed448.
    OpenSsl(PKey<Public>),
}

impl RawVerifier {
    fn verify(&self) -> bool {
        let index = self.next.get();
        self.next.set((index + 1) % self.signed.len());
        let (input, sig) = &self.signed[index];
        match &self.key {
            RawKey::Hmac(key) => lc_hmac::verify(key, black_box(input), sig).is_ok(),
            RawKey::AwsLc(key) => key.verify_sig(black_box(input), sig).is_ok(),
            RawKey::OpenSsl(key) => Verifier::new_without_digest(key)
                .and_then(|mut v| v.verify_oneshot(sig, black_box(input)))
                .unwrap_or(false),
        }
    }
}

fn digest(alg: &str) -> MessageDigest {
    match &alg[2..] {
        "256" => MessageDigest::sha256(),
        "384" => MessageDigest::sha384(),
        _ => MessageDigest::sha512(),
    }
}

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../t/data")
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

fn b64(bytes: &[u8]) -> String {
    openssl::base64::encode_block(bytes).trim_end_matches('=').replace('+', "-").replace('/', "_")
}

fn b64_decode(s: &[u8]) -> Vec<u8> {
    let mut s: String = String::from_utf8_lossy(s).replace('-', "+").replace('_', "/");
    while s.len() % 4 != 0 {
        s.push('=');
    }
    openssl::base64::decode_block(&s).expect("base64")
}
