# Every signature algorithm against real keys, and the key-selection rules: a token is accepted
# only with the right key of the right type, under its kid (or a key without kid).
#
# Tokens are minted once here (openssl CLI, t/lib/JwtTest.pm); every block shares one server
# config ($::conf) whose locations differ only in their key files. Refusals are 401 with
# `error="invalid_token"` and one `[info]` line naming the reason.

use strict;
use warnings;
use File::Temp ();
use JSON::PP ();
use Test::Nginx::Socket 'no_plan';
use JwtTest qw(:DEFAULT data_dir hmac_secret);

my $claims = { sub => 'alice', exp => now() + 3600 };
sub mint { jwt_sign(claims => $claims, @_) }

our %t;
$t{$_} = mint(alg => $_) for qw(HS256 HS384 HS512 RS256 RS384 RS512 PS256 PS384 PS512
                                ES256 ES384 ES512);
$t{'EdDSA-Ed25519'} = mint(alg => 'EdDSA');
$t{'EdDSA-Ed448'}   = mint(alg => 'EdDSA', key => 'ed448');

# Same kid as the good key, another key (t/data/README.md: the *-other keys).
$t{'HS256-other'} = mint(alg => 'HS256', key => 'hs-other');
$t{"$_-other"} = mint(alg => $_, secret => hmac_secret('hs-other')) for qw(HS384 HS512);
$t{"$_-other"} = mint(alg => $_, key => 'rsa-other') for qw(RS256 RS384 RS512 PS256 PS384 PS512);
$t{'ES256-other'}         = mint(alg => 'ES256', key => 'ec256-other');
$t{'EdDSA-Ed25519-other'} = mint(alg => 'EdDSA', key => 'ed25519-other');

# Algorithm confusion: HS256 keyed with public RSA material (the classic attack on libraries
# that hand any key to any algorithm).
my $data = data_dir();
my $rsa_pub_pem = do { local (@ARGV, $/) = ("$data/keys/rsa.pub.pem"); <> };
my $rsa_jwk = JSON::PP->new->decode(do { local (@ARGV, $/) = ("$data/jwk/rsa.jwk"); <> });
$t{'confusion-kid'}   = mint(alg => 'HS256', secret => $rsa_pub_pem, kid => 'rsa');
$t{'confusion-nokid'} = mint(alg => 'HS256', secret => $rsa_pub_pem, kid => undef);
$t{'confusion-n'}     = mint(alg => 'HS256', secret => b64url_decode($rsa_jwk->{n}), kid => 'rsa');

# A kid that names a key of another type or curve.
$t{'ES256-kid-ec384'}         = mint(alg => 'ES256', kid => 'ec384');
$t{'ES384-kid-ec521'}         = mint(alg => 'ES384', kid => 'ec521');
$t{'EdDSA-Ed448-kid-ed25519'} = mint(alg => 'EdDSA', key => 'ed448', kid => 'ed25519');
$t{'RS256-kid-ec256'}         = mint(alg => 'RS256', kid => 'ec256');

# alg none and unknown spellings. `none` tokens have an empty signature; the -sig variants
# carry one, so the refusal has to come from the alg itself.
$t{none}          = mint(alg => 'none');
$t{'none-sig'}    = mint(alg => 'none') . b64url('signature');
$t{'None-sig'}    = mint(alg => 'none', header => { alg => 'None' }) . b64url('signature');
$t{'hs256-lower'} = mint(alg => 'HS256', header => { alg => 'hs256' });

# kid rules.
$t{'RS256-kid-nope'}     = mint(alg => 'RS256', kid => 'nope');
$t{'RS256-nokid'}        = mint(alg => 'RS256', kid => undef);
$t{'ES384-nokid'}        = mint(alg => 'ES384', kid => undef);
$t{'HS512-nokid'}        = mint(alg => 'HS512', kid => undef);
$t{'HS256-nokid'}        = mint(alg => 'HS256', kid => undef);
$t{'RS256-other-nokid'}  = mint(alg => 'RS256', key => 'rsa-other', kid => undef);
$t{'ES256-kid-anything'} = mint(alg => 'ES256', kid => 'anything');
$t{'RS256-tampered'}     = tamper($t{RS256});

