# How the directives combine across levels: auth_jwt, auth_jwt_key_file and auth_jwt_leeway are
# inherited http -> server -> location -> nested location / limit_except; a level with its own
# value replaces the inherited one (for key files: all the key files of that level, merged
# together, replace the inherited set); `auth_jwt off` cancels; directive order does not matter.

use strict;
use warnings;
use Test::Nginx::Socket 'no_plan';
use JwtTest qw(:DEFAULT data_dir);

my %claims = (sub => 'alice', exp => now() + 3600);
our $rs  = jwt_sign(alg => 'RS256', claims => \%claims);
our $es  = jwt_sign(alg => 'ES256', claims => \%claims);
our $hs  = jwt_sign(alg => 'HS256', claims => \%claims);
our $ed  = jwt_sign(alg => 'EdDSA', claims => \%claims);
our $bad = tamper($rs);
# Expired 30 s ago when the block runs (minted then, so a slow run cannot age it past the
# 60 s leeway of the blocks that use it).
sub main::expired_30 { 'Authorization: Bearer ' . jwt_sign(alg => 'RS256', claims => { exp => now() - 30 }) }

our $all_json = do { local (@ARGV, $/) = (data_dir() . '/jwks/all.json'); <> };

run_tests();

__DATA__

=== TEST 1: http level: auth_jwt and key file inherited by a location
--- http_config
    auth_jwt "http";
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
--- config
    location /t { empty_gif; }
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="http"



=== TEST 2: http level: a valid token passes in the inheriting location
--- http_config
    auth_jwt "http";
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
--- config
    location /t { empty_gif; }
--- more_headers eval
"Authorization: Bearer $::rs"
--- request
GET /t
--- error_code: 200



=== TEST 3: http level: the default location / is protected too
--- http_config
    auth_jwt "http";
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
--- user_files
>>> index.html
hello
--- request
GET /
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="http"



=== TEST 4: server level: inherited by a location
--- config
    auth_jwt "server";
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
    location /t { empty_gif; }
--- more_headers eval
"Authorization: Bearer $::bad"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="server", error="invalid_token"



=== TEST 5: server level overrides the http realm
--- http_config
    auth_jwt "http";
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
--- config
    auth_jwt "server";
    location /t { empty_gif; }
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="server"



=== TEST 6: location level overrides the server realm and token source
--- config
    auth_jwt "server";
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
    location /t {
        auth_jwt "location" token=$arg_jwt;
        empty_gif;
    }
--- more_headers eval
"Authorization: Bearer $::rs"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="location"



=== TEST 7: token= is inherited with the realm
--- http_config
    auth_jwt "http" token=$cookie_jwt;
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
--- config
    location /t { empty_gif; }
--- more_headers eval
"Cookie: jwt=$::es"
--- request
GET /t
--- error_code: 200



=== TEST 8: auth_jwt off in a location cancels the server's auth_jwt
--- log_level: info
--- config
    auth_jwt "server";
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
    location /public { auth_jwt off; empty_gif; }
--- request
GET /public
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:



=== TEST 9: auth_jwt off in a location: an invalid token is not looked at either
--- log_level: info
--- config
    auth_jwt "server";
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
    location /public { auth_jwt off; empty_gif; }
--- more_headers eval
"Authorization: Bearer $::bad"
--- request
GET /public
--- error_code: 200
--- no_error_log
auth_jwt:



=== TEST 10: auth_jwt off at http level, enabled again in a location
--- http_config
    auth_jwt off;
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
--- config
    location /t { auth_jwt "loc"; empty_gif; }
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="loc"



=== TEST 11: auth_jwt off at server level, a sibling location stays open
--- config
    auth_jwt off;
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
    location /t { auth_jwt "loc"; empty_gif; }
    location /open { empty_gif; }
--- request
GET /open
--- error_code: 200



=== TEST 12: key file at http level, auth_jwt at location level
--- http_config
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/ec256.json;
--- config
    location /t { auth_jwt "loc"; empty_gif; }
--- more_headers eval
"Authorization: Bearer $::es"
--- request
GET /t
--- error_code: 200



=== TEST 13: key file at http level: a token for another key is refused
--- log_level: info
--- http_config
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/ec256.json;
--- config
    location /t { auth_jwt "loc"; empty_gif; }
--- more_headers eval
"Authorization: Bearer $::rs"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="loc", error="invalid_token"
--- error_log
auth_jwt: rejected token: no key with kid "rsa" for RS256



=== TEST 14: location key file replaces the server's: the server's key no longer applies
--- log_level: info
--- config
    auth_jwt "api";
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/rsa.json;
    location /t {
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/ec256.json;
        empty_gif;
    }
--- more_headers eval
"Authorization: Bearer $::rs"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: no key with kid "rsa" for RS256



