# Hostile tokens through the real nginx and the real module: every token crafted to slip past
# a JWT gateway gets a clean 401 with error="invalid_token" and one [info] line with
# the reason; never a 200, a 500 or a crash ([alert]). Where nginx itself refuses the request
# before the module runs (a header larger than its buffers, two Authorization headers) the test
# asserts what really happens: 400 from nginx, never a 200.
#
# The same attacks, and more, are in core/tests/adversarial.rs against the pure crate.

use strict;
use warnings;
use Test::Nginx::Socket 'no_plan';
use File::Temp ();
use JSON::PP ();
use JwtTest qw(:DEFAULT data_dir raw_to_der);

my $now  = now();
my %c    = (sub => 'alice', exp => $now + 3600);
my $data = data_dir();

sub slurp { open(my $fh, '<:raw', $_[0]) or die "$_[0]: $!"; local $/; scalar <$fh> }
sub sign  { jwt_sign(claims => \%c, @_) }
sub parts { split /\./, $_[0], -1 }
sub sig   { b64url_decode((parts($_[0]))[2]) }
sub with_sig { my ($t, $sig) = @_; my ($h, $p) = parts($t); "$h.$p." . b64url($sig) }
sub pem_to_der { my $b = $_[0]; $b =~ s/-----[^-]+-----//g; MIME::Base64::decode_base64($b) }
sub first_jwk  { JSON::PP->new->decode(slurp("$data/jwks/$_[0].json"))->{keys}[0] }
# Sets a spare bit in the last character of a base64url part (index multiple of 4 -> odd).
sub spare_bit {
    my ($part) = @_;
    my $abc = join '', 'A' .. 'Z', 'a' .. 'z', 0 .. 9, '-', '_';
    my $i = index($abc, substr($part, -1));
    return substr($part, 0, -1) . substr($abc, $i | 1, 1);
}

our %t;
$t{good} = sign(alg => 'ES256');
my ($h, $p, $s) = parts($t{good});

# alg none, in several spellings.
$t{none}     = sign(alg => 'none', kid => undef);
$t{none_sig} = "$t{none}c2ln";
$t{"${_}_sig"} = sign(alg => 'none', kid => undef, header => { alg => $_ }) . 'c2ln'
    for qw(None NONE);

# Key confusion: HS256 with a public key as the HMAC secret.
my $rsa_pem = slurp("$data/keys/rsa.pub.pem");
$t{hs_rsa_pem_kid} = sign(alg => 'HS256', kid => 'rsa', secret => $rsa_pem);
$t{hs_rsa_pem}     = sign(alg => 'HS256', kid => undef, secret => $rsa_pem);
$t{hs_rsa_der}     = sign(alg => 'HS256', kid => undef, secret => pem_to_der($rsa_pem));
$t{hs_rsa_jwk}     = sign(alg => 'HS256', kid => 'rsa',
                          secret => JSON::PP->new->canonical->encode(first_jwk('rsa')));
my $ec_pem = slurp("$data/keys/ec256.pub.pem");
$t{hs_ec_pem_kid}  = sign(alg => 'HS256', kid => 'ec256', secret => $ec_pem);
$t{hs_ec_pem}      = sign(alg => 'HS256', kid => undef, secret => $ec_pem);
$t{hs_ed_pem_kid}  = sign(alg => 'HS256', kid => 'ed25519',
                          secret => slurp("$data/keys/ed25519.pub.pem"));

# ECDSA: zero signatures (CVE-2022-21449), wrong formats; signatures of the wrong length.
my %half = (ES256 => 32, ES384 => 48, ES512 => 66);
$t{"${_}_zero"} = with_sig(sign(alg => $_), "\0" x (2 * $half{$_})) for keys %half;
my $es_sig = sig($t{good});
$t{ES256_r0}  = with_sig($t{good}, ("\0" x 32) . substr($es_sig, 32));
$t{ES256_s0}  = with_sig($t{good}, substr($es_sig, 0, 32) . ("\0" x 32));
$t{ES256_der} = with_sig($t{good}, raw_to_der($es_sig));
$t{ES256_63}  = with_sig($t{good}, substr($es_sig, 0, 63));
$t{ES256_65}  = with_sig($t{good}, "$es_sig\0");
my $rs = sign(alg => 'RS256');
$t{RS256_255} = with_sig($rs, substr(sig($rs), 0, 255));
$t{RS256_257} = with_sig($rs, sig($rs) . "\0");
my $ed = sign(alg => 'EdDSA');
$t{EdDSA_63}  = with_sig($ed, substr(sig($ed), 0, 63));
my $hs = sign(alg => 'HS256');
$t{HS256_16}  = with_sig($hs, substr(sig($hs), 0, 16));
$t{HS512_1}   = with_sig(sign(alg => 'HS512'), "\x01");

# kid: a key of another type, or characters meant for a file path, SQL, JSON or the log.
$t{kid_rs_ec}    = sign(alg => 'RS256', kid => 'ec256');
$t{kid_es_rsa}   = sign(alg => 'ES256', kid => 'rsa');
$t{kid_ed_hs}    = sign(alg => 'EdDSA', kid => 'hs256');
$t{kid_hs_ed448} = sign(alg => 'HS256', kid => 'ed448');
$t{kid_path}     = sign(alg => 'RS256', kid => '../../../../etc/passwd');
$t{kid_abs}      = sign(alg => 'RS256', kid => '/dev/null');
$t{kid_sql}      = sign(alg => 'RS256', kid => q{' OR '1'='1});
$t{kid_json}     = sign(alg => 'RS256', kid => '"},{"kty":"oct","k":"AAAA"}');
$t{kid_nl}       = sign(alg => 'RS256', kid => "x\n2030/01/01 00:00:00 [error] forged");
$t{kid_nul}      = sign(alg => 'RS256', kid => "rsa\0");
$t{kid_long}     = sign(alg => 'RS256', kid => 'k' x 4000);
$t{kid_num}      = sign(alg => 'RS256', kid => 7);

# Keys the token names or carries itself (jwk, jku, x5u, x5c): never fetched, never trusted.
# The attacker signs with rsa-other, which is not in the configured key file.
my %attacker = %{ first_jwk('rsa-other') };
delete $attacker{kid};
my $cert = do {
    my $tmp = File::Temp->new(SUFFIX => '.der');
    system('openssl', 'req', '-x509', '-key', "$data/keys/rsa-other.pem", '-subj', '/CN=attacker',
           '-days', '1', '-outform', 'DER', '-out', "$tmp") == 0 or die "openssl req failed\n";
    MIME::Base64::encode_base64(slurp("$tmp"), '');
};
my %by_attacker = (alg => 'RS256', key => 'rsa-other', kid => undef);
$t{jwk_embed}        = sign(%by_attacker, header => { jwk => \%attacker });
$t{jwk_embed_kid}    = sign(%by_attacker, kid => 'rsa', header => { jwk => \%attacker });
$t{jwk_embed_ownkid} = sign(%by_attacker, kid => 'attacker',
                            header => { jwk => { %attacker, kid => 'attacker' } });
$t{jku} = sign(%by_attacker, header => { jku => 'https://attacker.example/jwks.json' });
$t{x5u} = sign(%by_attacker, header => { x5u => 'https://attacker.example/cert.pem' });
$t{x5c} = sign(%by_attacker, header => { x5c => [$cert] });
my $secret = 'an attacker secret of 32 bytes!!';
$t{jwk_oct} = sign(alg => 'HS256', kid => undef, secret => $secret,
                   header => { jwk => { kty => 'oct', k => b64url($secret) } });

# crit: no extension is understood, so any crit is refused.
$t{crit_exp}     = sign(alg => 'HS256', header => { crit => ['exp'], exp => 1 });
$t{crit_b64}     = sign(alg => 'HS256', header => { crit => ['b64'], b64 => JSON::PP::false() });
$t{crit_unknown} = sign(alg => 'HS256',
                        header => { crit => ['urn:example:x'], 'urn:example:x' => 1 });

# Non-canonical base64url, on an otherwise valid HS256 token.
{
    my ($hh, $hp, $hsg) = parts($hs);
    die 'header length' unless length($hh) % 4 >= 2;
    $t{b64_pad}        = "$hh=.$hp.$hsg";
    $t{b64_plus}       = "$hh.$hp." . substr($hsg, 0, 10) . '+' . substr($hsg, 11);
    $t{b64_slash}      = "$hh." . substr($hp, 0, 10) . '/' . substr($hp, 11) . ".$hsg";
    $t{b64_trailing}   = "$hh.$hp." . spare_bit($hsg);
    $t{b64_trailing_h} = spare_bit($hh) . ".$hp.$hsg";
}

# Header or payload not a JSON object; duplicate members; deep nesting.
$t{hdr_array}   = b64url('["HS256"]') . ".$p.$s";
$t{hdr_string}  = b64url('"HS256"') . ".$p.$s";
$t{hdr_text}    = b64url('alg=HS256') . ".$p.$s";
$t{pl_array}    = sign(alg => 'HS256', raw_claims => '[{"sub":"alice"}]');
$t{pl_number}   = sign(alg => 'HS256', raw_claims => '42');
$t{pl_text}     = sign(alg => 'HS256', raw_claims => 'sub=alice');
$t{pl_trailing} = sign(alg => 'HS256', raw_claims => '{"sub":"alice"}{"sub":"admin"}');
$t{dup_alg}     = sign(alg => 'HS256', raw_header => '{"alg":"HS256","alg":"none","kid":"hs256"}');
$t{dup_alg_esc} = sign(alg => 'HS256',
                       raw_header => '{"alg":"HS256","\u0061lg":"none","kid":"hs256"}');
$t{dup_sub}     = sign(alg => 'HS256', raw_claims => qq({"sub":"alice","sub":"admin","exp":$c{exp}}));
$t{dup_exp}     = sign(alg => 'HS256', raw_claims => qq({"exp":1,"exp":$c{exp}}));
$t{deep40}      = sign(alg => 'HS256', raw_claims => '{"a":' . ('[' x 39) . (']' x 39) . '}');
$t{deep10k}     = sign(alg => 'HS256', raw_claims => '{"a":' . ('[' x 10_000));
$t{deep_hdr}    = sign(alg => 'HS256', raw_header => '{"alg":"HS256","x":' . ('{"a":' x 199)
                                                      . '1' . ('}' x 199) . '}');

# Size: a validly signed token of more than 1 MB.
$t{huge} = sign(alg => 'HS256', claims => { %c, pad => 'x' x (1 << 20) });

# Bytes that are not UTF-8 (or not base64url) inside the token.
$t{byte_ff}       = substr($t{good}, 0, 5) . "\xff" . substr($t{good}, 5);
$t{json_ff}       = sign(alg => 'HS256', raw_header => qq({"alg":"HS256","kid":"hs256","x":"\xff"}));
$t{json_overlong} = sign(alg => 'HS256', raw_claims => qq({"sub":"\xc0\xaf"}));
$t{latin1}        = "\xe9$t{good}";
($t{pct} = $t{good}) =~ s/\./%2E/g;

# Empty parts and wrong part counts.
$t{dots}    = '..';
$t{empty_h} = ".$p.$s";
$t{empty_p} = "$h..$s";
$t{empty_s} = "$h.$p.";
$t{two}     = "$h.$p";
$t{four}    = "$h.$p.$s.$s";
$t{five}    = "$h.$p.$s.$s.$s";

# exp and nbf of the wrong type or range, in validly signed tokens.
my %times = (
    exp_string => qq({"exp":"$c{exp}"}),    nbf_string => '{"nbf":"0"}',
    exp_1e300  => '{"exp":1e300}',          exp_huge   => '{"exp":9007199254740993}',
    exp_1e400  => '{"exp":1e400}',          exp_neg    => '{"exp":-1}',
    nbf_neg    => '{"nbf":-1}',             nbf_1e300  => '{"nbf":1e300}',
    exp_bool   => '{"exp":true}',
    exp_float_past => '{"exp":' . ($now - 1) . '.5}',
);
$t{$_} = sign(alg => 'HS256', raw_claims => $times{$_}) for keys %times;

# Tampering with a valid token.
$t{swap} = "$h." . b64url(qq({"exp":$c{exp},"sub":"admin"})) . ".$s";

our $conf = <<'EOC';
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        empty_gif;
    }
    location /arg {
        auth_jwt "api" token=$arg_token;
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        empty_gif;
    }
    location /rsaonly {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/rsa.json;
        empty_gif;
    }
    # No key file: signatures are not verified (NGINX Plus behaviour), the rest still is.
    location /nokeys {
        auth_jwt "api";
        empty_gif;
    }
