# auth_jwt_login_url: a 302 to the configured login page, with the original request URI
# percent-encoded in one query parameter, for GET and HEAD requests without a valid token.

use strict;
use warnings;
use Test::Nginx::Socket 'no_plan';
use JwtTest;

my $exp = now() + 3600;
our $good    = jwt_sign(alg => 'HS256', claims => { sub => 'ann', role => 'user', exp => $exp });
our $expired = jwt_sign(alg => 'HS256', claims => { sub => 'ann', exp => now() - 60 });
our $forged  = jwt_sign(alg => 'HS256', key => 'hs-other', claims => { sub => 'mal', exp => $exp });

run_tests();

__DATA__

=== TEST 1: GET without a token: 302 with the URI and query string encoded
--- http_config
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/hs256.json;
--- config
    location /app/ {
        auth_jwt "app";
        auth_jwt_login_url https://login.example.com/;
        alias $TEST_NGINX_HTML/;
    }
--- request
GET /app/page?x=1&y=a%20b
--- error_code: 302
--- response_headers
Location: https://login.example.com/?return_to=%2Fapp%2Fpage%3Fx%3D1%26y%3Da%2520b
!WWW-Authenticate



=== TEST 2: HEAD is redirected too
--- http_config
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/hs256.json;
--- config
    location /app/ {
        auth_jwt "app";
        auth_jwt_login_url https://login.example.com/;
        alias $TEST_NGINX_HTML/;
    }
--- request
HEAD /app/page
--- error_code: 302
--- response_headers
Location: https://login.example.com/?return_to=%2Fapp%2Fpage



=== TEST 3: POST keeps the 401 and its challenge
--- http_config
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/hs256.json;
--- config
    location /app/ {
        auth_jwt "app";
        auth_jwt_login_url https://login.example.com/;
        alias $TEST_NGINX_HTML/;
    }
--- request
POST /app/form
a=1
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="app"
!Location



=== TEST 4: an invalid token (expired) is redirected
--- http_config
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/hs256.json;
--- config
    location /app/ {
        auth_jwt "app" token=$cookie_auth;
        auth_jwt_login_url https://login.example.com/;
        alias $TEST_NGINX_HTML/;
    }
--- more_headers eval
"Cookie: auth=$::expired"
--- request
GET /app/
--- error_code: 302
--- response_headers
Location: https://login.example.com/?return_to=%2Fapp%2F



=== TEST 5: a valid token passes
--- http_config
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/hs256.json;
--- config
    location /app/ {
        auth_jwt "app" token=$cookie_auth;
        auth_jwt_login_url https://login.example.com/;
        alias $TEST_NGINX_HTML/;
    }
--- user_files
>>> index.html
home
--- more_headers eval
"Cookie: auth=$::good"
--- request
GET /app/
--- error_code: 200
--- response_body
home



