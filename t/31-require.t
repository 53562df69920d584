# auth_jwt_require: values that must be non-empty and not "0" once the token has verified;
# error=401|403 per directive; several directives per level; levels and inheritance.

use strict;
use warnings;
use Test::Nginx::Socket 'no_plan';
use JwtTest;
use JSON::PP ();

my $exp = now() + 3600;
our $admin  = jwt_sign(alg => 'HS256', claims => { sub => 'ann', iss => 'https://idp', role => 'admin', exp => $exp });
our $user   = jwt_sign(alg => 'HS256', claims => { sub => 'bob', iss => 'https://idp', role => 'user', exp => $exp });
our $zero   = jwt_sign(alg => 'HS256', claims => { sub => 'zed', iss => 'https://idp', role => 'admin', flag => 0, exp => $exp });
our $other  = jwt_sign(alg => 'HS256', claims => { sub => 'eve', iss => 'https://other', role => 'admin', exp => $exp });
our $unverified = jwt_sign(alg => 'HS256', claims => { sub => 'una', email_verified => JSON::PP::false, exp => $exp });
our $verified   = jwt_sign(alg => 'HS256', claims => { sub => 'val', email_verified => JSON::PP::true, exp => $exp });
our $false_text = jwt_sign(alg => 'HS256', claims => { sub => 'tex', email_verified => 'false', exp => $exp });
our $forged = jwt_sign(alg => 'HS256', key => 'hs-other', claims => { sub => 'mal', iss => 'https://idp', role => 'admin', exp => $exp });

# Shared by most blocks: maps that turn claims into require values.
our $maps = <<'CONF';
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/hs256.json;
    map $jwt_claim_iss $iss_ok {
        "https://idp" 1;
        default       0;
    }
    map $jwt_claim_role $is_admin {
        admin   1;
        default "";
    }
    log_format st "$status jwt_status=$jwt_status sub=$jwt_claim_sub";
CONF

run_tests();

__DATA__

=== TEST 1: a claim variable as the value: present passes
--- http_config eval: $::maps
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_require $jwt_claim_role;
        alias $TEST_NGINX_HTML/ok.txt;
    }
--- user_files
>>> ok.txt
ok
--- more_headers eval
"Authorization: Bearer $::user"
--- request
GET /t
--- error_code: 200



=== TEST 2: missing claim: 401 with the invalid_token challenge, and a log line
--- http_config eval: $::maps
--- config
    access_log logs/access.log st;
    location /t {
        auth_jwt "api";
        auth_jwt_require $jwt_claim_department;
        alias $TEST_NGINX_HTML/ok.txt;
    }
--- user_files
>>> ok.txt
ok
--- more_headers eval
"Authorization: Bearer $::user"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- log_level: info
--- error_log eval
qr/\[info\] .*auth_jwt: token refused by "auth_jwt_require" in .*nginx\.conf:\d+: value 1 is empty/
--- access_log
401 jwt_status=require_failed sub=bob



=== TEST 3: "0" fails
--- http_config eval: $::maps
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_require $jwt_claim_flag;
        alias $TEST_NGINX_HTML/ok.txt;
    }
--- user_files
>>> ok.txt
ok
--- more_headers eval
"Authorization: Bearer $::zero"
--- request
GET /t
--- error_code: 401
--- log_level: info
--- error_log
value 1 is "0"



=== TEST 4: several values in one directive: all must pass (second fails)
--- http_config eval: $::maps
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_require $iss_ok $is_admin;
        alias $TEST_NGINX_HTML/ok.txt;
    }
--- user_files
>>> ok.txt
ok
--- more_headers eval
"Authorization: Bearer $::user"
--- request
GET /t
--- error_code: 401
--- log_level: info
--- error_log
value 2 is empty



=== TEST 5: several values in one directive: all pass
--- http_config eval: $::maps
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_require $iss_ok $is_admin;
        alias $TEST_NGINX_HTML/ok.txt;
    }
--- user_files
>>> ok.txt
ok
--- more_headers eval
"Authorization: Bearer $::admin"
--- request
GET /t
--- error_code: 200



=== TEST 6: error=403: no challenge header
--- http_config eval: $::maps
--- config
    access_log logs/access.log st;
    location /t {
        auth_jwt "api";
        auth_jwt_require $is_admin error=403;
        alias $TEST_NGINX_HTML/ok.txt;
    }