# Hostile or unusual headers.
$t{'RS256-kid-hostile'} = mint(alg => 'RS256', kid => qq(a"b\\c\nforged line ) . ('k' x 80));
$t{'RS256-typ-JOSE'}    = mint(alg => 'RS256', header => { typ => 'JOSE' });
$t{'RS256-no-typ'}      = mint(alg => 'RS256', header => { typ => undef });
# A token that carries its own key (jwk/x5c/jku headers): signed with rsa-other, whose public
# key is embedded; the module must ignore it and use only configured keys.
{
    my $other = JSON::PP->new->decode(do { local (@ARGV, $/) = ("$data/jwks/rsa-other.json"); <> });
    $t{'RS256-embedded-jwk'} = mint(alg => 'RS256', key => 'rsa-other', kid => undef,
        header => { jwk => $other->{keys}[0], jku => 'https://attacker.example/jwks.json',
                    x5u => 'https://attacker.example/cert.pem' });
}
# An HMAC secret shorter than the hash: hs256 (32 bytes) for HS384 and HS512.
$t{'HS384-hs256-secret'} = mint(alg => 'HS384', key => 'hs256');
$t{'HS512-hs256-secret'} = mint(alg => 'HS512', key => 'hs256');

# Key sets built from jwks/all.json for the key-skipping rules (served with user_files).
our %jwks;
{
    my $json = JSON::PP->new->canonical;
    my $all = $json->decode(do { local (@ARGV, $/) = ("$data/jwks/all.json"); <> });
    my %k = map { $_->{kid} => $_ } @{ $all->{keys} };
    my $set = sub { $json->encode({ keys => [@_] }) };
    %jwks = (
        use_enc       => $set->({ %{ $k{ec256} }, use => 'enc' }, $k{rsa}),
        use_sig       => $set->({ %{ $k{ec256} }, use => 'sig' }),
        key_ops_enc   => $set->({ %{ $k{ec256} }, key_ops => ['encrypt'] }, $k{rsa}),
        key_ops_ver   => $set->({ %{ $k{ec256} }, key_ops => ['sign', 'verify'] }),
        unknown_kty   => $set->({ kty => 'XYZ', kid => 'x', foo => 'bar' }, $k{rsa}),
        unknown_crv   => $set->({ kty => 'OKP', kid => 'x', crv => 'X25519', x => $k{ed25519}{x} }, $k{rsa}),
        only_enc      => $set->({ %{ $k{rsa} }, use => 'enc' }),
        alg_mismatch  => $set->({ %{ $k{ec256} }, alg => 'RS256' }),
        hs256_for_512 => $set->({ %{ $k{hs256} }, alg => 'HS512' }),
    );
}

# There are no *-other fixtures for P-384, P-521 and Ed448: make fresh keys now and put them
# under the good keys' kids, so the good tokens meet a same-kid key that does not verify them.
our $tmp = File::Temp->newdir('jwt-10-XXXXXX', TMPDIR => 1);
chmod 0755, "$tmp";
sub fresh_jwk {
    my ($kid, @genpkey) = @_;
    system('openssl', 'genpkey', @genpkey, '-out', "$tmp/$kid.pem") == 0 or die "openssl genpkey";
    my $der = `openssl pkey -in $tmp/$kid.pem -pubout -outform DER`;
    die 'openssl pkey' if $?;
    return { kty => 'OKP', kid => $kid, crv => 'Ed448', x => b64url(substr($der, -57)) }
        if $genpkey[1] eq 'ed448';
    my ($crv, $len) = $genpkey[-1] =~ /P-384/ ? ('P-384', 48) : ('P-521', 66);
    my $point = substr($der, -(2 * $len));    # after the 0x04 of the uncompressed point
    return { kty => 'EC', kid => $kid, crv => $crv,
             x => b64url(substr($point, 0, $len)), y => b64url(substr($point, $len)) };
}
{
    my $keys = { keys => [
        fresh_jwk('ec384', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'),
        fresh_jwk('ec521', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-521'),
        fresh_jwk('ed448', '-algorithm', 'ed448'),
    ] };
    open(my $fh, '>', "$tmp/wrong.json") or die "$tmp/wrong.json: $!";
    print $fh JSON::PP->new->canonical->encode($keys);
    close $fh;
    chmod 0644, "$tmp/wrong.json";
}

our $conf = <<'EOC' . <<"EOC2";
    auth_jwt "api";
    location /all   { auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;   empty_gif; }
    location /other { auth_jwt_key_file $TEST_NGINX_DATA/jwks/other.json; empty_gif; }
    location /nokid { auth_jwt_key_file $TEST_NGINX_DATA/jwks/nokid.json; empty_gif; }
    location /alg   { auth_jwt_key_file $TEST_NGINX_DATA/jwks/alg.json;   empty_gif; }
    location /both {
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/other.json;
        empty_gif;
    }
    location /jwk-rsa     { auth_jwt_key_file $TEST_NGINX_DATA/jwk/rsa.jwk;     empty_gif; }
    location /jwk-ec256   { auth_jwt_key_file $TEST_NGINX_DATA/jwk/ec256.jwk;   empty_gif; }
    location /jwk-ed25519 { auth_jwt_key_file $TEST_NGINX_DATA/jwk/ed25519.jwk; empty_gif; }
    location /jwk-hs256   { auth_jwt_key_file $TEST_NGINX_DATA/jwk/hs256.jwk;   empty_gif; }
    location /nokey { empty_gif; }
EOC
    location /wrong { auth_jwt_key_file $tmp/wrong.json; empty_gif; }
EOC2

run_tests();

__DATA__
=== TEST 1: HS256 accepted with its key from jwks/all.json
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'HS256'}"
--- request
GET /all
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 2: HS384 accepted with its key from jwks/all.json
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'HS384'}"
--- request
GET /all
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 3: HS512 accepted with its key from jwks/all.json
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'HS512'}"
--- request
GET /all
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 4: RS256 accepted with its key from jwks/all.json
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'RS256'}"
--- request
GET /all
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 5: RS384 accepted with its key from jwks/all.json
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'RS384'}"
--- request
GET /all
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 6: RS512 accepted with its key from jwks/all.json
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'RS512'}"
--- request
GET /all
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 7: PS256 accepted with its key from jwks/all.json
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'PS256'}"
--- request
GET /all
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 8: PS384 accepted with its key from jwks/all.json
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'PS384'}"
--- request
GET /all
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 9: PS512 accepted with its key from jwks/all.json
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'PS512'}"
--- request
GET /all
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 10: ES256 accepted with its key from jwks/all.json
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'ES256'}"
--- request
GET /all
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 11: ES384 accepted with its key from jwks/all.json
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'ES384'}"
--- request
GET /all
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 12: ES512 accepted with its key from jwks/all.json
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'ES512'}"
--- request
GET /all
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 13: EdDSA-Ed25519 accepted with its key from jwks/all.json
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'EdDSA-Ed25519'}"
--- request
GET /all
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 14: EdDSA-Ed448 accepted with its key from jwks/all.json
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'EdDSA-Ed448'}"
--- request
GET /all
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 15: HS256 signed with another key under the same kid: refused
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'HS256-other'}"
--- request
GET /all
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: signature does not verify
--- no_error_log
[error]



