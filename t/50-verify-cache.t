# auth_jwt_verify_cache: a token seen before skips parsing and signature checking,
# and nothing else changes. Each case sends the same token several times to one running nginx
# (the cache lives in the worker), and checks that every answer is the one an uncached check
# gives: expiry while cached, auth_jwt_require and claim variables on every request, a key
# rotation, a forged twin of a cached token, eviction, and the configuration errors.

use strict;
use warnings;

use File::Copy qw(copy);
use Test::More;
use Time::HiRes qw(sleep time);

use JwtTest;
use NginxRunner qw(slurp spit);
use Test::Nginx::Socket ();

my $DATA = JwtTest::data_dir();
my $exp  = now() + 3600;

sub bearer { (Authorization => "Bearer $_[0]") }
sub status_of { my ($n, $path, $token) = @_; return $n->status($path, bearer($token)) }

subtest 'claims and auth_jwt_require on every request, cached or not' => sub {
    my $admin = jwt_sign(alg => 'ES256', claims => { sub => 'ann', role => 'admin', exp => $exp });
    my $user  = jwt_sign(alg => 'ES256', claims => { sub => 'bob', role => 'user', exp => $exp });
    my $n = NginxRunner->new(http => <<"HTTP");
    auth_jwt_key_file $DATA/jwks/all.json;
    map \$jwt_claim_role \$is_admin { admin 1; default ""; }
    server {
        listen 127.0.0.1:%%PORT%%;
        auth_jwt "api";
        add_header X-Sub \$jwt_claim_sub always;
        location /open  { empty_gif; }
        location /admin { auth_jwt_require \$is_admin error=403; empty_gif; }
    }
HTTP
    for my $round (1 .. 3) {
        my ($status, $head) = $n->get('/open', bearer($admin));
        is($status, 200, "round $round: admin on /open");
        like($head, qr/^X-Sub: ann\r?$/m, "round $round: claim variable of the cached token");
        ($status, $head) = $n->get('/open', bearer($user));
        is($status, 200, "round $round: user on /open");
        like($head, qr/^X-Sub: bob\r?$/m, "round $round: each token keeps its own claims");
        is(status_of($n, '/admin', $admin), 200, "round $round: admin on /admin");
        is(status_of($n, '/admin', $user), 403, "round $round: require refuses the cached user");
    }
    $n->stop;
};

subtest 'a token that expires while cached is refused; leeway still applies' => sub {
    # Seconds the token lives: long enough for three requests first, also under valgrind
    # (scripts/sanitize), where each takes a good part of a second.
    my $life = $ENV{TEST_NGINX_USE_VALGRIND} ? 8 : 2;
    my $n = NginxRunner->new(http => <<"HTTP");
    auth_jwt_key_file $DATA/jwks/all.json;
    server {
        listen 127.0.0.1:%%PORT%%;
        auth_jwt "api";
        location /t { empty_gif; }
        location /lenient { auth_jwt_leeway 60s; empty_gif; }
    }
HTTP
    # Minted once nginx runs, so that a slow start does not age it.
    my $token = jwt_sign(alg => 'RS256', claims => { sub => 'soon', exp => now() + $life });
    is(status_of($n, '/t', $token), 200, 'valid before exp');
    is(status_of($n, '/t', $token), 200, 'valid again (from the cache)');
    is(status_of($n, '/lenient', $token), 200, 'valid with leeway');
    my $elapsed = $n->wait_for_status(401, $life + 2, '/t', bearer($token));
    ok(defined $elapsed, 'refused once exp has passed') or diag($n->error_log);
    like($n->error_log, qr/rejected token: token expired \d+ s ago/, 'logged as expired');
    is(status_of($n, '/lenient', $token), 200, 'the leeway of the location still applies');
    $n->stop;
};