--- user_files
>>> ok.txt
ok
--- more_headers eval
"Authorization: Bearer $::user"
--- request
GET /t
--- error_code: 403
--- response_headers
!WWW-Authenticate
--- access_log
403 jwt_status=require_failed sub=bob



=== TEST 7: authN (401) and authZ (403) directives at one level: the 401 one fails first
--- http_config eval: $::maps
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_require $iss_ok;
        auth_jwt_require $is_admin error=403;
        alias $TEST_NGINX_HTML/ok.txt;
    }
--- user_files
>>> ok.txt
ok
--- more_headers eval
"Authorization: Bearer $::other"
--- request
GET /t
--- error_code: 401



=== TEST 8: authN passes, authZ fails: 403 from its own directive
--- http_config eval: $::maps
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_require $iss_ok;
        auth_jwt_require $is_admin error=403;
        alias $TEST_NGINX_HTML/ok.txt;
    }
--- user_files
>>> ok.txt
ok
--- more_headers eval
"Authorization: Bearer $::user"
--- request
GET /t
--- error_code: 403



=== TEST 9: error=403 first, plain one second: each directive keeps its own code
--- http_config eval: $::maps
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_require $is_admin error=403;
        auth_jwt_require $jwt_claim_department error=401;
        alias $TEST_NGINX_HTML/ok.txt;
    }
--- user_files
>>> ok.txt
ok
--- more_headers eval
"Authorization: Bearer $::admin"
--- request
GET /t
--- error_code: 401



=== TEST 10: a value with text after the variable
--- http_config eval: $::maps
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_require "$jwt_claim_department$jwt_claim_role";
        auth_jwt_require $jwt_claim_department-x;
        alias $TEST_NGINX_HTML/ok.txt;
    }
--- user_files
>>> ok.txt
ok
--- more_headers eval
"Authorization: Bearer $::user"
--- request
GET /t
--- error_code: 200



=== TEST 11: an invalid token is refused before the require values are looked at
--- http_config eval: $::maps
--- config
    access_log logs/access.log st;
    location /t {
        auth_jwt "api";
        auth_jwt_require $is_admin error=403;
        alias $TEST_NGINX_HTML/ok.txt;
    }
--- user_files
>>> ok.txt
ok
--- more_headers eval
"Authorization: Bearer $::forged"
--- request
GET /t
--- error_code: 401
--- access_log
401 jwt_status=bad_signature sub=-



=== TEST 12: http level require is inherited by a location without its own
--- http_config eval: $::maps . '    auth_jwt_require $is_admin error=403;'
--- config
    location /t {
        auth_jwt "api";
        alias $TEST_NGINX_HTML/ok.txt;
    }
--- user_files
>>> ok.txt
ok
--- more_headers eval
"Authorization: Bearer $::user"
--- request
GET /t
--- error_code: 403



=== TEST 13: a location with its own require replaces the inherited list
--- http_config eval: $::maps . '    auth_jwt_require $is_admin error=403;'
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_require $iss_ok;
        alias $TEST_NGINX_HTML/ok.txt;
    }
--- user_files
>>> ok.txt
ok
--- more_headers eval
"Authorization: Bearer $::user"
--- request
GET /t
--- error_code: 200



=== TEST 14: server level require, inherited
--- http_config eval: $::maps
--- config
    auth_jwt "api";
    auth_jwt_require $iss_ok;
    location /t {
        alias $TEST_NGINX_HTML/ok.txt;
    }
--- user_files
>>> ok.txt
ok
--- more_headers eval
"Authorization: Bearer $::other"
--- request
GET /t
--- error_code: 401



=== TEST 15: server level require replaced at location level
--- http_config eval: $::maps
--- config
    auth_jwt "api";
    auth_jwt_require $iss_ok;
    location /t {
        auth_jwt_require $is_admin error=403;
        alias $TEST_NGINX_HTML/ok.txt;
    }
--- user_files
>>> ok.txt
ok
--- more_headers eval
"Authorization: Bearer $::other"
--- request
GET /t
--- error_code: 200



=== TEST 16: limit_except level: POST needs admin, GET does not
--- http_config eval: $::maps
--- config
    location /t {
        auth_jwt "api";
        limit_except GET {
            auth_jwt_require $is_admin error=403;
        }
        alias $TEST_NGINX_HTML/ok.txt;
    }
--- user_files
>>> ok.txt
ok
--- more_headers eval
"Authorization: Bearer $::user"
--- request
POST /t
x=1
--- error_code: 403