EOC

# Header buffers large enough for a 1 MB header line or request line, so that the module, not
# nginx, sees the token.
our $big = "    large_client_header_buffers 4 2m;\n";

run_tests();

__DATA__

=== TEST 1: alg none, empty signature
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{none}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: alg "none" is not allowed
--- no_error_log
[alert]
[crit]
[error]



=== TEST 2: alg none with a signature part
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{none_sig}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: alg "none" is not allowed
--- no_error_log
[alert]
[crit]
[error]



=== TEST 3: alg None with a signature part
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{None_sig}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: alg "None" is not allowed
--- no_error_log
[alert]
[crit]
[error]



=== TEST 4: alg NONE with a signature part
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{NONE_sig}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: alg "NONE" is not allowed
--- no_error_log
[alert]
[crit]
[error]



=== TEST 5: alg none where no key file applies (signatures unverified): still refused
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{none}"
--- request
GET /nokeys
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: alg "none" is not allowed
--- no_error_log
[alert]
[crit]
[error]



=== TEST 6: alg none with a signature part where no key file applies: still refused
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{none_sig}"
--- request
GET /nokeys
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: alg "none" is not allowed
--- no_error_log
[alert]
[crit]
[error]



=== TEST 7: HS256 signed with the RSA public key (PEM) as secret, kid rsa
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{hs_rsa_pem_kid}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: no key with kid "rsa" for HS256
--- no_error_log
[alert]
[crit]
[error]



