//! Tells `auth_jwt_require` whether a value came from a claim that is JSON `false`.
//!
//! A claim variable renders `false` as the text `false`, which the NGINX Plus rule (only empty
//! and `0` fail) would let through. The claim variables note here when the claim they render
//! is `false`; `auth_jwt_require` evaluates each value inside [`watch`] and so learns it. Only
//! the worker's own thread evaluates variables, and nginx evaluates a value synchronously.

use std::cell::Cell;

thread_local! {
    static SEEN: Cell<bool> = const { Cell::new(false) };
}

/// Called by a claim variable's handler with whether the claim it renders is `false`.
pub fn note(is_false: bool) {
    if is_false {
        SEEN.with(|seen| seen.set(true));
    }
}

/// Runs `evaluate` and says whether a claim variable rendered a `false` claim meanwhile.
pub fn watch<T>(evaluate: impl FnOnce() -> T) -> (T, bool) {
    let outer = SEEN.with(|seen| seen.replace(false));
    let result = evaluate();
    let seen = SEEN.with(|seen| seen.replace(outer));
    (result, seen)
}
