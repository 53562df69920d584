//! Raw signature verification cost of three backends, per JWS algorithm, on this machine:
//! OpenSSL (the system libcrypto, used the way core/src/verify.rs does: one EVP verify context
//! per call), ring 0.17 and aws-lc-rs 1.x (with its pre-parsed `ParsedPublicKey`, and with
//! `UnparsedPublicKey`, which parses the key on every call as ring always does).
//!
//! ```sh
//! cargo run --release --manifest-path bench/backends/Cargo.toml [-- --csv]
//! ```
//!
//! Keys are the fixtures of t/data/keys; each signature is made once with OpenSSL and checked
//! by every backend before it is timed. Times are nanoseconds per verification, the fastest
//! of many ~2 ms batches, so that a busy machine inflates them as little as possible.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[path = "../../measure.rs"]
mod measure;
use measure::measure;

use aws_lc_rs::signature as lc;
use openssl::bn::{BigNum, BigNumContext};
use openssl::ec::PointConversionForm;
use openssl::ecdsa::EcdsaSig;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private, Public};
use openssl::rsa::Padding;
use openssl::sign::{RsaPssSaltlen, Signer, Verifier};
use ring::signature as rg;

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Hmac,
    RsaPkcs1,
    RsaPss,
    Ecdsa(usize),
    EdDsa,
}

struct Case {
    alg: &'static str,
    key: &'static str,
    kind: Kind,
    md: fn() -> MessageDigest,
    ring: Option<&'static dyn rg::VerificationAlgorithm>,
    lc: Option<&'static dyn lc::VerificationAlgorithm>,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            alg: "HS256",
            key: "hs256",
            kind: Kind::Hmac,
            md: MessageDigest::sha256,
            ring: None,
            lc: None,
        },
        Case {
            alg: "RS256",
            key: "rsa",
            kind: Kind::RsaPkcs1,
            md: MessageDigest::sha256,
            ring: Some(&rg::RSA_PKCS1_2048_8192_SHA256),
            lc: Some(&lc::RSA_PKCS1_2048_8192_SHA256),
        },
        Case {
            alg: "PS256",
            key: "rsa",
            kind: Kind::RsaPss,
            md: MessageDigest::sha256,
            ring: Some(&rg::RSA_PSS_2048_8192_SHA256),
            lc: Some(&lc::RSA_PSS_2048_8192_SHA256),
        },
        Case {
            alg: "ES256",
            key: "ec256",
            kind: Kind::Ecdsa(32),
            md: MessageDigest::sha256,
            ring: Some(&rg::ECDSA_P256_SHA256_FIXED),
            lc: Some(&lc::ECDSA_P256_SHA256_FIXED),
        },
        Case {
            alg: "ES384",
            key: "ec384",
            kind: Kind::Ecdsa(48),
            md: MessageDigest::sha384,
            ring: Some(&rg::ECDSA_P384_SHA384_FIXED),
            lc: Some(&lc::ECDSA_P384_SHA384_FIXED),
        },
        Case {
            alg: "ES512",
            key: "ec521",
            kind: Kind::Ecdsa(66),
            md: MessageDigest::sha512,
            ring: None,
            lc: Some(&lc::ECDSA_P521_SHA512_FIXED),
        },
        Case {
            alg: "EdDSA",
            key: "ed25519",
            kind: Kind::EdDsa,
            md: MessageDigest::null,
            ring: Some(&rg::ED25519),
            lc: Some(&lc::ED25519),
        },
        Case {
            alg: "EdDSA-Ed448",
            key: "ed448",
            kind: Kind::EdDsa,
            md: MessageDigest::null,
            ring: None,
            lc: None,
        },
    ]
}

fn main() {
    let csv = std::env::args().any(|a| a == "--csv");
    let budget = Duration::from_millis(
        std::env::var("MICROBENCH_MS").ok().and_then(|v| v.parse().ok()).unwrap_or(400),
    );
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../t/data");
    // A typical JWS signing input (header + payload of a small access token).
    let message = format!("{}.{}", "e".repeat(60), "p".repeat(220)).into_bytes();

    if csv {
        println!("alg,openssl_ns,ring_ns,aws_lc_parsed_ns,aws_lc_unparsed_ns");
    } else {
        println!(
            "{:<12} {:>10} {:>10} {:>16} {:>18}   (ns per verification, best batch)",
            "alg", "openssl", "ring", "aws-lc-rs parsed", "aws-lc-rs unparsed"
        );
    }
    for case in cases() {
        let row = bench_case(&case, &data, &message, budget);
        let show = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |ns| format!("{ns:.0}"));
        if csv {
            println!(
                "{},{},{},{},{}",
                case.alg,
                show(row[0]),
                show(row[1]),
                show(row[2]),
                show(row[3])
            );
        } else {
            println!(
                "{:<12} {:>10} {:>10} {:>16} {:>18}",
                case.alg,
                show(row[0]),
                show(row[1]),
                show(row[2]),
                show(row[3])
            );
        }
    }
}