=== TEST 8: HS256 signed with the RSA public key (PEM) as secret, no kid
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{hs_rsa_pem}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: signature does not verify
--- no_error_log
[alert]
[crit]
[error]



=== TEST 9: HS256 signed with the RSA public key (DER) as secret, no kid
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{hs_rsa_der}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: signature does not verify
--- no_error_log
[alert]
[crit]
[error]



=== TEST 10: HS256 signed with the RSA JWK text as secret, kid rsa
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{hs_rsa_jwk}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: no key with kid "rsa" for HS256
--- no_error_log
[alert]
[crit]
[error]



=== TEST 11: HS256 signed with the EC P-256 public key (PEM) as secret, kid ec256
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{hs_ec_pem_kid}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: no key with kid "ec256" for HS256
--- no_error_log
[alert]
[crit]
[error]



=== TEST 12: HS256 signed with the EC P-256 public key (PEM) as secret, no kid
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{hs_ec_pem}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: signature does not verify
--- no_error_log
[alert]
[crit]
[error]



=== TEST 13: HS256 signed with the Ed25519 public key (PEM) as secret, kid ed25519
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{hs_ed_pem_kid}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: no key with kid "ed25519" for HS256
--- no_error_log
[alert]
[crit]
[error]



=== TEST 14: HS256 signed with the RSA public key as secret, against the RSA key only
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{hs_rsa_pem}"
--- request
GET /rsaonly
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: no key for HS256
--- no_error_log
[alert]
[crit]
[error]



