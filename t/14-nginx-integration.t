# auth_jwt together with the rest of nginx: `satisfy any|all` with the access module and
# auth_basic, `error_page 401` to a named location (the Ingress Controller login-url pattern)
# or to a custom page, internal redirects (checked) and subrequests (never checked: nginx skips
# the ACCESS phase for them), proxying, and the `return` caveat.

use strict;
use warnings;
use Test::Nginx::Socket 'no_plan';
use JwtTest;

our $good = jwt_sign(alg => 'ES256', claims => { sub => 'alice', exp => now() + 3600 });
our $bad  = tamper($good);

run_tests();

__DATA__

=== TEST 1: satisfy any, client allowed by address: no token needed, no challenge
--- log_level: info
--- config
    location /t {
        satisfy any;
        allow 127.0.0.1;
        deny all;
        auth_jwt "admin";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        empty_gif;
    }
--- request
GET /t
--- error_code: 200
--- response_headers
!WWW-Authenticate
--- no_error_log
[error]



=== TEST 2: satisfy any, client allowed by address: an invalid token does not matter
--- config
    location /t {
        satisfy any;
        allow 127.0.0.1;
        deny all;
        auth_jwt "admin";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        empty_gif;
    }
--- more_headers eval
"Authorization: Bearer $::bad"
--- request
GET /t
--- error_code: 200
--- response_headers
!WWW-Authenticate



=== TEST 3: satisfy any, client denied by address: no token is 401 with the challenge
--- config
    location /t {
        satisfy any;
        deny all;
        auth_jwt "admin";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        empty_gif;
    }
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="admin"



=== TEST 4: satisfy any, client denied by address: invalid token is 401 invalid_token
--- config
    location /t {
        satisfy any;
        deny all;
        auth_jwt "admin";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        empty_gif;
    }
--- more_headers eval
"Authorization: Bearer $::bad"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="admin", error="invalid_token"



=== TEST 5: satisfy any, client denied by address: a valid token lets it through
--- config
    location /t {
        satisfy any;
        deny all;
        auth_jwt "admin";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        empty_gif;
    }
--- more_headers eval
"Authorization: Bearer $::good"
--- request
GET /t
--- error_code: 200
--- response_headers
!WWW-Authenticate



=== TEST 6: satisfy all, client denied by address: a valid token is not enough (403)
--- config
    location /t {
        satisfy all;
        deny all;
        auth_jwt "admin";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        empty_gif;
    }
--- more_headers eval
"Authorization: Bearer $::good"
--- request
GET /t
--- error_code: 403



=== TEST 7: satisfy all, client allowed by address: a token is still required
--- config
    location /t {
        satisfy all;
        allow 127.0.0.1;
        deny all;
        auth_jwt "admin";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        empty_gif;
    }
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="admin"



=== TEST 8: satisfy all, client allowed by address, valid token: 200
--- config
    location /t {
        satisfy all;
        allow 127.0.0.1;
        deny all;
        auth_jwt "admin";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        empty_gif;
    }
--- more_headers eval
"Authorization: Bearer $::good"
--- request
GET /t
--- error_code: 200



=== TEST 9: satisfy any with auth_basic: valid Basic credentials pass, no challenge left
--- config
    location /t {
        satisfy any;
        auth_basic "basic";
        auth_basic_user_file $TEST_NGINX_HTML/htpasswd;
        auth_jwt "jwt";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        empty_gif;
    }
--- user_files
>>> htpasswd
user:{PLAIN}pass
--- more_headers
Authorization: Basic dXNlcjpwYXNz
--- request
GET /t
--- error_code: 200
--- response_headers
!WWW-Authenticate



=== TEST 10: satisfy any with auth_basic: a valid Bearer token passes, no challenge left
--- config
    location /t {
        satisfy any;
        auth_basic "basic";
        auth_basic_user_file $TEST_NGINX_HTML/htpasswd;
        auth_jwt "jwt";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        empty_gif;
    }
--- user_files
>>> htpasswd
user:{PLAIN}pass
--- more_headers eval
"Authorization: Bearer $::good"
--- request
GET /t
--- error_code: 200
--- response_headers
!WWW-Authenticate



=== TEST 11: satisfy any with auth_basic: no credentials, both challenges
--- config
    location /t {
        satisfy any;
        auth_basic "basic";
        auth_basic_user_file $TEST_NGINX_HTML/htpasswd;
        auth_jwt "jwt";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        empty_gif;
    }
--- user_files
>>> htpasswd
user:{PLAIN}pass
--- request
GET /t
--- error_code: 401
--- response_headers_like
WWW-Authenticate: (Bearer realm="jwt", Basic realm="basic"|Basic realm="basic", Bearer realm="jwt")



=== TEST 12: error_page 401 @login: no token is redirected to the login page
--- config
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
    auth_jwt "shop" token=$cookie_auth_token;
    error_page 401 @login;
    location @login {
        internal;
        return 302 https://login.example.com/;
    }
    location /t { empty_gif; }
--- request
GET /t
--- error_code: 302
--- response_headers
Location: https://login.example.com/



=== TEST 13: error_page 401 @login: an invalid token is redirected too
--- log_level: info
--- config
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
    auth_jwt "shop" token=$cookie_auth_token;
    error_page 401 @login;
    location @login {
        internal;
        return 302 https://login.example.com/;
    }
    location /t { empty_gif; }
--- more_headers eval
"Cookie: auth_token=$::bad"
--- request
GET /t
--- error_code: 302
--- response_headers
Location: https://login.example.com/
--- error_log
auth_jwt: rejected token: signature does not verify



