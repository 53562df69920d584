# Every way a request can fail, with its status, its exact WWW-Authenticate and its log line:
# no token, malformed tokens, bad signatures, exp/nbf (with and without leeway), unknown alg,
# the realm (variables, escaping, empty), unusable key files (500) and no key file at all
# (signatures not verified). Rejections log one [info] line; the token itself never appears in
# the log.

use strict;
use warnings;
use Test::Nginx::Socket 'no_plan';
use JwtTest;

my $now    = now();
my %future = (sub => 'alice', exp => $now + 3600);
sub hs256 { jwt_sign(alg => 'HS256', @_) }

our %t;
$t{good} = hs256(claims => \%future);
my ($h, $p, $s) = split /\./, $t{good};

# Structure.
$t{two_parts}    = "$h.$p";
$t{four_parts}   = "$h.$p.$s.$s";
$t{five_parts}   = "$h.$p.$s.$s.$s";
$t{garbage}      = 'not-a-jwt-at-all';
$t{empty_header} = ".$p.$s";
$t{b64_padding}  = "$h=.$p.$s";
$t{b64_std}      = "$h.$p." . substr($s, 0, 10) . '+' . substr($s, 11);
$t{b64_char}     = "$h.$p." . substr($s, 0, 10) . '*' . substr($s, 11);
# The last character of a 32-byte signature carries 2 unused bits: set one of them.
$t{b64_trailing} = do {
    my @abc = ('A' .. 'Z', 'a' .. 'z', 0 .. 9, '-', '_');
    my $last = index(join('', @abc), substr($s, -1));
    "$h.$p." . substr($s, 0, -1) . $abc[$last | 1];
};
$t{header_text}  = b64url('not json') . ".$p.$s";
$t{header_array} = b64url('["HS256"]') . ".$p.$s";
$t{payload_text} = hs256(raw_claims => '{"sub":');
$t{payload_num}  = hs256(raw_claims => '42');
$t{no_alg}       = hs256(raw_header => '{"typ":"JWT","kid":"hs256"}');
$t{alg_number}   = hs256(raw_header => '{"alg":256,"kid":"hs256"}');
$t{alg_unknown}  = hs256(header => { alg => 'HS999' }, claims => \%future);
$t{alg_rs1}      = hs256(header => { alg => 'RS1' }, claims => \%future);
$t{dup_alg}      = hs256(raw_header => '{"alg":"HS256","alg":"HS256","kid":"hs256"}',
                         raw_claims => qq({"exp":$future{exp}}));
$t{dup_claim}    = hs256(raw_claims => qq({"exp":$future{exp},"exp":1}));
$t{crit}         = hs256(header => { crit => ['exp'] }, claims => \%future);
$t{kid_number}   = hs256(kid => 7, claims => \%future);
$t{deep}         = hs256(raw_claims => '{"a":' . ('[' x 40) . (']' x 40) . '}');
$t{too_long}     = hs256(claims => { %future, pad => 'x' x 17000 });

# Signature.
$t{tampered}       = tamper($t{good});
$t{payload_swap}   = "$h." . b64url(qq({"exp":$future{exp},"sub":"admin"})) . ".$s";
$t{wrong_key}      = hs256(key => 'hs-other', claims => \%future);
$t{es_short_sig}   = do {    # 61 of the 64 bytes of r||s, correctly encoded
    my ($eh, $ep, $es) = split /\./, jwt_sign(alg => "ES256", claims => \%future);
    "$eh.$ep." . b64url(substr(b64url_decode($es), 0, 61));
};
$t{no_sig_part}    = "$h.$p.";
$t{expired_forged} = tamper(hs256(claims => { exp => $now - 100 }));

# Time claims (file-level, so only with margins far larger than the file's run time).
$t{expired}       = hs256(claims => { sub => 'alice', exp => $now - 100 });
$t{nbf_past}      = hs256(claims => { sub => 'alice', nbf => $now - 100, exp => $now + 3600 });
$t{no_times}      = hs256(claims => { sub => 'alice' });
$t{exp_string}    = hs256(raw_claims => qq({"exp":"$future{exp}"}));
$t{nbf_bool}      = hs256(raw_claims => '{"nbf":true}');
$t{exp_negative}  = hs256(raw_claims => '{"exp":-1}');
$t{exp_fraction}  = hs256(raw_claims => '{"exp":' . ($now + 3600) . '.5}');
$t{expired_30}    = hs256(claims => { exp => $now - 30 });
$t{nbf_30}        = hs256(claims => { nbf => $now + 30 });