=== TEST 15: ES256 all-zero signature (CVE-2022-21449)
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{ES256_zero}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: signature does not verify
--- no_error_log
[alert]
[crit]
[error]



=== TEST 16: ES384 all-zero signature (CVE-2022-21449)
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{ES384_zero}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: signature does not verify
--- no_error_log
[alert]
[crit]
[error]



=== TEST 17: ES512 all-zero signature (CVE-2022-21449)
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{ES512_zero}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: signature does not verify
--- no_error_log
[alert]
[crit]
[error]



=== TEST 18: ES256 r = 0, s from a real signature
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{ES256_r0}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: signature does not verify
--- no_error_log
[alert]
[crit]
[error]



=== TEST 19: ES256 s = 0, r from a real signature
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{ES256_s0}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: signature does not verify
--- no_error_log
[alert]
[crit]
[error]



=== TEST 20: ES256 DER signature instead of r||s
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{ES256_der}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: signature does not verify
--- no_error_log
[alert]
[crit]
[error]



=== TEST 21: ES256 signature one byte short (63)
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{ES256_63}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: signature does not verify
--- no_error_log
[alert]
[crit]
[error]



=== TEST 22: ES256 signature one byte long (65)
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{ES256_65}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: signature does not verify
--- no_error_log
[alert]
[crit]
[error]



