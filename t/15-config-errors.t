# Configuration errors: every misuse of the directives stops nginx with an [emerg] line that
# names the directive (and the file:line). Then, as a plain test, every example in nginx-conf/
# must pass `nginx -t` with the module loaded, as shipped and with its key files pointed at the
# test fixtures (then without any warning about unusable key files).

use strict;
use warnings;
use File::Basename qw(basename dirname);
use File::Spec;
use Test::Nginx::Socket 'no_plan';

# --- nginx-conf/*.conf ---------------------------------------------------------------------
my $root = File::Spec->rel2abs(File::Spec->catdir(dirname(__FILE__), File::Spec->updir));
sub slurp { open(my $fh, '<', $_[0]) or die "$_[0]: $!"; local $/; scalar <$fh> }

my @examples = sort glob("$root/nginx-conf/*.conf");
cmp_ok(scalar @examples, '>=', 5, 'nginx-conf/ has the example configurations')
    or diag("found: @examples");

# nginx_test_config comments out the example's own `load_module` line and loads ours; this
# filter does it again for a `load_module` that follows a blank line, which the helper's
# `^\s*load_module` misses (its \s* starts matching on the blank line before).
sub own_load_module_out { s/^([ \t]*load_module\b)/# (15-config-errors.t) $1/mg }

for my $file (@examples) {
    my $name = 'nginx-conf/' . basename($file);

    # As shipped: key files such as keys/jwks.json do not exist here; that must not stop
    # nginx (a warning names the file, requests would get 500).
    my ($ok, $out) = nginx_test_config($file, filter => \&own_load_module_out);
    ok($ok, "$name: nginx -t succeeds as shipped") or diag($out);
    unlike($out, qr/\[emerg\]/, "$name: no [emerg] as shipped");
    like($out, qr/\[warn\] auth_jwt_key_file "[^"]+" is unusable: no such file or directory; /,
         "$name: the missing key file is named in a warning")
        if slurp($file) =~ /^\s*auth_jwt_key_file\s+[^\s\$;]/m;    # a name without variables

    # With every key file name (not those made of variables, resolved per request) replaced
    # by a fixture of the same kind: no warning at all about key files, so the examples'
    # syntax and key handling are fully exercised.
    ($ok, $out) = nginx_test_config($file, filter => sub {
        own_load_module_out();
        s{(\bauth_jwt_key_file\s+)(?!\$)[^\s;]+\.jwk\s*;}{$1\$TEST_NGINX_DATA/jwk/rsa.jwk;}g;
        s{(\bauth_jwt_key_file\s+)(?!\$)[^\s;]+\s*;}{$1\$TEST_NGINX_DATA/jwks/all.json;}g;
    });
    ok($ok, "$name: nginx -t succeeds with the fixture keys") or diag($out);
    unlike($out, qr/is unusable|\[emerg\]/, "$name: no unusable key file with the fixture keys")
        or diag($out);
    like($out, qr/test is successful/, "$name: nginx reports the test as successful");
}

run_tests();

__DATA__

=== TEST 1: auth_jwt without arguments
--- config
    location /t { auth_jwt; empty_gif; }
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid number of arguments in "auth_jwt" directive in \S+nginx\.conf:\d+/



=== TEST 2: auth_jwt with three arguments
--- config
    location /t { auth_jwt "api" token=$arg_t extra; empty_gif; }
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid number of arguments in "auth_jwt" directive/



=== TEST 3: auth_jwt token=foo (not a variable)
--- config
    location /t { auth_jwt "api" token=foo; empty_gif; }
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid parameter "token=foo" in "auth_jwt" directive in \S+nginx\.conf:\d+/



=== TEST 4: auth_jwt token= (empty)
--- config
    location /t { auth_jwt "api" token=; empty_gif; }
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid parameter "token=" in "auth_jwt" directive/



=== TEST 5: auth_jwt token=$ (a bare dollar)
--- config
    location /t { auth_jwt "api" token=$; empty_gif; }
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid parameter "token=\$" in "auth_jwt" directive/



=== TEST 6: auth_jwt with an unknown parameter
--- config
    location /t { auth_jwt "api" cookie=$cookie_x; empty_gif; }
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid parameter "cookie=\$cookie_x" in "auth_jwt" directive/



=== TEST 7: auth_jwt token= naming an unknown variable
--- config
    location /t { auth_jwt "api" token=$no_such_variable; empty_gif; }
--- must_die
--- error_log eval
qr/\[emerg\] .*unknown "no_such_variable" variable/



=== TEST 8: auth_jwt realm naming an unknown variable
--- config
    location /t { auth_jwt "realm $no_such_variable"; empty_gif; }
--- must_die
--- error_log eval
qr/\[emerg\] .*unknown "no_such_variable" variable/



=== TEST 9: auth_jwt twice in one location
--- config
    location /t {
        auth_jwt "a";
        auth_jwt "b";
        empty_gif;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*"auth_jwt" directive is duplicate in \S+nginx\.conf:\d+/



=== TEST 10: auth_jwt and auth_jwt off in one server
--- config
    auth_jwt "a";
    auth_jwt off;
--- must_die
--- error_log eval
qr/\[emerg\] .*"auth_jwt" directive is duplicate/



=== TEST 11: auth_jwt twice at http level
--- http_config
    auth_jwt off;
    auth_jwt off;
--- must_die
--- error_log eval
qr/\[emerg\] .*"auth_jwt" directive is duplicate/



=== TEST 12: auth_jwt in the main context
--- main_config
    auth_jwt "api";
--- must_die
--- error_log eval
qr/\[emerg\] .*"auth_jwt" directive is not allowed here/



=== TEST 13: auth_jwt inside "if" (not an allowed context)
--- config
    location /t {
        if ($arg_x) {
            auth_jwt "api";
        }
        empty_gif;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*"auth_jwt" directive is not allowed here/



=== TEST 14: auth_jwt_leeway with a bad value
--- config
    location /t { auth_jwt_leeway abc; empty_gif; }
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid value "abc" in "auth_jwt_leeway" directive in \S+nginx\.conf:\d+/



=== TEST 15: auth_jwt_leeway with a negative value
--- config
    location /t { auth_jwt_leeway -5s; empty_gif; }
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid value "-5s" in "auth_jwt_leeway" directive/



=== TEST 16: auth_jwt_leeway with an unknown unit
--- config
    location /t { auth_jwt_leeway 10x; empty_gif; }
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid value "10x" in "auth_jwt_leeway" directive/



=== TEST 17: auth_jwt_leeway twice at one level
--- config
    auth_jwt_leeway 10s;
    auth_jwt_leeway 20s;
--- must_die
--- error_log eval
qr/\[emerg\] .*"auth_jwt_leeway" directive is duplicate/



=== TEST 18: auth_jwt_leeway without a value
--- config
    location /t { auth_jwt_leeway; empty_gif; }
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid number of arguments in "auth_jwt_leeway" directive/



=== TEST 19: auth_jwt_leeway with two values
--- config
    location /t { auth_jwt_leeway 1s 2s; empty_gif; }
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid number of arguments in "auth_jwt_leeway" directive/



=== TEST 20: auth_jwt_leeway inside limit_except (not an allowed context)
--- config
    location /t {
        limit_except GET {
            auth_jwt_leeway 10s;
        }
        empty_gif;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*"auth_jwt_leeway" directive is not allowed here/



=== TEST 21: auth_jwt_key_file without an argument
--- config
    location /t { auth_jwt_key_file; empty_gif; }
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid number of arguments in "auth_jwt_key_file" directive in \S+nginx\.conf:\d+/



=== TEST 22: auth_jwt_key_file with two arguments
--- config
    location /t {
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/rsa.json $TEST_NGINX_DATA/jwks/ec256.json;
        empty_gif;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid number of arguments in "auth_jwt_key_file" directive/



=== TEST 23: auth_jwt_key_file in the main context
--- main_config
    auth_jwt_key_file /dev/null;
--- must_die
--- error_log eval
qr/\[emerg\] .*"auth_jwt_key_file" directive is not allowed here/



=== TEST 24: a directive that does not exist in NGINX Plus is unknown
--- config
    location /t { auth_jwt_validate_exp off; empty_gif; }
--- must_die
--- error_log eval
qr/\[emerg\] .*unknown directive "auth_jwt_validate_exp"/



=== TEST 25: every directive at every allowed level loads (a missing key file does not stop it)
--- http_config
    auth_jwt off;
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
    auth_jwt_leeway 5s;
--- config
    auth_jwt "server" token=$cookie_jwt;
    auth_jwt_key_file $TEST_NGINX_DATA/no-such-file.json;
    auth_jwt_leeway 1m;
    location /t {
        auth_jwt "";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/rsa.json;
        auth_jwt_key_file $TEST_NGINX_DATA/jwk/ec256.jwk;
        auth_jwt_leeway 0;
        limit_except GET {
            auth_jwt "write" token=$http_x_token;
            auth_jwt_key_file $TEST_NGINX_DATA/jwks/hs256.json;
        }
        empty_gif;
    }
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm=""
--- error_log eval
qr/\[warn\] .*auth_jwt_key_file "\Q$ENV{TEST_NGINX_DATA}\E\/no-such-file\.json" is unusable: no such file or directory/



=== TEST 26: auth_jwt off with a token parameter is refused (not a realm named "off")
--- config
    location /t { auth_jwt off token=$arg_jwt; empty_gif; }
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid parameter "token=\$arg_jwt" in "auth_jwt" directive/



=== TEST 27: a claim variable in auth_jwt_key_file is refused at configuration time
--- config
    location /t { auth_jwt "api"; auth_jwt_key_file keys/$jwt_claim_tenant.json; empty_gif; }
--- must_die
--- error_log eval
qr/\[emerg\] .*"auth_jwt_key_file" cannot use "\$jwt_claim_tenant": the keys that verify a token cannot be chosen by that token's own claims or header in \S+nginx\.conf:\d+/



=== TEST 28: a header variable (braced) in auth_jwt_key_file is refused too
--- config
    location /t { auth_jwt "api"; auth_jwt_key_file "keys/${jwt_header_kid}.json"; empty_gif; }
--- must_die
--- error_log eval
qr/\[emerg\] .*"auth_jwt_key_file" cannot use "\$jwt_header_kid"/



=== TEST 29: $jwt_payload in auth_jwt_key_file is refused too
--- config
    location /t { auth_jwt "api"; auth_jwt_key_file $jwt_payload; empty_gif; }
--- must_die
--- error_log eval
qr/\[emerg\] .*"auth_jwt_key_file" cannot use "\$jwt_payload"/
