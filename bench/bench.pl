#!/usr/bin/env perl
# The load part of bench/run: mints tokens, starts nginx (one worker, module loaded), drives
# it with wrk over loopback, measures the worker's CPU time, and writes CSV, a chart and a
# table. bench/run builds everything first and passes, in the environment:
#   NGINX_BIN, MODULE_SO    the release nginx and module (scripts/common.sh build_module)
#   MICROBENCH_CSV          output of `microbench --csv` (raw verification time per alg)
# and optionally BENCH_DURATION (seconds per run, default 8), BENCH_CONNECTIONS (default 8),
# BENCH_ONLY (regex over scenario names), BENCH_MEMORY=0 (skip the 1,000,000-request run),
# BENCH_OUT (default bench/out).
use strict;
use warnings;
use FindBin qw($Bin);
use lib "$Bin/../t/lib";
use File::Path qw(make_path);
use HTTP::Tiny;
use IO::Socket::INET;
use JwtTest qw(jwt_sign now);
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep);

my $root     = "$Bin/..";
my $out      = $ENV{BENCH_OUT} || "$Bin/out";
my $duration = $ENV{BENCH_DURATION} || 8;
my $conns    = $ENV{BENCH_CONNECTIONS} || 8;
my $only     = $ENV{BENCH_ONLY};
my $nginx    = $ENV{NGINX_BIN} or die "NGINX_BIN is not set (run bench/run)\n";
my $module   = $ENV{MODULE_SO} or die "MODULE_SO is not set (run bench/run)\n";
my $keys     = "$root/t/data/jwks/all.json";
my $clk_tck  = `getconf CLK_TCK` + 0 || 100;
my $ALGS_REPEATED = [qw(RS256 PS256 ES256 ES384 EdDSA HS256)];
my $ALGS_DISTINCT = [qw(RS256 PS256 ES256 ES384 EdDSA HS256)];
my $DISTINCT      = 1000;

make_path("$out/tokens", "$out/nginx/conf", "$out/nginx/logs");
chmod 0755, $out, "$out/nginx", "$out/nginx/conf", "$out/nginx/logs";

# --- raw verification times from the microbenchmark -------------------------------------
my %raw_ns;
if (my $csv = $ENV{MICROBENCH_CSV}) {
    open(my $fh, '<', $csv) or die "$csv: $!";
    my $head = <$fh>;
    while (<$fh>) {
        chomp;
        my ($alg, $raw) = split /,/;
        $raw_ns{$alg} = $raw;
    }
}