=== TEST 14: error_page 401 @login: an expired token is redirected too
--- config
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
    auth_jwt "shop" token=$cookie_auth_token;
    error_page 401 @login;
    location @login {
        internal;
        return 302 https://login.example.com/;
    }
    location /t { empty_gif; }
--- more_headers eval
"Cookie: auth_token=" . JwtTest::jwt_sign(alg => 'HS256', claims => { exp => time - 10 })
--- request
GET /t
--- error_code: 302
--- response_headers
Location: https://login.example.com/



=== TEST 15: error_page 401 @login: a valid token is served
--- config
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
    auth_jwt "shop" token=$cookie_auth_token;
    error_page 401 @login;
    location @login {
        internal;
        return 302 https://login.example.com/;
    }
    location /t { empty_gif; }
--- more_headers eval
"Cookie: auth_token=$::good"
--- request
GET /t
--- error_code: 200
--- response_headers
!Location



=== TEST 16: error_page 401 @login: an unusable key file is still a 500, not a redirect
--- config
    auth_jwt_key_file $TEST_NGINX_DATA/no-such-file.json;
    auth_jwt "shop" token=$cookie_auth_token;
    error_page 401 @login;
    location @login {
        internal;
        return 302 https://login.example.com/;
    }
    location /t { empty_gif; }
--- more_headers eval
"Cookie: auth_token=$::good"
--- request
GET /t
--- error_code: 500
--- response_headers
!Location



=== TEST 17: error_page 401 to a custom page: status 401, the page, the challenge kept
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        error_page 401 /custom401.html;
        empty_gif;
    }
    location = /custom401.html {
        auth_jwt off;
        root $TEST_NGINX_HTML;
    }
--- user_files
>>> custom401.html
Please sign in.
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api"
--- response_body
Please sign in.



=== TEST 18: error_page 401 to a custom page, invalid token
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        error_page 401 /custom401.html;
        empty_gif;
    }
    location = /custom401.html {
        auth_jwt off;
        root $TEST_NGINX_HTML;
    }
--- user_files
>>> custom401.html
Please sign in.
--- more_headers eval
"Authorization: Bearer $::bad"
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api", error="invalid_token"
--- response_body
Please sign in.



=== TEST 19: error_page 401 =200 to a custom page: the status can be replaced
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        error_page 401 =200 /custom401.html;
        empty_gif;
    }
    location = /custom401.html {
        auth_jwt off;
        root $TEST_NGINX_HTML;
    }
--- user_files
>>> custom401.html
Please sign in.
--- request
GET /t
--- error_code: 200
--- response_body
Please sign in.



=== TEST 20: internal redirect (rewrite ... last) into a protected location is checked
--- config
    location /open {
        rewrite ^ /secret last;
    }
    location /secret {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        empty_gif;
    }
--- request
GET /open
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api"



=== TEST 21: try_files fallback to a protected named location is checked
--- config
    location /t {
        try_files /nonexistent @app;
    }
    location @app {
        auth_jwt "app";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        empty_gif;
    }
--- request
GET /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="app"



=== TEST 22: subrequests are not checked (SSI include of a protected location)
--- config
    location /page {
        ssi on;
        default_type text/html;
        alias $TEST_NGINX_HTML/page.html;
    }
    location /protected {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        alias $TEST_NGINX_HTML/secret.txt;
    }
--- user_files
>>> page.html
before <!--# include virtual="/protected" --> after
>>> secret.txt
inside
--- request
GET /page
--- error_code: 200
--- response_body
before inside
 after



=== TEST 23: the main request to the same protected location is checked
--- config
    location /page {
        ssi on;
        default_type text/html;
        alias $TEST_NGINX_HTML/page.html;
    }
    location /protected {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        alias $TEST_NGINX_HTML/secret.txt;
    }
--- user_files
>>> page.html
before <!--# include virtual="/protected" --> after
>>> secret.txt
inside
--- request
GET /protected
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api"



=== TEST 24: proxy_pass: the request and its Authorization header reach the upstream
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend;
    }
    location /backend {
        return 200 "upstream got: $http_authorization\n";
    }
--- more_headers eval
"Authorization: Bearer $::good"
--- request
GET /t
--- error_code: 200
--- response_body eval
"upstream got: Bearer $::good\n"



=== TEST 25: proxy_pass: an invalid token never reaches the upstream
--- log_level: info
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend;
    }
    location /backend {
        return 200 "upstream reached\n";
    }
--- more_headers eval
"Authorization: Bearer $::bad"
--- request
GET /t
--- error_code: 401
--- response_body_like: 401 Authorization Required



=== TEST 26: POST body with a valid token is passed on
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend;
    }
    location /backend {
        return 200 "$request_method $content_length\n";
    }
--- more_headers eval
"Authorization: Bearer $::good"
--- request
POST /t
hello world
--- error_code: 200
--- response_body
POST 11



=== TEST 27: HEAD without a token: 401 and no body
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        empty_gif;
    }
--- request
HEAD /t
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api"
--- response_body



=== TEST 28: HTTP/1.0 request with a valid token
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        empty_gif;
    }
--- more_headers eval
"Authorization: Bearer $::good"
--- request
GET /t HTTP/1.0
--- error_code: 200



=== TEST 29: caveat (documented): `return` runs before the ACCESS phase, so nothing is checked
--- config
    location /t {
        auth_jwt "api";
        auth_jwt_key_file $TEST_NGINX_DATA/jwks/all.json;
        return 200 "not protected\n";
    }
--- request
GET /t
--- error_code: 200
--- response_body
not protected
