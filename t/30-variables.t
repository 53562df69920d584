# $jwt_claim_*, $jwt_header_*, $jwt_payload and the variables of auth_jwt_claim_set /
# auth_jwt_header_set: rendering, nested and quoted names, where values come from (verified
# token, unprotected location, refused token), and use in map, if, set, proxy_set_header,
# limit_req_zone and log_format.

use strict;
use warnings;
use Test::Nginx::Socket 'no_plan';
use JwtTest;

our $exp = now() + 3600;

# Claims in a fixed order, with every kind of JSON value.
our $rich = jwt_sign(alg => 'HS256', raw_claims => <<"JSON" =~ s/\n\s*//gr);
{"sub":"alice","n":42,"neg":-7,"f":1.5,"big":1e300,"t":true,"no":false,"nul":null,
 "aud":["api","cli"],"nested":[[1,2],[3]],"mixed":[1,"a",null,true,{"k":"v"}],
 "obj":{"z":1,"a":[2,"x"]},"empty":[],"blank":"","ctl":"a\\r\\nX-Injected: 1",
 "userName":"Mixed","username":"lower","exp":$::exp}
JSON

# Nested claims as Keycloak and other IdPs write them.
our $nested = jwt_sign(alg => 'HS256', raw_claims => <<"JSON" =~ s/\n\s*//gr);
{"sub":"bob","realm_access":{"roles":["admin","user"]},
 "info":{"e-mail":"bob\@example.com","job title":"tester","deep":{"er":{"x":7}}},
 "list":[{"a":1}],"exp":$::exp}
JSON

# DEL (0x7f) in a string inside an object, spelled as a JSON escape in the token.
our $del = jwt_sign(alg => 'HS256', raw_claims => qq({"sub":"dan","o":{"k":"a\\u007fb"},"exp":$::exp}));

our $small = jwt_sign(alg => 'HS256', raw_claims => qq({"sub":"carol", "exp":$::exp, "aud":["x","y"], "o":{"b":1,"a":2}}));

# Valid structure, wrong key: only ever shown where auth_jwt is off.
our $forged = jwt_sign(alg => 'HS256', key => 'hs-other', claims => { sub => 'mallory', role => 'admin', exp => $exp });
our $admin = jwt_sign(alg => 'HS256', claims => { sub => 'ann', role => 'admin', exp => $exp });
our $alice = jwt_sign(alg => 'HS256', claims => { sub => 'alice', exp => $exp });
our $bob = jwt_sign(alg => 'HS256', claims => { sub => 'bob', exp => $exp });

run_tests();

__DATA__

=== TEST 1: strings, integers, floats, booleans, arrays and objects
--- http_config
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/hs256.json;
--- config
    location /t {
        auth_jwt "api";
        add_header X-Sub $jwt_claim_sub;
        add_header X-N $jwt_claim_n;
        add_header X-Neg $jwt_claim_neg;
        add_header X-F $jwt_claim_f;
        add_header X-Big $jwt_claim_big;
        add_header X-T $jwt_claim_t;
        add_header X-No $jwt_claim_no;
        add_header X-Nul $jwt_claim_nul;
        add_header X-Missing $jwt_claim_missing;
        add_header X-Aud $jwt_claim_aud;
        add_header X-Nested $jwt_claim_nested;
        add_header X-Mixed $jwt_claim_mixed;
        add_header X-Obj $jwt_claim_obj;
        add_header X-Ctl $jwt_claim_ctl;
        alias $TEST_NGINX_HTML/ok.txt;
    }
--- user_files
>>> ok.txt
ok
--- more_headers eval
"Authorization: Bearer $::rich"
--- request
GET /t
--- response_headers
X-Sub: alice
X-N: 42
X-Neg: -7
X-F: 1.5
X-Big: 1e+300
X-T: true
X-No: false
!X-Nul
!X-Missing
X-Aud: api,cli
X-Nested: 1,2,3
X-Mixed: 1,a,,true,{"k":"v"}
X-Obj: {"z":1,"a":[2,"x"]}
X-Ctl: a\r\nX-Injected: 1
!X-Injected



=== TEST 2: empty values and missing ones in a log line
--- http_config
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/hs256.json;
    log_format v "empty=[$jwt_claim_empty] blank=[$jwt_claim_blank] nul=[$jwt_claim_nul] missing=[$jwt_claim_missing] no_prefix=[$jwt_claim_] sub=[$jwt_claim_sub]";
--- config
    access_log logs/access.log v;
    location /t {
        auth_jwt "api";
        alias $TEST_NGINX_HTML/ok.txt;
    }
--- user_files
>>> ok.txt
ok
--- more_headers eval
"Authorization: Bearer $::rich"
--- request
GET /t
--- access_log
empty=[] blank=[] nul=[-] missing=[-] no_prefix=[-] sub=[alice]



=== TEST 3: header parameters and $jwt_payload (compact JSON, token order)
--- http_config
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/hs256.json;
--- config
    location /t {
        auth_jwt "api";
        add_header X-Alg $jwt_header_alg;
        add_header X-Kid $jwt_header_kid;
        add_header X-Typ $jwt_header_typ;
        add_header X-Cty $jwt_header_cty;
        add_header X-Payload $jwt_payload;
        alias $TEST_NGINX_HTML/ok.txt;
    }
--- user_files
>>> ok.txt
ok
--- more_headers eval
"Authorization: Bearer $::small"
--- request
GET /t
--- response_headers eval
qq{X-Alg: HS256
X-Kid: hs256
X-Typ: JWT
!X-Cty
X-Payload: {"sub":"carol","exp":$::exp,"aud":["x","y"],"o":{"b":1,"a":2}}}



=== TEST 4: auth_jwt_claim_set and auth_jwt_header_set: nested and quoted names
--- http_config
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/hs256.json;
    auth_jwt_claim_set $roles realm_access roles;
    auth_jwt_claim_set $email info e-mail;
    auth_jwt_claim_set $job info "job title";
    auth_jwt_claim_set $deep info deep er x;
    auth_jwt_claim_set $deep_obj info deep;
    auth_jwt_claim_set $no_such info nothing;
    auth_jwt_claim_set $through_array list a;
    auth_jwt_claim_set $through_string sub x;
    auth_jwt_claim_set $top sub;
    auth_jwt_header_set $key_id kid;
    auth_jwt_header_set $alg_nested alg x;
--- config
    location /t {
        auth_jwt "api";
        add_header X-Roles $roles;
        add_header X-Email $email;
        add_header X-Job $job;
        add_header X-Deep $deep;
        add_header X-Deep-Obj $deep_obj;
        add_header X-No-Such $no_such;
        add_header X-Through-Array $through_array;
        add_header X-Through-String $through_string;
        add_header X-Top $top;
        add_header X-Key-Id $key_id;
        add_header X-Alg-Nested $alg_nested;
        alias $TEST_NGINX_HTML/ok.txt;
    }
--- user_files
>>> ok.txt
ok
--- more_headers eval
"Authorization: Bearer $::nested"
--- request
GET /t
--- response_headers
X-Roles: admin,user
X-Email: bob@example.com
X-Job: tester
X-Deep: 7
X-Deep-Obj: {"er":{"x":7}}
!X-No-Such
!X-Through-Array
!X-Through-String
X-Top: bob
X-Key-Id: hs256
!X-Alg-Nested



=== TEST 5: mixed case: $jwt_claim_<name> is lower-cased by nginx, auth_jwt_claim_set is exact
--- http_config
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/hs256.json;
    auth_jwt_claim_set $user_name userName;
--- config
    location /t {
        auth_jwt "api";
        add_header X-Prefix $jwt_claim_userName;
        add_header X-Set $user_name;
        alias $TEST_NGINX_HTML/ok.txt;
    }
--- user_files
>>> ok.txt
ok
--- more_headers eval
"Authorization: Bearer $::rich"
--- request
GET /t
--- response_headers
X-Prefix: lower
X-Set: Mixed



=== TEST 6: auth_jwt_claim_set needs a $variable and a name; variables are not redefined
--- http_config
    auth_jwt_claim_set roles realm_access roles;
--- must_die
--- error_log
invalid variable name "roles" in "auth_jwt_claim_set" directive



=== TEST 7: auth_jwt_claim_set with one argument
--- http_config
    auth_jwt_claim_set $roles;
--- must_die
--- error_log
invalid number of arguments in "auth_jwt_claim_set" directive



=== TEST 8: auth_jwt_claim_set is http-level only
--- config
    auth_jwt_claim_set $roles realm_access roles;
--- must_die
--- error_log
"auth_jwt_claim_set" directive is not allowed here



=== TEST 9: the same variable twice
--- http_config
    auth_jwt_claim_set $who sub;
    auth_jwt_header_set $who kid;
--- must_die
--- error_log
the duplicate "who" variable



=== TEST 10: no auth_jwt in the location: the Bearer token is decoded WITHOUT verification
--- http_config
    auth_jwt_claim_set $role role;
--- config
    location /t {
        add_header X-Sub $jwt_claim_sub;
        add_header X-Role $role;
        add_header X-Alg $jwt_header_alg;
        add_header X-Status "[$jwt_status]";
        alias $TEST_NGINX_HTML/ok.txt;
    }
--- user_files
>>> ok.txt
ok
--- more_headers eval
"Authorization: Bearer $::forged"
--- request
GET /t
--- response_headers
X-Sub: mallory
X-Role: admin
X-Alg: HS256
X-Status: []



=== TEST 11: auth_jwt off: decoded without verification too
--- http_config
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/hs256.json;
--- config
    auth_jwt "api";
    location /t {
        auth_jwt off;
        add_header X-Sub $jwt_claim_sub;
        alias $TEST_NGINX_HTML/ok.txt;
    }
--- user_files
>>> ok.txt
ok
--- more_headers eval
"Authorization: Bearer $::forged"
--- request
GET /t
--- response_headers
X-Sub: mallory



=== TEST 12: no auth_jwt: another scheme, a malformed token, or none give nothing
--- config
    location /t {
        add_header X-Sub "[$jwt_claim_sub]";
        add_header X-Payload "[$jwt_payload]";
        alias $TEST_NGINX_HTML/ok.txt;
    }
--- user_files
>>> ok.txt
ok
--- more_headers
Authorization: Basic YWxpY2U6c2VjcmV0
--- request
GET /t
--- response_headers
X-Sub: []
X-Payload: []



=== TEST 13: no auth_jwt, malformed token
--- config
    location /t {
        add_header X-Sub "[$jwt_claim_sub]";
        alias $TEST_NGINX_HTML/ok.txt;
    }
--- user_files
>>> ok.txt
ok
--- more_headers
Authorization: Bearer not.a.token
--- request
GET /t
--- response_headers
X-Sub: []



=== TEST 14: protected location, refused token: no claims, even after error_page to an unprotected location
--- http_config
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/hs256.json;
--- config
    location /t {
        auth_jwt "api";
        error_page 401 = @show;
        alias $TEST_NGINX_HTML/ok.txt;
    }
    location @show {
        return 200 "sub=[$jwt_claim_sub] header=[$jwt_header_alg] payload=[$jwt_payload] status=$jwt_status\n";
    }
--- user_files
>>> ok.txt
ok
--- more_headers eval
"Authorization: Bearer $::forged"
--- request
GET /t
--- response_body
sub=[] header=[] payload=[] status=bad_signature



=== TEST 15: protected location: claims read before the access phase are validated too
--- http_config
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/hs256.json;
--- config
    location /t {
        auth_jwt "api";
        set $early "[$jwt_claim_sub]";
        error_page 401 = @show;
        add_header X-Early $early;
        alias $TEST_NGINX_HTML/ok.txt;
    }
    location @show {
        return 200 "early=$early\n";
    }
--- user_files
>>> ok.txt
ok
--- more_headers eval
"Authorization: Bearer $::forged"
--- request
GET /t
--- response_body
early=[]



=== TEST 16: protected location, valid token: the same early read gives the claim
--- http_config
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/hs256.json;
--- config
    location /t {
        auth_jwt "api";
        set $early "[$jwt_claim_sub]";
        add_header X-Early $early;
        alias $TEST_NGINX_HTML/ok.txt;
    }
--- user_files
>>> ok.txt
ok
--- more_headers eval
"Authorization: Bearer $::alice"
--- request
GET /t
--- response_headers
X-Early: [alice]



=== TEST 17: the token= source of auth_jwt is the one the variables read
--- http_config
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/hs256.json;
--- config
    location /t {
        auth_jwt "api" token=$arg_jwt;
        add_header X-Sub $jwt_claim_sub;
        alias $TEST_NGINX_HTML/ok.txt;
    }
--- user_files
>>> ok.txt
ok
--- more_headers eval
"Authorization: Bearer $::alice"
--- request eval
"GET /t?jwt=$::bob"
--- response_headers
X-Sub: bob



=== TEST 18: a token= source that refers to a claim variable does not recurse
--- http_config
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/hs256.json;
--- config
    location /t {
        auth_jwt "api" token=$jwt_claim_tok;
        alias $TEST_NGINX_HTML/ok.txt;
    }
--- more_headers eval
"Authorization: Bearer $::alice"
--- request
GET /t
--- error_code: 401
--- no_error_log
[alert]
[crit]



=== TEST 19: map and if on claims (no auth_jwt: unverified)
--- http_config
    map $jwt_claim_role $is_admin {
        admin   yes;
        default no;
    }
--- config
    location /t {
        if ($jwt_claim_role = admin) {
            return 200 "admin via if, map=$is_admin\n";
        }
        return 200 "user via if, map=$is_admin\n";
    }
--- more_headers eval
"Authorization: Bearer $::admin"
--- request
GET /t
--- response_body
admin via if, map=yes



=== TEST 20: proxy_set_header with a claim
--- http_config
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/hs256.json;
    auth_jwt_claim_set $roles realm_access roles;
    server {
        listen unix:$TEST_NGINX_HTML/backend.sock;
        location / {
            return 200 "user=$http_x_user roles=$http_x_roles\n";
        }
    }
--- config
    location /t {
        auth_jwt "api";
        proxy_set_header X-User $jwt_claim_sub;
        proxy_set_header X-Roles $roles;
        proxy_pass http://unix:$TEST_NGINX_HTML/backend.sock:/;
    }
--- more_headers eval
"Authorization: Bearer $::nested"
--- request
GET /t
--- response_body
user=bob roles=admin,user



=== TEST 21: limit_req_zone keyed on a claim: the same sub twice is limited
--- http_config
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/hs256.json;
    limit_req_zone $jwt_claim_sub zone=per_sub:1m rate=1r/m;
    log_format rl "rl $status sub=$jwt_claim_sub";
--- config
    access_log logs/access.log rl;
    location /t {
        auth_jwt "api";
        limit_req zone=per_sub;
        alias $TEST_NGINX_HTML/ok.txt;
    }
--- user_files
>>> ok.txt
ok
--- raw_request eval
"GET /t HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer $::alice\r\n\r\n"
. "GET /t HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer $::alice\r\nConnection: close\r\n\r\n"
--- access_log
rl 200 sub=alice
rl 503 sub=alice



=== TEST 22: limit_req_zone keyed on a claim: two subs are counted apart
--- http_config
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/hs256.json;
    limit_req_zone $jwt_claim_sub zone=per_sub:1m rate=1r/m;
    log_format rl "rl $status sub=$jwt_claim_sub";
--- config
    access_log logs/access.log rl;
    location /t {
        auth_jwt "api";
        limit_req zone=per_sub;
        alias $TEST_NGINX_HTML/ok.txt;
    }
--- user_files
>>> ok.txt
ok
--- raw_request eval
"GET /t HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer $::alice\r\n\r\n"
. "GET /t HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer $::bob\r\nConnection: close\r\n\r\n"
--- access_log
rl 200 sub=alice
rl 200 sub=bob



=== TEST 23: a subrequest to a protected location (no access phase) validates the token= source
--- http_config
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/hs256.json;
--- config
    location = /page.html {
        ssi on;
        root $TEST_NGINX_HTML;
    }
    location /v {
        auth_jwt "" token=$arg_token;
        return 200 "sub=[$jwt_claim_sub]";
    }
--- user_files eval
[['page.html' => "good <!--# include virtual=\"/v?token=$::alice\" --> forged <!--# include virtual=\"/v?token=$::forged\" -->\n"]]
--- request
GET /page.html
--- response_body
good sub=[alice] forged sub=[]



=== TEST 24: the Ingress Controller's OIDC /_token_validation: auth_jwt without keys in a subrequest
--- config
    location = /page.html {
        ssi on;
        root $TEST_NGINX_HTML;
    }
    location = /_token_validation {
        internal;
        auth_jwt "" token=$arg_token;
        return 200 "sub=[$jwt_claim_sub]";
    }
--- user_files eval
[['page.html' => "<!--# include virtual=\"/_token_validation?token=$::forged\" -->\n"]]
--- request
GET /page.html
--- response_body
sub=[mallory]



=== TEST 25: DEL (0x7f) is escaped as \u007f in an object-valued claim and in $jwt_payload
--- http_config
    auth_jwt_key_file $TEST_NGINX_DATA/jwks/hs256.json;
--- config
    location /t {
        auth_jwt "api";
        add_header X-O $jwt_claim_o always;
        add_header X-P $jwt_payload always;
        empty_gif;
    }
--- more_headers eval
"Authorization: Bearer $::del"
--- request
GET /t
--- error_code: 200
--- response_headers eval
"X-O: {\"k\":\"a\\u007fb\"}\nX-P: {\"sub\":\"dan\",\"o\":{\"k\":\"a\\u007fb\"},\"exp\":$::exp}"
