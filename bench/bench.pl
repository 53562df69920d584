#!/usr/bin/env perl
# The load part of bench/run: mints tokens, starts nginx (one worker, module loaded), drives
# it with wrk over loopback, measures the worker's CPU time, and writes CSV, a chart and a
# table. bench/run builds everything first and passes, in the environment:
#   NGINX_BIN, MODULE_SO    the release nginx and module (scripts/common.sh build_module)
#   MICROBENCH_CSV          output of `microbench --csv` (raw verification time per alg)
# and optionally BENCH_DURATION (seconds per run, default 5), BENCH_ROUNDS (default 3: every
# scenario runs once per round, rounds interleave, the run with the least worker CPU per
# request is kept), BENCH_CONNECTIONS (default 8), BENCH_ONLY (regex over scenario names),
# BENCH_MEMORY=0 (skip the 1,000,000-request run), BENCH_PROFILE=0 (skip perf), BENCH_PIN
# (shared, split or off; see below),
# BENCH_OUT (default bench/out). See bench/README.md.
use strict;
use warnings;
use FindBin qw($Bin);
use lib "$Bin/../t/lib", "$Bin/lib";
use CpuCategory qw(category);
use File::Path qw(make_path);
use HTTP::Tiny;
use IO::Socket::INET;
use JwtTest qw(jwt_sign now);
use POSIX ();
use Time::HiRes qw(sleep);

my $root     = "$Bin/..";
my $out      = $ENV{BENCH_OUT} || "$Bin/out";
my $duration = $ENV{BENCH_DURATION} || 5;
my $rounds   = $ENV{BENCH_ROUNDS} || 3;
my $conns    = $ENV{BENCH_CONNECTIONS} || 8;
my $only     = $ENV{BENCH_ONLY};
my $nginx    = $ENV{NGINX_BIN} or die "NGINX_BIN is not set (run bench/run)\n";
my $module   = $ENV{MODULE_SO} or die "MODULE_SO is not set (run bench/run)\n";
my $keys     = "$root/t/data/jwks/all.json";
my $clk_tck  = `getconf CLK_TCK` + 0 || 100;
my $ALGS_REPEATED = [qw(RS256 PS256 ES256 ES384 EdDSA HS256)];
my $ALGS_DISTINCT = [qw(RS256 PS256 ES256 ES384 ES512 EdDSA EdDSA-Ed448 HS256)];
my $DISTINCT      = 1000;
# Where the worker and wrk run (BENCH_PIN):
#   shared (default)  both on CPU 0, wrk at the idle scheduling class (chrt --idle).
#   split             the worker on CPU 0, wrk on CPU 1.
#   off               wherever the scheduler puts them.
# Why shared: the cost measured is the worker's CPU time, and part of it is the kernel waking
# wrk, which depends on how wrk and the worker take turns, not on the module. Measured on the
# 2-vCPU benchmark VM with perf (the figures are in bench/README.md, "Knobs"):
# - unpinned or split, a worker that answers slowly finds wrk asleep on the other CPU, and
#   each response's wake-up is an inter-processor interrupt charged to the worker as kernel
#   time (sock_def_readable -> _raw_spin_unlock_irqrestore); the fast baseline keeps wrk busy
#   and mostly does not pay it, so it would be counted as module overhead;
# - on one CPU at the normal class, each response lets wrk preempt a slow worker, far more often
#   than the baseline, a context switch charged to the worker;
# - on one CPU with wrk at the idle class, wrk runs only when the worker waits for events: it
#   takes every response and sends the next requests in one go, whatever the row, and the
#   worker's kernel time per request was the same for the baseline and for distinct RS256. A
#   remote client is woken by nobody's CPU but its own.
my $pin = $ENV{BENCH_PIN} // 'shared';
$pin = 'off' if $pin eq '0' || ($pin eq 'split' && `nproc` < 2);
die "BENCH_PIN must be shared, split or off\n" unless $pin =~ /^(shared|split|off)$/;

make_path("$out/tokens", "$out/nginx/conf", "$out/nginx/logs");
chmod 0755, $out, "$out/nginx", "$out/nginx/conf", "$out/nginx/logs";

