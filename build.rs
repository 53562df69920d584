//! Turns the metadata of the NGINX build (from nginx-sys, a direct dependency) into cfgs.
//!
//! * `ngx_table_elt_next`: nginx >= 1.23.0 links repeated headers through
//!   `ngx_table_elt_t.next`, which must then be initialised on every element we push.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(ngx_table_elt_next)");
    println!("cargo::rerun-if-env-changed=DEP_NGINX_VERSION_NUMBER");

    if let Ok(version) = std::env::var("DEP_NGINX_VERSION_NUMBER") {
        if version.parse::<u64>().is_ok_and(|v| v >= 1_023_000) {
            println!("cargo::rustc-cfg=ngx_table_elt_next");
        }
    }
}
