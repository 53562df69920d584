# Make rules for the module, sourced by nginx's auto/make after `config`.
#
# `make modules` (and `make`, `make install`) run cargo against this very nginx tree:
# NGINX_SOURCE_DIR/NGINX_BUILD_DIR point nginx-sys's bindgen at its headers and at the
# ngx_auto_config.h that configure just wrote, so the module matches this nginx's version
# and feature flags exactly. cargo decides itself whether anything needs rebuilding, so its
# rule is always run.
#
# Make-time settings (environment or `make VAR=...`):
#   CARGO_TARGET_DIR  cargo's target directory (default: objs/ngx_http_auth_jwt_module.cargo);
#                     share one between several nginx builds to compile the dependencies once
#   CARGO, RUSTFLAGS  as for cargo; on musl (Alpine) -Ctarget-feature=-crt-static is added,
#                     since a cdylib cannot be built with a static C runtime

ngx_auth_jwt_objs=`cd "$NGX_OBJS" && pwd`
ngx_auth_jwt_so=$NGX_OBJS/ngx_http_auth_jwt_module$ngx_modext

case `"$NGX_AUTH_JWT_CARGO" -vV 2>/dev/null | sed -n 's/^host: //p'` in
    *-musl*) ngx_auth_jwt_env='RUSTFLAGS="$${RUSTFLAGS:-} -Ctarget-feature=-crt-static"' ;;
    *)       ngx_auth_jwt_env= ;;
esac

case "$NGX_PLATFORM" in
    Darwin:*) ngx_auth_jwt_cdylib=libngx_auth_jwt.dylib ;;
    *)        ngx_auth_jwt_cdylib=libngx_auth_jwt.so ;;
esac

# Where `make install` puts the module, computed as nginx's auto/install does.
case ".$NGX_MODULES_PATH" in
    ./*) ngx_auth_jwt_modules_path=$NGX_MODULES_PATH ;;
    *)   ngx_auth_jwt_modules_path=$NGX_PREFIX/$NGX_MODULES_PATH ;;
esac

cat << END                                                >> $NGX_MAKEFILE

modules:	$ngx_auth_jwt_so

$ngx_auth_jwt_so:	ngx_http_auth_jwt_module_cargo

ngx_http_auth_jwt_module_cargo:	$NGX_OBJS/ngx_auto_config.h
	target="\$\${CARGO_TARGET_DIR:-$ngx_auth_jwt_objs/ngx_http_auth_jwt_module.cargo}" \\
	&& cd "$NGX_AUTH_JWT_DIR" \\
	&& NGINX_SOURCE_DIR="$NGX_AUTH_JWT_NGINX_SRC" NGINX_BUILD_DIR="$ngx_auth_jwt_objs" \\
		$ngx_auth_jwt_env \\
		"\$\${CARGO:-$NGX_AUTH_JWT_CARGO}" build --release --locked \\
		--no-default-features --features export-modules --target-dir "\$\$target" \\
	&& cp "\$\$target/release/$ngx_auth_jwt_cdylib" "$ngx_auth_jwt_objs/ngx_http_auth_jwt_module$ngx_modext"

.PHONY:	ngx_http_auth_jwt_module_cargo ngx_http_auth_jwt_module_install

install:	ngx_http_auth_jwt_module_install

ngx_http_auth_jwt_module_install:	$ngx_auth_jwt_so
	test -d '\$(DESTDIR)$ngx_auth_jwt_modules_path' \\
		|| mkdir -p '\$(DESTDIR)$ngx_auth_jwt_modules_path'
	cp $ngx_auth_jwt_so '\$(DESTDIR)$ngx_auth_jwt_modules_path/ngx_http_auth_jwt_module$ngx_modext'
END