# --- raw verification times from the microbenchmark -------------------------------------
# $raw_ns{$alg}: one signature verified again and again; $raw_ns{"$alg distinct"}: 1,000
# distinct signatures in turn (what the "distinct" rows send).
my %raw_ns;
if (my $csv = $ENV{MICROBENCH_CSV}) {
    open(my $fh, '<', $csv) or die "$csv: $!";
    my @head = split /,/, scalar <$fh> =~ s/\s+$//r;
    while (<$fh>) {
        chomp;
        my %col;
        @col{@head} = split /,/;
        $raw_ns{ $col{alg} } = $col{raw_verify_ns};
        $raw_ns{"$col{alg} distinct"} = $col{raw_verify_distinct_ns} // $col{raw_verify_ns};
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
for my $name (@$ALGS_DISTINCT) {
    my ($alg, $key) = $name eq 'EdDSA-Ed448' ? ('EdDSA', 'ed448') : ($name, undef);
    $tokens{"distinct-$name"} = token_file("distinct-$name", $DISTINCT,
        sub { jwt_sign(alg => $alg, key => $key // JwtTest::default_key($alg), claims => claims($_[0])) });
}
# Expired 10 minutes ago, RS256: the signature must be verified before the time is looked at.
{
    my $file = "$out/tokens/expired-RS256.txt";
    open(my $fh, '>', $file) or die "$file: $!";
    print $fh jwt_sign(alg => 'RS256', claims => claims(0, now() - 600)), "\n";
    close $fh;
    $tokens{expired} = $file;
}
# Garbage shaped like a token, as long as an RS256 token: three base64url parts that do not
# decode to JSON.
$tokens{garbage} = token_file('garbage-572', 1, sub {
    join '.', map { JwtTest::b64url(join '', map { chr(int rand 256) } 1 .. $_) } 40, 130, 256;
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
    my $affinity = $pin eq 'off' ? '' : 'worker_cpu_affinity 01;';
    my $nocache = $with_cache ? 'auth_jwt_verify_cache off;' : '';
    my $small   = $with_cache ? 'auth_jwt_verify_cache 256;' : '';
    open(my $fh, '>', "$out/nginx/conf/nginx.conf") or die $!;
    print $fh <<"EOF";
# Written by bench/bench.pl.
load_module $module;
worker_processes 1;
$affinity
error_log logs/error.log notice;
pid logs/nginx.pid;
events { worker_connections 1024; }
http {
    access_log off;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
    # Counting costs only where a location is counted: every row but "counted" is not. Its
    # location /jwz has a name as long as /jwt, so that nginx's own work is the same.
    auth_jwt_zone bench_metrics 1m;
    server {
        listen 127.0.0.1:$port;
        auth_jwt_metrics_label off;
        location = /none { empty_gif; }
        location = /deny { return 401; }
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
        location = /jwt-var {
            set \$key_file $keys;
            auth_jwt "bench"; auth_jwt_key_file \$key_file;
            empty_gif;
        }
        location = /jwz {
            auth_jwt "bench"; auth_jwt_key_file $keys; auth_jwt_metrics_label "bench";
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
        if (open(my $fh, '<', $file)) { my $pid = <$fh> // q(); chomp $pid; return $pid if $pid }
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

# Involuntary context switches of the worker: how often something else took its CPU.
sub worker_preemptions {
    open(my $fh, '<', "/proc/$worker/status") or die $!;
    while (<$fh>) { return $1 if /^nonvoluntary_ctxt_switches:\s+(\d+)/ }
    return 0;
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
    my $csw0 = worker_preemptions();
    my @taskset = { shared => [qw(taskset -c 0 chrt --idle 0)], split => [qw(taskset -c 1)],
                    off => [] }->{$pin}->@*;
    my @cmd = (@taskset, 'wrk', '-t1', "-c$conns", "-d${seconds}s", '--timeout', '5s', '-s',
               "$Bin/wrk.lua", "http://127.0.0.1:$port$path", '--', $tokens // '-');
    open(my $wrk, '-|', @cmd) or die "wrk: $!";
    my %r;
    while (<$wrk>) {
        next unless s/^BENCH //;
        $r{$1} = $2 while /(\w+)=(\d+)/g;
    }
    close $wrk;
    $r{cpu_s} = worker_cpu() - $cpu0;
    $r{preemptions} = worker_preemptions() - $csw0;
    die "wrk gave no result for $path\n" unless $r{requests};
    $r{duration_s} = $r{duration_us} / 1e6;
    return \%r;
}

# --- scenarios -------------------------------------------------------------------------------
# name, location, token file, expected status, the raw verification time subtracted ("ALG" or
# "ALG distinct", see %raw_ns; only where every request verifies a signature), what the row
# measures.
#
# The baselines send a token to a location without auth_jwt, so that nginx parses the same
# kind of request as in the other rows: "baseline" the shortest token of the run (HS256, 267
# bytes), "baseline long" an RS256 token (563 bytes). Each row is compared with the longest
# baseline whose token is not longer than its own (never a longer request than the row's).
my @scenarios = (
    ['baseline', '/none', $tokens{'repeated-HS256'}, 200, undef, 'no auth_jwt, HS256 token'],
    ['baseline long', '/none', $tokens{'repeated-RS256'}, 200, undef,
        'no auth_jwt, RS256 token'],
);
for my $alg (@$ALGS_REPEATED) {
    push @scenarios, ["repeated $alg", '/jwt', $tokens{"repeated-$alg"}, 200, undef,
        $has_cache ? 'same token, verified-signature cache (default)' : 'same token'];
}
for my $alg (@$ALGS_DISTINCT) {
    push @scenarios, ["distinct $alg", '/jwt-nocache', $tokens{"distinct-$alg"}, 200, "$alg distinct",
        "$DISTINCT tokens, cache off: every request parses and verifies"];
}
push @scenarios,
    ['repeated RS256 counted', '/jwz', $tokens{'repeated-RS256'}, 200, undef,
        'same token, counted in an auth_jwt_zone (compare with "repeated RS256")'],
    ['repeated RS256 var', '/jwt-var', $tokens{'repeated-RS256'}, 200, undef,
        'same token, key file named by a variable ("auth_jwt_key_file $name")'],
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
    ['nginx 401 (no module)', '/deny', $tokens{garbage}, 401, undef,
        'for reference: "return 401" with the garbage header, no auth_jwt'],
    ['baseline without header', '/none', undef, 200, undef,
        'for reference: no auth_jwt, no Authorization header'];
@scenarios = grep { $_->[0] =~ /^baseline( long)?$/ || $_->[0] =~ /$only/ } @scenarios if $only;

# Checks every scenario's status first, then runs the rounds; keeps each scenario's run with
# the least worker CPU per request (interference from other processes only ever adds).
for my $s (@scenarios) {
    my ($name, $path, $tokens, $want) = @$s;
    my $got = status_of($path, defined $tokens ? first_line($tokens) : undef);
    die "$name: $path answers $got, expected $want (see $prefix/logs/error.log)\n"
        unless $got == $want;
}
my %best;
for my $round (1 .. $rounds) {
    for my $s (@scenarios) {
        my ($name, $path, $tokens, $want, $raw_alg, $what) = @$s;
        wrk_run($path, $tokens, 1);    # warm-up: connections, CPU caches, the token cache
        my $r = wrk_run($path, $tokens, $duration);
        my $cpu_us = $r->{cpu_s} * 1e6 / $r->{requests};
        printf STDERR "round %d/%d  %-24s %8.0f req/s  %6.1f µs worker CPU per request\n",
            $round, $rounds, $name, $r->{requests} / $r->{duration_s}, $cpu_us;
        my $row = { name => $name, path => $path, what => $what, raw_alg => $raw_alg,
                    want => $want, tokens => $tokens, cpu_us => $cpu_us, all_cpu_us => [],
                    %$r };
        my $keep = $best{$name} && $best{$name}{cpu_us} <= $cpu_us ? $best{$name} : $row;
        push @{ $keep->{all_cpu_us} }, @{ $best{$name}{all_cpu_us} // [] } if $keep == $row;
        push @{ $keep->{all_cpu_us} }, $cpu_us;
        $best{$name} = $keep;
    }
}
my @rows = map { $best{ $_->[0] } } @scenarios;
for my $r (@rows) {
    my $wrong = $r->{want} == 200 ? $r->{non2xx} : $r->{requests} - $r->{non2xx};
    warn "warning: $r->{name}: $wrong responses without the expected status $r->{want}\n"
        if $wrong > 0;
    warn "warning: $r->{name}: $r->{socket_errors} socket errors\n" if $r->{socket_errors};
}

# --- results -------------------------------------------------------------------------------
my ($base) = grep { $_->{name} eq 'baseline' } @rows;
my ($base_long) = grep { $_->{name} eq 'baseline long' } @rows;
my $base_cpu_us = $base->{cpu_us};
my $long_bytes = length first_line($tokens{'repeated-RS256'});

# The baseline a row is compared with (see the scenarios).
sub baseline_of {
    my ($r) = @_;
    my $bytes = $r->{tokens} ? length first_line($r->{tokens}) : 0;
    return $bytes >= $long_bytes && $base_long ? $base_long : $base;
}

open(my $csv, '>', "$out/results.csv") or die $!;
print $csv join(',', qw(scenario requests duration_s req_per_s p99_ms worker_cpu_s
    req_per_worker_cpu_s ratio_to_baseline cpu_us_per_req crypto_us overhead_us non2xx
    preemptions_per_1000_req compared_with)), "\n";
my @table;
for my $r (@rows) {
    my $cpu_us = $r->{cpu_us};
    my $rpc    = $r->{cpu_s} > 0 ? $r->{requests} / $r->{cpu_s} : 0;
    my $crypto = $r->{raw_alg} ? ($raw_ns{ $r->{raw_alg} } // 0) / 1000 : 0;
    my $is_base = $r->{name} =~ /^baseline|no module/;
    my $b = baseline_of($r);
    my %v = (
        req_s    => $r->{requests} / $r->{duration_s},
        p99_ms   => $r->{p99_us} / 1000,
        rpc      => $rpc,
        ratio    => $cpu_us ? $b->{cpu_us} / $cpu_us : 0,
        cpu_us   => $cpu_us,
        crypto   => $crypto,
        overhead => $is_base ? undef : $cpu_us - $b->{cpu_us} - $crypto,
        vs       => $b->{name},
    );
    $r->{$_} = $v{$_} for keys %v;
    printf $csv "%s,%d,%.2f,%.0f,%.2f,%.2f,%.0f,%.3f,%.2f,%.2f,%s,%d,%.1f,%s\n", $r->{name},
        $r->{requests}, $r->{duration_s}, $v{req_s}, $v{p99_ms}, $r->{cpu_s}, $rpc, $v{ratio},
        $cpu_us, $crypto, defined $v{overhead} ? sprintf('%.2f', $v{overhead}) : '',
        $r->{non2xx}, 1000 * $r->{preemptions} / $r->{requests}, $v{vs};
}
close $csv;

# Markdown table (pasted into docs/performance.md).
my $md = "| scenario | req/s | p99 ms | worker CPU s | req per worker CPU-s | vs baseline"
    . " | CPU µs/req | crypto µs | overhead µs |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
for my $r (@rows) {
    my $vs = $r->{vs} eq 'baseline long' && $r->{name} !~ /^baseline/ ? '*' : '';
    $md .= sprintf "| %s | %.0f | %.2f | %.2f | %.0f | %.2f%s | %.1f | %s | %s |\n", $r->{name},
        $r->{req_s}, $r->{p99_ms}, $r->{cpu_s}, $r->{rpc}, $r->{ratio}, $vs, $r->{cpu_us},
        $r->{crypto} ? sprintf('%.1f', $r->{crypto}) : '-',
        defined $r->{overhead} ? sprintf('%.1f', $r->{overhead}) : '-';
}
$md .= sprintf "\n*: compared with \"baseline long\" (a %d-byte token in the request), the others"
    . " with \"baseline\" (a %d-byte token).\n", $long_bytes, length first_line($tokens{'repeated-HS256'});
open(my $mdf, '>', "$out/results.md") or die $!;
print $mdf $md;
close $mdf;

# --- profile: where the worker's CPU time per request goes ------------------------------
# perf samples the worker during one more run of some scenarios; each sample is put in one
# category, and the category's share of the run's worker CPU per request gives microseconds.
# "module code" is our own code (token parsing, the cache, the nginx glue): the module's
# overhead proper. The crypto library's time is "crypto"; nginx, libc (malloc, syscalls) and
# the kernel are compared with the baseline row.
my @profile;
my $profile_md = '';
if (($ENV{BENCH_PROFILE} // 1) && system('perf --version >/dev/null 2>&1') == 0) {
    my %wanted = map { $_ => 1 } ('baseline', 'repeated RS256', 'garbage (notice)',
        map { "distinct $_" } @$ALGS_DISTINCT);
    for my $s (grep { $wanted{ $_->[0] } } @scenarios) {
        my ($name, $path, $tokens) = @$s;
        my $data = "$out/perf.data";
        my $seconds = $duration < 4 ? 4 : $duration;    # perf samples all but the first and last second
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            sleep 1;
            exec('perf', 'record', '-q', '-F', '2999', '-p', $worker, '-o', $data, '--',
                 'sleep', $seconds - 2) or POSIX::_exit(127);
        }
        my $r = wrk_run($path, $tokens, $seconds);
        waitpid $pid, 0;
        my %cat;
        for (`perf report -i $data --no-children --sort dso,sym --stdio -g none 2>/dev/null`) {
            next unless /^\s+([\d.]+)%\s+(\S+)\s+\[(.)\]\s+(.*?)\s*$/;
            my ($pct, $dso, $sym) = ($1, $2, $4);
            $cat{ category($dso, $sym) } += $pct;
        }
        my $total = 0;
        $total += $_ for values %cat;
        next unless $total;
        my $cpu_us = $r->{cpu_s} * 1e6 / $r->{requests};
        my %us = map { $_ => $cpu_us * ($cat{$_} // 0) / $total }
            qw(crypto module libc nginx kernel other);
        push @profile, { name => $name, cpu_us => $cpu_us, %us };
        printf STDERR "profile  %-24s %6.1f µs: crypto %.1f, module code %.1f, libc %.1f, "
            . "nginx %.1f, kernel %.1f\n", $name, $cpu_us, @us{qw(crypto module libc nginx kernel)};
    }
    unlink "$out/perf.data", "$out/perf.data.old";
    $profile_md = "| scenario (perf) | CPU µs/req | crypto | module code | libc | nginx | kernel |\n"
        . "|---|---:|---:|---:|---:|---:|---:|\n";
    $profile_md .= sprintf "| %s | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f |\n", $_->{name},
        $_->{cpu_us}, @$_{qw(crypto module libc nginx kernel)} for @profile;
    open(my $pf, '>', "$out/profile.md") or die $!;
    print $pf $profile_md;
    close $pf;
}

# --- memory: worker RSS after 100,000 and after 1,000,000 requests ----------------------
# On a fresh worker (nginx reloaded first), 1,000 distinct RS256 tokens through a 256-entry
# cache: every request misses, parses, verifies, and evicts an entry.
my $memory = '';
if (($ENV{BENCH_MEMORY} // 1) && (!$only || 'memory' =~ /$only/)) {
    my $old = $worker;
    kill 'HUP', $master;
    for (1 .. 200) {
        my $w = eval { worker_of($master) };
        if ($w && $w != $old && !kill(0, $old)) { $worker = $w; last }
        sleep 0.05;
    }
    die "no new worker after the reload\n" if $worker == $old;
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
    $memory = sprintf "Worker RSS (fresh worker), %s:\n  at start: %d KiB\n"
        . "  after %d requests: %d KiB\n  after %d requests: %d KiB (%+.1f%% from %d)\n",
        $label, $rss0, $n1, $rss1, $n2, $rss2, 100 * ($rss2 - $rss1) / $rss1, $n1;
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
printf "baseline: %.1f µs of worker CPU per request, baseline long: %.1f µs; rows with a token"
    . " of %d bytes or more are compared with baseline long\n", $base_cpu_us,
    $base_long ? $base_long->{cpu_us} : 0, $long_bytes;
print "CPU µs/req of every run (the best is kept):\n";
printf "  %-24s %s\n", $_->{name}, join(' ', map { sprintf '%.1f', $_ } @{ $_->{all_cpu_us} }) for @rows;
print "crypto µs: raw verification time from the microbenchmark (rows that verify on every request)\n";
print "overhead µs: CPU µs/req - baseline - crypto\n";
print "\n$profile_md" if $profile_md;
print $memory, "\n" if $memory;
print "machine: $cpu, ", `nproc` =~ s/\n//r, " cores, load average $load (other processes share it)\n";
print "run: $rounds rounds of $duration s per scenario, wrk -t1 -c$conns, nginx worker_processes 1",
    { shared => ', worker and wrk both on CPU 0 (wrk at the idle class)', split => ', worker on CPU 0, wrk on CPU 1',
      off => ', not pinned' }->{$pin}, "\n";
print "files: $out/results.csv, $out/results.md, $out/results.png",
    ($profile_md ? ", $out/profile.md" : ''),
    ($memory ? ", $out/memory.txt" : ''), "\n";
