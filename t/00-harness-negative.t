# Checks that t/lib/Test/Nginx/Socket.pm reports failures: each inner .t below carries wrong
# expectations, runs as a child perl, and its TAP output must say "not ok" for exactly those.
# A harness whose checks always pass would otherwise go unnoticed.

use strict;
use warnings;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Temp ();
use Test::More;

my $lib = abs_path(dirname(__FILE__) . '/lib');
BAIL_OUT('TEST_NGINX_BINARY is not set (path of the nginx binary to test)')
    unless $ENV{TEST_NGINX_BINARY};

my $tmp = File::Temp->newdir('ngx-neg-XXXXXX', TMPDIR => 1);

# Runs one inner test file; returns (exit status, { test name => 1 for ok / 0 for not ok },
# plan line, all output).
sub run_inner {
    my ($name, $text) = @_;
    my $file = "$tmp/$name.t";
    open(my $fh, '>', $file) or die "$file: $!";
    print $fh $text;
    close $fh;
    # The inner run gets its own servroot and finds its html dir by itself.
    local $ENV{TEST_NGINX_SERVROOT} = "$tmp/$name-servroot";
    local $ENV{TEST_NGINX_TIMEOUT};
    delete local $ENV{$_} for qw(TEST_NGINX_HTML TEST_NGINX_HTML_DIR TEST_NGINX_LOAD_MODULES
                                 TEST_NGINX_SERVER_PORT HARNESS_ACTIVE);
    my $out = `"$^X" -I"$lib" "$file" 2>&1`;
    my $status = $?;
    my (%result, $plan);
    for (split /\n/, $out) {
        $result{$2} = $1 ? 0 : 1 if /^(not )?ok \d+ - (.*)$/;
        $plan = $1 if /^1\.\.(\d+)/;
    }
    return ($status, \%result, $plan, $out);
}

sub expect {
    my ($res, $out, %want) = @_;
    for my $t (sort keys %want) {
        my $got = $res->{$t};
        ok(defined $got && $got == $want{$t}, ($want{$t} ? 'passes: ' : 'fails: ') . $t)
            or diag("inner output:\n$out");
    }
}

# 1. Wrong expectations, one per kind of check.
my ($status, $res, $plan, $out) = run_inner('wrong', <<'EOT');
use Test::Nginx::Socket 'no_plan';
run_tests();
__DATA__

=== TEST 1: wrong status, body and headers
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
--- error_code: 201
--- response_headers
X-Test: bye
!X-Test
Content-Type: text/plain
--- response_body
not ok

=== TEST 2: wrong header regex and body regex
--- config
    location /t { alias $TEST_NGINX_HTML/ok.txt; }
--- user_files
>>> ok.txt
ok
--- request
GET /t
--- response_headers_like
Content-Type: text/html
--- response_body_like: ^nope

=== TEST 3: error_log line missing, no_error_log line present
--- log_level: info
--- request
GET /missing.txt
--- error_code: 404
--- error_log
this line is never logged
--- no_error_log
No such file or directory

=== TEST 4: must_die with a valid config
--- must_die
--- error_log
[emerg]

=== TEST 5: nginx fails to start
--- config
    foo_bar on;
--- request
GET /

=== TEST 6: timeout on a slow response
--- config
    location /t { limit_rate 1; alias $TEST_NGINX_HTML/big.txt; }
--- user_files
>>> big.txt
0123456789
--- timeout: 0.5
--- request
GET /t

=== TEST 7: unset environment variable
--- config
    location /t { alias $TEST_NGINX_NO_SUCH_VARIABLE; }
--- request
GET /t

=== TEST 8: access_log line missing
--- http_config
    log_format t "status=$status uri=$uri";
--- config
    access_log logs/access.log t;
--- request
GET /nothing-here
--- error_code: 404
--- access_log
status=404 uri=/nothing-here
status=200
EOT

isnt($status, 0, 'inner run with wrong expectations exits non-zero');
expect($res, $out,
    'TEST 1: wrong status, body and headers - status code ok'                         => 0,
    'TEST 1: wrong status, body and headers - header X-Test ok'                       => 0,
    'TEST 1: wrong status, body and headers - header X-Test not present in the raw headers' => 0,
    'TEST 1: wrong status, body and headers - header Content-Type ok'                 => 1,
    'TEST 1: wrong status, body and headers - response_body - response is expected'   => 0,
    'TEST 2: wrong header regex and body regex - status code ok'                      => 1,
    'TEST 2: wrong header regex and body regex - header Content-Type like ok'         => 0,
    'TEST 2: wrong header regex and body regex - response_body_like - response is expected' => 0,
    'TEST 3: error_log line missing, no_error_log line present - status code ok'      => 1,
    'TEST 3: error_log line missing, no_error_log line present - pattern "this line is never logged" matches a line in error.log' => 0,
    'TEST 3: error_log line missing, no_error_log line present - pattern "No such file or directory" does not match a line in error.log' => 0,
    'TEST 4: must_die with a valid config - die as expected (nginx kept running)'     => 0,
    'TEST 4: must_die with a valid config - pattern "[emerg]" matches a line in error.log' => 0,
    'TEST 5: nginx fails to start - nginx failed to start (exit status 1)'            => 0,
    'TEST 6: timeout on a slow response - status code ok'                             => 0,
    'TEST 7: unset environment variable - harness error'                              => 0,
    'TEST 8: access_log line missing - pattern "status=404 uri=/nothing-here" matches a line in access.log' => 1,
    'TEST 8: access_log line missing - pattern "status=200" matches a line in access.log' => 0,
);
like($out, qr/TEST 6: .*timeout reading the response/, 'the timeout is explained');
like($out, qr/TEST_NGINX_NO_SUCH_VARIABLE is not set/, 'the unset variable is named');
like($out, qr/unknown directive "foo_bar"/, 'a failed start shows nginx stderr');

# 2. ONLY: the other blocks do not run.
($status, $res, $plan, $out) = run_inner('only', <<'EOT');
use Test::Nginx::Socket 'no_plan';
run_tests();
__DATA__

=== TEST 1: would fail
--- request
GET /
--- error_code: 999

=== TEST 2: the only one
--- ONLY
--- request
GET /
--- error_code: 403
EOT
is($status, 0, 'ONLY: the failing block did not run');
is_deeply($res, { 'TEST 2: the only one - status code ok' => 1 }, 'ONLY: one test ran')
    or diag($out);

# 3. LAST, repeat_each and plan tests => repeat_each() * blocks().
($status, $res, $plan, $out) = run_inner('last', <<'EOT');
use Test::Nginx::Socket;
repeat_each(2);
plan tests => repeat_each() * blocks();
run_tests();
__DATA__

=== TEST 1: first
--- request
GET /
--- error_code: 403

=== TEST 2: last
--- LAST
--- request
GET /
--- error_code: 403

=== TEST 3: would fail
--- request
GET /
--- error_code: 999
EOT
is($status, 0, 'LAST: the blocks after it did not run') or diag($out);
is($plan, 4, 'blocks() counts the blocks up to LAST; repeat_each(2) doubles the plan');

done_testing();
