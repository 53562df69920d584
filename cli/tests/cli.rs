//! The auth-jwt binary as a user runs it: exit statuses, one-line errors (never a panic),
//! and the files it writes.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_auth-jwt")).args(args).output().expect("auth-jwt runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// An error: exit status 2 and one line `auth-jwt: ...` on stderr.
fn assert_error(out: &Output, contains: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    assert!(err.starts_with("auth-jwt: "), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains(contains), "{err:?} lacks {contains:?}");
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("auth-jwt-it-{tag}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn usage_errors_exit_2_without_a_panic() {
    for args in
        [&["keygen", "--alg", "ES256"][..], &["sign"], &["frobnicate"], &["verify", "--leeway"]]
    {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!stderr(&out).contains("panicked"), "{args:?}");
    }
    assert_eq!(run(&["--help"]).status.code(), Some(0));
    assert!(stdout(&run(&["--help"])).contains("EXIT STATUS"));
}

#[test]
fn bad_values_are_one_line_errors() {
    let dir = temp_dir("values");
    let out = dir.join("k.jwk");
    assert_error(
        &run(&["keygen", "--alg", "RS256", "--bits", "1024", "--out", p(&out)]),
        "at least 2048",
    );
    assert_error(
        &run(&["keygen", "--alg", "none", "--out", p(&out)]),
        "unknown algorithm \"none\"",
    );
    assert_error(
        &run(&["keygen", "--alg", "HS256", "--format", "pem", "--out", p(&out)]),
        "no PEM form",
    );
    assert!(!out.exists(), "nothing written after an error");
    assert_error(
        &run(&["sign", "--key", "/nonexistent/key.jwk"]),
        "/nonexistent/key.jwk: no such file or directory",
    );
    assert_error(&run(&["verify", "--leeway", "5x", "a.b.c"]), "invalid duration \"5x\"");
    // A JWS where encrypted tokens are expected is the module's wrong_type, not an error.
    let wrong = run(&["verify", "--type", "encrypted", "a.b.c"]);
    assert_eq!(wrong.status.code(), Some(1));
    assert!(stdout(&wrong).starts_with("wrong_type\n"), "{}", stdout(&wrong));
    assert_error(&run(&["decode", "abc"]), "not a JWT");
    assert_error(&run(&["k8s-secret", "--name", "x", "/nonexistent"]), "no such file or directory");
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn keygen_modes_existing_files_and_force() {
    let dir = temp_dir("keygen");
    let key = dir.join("ec.jwk");
    let out = run(&["keygen", "--alg", "ES256", "--out", p(&key)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(mode(&key), 0o600);
    assert_eq!(mode(&dir.join("ec.pub.jwk")), 0o644);
    let first = fs::read(&key).unwrap();

    // Refused without --force, and neither file changes.
    assert_error(&run(&["keygen", "--alg", "ES256", "--out", p(&key)]), "file exists (use --force");
    assert_eq!(fs::read(&key).unwrap(), first);
    let out = run(&["keygen", "--alg", "ES256", "--out", p(&key), "--force"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_ne!(fs::read(&key).unwrap(), first);
    assert_eq!(mode(&key), 0o600);

    // An HMAC "public" JWK is the secret: owner-only too.
    let hs = dir.join("hs.jwk");
    assert_eq!(run(&["keygen", "--alg", "HS512", "--out", p(&hs)]).status.code(), Some(0));
    assert_eq!(mode(&dir.join("hs.pub.jwk")), 0o600);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn jwks_files_are_replaced_atomically_and_checked() {
    let dir = temp_dir("jwks");
    let set = dir.join("jwks.json");
    let key = dir.join("k.jwk");
    assert_eq!(
        run(&["keygen", "--alg", "EdDSA", "--out", p(&key), "--kid", "k1"]).status.code(),
        Some(0)
    );
    let pub_key = dir.join("k.pub.jwk");
    assert_eq!(run(&["jwks", "add", "--set", p(&set), p(&pub_key)]).status.code(), Some(0));
    assert_eq!(mode(&set), 0o644);
    let text = fs::read_to_string(&set).unwrap();
    assert!(text.contains("\"kid\": \"k1\"") && !text.contains("\"d\""), "{text}");
    // The same kid again is refused; the set is unchanged.
    assert_error(
        &run(&["jwks", "add", "--set", p(&set), p(&pub_key)]),
        "kid \"k1\" is already in the set",
    );
    assert_eq!(fs::read_to_string(&set).unwrap(), text);
    // Removing the last key would leave a set the module refuses.
    assert_error(&run(&["jwks", "remove", "--set", p(&set), "k1"]), "empty set");
    assert_error(&run(&["jwks", "remove", "--set", p(&set), "nope"]), "no key with kid \"nope\"");

    // rotate: the new key first, the previous kept, no temporary file left behind.
    let out = run(&[
        "--json",
        "jwks",
        "rotate",
        "--set",
        p(&set),
        "--alg",
        "ES384",
        "--private",
        p(&dir.join("k2.jwk")),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["kept"], serde_json::json!(["k1"]));
    assert_eq!(mode(&dir.join("k2.jwk")), 0o600);
    let names: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
    let listed = run(&["--json", "jwks", "list", "--set", p(&set)]);
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(listed["keys"].as_array().unwrap().len(), 2);
    assert_eq!(listed["keys"][1]["kid"], "k1");

    // check-keys agrees, and a signed token verifies (exit 0) while a tampered one does not.
    assert_eq!(run(&["check-keys", p(&set)]).status.code(), Some(0));
    let token = stdout(&run(&["sign", "--key", p(&key)])).trim().to_owned();
    assert_eq!(run(&["verify", "--keys", p(&set), &token]).status.code(), Some(0));
    let out = run(&["verify", "--keys", p(&set), &format!("{token}x")]);
    assert_eq!(out.status.code(), Some(1));
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn verify_reports_the_status_word_and_the_reason() {
    let dir = temp_dir("verify");
    let key = dir.join("k.jwk");
    assert_eq!(
        run(&["keygen", "--alg", "HS256", "--out", p(&key), "--kid", "h"]).status.code(),
        Some(0)
    );
    let set = dir.join("k.pub.jwk");
    let expired = stdout(&run(&["sign", "--key", p(&key), "--exp", "-90s"])).trim().to_owned();
    let out = run(&["--json", "verify", "--keys", p(&set), &expired]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "expired");
    assert!(v["reason"].as_str().unwrap().starts_with("rejected token: token expired"), "{v}");
    // With leeway it passes; --require on a missing claim fails like auth_jwt_require.
    assert_eq!(
        run(&["verify", "--keys", p(&set), "--leeway", "5m", &expired]).status.code(),
        Some(0)
    );
    let out = run(&["verify", "--keys", p(&set), "--leeway", "5m", "--require", "role", &expired]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).starts_with("require_failed\n"), "{}", stdout(&out));
    // Bearer prefix and stdin-free input both work; an empty token is "missing".
    assert!(stdout(&run(&[
        "verify",
        "--keys",
        p(&set),
        "--leeway",
        "5m",
        &format!("Bearer {expired}")
    ]))
    .starts_with("ok"));
    let empty = dir.join("empty");
    fs::write(&empty, b"").unwrap();
    assert!(stdout(&run(&["verify", "--token-file", p(&empty)])).starts_with("missing"));
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn jwe_keys_and_tokens_round_trip_through_the_module_core() {
    let dir = temp_dir("jwe");
    let cases: &[(&str, &[&str], &str)] = &[
        ("dir", &["--enc", "A192CBC-HS384"], "A192CBC-HS384"),
        ("A128KW", &[], "A128GCM"),
        ("A256GCMKW", &[], "A256CBC-HS512"),
        ("PBES2-HS384+A192KW", &[], "A192GCM"),
        ("RSA-OAEP-512", &[], "A128CBC-HS256"),
        ("ECDH-ES", &["--crv", "P-384"], "A256GCM"),
        ("ECDH-ES+A192KW", &["--crv", "X25519"], "A128GCM"),
    ];
    let signing = dir.join("sig.jwk");
    assert!(run(&["keygen", "--alg", "ES256", "--out", p(&signing)]).status.success());
    for (i, (alg, extra, enc)) in cases.iter().enumerate() {
        let key = dir.join(format!("k{i}.jwk"));
        let mut args = vec!["keygen", "--alg", alg, "--out", p(&key)];
        args.extend_from_slice(extra);
        let out = run(&args);
        assert!(out.status.success(), "{alg}: {}", stderr(&out));
        assert_eq!(mode(&key), 0o600, "{alg}");
        let public = dir.join(format!("k{i}.pub.jwk"));
        let jwk: serde_json::Value = serde_json::from_slice(&fs::read(&public).unwrap()).unwrap();
        assert_eq!(jwk["use"], "enc", "{alg}");
        assert!(jwk.get("d").is_none(), "{alg}: the public JWK has no private member");
        for (nested, kind) in [(false, "encrypted"), (true, "nested")] {
            let mut args = vec!["encrypt", "--key", p(&public), "--enc", enc, "--sub", "alice"];
            if nested {
                args.extend_from_slice(&["--sign-key", p(&signing)]);
            }
            let out = run(&args);
            assert!(out.status.success(), "{alg} {kind}: {}", stderr(&out));
            let token = stdout(&out).trim().to_owned();
            let sig_pub = dir.join("sig.pub.jwk");
            let out = run(&[
                "--json",
                "explain",
                "--type",
                kind,
                "-k",
                p(&key),
                "-k",
                p(&sig_pub),
                &token,
            ]);
            let verdict: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(verdict["status"], "ok", "{alg} {kind}: {verdict}");
            assert_eq!(verdict["keys"][0]["result"], "decrypted", "{alg} {kind}");
            assert_eq!(verdict["claims"]["sub"], "alice", "{alg} {kind}");
            // No private key material in what explain prints.
            let text = stdout(&out);
            let private: serde_json::Value =
                serde_json::from_slice(&fs::read(&key).unwrap()).unwrap();
            for member in ["d", "k", "p", "q"] {
                if let Some(secret) = private.get(member).and_then(|v| v.as_str()) {
                    assert!(!text.contains(secret), "{alg}: explain printed \"{member}\"");
                }
            }
            // The wrong type is the module's wrong_type, exit 1.
            let other = if nested { "encrypted" } else { "nested" };
            let out = run(&["--json", "verify", "--type", other, "-k", p(&key), &token]);
            assert_eq!(out.status.code(), Some(1), "{alg} {kind}");
            assert!(stdout(&out).contains("\"wrong_type\""), "{alg} {kind}");
        }
    }
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn jwe_argument_errors_are_one_line() {
    let dir = temp_dir("jwe-args");
    let key = dir.join("k.jwk");
    assert_error(&run(&["keygen", "--alg", "dir", "--out", p(&key)]), "needs --enc");
    assert_error(
        &run(&["keygen", "--alg", "A128KW", "--crv", "P-256", "--out", p(&key)]),
        "--crv is for ECDH-ES keys only",
    );
    assert!(run(&["keygen", "--alg", "ES256", "--out", p(&key)]).status.success());
    let public = dir.join("k.pub.jwk");
    assert_error(&run(&["encrypt", "--key", p(&public)]), "cannot encrypt");
    assert_error(&run(&["encrypt", "--key", p(&public), "--alg", "RSA1_5"]), "cannot encrypt");
    let enc = dir.join("e.jwk");
    assert!(run(&["keygen", "--alg", "A128KW", "--out", p(&enc)]).status.success());
    assert_error(&run(&["sign", "--key", p(&enc)]), "cannot sign");
    assert_error(
        &run(&["encrypt", "--key", p(&enc), "--enc", "A512GCM"]),
        "unknown --enc \"A512GCM\"",
    );
    assert_error(
        &run(&["verify", "--jwks-url", "ftp://127.0.0.1/jwks", "x.y.z"]),
        "only http:// and https://",
    );
    assert_error(
        &run(&["verify", "--jwks-url", "http://127.0.0.1:1/", "--timeout", "0", "x.y.z"]),
        "--timeout must be more than 0 s",
    );
    assert_error(
        &run(&["verify", "--jwks-url", "http://127.0.0.1:1/", "--cacert", p(&key), "x.y.z"]),
        "no PEM certificate",
    );
    fs::remove_dir_all(dir).unwrap();
}