=== TEST 23: RS256 signature one byte short (255)
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{RS256_255}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: signature does not verify
--- no_error_log
[alert]
[crit]
[error]



=== TEST 24: RS256 signature one byte long (257)
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{RS256_257}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: signature does not verify
--- no_error_log
[alert]
[crit]
[error]



=== TEST 25: EdDSA signature one byte short (63)
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{EdDSA_63}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: signature does not verify
--- no_error_log
[alert]
[crit]
[error]



=== TEST 26: HS256 signature truncated to 16 bytes
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{HS256_16}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: signature does not verify
--- no_error_log
[alert]
[crit]
[error]



=== TEST 27: HS512 signature of 1 byte
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{HS512_1}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: signature does not verify
--- no_error_log
[alert]
[crit]
[error]



=== TEST 28: kid names an EC key on an RS256 token
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{kid_rs_ec}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: no key with kid "ec256" for RS256
--- no_error_log
[alert]
[crit]
[error]



=== TEST 29: kid names an RSA key on an ES256 token
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{kid_es_rsa}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: no key with kid "rsa" for ES256
--- no_error_log
[alert]
[crit]
[error]



=== TEST 30: kid names an HMAC key on an EdDSA token
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{kid_ed_hs}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: no key with kid "hs256" for EdDSA
--- no_error_log
[alert]
[crit]
[error]



=== TEST 31: kid names an Ed448 key on an HS256 token
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{kid_hs_ed448}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: no key with kid "ed448" for HS256
--- no_error_log
[alert]
[crit]
[error]



=== TEST 32: kid with a path traversal
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{kid_path}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: no key with kid "../../../../etc/passwd" for RS256
--- no_error_log
[alert]
[crit]
[error]



=== TEST 33: kid naming an absolute path
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{kid_abs}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: no key with kid "/dev/null" for RS256
--- no_error_log
[alert]
[crit]
[error]



=== TEST 34: kid with SQL
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{kid_sql}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: no key with kid "' OR '1'='1" for RS256
--- no_error_log
[alert]
[crit]
[error]



=== TEST 35: kid with JSON characters
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{kid_json}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: no key with kid "\"},{\"kty\":\"oct\",\"k\":\"AAAA\"}" for RS256
--- no_error_log
[alert]
[crit]
[error]



