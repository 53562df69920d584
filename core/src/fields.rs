//! Token fields as NGINX variables: finding a claim or header member by name (or by a path of
//! names into nested objects) and rendering a JSON value as the text of a variable.
//!
//! The rendering follows NGINX Plus where it is known and is fixed here where it is not:
//!
//! | JSON value | rendered as |
//! | --- | --- |
//! | string | the string itself (control characters written as JSON escapes, see below) |
//! | integer | decimal: `1700000000`, `-5` |
//! | other number | as serde_json prints it: `1.5`, `3.0`, `1e+300` |
//! | `true` / `false` | `true` / `false` (a claim that is `false` fails `auth_jwt_require`, see [`require_refusal`]) |
//! | `null` | not found (an empty variable) |
//! | array | the elements, each rendered by these rules, joined by `,` without spaces: `a,b`; nested arrays are flattened the same way; a `null` element is empty; `[]` is empty |
//! | object | compact JSON, members in token order: `{"a":1,"b":[2,3]}` |
//!
//! Control characters (U+0000 to U+001F and U+007F) in strings are written as JSON escapes
//! (`\n`, `\t`, `\u0000`...), so a value can never split an HTTP header or a log line when it
//! is put into `proxy_set_header`, `add_header` or a log. Everything else, including `\` and
//! non-ASCII text, is kept as is. Objects and `$jwt_payload` use JSON's own escaping
//! for U+0000 to U+001F, and DEL is written as `\u007f` there too.

use serde_json::{Map, Value};

use crate::algorithm::Algorithm;
use crate::claims::TimeBounds;
use crate::json::CheckedObject;
use crate::Rejection;

/// The decoded parts of a token that variables are taken from. Owned, so it can outlive the
/// buffer the token came in. The header and claims are parsed into values on first use.
#[derive(Clone, Debug, PartialEq)]
pub struct TokenFields {
    header: CheckedObject,
    claims: CheckedObject,
    /// `exp` and `nbf`, read when the token was checked: a verdict reused later checks them
    /// again without parsing the claims.
    times: Result<TimeBounds, Rejection>,
    /// The JWS algorithm of the header (`None` for an encrypted token's JWE header), read when
    /// the token was checked, for the counters.
    alg: Option<Algorithm>,
    /// For a nested token, the enclosed JWS in compact form: what `$jwt_payload` shows.
    enclosed_token: Option<String>,
}

impl Default for TokenFields {
    fn default() -> Self {
        TokenFields::new(Map::new(), Map::new())
    }
}

impl TokenFields {
    #[must_use]
    pub fn new(header: Map<String, Value>, claims: Map<String, Value>) -> Self {
        let times = TimeBounds::from_claims(&claims);
        let alg = header.get("alg").and_then(Value::as_str).and_then(Algorithm::from_name);
        TokenFields {
            header: CheckedObject::from_values(header),
            claims: CheckedObject::from_values(claims),
            times,
            alg,
            enclosed_token: None,
        }
    }

    pub(crate) fn from_checked(
        header: CheckedObject,
        claims: CheckedObject,
        times: Result<TimeBounds, Rejection>,
        alg: Option<Algorithm>,
    ) -> Self {
        TokenFields { header, claims, times, alg, enclosed_token: None }
    }

    /// The JWS algorithm the header names; `None` for an encrypted (not nested) token.
    #[must_use]
    pub fn algorithm(&self) -> Option<Algorithm> {
        self.alg
    }

    /// The fields of a nested token, whose `$jwt_payload` is the enclosed JWS `token`
    /// (NGINX Plus: "for nested tokens returns the enclosed JWS token").
    #[must_use]
    pub fn with_enclosed_token(mut self, token: String) -> Self {
        self.enclosed_token = Some(token);
        self
    }

    pub(crate) fn time_bounds(&self) -> Result<TimeBounds, Rejection> {
        self.times.clone()
    }

    /// Releases spare capacity, for fields kept beyond one request (the verified-signature
    /// cache keeps them with each entry; decoding sizes buffers for the common case, not
    /// exactly).
    pub fn shrink_to_fit(&mut self) {
        self.header.shrink_to_fit();
        self.claims.shrink_to_fit();
        if let Some(token) = &mut self.enclosed_token {
            token.shrink_to_fit();
        }
    }

    /// The rendered JOSE header member at `path` (see [`lookup`] and [`render`]).
    #[must_use]
    pub fn header<S: AsRef<str>>(&self, path: &[S]) -> Option<String> {
        lookup(self.header.values(), path).and_then(render)
    }

    /// The rendered claim at `path` (see [`lookup`] and [`render`]).
    #[must_use]
    pub fn claim<S: AsRef<str>>(&self, path: &[S]) -> Option<String> {
        lookup(self.claims.values(), path).and_then(render)
    }

