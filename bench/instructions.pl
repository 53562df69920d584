#!/usr/bin/env perl
# Instructions per request, counted by callgrind: the noise-free companion of bench.pl's
# timings. On a shared VM the same microbenchmark varies from one run to the next by more
# than the module's whole overhead for the slow algorithms (bench/README.md); instruction
# counts do not vary, and they split a request exactly between the crypto library, our code,
# libc and nginx (user space only: callgrind does not see the kernel).
#
# bench/run calls it after bench.pl (which mints the tokens) with NGINX_BIN and MODULE_SO set.
# It runs nginx (one process) under callgrind, and per scenario sends CALLGRIND_WARMUP
# requests (default 200), zeroes the counters, sends CALLGRIND_REQUESTS (default 1000) over one
# connection, and dumps the counters. Writes $BENCH_OUT/instructions.{csv,md}.
use strict;
use warnings;
use FindBin qw($Bin);
use lib "$Bin/lib";
use CpuCategory qw(category);
use IO::Socket::INET;
use POSIX ();
use Time::HiRes qw(sleep);

my $out      = $ENV{BENCH_OUT} || "$Bin/out";
my $nginx    = $ENV{NGINX_BIN} or die "NGINX_BIN is not set (run bench/run)\n";
my $module   = $ENV{MODULE_SO} or die "MODULE_SO is not set (run bench/run)\n";
my $warmup   = $ENV{CALLGRIND_WARMUP} || 200;
my $requests = $ENV{CALLGRIND_REQUESTS} || 1000;
my $only     = $ENV{BENCH_ONLY};
my $keys     = "$Bin/../t/data/jwks/all.json";
my $tokens   = "$out/tokens";
my $dir      = "$out/callgrind";
my $idp_down = "$dir/idp-down";

# name, location, token file, whose instructions are the row's baseline (see bench.pl: the
# longest baseline token not longer than the row's).
my @scenarios = (
    ['baseline',      '/none', 'repeated-HS256.txt', undef],
    ['baseline long', '/none', 'repeated-RS256.txt', undef],
    ['repeated RS256', '/jwt', 'repeated-RS256.txt', 'baseline long'],
    # The same key set from a key file and from auth_jwt_key_request (fetched once, during the
    # warm-up), at locations of the same length, so that nginx's own work is the same.
    ['key file warm', '/jwt', 'repeated-RS256.txt', 'baseline long'],
    ['key request warm', '/jkr', 'repeated-RS256.txt', 'baseline long'],
    # The same keys cached for 1 s from an IdP that fails after the first fetch: every request
    # runs on the stale keys, and one now and then tries a fetch (at most once per backoff).
    ['IdP down, stale keys', '/jkd', 'repeated-RS256.txt', 'key request warm'],
    ['repeated RS256 counted', '/jwz', 'repeated-RS256.txt', 'baseline long'],
    (map { ["distinct $_->[0]", '/jwt-nocache', "distinct-$_->[0].txt", $_->[1]] }
        ['RS256', 'baseline long'], ['PS256', 'baseline long'], ['ES256', 'baseline'],
        ['ES384', 'baseline'], ['ES512', 'baseline'], ['EdDSA', 'baseline'],
        ['EdDSA-Ed448', 'baseline'], ['HS256', 'baseline']),
    ['garbage', '/jwt', 'garbage-572.txt', 'baseline long'],
);
# === Rows users live in (bench.pl makes their tokens, key set and files) ================
# The ones where time cannot tell small differences on a shared machine: a refusal on exp
# (no crypto), the 1000-key set against one key, a redirected request against the file.
push @scenarios,
    ['baseline 401 (auth_basic)', '/basic', 'repeated-RS256.txt', undef],
    ['expired flood', '/jwt-nocache', 'expired-flood-RS256.txt', 'baseline 401 (auth_basic)'],
    ['distinct RS256 1 key', '/jwt-1key-nocache', 'distinct-RS256.txt', 'baseline long'],
    ['distinct RS256 1000 keys', '/jwt-1000keys-nocache', 'distinct-RS256.txt', 'baseline long'],
    ['baseline static file', '/plain/index.html', 'repeated-RS256.txt', undef],
    ['baseline redirect', '/plain/', 'repeated-RS256.txt', undef],
    ['static file RS256 nocache', '/off/index.html', 'distinct-RS256.txt', 'baseline static file'],
    ['redirect RS256 nocache', '/off/', 'distinct-RS256.txt', 'baseline redirect'];