=== TEST 16: HS384 signed with another key under the same kid: refused
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'HS384-other'}"
--- request
GET /all
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: signature does not verify
--- no_error_log
[error]



=== TEST 17: HS512 signed with another key under the same kid: refused
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'HS512-other'}"
--- request
GET /all
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: signature does not verify
--- no_error_log
[error]



=== TEST 18: RS256 signed with another key under the same kid: refused
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'RS256-other'}"
--- request
GET /all
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: signature does not verify
--- no_error_log
[error]



=== TEST 19: RS384 signed with another key under the same kid: refused
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'RS384-other'}"
--- request
GET /all
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: signature does not verify
--- no_error_log
[error]



=== TEST 20: RS512 signed with another key under the same kid: refused
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'RS512-other'}"
--- request
GET /all
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: signature does not verify
--- no_error_log
[error]



=== TEST 21: PS256 signed with another key under the same kid: refused
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'PS256-other'}"
--- request
GET /all
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: signature does not verify
--- no_error_log
[error]



=== TEST 22: PS384 signed with another key under the same kid: refused
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'PS384-other'}"
--- request
GET /all
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: signature does not verify
--- no_error_log
[error]



=== TEST 23: PS512 signed with another key under the same kid: refused
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'PS512-other'}"
--- request
GET /all
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: signature does not verify
--- no_error_log
[error]



=== TEST 24: ES256 signed with another key under the same kid: refused
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'ES256-other'}"
--- request
GET /all
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: signature does not verify
--- no_error_log
[error]



=== TEST 25: EdDSA-Ed25519 signed with another key under the same kid: refused
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'EdDSA-Ed25519-other'}"
--- request
GET /all
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: signature does not verify
--- no_error_log
[error]



=== TEST 26: ES384 checked against another key under the same kid: refused
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'ES384'}"
--- request
GET /wrong
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: signature does not verify
--- no_error_log
[error]