=== TEST 15: location key file replaces the server's: the location's key applies
--- config
    auth_jwt "api";
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/rsa.json;
    location /t {
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/ec256.json;
        empty_gif;
    }
--- more_headers eval
"Authorization: Bearer $::es"
--- request
GET /t
--- error_code: 200



=== TEST 16: location key file replaces the server's: a sibling location keeps the server's
--- config
    auth_jwt "api";
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/rsa.json;
    location /t {
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/ec256.json;
        empty_gif;
    }
    location /u { empty_gif; }
--- more_headers eval
"Authorization: Bearer $::rs"
--- request
GET /u
--- error_code: 200



=== TEST 17: server key file replaces the http one; the location inherits the server's
--- log_level: info
--- http_config
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/ec256.json;
--- config
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/rsa.json;
    location /t { auth_jwt "api"; empty_gif; }
--- more_headers eval
"Authorization: Bearer $::es"
--- request
GET /t
--- error_code: 401
--- error_log
auth_jwt: rejected token: no key with kid "ec256" for ES256



=== TEST 18: a good location key file replaces a broken server one
--- log_level: info
--- config
    auth_jwt "api";
    auth_jwt_key_file $TEST_NGINX_DATA/bad/empty-set.json;
    location /t {
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        empty_gif;
    }
--- more_headers eval
"Authorization: Bearer $::rs"
--- request
GET /t
--- error_code: 200
--- no_error_log
[error]



=== TEST 19: a broken location key file does not affect a sibling inheriting the server's
--- log_level: info
--- config
    auth_jwt "api";
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
    location /broken {
        auth_jwt_key_file $TEST_NGINX_DATA/bad/empty-set.json;
        empty_gif;
    }
    location /t { empty_gif; }
--- more_headers eval
"Authorization: Bearer $::rs"
--- request
GET /t
--- error_code: 200
--- no_error_log
[error]



=== TEST 20: a broken location key file: 500 there
--- log_level: info
--- config
    auth_jwt "api";
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
    location /broken {
        auth_jwt_key_file $TEST_NGINX_DATA/bad/empty-set.json;
        empty_gif;
    }
    location /t { empty_gif; }
--- more_headers eval
"Authorization: Bearer $::rs"
--- request
GET /broken
--- error_code: 500
--- error_log
auth_jwt: key file "$TEST_NGINX_DATA/bad/empty-set.json" is unusable: empty JWK set



=== TEST 21: several key files at one level are merged: a key from the first file
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/rsa.json;
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/ec256.json;
        auth_jwt_key_file $TEST_NGINX_DATA/jwk/hs256.jwk;
        empty_gif;
    }
--- more_headers eval
"Authorization: Bearer $::rs"
--- request
GET /t
--- error_code: 200



=== TEST 22: several key files at one level are merged: a key from the second file
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/rsa.json;
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/ec256.json;
        auth_jwt_key_file $TEST_NGINX_DATA/jwk/hs256.jwk;
        empty_gif;
    }
--- more_headers eval
"Authorization: Bearer $::es"
--- request
GET /t
--- error_code: 200



=== TEST 23: several key files at one level are merged: a key from a bare JWK file
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/rsa.json;
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/ec256.json;
        auth_jwt_key_file $TEST_NGINX_DATA/jwk/hs256.jwk;
        empty_gif;
    }
--- more_headers eval
"Authorization: Bearer $::hs"
--- request
GET /t
--- error_code: 200



=== TEST 24: several key files at one level are merged: a key in none of them is refused
--- log_level: info
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/rsa.json;
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/ec256.json;
        auth_jwt_key_file $TEST_NGINX_DATA/jwk/hs256.jwk;
        empty_gif;
    }
--- more_headers eval
"Authorization: Bearer $::ed"
--- request
GET /t
--- error_code: 401
--- error_log
auth_jwt: rejected token: no key with kid "ed25519" for EdDSA



=== TEST 25: several key files at the server level, inherited as one set
--- config
    auth_jwt "api";
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/rsa.json;
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/ec256.json;
    location /t { empty_gif; }
--- more_headers eval
"Authorization: Bearer $::es"
--- request
GET /t
--- error_code: 200



=== TEST 26: one location key file replaces two server key files
--- log_level: info
--- config
    auth_jwt "api";
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/rsa.json;
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/ec256.json;
    location /t {
        auth_jwt_key_file $TEST_NGINX_DATA/jwk/hs256.jwk;
        empty_gif;
    }
--- more_headers eval
"Authorization: Bearer $::es"
--- request
GET /t
--- error_code: 401
--- error_log
auth_jwt: rejected token: no key with kid "ec256" for ES256



=== TEST 27: relative key file path resolves against the configuration directory
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file ../html/keys.json;
        empty_gif;
    }
