# Exercises t/lib/Test/Nginx/Socket.pm itself against plain nginx (our module is not loaded
# here, even if TEST_NGINX_LOAD_MODULES is set), so a harness bug shows up apart from a bug in
# the module. t/00-harness-negative.t checks that wrong expectations do fail.

use strict;
use warnings;

BEGIN { delete $ENV{TEST_NGINX_LOAD_MODULES} }

use Test::Nginx::Socket;

plan tests => 51;    # checked exactly, so the per-block test counts stay Test::Nginx's

our $token = 'eyJhbGciOiJub25lIn0.e30.';

# TEST 5 reads a repeated request header through $http_x_foo, which nginx joins into one
# value ("a, b") only since 1.23.0; older nginx keeps the first. There that one check is
# skipped (same test count) and the rest of the block still runs.
our $joins_repeated_headers = do {
    my ($maj, $min, $pat) = `${\ nginx_binary()} -v 2>&1` =~ m{nginx/(\d+)\.(\d+)\.(\d+)}
        or die "cannot read the version of ${\ nginx_binary()}\n";
    $maj * 1_000_000 + $min * 1_000 + $pat >= 1_023_000;
};
SKIP: {
    skip 'TEST 5 - header X-Echo: nginx < 1.23.0 does not join repeated headers in $http_*', 1
        unless $joins_repeated_headers;
}

run_tests();

__DATA__

=== TEST 1: static file written by user_files
--- config
    location /t {
        alias $TEST_NGINX_HTML/ok.txt;
    }
--- user_files
>>> ok.txt
ok
--- request
GET /t
--- error_code: 200
--- response_body
ok



=== TEST 2: missing file gives 404 and an [error] line
--- log_level: info
--- request
GET /missing.txt
--- error_code: 404
--- error_log eval
[qr/\[error\] \d+#\d+: \*\d+ open\(\) ".*missing\.txt" failed/, 'No such file or directory']
--- no_error_log
[alert]



=== TEST 3: exact response headers, and an absent one
--- config
    location /t {
        add_header X-Test hello;
        alias $TEST_NGINX_HTML/ok.txt;
    }
--- user_files
>>> ok.txt
ok
--- request
GET /t
--- response_headers
X-Test: hello
Content-Type: text/plain
!X-Absent



=== TEST 4: response headers matched by regex (anchored, as in Test::Nginx)
--- config
    location /t {
        alias $TEST_NGINX_HTML/ok.txt;
    }
--- user_files
>>> ok.txt
ok
--- request
GET /t
--- response_headers_like
Server: nginx/\d+\.\d+\.\d+
Content-Length: \d



=== TEST 5: more_headers, a repeated header name, default Host
--- config
    location /t {
        add_header X-Echo $http_x_foo;
        add_header X-Host $http_host;
        alias $TEST_NGINX_HTML/ok.txt;
    }
--- user_files
>>> ok.txt
ok
--- more_headers
X-Foo: a
X-Foo: b
--- request
GET /t
--- response_headers eval
($::joins_repeated_headers ? "X-Echo: a, b\n" : '') . "X-Host: localhost"



=== TEST 6: eval sections see package main
--- config
    location /t {
        add_header X-Auth $http_authorization;
        alias $TEST_NGINX_HTML/ok.txt;
    }
--- user_files
>>> ok.txt
ok
--- more_headers eval
"Authorization: Bearer $::token"
--- request eval
"GET /t?x=" . (1 + 1)
--- response_headers eval
"X-Auth: Bearer $::token"



=== TEST 7: $TEST_NGINX_* substitution in every section
--- config
    location /t {
        add_header X-Port $TEST_NGINX_SERVER_PORT;
        add_header X-Data $TEST_NGINX_DATA;
        alias $TEST_NGINX_DATA/jwks/all.json;
    }
--- request
GET /t
--- response_headers
X-Port: $TEST_NGINX_SERVER_PORT
X-Data: $TEST_NGINX_DATA
--- response_body_like: "kty"\s*:\s*"RSA"



=== TEST 8: chunked response (SSI output has no length)
--- config
    location /ssi {
        ssi on;
        ssi_types text/plain;
        alias $TEST_NGINX_HTML/ssi.txt;
    }
--- user_files
>>> ssi.txt
a<!--# echo var="no_such_var" default="b" -->c
--- request
GET /ssi
--- response_headers
Transfer-Encoding: chunked
--- response_body
abc



=== TEST 9: HTTP/1.0 request: no chunked encoding, body until close
--- config
    location /ssi {
        ssi on;
        ssi_types text/plain;
        alias $TEST_NGINX_HTML/ssi.txt;
    }
--- user_files
>>> ssi.txt
a<!--# echo var="no_such_var" default="b" -->c
--- request
GET /ssi HTTP/1.0
--- response_headers
!Transfer-Encoding
--- response_body
abc



=== TEST 10: request body is sent with its Content-Length
--- config
    location /t {
        client_max_body_size 5;
        alias $TEST_NGINX_HTML/ok.txt;
    }
--- request
POST /t
hello world
--- error_code: 413
--- error_log
client intended to send too large body: 11 bytes



=== TEST 11: must_die: unknown directive
--- config
    foo_bar on;
--- request
GET /t
--- must_die
--- error_log
[emerg]
unknown directive "foo_bar"
--- no_error_log
[alert]



=== TEST 12: must_die: error_log as an array of regexes
--- http_config
    listen 80;
--- request
GET /t
--- must_die
--- error_log eval
[qr/\[emerg\]/, qr/"listen" directive is not allowed here in .*nginx\.conf:\d+/]



=== TEST 13: log_level notice shows startup notices
--- log_level: notice
--- request
GET /
--- error_code: 403
--- error_log
start worker process



=== TEST 14: log_level warn hides them; main_config is placed at the top level
--- main_config
    worker_rlimit_nofile 1024;
--- log_level: warn
--- request
GET /
--- error_code: 403
--- no_error_log
[notice]



=== TEST 15: timeout and a multi-line response_body_like
--- config
    location /t {
        alias $TEST_NGINX_HTML/two.txt;
    }
--- user_files
>>> two.txt
line one
line two
--- timeout: 2s
--- request
GET /t
--- response_body_like
^line one
line two$



=== TEST 16: SKIP drops a block (this one would fail)
--- SKIP
--- request
GET /
--- error_code: 999



=== TEST 17: the default root location serves the html dir
--- user_files
>>> index.html
<p>index</p>
--- request
GET /
--- response_body
<p>index</p>



=== TEST 18: HEAD response has headers but no body
--- config
    location /t {
        alias $TEST_NGINX_HTML/ok.txt;
    }
--- user_files
>>> ok.txt
ok
--- request
HEAD /t
--- response_headers
Content-Length: 3
--- response_body



=== TEST 19: access_log patterns match lines of logs/access.log
--- http_config
    log_format t "status=$status uri=$uri args=$args";
--- config
    access_log logs/access.log t;
    location /t {
        alias $TEST_NGINX_HTML/ok.txt;
    }
--- user_files
>>> ok.txt
ok
--- request
GET /t?a=1
--- access_log eval
['status=200 uri=/t args=a=1', qr/^status=200 uri=\/t /]