my $rows_users_live_in = <<"EOF";
        location = /basic { auth_basic "bench"; auth_basic_user_file $out/htpasswd; empty_gif; }
        location = /jwt-1key-nocache {
            auth_jwt "bench"; auth_jwt_key_file $Bin/../t/data/jwks/rsa.json;
            auth_jwt_verify_cache off; empty_gif;
        }
        location = /jwt-1000keys-nocache {
            auth_jwt "bench"; auth_jwt_key_file $out/keys/1000.json;
            auth_jwt_verify_cache off; empty_gif;
        }
        location /plain/ { root $out/html; }
        location /off/ {
            root $out/html;
            auth_jwt "bench"; auth_jwt_key_file $keys; auth_jwt_verify_cache off;
        }
EOF
# === end of rows users live in =========================================================
# Encrypted tokens (bench.pl mints them with jwcrypto, and their key file): each compared
# with a baseline sending the same token, so the header's length does not count. The crypto
# column is all of the decryption's cryptography (aws-lc: the key unwrap or agreement, the
# content decryption and its tag), so the overhead is the module's own work exactly.
my $jwe_keys = "$out/jwe-keys.json";
my @jwe = map { /jwe-(.+)\.txt$/ ? $1 : () } glob "$tokens/jwe-*.txt";
for my $slug (sort @jwe) {
    my $path = $slug =~ /^nested-/ ? '/jwe-nested' : '/jwe';
    push @scenarios,
        ["baseline JWE $slug", '/none', "jwe-$slug.txt", undef],
        ["repeated JWE $slug", $path, "jwe-$slug.txt", "baseline JWE $slug"],
        ["uncached JWE $slug", "$path-nocache", "jwe-$slug.txt", "baseline JWE $slug"];
}
my $jwe_locations = !@jwe ? '' : <<"EOF";
        location = /jwe {
            auth_jwt "bench"; auth_jwt_type encrypted; auth_jwt_key_file $jwe_keys; empty_gif;
        }
        location = /jwe-nocache {
            auth_jwt "bench"; auth_jwt_type encrypted; auth_jwt_key_file $jwe_keys;
            auth_jwt_verify_cache off; empty_gif;
        }
        location = /jwe-nested {
            auth_jwt "bench"; auth_jwt_type nested; auth_jwt_key_file $jwe_keys; empty_gif;
        }
        location = /jwe-nested-nocache {
            auth_jwt "bench"; auth_jwt_type nested; auth_jwt_key_file $jwe_keys;
            auth_jwt_verify_cache off; empty_gif;
        }