# Without a key directive: any signature passes, the rest is still checked.
$t{unknown_key} = jwt_sign(alg => 'RS256', key => 'rsa-other', kid => 'not-configured',
                           claims => \%future);
$t{none}        = jwt_sign(alg => 'none', claims => \%future);

# The parts of a token that must never show up in error.log (see the no_error_log sections).
sub main::secret_parts {
    my ($token) = @_;
    return ($token, grep { length > 6 } split /\./, $token);
}

# Tokens minted at request time, for the edges of exp, nbf and leeway: `exp => now - 60` with a
# 60 s leeway is expired whatever the clock does next; `now - 55` leaves 5 s for the request.
# The same, for tokens that a block names twice (in the request and in a log check): minted
# once per block, when the block runs, so that a slow run (valgrind) cannot age them.
my %per_block;
sub main::token_at {
    my ($name, %claims) = @_;
    return $per_block{"$name:$ENV{TEST_NGINX_SERVER_PORT}"} //= do {
        $_ += time() for values %claims;
        JwtTest::jwt_sign(alg => 'HS256', claims => { sub => 'alice', %claims });
    };
}

sub main::bearer_at {
    my (%claims) = @_;
    $_ += time() for values %claims;
    return 'Authorization: Bearer ' . JwtTest::jwt_sign(alg => 'HS256', claims => \%claims);
}

our $conf = <<'EOC';
    large_client_header_buffers 4 64k;    # for the 17 KB token of /long
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
    location /t      { auth_jwt "api"; empty_gif; }
    location /leeway { auth_jwt "api"; auth_jwt_leeway 60s; empty_gif; }
    location /long {
        auth_jwt "api" token=$http_x_token;
        empty_gif;
    }
EOC

run_tests();

__DATA__

=== TEST 1: no token: 401, challenge without error=, nginx's own body, one info line
--- config eval: $::conf
--- log_level: info
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api"
--- response_body_like: 401 Authorization Required
--- error_log eval
qr/\[info\] .*auth_jwt: no token in the request, client: 127\.0\.0\.1, server: localhost, request: "GET \/t HTTP\/1\.1"/
--- no_error_log
rejected token
[error]



=== TEST 2: valid token: 200, no challenge, nothing logged
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
auth_jwt:
[error]



=== TEST 3: rejections are logged at info only: nothing at warn
--- config eval: $::conf
--- log_level: warn
--- more_headers eval
"Authorization: Bearer $::t{tampered}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- no_error_log
auth_jwt:
[error]



=== TEST 4: malformed: two parts
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{two_parts}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- response_body_like: 401 Authorization Required
--- error_log eval
qr/\[info\] .*auth_jwt: rejected token: token does not consist of three dot-separated parts, client: 127\.0\.0\.1, server: localhost, request: "GET \/t HTTP\/1\.1"/
--- no_error_log eval
[main::secret_parts($::t{two_parts}), '[error]']



=== TEST 5: malformed: four parts
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{four_parts}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: token does not consist of three dot-separated parts
--- no_error_log eval
[main::secret_parts($::t{four_parts}), '[error]']



=== TEST 6: five parts (a JWE) is the wrong type for a signed location
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{five_parts}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: encrypted token where auth_jwt_type is signed
--- no_error_log eval
[main::secret_parts($::t{five_parts}), '[error]']



=== TEST 7: malformed: garbage
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{garbage}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: token does not consist of three dot-separated parts
--- no_error_log
not-a-jwt-at-all
[error]



=== TEST 8: malformed: empty header part
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{empty_header}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: header is empty
--- no_error_log
[error]



=== TEST 9: bad base64url: padding
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{b64_padding}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: header is not valid base64url: padding "=" is not allowed
--- no_error_log eval
[main::secret_parts($::t{b64_padding}), '[error]']



=== TEST 10: bad base64url: standard alphabet "+" in the signature
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{b64_std}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: signature is not valid base64url: "+" and "/" are not in the base64url alphabet
--- no_error_log
[error]



=== TEST 11: bad base64url: invalid character in the signature
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{b64_char}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: signature is not valid base64url: invalid character
--- no_error_log
[error]



=== TEST 12: bad base64url: non-zero unused bits in the last character (non-canonical)
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
auth_jwt: rejected token: signature is not valid base64url: non-zero trailing bits
--- no_error_log
[error]



