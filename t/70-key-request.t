# auth_jwt_key_request and auth_jwt_key_cache (NGINX Plus), auth_jwt_key_stale and
# auth_jwt_key_refetch: key sets fetched from an identity provider by an in-memory subrequest.
#
# The identity providers are real HTTP servers on this machine: a second server block of the
# nginx under test (on a unix socket, serving JWK Set files that the test rewrites to rotate
# keys, its access log counting the fetches), and t/lib/idp.py, started here, for the ways an
# IdP fails (slow, error statuses, a redirect, garbage, truncated, oversized, reset, gzip) and
# for HTTPS with a self-signed certificate made by the openssl command line. Tokens are minted
# by the openssl command line (JwtTest). Every check counts: fetches the IdP saw, log lines,
# statuses; none measures time.

use strict;
use warnings;

use File::Copy qw(copy);
use File::Temp ();
use FindBin ();
use IO::Select;
use IO::Socket::INET;
use JSON::PP ();
use POSIX ();
use Test::More;
use Time::HiRes qw(sleep time);

use JwtTest;
use NginxRunner qw(slurp spit quiet_log_count);
use Test::Nginx::Socket ();

my $DATA = JwtTest::data_dir();
# Under valgrind (scripts/sanitize) nginx is ~10-50 times slower: waits grow, and the refresh
# ahead cases use a cache long enough for a request to fit in its last quarter.
my $SLOW  = $ENV{TEST_NGINX_USE_VALGRIND} ? 10 : 1;
my $AHEAD = 4 * $SLOW;    # auth_jwt_key_cache of the refresh ahead cases, in seconds
my $IDP  = "$FindBin::Bin/lib/idp.py";
my $exp  = now() + 3600;
my $rsa  = jwt_sign(alg => 'RS256', claims => { sub => 'alice', exp => $exp });
my $es   = jwt_sign(alg => 'ES256', claims => { sub => 'bob', exp => $exp });

# A fresh world-readable directory (workers may run as another user).
sub workdir {
    my $dir = File::Temp::tempdir("ngx-auth-jwt-kr-XXXXXX", TMPDIR => 1, CLEANUP => !$ENV{KEEP_SERVROOT});
    chmod 0755, $dir;
    return $dir;
}

# A JWK Set with the keys of the named t/data/jwks files.
sub jwks_of {
    my $json = JSON::PP->new->canonical;
    return $json->encode({ keys => [ map { @{ $json->decode(slurp("$DATA/jwks/$_.json"))->{keys} } } @_ ] });
}

# --- idp.py ----------------------------------------------------------------------------------
my @idp_pids;
# `local $?`: waitpid would otherwise make the killed IdP's signal the test's exit status.
END { local $?; kill 'TERM', @idp_pids if @idp_pids; waitpid($_, 0) for @idp_pids }

# Starts t/lib/idp.py serving the files of $dir; returns { port, log }.
sub start_idp {
    my ($dir, %tls) = @_;
    my $tag = $tls{cert} ? 'https' : 'http';
    my ($port_file, $log) = ("$dir/idp-$tag.port", "$dir/idp-$tag.log");
    spit($log, '');
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        open STDIN, '<', '/dev/null';
        open STDERR, '>>', "$dir/idp-$tag.stderr";
        exec('python3', $IDP, '--port-file', $port_file, '--log', $log, '--dir', $dir,
             $tls{cert} ? ('--cert', $tls{cert}, '--key', $tls{key}) : ()) or POSIX::_exit(127);
    }
    push @idp_pids, $pid;
    my $deadline = time + 10;
    until (-s $port_file) {
        die "idp.py did not start: " . slurp("$dir/idp-$tag.stderr") if time > $deadline;
        sleep 0.02;
    }
    return { port => slurp($port_file) + 0, log => $log };
}

# Waits up to $timeout seconds until the log has $want matching lines; returns the count.
sub wait_fetches {
    my ($log, $re, $want, $timeout) = @_;
    my $deadline = time + $timeout * $SLOW;
    while (1) {
        my $n = grep { /$re/ } split /\n/, slurp($log);
        return $n if $n >= $want || time > $deadline;
        sleep 0.05;
    }
}

# --- HTTP ------------------------------------------------------------------------------------
sub bearer { (Authorization => "Bearer $_[0]") }

