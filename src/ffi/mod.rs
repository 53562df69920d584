//! The thin layer over nginx's C API. Every `unsafe` of the module is in this directory or in
//! the module statics of `lib.rs`; directives, the access handler, policies, variables and the
//! worker state above it are safe Rust over the wrappers here.
//!
//! Rules the wrappers keep for their callers:
//! - Raw pointers are dereferenced once, at the entry point nginx calls, and turned into
//!   references whose lifetime nginx guarantees (the configuration, the request, the cycle).
//! - No entry point lets a panic unwind into nginx ([`guarded`]).
//! - Only the worker's own thread calls into this layer: the nginx log, pools and events are
//!   not thread-safe.

pub mod complex_value;
pub mod conf;
pub mod content;
pub mod headers;
pub mod log;
pub mod phase;
pub mod process;
pub mod request;
pub mod shm;
pub mod subrequest;
pub mod variables;

use std::fmt;

/// Runs `f`, an nginx entry point's body, so that a panic never unwinds into nginx (that would
/// abort the process: a worker, or during a reload the master). On a panic the entry point
/// answers `on_panic` instead; the panic message has already gone to stderr (the error log).
pub fn guarded<R>(on_panic: R, f: impl FnOnce() -> R) -> R {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or(on_panic)
}

/// nginx could not allocate memory (or failed inside one of its own calls, which for the calls
/// the module makes means the same). It has logged the details itself where it could.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NginxFailed;

impl fmt::Display for NginxFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("nginx could not allocate memory")
    }
}