# --- tokens --------------------------------------------------------------------------------
# Minted with t/lib/JwtTest.pm (the openssl command line), valid for two days; reused while
# younger than one day, since minting 1,000 RSA/EC tokens takes a while.
sub claims {
    my ($n, $exp) = @_;
    return { iss => 'https://idp.example.com', aud => 'api', sub => "user-$n", jti => "$n",
             iat => now(), exp => $exp // now() + 2 * 86400, scope => 'read write' };
}

sub token_file {
    my ($name, $count, $mint) = @_;
    my $file = "$out/tokens/$name.txt";
    return $file if -s $file && -M $file < 1;
    print STDERR "minting $count token(s) for $name...\n";
    open(my $fh, '>', "$file.tmp") or die "$file: $!";
    print $fh $mint->($_), "\n" for 1 .. $count;
    close $fh or die "$file: $!";
    rename "$file.tmp", $file or die "$file: $!";
    return $file;
}

my %tokens;
for my $alg (@$ALGS_REPEATED) {
    $tokens{"repeated-$alg"} = token_file("repeated-$alg", 1,
        sub { jwt_sign(alg => $alg, claims => claims(0)) });
}
for my $alg (@$ALGS_DISTINCT) {
    $tokens{"distinct-$alg"} = token_file("distinct-$alg", $DISTINCT,
        sub { jwt_sign(alg => $alg, claims => claims($_[0])) });
}
# Expired 10 minutes ago, RS256: the signature must be verified before the time is looked at.
{
    my $file = "$out/tokens/expired-RS256.txt";
    open(my $fh, '>', $file) or die "$file: $!";
    print $fh jwt_sign(alg => 'RS256', claims => claims(0, now() - 600)), "\n";
    close $fh;
    $tokens{expired} = $file;
}
# Garbage shaped like a token: three base64url parts that do not decode to JSON.
$tokens{garbage} = token_file('garbage', 1, sub {
    join '.', map { JwtTest::b64url(join '', map { chr(int rand 256) } 1 .. $_) } 40, 120, 256;
});

# --- nginx -----------------------------------------------------------------------------------
my $port = do {
    my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1', LocalPort => 0)
        or die "no free port: $!";
    my $p = $s->sockport;
    close $s;
    $p;
};

sub write_conf {
    my ($with_cache) = @_;
    my $nocache = $with_cache ? 'auth_jwt_verify_cache off;' : '';
    my $small   = $with_cache ? 'auth_jwt_verify_cache 256;' : '';
    open(my $fh, '>', "$out/nginx/conf/nginx.conf") or die $!;
    print $fh <<"EOF";
# Written by bench/bench.pl.
load_module $module;
worker_processes 1;
error_log logs/error.log notice;
pid logs/nginx.pid;
events { worker_connections 1024; }
http {
    access_log off;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
    server {
        listen 127.0.0.1:$port;
        location = /none { empty_gif; }
        location = /jwt { auth_jwt "bench"; auth_jwt_key_file $keys; empty_gif; }
        location = /jwt-nocache {
            auth_jwt "bench"; auth_jwt_key_file $keys; $nocache
            empty_gif;
        }
        location = /jwt-info {
            error_log logs/info.log info;
            auth_jwt "bench"; auth_jwt_key_file $keys;
            empty_gif;
        }
        location = /jwt-small-cache {
            auth_jwt "bench"; auth_jwt_key_file $keys; $small
            empty_gif;
        }
    }
}
EOF
    close $fh;
}

my $prefix = "$out/nginx";
my @nginx  = ($nginx, '-p', "$prefix/", '-c', 'conf/nginx.conf', '-e', 'logs/error.log');
write_conf(1);
my $has_cache = system("@nginx -t -q 2>/dev/null") == 0;
if (!$has_cache) {
    write_conf(0);
    system("@nginx -t -q") == 0 or die "nginx -t failed; see $prefix/logs/error.log\n";
    print STDERR "note: this module has no auth_jwt_verify_cache; cache rows measure no cache\n";
}
unlink "$prefix/logs/error.log", "$prefix/logs/info.log";
system(@nginx) == 0 or die "nginx did not start\n";
my $master = wait_for_pid("$prefix/logs/nginx.pid");
my $worker = worker_of($master);
END { stop_nginx() }

sub stop_nginx {
    return unless $master;
    kill 'QUIT', $master;
    for (1 .. 100) { last unless kill 0, $master; sleep 0.05 }
    $master = undef;
}

sub wait_for_pid {
    my ($file) = @_;
    for (1 .. 100) {
        if (open(my $fh, '<', $file)) { my $pid = <$fh>; chomp $pid; return $pid if $pid }
        sleep 0.05;
    }
    die "nginx wrote no pid file\n";
}

sub worker_of {
    my ($ppid) = @_;
    for (1 .. 100) {
        for my $stat (glob '/proc/[0-9]*/stat') {
            open(my $fh, '<', $stat) or next;
            my $line = <$fh> // next;
            my (undef, $rest) = split /\) /, $line, 2;
            my @f = split ' ', $rest;
            return (split m{/}, $stat)[2] if $f[1] == $ppid;
        }
        sleep 0.05;
    }
    die "no nginx worker found\n";
}

# utime + stime of the worker, in seconds (/proc/<pid>/stat fields 14 and 15).
sub worker_cpu {
    open(my $fh, '<', "/proc/$worker/stat") or die "worker $worker: $!";
    my (undef, $rest) = split /\) /, scalar <$fh>, 2;
    my @f = split ' ', $rest;    # $f[0] is field 3 (state)
    return ($f[11] + $f[12]) / $clk_tck;
}

sub worker_rss_kib {
    open(my $fh, '<', "/proc/$worker/status") or die $!;
    while (<$fh>) { return $1 if /^VmRSS:\s+(\d+)/ }
    return 0;
}

sub status_of {
    my ($path, $token) = @_;
    my %h = defined $token ? (headers => { Authorization => "Bearer $token" }) : ();
    return HTTP::Tiny->new(timeout => 5)->get("http://127.0.0.1:$port$path", \%h)->{status};
}

sub first_line { open(my $fh, '<', $_[0]) or die "$_[0]: $!"; my $l = <$fh>; chomp $l; $l }