sub request_text {
    my ($method, $path, $headers, $body) = @_;
    my $req = "$method $path HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n";
    my @h = @{ $headers // [] };
    while (my ($name, $value) = splice @h, 0, 2) { $req .= "$name: $value\r\n" }
    $req .= "Content-Length: " . length($body) . "\r\n" if defined $body;
    return "$req\r\n" . ($body // '');
}

# Reads one response: (status, head, body); stops after Content-Length bytes of body, so that
# a background subrequest still holding the connection does not delay the answer.
sub read_response {
    my ($s, $timeout) = @_;
    my $buf = '';
    my $sel = IO::Select->new($s);
    my $deadline = time + ($timeout // 10) * $SLOW;
    while (1) {
        if ($buf =~ /\r\n\r\n/) {
            my ($head, $body) = split /\r\n\r\n/, $buf, 2;
            my ($len) = $head =~ /^Content-Length:\s*(\d+)/mi;
            last if defined $len && length($body) >= $len;
        }
        my $left = $deadline - time;
        last if $left <= 0 || !$sel->can_read($left);
        my $got = sysread($s, $buf, 65536, length $buf);
        last unless $got;
    }
    my ($status) = $buf =~ m{^HTTP/1\.\d (\d{3})};
    my ($head, $body) = split /\r\n\r\n/, $buf, 2;
    return ($status // 0, $head // '', $body // '');
}

sub connect_to {
    my ($n) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $n->port, Timeout => 5 * $SLOW)
        or die "connect: $!";
    return $s;
}

# One request: (status, head, body).
sub request {
    my ($n, $method, $path, $headers, $body) = @_;
    my $s = connect_to($n);
    print $s request_text($method, $path, $headers, $body);
    my @r = read_response($s);
    close $s;
    return @r;
}

sub get { my ($n, $path, @headers) = @_; return request($n, 'GET', $path, \@headers) }
sub status_of { my ($n, $path, @headers) = @_; return (get($n, $path, @headers))[0] }
sub jwt_status { my ($head) = @_; return $head =~ /^X-Jwt-Status: (\S*)\r?$/m ? $1 : '' }

# $count requests at once: every request is sent before any answer is read. Returns the
# (status, X-Jwt-Status) pairs.
sub concurrent {
    my ($n, $count, $path, @headers) = @_;
    my @socks = map { connect_to($n) } 1 .. $count;
    print $_ request_text('GET', $path, \@headers) for @socks;
    my @answers;
    for my $s (@socks) {
        my ($status, $head) = read_response($s, 15);
        push @answers, [$status, jwt_status($head)];
        close $s;
    }
    return @answers;
}

sub count_log { my ($n, $re) = @_; return scalar(() = $n->error_log =~ /$re/g) }

# The part of every configuration here that exposes $jwt_status on every answer.
my $STATUS_HEADER = 'add_header X-Jwt-Status $jwt_status always;';

# An nginx server block on a unix socket in $dir serving $dir's files: the IdP whose files a
# test rewrites. Its access log ($dir/idp.log) has one line per fetch: method, URI, the
# Content-Length the fetch carried and the request's length.
sub nginx_idp_block {
    my ($dir) = @_;
    return <<"BLOCK";
    log_format idp '\$request_method \$request_uri \$content_length \$request_length';
    server {
        listen unix:$dir/idp.sock;
        access_log $dir/idp.log idp;
        root $dir;
        # Reads the whole body (proxy does), so that \$request_length counts it.
        location = /echo { proxy_pass http://unix:$dir/idp.sock:/echoed; }
        location = /echoed { return 200 "echo\\n"; }
    }
BLOCK
}

# --- the tests -------------------------------------------------------------------------------

subtest 'valid, bad signature, no token, malformed; default no cache; cache 1h' => sub {
    my $dir = workdir();
    copy("$DATA/jwks/rsa.json", "$dir/rsa.json") or die $!;
    my $idp = nginx_idp_block($dir);
    my $n = NginxRunner->new(http => <<"HTTP");
    $idp
    server {
        listen 127.0.0.1:%%PORT%%;
        $STATUS_HEADER
        auth_jwt "api";
        location = /_keys        { internal; proxy_pass http://unix:$dir/idp.sock:/rsa.json; }
        location = /_keys_cached { internal; proxy_pass http://unix:$dir/idp.sock:/rsa.json?c; }
        location /nocache { auth_jwt_key_request /_keys; empty_gif; }
        location /cached  { auth_jwt_key_cache 1h; auth_jwt_key_request /_keys_cached; empty_gif; }
    }
HTTP
    my $log = "$dir/idp.log";
    my ($status, $head) = get($n, '/nocache', bearer($rsa));
    is($status, 200, 'valid token: 200');
    is(jwt_status($head), 'ok', '$jwt_status ok');
    is(quiet_log_count($log, qr{^GET /rsa\.json }), 1, 'one fetch');
    ($status, $head) = get($n, '/nocache', bearer(tamper($rsa)));
    is($status, 401, 'bad signature: 401');
    is(jwt_status($head), 'bad_signature', '$jwt_status bad_signature');
    like($head, qr/^WWW-Authenticate: Bearer realm="api", error="invalid_token"\r?$/m, 'challenge');
    is(quiet_log_count($log, qr{^GET /rsa\.json }), 2, 'no cache: a fetch for that request too');
    ($status, $head) = get($n, '/nocache');
    is($status, 401, 'no token: 401');
    is(jwt_status($head), 'missing', '$jwt_status missing');
    for my $bad ('x.y', 'a.b.c', 'not a token') {
        ($status, $head) = get($n, '/nocache', bearer($bad));
        is($status, 401, "malformed \"$bad\": 401");
    }
    is(quiet_log_count($log, qr{^GET /rsa\.json }), 2, 'no fetch for a missing or malformed token');
    is(status_of($n, '/nocache', bearer($rsa)), 200, "no cache, request $_: 200") for 1 .. 5;
    is(quiet_log_count($log, qr{^GET /rsa\.json }), 7, 'no cache (the default): one fetch per request');

    is(status_of($n, '/cached', bearer($rsa)), 200, "auth_jwt_key_cache 1h, request $_: 200") for 1 .. 10;
    is(status_of($n, '/cached', bearer(tamper($rsa))), 401, 'cached keys, bad signature: 401');
    is(quiet_log_count($log, qr{^GET /rsa\.json\?c }), 1, 'auth_jwt_key_cache 1h: 11 requests, 1 fetch');
    is(count_log($n, qr{\[info\].*auth_jwt: key request "/_keys_cached": 1 keys loaded}), 1,
        'one "keys loaded" line per fetch');
    unlike($n->error_log, qr/\[(alert|crit|emerg)\]/, 'no alerts');
    $n->stop;
};

subtest 'single flight: 50 concurrent requests on a cold worker, one fetch per worker' => sub {
    my $dir = workdir();
    copy("$DATA/jwks/rsa.json", "$dir/rsa.json") or die $!;
    my $idp = start_idp($dir);
    for my $workers (1, 2) {
        spit($idp->{log}, '');
        my $n = NginxRunner->new(workers => $workers, http => <<"HTTP");
    server {
        listen 127.0.0.1:%%PORT%%;
        $STATUS_HEADER
        location /_idp/ { internal; proxy_pass http://127.0.0.1:$idp->{port}/; }
        location /t {
            auth_jwt "api";
            auth_jwt_key_cache 1h;
            auth_jwt_key_request /_idp/slow/1/rsa.json;
            empty_gif;
        }
    }
HTTP
        my @answers = concurrent($n, 50, '/t', bearer($rsa));
        is(scalar(grep { $_->[0] == 200 } @answers), 50, "workers $workers: all 50 answered 200")
            or diag(explain(\@answers), $n->error_log);
        my $seen = quiet_log_count($idp->{log}, qr{^GET /slow/1/rsa\.json$});
        if ($workers == 1) {
            is($seen, 1, 'one worker: exactly 1 fetch');
        } else {
            ok($seen >= 1 && $seen <= 2, "two workers: at most 2 fetches (saw $seen)");
        }
        is(count_log($n, qr{key request "/_idp/slow/1/rsa\.json": 1 keys loaded}), $seen,
            'one "keys loaded" line per fetch, not per waiting request');
        unlike($n->error_log, qr/\[(alert|crit|emerg)\]/, 'no alerts');
        $n->stop;
    }
};

subtest 'the request that started a fetch goes away: its waiters fetch again' => sub {
    my $dir = workdir();
    copy("$DATA/jwks/rsa.json", "$dir/rsa.json") or die $!;
    my $idp = start_idp($dir);
    my $n = NginxRunner->new(http => <<"HTTP");
    server {
        listen 127.0.0.1:%%PORT%%;
        $STATUS_HEADER
        location /_idp/ { internal; proxy_pass http://127.0.0.1:$idp->{port}/; }
        location /t {
            auth_jwt "api";
            auth_jwt_key_cache 1h;
            auth_jwt_key_request /_idp/slow/1/rsa.json;
            empty_gif;
        }
    }
HTTP
    my $starter = connect_to($n);
    print $starter request_text('GET', '/t', [bearer($rsa)]);
    sleep 0.3;    # its fetch is under way
    my @waiters = map { connect_to($n) } 1 .. 3;
    print $_ request_text('GET', '/t', [bearer($rsa)]) for @waiters;
    sleep 0.3;    # they wait for the same fetch
    close $starter;
    my @statuses = map { (read_response($_, 15))[0] } @waiters;
    is_deeply(\@statuses, [200, 200, 200], 'the waiters are answered 200') or diag($n->error_log);
    my $seen = quiet_log_count($idp->{log}, qr{^GET /slow/1/rsa\.json$});
    ok($seen >= 1 && $seen <= 2, "one fetch, or one more after the first was abandoned ($seen)");
    is(status_of($n, '/t', bearer($rsa)), 200, 'the worker goes on: 200 from the cached keys');
    unlike($n->error_log, qr/key request "[^"]*" failed/, 'a client going away is no IdP failure');
    is(count_log($n, qr/key request "[^"]*": 1 keys loaded/), 1, 'one fetch reported: the one done');
    unlike($n->error_log, qr/\[(alert|crit|emerg)\]|exited on signal/, 'no alerts, no crash');
    $n->stop;
};

# The statuses of requests sent as concurrent streams of one HTTP/2 connection (nghttp).
sub h2_statuses {
    my ($n, $token, @paths) = @_;
    open(my $h2, '-|', 'nghttp', '-n', '-s', '-H', "Authorization: Bearer $token",
        map { "http://127.0.0.1:" . $n->port . $_ } @paths) or die "nghttp: $!";
    my %status = map { /^\s*\d+\s+\+\S+\s+\+\S+\s+\S+\s+(\d{3})\s+\d+\s+(\S+)\s*$/ ? ($2 => $1) : () } <$h2>;
    close $h2;
    return map { $status{$_} // 0 } @paths;
}

subtest 'HTTP/2: the streams of one connection wait for one fetch' => sub {
    plan skip_all => 'nghttp (Debian nghttp2-client) is not installed'
        unless grep { -x "$_/nghttp" } split /:/, $ENV{PATH};
    my $dir = workdir();
    copy("$DATA/jwks/rsa.json", "$dir/rsa.json") or die $!;
    my $idp = start_idp($dir);
    my $n = NginxRunner->new(http => <<"HTTP");
    server {
        # "listen ... http2" rather than "http2 on", which nginx < 1.25.1 does not know (newer
        # ones only warn that the parameter is deprecated).
        listen 127.0.0.1:%%PORT%% http2;
        auth_jwt "api";
        location /_idp/ { internal; proxy_pass http://127.0.0.1:$idp->{port}/; }
        location /t   { auth_jwt_key_cache 1h; auth_jwt_key_request /_idp/slow/1/rsa.json; empty_gif; }
        location /big { auth_jwt_key_request /_idp/after/0.5/big/100000; empty_gif; }
    }
HTTP
    my @statuses = h2_statuses($n, $rsa, map { "/t?$_" } 1 .. 20);
    is_deeply(\@statuses, [(200) x 20], '20 streams on a cold worker: all 200') or diag($n->error_log);
    is(quiet_log_count($idp->{log}, qr{^GET /slow/1/rsa\.json$}), 1, 'one fetch');
    @statuses = h2_statuses($n, $rsa, map { "/big?$_" } 1 .. 5);
    is_deeply(\@statuses, [(500) x 5], 'a key set over the buffer: every stream 500');
    is_deeply([h2_statuses($n, $rsa, '/t')], [200], 'then: 200');
    unlike($n->error_log, qr/\[(alert|crit|emerg)\]/, 'no alerts');
    $n->stop;
};

subtest 'unknown kid: one refetch after a rotation; a kid flood; refetch off' => sub {
    my $dir = workdir();
    spit("$dir/$_.json", jwks_of('rsa')) for qw(rot flood off);
    my $idp = nginx_idp_block($dir);
    my $n = NginxRunner->new(http => <<"HTTP");
    $idp
    server {
        listen 127.0.0.1:%%PORT%%;
        $STATUS_HEADER
        auth_jwt "api";
        auth_jwt_key_cache 1h;
        location /_idp/ { internal; proxy_pass http://unix:$dir/idp.sock:/; }
        location /rot   { auth_jwt_key_request /_idp/rot.json; empty_gif; }
        location /flood { auth_jwt_key_request /_idp/flood.json; empty_gif; }
        location /off   { auth_jwt_key_refetch off; auth_jwt_key_request /_idp/off.json; empty_gif; }
    }
HTTP
    my $log = "$dir/idp.log";
    for my $where (qw(rot flood off)) {
        is(status_of($n, "/$where", bearer($rsa)), 200, "/$where: RS256 token with the first keys");
    }
    # The IdP rotates: it adds the ec256 key.
    spit("$dir/$_.json", jwks_of('rsa', 'ec256')) for qw(rot flood off);
    my ($status, $head) = get($n, '/rot', bearer($es));
    is($status, 200, 'a token with the new kid: 200 after a refetch');
    is(quiet_log_count($log, qr{^GET /rot\.json }), 2, 'exactly one refetch');
    is(status_of($n, '/rot', bearer($es)), 200, 'the new kid again: 200');
    is(status_of($n, '/rot', bearer($rsa)), 200, 'the old kid still: 200');
    is(quiet_log_count($log, qr{^GET /rot\.json }), 2, 'no more fetches: the new keys are cached');

    my @random = map { jwt_sign(alg => 'HS256', kid => "random-$_-" . int(rand 1e9), claims => { exp => $exp }) } 1 .. 20;
    my @statuses = map { [get($n, '/flood', bearer($_))] } @random;
    is(scalar(grep { $_->[0] == 401 } @statuses), 20, 'a flood of 20 random kids: all 401');
    is(scalar(grep { jwt_status($_->[1]) eq 'no_key' } @statuses), 20, '$jwt_status no_key');
    is(quiet_log_count($log, qr{^GET /flood\.json }), 2, 'the flood caused exactly one more fetch');
    is(status_of($n, '/flood', bearer($es)), 200,
        'the refetch the flood caused brought the rotated keys');

    ($status, $head) = get($n, '/off', bearer($es));
    is($status, 401, 'auth_jwt_key_refetch off: the new kid is refused');
    is(jwt_status($head), 'no_key', '$jwt_status no_key');
    is(quiet_log_count($log, qr{^GET /off\.json }), 1, 'auth_jwt_key_refetch off: no refetch');
    unlike($n->error_log, qr/\[(alert|crit|emerg)\]/, 'no alerts');
    $n->stop;
};

subtest 'a failed fetch: 500, key_fetch_error, one error line per fetch' => sub {
    my $dir = workdir();
    copy("$DATA/jwks/rsa.json", "$dir/rsa.json") or die $!;
    my $idp = start_idp($dir);
    # name => [the IdP's path, the reason logged]. Each waits half a second (the /slow one
    # longer than proxy_read_timeout) so that all the concurrent requests wait for one fetch.
    my @cases = (
        ['status-500', 'after/0.5/status/500',       qr/the response status is 500/],
        ['status-404', 'after/0.5/status/404',       qr/the response status is 404/],
        ['redirect',   'after/0.5/redirect/rsa.json', qr/the response status is 302/],
        ['garbage',    'after/0.5/garbage',          qr/JWK set is not valid JSON/],
        # nginx logs "upstream prematurely closed connection" but hands over what came.
        ['truncated',  'after/0.5/truncated/rsa.json', qr/JWK set is not valid JSON/],
        ['empty',      'after/0.5/status/204',       qr/the response body is empty/],
        ['big',        'after/0.5/big/100000',       qr/the subrequest failed/],
        ['unsized-big', 'after/0.5/unsized/100000',  qr/the subrequest failed/],
        ['slow',       'slow/3/rsa.json',            qr/the response status is 504/],
        ['reset',      'after/0.5/reset',            qr/the response status is 502/],
        ['gzip',       'after/0.5/gzip/rsa.json',    qr/the response is "gzip"-encoded/],
    );
    my $locations = join "\n", map {
        "        location = /f/$_->[0] { auth_jwt_key_request /_idp/$_->[1]; empty_gif; }"
    } @cases;
    my $n = NginxRunner->new(http => <<"HTTP");
    server {
        listen 127.0.0.1:%%PORT%%;
        $STATUS_HEADER
        auth_jwt "api";
        location /_idp/ {
            internal;
            proxy_pass http://127.0.0.1:$idp->{port}/;
            proxy_read_timeout 1s;
        }
$locations
    }
HTTP
    for my $case (@cases) {
        my ($name, $path, $reason) = @$case;
        my @answers = concurrent($n, 5, "/f/$name", bearer($rsa));
        is(scalar(grep { $_->[0] == 500 } @answers), 5, "$name: 5 concurrent requests, all 500")
            or diag(explain(\@answers));
        is(scalar(grep { $_->[1] eq 'key_fetch_error' } @answers), 5,
            "$name: \$jwt_status key_fetch_error");
        my $uri = quotemeta "/_idp/$path";
        # idp.py logs a request once it has answered (the slow one after nginx gave up).
        wait_fetches($idp->{log}, qr{^GET /\Q$path\E$}, 1, 5);
        is(quiet_log_count($idp->{log}, qr{^GET /\Q$path\E$}), 1, "$name: one fetch");
        my @errors = $n->error_log =~ /^(.*\[error\].*auth_jwt: key request "$uri" failed: .*)$/mg;
        is(scalar @errors, 1, "$name: exactly one error line for the failed fetch")
            or diag($n->error_log);
        like($errors[0] // '', qr/failed: $reason.*; requests that need its keys get 500/,
            "$name: the line says why") or diag($errors[0]);
        is(count_log($n, qr{\[info\].*auth_jwt: key request "$uri" is unusable: }), 5,
            "$name: each refused request logs one info line");
    }
    unlike($n->error_log, qr/\[(alert|crit|emerg)\]/, 'no alerts');
    $n->stop;
};

subtest 'stale if error: the last good keys stay in force; auth_jwt_key_stale off' => sub {
    my $dir = workdir();
    copy("$DATA/jwks/rsa.json", "$dir/$_.json") or die $! for qw(stale nostale);
    spit("$dir/mode", "keys\n");
    my $idp = start_idp($dir);
    my $n = NginxRunner->new(http => <<"HTTP");
    server {
        listen 127.0.0.1:%%PORT%%;
        $STATUS_HEADER
        auth_jwt "api";
        auth_jwt_key_cache 1s;
        location /_idp/ { internal; proxy_pass http://127.0.0.1:$idp->{port}/; }
        location /stale   { auth_jwt_key_request /_idp/mode/stale.json; empty_gif; }
        location /nostale { auth_jwt_key_stale off; auth_jwt_key_request /_idp/mode/nostale.json; empty_gif; }
    }
HTTP
    is(status_of($n, '/stale', bearer($rsa)), 200, 'a good fetch');
    is(status_of($n, '/nostale', bearer($rsa)), 200, 'a good fetch (stale off)');
    spit("$dir/mode", "garbage\n");
    sleep 2.2;    # auth_jwt_key_cache 1s has passed
    my ($status, $head) = get($n, '/stale', bearer($rsa));
    is($status, 200, 'the IdP answers garbage, the cache has expired: still 200');
    is(jwt_status($head), 'ok', '$jwt_status ok');
    is(wait_fetches($idp->{log}, qr{^GET /mode/stale\.json$}, 2, 5), 2, 'the refresh was tried');
    like($n->error_log,
        qr{\[warn\].*auth_jwt: key request "/_idp/mode/stale\.json" failed: JWK set is not valid JSON.*; the keys fetched \d+ s ago stay in force for up to \d+ s more},
        'a warning says the stale keys stay in force');
    ($status, $head) = get($n, '/stale', bearer(tamper($rsa)));
    is($status, 401, 'stale keys still refuse a bad signature');
    ($status, $head) = get($n, '/nostale', bearer($rsa));
    is($status, 500, 'auth_jwt_key_stale off: 500');
    is(jwt_status($head), 'key_fetch_error', '$jwt_status key_fetch_error');
    like($n->error_log,
        qr{\[error\].*auth_jwt: key request "/_idp/mode/nostale\.json" failed: JWK set is not valid JSON.*; requests that need its keys get 500},
        'an error line');
    spit("$dir/mode", "keys\n");
    sleep 2.2;    # past the backoff
    is(status_of($n, '/nostale', bearer($rsa)), 200, 'the IdP is back: 200');
    unlike($n->error_log, qr/\[(alert|crit|emerg)\]/, 'no alerts');
    $n->stop;
};

subtest 'refresh ahead: in the last quarter of auth_jwt_key_cache, a background fetch' => sub {
    my $dir = workdir();
    my $bg = 1.5 * $SLOW;    # the IdP's delay: the refreshing request is answered before it
    copy("$DATA/jwks/rsa.json", "$dir/rsa.json") or die $!;
    my $idp = start_idp($dir);
    my $n = NginxRunner->new(http => <<"HTTP");
    server {
        listen 127.0.0.1:%%PORT%%;
        $STATUS_HEADER
        location /_idp/ { internal; proxy_pass http://127.0.0.1:$idp->{port}/; }
        location /t {
            auth_jwt "api";
            auth_jwt_key_cache ${AHEAD}s;
            auth_jwt_key_request /_idp/slow/$bg/rsa.json;
            empty_gif;
        }
    }
HTTP
    my $re = qr{^GET /slow/\Q$bg\E/rsa\.json$};
    is(status_of($n, '/t', bearer($rsa)), 200, 'the first request waits for the fetch: 200');
    is(wait_fetches($idp->{log}, $re, 1, 5), 1, 'one fetch');
    # The keys' age counts whole seconds of nginx's clock, the one its log lines show: the
    # last quarter of the cache time begins 3/4 of it after the second of the "keys loaded"
    # line.
    my ($y, $mo, $d, $h, $mi, $sec) = $n->error_log
        =~ m{^(\d+)/(\d+)/(\d+) (\d+):(\d+):(\d+) \[info\].* 1 keys loaded}m or die $n->error_log;
    my $fetched = POSIX::mktime($sec, $mi, $h, $d, $mo - 1, $y - 1900);
    sleep $fetched + $AHEAD * 3 / 4 + 0.3 - time;
    is(status_of($n, '/t', bearer($rsa)), 200, 'in the last quarter: 200 with the keys in hand');
    is(scalar(grep { /$re/ } split /\n/, slurp($idp->{log})), 1,
        'answered while the IdP was still on the background fetch');
    is(status_of($n, '/t', bearer($rsa)), 200, 'the next request: 200, no wait');
    is(wait_fetches($idp->{log}, $re, 2, 5), 2, 'the background fetch reached the IdP');
    is(status_of($n, '/t', bearer($rsa)), 200, "then: 200") for 1 .. 3;
    is(quiet_log_count($idp->{log}, $re), 2, 'no further fetch: the refreshed keys are fresh');
    is(count_log($n, qr{key request "/_idp/slow/\Q$bg\E/rsa\.json": 1 keys loaded}), 2,
        'both fetches loaded the keys');
    unlike($n->error_log, qr/\[(alert|crit|emerg)\]/, 'no alerts');
    $n->stop;
};

subtest 'a background refresh that fails: the keys in hand stay in force, one warning' => sub {
    my $dir = workdir();
    copy("$DATA/jwks/rsa.json", "$dir/rsa.json") or die $!;
    spit("$dir/mode", "keys\n");
    my $idp = start_idp($dir);
    my $n = NginxRunner->new(http => <<"HTTP");
    server {
        listen 127.0.0.1:%%PORT%%;
        $STATUS_HEADER
        location /_idp/ { internal; proxy_pass http://127.0.0.1:$idp->{port}/; }
        location /t {
            auth_jwt "api";
            auth_jwt_key_cache ${AHEAD}s;
            auth_jwt_key_request /_idp/mode/rsa.json;
            empty_gif;
        }
    }
HTTP
    is(status_of($n, '/t', bearer($rsa)), 200, 'a good fetch: 200');
    spit("$dir/mode", "garbage\n");
    my ($y, $mo, $d, $h, $mi, $sec) = $n->error_log
        =~ m{^(\d+)/(\d+)/(\d+) (\d+):(\d+):(\d+) \[info\].* 1 keys loaded}m or die $n->error_log;
    sleep POSIX::mktime($sec, $mi, $h, $d, $mo - 1, $y - 1900) + $AHEAD * 3 / 4 + 0.3 - time;
    is(status_of($n, '/t', bearer($rsa)), 200, 'in the last quarter: 200, a background fetch');
    is(wait_fetches($idp->{log}, qr{^GET /mode/rsa\.json$}, 2, 5), 2, 'the refresh reached the IdP');
    ok($n->wait_for_log(qr{\[warn\].*key request "/_idp/mode/rsa\.json" failed: JWK set is not valid JSON.*stay in force}, 2),
        'it failed: a warning, the keys in hand stay') or diag($n->error_log);
    is(status_of($n, '/t', bearer($rsa)), 200, "then: 200 ($_)") for 1 .. 3;
    is(count_log($n, qr{key request "/_idp/mode/rsa\.json" failed}), 1, 'one line for the one failed fetch');
    unlike($n->error_log, qr/\[(alert|crit|emerg)\]/, 'no alerts');
    $n->stop;
};

subtest 'HTTPS IdP: proxy_ssl_verify on with the trusted certificate, and a wrong one' => sub {
    my $dir = workdir();
    copy("$DATA/jwks/rsa.json", "$dir/rsa.json") or die $!;
    for my $name (qw(idp other)) {
        system("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
            . " -keyout $dir/$name.key -out $dir/$name.crt -days 2 -subj /CN=$name.test"
            . " -addext subjectAltName=DNS:$name.test 2>/dev/null") == 0
            or die "openssl req failed";
    }
    my $idp = start_idp($dir, cert => "$dir/idp.crt", key => "$dir/idp.key");
    my $n = NginxRunner->new(http => <<"HTTP");
    server {
        listen 127.0.0.1:%%PORT%%;
        $STATUS_HEADER
        auth_jwt "api";
        location /_idp/ {
            internal;
            proxy_pass https://127.0.0.1:$idp->{port}/;
            proxy_ssl_server_name on;
            proxy_ssl_name idp.test;
            proxy_ssl_verify on;
            proxy_ssl_trusted_certificate $dir/idp.crt;
        }
        # Both locations reach the same address, so they share one upstream and its cached
        # TLS session: a resumed session would skip the certificate check.
        location /_wrong/ {
            internal;
            proxy_ssl_session_reuse off;
            proxy_pass https://127.0.0.1:$idp->{port}/;
            proxy_ssl_server_name on;
            proxy_ssl_name idp.test;
            proxy_ssl_verify on;
            proxy_ssl_trusted_certificate $dir/other.crt;
        }
        location /good  { auth_jwt_key_request /_idp/keys/rsa.json; empty_gif; }
        location /wrong { auth_jwt_key_request /_wrong/keys/rsa.json; empty_gif; }
    }
HTTP
    my ($status, $head) = get($n, '/good', bearer($rsa));
    is($status, 200, 'verified certificate: 200') or diag($n->error_log);
    is(wait_fetches($idp->{log}, qr{^GET /keys/rsa\.json$}, 1, 5), 1, 'one fetch over HTTPS');
    ($status, $head) = get($n, '/wrong', bearer($rsa));
    is($status, 500, 'certificate not trusted: 500');
    is(jwt_status($head), 'key_fetch_error', '$jwt_status key_fetch_error');
    like($n->error_log, qr/upstream SSL certificate verify error/, 'nginx says why');
    like($n->error_log, qr{\[error\].*key request "/_wrong/keys/rsa\.json" failed: the response status is 502},
        'the module names the key request');
    is(quiet_log_count($idp->{log}, qr{^GET }), 1, 'nothing fetched over the untrusted connection');
    $n->stop;
};

subtest "the Ingress Controller's jwksURI policy config, unchanged (spec 7.4, 7.8 #9)" => sub {
    my $dir = workdir();
    copy("$DATA/jwks/rsa.json", "$dir/spec-keys") or die $!;
    my $idp = nginx_idp_block($dir);
    # Rendered by nginx-plus.virtualserver.tmpl for a JWT policy "jwt-policy" in namespace
    # "default" with jwksURI http://idp.spec.example.com/spec-keys and keyCache 1h. The
    # template writes ":<port>" only when the jwksURI has one. A proxy_pass with a variable
    # looks its host up among the upstream blocks first (by name, and an upstream block has
    # no port, so only a proxy_pass without a port matches it), and asks a resolver
    # otherwise: the upstream block named like the IdP's host stands in for the DNS name.
    my $n = NginxRunner->new(http => <<"HTTP");
    $idp
    upstream idp.spec.example.com { server unix:$dir/idp.sock; }
    server {
        listen 127.0.0.1:%%PORT%%;
        $STATUS_HEADER
        auth_jwt "Spec Realm API" token=\$http_token;
        auth_jwt_key_cache 1h;
        auth_jwt_key_request /_jwks_uri_server_default/jwt-policy;
        location = /_jwks_uri_server_default/jwt-policy {
            internal;
            proxy_method GET;
            proxy_set_header Content-Length "";
            proxy_ssl_server_name on;
            proxy_ssl_name sni.idp.spec.example.com;
            proxy_ssl_verify off;
            proxy_pass_request_headers off;
            proxy_pass_request_body off;
            proxy_set_header Host idp.spec.example.com;
            set \$idp_backend idp.spec.example.com;
            proxy_pass http://\$idp_backend/spec-keys;
        }
        location /tea { empty_gif; }
    }
HTTP
    my ($status, $head, $body) = get($n, '/tea');
    is($status, 401, '#9: no token: 401');
    like($body, qr/Authorization Required/, '#1: the body says "Authorization Required"');
    is(quiet_log_count("$dir/idp.log", qr{^GET /spec-keys }), 0, 'no fetch without a token');
    is(status_of($n, '/tea', token => $rsa), 200, "#9: token in the \"token\" header: 200 ($_)") for 1 .. 3;
    is(status_of($n, '/tea', token => tamper($rsa)), 401, '#3: invalid token: 401');
    is(status_of($n, '/tea', bearer($rsa)), 401, 'a Bearer header is not the token= source: 401');
    is(quiet_log_count("$dir/idp.log", qr{^GET /spec-keys }), 1, 'keyCache 1h: one fetch');
    unlike($n->error_log, qr/\[(alert|crit|emerg)\]/, 'no alerts');
    $n->stop;
};

subtest 'a URI with variables: each tenant its own key set' => sub {
    my $dir = workdir();
    mkdir "$dir/tenants";
    chmod 0755, "$dir/tenants";
    # Same kid "rsa", another key: tenant a's token must not pass for tenant b.
    copy("$DATA/jwks/rsa.json", "$dir/tenants/a.json") or die $!;
    copy("$DATA/jwks/rsa-other.json", "$dir/tenants/b.json") or die $!;
    my $idp = nginx_idp_block($dir);
    my $n = NginxRunner->new(http => <<"HTTP");
    $idp
    server {
        listen 127.0.0.1:%%PORT%%;
        $STATUS_HEADER
        location /_jwks/ { internal; proxy_pass http://unix:$dir/idp.sock:/tenants/; }
        location /t {
            auth_jwt "api";
            auth_jwt_key_cache 1h;
            auth_jwt_key_request /_jwks/\$arg_tenant.json;
            empty_gif;
        }
    }
HTTP
    my $other = jwt_sign(alg => 'RS256', key => 'rsa-other', claims => { exp => $exp });
    for my $round (1 .. 2) {
        is(status_of($n, '/t?tenant=a', bearer($rsa)), 200, "round $round: tenant a's token for tenant a");
        is(status_of($n, '/t?tenant=b', bearer($rsa)), 401, "round $round: tenant a's token for tenant b");
        is(status_of($n, '/t?tenant=b', bearer($other)), 200, "round $round: tenant b's token for tenant b");
        is(status_of($n, '/t?tenant=a', bearer($other)), 401, "round $round: tenant b's token for tenant a");
        my ($status, $head) = get($n, '/t?tenant=c', bearer($rsa));
        is($status, 500, "round $round: no key set for tenant c: 500");
        is(jwt_status($head), 'key_fetch_error', "round $round: key_fetch_error");
    }
    is(quiet_log_count("$dir/idp.log", qr{^GET /tenants/a\.json }), 1, 'tenant a: one fetch');
    is(quiet_log_count("$dir/idp.log", qr{^GET /tenants/b\.json }), 1, 'tenant b: one fetch');
    like($n->error_log, qr{key request "/_jwks/c\.json" failed: the response status is 404},
        'tenant c: the evaluated URI is named');
    $n->stop;
};

subtest 'key files and key requests combined; inheritance as for key files; a POST body' => sub {
    my $dir = workdir();
    copy("$DATA/jwks/rsa.json", "$dir/rsa.json") or die $!;
    copy("$DATA/jwks/ed25519.json", "$dir/ed25519.json") or die $!;
    my $idp = nginx_idp_block($dir);
    my $ed = jwt_sign(alg => 'EdDSA', claims => { exp => $exp });
    my $hs = jwt_sign(alg => 'HS256', claims => { exp => $exp });
    my $n = NginxRunner->new(http => <<"HTTP");
    $idp
    server {
        listen 127.0.0.1:%%PORT%%;
        $STATUS_HEADER
        auth_jwt "api";
        auth_jwt_key_cache 1h;
        # Tokens here name kids the key sets lack; refetching for them is tested above.
        auth_jwt_key_refetch off;
        auth_jwt_key_request /_idp/rsa.json;
        location /_idp/ { internal; proxy_pass http://unix:$dir/idp.sock:/; }
        location /inherit { empty_gif; }
        location /combined {
            auth_jwt_key_file $DATA/jwks/ec256.json;
            auth_jwt_key_request /_idp/ed25519.json;
            empty_gif;
        }
        location /file { auth_jwt_key_file $DATA/jwks/hs256.json; empty_gif; }
        location /post {
            auth_jwt_key_request /_idp/rsa.json?post;
            proxy_pass http://unix:$dir/idp.sock:/echo;
        }
    }
HTTP
    is(status_of($n, '/inherit', bearer($rsa)), 200, "the server's key request is inherited");
    is(status_of($n, '/inherit', bearer($es)), 401, '... and only its keys');
    is(status_of($n, '/combined', bearer($es)), 200, 'combined: a key of the key file');
    is(status_of($n, '/combined', bearer($ed)), 200, 'combined: a key of the key request');
    is(status_of($n, '/combined', bearer($rsa)), 401, "combined: not the server's key request");
    is(status_of($n, '/file', bearer($hs)), 200, "a level's key file replaces the inherited key request");
    is(status_of($n, '/file', bearer($rsa)), 401, '... the inherited keys do not apply there');
    my $log = "$dir/idp.log";
    is(quiet_log_count($log, qr{^GET /rsa\.json }), 1, "one fetch for the server's key request");
    is(quiet_log_count($log, qr{^GET /ed25519\.json }), 1, "one fetch for the location's key request");

    # The POST arrives while the keys are not in hand yet: its body waits in the connection
    # until the fetch is done, then goes to the upstream. The fetch itself carries no body.
    my $body = 'x' x 20000;
    my ($status, $head) = request($n, 'POST', '/post', [bearer($rsa)], $body);
    is($status, 200, 'a POST with a body on a cold key set: 200');
    my @lines = grep { m{^GET /rsa\.json\?post } } split /\n/, slurp($log);
    is(scalar @lines, 1, 'one fetch');
    my ($fetch_length, $fetch_bytes) = ($lines[0] // '') =~ /^\S+ \S+ (\S+) (\d+)$/;
    is($fetch_length, '-', 'the fetch sent no Content-Length') or diag($lines[0]);
    cmp_ok($fetch_bytes // 1e9, '<', length $body, 'the fetch did not carry the body');
    wait_fetches($log, qr{^POST /echo }, 1, 5);
    my ($post) = grep { m{^POST /echo } } split /\n/, slurp($log);
    like($post // '', qr{^POST /echo 20000 \d+$}, 'the POST reached the upstream with its body');
    cmp_ok((($post // '') =~ /(\d+)$/)[0] // 0, '>', length $body, '... all of it');
    unlike($n->error_log, qr/\[(alert|crit|emerg)\]/, 'no alerts');
    $n->stop;
};

subtest 'configuration errors' => sub {
    my $dir = workdir();
    my $conf = "$dir/nginx.conf";
    for my $case (
        ['auth_jwt_key_request keys.json;', qr/\[emerg\].*invalid URI "keys\.json" in "auth_jwt_key_request" directive/],
        ['auth_jwt_key_cache 1h; auth_jwt_key_cache 2h;', qr/\[emerg\].*"auth_jwt_key_cache" directive is duplicate/],
        ['auth_jwt_key_cache soon;', qr/\[emerg\].*invalid value "soon" in "auth_jwt_key_cache" directive/],
        ['auth_jwt_key_cache off;', qr/\[emerg\].*invalid value "off" in "auth_jwt_key_cache" directive/],
        ['auth_jwt_key_stale 1h; auth_jwt_key_stale off;', qr/\[emerg\].*"auth_jwt_key_stale" directive is duplicate/],
        ['auth_jwt_key_refetch never;', qr/\[emerg\].*invalid value "never" in "auth_jwt_key_refetch" directive/],
        ['auth_jwt_key_request;', qr/\[emerg\].*invalid number of arguments in "auth_jwt_key_request" directive/],
    ) {
        my ($directives, $re) = @$case;
        spit($conf, "events {}\nhttp { server { location / { $directives } } }\n");
        my ($ok, $out) = Test::Nginx::Socket::nginx_test_config($conf);
        ok(!$ok, "$directives refused");
        like($out, $re, "$directives: message") or diag($out);
    }
    spit($conf, "events {}\nhttp { auth_jwt_key_cache 1h; auth_jwt_key_stale off; auth_jwt_key_refetch 10s;\n"
        . "  auth_jwt_key_request /k;\n"
        . "  server { auth_jwt_key_cache 5m; auth_jwt_key_request /a; auth_jwt_key_request /b;\n"
        . "    location / { auth_jwt_key_cache 0; auth_jwt_key_refetch off; auth_jwt_key_stale 1d;\n"
        . "      auth_jwt_key_request /k/\$host; limit_except GET { auth_jwt_key_request /l; } } } }\n");
    my ($ok, $out) = Test::Nginx::Socket::nginx_test_config($conf);
    ok($ok, 'every level, several key requests, variables, off') or diag($out);
};

done_testing();
