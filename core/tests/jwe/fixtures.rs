//! The tokens and keys minted by `mint.py` (jwcrypto), loaded once per test binary, and small
//! helpers to take a token apart and put a tampered one together.

use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

pub struct Fixtures {
    pub keys: Value,
    pub signing_keys: Value,
    pub tokens: Vec<Value>,
    pub nested: Vec<Value>,
    pub special: Value,
}

/// Runs `mint.py`. A machine without python3 or jwcrypto fails the tests: they must never pass
/// by skipping (`scripts/test` installs jwcrypto).
pub fn fixtures() -> &'static Fixtures {
    static FIXTURES: OnceLock<Fixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/jwe/mint.py");
        let out = Command::new("python3").arg(script).output().unwrap_or_else(|e| {
            panic!("cannot run python3 ({e}): the JWE tests need python3 with jwcrypto")
        });
        assert!(
            out.status.success(),
            "mint.py failed (is jwcrypto installed? `pip install jwcrypto`, or run scripts/test):\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let all: Value = serde_json::from_slice(&out.stdout).expect("mint.py prints JSON");
        let list = |name: &str| all[name].as_array().expect(name).clone();
        Fixtures {
            keys: all["keys"].clone(),
            signing_keys: all["signing_keys"].clone(),
            tokens: list("tokens"),
            nested: list("nested"),
            special: all["special"].clone(),
        }
    })
}

impl Fixtures {
    /// The first minted token for `alg`, `enc` and key `kid`.
    pub fn token(&self, alg: &str, enc: &str, kid: &str) -> String {
        self.tokens
            .iter()
            .find(|t| t["alg"] == alg && t["enc"] == enc && t["kid"] == kid)
            .unwrap_or_else(|| panic!("no fixture {alg} {enc} {kid}"))["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub fn special(&self, name: &str) -> String {
        self.special[name].as_str().unwrap_or_else(|| panic!("no special {name}")).to_owned()
    }

    pub fn keys_json(&self) -> Vec<u8> {
        serde_json::to_vec(&self.keys).unwrap()
    }

    /// One private key of the set, by `kid`.
    pub fn key(&self, kid: &str) -> Value {
        self.keys["keys"].as_array().unwrap().iter().find(|k| k["kid"] == kid).unwrap().clone()
    }
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// base64url without padding, written independently of the crate.
pub fn b64(data: &[u8]) -> String {
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

pub fn unb64(s: &str) -> Vec<u8> {
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for c in s.bytes() {
        let v = ALPHABET.iter().position(|&a| a == c).expect("base64url") as u32;
        bits = (bits << 6) | v;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    out
}

/// The five parts of a compact JWE.
pub fn parts(token: &str) -> Vec<String> {
    token.split('.').map(str::to_owned).collect()
}

pub fn join(parts: &[String]) -> String {
    parts.join(".")
}

pub fn header(token: &str) -> serde_json::Map<String, Value> {
    serde_json::from_slice(&unb64(&parts(token)[0])).unwrap()
}

/// `token` with its header replaced by `edit(header)`, everything else unchanged.
pub fn with_header(token: &str, edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> String {
    let mut p = parts(token);
    let mut h = header(token);
    edit(&mut h);
    p[0] = b64(&serde_json::to_vec(&h).unwrap());
    join(&p)
}

/// `token` with one bit of part `index` flipped (the part decoded and re-encoded).
pub fn flip_bit(token: &str, index: usize) -> String {
    let mut p = parts(token);
    let mut bytes = unb64(&p[index]);
    let last = bytes.len() - 1;
    bytes[last / 2] ^= 0x01;
    p[index] = b64(&bytes);
    join(&p)
}