=== TEST 27: ES512 checked against another key under the same kid: refused
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'ES512'}"
--- request
GET /wrong
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: signature does not verify
--- no_error_log
[error]



=== TEST 28: EdDSA-Ed448 checked against another key under the same kid: refused
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'EdDSA-Ed448'}"
--- request
GET /wrong
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: signature does not verify
--- no_error_log
[error]



=== TEST 29: HS256 checked against jwks/other.json (same kid, other key): refused
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'HS256'}"
--- request
GET /other
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: signature does not verify
--- no_error_log
[error]



=== TEST 30: RS256 checked against jwks/other.json (same kid, other key): refused
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'RS256'}"
--- request
GET /other
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: signature does not verify
--- no_error_log
[error]



=== TEST 31: PS256 checked against jwks/other.json (same kid, other key): refused
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'PS256'}"
--- request
GET /other
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: signature does not verify
--- no_error_log
[error]



=== TEST 32: ES256 checked against jwks/other.json (same kid, other key): refused
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'ES256'}"
--- request
GET /other
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: signature does not verify
--- no_error_log
[error]



=== TEST 33: EdDSA-Ed25519 checked against jwks/other.json (same kid, other key): refused
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'EdDSA-Ed25519'}"
--- request
GET /other
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: signature does not verify
--- no_error_log
[error]



=== TEST 34: RS256 with a bare JWK file (jwk/rsa.jwk)
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'RS256'}"
--- request
GET /jwk-rsa
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 35: PS512 with a bare JWK file (jwk/rsa.jwk)
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'PS512'}"
--- request
GET /jwk-rsa
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 36: ES256 with a bare JWK file (jwk/ec256.jwk)
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'ES256'}"
--- request
GET /jwk-ec256
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 37: EdDSA with a bare JWK file (jwk/ed25519.jwk)
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'EdDSA-Ed25519'}"
--- request
GET /jwk-ed25519
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 38: HS256 with a bare JWK file (jwk/hs256.jwk)
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'HS256'}"
--- request
GET /jwk-hs256
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 39: RS256 signed with rsa-other against jwk/rsa.jwk: refused
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'RS256-other'}"
--- request
GET /jwk-rsa
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: signature does not verify
--- no_error_log
[error]



=== TEST 40: EdDSA signed with ed25519-other against jwk/ed25519.jwk: refused
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'EdDSA-Ed25519-other'}"
--- request
GET /jwk-ed25519
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: signature does not verify
--- no_error_log
[error]



=== TEST 41: ES256 token against jwk/hs256.jwk (no EC key): refused
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'ES256'}"
--- request
GET /jwk-hs256
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: no key with kid "ec256" for ES256
--- no_error_log
[error]



=== TEST 42: HS256 signed with the RSA public key PEM as secret, kid rsa: refused
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'confusion-kid'}"
--- request
GET /all
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: no key with kid "rsa" for HS256
--- no_error_log
[error]



=== TEST 43: HS256 signed with the RSA public key PEM as secret, no kid, RSA key only: refused
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'confusion-nokid'}"
--- request
GET /jwk-rsa
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: no key for HS256
--- no_error_log
[error]



=== TEST 44: HS256 signed with the RSA public key PEM as secret, no kid, all keys: refused
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'confusion-nokid'}"
--- request
GET /all
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: signature does not verify
--- no_error_log
[error]



=== TEST 45: HS256 signed with the RSA JWK's n as secret, kid rsa: refused
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'confusion-n'}"
--- request
GET /jwk-rsa
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: no key with kid "rsa" for HS256
--- no_error_log
[error]



=== TEST 46: ES256 signed with ec256 but kid of the P-384 key: refused
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'ES256-kid-ec384'}"
--- request
GET /all
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: no key with kid "ec384" for ES256
--- no_error_log
[error]



=== TEST 47: ES384 with the kid of the P-521 key: refused
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'ES384-kid-ec521'}"
--- request
GET /all
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: no key with kid "ec521" for ES384
--- no_error_log
[error]



=== TEST 48: EdDSA signed with Ed448 but kid of the Ed25519 key: refused
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'EdDSA-Ed448-kid-ed25519'}"
--- request
GET /all
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: signature does not verify
--- no_error_log
[error]



=== TEST 49: RS256 signed with rsa but kid of the EC key: refused
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'RS256-kid-ec256'}"
--- request
GET /all
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: no key with kid "ec256" for RS256
--- no_error_log
[error]



