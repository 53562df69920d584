# Hostile key files: every broken or dangerous JWK Set gets a clear, one-line reason,
# logged as a [warn] when the configuration loads (nginx still starts, as NGINX Plus does) and
# as an [error] with a 500 for every request that needs it. Also: the documented rule for
# several keys under one kid (all are candidates, in file order). The fixtures are written by
# t/data/generate.pl (see t/data/README.md).

use strict;
use warnings;
use Test::Nginx::Socket 'no_plan';
use JwtTest;

my %c = (sub => 'alice', exp => now() + 3600);
our %t = (
    rs256         => jwt_sign(alg => 'RS256', claims => \%c),
    rs256_other   => jwt_sign(alg => 'RS256', key => 'rsa-other', claims => \%c),
    rs256_1024    => jwt_sign(alg => 'RS256', key => 'rsa-1024', kid => 'rsa', claims => \%c),
    rs256_kid_x   => jwt_sign(alg => 'RS256', kid => 'x', claims => \%c),
    es256_kid_rsa => jwt_sign(alg => 'ES256', kid => 'rsa', claims => \%c),
    eddsa_kid_rsa => jwt_sign(alg => 'EdDSA', kid => 'rsa', claims => \%c),
);
$t{two_parts} = join '.', (split /\./, $t{rs256})[0, 1];

# A location protected by one key file.
sub main::conf_with {
    my ($file) = @_;
    return <<"EOC";
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $file;
        empty_gif;
    }
EOC
}

run_tests();

__DATA__