=== TEST 36: kid with a newline and a forged log line: escaped
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{kid_nl}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: no key with kid "x\x0a2030/01/01 00:00:00 [error] forged" for RS256
--- no_error_log eval
['[alert]', '[crit]', qr{^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[error\]}, qr{^2030/}]



=== TEST 37: kid with a NUL byte
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{kid_nul}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: no key with kid "rsa\x00" for RS256
--- no_error_log
[alert]
[crit]
[error]



=== TEST 38: kid of 4000 bytes: cut in the log
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{kid_long}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: no key with kid "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"... for RS256
--- no_error_log
[alert]
[crit]
[error]



=== TEST 39: kid that is a number
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{kid_num}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: header "kid" is not a string
--- no_error_log
[alert]
[crit]
[error]



=== TEST 40: jwk header embedding the attacker's key that signed the token
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{jwk_embed}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: signature does not verify
--- no_error_log
[alert]
[crit]
[error]



=== TEST 41: jwk header embedding the attacker's key, with the kid of a real key
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{jwk_embed_kid}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: signature does not verify
--- no_error_log
[alert]
[crit]
[error]



=== TEST 42: jwk header embedding the attacker's key under its own kid
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{jwk_embed_ownkid}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: no key with kid "attacker" for RS256
--- no_error_log
[alert]
[crit]
[error]



=== TEST 43: jwk header with an attacker oct key for HS256
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{jwk_oct}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: signature does not verify
--- no_error_log
[alert]
[crit]
[error]



=== TEST 44: jku header pointing at an attacker's key set
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{jku}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: signature does not verify
--- no_error_log
[alert]
[crit]
[error]



=== TEST 45: x5u header pointing at an attacker's certificate
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{x5u}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: signature does not verify
--- no_error_log
[alert]
[crit]
[error]



=== TEST 46: x5c header carrying the attacker's public key
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{x5c}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: signature does not verify
--- no_error_log
[alert]
[crit]
[error]



=== TEST 47: crit ["exp"]
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{crit_exp}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: unsupported critical header parameters
--- no_error_log
[alert]
[crit]
[error]



=== TEST 48: crit ["b64"] with b64 false (RFC 7797)
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{crit_b64}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: unsupported critical header parameters
--- no_error_log
[alert]
[crit]
[error]



=== TEST 49: crit naming an unknown extension
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{crit_unknown}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: unsupported critical header parameters
--- no_error_log
[alert]
[crit]
[error]



=== TEST 50: base64url: padding in the header
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{b64_pad}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: header is not valid base64url: padding "=" is not allowed
--- no_error_log
[alert]
[crit]
[error]



=== TEST 51: base64url: + in the signature
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{b64_plus}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: signature is not valid base64url: "+" and "/" are not in the base64url alphabet
--- no_error_log
[alert]
[crit]
[error]



=== TEST 52: base64url: / in the payload
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{b64_slash}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: payload is not valid base64url: "+" and "/" are not in the base64url alphabet
--- no_error_log
[alert]
[crit]
[error]



=== TEST 53: base64url: non-zero trailing bits in the signature
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{b64_trailing}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: signature is not valid base64url: non-zero trailing bits
--- no_error_log
[alert]
[crit]
[error]



=== TEST 54: base64url: non-zero trailing bits in the header
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{b64_trailing_h}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: header is not valid base64url: non-zero trailing bits
--- no_error_log
[alert]
[crit]
[error]



=== TEST 55: header is a JSON array
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{hdr_array}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: header is not a JSON object
--- no_error_log
[alert]
[crit]
[error]



=== TEST 56: header is a JSON string
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{hdr_string}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: header is not a JSON object
--- no_error_log
[alert]
[crit]
[error]



=== TEST 57: header is not JSON
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{hdr_text}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: header is not valid JSON
--- no_error_log
[alert]
[crit]
[error]



=== TEST 58: payload is a JSON array
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{pl_array}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: payload is not a JSON object
--- no_error_log
[alert]
[crit]
[error]