=== TEST 50: JWK with alg RS256 verifies RS256
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'RS256'}"
--- request
GET /alg
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 51: JWK with alg RS256 does not verify RS384 with the same key: refused
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'RS384'}"
--- request
GET /alg
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: no key with kid "rsa" for RS384
--- no_error_log
[error]



=== TEST 52: JWK with alg RS256 does not verify PS256 with the same key: refused
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'PS256'}"
--- request
GET /alg
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: no key with kid "rsa" for PS256
--- no_error_log
[error]



=== TEST 53: JWK with alg ES256 verifies ES256
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'ES256'}"
--- request
GET /alg
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 54: JWK with alg EdDSA verifies EdDSA
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'EdDSA-Ed25519'}"
--- request
GET /alg
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 55: JWK with alg HS256 verifies HS256
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'HS256'}"
--- request
GET /alg
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 56: alg none with an empty signature: refused
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'none'}"
--- request
GET /all
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: alg "none" is not allowed
--- no_error_log
[error]



=== TEST 57: alg none with a signature part: refused
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'none-sig'}"
--- request
GET /all
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: alg "none" is not allowed
--- no_error_log
[error]



=== TEST 58: alg None (other case) with a signature part: refused
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'None-sig'}"
--- request
GET /all
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: alg "None" is not allowed
--- no_error_log
[error]



=== TEST 59: alg none without a key directive: still refused
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'none-sig'}"
--- request
GET /nokey
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: alg "none" is not allowed
--- no_error_log
[error]



=== TEST 60: alg hs256 (lower case) is not HS256: refused
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'hs256-lower'}"
--- request
GET /all
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: unsupported algorithm "hs256"
--- no_error_log
[error]



=== TEST 61: unknown kid: refused, no fallback to other keys
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'RS256-kid-nope'}"
--- request
GET /all
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: no key with kid "nope" for RS256
--- no_error_log
[error]



=== TEST 62: token without kid: every key of the alg is tried (RS256)
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'RS256-nokid'}"
--- request
GET /all
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 63: token without kid: every key of the alg is tried (ES384)
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'ES384-nokid'}"
--- request
GET /all
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 64: token without kid: every key of the alg is tried (HS512)
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'HS512-nokid'}"
--- request
GET /all
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 65: token without kid signed with rsa-other: refused
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'RS256-other-nokid'}"
--- request
GET /all
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: signature does not verify
--- no_error_log
[error]



=== TEST 66: nokid.json: RS256 token with kid served by the key without kid
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'RS256'}"
--- request
GET /nokid
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 67: nokid.json: RS256 token without kid
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'RS256-nokid'}"
--- request
GET /nokid
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 68: nokid.json: ES256 token with an arbitrary kid
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'ES256-kid-anything'}"
--- request
GET /nokid
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 69: nokid.json: HS256 token with kid
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'HS256'}"
--- request
GET /nokid
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 70: nokid.json: HS256 token without kid
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'HS256-nokid'}"
--- request
GET /nokid
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 71: nokid.json: signed with rsa-other: refused
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'RS256-other'}"
--- request
GET /nokid
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: signature does not verify
--- no_error_log
[error]



=== TEST 72: nokid.json has no P-384 key: ES384 refused
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'ES384'}"
--- request
GET /nokid
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: no key with kid "ec384" for ES384
--- no_error_log
[error]



=== TEST 73: a kid shared by two keys (all.json + other.json): the first key verifies
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'RS256'}"
--- request
GET /both
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 74: a kid shared by two keys (all.json + other.json): the second key verifies
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'RS256-other'}"
--- request
GET /both
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
[error]



=== TEST 75: a kid shared by two keys, neither verifies: refused
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'RS256-tampered'}"
--- request
GET /both
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: signature does not verify
--- no_error_log
[error]



=== TEST 76: key with use "enc" is skipped with a warning; the other key still serves
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_HTML/keys.json;
        empty_gif;
    }
--- user_files eval
[['keys.json', $::jwks{use_enc}]]
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'RS256'}"
--- request
GET /t
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- error_log
auth_jwt_key_file "$TEST_NGINX_HTML/keys.json": ignored key 1 (kid "ec256"): use "enc" is not "sig", skipped
--- no_error_log
[error]



=== TEST 77: key with use "enc" is skipped: a token for it is refused
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_HTML/keys.json;
        empty_gif;
    }
--- user_files eval
[['keys.json', $::jwks{use_enc}]]
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'ES256'}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: no key with kid "ec256" for ES256



