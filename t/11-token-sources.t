# Where the token comes from: the Authorization header (Bearer scheme, case-insensitive, one or
# more spaces), or the variable named by `token=` (cookie, argument, header, map, set), in which
# case the Authorization header is ignored. No token (or an empty variable) gives the challenge
# without error=; a token that is present but bad gives error="invalid_token".

use strict;
use warnings;
use Test::Nginx::Socket 'no_plan';
use JwtTest;

our $good     = jwt_sign(alg => 'ES256', claims => { sub => 'alice', exp => now() + 3600 });
our $tampered = tamper($good);

our $http = <<'EOC';
    # A custom scheme: "Authorization: Token <jwt>".
    map $http_authorization $jwt_from_map {
        "~^Token +(?<tok>\S+)$"  $tok;
        default                  "";
    }
    # The first non-empty of ?jwt= and the jwt cookie.
    map "$arg_jwt:$cookie_jwt" $jwt_any {
        "~^(?<a>[^:]+):"  $a;
        "~^:(?<c>.+)$"    $c;
        default           "";
    }
EOC

our $conf = <<'EOC';
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;

    location /hdr    { auth_jwt "api";                             empty_gif; }
    location /cookie { auth_jwt "api" token=$cookie_auth_token;    empty_gif; }
    location /arg    { auth_jwt "api" token=$arg_apijwt;           empty_gif; }
    location /xtoken { auth_jwt "api" token=$http_x_token;         empty_gif; }
    location /authz  { auth_jwt "api" token=$http_authorization;   empty_gif; }
    location /map    { auth_jwt "api" token=$jwt_from_map;         empty_gif; }
    location /any    { auth_jwt "api" token=$jwt_any;              empty_gif; }
    location /empty  { set $jwt_empty ""; auth_jwt "api" token=$jwt_empty; empty_gif; }
    location /set    { set $jwt_set $arg_t; auth_jwt "api" token=$jwt_set;  empty_gif; }
    location /unset  { auth_jwt "api" token=$jwt_unset;            empty_gif; }
    location /never  { set $jwt_unset "never used"; empty_gif; }
EOC

run_tests();

__DATA__
=== TEST 1: Authorization: Bearer <token>
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::good"
--- request
GET /hdr
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 2: scheme in lower case: bearer
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: bearer $::good"
--- request
GET /hdr
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 3: scheme in upper case: BEARER
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: BEARER $::good"
--- request
GET /hdr
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 4: scheme in mixed case: bEaReR
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: bEaReR $::good"
--- request
GET /hdr
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 5: header name in lower case
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"authorization: Bearer $::good"
--- request
GET /hdr
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 6: several spaces after the scheme
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer     $::good"
--- request
GET /hdr
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 7: trailing spaces after the token
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::good   "
--- request
GET /hdr
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 8: trailing tab after the token
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::good\t"
--- request
GET /hdr
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 9: tampered token in Authorization: invalid_token
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::tampered"
--- request
GET /hdr
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: signature does not verify
--- no_error_log
no token in the request
[error]



=== TEST 10: no Authorization header: no token
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- request
GET /hdr
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api"
--- error_log
auth_jwt: no token in the request
--- no_error_log
rejected token
[error]



=== TEST 11: Basic scheme: no token, no error=
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Basic dXNlcjpwYXNz"
--- request
GET /hdr
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api"
--- error_log
auth_jwt: no token in the request
--- no_error_log
rejected token
[error]



=== TEST 12: Basic scheme carrying a JWT: still no token
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Basic $::good"
--- request
GET /hdr
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api"
--- error_log
auth_jwt: no token in the request
--- no_error_log
rejected token
[error]



=== TEST 13: scheme glued to the token (Bearer<token>): no token
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer$::good"
--- request
GET /hdr
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api"
--- error_log
auth_jwt: no token in the request
--- no_error_log
rejected token
[error]



=== TEST 14: tab instead of a space after the scheme: no token
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer\t$::good"
--- request
GET /hdr
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api"
--- error_log
auth_jwt: no token in the request
--- no_error_log
rejected token
[error]



=== TEST 15: scheme alone: no token
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer"
--- request
GET /hdr
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api"
--- error_log
auth_jwt: no token in the request
--- no_error_log
rejected token
[error]



=== TEST 16: scheme and spaces only: no token
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer   "
--- request
GET /hdr
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api"
--- error_log
auth_jwt: no token in the request
--- no_error_log
rejected token
[error]



=== TEST 17: other scheme starting with Bearer (Bearerx): no token
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearerx $::good"
--- request
GET /hdr
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api"
--- error_log
auth_jwt: no token in the request
--- no_error_log
rejected token
[error]



=== TEST 18: token=$cookie_auth_token: the cookie
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Cookie: auth_token=$::good"
--- request
GET /cookie
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 19: token=$cookie_auth_token: the cookie among others
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Cookie: theme=dark; auth_token=$::good; lang=en"
--- request
GET /cookie
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 20: token=$cookie_auth_token: tampered cookie: invalid_token
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Cookie: auth_token=$::tampered"
--- request
GET /cookie
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: signature does not verify
--- no_error_log
no token in the request
[error]



=== TEST 21: token=$cookie_auth_token: no cookie: no token
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- request
GET /cookie
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api"
--- error_log
auth_jwt: no token in the request
--- no_error_log
rejected token
[error]



=== TEST 22: token=$cookie_auth_token: other cookies only: no token
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Cookie: theme=dark; xauth_token=$::good"
--- request
GET /cookie
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api"
--- error_log
auth_jwt: no token in the request
--- no_error_log
rejected token
[error]



