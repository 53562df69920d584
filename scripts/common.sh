# Shared by scripts/test, scripts/demo and bench: system packages and build locations.
# Sourced, not executed.

# Debian packages needed to build the vendored NGINX (bindgen, PCRE2, OpenSSL, zlib) and to
# run the tests (perl's prove, the openssl CLI that mints test tokens, curl for the demo).
REQUIRED_PACKAGES="libclang-dev libpcre2-dev libssl-dev zlib1g-dev gcc make perl openssl curl nghttp2-client"

# Installs the missing packages when running as root; otherwise prints the exact command.
ensure_packages() {
    local missing=() pkg
    for pkg in $REQUIRED_PACKAGES "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
            missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "Missing system packages. Run as root:" >&2
        echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
    echo "Installing: ${missing[*]}" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
}

# Builds the module (and the vendored nginx) and sets NGINX_BIN and MODULE_SO from cargo's
# own report, so a second nginx-sys build directory can never be picked by mistake.
#   build_module [cargo build flags...]
build_module() {
    local report
    report=$(cargo build --message-format=json "$@") || {
        cargo build "$@" # re-run for human-readable errors
        exit 1
    }
    NGINX_BIN=$(printf '%s\n' "$report" | perl -MJSON::PP -ne '
        my $m = eval { decode_json($_) } or next;
        print "$m->{out_dir}/objs/nginx\n"
            if $m->{reason} eq "build-script-executed" && $m->{package_id} =~ /nginx-sys/;' | tail -n 1)
    MODULE_SO=$(printf '%s\n' "$report" | perl -MJSON::PP -ne '
        my $m = eval { decode_json($_) } or next;
        next unless $m->{reason} eq "compiler-artifact" && $m->{target}{name} eq "ngx_auth_jwt";
        print "$_\n" for grep { /\.so$/ } @{ $m->{filenames} };' | tail -n 1)
    if [ ! -x "$NGINX_BIN" ] || [ ! -f "$MODULE_SO" ]; then
        echo "build finished but nginx ($NGINX_BIN) or the module ($MODULE_SO) was not found" >&2
        exit 1
    fi
    export NGINX_BIN MODULE_SO
}

# Python packages the core tests need: core/tests/jwe/mint.py mints encrypted tokens with
# jwcrypto, a JOSE implementation independent of ours; t/80-metrics.t parses the metrics page
# with prometheus_client's own text parser. Installed with pip when missing.
REQUIRED_PYTHON_MODULES="jwcrypto prometheus_client"

# Installs the missing Python modules (module name = PyPI name for these).
#   ensure_python_packages [more modules...]
ensure_python_packages() {
    local missing=() module
    command -v python3 >/dev/null || ensure_packages python3
    for module in $REQUIRED_PYTHON_MODULES "$@"; do
        python3 -c "import $module" 2>/dev/null || missing+=("$module")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    python3 -m pip --version >/dev/null 2>&1 || ensure_packages python3-pip
    echo "Installing Python packages: ${missing[*]}" >&2
    # Debian's own python3 refuses pip installs outside a venv (PEP 668) unless told.
    python3 -m pip install -q "${missing[@]}" >&2 ||
        python3 -m pip install -q --break-system-packages "${missing[@]}" >&2
}
