//! Integration tests of the public API. Keys are generated here with OpenSSL and tokens are
//! signed with OpenSSL directly (see `common`), never with the crate's own code, so a bug in
//! the crate cannot cancel itself out.

mod common;

mod algorithms;
mod keyset;
mod parse;
mod selection;
mod validate;