--- user_files eval
[['keys.json', $::all_json]]
--- more_headers eval
"Authorization: Bearer $::rs"
--- request
GET /t
--- error_code: 200



=== TEST 28: relative key file path: the error names the resolved file
--- log_level: info
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file no-such-keys.json;
        empty_gif;
    }
--- more_headers eval
"Authorization: Bearer $::rs"
--- request
GET /t
--- error_code: 500
--- error_log eval
[qr{\[warn\] .*auth_jwt_key_file "/\S+/conf/no-such-keys\.json" is unusable: no such file or directory},
 qr{\[error\] .*auth_jwt: key file "/\S+/conf/no-such-keys\.json" is unusable: no such file or directory}]



=== TEST 29: leeway inherited from the server level
--- config
    auth_jwt "api";
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
    auth_jwt_leeway 60s;
    location /t { empty_gif; }
--- more_headers eval
main::expired_30()
--- request
GET /t
--- error_code: 200



=== TEST 30: leeway inherited from the http level into a location with its own auth_jwt
--- http_config
    auth_jwt_leeway 1m;
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        empty_gif;
    }
--- more_headers eval
main::expired_30()
--- request
GET /t
--- error_code: 200



=== TEST 31: leeway overridden to 0 in a location
--- log_level: info
--- config
    auth_jwt "api";
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
    auth_jwt_leeway 60s;
    location /t { auth_jwt_leeway 0s; empty_gif; }
--- more_headers eval
main::expired_30()
--- request
GET /t
--- error_code: 401
--- error_log eval
qr/auth_jwt: rejected token: token expired \d+ s ago/



=== TEST 32: limit_except GET: GET is not checked
--- config
    location /t {
        limit_except GET {
            auth_jwt "write";
            auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        }
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend;
    }
    location /backend { return 200 "backend $request_method\n"; }
--- request
GET /t
--- error_code: 200
--- response_body
backend GET



=== TEST 33: limit_except GET: HEAD is implied by GET and not checked
--- config
    location /t {
        limit_except GET {
            auth_jwt "write";
            auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        }
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend;
    }
    location /backend { return 200 "backend $request_method\n"; }
--- request
HEAD /t
--- error_code: 200



=== TEST 34: limit_except GET: POST without a token gets the block's challenge
--- config
    location /t {
        limit_except GET {
            auth_jwt "write";
            auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        }
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend;
    }
    location /backend { return 200 "backend $request_method\n"; }
--- request
POST /t
hello
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="write"



=== TEST 35: limit_except GET: POST with a valid token passes
--- config
    location /t {
        limit_except GET {
            auth_jwt "write";
            auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        }
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend;
    }
    location /backend { return 200 "backend $request_method\n"; }
--- more_headers eval
"Authorization: Bearer $::rs"
--- request
POST /t
hello
--- error_code: 200
--- response_body
backend POST



=== TEST 36: limit_except GET: DELETE with an invalid token
--- config
    location /t {
        limit_except GET {
            auth_jwt "write";
            auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        }
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend;
    }
    location /backend { return 200 "backend $request_method\n"; }
--- more_headers eval
"Authorization: Bearer $::bad"
--- request
DELETE /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="write", error="invalid_token"



=== TEST 37: key-sets.conf pattern: auth_jwt off in the location, on in limit_except (GET free)
--- config
    auth_jwt "internal";
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
    location /packages/ {
        auth_jwt off;
        limit_except GET HEAD {
            auth_jwt "release";
            auth_jwt_key_file $TEST_NGINX_DATA/jwks/ec256.json;
        }
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend;
    }
    location /backend { return 200 "backend $request_method\n"; }
--- request
GET /packages/x
--- error_code: 200
--- response_body
backend GET



=== TEST 38: key-sets.conf pattern: PUT needs the release key
--- log_level: info
--- config
    auth_jwt "internal";
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
    location /packages/ {
        auth_jwt off;
        limit_except GET HEAD {
            auth_jwt "release";
            auth_jwt_key_file $TEST_NGINX_DATA/jwks/ec256.json;
        }
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend;
    }
    location /backend { return 200 "backend $request_method\n"; }
--- more_headers eval
"Authorization: Bearer $::rs"
--- request
PUT /packages/x
data
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="release", error="invalid_token"
--- error_log
auth_jwt: rejected token: no key with kid "rsa" for RS256



=== TEST 39: key-sets.conf pattern: PUT with the release key passes
--- config
    auth_jwt "internal";
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
    location /packages/ {
        auth_jwt off;
        limit_except GET HEAD {
            auth_jwt "release";
            auth_jwt_key_file $TEST_NGINX_DATA/jwks/ec256.json;
        }
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend;
    }
    location /backend { return 200 "backend $request_method\n"; }