=== TEST 13: header is not JSON
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{header_text}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: header is not valid JSON
--- no_error_log
[error]
not json



=== TEST 14: header is a JSON array
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{header_array}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: header is not a JSON object
--- no_error_log
[error]



=== TEST 15: payload is not JSON
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{payload_text}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: payload is not valid JSON
--- no_error_log
[error]



=== TEST 16: payload is a JSON number
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{payload_num}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: payload is not a JSON object
--- no_error_log
[error]



=== TEST 17: payload nested 40 levels deep
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{deep}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: payload is nested deeper than 32 levels
--- no_error_log
[error]



=== TEST 18: header without alg
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{no_alg}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: header has no "alg"
--- no_error_log
[error]



=== TEST 19: alg is a number
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{alg_number}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: header "alg" is not a string
--- no_error_log
[error]



=== TEST 20: alg unknown (HS999)
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{alg_unknown}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: unsupported algorithm "HS999"
--- no_error_log eval
[main::secret_parts($::t{alg_unknown}), '[error]']



=== TEST 21: alg unknown (RS1)
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{alg_rs1}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: unsupported algorithm "RS1"
--- no_error_log
[error]



=== TEST 22: duplicate alg member in the header
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
auth_jwt: rejected token: header has duplicate member names
--- no_error_log
[error]



=== TEST 23: duplicate exp claim in the payload
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{dup_claim}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: payload has duplicate member names
--- no_error_log
[error]



=== TEST 24: crit header
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{crit}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: unsupported critical header parameters
--- no_error_log
[error]



=== TEST 25: kid is a number
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{kid_number}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: header "kid" is not a string
--- no_error_log
[error]



=== TEST 26: token longer than 16 KiB
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"X-Token: $::t{too_long}"
--- request
GET /long
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: token is longer than 16384 bytes
--- no_error_log eval
[main::secret_parts($::t{too_long}), '[error]']



=== TEST 27: tampered signature
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{tampered}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- response_body_like: 401 Authorization Required
--- error_log eval
qr/\[info\] .*auth_jwt: rejected token: signature does not verify, client: 127\.0\.0\.1, server: localhost, request: "GET \/t HTTP\/1\.1"/
--- no_error_log eval
[main::secret_parts($::t{tampered}), '[error]']



=== TEST 28: payload swapped under a valid signature
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{payload_swap}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: signature does not verify
--- no_error_log eval
[main::secret_parts($::t{payload_swap}), '[error]']



=== TEST 29: signed with another secret under the same kid
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{wrong_key}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: signature does not verify
--- no_error_log eval
[main::secret_parts($::t{wrong_key}), '[error]']



=== TEST 30: ES256 signature cut short
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{es_short_sig}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: signature does not verify
--- no_error_log
[error]



=== TEST 31: empty signature part
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{no_sig_part}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: signature is empty
--- no_error_log
[error]



=== TEST 32: expired and forged: the time claims are checked before the signature, so an expired token costs no public-key operation
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{expired_forged}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: token expired
--- no_error_log
signature does not verify
[error]



=== TEST 33: expired (exp 100 s ago)
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer " . main::token_at('expired_100', exp => -100)
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- response_body_like: 401 Authorization Required
--- error_log eval
qr/\[info\] .*auth_jwt: rejected token: token expired 1\d\d s ago, client: 127\.0\.0\.1/
--- no_error_log eval
[main::secret_parts(main::token_at('expired_100', exp => -100)), '[error]']



=== TEST 34: not yet valid (nbf in 100 s)
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer " . main::token_at('not_yet', nbf => 100, exp => 3600)
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log eval
qr/\[info\] .*auth_jwt: rejected token: token is not valid yet, becomes valid in (100|\d\d) s, client: 127\.0\.0\.1/
--- no_error_log eval
[main::secret_parts(main::token_at('not_yet', nbf => 100, exp => 3600)), '[error]']



=== TEST 35: nbf in the past and exp in the future: accepted
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{nbf_past}"
--- request
GET /t
--- error_code: 200
--- no_error_log
auth_jwt:



=== TEST 36: neither exp nor nbf: accepted (as NGINX Plus)
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{no_times}"
--- request
GET /t
--- error_code: 200
--- no_error_log
auth_jwt:



=== TEST 37: exp with a fractional part in the future: accepted
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{exp_fraction}"
--- request
GET /t
--- error_code: 200
--- no_error_log
auth_jwt:



