//! Key files: `KeySet::from_json` on arbitrary bytes. A set that loads must be usable: its
//! `Debug` form and skip notes are printable, and fixed valid tokens of every algorithm can be
//! verified against it without panicking. Errors are one line (they end up in a start-up
//! warning).

#![no_main]

use auth_jwt_core::{validate, KeySet, Limits};
use libfuzzer_sys::fuzz_target;

mod common;
use common::{check_rejection, NOW};

/// One valid token per algorithm, signed with the t/data keys (see fuzz/make-seeds.pl).
const TOKENS: &str = include_str!("../tokens.txt");

fn one_line(text: &str) {
    assert!(!text.contains('\n') && !text.contains('\r'), "not one line: {text:?}");
}

fuzz_target!(|data: &[u8]| {
    match KeySet::from_json(data) {
        Ok(set) => {
            assert!(!set.is_empty(), "an empty set loaded");
            assert!(set.len() <= data.len());
            one_line(&format!("{set:?}"));
            for note in set.skipped() {
                one_line(note);
            }
            for token in TOKENS.lines().filter(|l| !l.is_empty()) {
                if let Err(rejection) =
                    validate(token.as_bytes(), Some(&set), NOW, 0, &Limits::default())
                {
                    check_rejection(&rejection);
                }
            }
        }
        Err(error) => one_line(&error.to_string()),
    }
});