    /// Whether the claim at `path` is JSON `false`: its variable shows `false`, and
    /// `auth_jwt_require` on that variable must refuse (see [`require_refusal`]).
    #[must_use]
    pub fn claim_is_false<S: AsRef<str>>(&self, path: &[S]) -> bool {
        matches!(lookup(self.claims.values(), path), Some(Value::Bool(false)))
    }

    /// `exp` and `nbf` against `now` with `leeway_secs`, as validation checks them: for a
    /// verdict that is reused (the same token in the same request after an internal redirect).
    pub fn check_time(&self, now: i64, leeway_secs: u64) -> Result<(), Rejection> {
        self.time_bounds()?.check(now, leeway_secs)
    }

    /// `$jwt_payload`: the whole claims set as compact JSON, members in token order; for a
    /// nested token, the enclosed JWS.
    #[must_use]
    pub fn payload(&self) -> String {
        if let Some(token) = &self.enclosed_token {
            return token.clone();
        }
        // Serializing a map of strings and JSON values cannot fail.
        escape_del(serde_json::to_string(self.claims.values()).unwrap_or_default())
    }
}

/// The value at `path` in `map`: the first name is a member of `map`, each following name a
/// member of the object found so far (`["realm_access", "roles"]`). Names match exactly (case
/// sensitive). `None` when a member is missing, a step is not an object, or `path` is empty.
#[must_use]
pub fn lookup<'m, S: AsRef<str>>(map: &'m Map<String, Value>, path: &[S]) -> Option<&'m Value> {
    let (first, rest) = path.split_first()?;
    let mut value = map.get(first.as_ref())?;
    for name in rest {
        value = value.as_object()?.get(name.as_ref())?;
    }
    Some(value)
}

/// The text of a variable holding `value`, by the rules in the module documentation; `None`
/// for `null` (the variable is then "not found", which nginx shows as empty).
#[must_use]
pub fn render(value: &Value) -> Option<String> {
    if value.is_null() {
        return None;
    }
    let mut out = String::new();
    render_into(value, &mut out);
    Some(out)
}

fn render_into(value: &Value, out: &mut String) {
    match value {
        Value::Null => {}
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        // Display prints integers in decimal and other numbers the way serde_json writes them.
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => push_escaping_controls(s, out),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                render_into(item, out);
            }
        }
        // serde_json escapes U+0000 to U+001F in JSON strings itself, but not DEL.
        Value::Object(_) => out.push_str(&escape_del(value.to_string())),
    }
}

/// Writes DEL (U+007F), which serde_json leaves raw, as `\u007f` in serialized JSON. A raw DEL
/// can only occur inside a JSON string there, where the escape means the same character.
fn escape_del(json: String) -> String {
    if json.contains('\u{7f}') {
        json.replace('\u{7f}', "\\u007f")
    } else {
        json
    }
}

fn push_escaping_controls(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{0}'..='\u{1f}' | '\u{7f}' => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            _ => out.push(c),
        }
    }
}

/// Whether an `auth_jwt_require` value lets the request through: anything but the empty string
/// and `0` (NGINX Plus rule).
#[must_use]
pub fn require_value_passes(value: &[u8]) -> bool {
    !value.is_empty() && value != b"0"
}