=== TEST 23: token=$cookie_auth_token: empty cookie: no token
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Cookie: auth_token="
--- request
GET /cookie
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api"
--- error_log
auth_jwt: no token in the request
--- no_error_log
rejected token
[error]



=== TEST 24: token=$cookie_auth_token: a valid Authorization header is ignored
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::good"
--- request
GET /cookie
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api"
--- error_log
auth_jwt: no token in the request
--- no_error_log
rejected token
[error]



=== TEST 25: token=$cookie_auth_token: a valid header does not rescue a bad cookie
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::good\nCookie: auth_token=$::tampered"
--- request
GET /cookie
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: signature does not verify
--- no_error_log
no token in the request
[error]



=== TEST 26: token=$arg_apijwt: the query argument
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- request eval
"GET /arg?apijwt=$::good"
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 27: token=$arg_apijwt: among other arguments
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- request eval
"GET /arg?page=2&apijwt=$::good&x=y"
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 28: token=$arg_apijwt: tampered argument: invalid_token
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- request eval
"GET /arg?apijwt=$::tampered"
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: signature does not verify
--- no_error_log
no token in the request
[error]



=== TEST 29: token=$arg_apijwt: no argument: no token
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- request
GET /arg?page=2
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api"
--- error_log
auth_jwt: no token in the request
--- no_error_log
rejected token
[error]



=== TEST 30: token=$arg_apijwt: empty argument: no token
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- request
GET /arg?apijwt=
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api"
--- error_log
auth_jwt: no token in the request
--- no_error_log
rejected token
[error]



=== TEST 31: token=$arg_apijwt: a valid Authorization header is ignored
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::good"
--- request
GET /arg
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api"
--- error_log
auth_jwt: no token in the request
--- no_error_log
rejected token
[error]



=== TEST 32: token=$http_x_token: bare token
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"X-Token: $::good"
--- request
GET /xtoken
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 33: token=$http_x_token: with a Bearer prefix
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"X-Token: Bearer $::good"
--- request
GET /xtoken
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 34: token=$http_x_token: with a bearer prefix in lower case
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"X-Token: bearer $::good"
--- request
GET /xtoken
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 35: token=$http_x_token: tampered bare token: invalid_token
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"X-Token: $::tampered"
--- request
GET /xtoken
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: signature does not verify
--- no_error_log
no token in the request
[error]



=== TEST 36: token=$http_x_token: tampered token with a Bearer prefix: invalid_token
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"X-Token: Bearer $::tampered"
--- request
GET /xtoken
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: signature does not verify
--- no_error_log
no token in the request
[error]



=== TEST 37: token=$http_x_token: no header: no token
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- request
GET /xtoken
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api"
--- error_log
auth_jwt: no token in the request
--- no_error_log
rejected token
[error]



=== TEST 38: token=$http_x_token: a valid Authorization header is ignored
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::good"
--- request
GET /xtoken
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api"
--- error_log
auth_jwt: no token in the request
--- no_error_log
rejected token
[error]



=== TEST 39: token=$http_x_token: Authorization valid, X-Token tampered: invalid_token
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::good\nX-Token: $::tampered"
--- request
GET /xtoken
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: signature does not verify
--- no_error_log
no token in the request
[error]



=== TEST 40: token=$http_x_token: garbage instead of a token: invalid_token
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"X-Token: not-a-jwt"
--- request
GET /xtoken
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: token does not consist of three dot-separated parts
--- no_error_log
no token in the request
[error]



=== TEST 41: token=$http_authorization: the Bearer prefix is removed
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::good"
--- request
GET /authz
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 42: token=$http_authorization: the bare token
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: $::good"
--- request
GET /authz
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 43: token=$http_authorization: Basic credentials are not a token: invalid_token
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Basic dXNlcjpwYXNz"
--- request
GET /authz
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: token does not consist of three dot-separated parts
--- no_error_log
no token in the request
[error]



=== TEST 44: token from a map: custom "Token" scheme
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Token $::good"
--- request
GET /map
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 45: token from a map: tampered: invalid_token
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Token $::tampered"
--- request
GET /map
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: signature does not verify
--- no_error_log
no token in the request
[error]



=== TEST 46: token from a map: the map gives an empty value: no token
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::good"
--- request
GET /map
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api"
--- error_log
auth_jwt: no token in the request
--- no_error_log
rejected token
[error]



=== TEST 47: token from a map: no header: no token
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- request
GET /map
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api"
--- error_log
auth_jwt: no token in the request
--- no_error_log
rejected token
[error]



=== TEST 48: token from a map with several sources: the argument
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- request eval
"GET /any?jwt=$::good"
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 49: token from a map with several sources: the cookie
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Cookie: jwt=$::good"
--- request
GET /any
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 50: token from a map with several sources: none: no token
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- request
GET /any
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api"
--- error_log
auth_jwt: no token in the request
--- no_error_log
rejected token
[error]



=== TEST 51: token=$jwt_empty (set to ""): no token, the header is ignored
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::good"
--- request
GET /empty
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api"
--- error_log
auth_jwt: no token in the request
--- no_error_log
rejected token
[error]



=== TEST 52: token=$jwt_set, set from an argument in the rewrite phase
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- request eval
"GET /set?t=$::good"
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 53: token=$jwt_unset (declared, never set): no token
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::good"
--- request
GET /unset
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api"
--- error_log
auth_jwt: no token in the request
--- no_error_log
rejected token
[error]



=== TEST 54: token=$http_x_token: the scheme alone is no token, as in Authorization
--- http_config eval: $::http
--- config eval: $::conf
--- log_level: info
--- more_headers
X-Token: Bearer
--- request
GET /xtoken
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api"
--- error_log
auth_jwt: no token in the request
