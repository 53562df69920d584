# auth_jwt_zone and auth_jwt_metrics over two workers: the counters equal a scripted mix of
# requests exactly (every $jwt_status word), the page parses with prometheus_client's own
# parser and has no duplicate series, the counters survive reloads, the key set status
# (?format=json) follows a key file rotation within a second and shows a broken file's error,
# and every query of the Grafana dashboard and the alert rules names a metric the page has.
use strict;
use warnings;

use File::Copy qw(copy);
use FindBin;
use JSON::PP;
use Test::More;
use IO::Socket::INET;
use Time::HiRes qw(sleep time);

use JwtTest;
use Test::Nginx::Socket ();
use NginxRunner qw(slurp spit);

plan skip_all => 'deadlines of 1-3 s do not hold under valgrind'
    if $ENV{TEST_NGINX_USE_VALGRIND};

my $DATA = JwtTest::data_dir();
my $ROOT = "$FindBin::Bin/..";
my $work = File::Temp::tempdir('ngx-auth-jwt-metrics-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod 0755, $work;
copy("$DATA/jwks/rsa.json", "$work/api.json") or die;
chmod 0644, "$work/api.json";

sub http_block {
    my ($extra) = @_;
    $extra //= '';
    return <<"HTTP";
    auth_jwt_zone jwt_metrics 1m;
    server {
        listen 127.0.0.1:%%PORT%%;
        location /api {
            auth_jwt "api realm";
            auth_jwt_metrics_label "api";
            auth_jwt_key_file $work/api.json;
            empty_gif;
            location /api/admin {
                auth_jwt_require \$jwt_claim_admin;
                empty_gif;
            }
        }
        location /web {
            auth_jwt "web realm";
            auth_jwt_key_file $DATA/jwks/rsa.json;
            empty_gif;
        }
        location /broken {
            auth_jwt "broken";
            auth_jwt_key_file $DATA/bad/missing-comma.json;
            empty_gif;
        }
        location /remote {
            auth_jwt "remote";
            auth_jwt_key_request /_jwks;
            auth_jwt_key_cache 1h;
            empty_gif;
        }
        location /fetchfail {
            auth_jwt "fetchfail";
            auth_jwt_key_request /_down;
            empty_gif;
        }
        location = /_jwks { internal; default_type application/json; alias $DATA/jwks/rsa.json; }
        location = /_down { internal; return 503; }
        location /uncounted {
            auth_jwt "uncounted";
            auth_jwt_metrics_label off;
            auth_jwt_key_file $DATA/jwks/rsa.json;
            empty_gif;
        }
        location = /metrics { auth_jwt_metrics; }
        $extra
    }
HTTP
}

my %tok = (
    ok          => jwt_sign(alg => 'RS256', claims => { exp => now() + 3600 }),
    admin       => jwt_sign(alg => 'RS256', claims => { exp => now() + 3600, admin => 1 }),
    es          => jwt_sign(alg => 'ES256', claims => { exp => now() + 3600 }),
    expired     => jwt_sign(alg => 'RS256', claims => { exp => now() - 100 }),
    not_yet     => jwt_sign(alg => 'RS256', claims => { nbf => now() + 1000 }),
    none        => jwt_sign(alg => 'none', claims => {}),
    hs          => jwt_sign(alg => 'HS256', claims => { exp => now() + 3600 }),
);
$tok{bad_sig} = JwtTest::tamper($tok{ok});

# [path, token or undef, expected status, label, outcome, alg label]
my @mix = (
    (['/api', $tok{ok}, 200, 'api', 'ok', 'RS256']) x 4,
    (['/api/admin', $tok{admin}, 200, 'api', 'ok', 'RS256']) x 1,
    (['/api', undef, 401, 'api', 'missing', 'unknown']) x 3,
    (['/api', 'abc.def', 401, 'api', 'malformed', 'unknown']) x 2,
    (['/api', $tok{none}, 401, 'api', 'unsupported_alg', 'unknown']) x 1,
    (['/api', $tok{bad_sig}, 401, 'api', 'bad_signature', 'RS256']) x 2,
    (['/api', $tok{es}, 401, 'api', 'no_key', 'ES256']) x 2,
    (['/api', $tok{expired}, 401, 'api', 'expired', 'RS256']) x 3,
    (['/api', $tok{not_yet}, 401, 'api', 'not_yet_valid', 'RS256']) x 1,
    (['/api/admin', $tok{ok}, 401, 'api', 'require_failed', 'RS256']) x 2,
    (['/web', $tok{ok}, 200, 'web realm', 'ok', 'RS256']) x 2,
    (['/web', $tok{hs}, 401, 'web realm', 'no_key', 'HS256']) x 1,
    (['/broken', $tok{ok}, 500, 'broken', 'key_error', 'RS256']) x 2,
    (['/remote', $tok{ok}, 200, 'remote', 'ok', 'RS256']) x 3,
    (['/fetchfail', $tok{ok}, 500, 'fetchfail', 'key_fetch_error', 'RS256']) x 2,
    (['/uncounted', $tok{ok}, 200, undef]) x 2,
);
my @OUTCOMES = qw(ok missing malformed unsupported_alg bad_signature no_key expired
    not_yet_valid require_failed key_error key_fetch_error);
my @LABELS = ('api', 'web realm', 'broken', 'remote', 'fetchfail');

# Sends the mix; returns the expected counts: {"label outcome" => n}, {"label outcome alg" => n}.
sub send_mix {
    my ($n, $expected, $by_alg) = @_;
    for my $r (@mix) {
        my ($path, $token, $status, $label, $outcome, $alg) = @$r;
        my @h = defined $token ? (Authorization => "Bearer $token") : ();
        is($n->status($path, @h), $status, "$path " . ($outcome // '') . ": $status");
        next unless defined $label;    # auth_jwt_metrics_label off
        $expected->{"$label $outcome"}++;
        $by_alg->{"$label $outcome $alg"}++;
    }
}

# The page, parsed by prometheus_client: (samples, families, duplicates, raw text).
sub scrape {
    my ($n) = @_;
    my ($status, $head, $body) = $n->get('/metrics');
    is($status, 200, 'metrics page: 200');
    like($head, qr{^Content-Type: text/plain; version=0\.0\.4}mi, 'exposition content type');
    my $file = "$work/page.txt";
    spit($file, $body);
    my $json = `python3 $ROOT/t/lib/prom_parse.py < $file`;
    is($?, 0, 'prometheus_client parses the page') or diag($body);
    my $parsed = decode_json($json || '{}');
    return ($parsed->{samples} || {}, $parsed->{families} || {}, $parsed->{duplicates} || [], $body);
}

sub check_counters {
    my ($n, $expected, $by_alg, $what) = @_;
    my ($samples, $families, $duplicates) = scrape($n);
    is_deeply($duplicates, [], "$what: no duplicate series or families");
    ok(!grep(/label=uncounted/, keys %$samples), "$what: auth_jwt_metrics_label off is not counted");
    for my $label (@LABELS) {
        for my $outcome (@OUTCOMES) {
            my $key = "auth_jwt_requests_total{label=$label,outcome=$outcome}";
            is($samples->{$key}, $expected->{"$label $outcome"} // 0, "$what: $key");
        }
    }
    my $got = { map { /^auth_jwt_requests_by_alg_total\{alg=([^,]*),label=([^,]*),outcome=([^}]*)\}$/
        ? ("$2 $3 $1" => $samples->{$_}) : () } keys %$samples };
    is_deeply($got, $by_alg, "$what: requests by alg equal the mix");
    return $samples;
}

my $n = NginxRunner->new(workers => 2, http => http_block());
is(scalar(my @w = $n->worker_pids), 2, 'two workers');

my (%expected, %by_alg);
send_mix($n, \%expected, \%by_alg);
my $samples = check_counters($n, \%expected, \%by_alg, 'after the mix');

subtest 'methods' => sub {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $n->port) or die;
    print $s "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    local $/;
    like(<$s> // '', qr{^HTTP/1\.1 405}, 'POST: 405');
    $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $n->port) or die;
    print $s "HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    my $head = <$s> // '';
    like($head, qr{^HTTP/1\.1 200.*Content-Length: [1-9]}s, 'HEAD: 200 with the length');
    unlike($head, qr{auth_jwt_requests_total}, 'and no body');
};

subtest 'cache, key sources' => sub {
    my $hits = $samples->{'auth_jwt_verify_cache_hits_total{label=api}'};
    my $misses = $samples->{'auth_jwt_verify_cache_misses_total{label=api}'};
    ok(defined $hits && defined $misses, 'cache counters of the label');
    # 4 identical ok tokens over 2 workers: at most one miss per worker and token.
    cmp_ok($hits, '>=', 2, 'the repeated token was found in the cache');
    cmp_ok($hits + $misses, '>=', 4, 'every cached lookup counted');
    cmp_ok($samples->{'auth_jwt_key_fetches_total{source=/_jwks}'} // 0, '>=', 1, 'fetches counted');
    cmp_ok($samples->{'auth_jwt_key_fetch_failures_total{source=/_down}'} // 0, '>=', 1,
        'fetch failures counted');
    is($samples->{'auth_jwt_key_fetch_failures_total{source=/_jwks}'}, 0, 'no failure of the good URI');
};

subtest 'counters survive reloads' => sub {
    $n->reload;
    send_mix($n, \%expected, \%by_alg);
    check_counters($n, \%expected, \%by_alg, 'after a reload');
    # A new label: the old ones keep their counts, the new one starts at zero.
    $n->reload(http => http_block(<<'EXTRA'));
        location /extra { auth_jwt "extra"; auth_jwt_key_file /dev/null; empty_gif; }
EXTRA
    push @LABELS, 'extra';
    check_counters($n, \%expected, \%by_alg, 'after a reload that adds a label');
};

# The JSON status, decoded; waits until $check->($status) holds for every worker.
sub status_until {
    my ($timeout, $check) = @_;
    my $deadline = time + $timeout;
    my $status;
    while (1) {
        my ($code, $head, $body) = $n->get('/metrics?format=json');
        $status = eval { decode_json($body) };
        my $workers = $status ? $status->{workers} : [];
        return ($status, 1) if @$workers == 2 && !grep { !$check->($_) } @$workers;
        return ($status, 0) if time > $deadline;
        sleep 0.05;
    }
}
sub api_source {
    my ($worker) = @_;
    my ($source) = grep { $_->{source} eq "$work/api.json" } @{ $worker->{sources} || [] };
    return $source || {};
}

subtest 'key set status' => sub {
    # The workers of the last reload have fetched nothing yet: a few requests make them fetch.
    $n->status('/remote', Authorization => "Bearer $tok{ok}") for 1 .. 4;
    my ($status, $ok) = status_until(2, sub { (api_source($_[0])->{keys} || [])->[0] });
    ok($ok, 'every worker publishes its key sets') or diag(explain $status);
    my @pids = sort map { $_->{pid} } @{ $status->{workers} };
    is_deeply(\@pids, [sort $n->worker_pids], 'one entry per worker, with its pid');
    my $source = api_source($status->{workers}[0]);
    is_deeply($source->{keys}, [{ kid => 'rsa', kty => 'RSA', alg => undef, use => 'sig' }], 'kid, kty, alg, use')
        or diag(explain $source);
    is($source->{kind}, 'file', 'a key file');
    ok($source->{generation} > 0 && $source->{loaded_at} > 0, 'generation and load time');
    # Published within a quarter of a second of the fetch.
    my $remote;
    for (1 .. 40) {
        my $now = decode_json(($n->get('/metrics?format=json'))[2]);
        ($remote) = grep { $_->{source} eq '/_jwks' } map { @{ $_->{sources} } } @{ $now->{workers} };
        last if $remote;
        sleep 0.05;
    }
    ok($remote && $remote->{expires_at} >= $remote->{loaded_at} + 3600, 'a fetched set and its expiry')
        or diag(explain $status);
    my $page = encode_json($status);
    my $rsa = decode_json(slurp("$DATA/jwks/rsa.json"));
    my $modulus = $rsa->{keys} ? $rsa->{keys}[0]{n} : $rsa->{n};
    unlike($page, qr/\Q$modulus\E/, 'no key material on the page');

    my $generation = $source->{generation};
    my $start = time;
    spit("$work/api.json", slurp("$DATA/jwks/ec256.json"));
    ($status, $ok) = status_until(1, sub { (api_source($_[0])->{keys}[0] || {})->{kty} eq 'EC' });
    ok($ok, 'the rotation shows in every worker within a second') or diag(explain $status);
    note(sprintf 'rotation visible after %.3f s', time - $start);
    isnt(api_source($status->{workers}[0])->{generation}, $generation, 'a new generation');

    spit("$work/api.json", '{"keys": [');
    ($status, $ok) = status_until(3, sub { defined api_source($_[0])->{error} });
    ok($ok, 'a broken file shows its error in every worker') or diag(explain $status);
    my $broken = api_source($status->{workers}[0]);
    like($broken->{error}, qr/\S/, "the error: $broken->{error}");
    ok($broken->{error_at} > 0, 'and its time');
    is($broken->{keys}[0]{kty}, 'EC', 'the previous keys stay in force');

    my ($samples) = scrape($n);
    is($samples->{"auth_jwt_key_reloads_total{source=$work/api.json}"}, 1, 'one reload counted (not one per worker)');
    is($samples->{"auth_jwt_key_reload_failures_total{source=$work/api.json}"}, 1, 'one reload failure counted');
    is($samples->{"auth_jwt_key_set_keys{source=$work/api.json,worker=$_}"}, 1, "key count of worker $_")
        for 0, 1;
};

subtest 'a respawned worker takes over its slot' => sub {
    my ($killed) = $n->worker_pids;
    kill 'KILL', $killed;
    my ($status, $ok) = status_until(3, sub { $_[0]{pid} != $killed });
    ok($ok, 'the page shows the new worker instead of the killed one') or diag(explain $status);
    is(scalar @{ $status->{workers} }, 2, 'still two workers');
};

subtest 'every dashboard and alert query names an exported metric' => sub {
    my (undef, $families, undef, $body) = scrape($n);
    my %exported = map { $_ => 1 } $body =~ /^# TYPE (\S+)/mg;
    my $dashboard = decode_json(slurp("$ROOT/docs/grafana-dashboard.json"));
    my @exprs;
    my $walk;
    $walk = sub {
        my ($v) = @_;
        if (ref $v eq 'HASH') {
            push @exprs, $v->{expr} if defined $v->{expr} && !ref $v->{expr};
            push @exprs, $v->{definition} if defined $v->{definition} && !ref $v->{definition};
            $walk->($_) for values %$v;
        } elsif (ref $v eq 'ARRAY') { $walk->($_) for @$v }
    };
    $walk->($dashboard);
    push @exprs, slurp("$ROOT/docs/metrics.md") =~ /^\s*expr:\s*(.+)$/mg;
    cmp_ok(scalar @exprs, '>=', 6, 'the dashboard and the alert rules have queries');
    for my $expr (@exprs) {
        my @names = $expr =~ /\b(auth_jwt_[a-z_]+)/g;
        ok(@names, "names a metric: $expr");
        ok($exported{$_}, "exported: $_") for @names;
    }
};

subtest 'a changed zone size makes a new zone, as for nginx zones' => sub {
    copy("$DATA/jwks/rsa.json", "$work/api.json") or die;    # broken by the test above
    (my $bigger = http_block()) =~ s/jwt_metrics 1m/jwt_metrics 2m/;
    $n->reload(http => $bigger);
    is($n->status('/api', Authorization => "Bearer $tok{ok}"), 200, 'a request');
    my ($samples) = scrape($n);
    is($samples->{'auth_jwt_requests_total{label=api,outcome=ok}'}, 1, 'counting starts again');
    is($samples->{'auth_jwt_requests_total{label=api,outcome=expired}'}, 0, 'from zero');
};

# Only the worker this test killed may have an alert line.
my @alerts = grep { /\[(alert|crit|emerg)\]|panicked/ && !/exited on signal 9/ } split /\n/, $n->error_log;
is_deeply(\@alerts, [], 'no alerts or panics in the error log');
$n->stop;

subtest 'configuration errors' => sub {
    my @cases = (
        ['auth_jwt_zone z 100k;', qr/zone "z" is too small in "auth_jwt_zone" directive: it needs at least \d+k/],
        ['auth_jwt_zone z 1m; auth_jwt_zone y 1m;', qr/"auth_jwt_zone" directive is duplicate/],
        ['auth_jwt_zone z lots;', qr/invalid zone size "lots" in "auth_jwt_zone" directive/],
        ['server { location /m { auth_jwt_metrics; } } auth_jwt_zone z 1m;',
            qr/"auth_jwt_metrics" needs an "auth_jwt_zone" earlier in the http block/],
        ['auth_jwt_zone z 1m; server { location /m { auth_jwt_metrics on; } }',
            qr/invalid number of arguments in "auth_jwt_metrics" directive/],
        ['auth_jwt_zone z 1m; server { auth_jwt_metrics_label $host; }',
            qr/invalid label "\$host" in "auth_jwt_metrics_label" directive/],
        ['server { auth_jwt_zone z 1m; }', qr/"auth_jwt_zone" directive is not allowed here/],
        ['auth_jwt_zone z 1m; limit_req_zone $binary_remote_addr zone=z:1m rate=1r/s;',
            qr/shared memory zone "z" is already declared for a different use/],
    );
    for my $case (@cases) {
        my ($http, $error) = @$case;
        my $file = "$work/bad.conf";
        spit($file, "events {}\nhttp { $http }\n");
        my ($ok, $output) = Test::Nginx::Socket::nginx_test_config($file);
        ok(!$ok, "refused: $http");
        like($output, qr/\[emerg\] .*$error/, 'with its message') or diag($output);
    }
    # The smallest size depends on the zone's layout (the outcome words, the labels): take it
    # from the message.
    spit("$work/small.conf", "events {}\nhttp { auth_jwt_zone z 8k; }\n");
    my (undef, $small) = Test::Nginx::Socket::nginx_test_config("$work/small.conf");
    my ($least) = $small =~ /it needs at least (\d+k)/;
    ok($least, "the message names the smallest size: $least") or diag($small);
    spit("$work/good.conf", "events {}\nhttp { auth_jwt_zone z $least; server { location = /m { auth_jwt_metrics; } } }\n");
    my ($ok, $output) = Test::Nginx::Socket::nginx_test_config("$work/good.conf");
    ok($ok, 'the smallest zone the message names is accepted') or diag($output);
};

done_testing;