/// [openssl, ring, aws-lc parsed, aws-lc unparsed], `None` where the backend lacks the alg.
fn bench_case(case: &Case, data: &Path, msg: &[u8], budget: Duration) -> [Option<f64>; 4] {
    if case.kind == Kind::Hmac {
        let secret = read(&data.join(format!("keys/{}.bin", case.key)));
        let key = PKey::hmac(&secret).expect("hmac key");
        let tag = Signer::new(MessageDigest::sha256(), &key)
            .and_then(|mut s| s.sign_oneshot_to_vec(msg))
            .expect("hmac");
        let rkey = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &secret);
        let lkey = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &secret);
        assert!(ring::hmac::verify(&rkey, msg, &tag).is_ok());
        assert!(aws_lc_rs::hmac::verify(&lkey, msg, &tag).is_ok());
        let openssl = measure(budget, || {
            Signer::new(MessageDigest::sha256(), &key)
                .and_then(|mut s| s.sign_oneshot_to_vec(black_box(msg)))
                .is_ok_and(|t| openssl::memcmp::eq(&t, &tag))
        });
        let ring = measure(budget, || ring::hmac::verify(&rkey, black_box(msg), &tag).is_ok());
        let lc = measure(budget, || aws_lc_rs::hmac::verify(&lkey, black_box(msg), &tag).is_ok());
        return [Some(openssl), Some(ring), Some(lc), Some(lc)];
    }

    let private: PKey<Private> =
        PKey::private_key_from_pem(&read(&data.join(format!("keys/{}.pem", case.key))))
            .expect("private key");
    let public: PKey<Public> =
        PKey::public_key_from_der(&private.public_key_to_der().expect("spki")).expect("public");
    let md = (case.md)();

    // Sign once; `jws_sig` is the JWS form (r||s for ECDSA), `der_sig` OpenSSL's.
    let der_sig = match case.kind {
        Kind::EdDsa => Signer::new_without_digest(&private)
            .and_then(|mut s| s.sign_oneshot_to_vec(msg))
            .expect("sign"),
        _ => {
            let mut signer = Signer::new(md, &private).expect("signer");
            if case.kind == Kind::RsaPss {
                signer.set_rsa_padding(Padding::PKCS1_PSS).expect("pss");
                signer.set_rsa_pss_saltlen(RsaPssSaltlen::DIGEST_LENGTH).expect("salt");
            }
            signer.sign_oneshot_to_vec(msg).expect("sign")
        }
    };
    let jws_sig = match case.kind {
        Kind::Ecdsa(half) => {
            let sig = EcdsaSig::from_der(&der_sig).expect("der");
            let mut raw = sig.r().to_vec_padded(half as i32).expect("r");
            raw.extend(sig.s().to_vec_padded(half as i32).expect("s"));
            raw
        }
        _ => der_sig.clone(),
    };

    let openssl_verify = || -> bool {
        let result = match case.kind {
            Kind::EdDsa => Verifier::new_without_digest(&public)
                .and_then(|mut v| v.verify_oneshot(&der_sig, black_box(msg))),
            _ => Verifier::new(md, &public).and_then(|mut v| {
                match case.kind {
                    Kind::RsaPss => {
                        v.set_rsa_padding(Padding::PKCS1_PSS)?;
                        v.set_rsa_pss_saltlen(RsaPssSaltlen::DIGEST_LENGTH)?;
                        v.set_rsa_mgf1_md(md)?;
                    }
                    Kind::RsaPkcs1 => v.set_rsa_padding(Padding::PKCS1)?,
                    _ => {}
                }
                v.verify_oneshot(&der_sig, black_box(msg))
            }),
        };
        result.unwrap_or(false)
    };
    assert!(openssl_verify(), "{}: openssl does not verify", case.alg);
    let openssl = Some(measure(budget, openssl_verify));

    // The public key in the form ring and aws-lc-rs take: PKCS#1 RSAPublicKey, an
    // uncompressed SEC1 point, or the raw Ed25519 key.
    let raw_key = match case.kind {
        Kind::RsaPkcs1 | Kind::RsaPss => {
            public.rsa().and_then(|r| r.public_key_to_der_pkcs1()).expect("pkcs1")
        }
        Kind::Ecdsa(_) => {
            let ec = public.ec_key().expect("ec");
            let mut ctx = BigNumContext::new().expect("ctx");
            ec.public_key()
                .to_bytes(ec.group(), PointConversionForm::UNCOMPRESSED, &mut ctx)
                .expect("point")
        }
        Kind::EdDsa => public.raw_public_key().expect("raw"),
        Kind::Hmac => unreachable!(),
    };

    let ring = case.ring.map(|alg| {
        let key = rg::UnparsedPublicKey::new(alg, &raw_key);
        assert!(key.verify(msg, &jws_sig).is_ok(), "{}: ring does not verify", case.alg);
        measure(budget, || key.verify(black_box(msg), &jws_sig).is_ok())
    });
    let (lc_parsed, lc_unparsed) = match case.lc {
        None => (None, None),
        Some(alg) => {
            let parsed = lc::ParsedPublicKey::new(alg, &raw_key).expect("aws-lc key");
            assert!(parsed.verify_sig(msg, &jws_sig).is_ok(), "{}: aws-lc", case.alg);
            let unparsed = lc::UnparsedPublicKey::new(alg, &raw_key);
            (
                Some(measure(budget, || parsed.verify_sig(black_box(msg), &jws_sig).is_ok())),
                Some(measure(budget, || unparsed.verify(black_box(msg), &jws_sig).is_ok())),
            )
        }
    };
    let _ = BigNum::new();
    [openssl, ring, lc_parsed, lc_unparsed]
}

fn read(path: &PathBuf) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