=== TEST 38: exp is a string
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
auth_jwt: rejected token: claim "exp" is not a number
--- no_error_log
[error]



=== TEST 39: nbf is a boolean
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{nbf_bool}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: claim "nbf" is not a number
--- no_error_log
[error]



=== TEST 40: exp is negative
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{exp_negative}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: claim "exp" is out of range
--- no_error_log
[error]



=== TEST 41: edge without leeway: exp = now is expired
--- config eval: $::conf
--- log_level: info
--- more_headers eval
main::bearer_at(exp => 0)
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log eval
qr/auth_jwt: rejected token: token expired \d s ago/



=== TEST 42: edge without leeway: exp = now + 5 is accepted
--- config eval: $::conf
--- log_level: info
--- more_headers eval
main::bearer_at(exp => 5)
--- request
GET /t
--- error_code: 200
--- no_error_log
auth_jwt:



=== TEST 43: edge without leeway: nbf = now is accepted
--- config eval: $::conf
--- log_level: info
--- more_headers eval
main::bearer_at(nbf => 0)
--- request
GET /t
--- error_code: 200
--- no_error_log
auth_jwt:



=== TEST 44: edge without leeway: nbf = now + 5 is not yet valid
--- config eval: $::conf
--- log_level: info
--- more_headers eval
main::bearer_at(nbf => 5)
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log eval
qr/auth_jwt: rejected token: token is not valid yet, becomes valid in \d s/



=== TEST 45: leeway 60s: expired 30 s ago is accepted
--- config eval: $::conf
--- log_level: info
--- more_headers eval
main::bearer_at(exp => -30)
--- request
GET /leeway
--- error_code: 200
--- no_error_log
auth_jwt:



=== TEST 46: leeway 60s: expired 120 s ago is refused
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer " . main::token_at('expired_120', exp => -120)
--- request
GET /leeway
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log eval
qr/auth_jwt: rejected token: token expired 1\d\d s ago/
--- no_error_log eval
[main::secret_parts(main::token_at('expired_120', exp => -120)), '[error]']



=== TEST 47: leeway 60s: the same token expired 30 s ago is refused without leeway
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{expired_30}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log eval
qr/auth_jwt: rejected token: token expired \d+ s ago/



=== TEST 48: leeway 60s: edge, exp = now - 60 is expired
--- config eval: $::conf
--- log_level: info
--- more_headers eval
main::bearer_at(exp => -60)
--- request
GET /leeway
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log eval
qr/auth_jwt: rejected token: token expired 6\d s ago/



=== TEST 49: leeway 60s: edge, exp = now - 55 is accepted
--- config eval: $::conf
--- log_level: info
--- more_headers eval
main::bearer_at(exp => -55)
--- request
GET /leeway
--- error_code: 200
--- no_error_log
auth_jwt:



=== TEST 50: leeway 60s: nbf in 30 s is accepted
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{nbf_30}"
--- request
GET /leeway
--- error_code: 200
--- no_error_log
auth_jwt:



=== TEST 51: leeway 60s: nbf in 120 s is refused
--- config eval: $::conf
--- log_level: info
--- more_headers eval
main::bearer_at(nbf => 120)
--- request
GET /leeway
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log eval
qr/auth_jwt: rejected token: token is not valid yet, becomes valid in (1[012]\d|\d\d) s/



=== TEST 52: leeway 60s: edge, nbf = now + 60 is accepted
--- config eval: $::conf
--- log_level: info
--- more_headers eval
main::bearer_at(nbf => 60)
--- request
GET /leeway
--- error_code: 200
--- no_error_log
auth_jwt:



=== TEST 53: leeway 60s: edge, nbf = now + 65 is not yet valid
--- config eval: $::conf
--- log_level: info
--- more_headers eval
main::bearer_at(nbf => 65)
--- request
GET /leeway
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log eval
qr/auth_jwt: rejected token: token is not valid yet, becomes valid in 6\d s/



=== TEST 54: leeway does not excuse a bad signature
--- config eval: $::conf
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{tampered}"
--- request
GET /leeway
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: signature does not verify



=== TEST 55: realm from a variable: auth_jwt $host
--- config
    location /t {
        auth_jwt $host;
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        empty_gif;
    }
--- more_headers
Host: example.org
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="example.org"



=== TEST 56: realm with text and a variable: "realm $server_name", invalid token
--- config
    location /t {
        auth_jwt "realm $server_name";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        empty_gif;
    }