# One wrk run; returns { requests, duration_s, p50_us, p99_us, non2xx, socket_errors, cpu_s }.
sub wrk_run {
    my ($path, $tokens, $seconds, %env) = @_;
    local @ENV{ keys %env } = values %env;
    my $cpu0 = worker_cpu();
    my @cmd = ('wrk', '-t1', "-c$conns", "-d${seconds}s", '--timeout', '5s', '-s',
               "$Bin/wrk.lua", "http://127.0.0.1:$port$path", '--', $tokens // '-');
    open(my $wrk, '-|', @cmd) or die "wrk: $!";
    my %r;
    while (<$wrk>) {
        next unless s/^BENCH //;
        $r{$1} = $2 while /(\w+)=(\d+)/g;
    }
    close $wrk;
    $r{cpu_s} = worker_cpu() - $cpu0;
    die "wrk gave no result for $path\n" unless $r{requests};
    $r{duration_s} = $r{duration_us} / 1e6;
    return \%r;
}

# --- scenarios -------------------------------------------------------------------------------
# name, location, token file, expected status, alg whose raw verification is subtracted (only
# where every request verifies a signature), what the row measures.
my @scenarios = (['baseline', '/none', undef, 200, undef, 'no auth_jwt']);
for my $alg (@$ALGS_REPEATED) {
    push @scenarios, ["repeated $alg", '/jwt', $tokens{"repeated-$alg"}, 200, undef,
        $has_cache ? 'same token, verified-signature cache (default)' : 'same token'];
}
for my $alg (@$ALGS_DISTINCT) {
    push @scenarios, ["distinct $alg", '/jwt-nocache', $tokens{"distinct-$alg"}, 200, $alg,
        "$DISTINCT tokens, cache off: every request parses and verifies"];
}
push @scenarios,
    ['distinct RS256 cached', '/jwt', $tokens{'distinct-RS256'}, 200, undef,
        "$DISTINCT tokens within the default cache (1024)"],
    ['garbage (notice)', '/jwt', $tokens{garbage}, 401, undef,
        'malformed token, error_log notice'],
    ['garbage (info)', '/jwt-info', $tokens{garbage}, 401, undef,
        'malformed token, error_log info (one line per request)'],
    ['expired RS256', '/jwt', $tokens{expired}, 401, undef,
        'expired, same token (signature cached, exp checked per request)'],
    ['expired RS256 nocache', '/jwt-nocache', $tokens{expired}, 401, 'RS256',
        'expired, cache off: verify, then refuse'],
    ['baseline (end)', '/none', undef, 200, undef, 'no auth_jwt, again: drift check'];
@scenarios = grep { $_->[0] =~ /^baseline/ || $_->[0] =~ /$only/ } @scenarios if $only;

my @rows;
for my $s (@scenarios) {
    my ($name, $path, $tokens, $want, $raw_alg, $what) = @$s;
    my $got = status_of($path, defined $tokens ? first_line($tokens) : undef);
    die "$name: $path answers $got, expected $want (see $prefix/logs/error.log)\n"
        unless $got == $want;
    wrk_run($path, $tokens, 1);    # warm-up: connections, caches, the verified-token cache
    my $r = wrk_run($path, $tokens, $duration);
    printf STDERR "%-24s %8.0f req/s  worker CPU %.2f s\n", $name, $r->{requests} / $r->{duration_s},
        $r->{cpu_s};
    push @rows, { name => $name, path => $path, what => $what, raw_alg => $raw_alg,
                  want => $want, %$r };
}

# --- results -------------------------------------------------------------------------------
my @base = grep { $_->{name} =~ /^baseline/ } @rows;
my $base_cpu_us = 0;
$base_cpu_us += $_->{cpu_s} * 1e6 / $_->{requests} / @base for @base;
my $base_rpc = 1e6 / $base_cpu_us;

open(my $csv, '>', "$out/results.csv") or die $!;
print $csv join(',', qw(scenario requests duration_s req_per_s p99_ms worker_cpu_s
    req_per_worker_cpu_s ratio_to_baseline cpu_us_per_req crypto_us overhead_us non2xx)), "\n";
my @table;
for my $r (@rows) {
    my $cpu_us = $r->{cpu_s} > 0 ? $r->{cpu_s} * 1e6 / $r->{requests} : 0;
    my $rpc    = $r->{cpu_s} > 0 ? $r->{requests} / $r->{cpu_s} : 0;
    my $crypto = $r->{raw_alg} ? ($raw_ns{ $r->{raw_alg} } // 0) / 1000 : 0;
    my $is_base = $r->{name} =~ /^baseline/;
    my %v = (
        req_s    => $r->{requests} / $r->{duration_s},
        p99_ms   => $r->{p99_us} / 1000,
        rpc      => $rpc,
        ratio    => $rpc / $base_rpc,
        cpu_us   => $cpu_us,
        crypto   => $crypto,
        overhead => $is_base ? undef : $cpu_us - $base_cpu_us - $crypto,
    );
    $r->{$_} = $v{$_} for keys %v;
    printf $csv "%s,%d,%.2f,%.0f,%.2f,%.2f,%.0f,%.3f,%.2f,%.2f,%s,%d\n", $r->{name},
        $r->{requests}, $r->{duration_s}, $v{req_s}, $v{p99_ms}, $r->{cpu_s}, $rpc, $v{ratio},
        $cpu_us, $crypto, defined $v{overhead} ? sprintf('%.2f', $v{overhead}) : '',
        $r->{non2xx};
}
close $csv;

# Markdown table (pasted into README.md "Performance").
my $md = "| scenario | req/s | p99 ms | worker CPU s | req per worker CPU-s | vs baseline"
    . " | CPU µs/req | crypto µs | overhead µs |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
for my $r (@rows) {
    $md .= sprintf "| %s | %.0f | %.2f | %.2f | %.0f | %.2f | %.1f | %s | %s |\n", $r->{name},
        $r->{req_s}, $r->{p99_ms}, $r->{cpu_s}, $r->{rpc}, $r->{ratio}, $r->{cpu_us},
        $r->{crypto} ? sprintf('%.1f', $r->{crypto}) : '-',
        defined $r->{overhead} ? sprintf('%.1f', $r->{overhead}) : '-';
}
open(my $mdf, '>', "$out/results.md") or die $!;
print $mdf $md;
close $mdf;

# --- memory: worker RSS after 100,000 and after 1,000,000 requests ----------------------
my $memory = '';
if (($ENV{BENCH_MEMORY} // 1) && (!$only || 'memory' =~ /$only/)) {
    my $path  = '/jwt-small-cache';
    my $toks  = $tokens{'distinct-RS256'};
    my $label = $has_cache
        ? "$DISTINCT distinct RS256 tokens through a 256-entry cache (a miss and an eviction per request)"
        : "$DISTINCT distinct RS256 tokens";
    my $rss0 = worker_rss_kib();
    my $a = wrk_run($path, $toks, 600, BENCH_STOP_AFTER => 100_000);
    my $rss1 = worker_rss_kib();
    my $b = wrk_run($path, $toks, 900, BENCH_STOP_AFTER => 900_000);
    my $rss2 = worker_rss_kib();
    my $n1 = $a->{requests};
    my $n2 = $n1 + $b->{requests};
    $memory = sprintf "Worker RSS, %s:\n  before: %d KiB (after %d benchmark requests)\n"
        . "  after %d requests: %d KiB\n  after %d requests: %d KiB (%+.1f%%)\n", $label, $rss0,
        (eval { my $t = 0; $t += $_->{requests} for @rows; $t } // 0), $n1, $rss1, $n2, $rss2,
        100 * ($rss2 - $rss1) / $rss1;
    open(my $m, '>', "$out/memory.txt") or die $!;
    print $m $memory;
    close $m;
}

# --- chart ---------------------------------------------------------------------------------
chart() if system('command -v gnuplot >/dev/null') == 0;

sub chart {
    open(my $dat, '>', "$out/chart.dat") or die $!;
    for my $i (0 .. $#rows) {
        my $r = $rows[$i];
        (my $label = $r->{name}) =~ s/ /\\n/;
        printf $dat "%d \"%s\" %.0f %.3f\n", $i, $label, $r->{rpc}, $r->{ratio};
    }
    close $dat;
    open(my $gp, '|-', 'gnuplot') or return;
    print $gp <<"EOF";
set terminal pngcairo size 1400,640 font "sans,10"
set output "$out/results.png"
set title "ngx-auth-jwt: requests per worker CPU-second (1 worker, wrk on loopback)"
set style fill solid 0.8 border -1
set boxwidth 0.7
set yrange [0:*]
set ylabel "requests per worker CPU-second"
set y2label "ratio to baseline"
set y2range [0:1.2]
set y2tics 0.1
set ytics nomirror
set grid y
set xtics rotate by -35 font "sans,9"
set key top right
plot "$out/chart.dat" using 1:3:xtic(2) with boxes lc rgb "#4a7ebb" title "req / worker CPU-s", \\
     "" using 1:4 axes x1y2 with points pt 7 ps 1.2 lc rgb "#c0392b" title "ratio to baseline", \\
     0.9 axes x1y2 with lines dt 2 lc rgb "#c0392b" title "0.90 target"
EOF
    close $gp;
}

# --- report --------------------------------------------------------------------------------
my $cpu = `grep -m1 'model name' /proc/cpuinfo` =~ s/.*:\s*//r;
chomp $cpu;
my $load = `cat /proc/loadavg` =~ s/ \d+\/.*//r;
chomp $load;
print "\n", $md, "\n";
printf "baseline: %.1f µs of worker CPU per request (mean of %d runs: %s)\n", $base_cpu_us,
    scalar @base, join(', ', map { sprintf '%.1f', $_->{cpu_s} * 1e6 / $_->{requests} } @base);
print "crypto µs: raw verification time from the microbenchmark (rows that verify on every request)\n";
print "overhead µs: CPU µs/req - baseline - crypto\n";
print $memory, "\n" if $memory;
print "machine: $cpu, ", `nproc` =~ s/\n//r, " cores, load average $load (other processes share it)\n";
print "run: $duration s per scenario, wrk -t1 -c$conns, nginx worker_processes 1\n";
print "files: $out/results.csv, $out/results.md, $out/results.png",
    ($memory ? ", $out/memory.txt" : ''), "\n";
