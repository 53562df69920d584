#!/usr/bin/env perl
# The load part of bench/run: mints tokens, starts nginx (one worker, module loaded), drives
# it with wrk over loopback, measures the worker's CPU time, and writes CSV, a chart and a
# table. bench/run builds everything first and passes, in the environment:
#   NGINX_BIN, MODULE_SO    the release nginx and module (scripts/common.sh build_module)
#   MICROBENCH_CSV          output of `microbench --csv` (raw verification time per alg)
#   JWE_MICROBENCH_CSV      output of `jwe_microbench --csv` (raw RSA-OAEP / ECDH time)
# and optionally BENCH_DURATION (seconds per run, default 5), BENCH_ROUNDS (default 3: every
# scenario runs once per round, rounds interleave, the run with the least worker CPU per
# request is kept), BENCH_CONNECTIONS (default 8), BENCH_ONLY (regex over scenario names),
# BENCH_MEMORY=0 (skip the 1,000,000-request run), BENCH_PROFILE=0 (skip perf), BENCH_PIN
# (shared, split or off; see below),
# BENCH_OUT (default bench/out). See bench/README.md.
use strict;
use warnings;
use Cwd ();
use FindBin qw($Bin);
use lib "$Bin/../t/lib", "$Bin/lib";
use CpuCategory qw(category);
use File::Path qw(make_path);
use HTTP::Tiny;
use IO::Socket::INET;
use JSON::PP ();
use MIME::Base64 ();
use JwtTest qw(jwt_sign now);
use POSIX ();
use Time::HiRes qw(sleep);