--- more_headers eval
"Authorization: Bearer $::t{tampered}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="realm localhost", error="invalid_token"



=== TEST 57: realm with a double quote is escaped
--- config
    location /t {
        auth_jwt 'say "hi"';
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        empty_gif;
    }
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="say \"hi\""



=== TEST 58: realm with a backslash is escaped
--- config
    location /t {
        auth_jwt "back\\slash";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        empty_gif;
    }
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="back\\slash"



=== TEST 59: realm from a client header: quotes cannot break out of the quoted string
--- config
    location /t {
        auth_jwt $http_x_realm;
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        empty_gif;
    }
--- more_headers
X-Realm: a", error="forged
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="a\", error=\"forged"



=== TEST 60: empty realm still enforces: no token
--- config
    location /t {
        auth_jwt "";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        empty_gif;
    }
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm=""



=== TEST 61: empty realm still enforces: invalid token
--- config
    location /t {
        auth_jwt "";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        empty_gif;
    }
--- more_headers eval
"Authorization: Bearer $::t{tampered}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="", error="invalid_token"



=== TEST 62: empty realm: a valid token passes
--- config
    location /t {
        auth_jwt "";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        empty_gif;
    }
--- more_headers eval
"Authorization: Bearer $::t{good}"
--- request
GET /t
--- error_code: 200
--- response_headers
!WWW-Authenticate



=== TEST 63: key file missing: the configuration loads, a warning names the file
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_DATA/no-such-file.json;
        empty_gif;
    }
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{good}"
--- request
GET /t
--- error_code: 500
--- response_headers
!WWW-Authenticate
--- response_body_like: 500 Internal Server Error
--- error_log eval
[qr/\[warn\] .*auth_jwt_key_file "\Q$ENV{TEST_NGINX_DATA}\E\/no-such-file\.json" is unusable: no such file or directory; requests that need it will get 500/,
 qr/\[error\] .*auth_jwt: key file "\Q$ENV{TEST_NGINX_DATA}\E\/no-such-file\.json" is unusable: no such file or directory, client: 127\.0\.0\.1, server: localhost, request: "GET \/t HTTP\/1\.1"/]
--- no_error_log eval
[main::secret_parts($::t{good}), 'rejected token']



=== TEST 64: key file missing: a badly signed token also gets 500 (keys before signature)
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_DATA/no-such-file.json;
        empty_gif;
    }
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{tampered}"
--- request
GET /t
--- error_code: 500
--- response_headers
!WWW-Authenticate
--- error_log
auth_jwt: key file "$TEST_NGINX_DATA/no-such-file.json" is unusable: no such file or directory
--- no_error_log
rejected token



=== TEST 65: key file missing: no token is still 401 with the challenge
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_DATA/no-such-file.json;
        empty_gif;
    }
--- log_level: info
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api"
--- error_log
auth_jwt: no token in the request
--- no_error_log
[error]



=== TEST 66: key file missing: a malformed token is 401 (parsing before keys)
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_DATA/no-such-file.json;
        empty_gif;
    }
--- log_level: info
--- more_headers
Authorization: Bearer some.jwt.token
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: header is not valid JSON
--- no_error_log
[error]



=== TEST 67: key file missing: a location without auth_jwt is not affected
--- config
    auth_jwt_key_file $TEST_NGINX_DATA/no-such-file.json;
    location /t {
        empty_gif;
    }
--- log_level: info
--- request
GET /t
--- error_code: 200
--- no_error_log
[error]



=== TEST 68: key file is a directory
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks;
        empty_gif;
    }
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{good}"
--- request
GET /t
--- error_code: 500
--- error_log
auth_jwt_key_file "$TEST_NGINX_DATA/jwks" is unusable: is a directory
auth_jwt: key file "$TEST_NGINX_DATA/jwks" is unusable: is a directory



=== TEST 69: one of two key files missing: 500 even for a token the other file verifies
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        auth_jwt_key_file $TEST_NGINX_DATA/no-such-file.json;
        empty_gif;
    }
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{good}"
--- request
GET /t
--- error_code: 500
--- error_log
auth_jwt: key file "$TEST_NGINX_DATA/no-such-file.json" is unusable: no such file or directory



