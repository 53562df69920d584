//! Turns the metadata of the NGINX build (from nginx-sys, a direct dependency) into cfgs.
//!
//! * `ngx_table_elt_next`: nginx >= 1.23.0 links repeated headers through
//!   `ngx_table_elt_t.next`, which must then be initialised on every element we push.
//! * `NGINX_BUILD_DIR` (rustc env): the objs directory of the nginx we were built against,
//!   so tools and scripts can find the matching `nginx` binary.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(ngx_table_elt_next)");
    println!("cargo::rerun-if-env-changed=DEP_NGINX_VERSION_NUMBER");
    println!("cargo::rerun-if-env-changed=DEP_NGINX_BUILD_DIR");

    if let Ok(version) = std::env::var("DEP_NGINX_VERSION_NUMBER") {
        if version.parse::<u64>().is_ok_and(|v| v >= 1_023_000) {
            println!("cargo::rustc-cfg=ngx_table_elt_next");
        }
    }
    if let Ok(dir) = std::env::var("DEP_NGINX_BUILD_DIR") {
        println!("cargo::rustc-env=NGINX_BUILD_DIR={dir}");
    }
}