=== TEST 17: limit_except level: GET is not affected
--- http_config eval: $::maps
--- config
    location /t {
        auth_jwt "api";
        limit_except GET {
            auth_jwt_require $is_admin error=403;
        }
        alias $TEST_NGINX_HTML/ok.txt;
    }
--- user_files
>>> ok.txt
ok
--- more_headers eval
"Authorization: Bearer $::user"
--- request
GET /t
--- error_code: 200



=== TEST 18: require without auth_jwt does nothing
--- http_config eval: $::maps
--- config
    location /t {
        auth_jwt_require $is_admin error=403;
        alias $TEST_NGINX_HTML/ok.txt;
    }
--- user_files
>>> ok.txt
ok
--- request
GET /t
--- error_code: 200



=== TEST 19: ok status and claims after every require passed
--- http_config eval: $::maps
--- config
    access_log logs/access.log st;
    location /t {
        auth_jwt "api";
        auth_jwt_require $iss_ok $is_admin;
        alias $TEST_NGINX_HTML/ok.txt;
    }
--- user_files
>>> ok.txt
ok
--- more_headers eval
"Authorization: Bearer $::admin"
--- request
GET /t
--- access_log
200 jwt_status=ok sub=ann



=== TEST 20: a value must start with a variable
--- http_config
    auth_jwt_require admin;
--- must_die
--- error_log
invalid value "admin" in "auth_jwt_require" directive: it must start with a variable



=== TEST 21: text before the variable is refused too
--- config
    auth_jwt_require "x$jwt_claim_sub";
--- must_die
--- error_log
invalid value "x$jwt_claim_sub" in "auth_jwt_require" directive: it must start with a variable



=== TEST 22: only 401 and 403 for error=
--- config
    auth_jwt_require $jwt_claim_sub error=500;
--- must_die
--- error_log
invalid parameter "error=500" in "auth_jwt_require" directive



=== TEST 23: error= alone is not a value
--- config
    auth_jwt_require error=403;
--- must_die
--- error_log
invalid number of arguments in "auth_jwt_require" directive



=== TEST 24: error= only at the end
--- config
    auth_jwt_require error=403 $jwt_claim_sub;
--- must_die
--- error_log
invalid value "error=403" in "auth_jwt_require" directive: it must start with a variable



=== TEST 25: a claim that is JSON false fails the requirement on its variable (401 and a log line saying so)
--- http_config eval: $::maps
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_require $jwt_claim_email_verified;
        alias $TEST_NGINX_HTML/ok.txt;
    }
--- user_files
>>> ok.txt
ok
--- more_headers eval
"Authorization: Bearer $::unverified"
--- request
GET /t
--- error_code: 401
--- log_level: info
--- error_log eval
qr/\[info\] .*auth_jwt: token refused by "auth_jwt_require" in .*nginx\.conf:\d+: value 1 is a claim that is false/



=== TEST 26: the same claim through auth_jwt_claim_set fails too, with error=403
--- http_config eval: $::maps . 'auth_jwt_claim_set $ev email_verified;'
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_require $ev error=403;
        alias $TEST_NGINX_HTML/ok.txt;
    }
--- user_files
>>> ok.txt
ok
--- more_headers eval
"Authorization: Bearer $::unverified"
--- request
GET /t
--- error_code: 403



=== TEST 27: a claim that is true passes (and renders as "true")
--- http_config eval: $::maps
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_require $jwt_claim_email_verified;
        add_header X-Verified $jwt_claim_email_verified always;
        alias $TEST_NGINX_HTML/ok.txt;
    }
--- user_files
>>> ok.txt
ok
--- more_headers eval
"Authorization: Bearer $::verified"
--- request
GET /t
--- error_code: 200
--- response_headers
X-Verified: true



=== TEST 28: a false claim renders as "false" where no requirement reads it
--- http_config eval: $::maps
--- config
    location /show {
        auth_jwt "api";
        add_header X-Verified $jwt_claim_email_verified always;
        alias $TEST_NGINX_HTML/ok.txt;
    }
--- user_files
>>> ok.txt
ok
--- more_headers eval
"Authorization: Bearer $::unverified"
--- request
GET /show
--- error_code: 200
--- response_headers
X-Verified: false



=== TEST 29: the string "false" passes, as in NGINX Plus (only a JSON false fails)
--- http_config eval: $::maps
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_require $jwt_claim_email_verified;
        alias $TEST_NGINX_HTML/ok.txt;
    }
--- user_files
>>> ok.txt
ok
--- more_headers eval
"Authorization: Bearer $::false_text"
--- request
GET /t
--- error_code: 200
