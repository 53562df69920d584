# Hardening from an outside review: each block is the regression test of one finding, named in
# its title. Tokens are minted by t/lib/JwtTest.pm (the openssl command line), or, where a token
# is a forgery that no signer would produce, built here byte by byte from published values.

use strict;
use warnings;
use Test::Nginx::Socket 'no_plan';
use JwtTest;
use JSON::PP ();

my %c = (sub => 'alice', exp => now() + 3600);
our %t = (
    rs256 => jwt_sign(alg => 'RS256', claims => \%c),
);

# The Ed25519 forgery for a small-order public key: with the identity point as key A, the
# signature R = identity, S = 0 satisfies [S]B = R + [k]A for every message.
my $identity = "\x01" . ("\x00" x 31);
our $ed_identity_jwks = qq({"keys":[{"kty":"OKP","crv":"Ed25519","kid":"weak","x":")
    . b64url($identity) . qq("}]});
$t{ed_forged} = b64url('{"alg":"EdDSA","kid":"weak"}') . '.' . b64url('{"sub":"mallory"}') . '.'
    . b64url($identity . ("\x00" x 32));

# A real IdP's set: the RSA signing key, a secp256k1 key for ES256K (which we do not support)
# and an RSA-OAEP encryption key (for a future JWE feature).
{
    my $json = JSON::PP->new->canonical;
    my $rsa = $json->decode(JwtTest::_slurp(JwtTest::data_dir() . '/jwks/rsa.json'))->{keys}[0];
    my %wrap = (%$rsa, kid => 'wrap', alg => 'RSA-OAEP', use => 'enc');
    our $mixed_jwks = $json->encode({ keys => [
        { kty => 'EC', crv => 'secp256k1', alg => 'ES256K', kid => 'k1', x => 'AA', y => 'AA' },
        \%wrap, $rsa,
    ] });
}

# NGINX's own JWT guide: a 12-byte oct key ("fantasticjwt"), here next to our RSA key.
{
    my $json = JSON::PP->new->canonical;
    my $rsa = $json->decode(JwtTest::_slurp(JwtTest::data_dir() . '/jwks/rsa.json'))->{keys}[0];
    our $plus_guide_jwks = $json->encode({ keys => [
        { k => 'ZmFudGFzdGljand0', kty => 'oct', kid => '0001' }, $rsa,
    ] });
}
$t{hs256_guide} = jwt_sign(alg => 'HS256', secret => 'fantasticjwt', kid => '0001', claims => \%c);

# A named pipe where a key file should be: opening it the ordinary way waits for a writer for
# ever (at start-up for a fixed name, in the worker's event loop for a name from variables).
use File::Temp ();
our $pipes = File::Temp::tempdir('ngx-auth-jwt-pipes-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod 0755, $pipes;
system('mkfifo', "$pipes/pipe.json") == 0 or die "mkfifo: $?";

run_tests();

__DATA__

=== TEST 1: an Ed25519 key of small order (the identity point) is refused at load: the forged token gets 500, not 200
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_HTML/ed-identity.json;
        empty_gif;
    }
--- user_files eval
">>> ed-identity.json\n$::ed_identity_jwks\n"
--- more_headers eval
"Authorization: Bearer $::t{ed_forged}"
--- request
GET /t
--- error_code: 500
--- log_level: info
--- error_log eval
[qr{\[warn\] .*auth_jwt_key_file "[^"]*ed-identity\.json" is unusable: key 1 \(kid "weak"\): Ed25519 public key is a point of small order; },
 qr{\[error\] .*auth_jwt: key file "[^"]*ed-identity\.json" is unusable: key 1 \(kid "weak"\): Ed25519 public key is a point of small order, client: }]
--- no_error_log
[alert]
[crit]



=== TEST 2: a key with an unknown alg (ES256K) and an encryption key are skipped with a warning naming file and kid; the RS256 key beside them still verifies
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_HTML/mixed.json;
        empty_gif;
    }
--- user_files eval
">>> mixed.json\n$::mixed_jwks\n"
--- more_headers eval
"Authorization: Bearer $::t{rs256}"
--- request
GET /t
--- error_code: 200
--- log_level: info
--- error_log eval
[qr{\[warn\] .*auth_jwt_key_file "[^"]*mixed\.json": ignored key 1 \(kid "k1"\): alg "ES256K" is not supported, skipped},
 qr{\[warn\] .*auth_jwt_key_file "[^"]*mixed\.json": ignored key 2 \(kid "wrap"\): use "enc" is not "sig", skipped}]
--- no_error_log
[error]
[alert]
[crit]



=== TEST 3: the NGINX guide's 12-byte HMAC key is accepted with a warning naming file, kid and length; its token verifies
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_HTML/guide.json;
        empty_gif;
    }
--- user_files eval
">>> guide.json\n$::plus_guide_jwks\n"
--- more_headers eval
"Authorization: Bearer $::t{hs256_guide}"
--- request
GET /t
--- error_code: 200
--- log_level: info
--- error_log eval
qr{\[warn\] .*auth_jwt_key_file "[^"]*guide\.json": key 1 \(kid "0001"\): oct key is 12 bytes, shorter than the 32 bytes HS256 calls for; accepted as in NGINX Plus}
--- no_error_log
[error]



=== TEST 4: the RSA key beside the guide's short HMAC key keeps working
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_HTML/guide.json;
        empty_gif;
    }
--- user_files eval
">>> guide.json\n$::plus_guide_jwks\n"
--- more_headers eval
"Authorization: Bearer $::t{rs256}"
--- request
GET /t
--- error_code: 200
--- no_error_log
[error]



=== TEST 5: a named pipe as a fixed key file: nginx starts at once, the file is refused as not a regular file (500)
--- config eval
"    location /t {
        auth_jwt \"api\";
        auth_jwt_key_file $::pipes/pipe.json;
        empty_gif;
    }"
--- more_headers eval
"Authorization: Bearer $::t{rs256}"
--- request
GET /t
--- error_code: 500
--- log_level: info
--- error_log eval
[qr{\[warn\] .*auth_jwt_key_file "[^"]*pipe\.json" is unusable: is a named pipe, not a regular file; },
 qr{\[error\] .*auth_jwt: key file "[^"]*pipe\.json" is unusable: is a named pipe, not a regular file, client: }]
--- no_error_log
[alert]



=== TEST 6: a named pipe as a key file named by a variable: the worker answers at once with 500 instead of blocking
--- config eval
"    location /t {
        auth_jwt \"api\";
        auth_jwt_key_file $::pipes/\$arg_k.json;
        empty_gif;
    }"
--- more_headers eval
"Authorization: Bearer $::t{rs256}"
--- request
GET /t?k=pipe
--- error_code: 500
--- timeout: 3
--- log_level: info
--- error_log eval
qr{\[error\] .*auth_jwt: key file "[^"]*pipe\.json" is unusable: is a named pipe, not a regular file, client: }
--- no_error_log
[alert]



=== TEST 7: a key file name from variables cannot walk out of its directory with ".." (500, not the other file's keys)
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/$arg_k.json;
        empty_gif;
    }
--- more_headers eval
"Authorization: Bearer $::t{rs256}"
--- request
GET /t?k=../jwks/rsa
--- error_code: 500
--- log_level: info
--- error_log eval
qr{\[error\] .*auth_jwt: key file "[^"]*/jwks/\.\./jwks/rsa\.json" is unusable: the key file name has a "\.\." segment where variables are, client: }



=== TEST 8: nor with a "/" at the start of the part from variables
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/$arg_k.json;
        empty_gif;
    }
--- more_headers eval
"Authorization: Bearer $::t{rs256}"
--- request
GET /t?k=/rsa
--- error_code: 500
--- log_level: info
--- error_log eval
qr{\[error\] .*auth_jwt: key file "[^"]*/jwks//rsa\.json" is unusable: the part of the key file name from variables starts with "/", client: }



=== TEST 9: the same file name inside the directory still works
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/$arg_k.json;
        empty_gif;
    }
--- more_headers eval
"Authorization: Bearer $::t{rs256}"
--- request
GET /t?k=rsa
--- error_code: 200



=== TEST 10: a key file name from the request is escaped in the log: %0A in the URI cannot forge a log line
--- config
    location ~ ^/k/(?<tenant>[^/]+)$ {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/$tenant.json;
        empty_gif;
    }
--- more_headers eval
"Authorization: Bearer $::t{rs256}"
--- request
GET /k/x%0AFORGED%20line
--- error_code: 500
--- log_level: info
--- error_log eval
qr{\[error\] .*auth_jwt: key file "[^"]*/jwks/x\\x0aFORGED line\.json" is unusable: no such file or directory, client: }
--- no_error_log eval
qr{^FORGED}