EOF
if ($only) {
    # The chosen rows and the rows they are compared with.
    my %keep = map { $_->[0] => 1 } grep { $_->[0] =~ /^baseline( long)?$/ || $_->[0] =~ /$only/ } @scenarios;
    $keep{ $_->[3] // '' } = 1 for grep { $keep{ $_->[0] } } @scenarios;
    @scenarios = grep { $keep{ $_->[0] } } @scenarios;
}
-s "$tokens/$_->[2]" or die "$tokens/$_->[2] is missing: run bench/run (bench.pl mints it)\n"
    for @scenarios;

system("rm -rf '$dir'") == 0 or die;
mkdir $_ or die "$_: $!" for $dir, "$dir/conf", "$dir/logs";
chmod 0755, $dir, "$dir/logs";
my $port = free_port();
open(my $conf, '>', "$dir/conf/nginx.conf") or die $!;
print $conf <<"EOF";
# Written by bench/instructions.pl: one process, so that callgrind sees every request.
load_module $module;
daemon off;
master_process off;
error_log logs/error.log notice;
pid logs/nginx.pid;
events { worker_connections 64; }
http {
    access_log off;
    keepalive_requests 1000000;
    # As in bench.pl: only "counted" is counted.
    auth_jwt_zone bench_metrics 1m;
    server {
        listen 127.0.0.1:$port;
        auth_jwt_metrics_label off;
        location = /none { empty_gif; }
        location = /jwz {
            auth_jwt "bench"; auth_jwt_key_file $keys; auth_jwt_metrics_label "bench";
            empty_gif;
        }
        location = /jwt { auth_jwt "bench"; auth_jwt_key_file $keys; empty_gif; }
        location = /jwt-nocache {
            auth_jwt "bench"; auth_jwt_key_file $keys; auth_jwt_verify_cache off;
            empty_gif;
        }
$rows_users_live_in
$jwe_locations
        location = /_jwks { internal; proxy_pass http://unix:$dir/idp.sock:/jwks.json; }
        location = /jkr {
            auth_jwt "bench"; auth_jwt_key_cache 1h; auth_jwt_key_request /_jwks;
            empty_gif;
        }
        location = /_jwks_down { internal; proxy_pass http://unix:$dir/idp.sock:/down.json; }
        location = /jkd {
            auth_jwt "bench"; auth_jwt_key_cache 1s; auth_jwt_key_request /_jwks_down;
            empty_gif;
        }
    }
    # The identity provider of the key request rows.
    server {
        listen unix:$dir/idp.sock;
        location = /jwks.json { alias $keys; }
        location = /down.json {
            if (-f $idp_down) { return 500; }
            alias $keys;
        }
    }
}
EOF
close $conf;

my $pid = fork // die "fork: $!";
if (!$pid) {
    open(STDOUT, '>', "$dir/logs/valgrind.log") or die $!;
    open(STDERR, '>&', \*STDOUT) or die $!;
    # One dump per thread: the key file watcher's thread is left out (it polls on the wall
    # clock, and under callgrind requests are ~50 times slower than that clock). So are the
    # module's timers (publishing to auth_jwt_zone, logging the watcher's events): they run
    # per interval of the wall clock, not per request, and a row that takes longer under
    # callgrind would be charged more of them.
    exec('valgrind', '--tool=callgrind', "--callgrind-out-file=$dir/callgrind.out",
         '--separate-threads=yes',
         # After --toggle-collect, which alone would turn collecting off at start.
         '--toggle-collect=*ffi::process::on_timer*', '--collect-atstart=yes', $nginx, '-p', "$dir/", '-c', 'conf/nginx.conf',
         '-e', 'logs/error.log') or POSIX::_exit(127);
}
END { if ($pid) { kill 'QUIT', $pid; waitpid $pid, 0 } }
wait_for_port($port) or die "nginx under callgrind did not start; see $dir/logs/\n";

my %rows;
for my $s (@scenarios) {
    my ($name, $path, $file) = @$s;
    if ($path eq '/jkd') {
        # One good fetch; from then on the IdP fails.
        send_requests($path, "$tokens/$file", 1);
        open(my $flag, '>', $idp_down) or die "$idp_down: $!";
        close $flag;
    }
    send_requests($path, "$tokens/$file", $warmup);
    callgrind_control('-z');
    send_requests($path, "$tokens/$file", $requests);
    my @before = glob "$dir/callgrind.out.*-01";
    callgrind_control('-d');
    my $dump = wait_for_new_dump(\@before) or die "callgrind wrote no dump for $name\n";
    my %ir = split_by_category($dump);
    $rows{$name} = { map { $_ => $ir{$_} / $requests } keys %ir };
    printf STDERR "instructions  %-22s %9.0f per request\n", $name, $rows{$name}{total};
}

# --- report ----------------------------------------------------------------------------------
my @cats = qw(crypto module libc nginx other);
open(my $csv, '>', "$out/instructions.csv") or die $!;
print $csv join(',', 'scenario', 'total', @cats, 'overhead', 'compared_with'), "\n";
my $md = "| scenario (callgrind) | instructions/req | crypto | module code | libc | nginx "
    . "| other | overhead |\n|---|---:|---:|---:|---:|---:|---:|---:|\n";
for my $s (@scenarios) {
    my ($name, undef, undef, $vs) = @$s;
    my $r = $rows{$name};
    # The overhead formula of bench.pl, in instructions: the row, minus its baseline, minus the
    # crypto.
    my $overhead = $vs ? $r->{total} - $rows{$vs}{total} - ($r->{crypto} // 0) : undef;
    printf $csv "%s,%.0f,%s,%s,%s\n", $name, $r->{total},
        join(',', map { sprintf '%.0f', $r->{$_} // 0 } @cats),
        defined $overhead ? sprintf('%.0f', $overhead) : '', $vs // '';
    $md .= sprintf "| %s | %.0f | %s | %s |\n", $name, $r->{total},
        join(' | ', map { sprintf '%.0f', $r->{$_} // 0 } @cats),
        defined $overhead ? sprintf('%.0f', $overhead) : '-';
}
close $csv;
open(my $mdf, '>', "$out/instructions.md") or die $!;
print $mdf $md;
close $mdf;
# The key request row against the key file row: the same key set, only the source differs.
if ($rows{'key request warm'} && $rows{'key file warm'}) {
    printf "key file warm / key request warm (instructions): %.3f\n",
        $rows{'key file warm'}{total} / $rows{'key request warm'}{total};
}
if ($rows{'key request warm'} && $rows{'IdP down, stale keys'}) {
    printf "key request warm / IdP down, stale keys (instructions): %.3f\n",
        $rows{'key request warm'}{total} / $rows{'IdP down, stale keys'}{total};
}
print "\n$md\noverhead: instructions/req - its baseline's - crypto (user space; callgrind,"
    . " $requests requests per row after $warmup warm-up)\n";

# --- helpers ---------------------------------------------------------------------------------
sub free_port {
    my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1', LocalPort => 0)
        or die "no free port: $!";
    return $s->sockport;
}

sub wait_for_port {
    my ($p) = @_;
    for (1 .. 600) {    # valgrind starts nginx in a few seconds; allow a minute
        return 1 if IO::Socket::INET->new(PeerAddr => "127.0.0.1:$p", Timeout => 1);
        sleep 0.1;
    }
    return 0;
}

# Exactly $n requests, one after the other over one keep-alive connection, each with the next
# token of $file, as wrk.lua formats them. Not wrk itself: it can stop early only by signalling
# itself, and a signal taken by the wrong thread once left it running for its whole duration.
sub send_requests {
    my ($path, $file, $n) = @_;
    open(my $fh, '<', $file) or die "$file: $!";
    chomp(my @tokens = grep { /\S/ } <$fh>);
    my $sock = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port", Timeout => 60)
        or die "connect to nginx: $!\n";
    for my $i (0 .. $n - 1) {
        print $sock "GET $path HTTP/1.1\r\nHost: 127.0.0.1:$port\r\n"
            . "Authorization: Bearer $tokens[$i % @tokens]\r\n\r\n";
        my $head = '';
        while (defined(my $line = <$sock>)) {
            $head .= $line;
            last if $line eq "\r\n";
        }
        $head =~ m{^HTTP/1\.1 \d{3} } or die "no response from nginx to $path\n";
        my ($length) = $head =~ /^Content-Length:\s*(\d+)/mi;
        die "response without Content-Length from $path\n" unless defined $length;
        my $body = '';
        while (length $body < $length) {
            read($sock, $body, $length - length $body, length $body) or die "short body\n";
        }
    }
    close $sock;
}

sub callgrind_control {
    my ($what) = @_;
    system("callgrind_control $what $pid >/dev/null 2>&1") == 0
        or die "callgrind_control $what failed\n";
}

sub wait_for_new_dump {
    my ($before) = @_;
    my %old = map { $_ => 1 } @$before;
    for (1 .. 300) {
        # Thread 1 is nginx's own (the one that serves requests).
        my ($new) = grep { !$old{$_} && -s $_ } glob "$dir/callgrind.out.*-01";
        return $new if $new;
        sleep 0.1;
    }
    return undef;
}

# Instructions per category from a callgrind dump. The format: "ob=" names the object and
# "fn=" the function that the following cost lines ("<line> <Ir>") belong to (their self
# cost); "cob="/"cfn=" name a callee and "calls=" is followed by one line with the inclusive
# cost of that call. Those call lines are skipped, except calls from our library (the crypto
# or our own code) into libc: malloc, memcpy and the like done for the crypto or for our code
# are counted with it, not with nginx's own libc calls. Names are compressed: "(id) name" the
# first time, "(id)" after.
sub split_by_category {
    my ($file) = @_;
    my (%names, %ir, $ob, $fn, $callee_ob, $in_call);
    open(my $fh, '<', $file) or die "$file: $!";
    while (<$fh>) {
        if (/^(c?)(ob|fn|fi|fl|fe)=\((\d+)\)(?: (.*))?$/) {
            my ($callee, $kind, $id, $name) = ($1, $2, $3, $4);
            $name = defined $name ? ($names{"$kind$id"} = $name) : $names{"$kind$id"};
            if ($callee) { $callee_ob = $name if $kind eq 'ob' }
            elsif ($kind eq 'ob') { $ob = $name }
            elsif ($kind eq 'fn') { $fn = $name }
        } elsif (/^calls=/) {
            $in_call = 1;
        } elsif (/^[+\-*]?\d*\s+(\d+)\s*$/ && defined $ob) {
            my $cost = $1;
            if ($in_call) {
                my $caller = category($ob, $fn);
                my $target = category($callee_ob // $ob, '');
                if ($target eq 'libc' && ($caller eq 'crypto' || $caller eq 'module')) {
                    $ir{$caller} += $cost;
                    $ir{libc} -= $cost;
                }
                ($in_call, $callee_ob) = (0, undef);
                next;
            }
            $ir{ category($ob, $fn) } += $cost;
            $ir{total} += $cost;
        }
    }
    return %ir;
}