=== TEST 59: payload is a JSON number
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{pl_number}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: payload is not a JSON object
--- no_error_log
[alert]
[crit]
[error]



=== TEST 60: payload is not JSON
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{pl_text}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: payload is not valid JSON
--- no_error_log
[alert]
[crit]
[error]



=== TEST 61: payload with trailing data after the object
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{pl_trailing}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: payload is not valid JSON
--- no_error_log
[alert]
[crit]
[error]



=== TEST 62: duplicate "alg" in the header (HS256, then none)
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{dup_alg}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: header has duplicate member names
--- no_error_log
[alert]
[crit]
[error]



=== TEST 63: duplicate "alg" spelled with a \u escape
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{dup_alg_esc}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: header has duplicate member names
--- no_error_log
[alert]
[crit]
[error]



=== TEST 64: duplicate "sub" in a validly signed payload
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{dup_sub}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: payload has duplicate member names
--- no_error_log
[alert]
[crit]
[error]



=== TEST 65: duplicate "exp" in a validly signed payload
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{dup_exp}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: payload has duplicate member names
--- no_error_log
[alert]
[crit]
[error]



=== TEST 66: payload nested 40 levels deep
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{deep40}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: payload is nested deeper than 32 levels
--- no_error_log
[alert]
[crit]
[error]



=== TEST 67: payload with 10,000 unclosed brackets
--- config eval: $::conf . $::big
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{deep10k}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: payload is nested deeper than 32 levels
--- no_error_log
[alert]
[crit]
[error]



=== TEST 68: header nested 200 levels deep
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{deep_hdr}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: header is nested deeper than 32 levels
--- no_error_log
[alert]
[crit]
[error]



=== TEST 69: 1 MB token in Authorization (large_client_header_buffers lets it through)
--- config eval: $::conf . $::big
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{huge}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: token is longer than 16384 bytes
--- no_error_log
[alert]
[crit]
[error]



=== TEST 70: 1 MB token in a query argument (token=$arg_token)
--- config eval: $::conf . $::big
--- log_level: info
--- request eval
"GET /arg?token=$::t{huge} HTTP/1.1"
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: token is longer than 16384 bytes
--- no_error_log
[alert]
[crit]
[error]



=== TEST 71: 1 MB token with nginx's default header buffers: nginx answers 400 before the module runs
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{huge}"
--- request
GET /t
--- error_code: 400
--- response_headers
!WWW-Authenticate
--- error_log
client sent too long header line
--- no_error_log
[alert]
[crit]
auth_jwt:



=== TEST 72: a 0xFF byte inside the token
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{byte_ff}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: header is not valid base64url: invalid character
--- no_error_log
[alert]
[crit]
[error]



=== TEST 73: bytes that are not UTF-8 inside the header JSON
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{json_ff}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: header is not valid JSON
--- no_error_log
[alert]
[crit]
[error]



=== TEST 74: overlong UTF-8 inside the payload JSON
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{json_overlong}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: payload is not valid JSON
--- no_error_log
[alert]
[crit]
[error]



=== TEST 75: Latin-1 bytes in a query-argument token
--- config eval: $::conf
--- log_level: info
--- request eval
"GET /arg?token=$::t{latin1} HTTP/1.1"
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: header is not valid base64url: invalid character
--- no_error_log
[alert]
[crit]
[error]



=== TEST 76: percent-encoded dots in a query-argument token (not decoded)
--- config eval: $::conf
--- log_level: info
--- request eval
"GET /arg?token=$::t{pct} HTTP/1.1"
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: token does not consist of three dot-separated parts
--- no_error_log
[alert]
[crit]
[error]



=== TEST 77: empty parts: just two dots
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{dots}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: header is empty
--- no_error_log
[alert]
[crit]
[error]



=== TEST 78: empty header part
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{empty_h}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: header is empty
--- no_error_log
[alert]
[crit]
[error]