=== TEST 1: missing-comma.json (two keys, no comma between them): warning at start-up, 500 with an error line
--- config eval: main::conf_with('$TEST_NGINX_DATA/bad/missing-comma.json')
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{rs256}"
--- request
GET /t
--- error_code: 500
--- error_log eval
[qr{\[warn\] .*auth_jwt_key_file "[^"]*missing-comma\.json" is unusable: JWK set is not valid JSON: expected `,` or `\]` at line \d+ column \d+; requests that need it will get 500 in },
 qr{\[error\] .*auth_jwt: key file "[^"]*missing-comma\.json" is unusable: JWK set is not valid JSON: expected `,` or `\]` at line \d+ column \d+, client: 127\.0\.0\.1}]
--- no_error_log
[alert]
[crit]



=== TEST 2: not-json.txt: warning at start-up, 500 with an error line
--- config eval: main::conf_with('$TEST_NGINX_DATA/bad/not-json.txt')
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{rs256}"
--- request
GET /t
--- error_code: 500
--- error_log eval
[qr{\[warn\] .*auth_jwt_key_file "[^"]*not-json\.txt" is unusable: JWK set is not valid JSON: expected value at line 1 column 1; requests that need it will get 500 in },
 qr{\[error\] .*auth_jwt: key file "[^"]*not-json\.txt" is unusable: JWK set is not valid JSON: expected value at line 1 column 1, client: 127\.0\.0\.1}]
--- no_error_log
[alert]
[crit]



=== TEST 3: empty-set.json: warning at start-up, 500 with an error line
--- config eval: main::conf_with('$TEST_NGINX_DATA/bad/empty-set.json')
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{rs256}"
--- request
GET /t
--- error_code: 500
--- error_log eval
[qr{\[warn\] .*auth_jwt_key_file "[^"]*empty-set\.json" is unusable: empty JWK set; requests that need it will get 500 in },
 qr{\[error\] .*auth_jwt: key file "[^"]*empty-set\.json" is unusable: empty JWK set, client: 127\.0\.0\.1}]
--- no_error_log
[alert]
[crit]



=== TEST 4: keys-not-array.json: warning at start-up, 500 with an error line
--- config eval: main::conf_with('$TEST_NGINX_DATA/bad/keys-not-array.json')
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{rs256}"
--- request
GET /t
--- error_code: 500
--- error_log eval
[qr{\[warn\] .*auth_jwt_key_file "[^"]*keys-not-array\.json" is unusable: JWK set member "keys" is not an array; requests that need it will get 500 in },
 qr{\[error\] .*auth_jwt: key file "[^"]*keys-not-array\.json" is unusable: JWK set member "keys" is not an array, client: 127\.0\.0\.1}]
--- no_error_log
[alert]
[crit]



=== TEST 5: duplicate-member.json ("kty" twice in a key): warning at start-up, 500 with an error line
--- config eval: main::conf_with('$TEST_NGINX_DATA/bad/duplicate-member.json')
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{rs256}"
--- request
GET /t
--- error_code: 500
--- error_log eval
[qr{\[warn\] .*auth_jwt_key_file "[^"]*duplicate-member\.json" is unusable: JWK set has duplicate member names; requests that need it will get 500 in },
 qr{\[error\] .*auth_jwt: key file "[^"]*duplicate-member\.json" is unusable: JWK set has duplicate member names, client: 127\.0\.0\.1}]
--- no_error_log
[alert]
[crit]



=== TEST 6: deep.json: warning at start-up, 500 with an error line
--- config eval: main::conf_with('$TEST_NGINX_DATA/bad/deep.json')
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{rs256}"
--- request
GET /t
--- error_code: 500
--- error_log eval
[qr{\[warn\] .*auth_jwt_key_file "[^"]*deep\.json" is unusable: JWK set is nested deeper than 32 levels; requests that need it will get 500 in },
 qr{\[error\] .*auth_jwt: key file "[^"]*deep\.json" is unusable: JWK set is nested deeper than 32 levels, client: 127\.0\.0\.1}]
--- no_error_log
[alert]
[crit]



=== TEST 7: rsa-missing-e.json: warning at start-up, 500 with an error line
--- config eval: main::conf_with('$TEST_NGINX_DATA/bad/rsa-missing-e.json')
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{rs256}"
--- request
GET /t
--- error_code: 500
--- error_log eval
[qr{\[warn\] .*auth_jwt_key_file "[^"]*rsa-missing-e\.json" is unusable: key 1 \(kid "rsa"\): member "e" is missing; requests that need it will get 500 in },
 qr{\[error\] .*auth_jwt: key file "[^"]*rsa-missing-e\.json" is unusable: key 1 \(kid "rsa"\): member "e" is missing, client: 127\.0\.0\.1}]
--- no_error_log
[alert]
[crit]



=== TEST 8: ec-missing-y.json: warning at start-up, 500 with an error line
--- config eval: main::conf_with('$TEST_NGINX_DATA/bad/ec-missing-y.json')
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{rs256}"
--- request
GET /t
--- error_code: 500
--- error_log eval
[qr{\[warn\] .*auth_jwt_key_file "[^"]*ec-missing-y\.json" is unusable: key 1 \(kid "ec256"\): member "y" is missing; requests that need it will get 500 in },
 qr{\[error\] .*auth_jwt: key file "[^"]*ec-missing-y\.json" is unusable: key 1 \(kid "ec256"\): member "y" is missing, client: 127\.0\.0\.1}]
--- no_error_log
[alert]
[crit]



=== TEST 9: missing-kty.json: warning at start-up, 500 with an error line
--- config eval: main::conf_with('$TEST_NGINX_DATA/bad/missing-kty.json')
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{rs256}"
--- request
GET /t
--- error_code: 500
--- error_log eval
[qr{\[warn\] .*auth_jwt_key_file "[^"]*missing-kty\.json" is unusable: key 1 \(kid "rsa"\): member "kty" is missing; requests that need it will get 500 in },
 qr{\[error\] .*auth_jwt: key file "[^"]*missing-kty\.json" is unusable: key 1 \(kid "rsa"\): member "kty" is missing, client: 127\.0\.0\.1}]
--- no_error_log
[alert]
[crit]



=== TEST 10: rsa-1024.json: warning at start-up, 500 with an error line
--- config eval: main::conf_with('$TEST_NGINX_DATA/bad/rsa-1024.json')
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{rs256}"
--- request
GET /t
--- error_code: 500
--- error_log eval
[qr{\[warn\] .*auth_jwt_key_file "[^"]*rsa-1024\.json" is unusable: key 1 \(kid "rsa-1024"\): RSA modulus is 1024 bits, at least 2048 required; requests that need it will get 500 in },
 qr{\[error\] .*auth_jwt: key file "[^"]*rsa-1024\.json" is unusable: key 1 \(kid "rsa-1024"\): RSA modulus is 1024 bits, at least 2048 required, client: 127\.0\.0\.1}]
--- no_error_log
[alert]
[crit]



=== TEST 11: rsa-e-1.json (public exponent 1): warning at start-up, 500 with an error line
--- config eval: main::conf_with('$TEST_NGINX_DATA/bad/rsa-e-1.json')
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{rs256}"
--- request
GET /t
--- error_code: 500
--- error_log eval
[qr{\[warn\] .*auth_jwt_key_file "[^"]*rsa-e-1\.json" is unusable: key 1 \(kid "rsa"\): RSA public exponent is invalid; requests that need it will get 500 in },
 qr{\[error\] .*auth_jwt: key file "[^"]*rsa-e-1\.json" is unusable: key 1 \(kid "rsa"\): RSA public exponent is invalid, client: 127\.0\.0\.1}]
--- no_error_log
[alert]
[crit]



=== TEST 12: rsa-padded-n.json ("==" padding in n): warning at start-up, 500 with an error line
--- config eval: main::conf_with('$TEST_NGINX_DATA/bad/rsa-padded-n.json')
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{rs256}"
--- request
GET /t
--- error_code: 500
--- error_log eval
[qr{\[warn\] .*auth_jwt_key_file "[^"]*rsa-padded-n\.json" is unusable: key 1 \(kid "rsa"\): member "n" is not valid base64url; requests that need it will get 500 in },
 qr{\[error\] .*auth_jwt: key file "[^"]*rsa-padded-n\.json" is unusable: key 1 \(kid "rsa"\): member "n" is not valid base64url, client: 127\.0\.0\.1}]
--- no_error_log
[alert]
[crit]



=== TEST 13: rsa-alg-hs256.json (an RSA key declared for HS256): warning at start-up, 500 with an error line
--- config eval: main::conf_with('$TEST_NGINX_DATA/bad/rsa-alg-hs256.json')
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{rs256}"
--- request
GET /t
--- error_code: 500
--- error_log eval
[qr{\[warn\] .*auth_jwt_key_file "[^"]*rsa-alg-hs256\.json" is unusable: key 1 \(kid "rsa"\): algorithm HS256 cannot be used with an RSA key; requests that need it will get 500 in },
 qr{\[error\] .*auth_jwt: key file "[^"]*rsa-alg-hs256\.json" is unusable: key 1 \(kid "rsa"\): algorithm HS256 cannot be used with an RSA key, client: 127\.0\.0\.1}]
--- no_error_log
[alert]
[crit]



=== TEST 14: ec-off-curve.json: warning at start-up, 500 with an error line
--- config eval: main::conf_with('$TEST_NGINX_DATA/bad/ec-off-curve.json')
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{rs256}"
--- request
GET /t
--- error_code: 500
--- error_log eval
[qr{\[warn\] .*auth_jwt_key_file "[^"]*ec-off-curve\.json" is unusable: key 1 \(kid "ec256"\): EC point is not on the curve P-256; requests that need it will get 500 in },
 qr{\[error\] .*auth_jwt: key file "[^"]*ec-off-curve\.json" is unusable: key 1 \(kid "ec256"\): EC point is not on the curve P-256, client: 127\.0\.0\.1}]
--- no_error_log
[alert]
[crit]



=== TEST 15: okp-short-x.json: warning at start-up, 500 with an error line
--- config eval: main::conf_with('$TEST_NGINX_DATA/bad/okp-short-x.json')
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{rs256}"
--- request
GET /t
--- error_code: 500
--- error_log eval
[qr{\[warn\] .*auth_jwt_key_file "[^"]*okp-short-x\.json" is unusable: key 1 \(kid "ed25519"\): member "x" is 31 bytes, expected 32 for Ed25519; requests that need it will get 500 in },
 qr{\[error\] .*auth_jwt: key file "[^"]*okp-short-x\.json" is unusable: key 1 \(kid "ed25519"\): member "x" is 31 bytes, expected 32 for Ed25519, client: 127\.0\.0\.1}]
--- no_error_log
[alert]
[crit]



=== TEST 16: hs-short.json (16-byte secret): accepted as in NGINX Plus, with a warning naming file, kid and length
--- config eval: main::conf_with('$TEST_NGINX_DATA/bad/hs-short.json')
--- log_level: info
--- more_headers eval
"Authorization: Bearer " . JwtTest::jwt_sign(alg => 'HS256', key => 'hs-short', claims => { exp => time + 3600 })
--- request
GET /t
--- error_code: 200
--- error_log eval
qr{\[warn\] .*auth_jwt_key_file "[^"]*hs-short\.json": key 1 \(kid "hs-short"\): oct key is 16 bytes, shorter than the 32 bytes HS256 calls for; accepted as in NGINX Plus, but a short secret can be guessed offline from any token it signed}
--- no_error_log
[error]
[alert]
[crit]


=== TEST 17: hs-short-for-alg.json (32-byte secret for HS512): accepted with a warning
--- config eval: main::conf_with('$TEST_NGINX_DATA/bad/hs-short-for-alg.json')
--- log_level: info
--- more_headers eval
"Authorization: Bearer " . JwtTest::jwt_sign(alg => 'HS512', key => 'hs256', claims => { exp => time + 3600 })
--- request
GET /t
--- error_code: 200
--- error_log eval
qr{\[warn\] .*auth_jwt_key_file "[^"]*hs-short-for-alg\.json": key 1 \(kid "hs256"\): oct key is 32 bytes, shorter than the 64 bytes HS512 calls for; }
--- no_error_log
[error]
[alert]
[crit]


=== TEST 18: enc-only.json (no key usable for signatures): warning at start-up, 500 with an error line
--- config eval: main::conf_with('$TEST_NGINX_DATA/bad/enc-only.json')
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{rs256}"
--- request
GET /t
--- error_code: 500
--- error_log eval
[qr{\[warn\] .*auth_jwt_key_file "[^"]*enc-only\.json" is unusable: no usable keys: all 2 skipped; requests that need it will get 500 in },
 qr{\[error\] .*auth_jwt: key file "[^"]*enc-only\.json" is unusable: no usable keys: all 2 skipped, client: 127\.0\.0\.1}]
--- no_error_log
[alert]
[crit]



=== TEST 19: a key file larger than 1 MiB: warning at start-up, 500 with an error line
--- config eval: main::conf_with('$TEST_NGINX_HTML/big.json')
--- user_files eval
[['big.json', '{"keys":[],"pad":"' . ('x' x (1 << 20)) . '"}']]
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{rs256}"
--- request
GET /t
--- error_code: 500
--- error_log eval
[qr{\[warn\] .*auth_jwt_key_file "[^"]*big\.json" is unusable: file is larger than 1048576 bytes; requests that need it will get 500 in },
 qr{\[error\] .*auth_jwt: key file "[^"]*big\.json" is unusable: file is larger than 1048576 bytes, client: 127\.0\.0\.1}]
--- no_error_log
[alert]
[crit]



=== TEST 20: a key file that does not exist: warning at start-up, 500 with an error line
--- config eval: main::conf_with('$TEST_NGINX_DATA/bad/missing.json')
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{rs256}"
--- request
GET /t
--- error_code: 500
--- error_log eval
[qr{\[warn\] .*auth_jwt_key_file "[^"]*missing\.json" is unusable: no such file or directory; requests that need it will get 500 in },
 qr{\[error\] .*auth_jwt: key file "[^"]*missing\.json" is unusable: no such file or directory, client: 127\.0\.0\.1}]
--- no_error_log
[alert]
[crit]



=== TEST 21: a directory instead of a key file: warning at start-up, 500 with an error line
--- config eval: main::conf_with('$TEST_NGINX_DATA/bad')
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{rs256}"
--- request
GET /t
--- error_code: 500
--- error_log eval
[qr{\[warn\] .*auth_jwt_key_file "[^"]*bad" is unusable: is a directory; requests that need it will get 500 in },
 qr{\[error\] .*auth_jwt: key file "[^"]*bad" is unusable: is a directory, client: 127\.0\.0\.1}]
--- no_error_log
[alert]
[crit]



=== TEST 22: a broken key file does not turn a malformed token into a 500: 401
--- config eval: main::conf_with('$TEST_NGINX_DATA/bad/missing-comma.json')
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{two_parts}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: token does not consist of three dot-separated parts
--- no_error_log
[error]
[alert]



=== TEST 23: a broken key file in one location leaves the others working
--- config eval
main::conf_with('$TEST_NGINX_DATA/bad/rsa-1024.json') . q{
    location /good {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        empty_gif;
    }
}
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{rs256}"
--- request
GET /good
--- error_code: 200
--- error_log
is unusable: key 1 (kid "rsa-1024"): RSA modulus is 1024 bits
--- no_error_log
[error]
[alert]



=== TEST 24: a good and a broken key file at one level: the level is unusable (500)
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        auth_jwt_key_file $TEST_NGINX_DATA/bad/ec-off-curve.json;
        empty_gif;
    }
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{rs256}"
--- request
GET /t
--- error_code: 500
--- error_log eval
qr{\[error\] .*auth_jwt: key file "[^"]*ec-off-curve\.json" is unusable: key 1 \(kid "ec256"\): EC point is not on the curve P-256}
--- no_error_log
[alert]



=== TEST 25: a key with use "enc" is skipped with a warning, the others still serve
--- config eval: main::conf_with('$TEST_NGINX_DATA/jwks/with-enc.json')
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{rs256}"
--- request
GET /t
--- error_code: 200
--- error_log eval
qr{\[warn\] .*auth_jwt_key_file "[^"]*with-enc\.json": ignored key 1 \(kid "rsa"\): use "enc" is not "sig", skipped in }
--- no_error_log
[error]
[alert]



=== TEST 26: duplicate kid "rsa": the first key (rsa-other) verifies
--- config eval: main::conf_with('$TEST_NGINX_DATA/jwks/dup-kid.json')
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{rs256_other}"
--- request
GET /t
--- error_code: 200
--- no_error_log
[error]
[alert]



=== TEST 27: duplicate kid "rsa": the last key (rsa) verifies, after the others were tried
--- config eval: main::conf_with('$TEST_NGINX_DATA/jwks/dup-kid.json')
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{rs256}"
--- request
GET /t
--- error_code: 200
--- no_error_log
[error]
[alert]



=== TEST 28: duplicate kid "rsa": the EC key under that kid serves ES256
--- config eval: main::conf_with('$TEST_NGINX_DATA/jwks/dup-kid.json')
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{es256_kid_rsa}"
--- request
GET /t
--- error_code: 200
--- no_error_log
[error]
[alert]



=== TEST 29: duplicate kid "rsa": signed by none of the keys under it: 401
--- config eval: main::conf_with('$TEST_NGINX_DATA/jwks/dup-kid.json')
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{rs256_1024}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: signature does not verify
--- no_error_log
[error]
[alert]



=== TEST 30: duplicate kid "rsa": no key of the token's type under it: 401
--- config eval: main::conf_with('$TEST_NGINX_DATA/jwks/dup-kid.json')
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{eddsa_kid_rsa}"
--- request
GET /t
--- error_code: 401
--- error_log
rejected token: no key with kid "rsa" for EdDSA
--- no_error_log
[error]
[alert]



=== TEST 31: duplicate kid "rsa": a key of the set under another kid is never tried
--- config eval: main::conf_with('$TEST_NGINX_DATA/jwks/dup-kid.json')
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{rs256_kid_x}"
--- request
GET /t
--- error_code: 401
--- error_log
rejected token: no key with kid "x" for RS256
--- no_error_log
[error]
[alert]