--- more_headers eval
"Authorization: Bearer $::es"
--- request
PUT /packages/x
data
--- error_code: 200
--- response_body
backend PUT



=== TEST 40: limit_except inherits the location's auth_jwt and replaces only the keys (GET)
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        limit_except GET {
            auth_jwt_key_file $TEST_NGINX_DATA/jwks/rsa.json;
        }
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend;
    }
    location /backend { return 200 "backend $request_method\n"; }
--- more_headers eval
"Authorization: Bearer $::es"
--- request
GET /t
--- error_code: 200



=== TEST 41: limit_except inherits the location's auth_jwt and replaces only the keys (POST)
--- log_level: info
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        limit_except GET {
            auth_jwt_key_file $TEST_NGINX_DATA/jwks/rsa.json;
        }
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend;
    }
    location /backend { return 200 "backend $request_method\n"; }
--- more_headers eval
"Authorization: Bearer $::es"
--- request
POST /t
x
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: no key with kid "ec256" for ES256



=== TEST 42: nested location inherits from its parent location
--- config
    location /a/ {
        auth_jwt "outer";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        location /a/inner/ { empty_gif; }
        empty_gif;
    }
--- request
GET /a/inner/x
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="outer"



=== TEST 43: nested location with auth_jwt off
--- config
    location /a/ {
        auth_jwt "outer";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        location /a/open/ { auth_jwt off; empty_gif; }
        empty_gif;
    }
--- request
GET /a/open/x
--- error_code: 200



=== TEST 44: nested location with its own key file: the parent's keys no longer apply
--- log_level: info
--- config
    location /a/ {
        auth_jwt "outer";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        location /a/ec/ {
            auth_jwt_key_file $TEST_NGINX_DATA/jwks/ec256.json;
            empty_gif;
        }
        empty_gif;
    }
--- more_headers eval
"Authorization: Bearer $::rs"
--- request
GET /a/ec/x
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="outer", error="invalid_token"
--- error_log
auth_jwt: rejected token: no key with kid "rsa" for RS256



=== TEST 45: nested location with its own key file: its key applies
--- config
    location /a/ {
        auth_jwt "outer";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        location /a/ec/ {
            auth_jwt_key_file $TEST_NGINX_DATA/jwks/ec256.json;
            empty_gif;
        }
        empty_gif;
    }
--- more_headers eval
"Authorization: Bearer $::es"
--- request
GET /a/ec/x
--- error_code: 200



=== TEST 46: nested location under an open parent enables auth_jwt
--- config
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
    location /a/ {
        location /a/secret/ { auth_jwt "inner"; empty_gif; }
        empty_gif;
    }
--- request
GET /a/secret/x
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="inner"



=== TEST 47: regex location inherits the server's auth_jwt
--- config
    auth_jwt "server";
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
    location ~ \.gif$ { empty_gif; }
--- request
GET /pixel.gif
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="server"



=== TEST 48: directive order: key file before auth_jwt (valid token)
--- config
    location /t {
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/ec256.json;
        auth_jwt "api";
        empty_gif;
    }
--- more_headers eval
"Authorization: Bearer $::es"
--- request
GET /t
--- error_code: 200



=== TEST 49: directive order: key file before auth_jwt (token for another key)
--- config
    location /t {
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/ec256.json;
        auth_jwt "api";
        empty_gif;
    }
--- more_headers eval
"Authorization: Bearer $::rs"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"



=== TEST 50: directive order: key file after auth_jwt (valid token)
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/ec256.json;
        empty_gif;
    }
--- more_headers eval
"Authorization: Bearer $::es"
--- request
GET /t
--- error_code: 200



=== TEST 51: directive order: key file after auth_jwt (token for another key)
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/ec256.json;
        empty_gif;
    }
--- more_headers eval
"Authorization: Bearer $::rs"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"



=== TEST 52: directive order: server-level directives written after the location still apply
--- log_level: info
--- config
    location /t { empty_gif; }
    auth_jwt "late";
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/ec256.json;
--- more_headers eval
"Authorization: Bearer $::rs"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="late", error="invalid_token"
--- error_log
auth_jwt: rejected token: no key with kid "rsa" for RS256



=== TEST 53: directive order: leeway before auth_jwt
--- config
    location /t {
        auth_jwt_leeway 60s;
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        auth_jwt "api";
        empty_gif;
    }
--- more_headers eval
main::expired_30()
--- request
GET /t
--- error_code: 200



=== TEST 54: auth_jwt off does not discard inherited keys for a nested re-enable
--- config
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/ec256.json;
    location /a/ {
        auth_jwt off;
        location /a/b/ { auth_jwt "b"; empty_gif; }
        empty_gif;
    }
--- more_headers eval
"Authorization: Bearer $::es"
--- request
GET /a/b/x
--- error_code: 200