=== TEST 70: broken key file bad/missing-comma.json: 500
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_DATA/bad/missing-comma.json;
        empty_gif;
    }
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{good}"
--- request
GET /t
--- error_code: 500
--- response_headers
!WWW-Authenticate
--- error_log eval
[qr/\[warn\] .*auth_jwt_key_file "\Q$ENV{TEST_NGINX_DATA}\E\/bad\/missing-comma\.json" is unusable: JWK set is not valid JSON: /,
 qr/\[error\] .*auth_jwt: key file "\Q$ENV{TEST_NGINX_DATA}\E\/bad\/missing-comma\.json" is unusable: JWK set is not valid JSON: /]



=== TEST 71: broken key file bad/empty-set.json: 500
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_DATA/bad/empty-set.json;
        empty_gif;
    }
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{good}"
--- request
GET /t
--- error_code: 500
--- response_headers
!WWW-Authenticate
--- error_log eval
[qr/\[warn\] .*auth_jwt_key_file "\Q$ENV{TEST_NGINX_DATA}\E\/bad\/empty-set\.json" is unusable: empty JWK set; /,
 qr/\[error\] .*auth_jwt: key file "\Q$ENV{TEST_NGINX_DATA}\E\/bad\/empty-set\.json" is unusable: empty JWK set, client/]



=== TEST 72: broken key file bad/not-json.txt: 500
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_DATA/bad/not-json.txt;
        empty_gif;
    }
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{good}"
--- request
GET /t
--- error_code: 500
--- response_headers
!WWW-Authenticate
--- error_log eval
[qr/\[warn\] .*auth_jwt_key_file "\Q$ENV{TEST_NGINX_DATA}\E\/bad\/not-json\.txt" is unusable: JWK set is not valid JSON: /,
 qr/\[error\] .*auth_jwt: key file "\Q$ENV{TEST_NGINX_DATA}\E\/bad\/not-json\.txt" is unusable: JWK set is not valid JSON: /]



=== TEST 73: broken key file bad/rsa-missing-e.json: 500
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_DATA/bad/rsa-missing-e.json;
        empty_gif;
    }
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{good}"
--- request
GET /t
--- error_code: 500
--- response_headers
!WWW-Authenticate
--- error_log eval
[qr/\[warn\] .*auth_jwt_key_file "\Q$ENV{TEST_NGINX_DATA}\E\/bad\/rsa-missing-e\.json" is unusable: key 1 \(kid "rsa"\): member "e" is missing; /,
 qr/\[error\] .*auth_jwt: key file "\Q$ENV{TEST_NGINX_DATA}\E\/bad\/rsa-missing-e\.json" is unusable: key 1 \(kid "rsa"\): member "e" is missing, client/]



=== TEST 74: broken key file bad/rsa-1024.json: 500
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_DATA/bad/rsa-1024.json;
        empty_gif;
    }
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{good}"
--- request
GET /t
--- error_code: 500
--- response_headers
!WWW-Authenticate
--- error_log eval
[qr/\[warn\] .*auth_jwt_key_file "\Q$ENV{TEST_NGINX_DATA}\E\/bad\/rsa-1024\.json" is unusable: key 1 \(kid "rsa-1024"\): RSA modulus is 1024 bits, at least 2048 required; /,
 qr/\[error\] .*auth_jwt: key file "\Q$ENV{TEST_NGINX_DATA}\E\/bad\/rsa-1024\.json" is unusable: key 1 \(kid "rsa-1024"\): RSA modulus is 1024 bits, at least 2048 required, client/]



=== TEST 75: broken key file bad/rsa-1024.json: even a token signed by that key gets 500
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_DATA/bad/rsa-1024.json;
        empty_gif;
    }
--- log_level: info
--- more_headers eval
"Authorization: Bearer " . JwtTest::jwt_sign(alg => 'RS256', key => 'rsa-1024', claims => { exp => time + 3600 })
--- request
GET /t
--- error_code: 500
--- error_log
is unusable: key 1 (kid "rsa-1024"): RSA modulus is 1024 bits, at least 2048 required
--- no_error_log
rejected token



=== TEST 76: broken key file bad/ec-off-curve.json: 500
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_DATA/bad/ec-off-curve.json;
        empty_gif;
    }
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{good}"
--- request
GET /t
--- error_code: 500
--- response_headers
!WWW-Authenticate
--- error_log eval
[qr/\[warn\] .*auth_jwt_key_file "\Q$ENV{TEST_NGINX_DATA}\E\/bad\/ec-off-curve\.json" is unusable: key 1 \(kid "ec256"\): EC point is not on the curve P-256; /,
 qr/\[error\] .*auth_jwt: key file "\Q$ENV{TEST_NGINX_DATA}\E\/bad\/ec-off-curve\.json" is unusable: key 1 \(kid "ec256"\): EC point is not on the curve P-256, client/]