subtest 'a key rotation invalidates cached tokens' => sub {
    my $work = File::Temp::tempdir('ngx-auth-jwt-cache-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    chmod 0755, $work;
    my $file = "$work/keys.json";
    copy("$DATA/jwks/rsa.json", $file) or die $!;
    my $token = jwt_sign(alg => 'RS256', key => 'rsa', claims => { exp => $exp });
    my $n = NginxRunner->new(http => <<"HTTP");
    server {
        listen 127.0.0.1:%%PORT%%;
        location /t { auth_jwt "api"; auth_jwt_key_file $file; empty_gif; }
    }
HTTP
    is(status_of($n, '/t', $token), 200, 'accepted') for 1 .. 2;
    # Same kid "rsa", another key: the cached verification must not survive the new key set.
    spit($file, slurp("$DATA/jwks/rsa-other.json"));
    my $elapsed = $n->wait_for_status(401, 2, '/t', bearer($token));
    ok(defined $elapsed, 'refused after the key file changed') or diag($n->error_log);
    is(status_of($n, '/t', $token), 401, 'and stays refused');
    $n->stop;
};

subtest 'a key file named with variables: each name is its own key set' => sub {
    my $work = File::Temp::tempdir('ngx-auth-jwt-cache-var-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    chmod 0755, $work;
    copy("$DATA/jwks/rsa.json", "$work/a.json") or die $!;
    # Same kid "rsa", another key: a token cached for tenant a must not pass for tenant b.
    copy("$DATA/jwks/rsa-other.json", "$work/b.json") or die $!;
    my $token = jwt_sign(alg => 'RS256', key => 'rsa', claims => { exp => $exp });
    my $n = NginxRunner->new(http => <<"HTTP");
    server {
        listen 127.0.0.1:%%PORT%%;
        location /t { auth_jwt "api"; auth_jwt_key_file $work/\$arg_tenant.json; empty_gif; }
    }
HTTP
    for my $round (1 .. 2) {
        is(status_of($n, '/t?tenant=a', $token), 200, "round $round: tenant a accepts");
        is(status_of($n, '/t?tenant=b', $token), 401, "round $round: tenant b refuses");
        is(status_of($n, '/t?tenant=c', $token), 500, "round $round: no key file for tenant c");
        is(status_of($n, '/t?tenant=c', 'x.y'), 401, "round $round: tenant c, malformed token");
        is(status_of($n, '/t?tenant=', $token), 500, "round $round: empty key file name");
        is(status_of($n, '/t?tenant=a', tamper($token)), 401, "round $round: forged twin refused");
    }
    # Tenant a rotates to the other key: its cached verification must not survive.
    spit("$work/a.json", slurp("$DATA/jwks/rsa-other.json"));
    my $elapsed = $n->wait_for_status(401, 2, '/t?tenant=a', bearer($token));
    ok(defined $elapsed, 'tenant a refuses after its key file changed') or diag($n->error_log);
    is(status_of($n, '/t?tenant=a', $token), 401, 'and stays refused');
    $n->stop;
};

subtest 'a forged twin of a cached token is refused' => sub {
    my $token = jwt_sign(alg => 'HS256', claims => { sub => 'ann', exp => $exp });
    my $n = NginxRunner->new(http => <<"HTTP");
    auth_jwt_key_file $DATA/jwks/all.json;
    server {
        listen 127.0.0.1:%%PORT%%;
        location /t { auth_jwt "api"; empty_gif; }
    }
HTTP
    is(status_of($n, '/t', $token), 200, 'genuine token accepted (and cached)');
    is(status_of($n, '/t', tamper($token)), 401, 'same header and claims, other signature: 401');
    my ($h, $p, $s) = split /\./, $token;
    my $claims = JwtTest::b64url('{"sub":"root","exp":' . $exp . '}');
    is(status_of($n, '/t', "$h.$claims.$s"), 401, 'cached signature on other claims: 401');
    is(status_of($n, '/t', $token), 200, 'genuine token still accepted');
    $n->stop;
};

subtest 'sizes, eviction and off' => sub {
    my @tokens = map { jwt_sign(alg => 'EdDSA', claims => { sub => "u$_", exp => $exp }) } 1 .. 3;
    my $expired = jwt_sign(alg => 'EdDSA', claims => { sub => 'old', exp => now() - 10 });
    my $n = NginxRunner->new(http => <<"HTTP");
    auth_jwt_key_file $DATA/jwks/all.json;
    auth_jwt_verify_cache 1;
    server {
        listen 127.0.0.1:%%PORT%%;
        auth_jwt "api";
        location /one { empty_gif; }
        location /off { auth_jwt_verify_cache off; empty_gif; }
        location /big { auth_jwt_verify_cache 100000; empty_gif; }
    }
HTTP
    for my $path ('/one', '/off', '/big') {
        for my $round (1 .. 2) {
            is(status_of($n, $path, $_), 200, "$path round $round: accepted") for @tokens;
            is(status_of($n, $path, $expired), 401, "$path round $round: expired refused");
            is(status_of($n, $path, tamper($tokens[0])), 401, "$path round $round: forged refused");
        }
    }
    unlike($n->error_log, qr/\[(alert|crit|emerg)\]/, 'no alerts');
    $n->stop;
};

subtest 'configuration errors' => sub {
    my $work = File::Temp::tempdir('ngx-auth-jwt-cache-conf-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    my $conf = "$work/nginx.conf";
    for my $case (
        ['0',       qr/invalid size "0" in "auth_jwt_verify_cache" directive/],
        ['-1',      qr/invalid size "-1" in "auth_jwt_verify_cache" directive/],
        ['1k',      qr/invalid size "1k" in "auth_jwt_verify_cache" directive/],
        ['1000001', qr/invalid size "1000001" in "auth_jwt_verify_cache" directive/],
        ['on',      qr/invalid size "on" in "auth_jwt_verify_cache" directive/],
        ['64; auth_jwt_verify_cache off', qr/"auth_jwt_verify_cache" directive is duplicate/],
        ['1 2',     qr/invalid number of arguments in "auth_jwt_verify_cache" directive/],
    ) {
        my ($value, $re) = @$case;
        spit($conf, "events {}\nhttp { server { location / { auth_jwt_verify_cache $value; } } }\n");
        my ($ok, $out) = Test::Nginx::Socket::nginx_test_config($conf);
        ok(!$ok, "auth_jwt_verify_cache $value: refused");
        like($out, $re, "auth_jwt_verify_cache $value: message") or diag($out);
    }
    spit($conf, "events {}\nhttp { auth_jwt_verify_cache 64;\n"
        . "server { auth_jwt_verify_cache off; location / { auth_jwt_verify_cache 2; } } }\n");
    my ($ok, $out) = Test::Nginx::Socket::nginx_test_config($conf);
    ok($ok, 'http, server and location levels accepted') or diag($out);
};

done_testing();