=== TEST 6: param= and a URL that already has a query: joined with & (a # sent by a client is encoded too)
--- http_config
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/hs256.json;
--- config
    location /app/ {
        auth_jwt "app";
        auth_jwt_login_url "https://idp.example.com/authorize?client_id=shop&scope=openid" param=next;
        alias $TEST_NGINX_HTML/;
    }
--- request
GET /app/caf%C3%A9?q=%22quoted%22&list=a,b#ignored
--- error_code: 302
--- response_headers
Location: https://idp.example.com/authorize?client_id=shop&scope=openid&next=%2Fapp%2Fcaf%25C3%25A9%3Fq%3D%2522quoted%2522%26list%3Da%2Cb%23ignored



=== TEST 7: a relative URL is made absolute by nginx (absolute_redirect)
--- http_config
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/hs256.json;
--- config
    location /app/ {
        auth_jwt "app";
        auth_jwt_login_url /login;
        alias $TEST_NGINX_HTML/;
    }
--- request
GET /app/x
--- error_code: 302
--- response_headers_like
Location: http://localhost(:\d+)?/login\?return_to=%2Fapp%2Fx



=== TEST 8: variables in the URL
--- http_config
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/hs256.json;
--- config
    location /app/ {
        auth_jwt "app";
        auth_jwt_login_url https://login.$server_name/start;
        alias $TEST_NGINX_HTML/;
    }
--- request
GET /app/x
--- error_code: 302
--- response_headers
Location: https://login.localhost/start?return_to=%2Fapp%2Fx



=== TEST 9: the request cannot pick the target
--- http_config
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/hs256.json;
--- config
    location /app/ {
        auth_jwt "app";
        auth_jwt_login_url https://login.example.com/;
        alias $TEST_NGINX_HTML/;
    }
--- request
GET /app/?return_to=https://evil.example/&next=//evil.example
--- error_code: 302
--- response_headers
Location: https://login.example.com/?return_to=%2Fapp%2F%3Freturn_to%3Dhttps%3A%2F%2Fevil.example%2F%26next%3D%2F%2Fevil.example



=== TEST 10: a URL built from a variable that turns out unusable: 401 and an error line
--- http_config
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/hs256.json;
--- config
    location /app/ {
        auth_jwt "app";
        auth_jwt_login_url $http_x_login;
        alias $TEST_NGINX_HTML/;
    }
--- more_headers
X-Login: //evil.example/
--- request
GET /app/
--- error_code: 401
--- response_headers
!Location
--- error_log
"auth_jwt_login_url" evaluated to an unusable URL, answering 401



=== TEST 11: a 500 from an unusable key file is not redirected
--- http_config
    auth_jwt_key_file $TEST_NGINX_DATA/no-such-file.json;
--- config
    location /app/ {
        auth_jwt "app";
        auth_jwt_login_url https://login.example.com/;
        alias $TEST_NGINX_HTML/;
    }
--- more_headers eval
"Authorization: Bearer $::good"
--- request
GET /app/
--- error_code: 500
--- response_headers
!Location



=== TEST 12: auth_jwt_require with 401 is redirected, with 403 it is not
--- http_config
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/hs256.json;
--- config
    auth_jwt_login_url https://login.example.com/;
    location /app/ {
        auth_jwt "app";
        auth_jwt_require $jwt_claim_department;
        alias $TEST_NGINX_HTML/;
    }
--- more_headers eval
"Authorization: Bearer $::good"
--- request
GET /app/
--- error_code: 302
--- response_headers
Location: https://login.example.com/?return_to=%2Fapp%2F



=== TEST 13: auth_jwt_require error=403 is not redirected
--- http_config
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/hs256.json;
--- config
    auth_jwt_login_url https://login.example.com/;
    location /app/ {
        auth_jwt "app";
        auth_jwt_require $jwt_claim_department error=403;
        alias $TEST_NGINX_HTML/;
    }
--- more_headers eval
"Authorization: Bearer $::good"
--- request
GET /app/
--- error_code: 403
--- response_headers
!Location



=== TEST 14: inherited from the server level, cancelled with off
--- http_config
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/hs256.json;
--- config
    auth_jwt "app";
    auth_jwt_login_url https://login.example.com/;
    location /api/ {
        auth_jwt_login_url off;
        alias $TEST_NGINX_HTML/;
    }
--- request
GET /api/
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="app"



=== TEST 15: under satisfy any the decision stays a 401 (another module may still allow)
--- http_config
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/hs256.json;
--- config
    location /app/ {
        satisfy any;
        deny all;
        auth_jwt "app";
        auth_jwt_login_url https://login.example.com/;
        alias $TEST_NGINX_HTML/;
    }
--- request
GET /app/
--- error_code: 401



=== TEST 16: the error_page 401 @login pattern keeps working (without the directive)
--- http_config
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/hs256.json;
--- config
    auth_jwt "shop" token=$cookie_auth_token;
    error_page 401 @login;
    location @login {
        return 302 https://login.example.com/;
    }
    location /app/ {
        alias $TEST_NGINX_HTML/;
    }
--- more_headers eval
"Cookie: auth_token=$::forged"
--- request
GET /app/
--- error_code: 302
--- response_headers
Location: https://login.example.com/



=== TEST 17: error_page 401 still catches what the directive does not redirect (POST)
--- http_config
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/hs256.json;
--- config
    auth_jwt "shop";
    auth_jwt_login_url https://login.example.com/;
    error_page 401 = @api_error;
    location @api_error {
        return 401 "login required\n";
    }
    location /app/ {
        alias $TEST_NGINX_HTML/;
    }
--- request
POST /app/
a=1
--- error_code: 401
--- response_body
login required



=== TEST 18: the URL must be absolute or start with one /
--- config
    auth_jwt_login_url login.example.com;
--- must_die
--- error_log
invalid URL "login.example.com" in "auth_jwt_login_url" directive: it must start with "http://", "https://" or a single "/"



=== TEST 19: a protocol-relative URL is refused
--- config
    auth_jwt_login_url //login.example.com/;
--- must_die
--- error_log
invalid URL "//login.example.com/" in "auth_jwt_login_url" directive



=== TEST 20: spaces are refused
--- config
    auth_jwt_login_url "/log in";
--- must_die
--- error_log
it contains a space, a control character or a non-ASCII byte



=== TEST 21: the parameter name must not need encoding
--- config
    auth_jwt_login_url /login param=a&b;
--- must_die
--- error_log
invalid parameter "param=a&b" in "auth_jwt_login_url" directive



=== TEST 22: duplicate at one level
--- config
    auth_jwt_login_url /login;
    auth_jwt_login_url /other;
--- must_die
--- error_log
"auth_jwt_login_url" directive is duplicate



=== TEST 23: $jwt_status in the access log of a redirected request
--- http_config
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/hs256.json;
    log_format st "$status $jwt_status";
--- config
    access_log logs/access.log st;
    location /app/ {
        auth_jwt "app";
        auth_jwt_login_url https://login.example.com/;
        alias $TEST_NGINX_HTML/;
    }
--- more_headers eval
"Authorization: Bearer $::expired"
--- request
GET /app/
--- error_code: 302
--- access_log
302 expired



=== TEST 24: an absolute-form request line: only the path and query are returned to
--- http_config
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/hs256.json;
--- config
    location /app/ {
        auth_jwt "app";
        auth_jwt_login_url https://login.example.com/;
        alias $TEST_NGINX_HTML/;
    }
--- raw_request eval
"GET http://evil.example/app/x?y=1 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
--- error_code: 302
--- response_headers
Location: https://login.example.com/?return_to=%2Fapp%2Fx%3Fy%3D1



=== TEST 25: a scheme-relative request URI (//host) gives a return URL that is a path on this site
--- http_config
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/hs256.json;
--- config
    location ~ evil {
        auth_jwt "app";
        auth_jwt_login_url https://login.example.com/;
        alias $TEST_NGINX_HTML/;
    }
--- request
GET //evil.example/x
--- error_code: 302
--- response_headers
Location: https://login.example.com/?return_to=%2Fevil.example%2Fx



=== TEST 26: a backslash after the first slash (/\host, read by browsers as //host) gives a path too
--- http_config
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/hs256.json;
--- config
    location ~ evil {
        auth_jwt "app";
        auth_jwt_login_url https://login.example.com/;
        alias $TEST_NGINX_HTML/;
    }
--- request
GET /\evil.example
--- error_code: 302
--- response_headers
Location: https://login.example.com/?return_to=%2Fevil.example