=== TEST 77: key file bad/hs-short.json (16-byte secret) loads with a warning; an RS256 token finds no key there: 401
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_DATA/bad/hs-short.json;
        empty_gif;
    }
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{good}"
--- request
GET /t
--- error_code: 401
--- error_log eval
[qr/\[warn\] .*auth_jwt_key_file "\Q$ENV{TEST_NGINX_DATA}\E\/bad\/hs-short\.json": key 1 \(kid "hs-short"\): oct key is 16 bytes, shorter than the 32 bytes HS256 calls for; /,
 qr/\[info\] .*auth_jwt: rejected token: no key/]
--- no_error_log
is unusable


=== TEST 78: key file bad/hs-short.json: a token signed with that 16-byte secret is accepted, as in NGINX Plus
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_DATA/bad/hs-short.json;
        empty_gif;
    }
--- log_level: info
--- more_headers eval
"Authorization: Bearer " . JwtTest::jwt_sign(alg => 'HS256', key => 'hs-short', claims => { exp => time + 3600 })
--- request
GET /t
--- error_code: 200
--- error_log
oct key is 16 bytes, shorter than the 32 bytes HS256 calls for
--- no_error_log
rejected token
is unusable


=== TEST 79: broken key file and a malformed token: 401 (parsing happens before keys)
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_DATA/bad/missing-comma.json;
        empty_gif;
    }
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{two_parts}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: token does not consist of three dot-separated parts
--- no_error_log
[error]



=== TEST 80: broken key file and an unknown alg: 401 (the header is checked before keys)
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_DATA/bad/not-json.txt;
        empty_gif;
    }
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{alg_unknown}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: unsupported algorithm "HS999"
--- no_error_log
[error]



=== TEST 81: no key directive: start-up warning naming the auth_jwt directive
--- config
    location /t {
        auth_jwt "api";
        empty_gif;
    }
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{good}"
--- request
GET /t
--- error_code: 200
--- error_log eval
qr/\[warn\] .*auth_jwt in \S*nginx\.conf:\d+ has no auth_jwt_key_file or auth_jwt_key_request: token signatures will NOT be verified/
--- no_error_log
auth_jwt:
[error]



=== TEST 82: no key directive: a tampered signature is not checked
--- config
    location /t {
        auth_jwt "api";
        empty_gif;
    }
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{tampered}"
--- request
GET /t
--- error_code: 200
--- no_error_log
auth_jwt:



=== TEST 83: no key directive: a token from an unknown key and kid passes
--- config
    location /t {
        auth_jwt "api";
        empty_gif;
    }
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{unknown_key}"
--- request
GET /t
--- error_code: 200
--- no_error_log
auth_jwt:



=== TEST 84: no key directive: exp is still checked
--- config
    location /t {
        auth_jwt "api";
        empty_gif;
    }
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{expired}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log eval
qr/auth_jwt: rejected token: token expired \d+ s ago/



=== TEST 85: no key directive: nbf is still checked
--- config
    location /t {
        auth_jwt "api";
        empty_gif;
    }
--- log_level: info
--- more_headers eval
"Authorization: Bearer " . main::token_at('not_yet', nbf => 100, exp => 3600)
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: token is not valid yet



=== TEST 86: no key directive: alg none is still refused
--- config
    location /t {
        auth_jwt "api";
        empty_gif;
    }
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{none}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: alg "none" is not allowed



=== TEST 87: no key directive: a malformed token is still refused
--- config
    location /t {
        auth_jwt "api";
        empty_gif;
    }
--- log_level: info
--- more_headers eval
"Authorization: Bearer $::t{header_text}"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- error_log
auth_jwt: rejected token: header is not valid JSON



=== TEST 88: no key directive: no token is still 401
--- config
    location /t {
        auth_jwt "api";
        empty_gif;
    }
--- log_level: info
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api"
--- error_log
auth_jwt: no token in the request



=== TEST 89: no key directive but auth_jwt off: no warning
--- config
    location /t {
        auth_jwt off;
        empty_gif;
    }
--- log_level: info
--- request
GET /t
--- error_code: 200
--- no_error_log
has no auth_jwt_key_file