=== TEST 78: key with use "sig" verifies
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_HTML/keys.json;
        empty_gif;
    }
--- user_files eval
[['keys.json', $::jwks{use_sig}]]
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'ES256'}"
--- request
GET /t
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
ignored
[error]



=== TEST 79: key with key_ops ["encrypt"] is skipped: a token for it is refused
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_HTML/keys.json;
        empty_gif;
    }
--- user_files eval
[['keys.json', $::jwks{key_ops_enc}]]
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'ES256'}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt_key_file "$TEST_NGINX_HTML/keys.json": ignored key 1 (kid "ec256")
auth_jwt: rejected token: no key with kid "ec256" for ES256



=== TEST 80: key with key_ops ["sign", "verify"] verifies
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_HTML/keys.json;
        empty_gif;
    }
--- user_files eval
[['keys.json', $::jwks{key_ops_ver}]]
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'ES256'}"
--- request
GET /t
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
ignored
[error]



=== TEST 81: key with an unknown kty is skipped; the other key still serves
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_HTML/keys.json;
        empty_gif;
    }
--- user_files eval
[['keys.json', $::jwks{unknown_kty}]]
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'RS256'}"
--- request
GET /t
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- error_log
auth_jwt_key_file "$TEST_NGINX_HTML/keys.json": ignored key 1 (kid "x")
--- no_error_log
[error]



=== TEST 82: key with an unknown crv (X25519) is skipped; the other key still serves
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_HTML/keys.json;
        empty_gif;
    }
--- user_files eval
[['keys.json', $::jwks{unknown_crv}]]
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'RS256'}"
--- request
GET /t
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- error_log
auth_jwt_key_file "$TEST_NGINX_HTML/keys.json": ignored key 1 (kid "x")
--- no_error_log
[error]



=== TEST 83: a key set whose only key is skipped is unusable: 500
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_HTML/keys.json;
        empty_gif;
    }
--- user_files eval
[['keys.json', $::jwks{only_enc}]]
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'RS256'}"
--- request
GET /t
--- error_code: 500
--- error_log
auth_jwt: key file "$TEST_NGINX_HTML/keys.json" is unusable: no usable keys: all 1 skipped



=== TEST 84: key whose alg does not fit its kty (EC key, alg RS256) makes the file unusable: 500
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_HTML/keys.json;
        empty_gif;
    }
--- user_files eval
[['keys.json', $::jwks{alg_mismatch}]]
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'ES256'}"
--- request
GET /t
--- error_code: 500
--- error_log
auth_jwt: key file "$TEST_NGINX_HTML/keys.json" is unusable: key 1 (kid "ec256"): algorithm RS256 cannot be used with



=== TEST 85: a 32-byte oct key labelled alg HS512 is accepted, as in NGINX Plus, with a warning naming file, kid and length
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_HTML/keys.json;
        empty_gif;
    }
--- user_files eval
[['keys.json', $::jwks{hs256_for_512}]]
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'HS512-hs256-secret'}"
--- request
GET /t
--- error_code: 200
--- error_log eval
qr{\[warn\] .*auth_jwt_key_file "[^"]*keys\.json": key 1 \(kid "hs256"\): oct key is 32 bytes, shorter than the 64 bytes HS512 calls for; accepted as in NGINX Plus}


=== TEST 86: HS384 signed with the 32-byte hs256 secret: accepted, as in NGINX Plus (a key without alg serves every HS algorithm)
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'HS384-hs256-secret'}"
--- request
GET /all
--- error_code: 200


=== TEST 87: HS512 signed with the 32-byte hs256 secret: accepted, as in NGINX Plus
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'HS512-hs256-secret'}"
--- request
GET /all
--- error_code: 200


=== TEST 88: a hostile kid is escaped and truncated in the log line
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'RS256-kid-hostile'}"
--- request
GET /all
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log eval
qr/auth_jwt: rejected token: no key with kid "a\\"b\\\\c\\x0aforged line k{46}"\.\.\. for RS256, client/
--- no_error_log eval
[qr/^forged line/, 'k' x 47]



=== TEST 89: keys embedded in the token (jwk, jku, x5u headers) are ignored
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'RS256-embedded-jwk'}"
--- request
GET /all
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: signature does not verify



=== TEST 90: typ "JOSE" is accepted (typ is not checked)
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'RS256-typ-JOSE'}"
--- request
GET /all
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:



=== TEST 91: no typ is accepted
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{'RS256-no-typ'}"
--- request
GET /all
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
auth_jwt:
