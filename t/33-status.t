# $jwt_status: one word per outcome of auth_jwt, in access log lines, also after error_page
# sent the request to another location (nginx clears module contexts on internal redirects).

use strict;
use warnings;
use Test::Nginx::Socket 'no_plan';
use JwtTest;

my $exp = now() + 3600;
our %tok = (
    ok              => jwt_sign(alg => 'HS256', claims => { sub => 'ann', exp => $exp }),
    malformed       => 'not.a.token',
    unsupported_alg => jwt_sign(alg => 'HS256', header => { alg => 'XX256' }, claims => { sub => 'ann' }),
    bad_signature   => jwt_sign(alg => 'HS256', key => 'hs-other', claims => { sub => 'ann' }),
    no_key          => jwt_sign(alg => 'ES256', claims => { sub => 'ann' }),
    expired         => jwt_sign(alg => 'HS256', claims => { sub => 'ann', exp => now() - 60 }),
    not_yet_valid   => jwt_sign(alg => 'HS256', claims => { sub => 'ann', nbf => now() + 600 }),
);

# One protected location, the status in every access log line.
our $http = <<'CONF';
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/hs256.json;
    log_format st "st $uri $status [$jwt_status]";
CONF
our $config = <<'CONF';
    access_log logs/access.log st;
    location /t {
        auth_jwt "api";
        auth_jwt_require $jwt_claim_sub error=403;
        alias $TEST_NGINX_HTML/ok.txt;
    }
CONF

sub bearer { "Authorization: Bearer $::tok{$_[0]}" }

run_tests();

__DATA__

=== TEST 1: ok
--- http_config eval: $::http
--- config eval: $::config
--- user_files
>>> ok.txt
ok
--- more_headers eval: ::bearer('ok')
--- request
GET /t
--- access_log
st /t 200 [ok]



=== TEST 2: missing
--- http_config eval: $::http
--- config eval: $::config
--- request
GET /t
--- error_code: 401
--- access_log
st /t 401 [missing]



=== TEST 3: missing: an empty token= variable
--- http_config eval: $::http
--- config
    access_log logs/access.log st;
    location /t {
        auth_jwt "api" token=$cookie_jwt;
        alias $TEST_NGINX_HTML/ok.txt;
    }
--- more_headers
Cookie: jwt=
--- request
GET /t
--- error_code: 401
--- access_log
st /t 401 [missing]



=== TEST 4: malformed
--- http_config eval: $::http
--- config eval: $::config
--- more_headers eval: ::bearer('malformed')
--- request
GET /t
--- error_code: 401
--- access_log
st /t 401 [malformed]



=== TEST 5: unsupported_alg
--- http_config eval: $::http
--- config eval: $::config
--- more_headers eval: ::bearer('unsupported_alg')
--- request
GET /t
--- error_code: 401
--- access_log
st /t 401 [unsupported_alg]



=== TEST 6: bad_signature
--- http_config eval: $::http
--- config eval: $::config
--- more_headers eval: ::bearer('bad_signature')
--- request
GET /t
--- error_code: 401
--- access_log
st /t 401 [bad_signature]



=== TEST 7: no_key
--- http_config eval: $::http
--- config eval: $::config
--- more_headers eval: ::bearer('no_key')
--- request
GET /t
--- error_code: 401
--- access_log
st /t 401 [no_key]



=== TEST 8: expired
--- http_config eval: $::http
--- config eval: $::config
--- more_headers eval: ::bearer('expired')
--- request
GET /t
--- error_code: 401
--- access_log
st /t 401 [expired]



=== TEST 9: not_yet_valid
--- http_config eval: $::http
--- config eval: $::config
--- more_headers eval: ::bearer('not_yet_valid')
--- request
GET /t
--- error_code: 401
--- access_log
st /t 401 [not_yet_valid]



=== TEST 10: require_failed
--- http_config eval: $::http
--- config eval: $::config
--- more_headers eval
"Authorization: Bearer " . ::jwt_sign(alg => 'HS256', claims => { name => 'no sub' })
--- request
GET /t
--- error_code: 403
--- access_log
st /t 403 [require_failed]



=== TEST 11: key_error
--- http_config
    auth_jwt_key_file $TEST_NGINX_DATA/no-such-file.json;
    log_format st "st $uri $status [$jwt_status]";
--- config eval: $::config
--- more_headers eval: ::bearer('ok')
--- request
GET /t
--- error_code: 500
--- access_log
st /t 500 [key_error]



=== TEST 12: empty (logged as "-") where auth_jwt did not run
--- http_config eval: $::http
--- config eval
$::config . q{
    location /open {
        alias $TEST_NGINX_HTML/ok.txt;
    }
}
--- user_files
>>> ok.txt
ok
--- more_headers eval: ::bearer('ok')
--- request
GET /open
--- access_log
st /open 200 [-]



=== TEST 13: survives error_page 401 into a named location (its own access log and headers)
--- http_config eval: $::http
--- config
    location /t {
        auth_jwt "api";
        error_page 401 @login;
        access_log off;
        alias $TEST_NGINX_HTML/ok.txt;
    }
    location @login {
        access_log logs/access.log st;
        add_header X-Jwt-Status $jwt_status;
        return 302 https://login.example.com/;
    }
--- more_headers eval: ::bearer('expired')
--- request
GET /t
--- error_code: 302
--- response_headers
X-Jwt-Status: expired
--- access_log
st /t 302 [expired]



=== TEST 14: error_page logic on $jwt_status: expired tokens go to refresh, the rest to login
--- http_config eval: $::http
--- config
    access_log logs/access.log st;
    location /t {
        auth_jwt "api";
        error_page 401 = @auth_failed;
        alias $TEST_NGINX_HTML/ok.txt;
    }
    location @auth_failed {
        if ($jwt_status = expired) {
            return 302 https://login.example.com/refresh;
        }
        return 302 https://login.example.com/login;
    }
--- more_headers eval: ::bearer('expired')
--- request
GET /t
--- error_code: 302
--- response_headers
Location: https://login.example.com/refresh



=== TEST 15: the same with another failure
--- http_config eval: $::http
--- config
    location /t {
        auth_jwt "api";
        error_page 401 = @auth_failed;
        alias $TEST_NGINX_HTML/ok.txt;
    }
    location @auth_failed {
        if ($jwt_status = expired) {
            return 302 https://login.example.com/refresh;
        }
        return 302 https://login.example.com/login;
    }
--- more_headers eval: ::bearer('bad_signature')
--- request
GET /t
--- error_code: 302
--- response_headers
Location: https://login.example.com/login



=== TEST 16: survives error_page to a URI (internal redirect to an unprotected location)
--- http_config eval: $::http
--- config
    access_log logs/access.log st;
    location /t {
        auth_jwt "api";
        error_page 401 /denied.html;
        alias $TEST_NGINX_HTML/ok.txt;
    }
    location = /denied.html {
        add_header X-Jwt-Status $jwt_status always;
        add_header X-Sub "[$jwt_claim_sub]" always;
        root $TEST_NGINX_HTML;
    }
--- user_files
>>> denied.html
denied
--- more_headers eval: ::bearer('malformed')
--- request
GET /t
--- error_code: 401
--- response_headers
X-Jwt-Status: malformed
X-Sub: []
--- access_log
st /denied.html 401 [malformed]



=== TEST 17: a subrequest has its own state (SSI include of a protected location)
--- http_config eval: $::http
--- config
    access_log logs/access.log st;
    location = /page.html {
        ssi on;
        root $TEST_NGINX_HTML;
    }
    location /t {
        auth_jwt "api";
        alias $TEST_NGINX_HTML/ok.txt;
    }
--- user_files
>>> page.html
before <!--# include virtual="/t" --> status=[<!--# echo var="jwt_status" default="none" -->]
>>> ok.txt
ok
--- request
GET /page.html
--- response_body
before ok
 status=[none]