=== TEST 79: empty payload part
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{empty_p}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: payload is empty
--- no_error_log
[alert]
[crit]
[error]



=== TEST 80: empty signature part
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{empty_s}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: signature is empty
--- no_error_log
[alert]
[crit]
[error]



=== TEST 81: two parts
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{two}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: token does not consist of three dot-separated parts
--- no_error_log
[alert]
[crit]
[error]



=== TEST 82: four parts
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{four}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: token does not consist of three dot-separated parts
--- no_error_log
[alert]
[crit]
[error]



=== TEST 83: five parts (a JWE)
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{five}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: encrypted token where auth_jwt_type is signed
--- no_error_log
[alert]
[crit]
[error]



=== TEST 84: exp as a string
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{exp_string}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: claim "exp" is not a number
--- no_error_log
[alert]
[crit]
[error]



=== TEST 85: nbf as a string
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{nbf_string}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: claim "nbf" is not a number
--- no_error_log
[alert]
[crit]
[error]



=== TEST 86: exp as a float just past
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{exp_float_past}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: token expired
--- no_error_log
[alert]
[crit]
[error]



=== TEST 87: exp as a huge float (1e300)
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{exp_1e300}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: claim "exp" is out of range
--- no_error_log
[alert]
[crit]
[error]



=== TEST 88: exp beyond 2^53
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{exp_huge}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: claim "exp" is out of range
--- no_error_log
[alert]
[crit]
[error]



=== TEST 89: exp 1e400 (not representable)
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{exp_1e400}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: payload is not valid JSON
--- no_error_log
[alert]
[crit]
[error]



=== TEST 90: exp negative
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{exp_neg}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: claim "exp" is out of range
--- no_error_log
[alert]
[crit]
[error]



=== TEST 91: nbf negative
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{nbf_neg}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: claim "nbf" is out of range
--- no_error_log
[alert]
[crit]
[error]



=== TEST 92: nbf as a huge float
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{nbf_1e300}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: claim "nbf" is out of range
--- no_error_log
[alert]
[crit]
[error]



=== TEST 93: exp as a bool
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{exp_bool}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: claim "exp" is not a number
--- no_error_log
[alert]
[crit]
[error]



=== TEST 94: Bearer with no token
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api"
--- error_log
auth_jwt: no token in the request
--- no_error_log
[alert]
[crit]
[error]



=== TEST 95: Bearer followed by spaces only
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer     "
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api"
--- error_log
auth_jwt: no token in the request
--- no_error_log
[alert]
[crit]
[error]



=== TEST 96: several spaces before a real token: accepted (RFC 6750 1*SP)
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer      $::t{good}"
--- request
GET /t
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
[alert]
[crit]
[error]



=== TEST 97: Bearer with a comma-separated second credential
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{good}, Bearer other"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: signature is not valid base64url: invalid character
--- no_error_log
[alert]
[crit]
[error]



=== TEST 98: two Authorization headers: nginx answers 400 before the module runs
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{good}\nAuthorization: Bearer $::t{good}"
--- request
GET /t
--- error_code: 400
--- response_headers
!WWW-Authenticate
--- error_log
client sent duplicate header line
--- no_error_log
[alert]
[crit]
auth_jwt:



=== TEST 99: two Authorization headers, the first one bad: 400, never 200
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{ES256_zero}\nAuthorization: Bearer $::t{good}"
--- request
GET /t
--- error_code: 400
--- response_headers
!WWW-Authenticate
--- error_log
client sent duplicate header line
--- no_error_log
[alert]
[crit]
auth_jwt:



=== TEST 100: payload swapped (sub admin), signature kept
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{swap}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
rejected token: signature does not verify
--- no_error_log
[alert]
[crit]
[error]



=== TEST 101: control: the same configuration accepts an honest token
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{good}"
--- request
GET /t
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
[alert]
[crit]
[error]