# Without "..": a key file named by a variable may not have one (the name check).
my $root     = Cwd::abs_path("$Bin/..");
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
# $raw_ns{"jwe $case"}: the RSA-OAEP decryption or ECDH agreement of a JWE row, alone.
if (my $csv = $ENV{JWE_MICROBENCH_CSV}) {
    open(my $fh, '<', $csv) or die "$csv: $!";
    scalar <$fh>;
    while (<$fh>) {
        chomp;
        my ($case, undef, undef, $raw) = split /,/;
        $raw_ns{"jwe $case"} = $raw if defined $raw && length $raw;
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
# Expired 10 minutes ago, RS256: refused on exp, before any signature check.
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

# Encrypted tokens, minted by jwcrypto (t/lib/jwe_mint.py, fresh keys every run; needs
# python3 with jwcrypto, which scripts/common.sh ensure_python_packages installs), with the
# key file they need. The rows: the representative set of docs/jwe.md.
my $jwe_keys = "$out/jwe-keys.json";
my %JWE_ROWS = (
    'dir+A256GCM'               => { alg => 'dir', enc => 'A256GCM' },
    'A256KW+A128CBC-HS256'      => { alg => 'A256KW', enc => 'A128CBC-HS256' },
    'RSA-OAEP-256+A256GCM'      => { alg => 'RSA-OAEP-256', enc => 'A256GCM' },
    'ECDH-ES+A256KW P-256'      => { alg => 'ECDH-ES+A256KW', enc => 'A256GCM', kid => 'p256' },
    'nested RSA-OAEP-256 RS256' => { alg => 'RSA-OAEP-256', enc => 'A256GCM', nested => 1 },
);
{
    my $minted = `python3 $root/t/lib/jwe_mint.py @{[ now() + 2 * 86400 ]}`;
    die "t/lib/jwe_mint.py failed (python3 with jwcrypto needed)\n" if $?;
    my $fx = JSON::PP::decode_json($minted);
    open(my $fh, '>', $jwe_keys) or die "$jwe_keys: $!";
    print $fh JSON::PP::encode_json($fx->{key_file});
    close $fh or die "$jwe_keys: $!";
    for my $row (sort keys %JWE_ROWS) {
        my $want = $JWE_ROWS{$row};
        my ($t) = grep {
            $_->{alg} eq $want->{alg} && $_->{enc} eq $want->{enc}
                && (!$want->{kid} || $_->{kid} eq $want->{kid})
        } @{ $want->{nested} ? $fx->{nested} : $fx->{tokens} };
        die "no JWE token for $row\n" unless $t;
        (my $slug = $row) =~ s/[^\w+-]+/-/g;
        my $file = "$out/tokens/jwe-$slug.txt";
        open(my $tf, '>', $file) or die "$file: $!";
        print $tf "$t->{token}\n";
        close $tf;
        $tokens{"jwe $row"} = $file;
    }
}
# A nested row's raw crypto: the RSA-OAEP decryption, then the RS256 verification.
if (defined $raw_ns{'jwe RSA-OAEP-256+A256GCM'} && defined $raw_ns{RS256}) {
    $raw_ns{'jwe nested RSA-OAEP-256 RS256'} = $raw_ns{'jwe RSA-OAEP-256+A256GCM'} + $raw_ns{RS256};
}

# === Rows users live in: tokens, keys, files ===========================================
# The realistic mix, tokens beyond the cache, refusal floods, a 1000-key set, an internal
# redirect and auth_basic's 401 (bench/README.md, "Rows users live in"). Thousands of RS256
# tokens are minted by bench/lib/mint-many.py (Python `cryptography`, as fast as the openssl
# command line is slow), with the same header and claims as the tokens above.
my $MIX_CLIENTS  = 300;     # tokens (and connections) of the realistic mix
my $MIX_REPEAT   = 20;      # each token that many times in a row
my $BEYOND_CACHE = 5000;    # distinct tokens, more than the default auth_jwt_verify_cache (1024)
my $BIG_KEY_SET  = 1000;    # keys in the large key set
my $one_key      = "$root/t/data/jwks/rsa.json";

sub mint_many {
    my ($file, @args) = @_;
    return $file if -s $file && -M $file < 1;
    print STDERR "minting $file...\n";
    system("python3 '$Bin/lib/mint-many.py' @args > '$file.tmp'") == 0
        or die "bench/lib/mint-many.py @args failed\n";
    rename "$file.tmp", $file or die "$file: $!";
    return $file;
}
{
    my $rsa = "$root/t/data/keys/rsa.pem";
    # --first keeps the files apart: no token is in two of them.
    $tokens{beyond} = mint_many("$out/tokens/beyond-cache-RS256.txt",
        "tokens $rsa rsa $BEYOND_CACHE --first 100000");
    $tokens{mix} = mint_many("$out/tokens/mix-RS256.txt",
        "tokens $rsa rsa $MIX_CLIENTS --first 200000");
    $tokens{expired_flood} = mint_many("$out/tokens/expired-flood-RS256.txt",
        "tokens $rsa rsa $DISTINCT --first 300000 --exp-in -600");
    $tokens{nbf_flood} = mint_many("$out/tokens/not-yet-valid-flood-RS256.txt",
        "tokens $rsa rsa $DISTINCT --first 400000 --nbf-in " . 7 * 86400 . ' --exp-in ' . 8 * 86400);
}
# 999 P-256 keys with kids of their own, then the RSA key the tokens name (last). Keys do not
# expire: made once.
my $big_key_set = "$out/keys/$BIG_KEY_SET.json";
make_path("$out/keys");
chmod 0755, "$out/keys";
mint_many($big_key_set, "jwks $one_key " . ($BIG_KEY_SET - 1)) unless -s $big_key_set;
chmod 0644, $big_key_set;
# A user file for auth_basic (opened only by "auth_basic beside a key file": the other
# requests to /basic carry no Basic credentials), and
# one static file under two directories, for the redirect rows (index module: "/d/" is
# redirected internally to "/d/index.html").
for my $d ("$out/html", "$out/html/plain", "$out/html/off") { make_path($d); chmod 0755, $d }
for my $f ("$out/htpasswd", "$out/html/plain/index.html", "$out/html/off/index.html") {
    open(my $fh, '>', $f) or die "$f: $!";
    print $fh $f =~ /htpasswd/ ? "bench:{PLAIN}bench\n" : "ok\n";
    close $fh;
    chmod 0644, $f;
}

# Control rows, with no module code in them: nginx's own auth_basic with a password hash that
# costs about an RS256 and an ES256 verification (sha1crypt, whose cost is its round count),
# next to the same location with a {PLAIN} password. What their overhead shows beyond the
# hash's raw cost (crypt_microbench: crypt_r called as nginx calls it, in a warm loop, as the
# microbenchmark times signatures) is what a CPU-heavy step costs nginx and the kernel around
# it, whoever's step it is: the part of the overhead formula that no module can remove.
# Their user files are in a directory of their own, which no key file shares.
my @CRYPT_ROUNDS = (20, 75);
{
    make_path("$out/basic");
    chmod 0755, "$out/basic";
    my $microbench = "$out/crypt_microbench";
    system('cc', '-O2', '-o', $microbench, "$Bin/lib/crypt_microbench.c", '-lcrypt') == 0
        or die "bench/lib/crypt_microbench.c did not build (cc, libcrypt-dev)\n";
    for my $rounds (0, @CRYPT_ROUNDS) {
        my $hash = $rounds ? crypt('bench', "\$sha1\$$rounds\$benchsalt\$") : '{PLAIN}bench';
        die "crypt(3) has no sha1crypt\n" unless defined $hash && $hash =~ /^(\$sha1\$|\{PLAIN)/;
        my $file = "$out/basic/htpasswd-$rounds";
        open(my $fh, '>', $file) or die "$file: $!";
        print $fh "bench:$hash\n";
        close $fh;
        chmod 0644, $file;
        next unless $rounds;
        chomp(my $ns = `$microbench '$hash' bench`);
        die "crypt_microbench gave no time for $hash\n" unless $ns =~ /^\d+$/;
        $raw_ns{"crypt $rounds"} = $ns;
    }
    $tokens{basic} = "$out/tokens/basic-bench.txt";
    open(my $fh, '>', $tokens{basic}) or die "$tokens{basic}: $!";
    print $fh 'Basic ' . MIME::Base64::encode_base64('bench:bench', '') . "\n";
    close $fh;
}

# The main instance's locations for these rows ($nocache: "auth_jwt_verify_cache off;").
sub rows_users_live_in_locations {
    my ($nocache) = @_;
    my $conf = <<"EOF";
        location = /basic {
            auth_basic "bench"; auth_basic_user_file $out/htpasswd;
            empty_gif;
        }
        location = /jwt-1key-nocache {
            auth_jwt "bench"; auth_jwt_key_file $one_key; $nocache
            empty_gif;
        }
        location = /jwt-${BIG_KEY_SET}keys-nocache {
            auth_jwt "bench"; auth_jwt_key_file $big_key_set; $nocache
            empty_gif;
        }
        # The control rows: location names of one length, so that nginx's own work is the same.
EOF
    $conf .= <<"EOF" for '00', @CRYPT_ROUNDS;
        location = /basic-$_ {
            auth_basic "bench"; auth_basic_user_file $out/basic/htpasswd-@{[ $_ + 0 ]};
            empty_gif;
        }
EOF
    return $conf . <<"EOF";
        # The {PLAIN} user file again, in the directory of a key file (jwe-keys.json): nginx
        # opens it on every request, which must not wake the key file watchers.
        location = /basic-kf {
            auth_basic "bench"; auth_basic_user_file $out/htpasswd;
            empty_gif;
        }
        location /plain/ { root $out/html; }
        location /off/ {
            root $out/html;
            auth_jwt "bench"; auth_jwt_key_file $keys; $nocache
        }
EOF
}
# === end of rows users live in: tokens, keys, files ====================================

# --- nginx -----------------------------------------------------------------------------------
my $port = do {
    my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1', LocalPort => 0)
        or die "no free port: $!";
    my $p = $s->sockport;
    close $s;
    $p;
};

# The identity provider of the key request rows: a second server block of the same nginx.
my $idp_socket = "$out/nginx/idp.sock";
my $idp_down   = "$out/nginx/idp-down";
unlink $idp_socket, $idp_down;

sub write_conf {
    my ($with_cache) = @_;
    my $affinity = $pin eq 'off' ? '' : 'worker_cpu_affinity 01;';
    my $nocache = $with_cache ? 'auth_jwt_verify_cache off;' : '';
    my $small   = $with_cache ? 'auth_jwt_verify_cache 256;' : '';
    my $rows_users_live_in = rows_users_live_in_locations($nocache);
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
        location = /jwe {
            auth_jwt "bench"; auth_jwt_type encrypted; auth_jwt_key_file $jwe_keys;
            empty_gif;
        }
        location = /jwe-nocache {
            auth_jwt "bench"; auth_jwt_type encrypted; auth_jwt_key_file $jwe_keys; $nocache
            empty_gif;
        }
        location = /jwe-nested {
            auth_jwt "bench"; auth_jwt_type nested; auth_jwt_key_file $jwe_keys;
            empty_gif;
        }
        location = /jwe-nested-nocache {
            auth_jwt "bench"; auth_jwt_type nested; auth_jwt_key_file $jwe_keys; $nocache
            empty_gif;
        }
        # The same key set as /jwt, fetched with auth_jwt_key_request from the IdP below; a
        # location name as long as /jwt, so that nginx's own work is the same.
        location = /_jwks { internal; proxy_pass http://unix:$idp_socket:/jwks.json; }
        location = /jkr {
            auth_jwt "bench"; auth_jwt_key_cache 1h; auth_jwt_key_request /_jwks;
            empty_gif;
        }
        # Cached for 1 s only, from an IdP that fails once \$idp_down exists: after the first
        # fetch every request runs on stale keys, and a fetch is tried again after each
        # backoff (1, 2, 4 ... 60 s).
        location = /_jwks_down { internal; proxy_pass http://unix:$idp_socket:/down.json; }
        location = /jwt-idp-down {
            auth_jwt "bench"; auth_jwt_key_cache 1s; auth_jwt_key_request /_jwks_down;
            empty_gif;
        }
$rows_users_live_in
    }
    # The identity provider: serves the key set of /jwt.
    server {
        listen unix:$idp_socket;
        location = /jwks.json { alias $keys; }
        location = /down.json {
            if (-f $idp_down) { return 500; }
            alias $keys;
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
    # As bench/wrk.lua sends it: a line with a space in it is the whole header value.
    my $value = defined $token && $token =~ / / ? $token : "Bearer " . ($token // '');
    my %h = defined $token ? (headers => { Authorization => $value }) : ();
    return HTTP::Tiny->new(timeout => 5)->get("http://127.0.0.1:$port$path", \%h)->{status};
}

sub first_line { open(my $fh, '<', $_[0]) or die "$_[0]: $!"; my $l = <$fh>; chomp $l; $l }

# One wrk run; returns { requests, duration_s, p50_us, p99_us, non2xx, socket_errors, cpu_s }.
sub wrk_run {
    my ($path, $tokens, $seconds, %env) = @_;
    my $connections = delete $env{-connections} // $conns;
    local @ENV{ keys %env } = values %env;
    my $cpu0 = worker_cpu();
    my $csw0 = worker_preemptions();
    my @taskset = { shared => [qw(taskset -c 0 chrt --idle 0)], split => [qw(taskset -c 1)],
                    off => [] }->{$pin}->@*;
    my @cmd = (@taskset, 'wrk', '-t1', "-c$connections", "-d${seconds}s", '--timeout', '5s', '-s',
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
# A cache hit costs so little that nginx parsing a longer header (~15 instructions a byte)
# would show in its ratio: a repeated row is compared with a baseline carrying its own token,
# the same bytes, where neither default baseline does. Returns that baseline row (or nothing)
# and the options of the repeated row.
sub own_baseline {
    my ($row, $token) = @_;
    my $len = length first_line($token);
    return ((), undef) if grep { $len == length first_line($tokens{$_}) } 'repeated-HS256', 'repeated-RS256';
    return (["baseline $row", '/none', $token, 200, undef, "no auth_jwt, the token of \"repeated $row\""],
            { vs => "baseline $row" });
}
for my $alg (@$ALGS_REPEATED) {
    my $token = $tokens{"repeated-$alg"};
    my ($baseline, $opt) = own_baseline($alg, $token);
    push @scenarios, grep { defined } $baseline,
        ["repeated $alg", '/jwt', $token, 200, undef,
            $has_cache ? 'same token, verified-signature cache (default)' : 'same token', $opt];
}
for my $alg (@$ALGS_DISTINCT) {
    push @scenarios, ["distinct $alg", '/jwt-nocache', $tokens{"distinct-$alg"}, 200, "$alg distinct",
        "$DISTINCT tokens, cache off: every request parses and verifies"];
}
push @scenarios,
    ['key file warm', '/jwt', $tokens{'repeated-RS256'}, 200, undef,
        'same token, the key set from auth_jwt_key_file (as "repeated RS256")'],
    ['key request warm', '/jkr', $tokens{'repeated-RS256'}, 200, undef,
        'same token, the same key set from auth_jwt_key_request, auth_jwt_key_cache 1h'],
    ['IdP down, stale keys', '/jwt-idp-down', $tokens{'repeated-RS256'}, 200, undef,
        'same token, auth_jwt_key_cache 1s, the IdP answers 500 after the first fetch'],
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
        'expired, same token, default config'],
    ['expired RS256 nocache', '/jwt-nocache', $tokens{expired}, 401, undef,
        'expired, cache off: refused on exp, no signature check'],
    ['nginx 401 (no module)', '/deny', $tokens{garbage}, 401, undef,
        'for reference: "return 401" with the garbage header, no auth_jwt'],
    ['baseline without header', '/none', undef, 200, undef,
        'for reference: no auth_jwt, no Authorization header'];
# JWE: the same token again and again, through the cache (default) and with the cache off
# (every request decrypts). Only the asymmetric operation counts as crypto: the AES work of
# the symmetric rows, and the content decryption of all, is in their overhead.
for my $row (sort keys %JWE_ROWS) {
    my $path = $JWE_ROWS{$row}{nested} ? '/jwe-nested' : '/jwe';
    my $raw  = defined $raw_ns{"jwe $row"} ? "jwe $row" : undef;
    my ($baseline, $opt) = own_baseline("JWE $row", $tokens{"jwe $row"});
    push @scenarios, grep { defined } $baseline,
        ["repeated JWE $row", $path, $tokens{"jwe $row"}, 200, undef,
            'same encrypted token, verified-signature cache (default)', $opt],
        ["uncached JWE $row", "$path-nocache", $tokens{"jwe $row"}, 200, $raw,
            'same encrypted token, cache off: every request decrypts'
            . ($JWE_ROWS{$row}{nested} ? ' and verifies' : ''), $opt];
}
# BENCH_ONLY is applied below, once every row is listed.

# === Rows users live in: scenarios =========================================================
# A seventh element holds options: vs (the row this one is compared with, instead of the
# default baselines), connections (wrk's, instead of BENCH_CONNECTIONS), repeat (each token
# that many times in a row, see bench/wrk.lua).
my $basic_401 = 'baseline 401 (auth_basic)';
my %mix = (connections => $MIX_CLIENTS, repeat => $MIX_REPEAT, vs => "baseline long, $MIX_CLIENTS conns");
push @scenarios,
    [$basic_401, '/basic', $tokens{'repeated-RS256'}, 401, undef,
        "auth_basic's own 401 (a Bearer header, so no Basic credentials): the baseline of refused rows"],
    ["baseline long, $MIX_CLIENTS conns", '/none', $tokens{'repeated-RS256'}, 200, undef,
        "no auth_jwt, RS256 token, $MIX_CLIENTS connections", { connections => $MIX_CLIENTS }],
    ['mix RS256', '/jwt', $tokens{mix}, 200, undef,
        "realistic mix: $MIX_CLIENTS connections, $MIX_CLIENTS tokens in turn, each $MIX_REPEAT times in a row", \%mix],
    ['mix RS256 churn', '/jwt', $tokens{beyond}, 200, undef,
        "as the mix, but $BEYOND_CACHE tokens: each new token misses (1 verification per $MIX_REPEAT requests)", \%mix],
    ['beyond cache RS256', '/jwt', $tokens{beyond}, 200, 'RS256 distinct',
        "$BEYOND_CACHE distinct tokens, default config (cache 1024): every request misses"],
    ['expired flood', '/jwt-nocache', $tokens{expired_flood}, 401, undef,
        "$DISTINCT distinct RS256 tokens expired 10 min ago, cache off"],
    ['not-yet-valid flood', '/jwt-nocache', $tokens{nbf_flood}, 401, undef,
        "$DISTINCT distinct RS256 tokens with nbf in 7 days, cache off"],
    ['distinct RS256 1 key', '/jwt-1key-nocache', $tokens{'distinct-RS256'}, 200, 'RS256 distinct',
        'cache off, a key file with the one RSA key'],
    ["distinct RS256 $BIG_KEY_SET keys", "/jwt-${BIG_KEY_SET}keys-nocache", $tokens{'distinct-RS256'}, 200,
        'RS256 distinct', "cache off, a $BIG_KEY_SET-key set (the tokens' kid last)"],
    ['baseline static file', '/plain/index.html', $tokens{'repeated-RS256'}, 200, undef,
        'no auth_jwt, a static file named directly'],
    ['baseline redirect', '/plain/', $tokens{'repeated-RS256'}, 200, undef,
        'no auth_jwt, a directory URI: the index module redirects to index.html internally'],
    ['static file RS256 nocache', '/off/index.html', $tokens{'distinct-RS256'}, 200, 'RS256 distinct',
        'cache off, the static file named directly', { vs => 'baseline static file' }],
    ['redirect RS256 nocache', '/off/', $tokens{'distinct-RS256'}, 200, 'RS256 distinct',
        'cache off, the directory URI (ACCESS runs again after the redirect)', { vs => 'baseline redirect' }],
    ['baseline auth_basic plain', '/basic-00', $tokens{basic}, 200, undef,
        'no auth_jwt: auth_basic, the right password stored {PLAIN} (the control rows\' baseline)'],
    (map { ["control sha1crypt $_", "/basic-$_", $tokens{basic}, 200, "crypt $_",
        "no auth_jwt: auth_basic, the right password stored as sha1crypt of $_ rounds",
        { vs => 'baseline auth_basic plain' }] } @CRYPT_ROUNDS),
    ['auth_basic beside a key file', '/basic-kf', $tokens{basic}, 200, undef,
        "no auth_jwt: as the control rows' baseline, the user file in a key file's directory",
        { vs => 'baseline auth_basic plain' }];
# Every refused row, old or new, is compared with auth_basic's 401: a 401 costs nginx less
# than a 200 (no content handler), which would otherwise count in the module's favour.
for my $s (@scenarios) {
    next unless $s->[3] == 401 && $s->[0] !~ /^baseline|no module/;
    $s->[6] = { %{ $s->[6] // {} } };
    $s->[6]{vs} //= $basic_401;
}
sub wrk_options {
    my ($opt) = @_;
    return (($opt->{connections} ? (-connections => $opt->{connections}) : ()),
            ($opt->{repeat} ? (BENCH_REPEAT => $opt->{repeat}) : ()));
}
# BENCH_ONLY keeps the default baselines and the rows that the chosen rows are compared with.
if ($only) {
    my %keep = map { $_->[0] => 1 } grep { $_->[0] =~ /^baseline( long)?$/ || $_->[0] =~ /$only/ } @scenarios;
    $keep{ $_->[6]{vs} } = 1 for grep { $keep{ $_->[0] } && $_->[6] && $_->[6]{vs} } @scenarios;
    @scenarios = grep { $keep{ $_->[0] } } @scenarios;
}
# === end of rows users live in: scenarios ==================================================

# Checks every scenario's status first, then runs the rounds; keeps each scenario's run with
# the least worker CPU per request (interference from other processes only ever adds).
for my $s (@scenarios) {
    my ($name, $path, $tokens, $want) = @$s;
    my $got = status_of($path, defined $tokens ? first_line($tokens) : undef);
    die "$name: $path answers $got, expected $want (see $prefix/logs/error.log)\n"
        unless $got == $want;
}
# The status checks made the IdP's one good fetch for "IdP down, stale keys"; from now on it
# fails.
open(my $down, '>', $idp_down) or die "$idp_down: $!";
close $down;
my %best;
for my $round (1 .. $rounds) {
    for my $s (@scenarios) {
        my ($name, $path, $tokens, $want, $raw_alg, $what, $opt) = @$s;
        my %wrk_opt = wrk_options($opt // {});
        wrk_run($path, $tokens, 1, %wrk_opt);    # warm-up: connections, CPU caches, the token cache
        my $r = wrk_run($path, $tokens, $duration, %wrk_opt);
        my $cpu_us = $r->{cpu_s} * 1e6 / $r->{requests};
        printf STDERR "round %d/%d  %-24s %8.0f req/s  %6.1f µs worker CPU per request\n",
            $round, $rounds, $name, $r->{requests} / $r->{duration_s}, $cpu_us;
        my $row = { name => $name, path => $path, what => $what, raw_alg => $raw_alg,
                    want => $want, tokens => $tokens, cpu_us => $cpu_us, all_cpu_us => [],
                    compare_with => ($opt // {})->{vs},
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
my %row_named = map { $_->{name} => $_ } @rows;
sub baseline_of {
    my ($r) = @_;
    return $row_named{ $r->{compare_with} } if $r->{compare_with} && $row_named{ $r->{compare_with} };
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
    # Row names may hold a comma ("baseline long, 300 conns"): quoted as CSV has it.
    my $csv_field = sub { $_[0] =~ /[",]/ ? '"' . ($_[0] =~ s/"/""/gr) . '"' : $_[0] };
    printf $csv "%s,%d,%.2f,%.0f,%.2f,%.2f,%.0f,%.3f,%.2f,%.2f,%s,%d,%.1f,%s\n", $csv_field->($r->{name}),
        $r->{requests}, $r->{duration_s}, $v{req_s}, $v{p99_ms}, $r->{cpu_s}, $rpc, $v{ratio},
        $cpu_us, $crypto, defined $v{overhead} ? sprintf('%.2f', $v{overhead}) : '',
        $r->{non2xx}, 1000 * $r->{preemptions} / $r->{requests}, $csv_field->($v{vs});
}
close $csv;

# Markdown table (pasted into docs/performance.md).
my $md = "| scenario | req/s | p99 ms | worker CPU s | req per worker CPU-s | vs baseline"
    . " | CPU µs/req | crypto µs | overhead µs |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
for my $r (@rows) {
    my $vs = $r->{name} =~ /^baseline/ ? '' : $r->{vs} eq 'baseline long' ? '*'
        : $r->{vs} eq 'baseline' ? '' : '†';
    $md .= sprintf "| %s | %.0f | %.2f | %.2f | %.0f | %.2f%s | %.1f | %s | %s |\n", $r->{name},
        $r->{req_s}, $r->{p99_ms}, $r->{cpu_s}, $r->{rpc}, $r->{ratio}, $vs, $r->{cpu_us},
        $r->{crypto} ? sprintf('%.1f', $r->{crypto}) : '-',
        defined $r->{overhead} ? sprintf('%.1f', $r->{overhead}) : '-';
}
$md .= sprintf "\n*: compared with \"baseline long\" (a %d-byte token in the request), the others"
    . " with \"baseline\" (a %d-byte token).\n", $long_bytes, length first_line($tokens{'repeated-HS256'});
$md .= rows_users_live_in_notes();
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
    my %wanted = map { $_ => 1 } ('baseline', 'baseline long', 'repeated RS256', 'garbage (notice)',
        (map { "distinct $_" } @$ALGS_DISTINCT), 'baseline auth_basic plain',
        (map { "control sha1crypt $_" } @CRYPT_ROUNDS), 'auth_basic beside a key file');
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
    # The overhead formula again, with the crypto measured where it runs: the crypto library's
    # share of this run's samples, not the microbenchmark's tight loop (whose caches stay warm
    # between verifications, while in the worker nginx, the kernel and wrk run in between).
    my %profiled = map { $_->{name} => $_ } @profile;
    for my $p (@profile) {
        next if $p->{name} =~ /^baseline/ || !$row_named{ $p->{name} };
        my $base = $profiled{ baseline_of($row_named{ $p->{name} })->{name} } or next;
        $p->{overhead} = $p->{cpu_us} - $base->{cpu_us} - $p->{crypto};
    }
    $profile_md = "| scenario (perf) | CPU µs/req | crypto | module code | libc | nginx | kernel "
        . "| overhead in situ |\n|---|---:|---:|---:|---:|---:|---:|---:|\n";
    $profile_md .= sprintf "| %s | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %s |\n", $_->{name},
        $_->{cpu_us}, @$_{qw(crypto module libc nginx kernel)},
        defined $_->{overhead} ? sprintf('%.1f', $_->{overhead}) : '-' for @profile;
    $profile_md .= "\noverhead in situ: CPU µs/req - its baseline's (both in this perf run) - crypto"
        . " (the crypto library's samples in this run)\n";
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

# === Rows users live in: notes, side by side with a peer, scaling =======================
# Lines under the main table: what the paired rows say together.
sub rows_users_live_in_notes {
    my $notes = '';
    $notes .= "†: compared with the row named in results.csv's compared_with column: auth_basic's"
        . " 401 for refused rows, the same request without auth_jwt for the mix, static-file and"
        . " repeated rows whose token length neither default baseline has (the row's own token).\n"
        if grep { ($_->{vs} // '') !~ /^baseline( long)?$/ && $_->{name} !~ /^baseline/ } @rows;
    my ($one, $big) = @row_named{ 'distinct RS256 1 key', "distinct RS256 $BIG_KEY_SET keys" };
    $notes .= sprintf "%d-key set, cache off: %+.1f µs per request over the 1-key set.\n",
        $BIG_KEY_SET, $big->{cpu_us} - $one->{cpu_us} if $one && $big;
    my ($file, $redirect) = @row_named{ 'static file RS256 nocache', 'redirect RS256 nocache' };
    $notes .= sprintf "Internal redirect, cache off: the module costs %.1f µs on the redirected"
        . " request, %.1f µs on the file named directly (overhead µs; the same would mean the"
        . " verdict is reused after the redirect).\n", $redirect->{overhead}, $file->{overhead}
        if $file && $redirect;
    my ($plain, $beside) = @row_named{ 'baseline auth_basic plain', 'auth_basic beside a key file' };
    $notes .= sprintf "auth_basic's user file beside a key file: %+.1f µs per request over the same"
        . " file in a directory without one (what waking the key file watchers on each open would"
        . " cost shows here).\n", $beside->{cpu_us} - $plain->{cpu_us} if $plain && $beside;
    for my $rounds (@CRYPT_ROUNDS) {
        my $control = $row_named{"control sha1crypt $rounds"} or next;
        $notes .= sprintf "Control, no module code: auth_basic with a %.1f µs password hash costs"
            . " %.1f µs beyond its {PLAIN} twin and the hash's warm-loop time.\n",
            $control->{crypto}, $control->{overhead};
    }
    return $notes;
}

use BenchInstance;
my %client_of_pin = (shared => [qw(taskset -c 0 chrt --idle 0)], split => [qw(taskset -c 1)], off => []);

# Runs rows on several instances in interleaved rounds (each row on every instance in turn),
# and keeps per instance and row the best run by $better. Returns { label => { row => run } },
# and { label => { row => status } } for the rows an instance answers with another status
# than expected (left out: a module that accepts what it should refuse is not measured).
sub run_rows_on {
    my ($instances, $rows, $better, %wrk) = @_;
    my (%best, %skip);
    for my $row (@$rows) {
        my ($name, $path, $tokens, $want) = @$row;
        for my $label (sort keys %$instances) {
            my $got = $instances->{$label}->status_of($path, $tokens);
            next if $got == $want;
            warn "$label: $name: $path answers $got, expected $want; left out\n";
            $skip{$label}{$name} = $got;
        }
    }
    for my $round (1 .. $rounds) {
        for my $row (@$rows) {
            my ($name, $path, $tokens, $want, $raw_alg, $opt) = @$row;
            my %o = (%wrk, connections => $opt->{connections} // $conns, repeat => $opt->{repeat});
            for my $label (sort keys %$instances) {
                next if $skip{$label}{$name};
                my $i = $instances->{$label};
                $i->wrk($path, $tokens, 1, %o);
                my $r = $i->wrk($path, $tokens, $duration, %o);
                printf STDERR "round %d/%d  %-8s %-26s %8.0f req/s  %6.1f µs worker CPU per request\n",
                    $round, $rounds, $label, $name, $r->{req_s}, $r->{cpu_us};
                $best{$label}{$name} = $r if !$best{$label}{$name} || $better->($r, $best{$label}{$name});
            }
        }
    }
    return (\%best, \%skip);
}

sub instance_conf {
    my ($so, $workers, $locations) = @_;
    my $affinity = $pin eq 'off' ? '' : $workers == 1 ? 'worker_cpu_affinity 01;' : 'worker_cpu_affinity auto;';
    return sub {
        my ($port) = @_;
        return <<"EOF";
# Written by bench/bench.pl.
load_module $so;
worker_processes $workers;
$affinity
error_log logs/error.log notice;
pid logs/nginx.pid;
events { worker_connections 1024; }
http {
    access_log off;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
    server {
        listen 127.0.0.1:$port;
$locations
    }
}
EOF
    };
}

# Side by side with another module (bench/run --peer path/to/module.so, or BENCH_PEER). Its
# directives have our names, so it cannot share a configuration with our module: it runs in
# an nginx instance of its own (the same binary), and ours in another with the same
# configuration text except the load_module line. Only auth_jwt and auth_jwt_key_file are
# used, with BENCH_PEER_KEYS (default: the main rows' t/data/jwks/all.json). Distinct tokens
# for both sides mean more tokens than our default cache holds, so the other algorithms get
# their own files of $BEYOND_CACHE.
my $peer_md = '';
if (my $peer_so = $ENV{BENCH_PEER}) {
    -f $peer_so or die "BENCH_PEER: $peer_so: no such file\n";
    my $peer_keys = $ENV{BENCH_PEER_KEYS} || $keys;
    my %key_of = (ES256 => 'ec256.pem', EdDSA => 'ed25519.pem', HS256 => 'hs256.bin');
    my %kid_of = (ES256 => 'ec256', EdDSA => 'ed25519', HS256 => 'hs256');
    my @beyond = map {
        my $file = mint_many("$out/tokens/beyond-cache-$_.txt", "tokens $root/t/data/keys/$key_of{$_}"
            . " $kid_of{$_} $BEYOND_CACHE --alg $_ --first 500000");
        ["beyond cache $_", '/jwt', $file, 200, "$_ distinct", { vs => 'baseline' }]
    } qw(ES256 EdDSA HS256);
    my $locations = <<"EOF";
        location = /none { empty_gif; }
        location = /basic { auth_basic "bench"; auth_basic_user_file $out/htpasswd; empty_gif; }
        location = /jwt { auth_jwt "bench"; auth_jwt_key_file $peer_keys; empty_gif; }
EOF
    my @peer_rows = (
        ['baseline', '/none', $tokens{'repeated-HS256'}, 200, undef, {}],
        ['baseline long', '/none', $tokens{'repeated-RS256'}, 200, undef, {}],
        [$basic_401, '/basic', $tokens{'repeated-RS256'}, 401, undef, {}],
        ["baseline long, $MIX_CLIENTS conns", '/none', $tokens{'repeated-RS256'}, 200, undef,
            { connections => $MIX_CLIENTS }],
        ['repeated RS256', '/jwt', $tokens{'repeated-RS256'}, 200, undef, { vs => 'baseline long' }],
        ['mix RS256', '/jwt', $tokens{mix}, 200, undef, \%mix],
        ['beyond cache RS256', '/jwt', $tokens{beyond}, 200, 'RS256 distinct', { vs => 'baseline long' }],
        @beyond,
        ['garbage', '/jwt', $tokens{garbage}, 401, undef, { vs => $basic_401 }],
        ['expired flood', '/jwt', $tokens{expired_flood}, 401, undef, { vs => $basic_401 }],
        ['not-yet-valid flood', '/jwt', $tokens{nbf_flood}, 401, undef, { vs => $basic_401 }],
    );
    if ($only) {
        my %keep = map { $_->[0] => 1 } grep { $_->[0] =~ /$only/ } @peer_rows;
        $keep{ $_->[5]{vs} // '' } = 1 for grep { $keep{ $_->[0] } } @peer_rows;
        @peer_rows = grep { $keep{ $_->[0] } } @peer_rows;
    }
    my %inst = (
        ours => BenchInstance->start(nginx => $nginx, dir => "$out/side-ours",
            conf => instance_conf($module, 1, $locations)),
        peer => BenchInstance->start(nginx => $nginx, dir => "$out/side-peer",
            conf => instance_conf($peer_so, 1, $locations)),
    );
    my ($best, $skipped) = run_rows_on(\%inst, \@peer_rows, sub { $_[0]{cpu_us} < $_[1]{cpu_us} },
        client => $client_of_pin{$pin});
    $_->stop for values %inst;
    $peer_md = "Side by side with $peer_so (each in its own nginx instance, same configuration):\n\n"
        . "| scenario | ours CPU µs/req | peer CPU µs/req | ours vs baseline | peer vs baseline"
        . " | ours ÷ peer | ours overhead µs | peer overhead µs |\n|---|---:|---:|---:|---:|---:|---:|---:|\n";
    for my $row (@peer_rows) {
        my ($name, undef, undef, undef, $raw_alg, $opt) = @$row;
        my ($o, $p) = map { $best->{$_}{$name} } qw(ours peer);
        my %cell;
        for my $side (['ours', $o], ['peer', $p]) {
            my ($label, $r) = @$side;
            my $b = $opt->{vs} && $best->{$label}{ $opt->{vs} };
            my $answer = $skipped->{$label}{$name};
            $cell{"$label cpu"} = $r ? sprintf('%.1f', $r->{cpu_us}) : $answer ? "answers $answer" : '-';
            $cell{"$label ratio"} = $r && $b ? sprintf('%.2f', $b->{cpu_us} / $r->{cpu_us}) : '-';
            my $crypto = $raw_alg ? ($raw_ns{$raw_alg} // 0) / 1000 : 0;
            $cell{"$label overhead"} = $r && $b ? sprintf('%.1f', $r->{cpu_us} - $b->{cpu_us} - $crypto) : '-';
        }
        my $x = $o && $p ? sprintf('%.2f×', $p->{cpu_us} / $o->{cpu_us}) : '-';
        $peer_md .= "| $name | $cell{'ours cpu'} | $cell{'peer cpu'} | $cell{'ours ratio'} | $cell{'peer ratio'}"
            . " | $x | $cell{'ours overhead'} | $cell{'peer overhead'} |\n";
    }
    $peer_md .= "\nours ÷ peer: requests per worker CPU-second, ours over the peer's. Overhead: CPU"
        . " µs/req − the instance's own baseline − our microbenchmark's raw verification"
        . " (rows that verify on every request; the peer's crypto library may differ).\n";
    open(my $fh, '>', "$out/results-peer.md") or die $!;
    print $fh $peer_md;
    close $fh;
}

# Scaling (BENCH_WORKERS=N, N > 1): the realistic mix with worker_processes N against one
# worker, in two more instances. Throughput is what scales, so the best run is the one with
# the most requests per second; wrk runs N threads, unpinned at the normal class (with N
# workers on N CPUs there is no CPU left to give it, and at the idle class it would starve),
# so on a machine with N CPUs the client's own CPU caps the scaling: CPU µs/req shows
# whether the workers themselves stay as cheap per request (each caches on its own).
my $scaling_md = '';
my $workers_n = $ENV{BENCH_WORKERS} // 1;
if ($workers_n > 1) {
    my $locations = <<"EOF";
        location = /none { empty_gif; }
        location = /jwt { auth_jwt "bench"; auth_jwt_key_file $keys; empty_gif; }
EOF
    my %inst = map {
        ("$_ worker" . ($_ > 1 ? 's' : '')) => BenchInstance->start(nginx => $nginx,
            dir => "$out/scaling-$_", workers => $_, conf => instance_conf($module, $_, $locations))
    } 1, $workers_n;
    my @scaling_rows = (
        ["baseline long, $MIX_CLIENTS conns", '/none', $tokens{'repeated-RS256'}, 200, undef,
            { connections => $MIX_CLIENTS }],
        ['mix RS256', '/jwt', $tokens{mix}, 200, undef, \%mix],
    );
    my ($best) = run_rows_on(\%inst, \@scaling_rows, sub { $_[0]{req_s} > $_[1]{req_s} },
        threads => $workers_n, client => []);
    $_->stop for values %inst;
    my ($one, $n) = ('1 worker', "$workers_n workers");
    $scaling_md = "Scaling: worker_processes $workers_n against 1 (wrk -t$workers_n -c$MIX_CLIENTS,"
        . " unpinned, sharing the CPUs):\n\n| scenario | $one req/s | $n req/s | scaling"
        . " | $one CPU µs/req | $n CPU µs/req |\n|---|---:|---:|---:|---:|---:|\n";
    for my $row (@scaling_rows) {
        my ($a, $b) = map { $best->{$_}{ $row->[0] } } $one, $n;
        next unless $a && $b;
        $scaling_md .= sprintf "| %s | %.0f | %.0f | %.2f | %.1f | %.1f |\n", $row->[0],
            $a->{req_s}, $b->{req_s}, $b->{req_s} / $a->{req_s}, $a->{cpu_us}, $b->{cpu_us};
    }
    $scaling_md .= sprintf "\n%d CPUs on this machine; wrk shares them with the workers.\n",
        `nproc` + 0;
    open(my $fh, '>', "$out/results-scaling.md") or die $!;
    print $fh $scaling_md;
    close $fh;
}
# Cold cache under load: a fresh instance (no key set fetched yet) with BENCH_COLD_WORKERS
# workers (default: BENCH_WORKERS, at least 2) takes a burst of wrk -c64 on a key request
# location. Single flight means each worker fetches once, however many requests wait: the
# IdP (a server block of the same instance) counts the fetches in its access log, and the run
# dies unless they equal the workers. `listen ... reuseport` spreads the 64 connections over
# every worker. The burst's p99 includes the requests that waited for the fetch.
my $cold_md = '';
if (!defined $only || 'key request cold burst' =~ /$only/) {
    my $cold_workers = $ENV{BENCH_COLD_WORKERS} // ($workers_n > 1 ? $workers_n : 2);
    my $cold_dir = "$out/cold";
    my $idp_log = "$cold_dir/logs/idp.log";
    unlink $idp_log;
    my $cold = BenchInstance->start(nginx => $nginx, dir => $cold_dir, workers => $cold_workers,
        conf => sub {
            my ($p) = @_;
            return <<"CONF";
# Written by bench/bench.pl: the cold cache row.
load_module $module;
worker_processes $cold_workers;
error_log logs/error.log notice;
pid logs/nginx.pid;
events { worker_connections 1024; }
http {
    access_log off;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$p reuseport;
        location = /_jwks { internal; proxy_pass http://unix:$cold_dir/idp.sock:/jwks.json; }
        location = /jkr {
            auth_jwt "bench"; auth_jwt_key_cache 1h; auth_jwt_key_request /_jwks;
            empty_gif;
        }
    }
    server {
        listen unix:$cold_dir/idp.sock;
        access_log $idp_log;
        location = /jwks.json { alias $keys; }
    }
}
CONF
        });
    my $r = $cold->wrk('/jkr', $tokens{'repeated-RS256'}, 2, connections => 64,
        threads => 2, client => []);
    $cold->stop;
    open(my $fh, '<', $idp_log) or die "$idp_log: $!";
    my $fetches = grep { m{"GET /jwks\.json } } <$fh>;
    close $fh;
    die "key request cold burst: the IdP saw $fetches fetches for $cold_workers workers\n"
        unless $fetches == $cold_workers;
    die "key request cold burst: $r->{non2xx} answers were not 2xx\n" if $r->{non2xx};
    $cold_md = sprintf "Key request, cold cache under load (wrk -t2 -c64, 2 s, a fresh instance,"
        . " worker_processes %d): %d fetches seen by the IdP (one per worker), %d requests,"
        . " p99 %.1f ms, p50 %.2f ms\n", $cold_workers, $fetches, $r->{requests},
        $r->{p99_us} / 1000, $r->{p50_us} / 1000;
    open(my $out_fh, '>', "$out/results-cold.md") or die $!;
    print $out_fh $cold_md;
    close $out_fh;
}
# === end of rows users live in: notes, side by side with a peer, scaling ================

# --- chart ---------------------------------------------------------------------------------
# bench/lib/chart.pl draws it from results.csv, so a kept run can be drawn again.
system('perl', "$Bin/lib/chart.pl", "$out/results.csv", "$out/results.png") == 0
    or warn "no chart: bench/lib/chart.pl failed\n"
    if system('command -v gnuplot >/dev/null') == 0;

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
# The key request rows against their references (requests per worker CPU-second).
my %by_name = map { $_->{name} => $_ } @rows;
for my $pair (['key request warm', 'key file warm'], ['IdP down, stale keys', 'key request warm']) {
    my ($row, $ref) = @by_name{@$pair};
    next unless $row && $ref && $ref->{rpc};
    printf "%s / %s: %.3f\n", @$pair, $row->{rpc} / $ref->{rpc};
}
print "crypto µs: raw verification time from the microbenchmark (rows that verify on every request)\n";
print "overhead µs: CPU µs/req - baseline - crypto\n";
print "\n$profile_md" if $profile_md;
print "\n$peer_md" if $peer_md;
print "\n$scaling_md" if $scaling_md;
print "\n$cold_md" if $cold_md;
print $memory, "\n" if $memory;
print "machine: $cpu, ", `nproc` =~ s/\n//r, " cores, load average $load (other processes share it)\n";
print "run: $rounds rounds of $duration s per scenario, wrk -t1 -c$conns, nginx worker_processes 1",
    { shared => ', worker and wrk both on CPU 0 (wrk at the idle class)', split => ', worker on CPU 0, wrk on CPU 1',
      off => ', not pinned' }->{$pin}, "\n";
print "files: $out/results.csv, $out/results.md, $out/results.png",
    ($profile_md ? ", $out/profile.md" : ''),
    ($memory ? ", $out/memory.txt" : ''), ($peer_md ? ", $out/results-peer.md" : ''),
    ($scaling_md ? ", $out/results-scaling.md" : ''), "\n";