/// Why an `auth_jwt_require` value refuses the request (for the log line: "value 1 is ..."),
/// or `None` when it passes.
///
/// On top of the NGINX Plus rule (empty and `0` fail), a value that is exactly `false` fails
/// when a claim variable whose JSON value is `false` produced it (`from_false_claim`):
/// `auth_jwt_require $jwt_claim_email_verified;` must refuse `"email_verified": false`. The
/// string `"false"`, or `false` from any other variable, still passes, as in NGINX Plus.
#[must_use]
pub fn require_refusal(value: &[u8], from_false_claim: bool) -> Option<&'static str> {
    if value.is_empty() {
        Some("empty")
    } else if value == b"0" {
        Some("\"0\"")
    } else if from_false_claim && value == b"false" {
        Some("a claim that is false")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse_object;

    fn fields(claims: &str) -> TokenFields {
        let header = parse_object(br#"{"alg":"RS256","kid":"k1","x5t":["a","b"]}"#, 32).unwrap();
        TokenFields::new(header, parse_object(claims.as_bytes(), 32).unwrap())
    }

    #[test]
    fn shrink_to_fit_keeps_members_and_their_order() {
        let original = fields(r#"{"z":1,"a":{"y":2,"b":3},"m":"x"}"#);
        let mut shrunk = original.clone();
        shrunk.shrink_to_fit();
        assert_eq!(shrunk, original);
        assert_eq!(shrunk.payload(), r#"{"z":1,"a":{"y":2,"b":3},"m":"x"}"#);
        assert_eq!(shrunk.header(&["kid"]).as_deref(), Some("k1"));
    }

    fn claim(claims: &str, path: &[&str]) -> Option<String> {
        fields(claims).claim(path)
    }

    #[test]
    fn strings_are_raw() {
        assert_eq!(claim(r#"{"sub":"alice"}"#, &["sub"]).as_deref(), Some("alice"));
        assert_eq!(claim(r#"{"s":""}"#, &["s"]).as_deref(), Some(""));
        assert_eq!(claim(r#"{"s":"a b,c\"d\\e"}"#, &["s"]).as_deref(), Some("a b,c\"d\\e"));
        assert_eq!(claim(r#"{"s":"Zürich ✓"}"#, &["s"]).as_deref(), Some("Zürich ✓"));
        assert_eq!(claim(r#"{"s":"\u00e9"}"#, &["s"]).as_deref(), Some("é"));
    }

    #[test]
    fn control_characters_are_escaped() {
        let v = claim(r#"{"s":"a\r\nX-Admin: 1\tb\u0000c\u001fd\u007fe"}"#, &["s"]).unwrap();
        assert_eq!(v, r"a\r\nX-Admin: 1\tb\u0000c\u001fd\u007fe");
        assert!(!v.bytes().any(|b| b < 0x20 || b == 0x7f));
        // Also inside arrays and objects.
        let v = claim(r#"{"a":["x\ny",{"k":"\r"}]}"#, &["a"]).unwrap();
        assert_eq!(v, r#"x\ny,{"k":"\r"}"#);
    }

    #[test]
    fn numbers() {
        assert_eq!(claim(r#"{"n":1700000000}"#, &["n"]).as_deref(), Some("1700000000"));
        assert_eq!(claim(r#"{"n":-5}"#, &["n"]).as_deref(), Some("-5"));
        assert_eq!(claim(r#"{"n":0}"#, &["n"]).as_deref(), Some("0"));
        assert_eq!(
            claim(r#"{"n":18446744073709551615}"#, &["n"]).as_deref(),
            Some("18446744073709551615")
        );
        assert_eq!(claim(r#"{"n":1.5}"#, &["n"]).as_deref(), Some("1.5"));
        assert_eq!(claim(r#"{"n":3.0}"#, &["n"]).as_deref(), Some("3.0"));
        assert_eq!(claim(r#"{"n":-0.25}"#, &["n"]).as_deref(), Some("-0.25"));
        assert_eq!(claim(r#"{"n":1e300}"#, &["n"]).as_deref(), Some("1e+300"));
        assert_eq!(claim(r#"{"n":2.5E-3}"#, &["n"]).as_deref(), Some("0.0025"));
        // Beyond u64 a JSON integer is a float to serde_json.
        assert_eq!(claim(r#"{"n":100000000000000000000}"#, &["n"]).as_deref(), Some("1e+20"));
    }

    #[test]
    fn booleans_and_null() {
        assert_eq!(claim(r#"{"b":true}"#, &["b"]).as_deref(), Some("true"));
        assert_eq!(claim(r#"{"b":false}"#, &["b"]).as_deref(), Some("false"));
        assert_eq!(claim(r#"{"b":null}"#, &["b"]), None);
    }

    #[test]
    fn arrays_are_comma_joined() {
        assert_eq!(claim(r#"{"a":["api","cli"]}"#, &["a"]).as_deref(), Some("api,cli"));
        assert_eq!(claim(r#"{"a":["one"]}"#, &["a"]).as_deref(), Some("one"));
        assert_eq!(claim(r#"{"a":[]}"#, &["a"]).as_deref(), Some(""));
        assert_eq!(
            claim(r#"{"a":[1,2.5,true,null,"x"]}"#, &["a"]).as_deref(),
            Some("1,2.5,true,,x")
        );
        assert_eq!(claim(r#"{"a":[[1,2],[3,[4]],[]]}"#, &["a"]).as_deref(), Some("1,2,3,4,"));
        assert_eq!(claim(r#"{"a":[{"b":1},"c"]}"#, &["a"]).as_deref(), Some(r#"{"b":1},c"#));
        assert_eq!(claim(r#"{"a":["a b","c,d"]}"#, &["a"]).as_deref(), Some("a b,c,d"));
    }

    #[test]
    fn objects_are_compact_json_in_token_order() {
        let v = claim(r#"{"o": { "z" : 1, "a" : [ 2 , "x" ], "m": {"k": null} } }"#, &["o"]);
        assert_eq!(v.as_deref(), Some(r#"{"z":1,"a":[2,"x"],"m":{"k":null}}"#));
        assert_eq!(claim(r#"{"o":{}}"#, &["o"]).as_deref(), Some("{}"));
        let v = claim(r#"{"o":{"s":"\u00e9\"/"}}"#, &["o"]);
        assert_eq!(v.as_deref(), Some(r#"{"s":"é\"/"}"#));
    }

    #[test]
    fn nested_paths() {
        let claims = r#"{"realm_access":{"roles":["admin","user"]},
                         "info":{"e-mail":"a@b.c","job title":"dev","deep":{"er":{"x":7}}},
                         "list":[{"a":1}], "s":"str"}"#;
        assert_eq!(claim(claims, &["realm_access", "roles"]).as_deref(), Some("admin,user"));
        assert_eq!(claim(claims, &["info", "e-mail"]).as_deref(), Some("a@b.c"));
        assert_eq!(claim(claims, &["info", "job title"]).as_deref(), Some("dev"));
        assert_eq!(claim(claims, &["info", "deep", "er", "x"]).as_deref(), Some("7"));
        assert_eq!(claim(claims, &["info", "missing"]), None);
        assert_eq!(claim(claims, &["missing", "x"]), None);
        // Only objects are walked into: not arrays, not strings.
        assert_eq!(claim(claims, &["list", "a"]), None);
        assert_eq!(claim(claims, &["list", "0"]), None);
        assert_eq!(claim(claims, &["s", "x"]), None);
        assert_eq!(claim(claims, &[] as &[&str]), None);
    }

    #[test]
    fn names_match_exactly() {
        let claims = r#"{"userName":"u","a.b":"dotted","":"empty"}"#;
        assert_eq!(claim(claims, &["userName"]).as_deref(), Some("u"));
        assert_eq!(claim(claims, &["username"]), None);
        assert_eq!(claim(claims, &["a.b"]).as_deref(), Some("dotted"));
        assert_eq!(claim(claims, &["a", "b"]), None);
        assert_eq!(claim(claims, &[""]).as_deref(), Some("empty"));
    }

    #[test]
    fn header_members() {
        let f = fields("{}");
        assert_eq!(f.header(&["alg"]).as_deref(), Some("RS256"));
        assert_eq!(f.header(&["kid"]).as_deref(), Some("k1"));
        assert_eq!(f.header(&["x5t"]).as_deref(), Some("a,b"));
        assert_eq!(f.header(&["typ"]), None);
        // Header and claims are separate.
        assert_eq!(f.claim(&["alg"]), None);
    }

    #[test]
    fn payload_is_compact_json_in_token_order() {
        let f = fields(r#"{ "sub" : "a", "exp" : 2, "aud" : ["x", "y"], "n": {"b":1,"a":2} }"#);
        assert_eq!(f.payload(), r#"{"sub":"a","exp":2,"aud":["x","y"],"n":{"b":1,"a":2}}"#);
        assert_eq!(fields("{}").payload(), "{}");
        // Control characters stay escaped, as JSON requires.
        assert_eq!(fields(r#"{"s":"a\nb"}"#).payload(), r#"{"s":"a\nb"}"#);
    }

    #[test]
    fn require_values() {
        assert!(require_value_passes(b"1"));
        assert!(require_value_passes(b"yes"));
        assert!(require_value_passes(b"00"));
        assert!(require_value_passes(b" "));
        assert!(require_value_passes(b"false"));
        assert!(!require_value_passes(b""));
        assert!(!require_value_passes(b"0"));
    }

    #[test]
    fn a_false_claim_fails_require_but_the_string_false_does_not() {
        let f = fields(r#"{"ev":false,"t":true,"s":"false","a":[false]}"#);
        assert!(f.claim_is_false(&["ev"]));
        assert!(!f.claim_is_false(&["t"]));
        assert!(!f.claim_is_false(&["s"]));
        assert!(!f.claim_is_false(&["a"]));
        assert!(!f.claim_is_false(&["missing"]));
        assert_eq!(f.claim(&["ev"]).as_deref(), Some("false"));
        assert_eq!(require_refusal(b"false", true), Some("a claim that is false"));
        assert_eq!(require_refusal(b"false", false), None);
        assert_eq!(require_refusal(b"falsex", true), None);
        assert_eq!(require_refusal(b"true", true), None);
        assert_eq!(require_refusal(b"", false), Some("empty"));
        assert_eq!(require_refusal(b"0", false), Some("\"0\""));
    }

    #[test]
    fn del_is_escaped_in_objects_and_the_payload() {
        // The token spells DEL as a JSON escape; decoded, the claims hold the raw character.
        let f = fields(r#"{"o":{"k":"a\u007fb"},"s":"c\u007f"}"#);
        assert_eq!(f.claim(&["o"]).as_deref(), Some(r#"{"k":"a\u007fb"}"#));
        assert_eq!(f.claim(&["s"]).as_deref(), Some(r"c\u007f"));
        assert_eq!(f.payload(), r#"{"o":{"k":"a\u007fb"},"s":"c\u007f"}"#);
        assert!(!f.payload().contains('\u{7f}'));
    }
}
