package Test::Nginx::Socket;

# Our own, from-scratch implementation of the part of OpenResty's Test::Nginx::Socket
# data-driven interface that this project uses, in core Perl only (Test::Nginx is not packaged
# in Debian and CPAN is out of reach). A .t file written for it also runs under the real
# Test::Nginx, so stay inside the subset below, and keep the test counts the same:
#
#   every block:   1 status test ("status code ok", 200 unless --- error_code), or for
#                  --- must_die 1 "die as expected" test and no response tests;
#                  + 1 per --- response_headers(_like) line, + 1 for --- response_body(_like),
#                  + 1 per --- error_log pattern, + 1 per --- no_error_log pattern,
#                  + 1 per --- access_log pattern (our extension, see below).
#
# Sections: main_config http_config config request raw_request more_headers error_code
# response_body response_body_like response_headers response_headers_like error_log
# no_error_log log_level must_die user_files timeout, and ONLY, SKIP, LAST.
#
# Extension: --- access_log takes patterns like --- error_log and matches them against the
# lines of logs/access.log (write a log_format in http_config and an access_log in config).
# The real Test::Nginx::Socket has no such section and ignores it, so a file using it has
# fewer tests there. Filters after the
# section name: eval (Perl code, run in package main: write $::var so the real Test::Base,
# which evaluates elsewhere, sees the same variable), chomp, chop, trim, norm, lines, join,
# or a function of package main. `--- name: value` gives a one-line value.
#
# Environment: TEST_NGINX_BINARY (required), TEST_NGINX_LOAD_MODULES (space-separated .so
# paths), TEST_NGINX_SERVROOT (default: a fresh 0755 dir under /tmp per .t file, removed at
# the end unless a test failed), TEST_NGINX_TIMEOUT (request timeout, default 5 s).
# TEST_NGINX_USE_VALGRIND: run every nginx (and `nginx -t`) under valgrind: "1" for memcheck
# with the options of @ValgrindDefaults, or the valgrind options to use instead; with
# TEST_NGINX_VALGRIND_LOG_DIR, each process writes DIR/<pid>.log (scripts/sanitize reads them),
# else valgrind reports on nginx's stderr. Time limits are raised under valgrind.
# $TEST_NGINX_<NAME> in any section is replaced from %ENV; the harness sets
# TEST_NGINX_SERVER_PORT per block, and TEST_NGINX_DATA (t/data), TEST_NGINX_HTML and
# TEST_NGINX_HTML_DIR (the servroot html dir) unless already set.

use strict;
use warnings;
use Cwd ();
use Exporter ();
use File::Basename qw(dirname);
use File::Path qw(make_path remove_tree);
use File::Spec;
use File::Temp ();
use IO::Select;
use IO::Socket::INET;
use POSIX ();
use Test::More ();
use Time::HiRes qw(sleep time);

our @ISA    = ('Exporter');
our @EXPORT = qw(run_tests blocks repeat_each no_shuffle no_long_string log_level
                 no_root_location env_to_nginx html_dir server_root
                 nginx_binary load_module_lines nginx_test_config);

my $LogLevel       = 'debug';    # the real default
my $RepeatEach     = 1;
my $RootLocation   = 1;
my @EnvToNginx;
my $Valgrind       = $ENV{TEST_NGINX_USE_VALGRIND};
my $Slow           = $Valgrind ? 10 : 1;    # valgrind runs nginx ~10-50 times slower
my $StartTimeout   = 5 * $Slow;  # seconds for nginx to start listening (or to die)
my $LogWait        = 1 * $Slow;  # seconds to wait for --- error_log lines to show up
# Memcheck, following the fork into the worker; errors and definite leaks only, as "still
# reachable" memory is how nginx keeps its cycle until exit.
my @ValgrindDefaults = qw(--tool=memcheck --trace-children=yes --leak-check=full
                          --show-leak-kinds=definite --errors-for-leak-kinds=definite
                          --num-callers=40);
my $ServRoot;
my $OwnServRoot;                 # we made it, so we remove it
my $Nginx;                       # { pid, port } of the running nginx, if any

# `use Test::Nginx::Socket 'no_plan';` / `tests => N` / nothing (then: plan tests => N, or
# done_testing is called by run_tests). Test::More's functions are exported too, as the real
# module does.
sub import {
    my ($class, @args) = @_;
    my $caller = caller;
    eval "package $caller; Test::More->import(\@args); 1" or die $@;
    $class->export_to_level(1, $class, @EXPORT);
}

sub repeat_each      { $RepeatEach = shift if @_; return $RepeatEach }
sub log_level        { $LogLevel = shift if @_; return $LogLevel }
sub no_root_location { $RootLocation = 0 }
sub env_to_nginx     { push @EnvToNginx, @_ }
sub no_shuffle       { }    # we never shuffle
sub no_long_string   { }    # we always use plain is()

# ---------------------------------------------------------------------------------------------
# Paths and environment

sub _t_dir { Cwd::abs_path(File::Spec->catdir(dirname(__FILE__), ('..') x 3)) }

sub nginx_binary {
    my $bin = $ENV{TEST_NGINX_BINARY};
    die "TEST_NGINX_BINARY is not set (path of the nginx binary to test)\n" unless $bin;
    die "TEST_NGINX_BINARY=$bin is not an executable\n" unless -x $bin;
    return File::Spec->rel2abs($bin);
}

# One `load_module` line per TEST_NGINX_LOAD_MODULES entry. Relative paths are made absolute:
# nginx would resolve them against the prefix (the servroot), not the current directory.
sub load_module_lines {
    my @mods = grep { length } split ' ', $ENV{TEST_NGINX_LOAD_MODULES} // '';
    return join '', map { 'load_module ' . File::Spec->rel2abs($_) . ";\n" } @mods;
}

sub server_root {
    return $ServRoot if $ServRoot;
    if ($ENV{TEST_NGINX_SERVROOT}) {
        $ServRoot = File::Spec->rel2abs($ENV{TEST_NGINX_SERVROOT});
        make_path($ServRoot);
    } else {
        $ServRoot = File::Temp::tempdir('ngx-test-XXXXXX', TMPDIR => 1);
        $OwnServRoot = 1;
    }
    # As root, workers run as nobody unless `user root;`: keep every dir world-readable.
    chmod 0755, $ServRoot;
    return $ServRoot;
}

sub html_dir { return server_root() . '/html' }

sub _init_env {
    $ENV{TEST_NGINX_DATA}     //= _t_dir() . '/data';
    $ENV{TEST_NGINX_HTML}     //= html_dir();
    $ENV{TEST_NGINX_HTML_DIR} //= html_dir();
}

# $TEST_NGINX_<NAME> -> $ENV{TEST_NGINX_<NAME>}, recursing into array refs (eval sections);
# regexes and other references are left alone. An unset variable is an error, as in the
# real module (which bails out).
sub _expand {
    my ($v, $name) = @_;
    return $v unless defined $v;
    return [map { _expand($_, $name) } @$v] if ref $v eq 'ARRAY';
    return $v if ref $v;
    $v =~ s{\$(TEST_NGINX_[_A-Z0-9]+)}{
        $ENV{$1} // die "$name - environment variable $1 is not set\n"
    }ge;
    return $v;
}

# ---------------------------------------------------------------------------------------------
# The data section (a compatible subset of Test::Base)

my $Blocks;

sub _parse_spec {
    my ($file) = @_;
    open(my $fh, '<', $file) or die "cannot read $file: $!\n";
    my @lines = <$fh>;
    close $fh;
    my $ln = 0;
    while (@lines) {
        $ln++;
        last if shift(@lines) =~ /^__(?:DATA|END)__\r?$/;
    }
    my (@blocks, $block, $sec);
    for my $line (@lines) {
        $ln++;
        if ($line =~ /^===[ \t]*(.*?)\s*$/) {
            $block = { name => $1, line => $ln, sections => {}, order => [] };
            push @blocks, $block;
            undef $sec;
        } elsif ($block && $line =~ /^--- +\(?(\w+)\)? *(.*?)\s*$/) {
            my ($type, $rest) = ($1, $2);
            $sec = { filters => $rest, text => '', line => $ln + 1 };
            # "--- name filters: value" is a one-line section.
            if ($rest =~ /:(\s|\z)/) {
                my ($f, $v) = split /\s*:(?:\s+|\z)/, $rest, 2;
                ($sec->{filters}, $sec->{text}, $sec->{inline}) = ($f, $v // '', 1);
            }
            $block->{sections}{$type} = $sec;
            push @{ $block->{order} }, $type;
        } elsif ($sec) {
            if ($sec->{inline}) {
                die "$file line $ln: extra text after a one-line section\n" if $line =~ /\S/;
                next;
            }
            $sec->{text} .= $line;
        }
    }
    # ONLY keeps that block alone, SKIP drops a block, LAST drops the blocks after it.
    my @kept;
    for my $b (@blocks) {
        if (exists $b->{sections}{ONLY}) {
            Test::More::diag("WARNING: $b->{name} - --- ONLY: running this block only");
            return [$b];
        }
        next if exists $b->{sections}{SKIP};
        push @kept, $b;
        last if exists $b->{sections}{LAST};
    }
    return \@kept;
}

sub _blocks {
    $Blocks //= _parse_spec($0);
    return $Blocks;
}

# In scalar context the number of blocks, for `plan tests => repeat_each() * blocks() * 2`.
sub blocks {
    my $b = _blocks();
    return wantarray ? map { Test::Nginx::Socket::Block->new($_) } @$b : scalar @$b;
}

my %FILTERS = (
    norm  => sub { map { my $s = $_ // ''; $s =~ s/\r\n?/\n/g; $s } @_ },
    trim  => sub { map { my $s = $_; $s =~ s/\A([ \t]*\n)+//; $s =~ s/(?<=\n)\s*\z//; $s } @_ },
    chomp => sub { map { my $s = $_; chomp $s; $s } @_ },
    chop  => sub { map { my $s = $_; chop $s; $s } @_ },
    lines => sub { map { /^(.*\n?)/gm } @_ },
    join  => sub { join '', @_ },
);

# Runs the default filters (norm, trim) and the section's own; returns the section's values.
sub _filter_section {
    my ($block, $type) = @_;
    my $sec = $block->{sections}{$type};
    my @names = ('norm', 'trim');
    for my $f (split ' ', $sec->{filters}) {
        if ($f =~ s/^-//) { @names = grep { $_ ne $f } @names } else { push @names, $f }
    }
    my @v = ($sec->{text});
    for my $f (@names) {
        if ($f eq 'eval') {
            my $code = $v[0];
            my $file = $0;
            no strict;
            @v = eval "package main;\n#line $sec->{line} \"$file\"\n$code";
            die "$block->{name} - --- $type eval failed: $@" if $@;
        } elsif ($FILTERS{$f}) {
            @v = $FILTERS{$f}->(@v);
        } elsif (my $fn = main->can($f)) {
            @v = $fn->(@v);
        } else {
            die "$block->{name} - --- $type: unknown filter '$f'\n";
        }
    }
    return @v;
}

# A block with every section filtered and expanded: { name => ..., <section> => value }.
sub _prepare_block {
    my ($raw) = @_;
    my %b = (name => $raw->{name});
    for my $type (@{ $raw->{order} }) {
        my @v = _filter_section($raw, $type);
        $b{$type} = _expand(@v > 1 ? \@v : $v[0], $raw->{name});
    }
    # The real module silently ignores the second of these pairs: refuse to have both.
    for my $pair (['response_body', 'response_body_like'],
                  ['response_headers', 'response_headers_like']) {
        die "$b{name} - use --- $pair->[0] or --- $pair->[1], not both\n"
            if exists $b{ $pair->[0] } && exists $b{ $pair->[1] };
    }
    return \%b;
}

# ---------------------------------------------------------------------------------------------
# Running

sub run_tests {
    eval { nginx_binary(); 1 } or Test::More::BAIL_OUT($@);
    _init_env();
    my $tb = Test::More->builder;
    for my $raw (@{ _blocks() }) {
        my $failed_before = grep { !$_ } $tb->summary;
        eval { _run_block($raw); 1 } or do {
            my $err = $@;
            _stop_nginx();
            Test::More::fail("$raw->{name} - harness error");
            Test::More::diag($err);
        };
        _stop_nginx();
        if ((grep { !$_ } $tb->summary) > $failed_before) {
            Test::More::diag("$raw->{name} is at $0 line $raw->{line}; "
                             . _log_tail("$ServRoot/logs/error.log", 30));
        }
    }
    Test::More::done_testing() unless $tb->has_plan;
}

sub _run_block {
    my ($raw) = @_;
    my $root = server_root();
    my ($b, $port, $started);

    # A port found free may be taken again before nginx binds it: then retry on another.
    for my $attempt (1 .. 3) {
        # Fresh html dir, conf and logs for every block.
        remove_tree("$root/html", "$root/logs");
        make_path(map { "$root/$_" } qw(conf logs html));
        chmod 0755, map { "$root/$_" } qw(conf logs html);

        $port = _free_port();
        $ENV{TEST_NGINX_SERVER_PORT} = $port;
        $b = _prepare_block($raw);    # after the port is known: eval code may use it
        _write_user_files($b);
        _write_conf($b, $port);

        return _run_must_die($b, $port) if exists $b->{must_die};

        $started = _start_nginx($b, $port, $attempt < 3);
        last unless $started eq 'retry';
    }
    return unless $started;
    my $name = $b->{name};
    for my $i (1 .. $RepeatEach) {
        my ($res, $err) = _http($b, $port);
        if ($err) {
            # A timeout or a truncated body must not pass on a partial response: drop it,
            # so the status check fails (the test count stays the same).
            Test::More::diag("$name - $err");
            undef $res;
        }
        _check_response($b, $res);
        _check_error_log($b, "$root/logs/error.log");
        _check_access_log($b, "$root/logs/access.log");
    }
}

sub _free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Proto => 'tcp',
                                  Listen => 1, ReuseAddr => 1)
        or die "cannot bind a free port: $!\n";
    my $port = $s->sockport;
    close $s;
    return $port;
}

sub _write_user_files {
    my ($b) = @_;
    my $files = $b->{user_files} // return;
    if (!ref $files) {
        my @list;
        for my $line (split /^/, $files) {
            if ($line =~ /^>>> (\S+)/) { push @list, [$1, ''] }
            elsif (@list)              { $list[-1][1] .= $line }
        }
        $files = \@list;
    }
    for my $f (@$files) {
        my ($fname, $body) = @$f;
        my $path = $fname =~ m{^/} ? $fname : html_dir() . "/$fname";
        make_path(dirname($path));
        open(my $out, '>:raw', $path) or die "$b->{name} - cannot write $path: $!\n";
        print $out $body // '';
        close $out;
    }
}

sub _write_conf {
    my ($b, $port) = @_;
    my $root = server_root();
    my $html = html_dir();
    my $level = $b->{log_level} // $LogLevel;
    my $user = $> == 0 ? "user root;\n" : '';
    my $env = join '', map { "env $_;\n" } @EnvToNginx;
    my $main = $b->{main_config} // '';
    my $http = $b->{http_config} // '';
    my $config = $b->{config} // '';
    my $rootloc = $RootLocation
        ? "        location / {\n            root $html;\n            index index.html index.htm;\n        }\n"
        : '';
    my $temp = join '', map { "    ${_}_temp_path $root/${_}_temp;\n" }
                            qw(client_body proxy fastcgi uwsgi scgi);

    my $conf = <<"EOC";
# Written by t/lib/Test/Nginx/Socket.pm for: $b->{name}
@{[ load_module_lines() ]}daemon off;
master_process on;
worker_processes 1;
${user}error_log logs/error.log $level;
pid logs/nginx.pid;
$env
$main

events {
    worker_connections 64;
}

http {
    access_log logs/access.log;
    default_type text/plain;
$temp
$http

    server {
        listen 127.0.0.1:$port;
        server_name localhost;
        client_max_body_size 30M;

$config

$rootloc    }
}
EOC
    $conf =~ s/\n{3,}/\n\n/g;
    _spit("$root/conf/nginx.conf", $conf);
}

# Starts nginx in the foreground (daemon off) as our child, stdout/stderr to files.
sub _spawn {
    my $root = server_root();
    my @cmd = (_valgrind(), nginx_binary(), '-p', "$root/", '-c', 'conf/nginx.conf',
               '-e', "$root/logs/error.log", @_);
    my $pid = fork // die "fork: $!\n";
    if (!$pid) {
        open(STDIN, '<', '/dev/null');
        open(STDOUT, '>>', "$root/logs/stdout.log");
        open(STDERR, '>>', "$root/logs/stderr.log");
        exec(@cmd) or POSIX::_exit(127);
    }
    return $pid;
}

# Listening is certain once the pid file holds the master's pid (nginx opens the listening
# sockets before it writes the pid file) and, where /proc/net/tcp exists, the port shows up
# in state LISTEN. No probe connection: it would leave "client closed connection" lines in an
# info-level error log.
sub _ready {
    my ($pid, $port) = @_;
    my $root = server_root();
    open(my $fh, '<', "$root/logs/nginx.pid") or return 0;
    my $p = <$fh> // '';
    chomp $p;
    return 0 unless $p eq $pid;
    open(my $tcp, '<', '/proc/net/tcp') or return 1;
    my $hex = sprintf ':%04X', $port;
    while (<$tcp>) {
        my @f = split;
        return 1 if ($f[1] // '') =~ /\Q$hex\E$/ && ($f[3] // '') eq '0A';
    }
    return 0;
}

sub _start_nginx {
    my ($b, $port, $may_retry) = @_;
    my $root = server_root();
    my $pid = _spawn();
    $Nginx = { pid => $pid, port => $port };
    my $deadline = time + $StartTimeout;
    while (time < $deadline) {
        return 1 if _ready($pid, $port);
        if (waitpid($pid, POSIX::WNOHANG()) == $pid) {
            undef $Nginx;
            return 'retry'
                if $may_retry && _slurp("$root/logs/stderr.log") =~ /Address already in use/;
            Test::More::fail("$b->{name} - nginx failed to start (exit status " . ($? >> 8) . ')');
            Test::More::diag(_slurp("$root/logs/stderr.log"));
            return 0;
        }
        sleep 0.02;
    }
    Test::More::fail("$b->{name} - nginx did not listen on port $port within ${StartTimeout}s");
    Test::More::diag(_slurp("$root/logs/stderr.log"));
    _stop_nginx();
    return 0;
}

# SIGQUIT (graceful), then SIGTERM, then SIGKILL to the master *and* its workers: a killed
# master leaves its worker serving the port. $fast (on interrupt) skips the graceful step,
# which would wait for open connections.
sub _stop_nginx {
    my ($fast) = @_;
    my $n = $Nginx or return;
    undef $Nginx;
    my $pid = $n->{pid};
    my @steps = (['QUIT', 5 * $Slow], ['TERM', 2 * $Slow], ['KILL', 2]);
    shift @steps if $fast;
    for my $step (@steps) {
        my ($sig, $wait) = @$step;
        kill $sig, ($sig eq 'KILL' ? _children($pid) : ()), $pid;
        my $deadline = time + $wait;
        while (time < $deadline) {
            return if waitpid($pid, POSIX::WNOHANG()) != 0;
            sleep 0.01;
        }
    }
}

# The command prefix that runs nginx under valgrind (TEST_NGINX_USE_VALGRIND), or nothing.
sub _valgrind {
    return () unless $Valgrind;
    my @opt = $Valgrind eq '1' ? @ValgrindDefaults : split ' ', $Valgrind;
    if (my $dir = $ENV{TEST_NGINX_VALGRIND_LOG_DIR}) {
        make_path($dir);
        push @opt, '--log-file=' . File::Spec->rel2abs($dir) . '/%p.log'
            unless grep { /^--log-(?:file|fd|socket)=/ } @opt;
    }
    return ('valgrind', @opt);
}

sub _children {
    my ($ppid) = @_;
    my @kids;
    for my $stat (glob '/proc/[0-9]*/stat') {
        open(my $fh, '<', $stat) or next;
        my $line = <$fh> // next;
        push @kids, $1 if $line =~ /^(\d+) \(.*\) \S+ (\d+)/ && $2 == $ppid;
    }
    return @kids;
}

sub _run_must_die {
    my ($b, $port) = @_;
    my $root = server_root();
    my $name = $b->{name};
    my $pid = _spawn();
    my ($status, $deadline) = (undef, time + $StartTimeout);
    while (time < $deadline) {
        if (waitpid($pid, POSIX::WNOHANG()) == $pid) { $status = $?; last }
        last if _ready($pid, $port);
        sleep 0.02;
    }
    if (!defined $status) {
        $Nginx = { pid => $pid };
        _stop_nginx();
        Test::More::fail("$name - die as expected (nginx kept running)");
    } elsif ($b->{must_die} =~ /^\d+$/) {
        Test::More::is($status >> 8, $b->{must_die}, "$name - die with the expected exit code");
    } else {
        Test::More::isnt($status, 0, "$name - die as expected");
    }
    # Startup errors go to stderr (and to the -e log): match both.
    my $tmp = "$root/logs/must_die.log";
    _spit($tmp, _slurp("$root/logs/stderr.log") . _slurp("$root/logs/error.log"));
    _check_error_log($b, $tmp);
}

# ---------------------------------------------------------------------------------------------
# HTTP

sub _build_request {
    my ($b) = @_;
    return $b->{raw_request} if defined $b->{raw_request};
    my $req = $b->{request} // die "$b->{name} - no --- request section\n";
    die "$b->{name} - several requests per block are not supported\n" if ref $req;
    my ($first, $body) = split /\n/, $req, 2;
    my ($method, $uri, $proto) = split ' ', $first;
    die "$b->{name} - empty request line\n" unless $method;
    $uri //= '/';
    $proto //= 'HTTP/1.1';

    my @hdrs;
    for my $line (split /\n+/, $b->{more_headers} // '') {
        next if $line =~ /^\s*#/;
        my ($k, $v) = split /:\s*/, $line, 2;
        push @hdrs, "$k: " . ($v // '');
    }
    my $has = sub { my $n = shift; grep { /^\Q$n\E:/i } @hdrs };
    unshift @hdrs, 'Connection: close' unless $has->('Connection');
    unshift @hdrs, 'Host: localhost' unless $has->('Host');
    $body = '' unless defined $body;
    $body =~ s/^\s+|\s+$//g;
    push @hdrs, 'Content-Length: ' . length($body) if length $body && !$has->('Content-Length');
    return "$method $uri $proto\r\n" . join('', map { "$_\r\n" } @hdrs) . "\r\n" . $body;
}

# Sends the request and reads the response, until the message is complete or the server
# closes the connection. Returns ($response, $error).
sub _http {
    my ($b, $port) = @_;
    my $timeout = $b->{timeout} // $ENV{TEST_NGINX_TIMEOUT} // 5 * $Slow;
    $timeout = $1 / ($2 && $2 eq 'ms' ? 1000 : 1) if $timeout =~ /^([\d.]+)\s*(ms|s)?$/;
    my $deadline = time + $timeout;
    my $request = _build_request($b);
    my $head_req = $request =~ /^HEAD /;

    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                      Proto => 'tcp', Timeout => $timeout)
        or return (undef, "cannot connect to 127.0.0.1:$port: $!");
    local $SIG{PIPE} = 'IGNORE';
    my $sel = IO::Select->new($sock);
    while (length $request) {
        my $left = $deadline - time;
        return (undef, "timeout while sending the request") if $left <= 0;
        next unless $sel->can_write($left);
        my $n = syswrite($sock, $request);
        last unless defined $n;    # the server may answer and close before reading it all
        substr($request, 0, $n) = '';
    }
    my $raw = '';
    while (1) {
        my $done = _parse_response($raw, 0, $head_req);
        return ($done) if $done;
        my $left = $deadline - time;
        return (_parse_response($raw, 1, $head_req), "timeout reading the response (${timeout}s)")
            if $left <= 0;
        next unless $sel->can_read($left);
        my $n = sysread($sock, $raw, 65536, length $raw);
        next if $n;
        my $res = _parse_response($raw, 1, $head_req);
        return ($res, !defined $n ? "read error: $!"
                    : $res        ? $res->{error}
                    :               'connection closed without a response');
    }
}

# { code, raw_headers, headers => [[name, value]...], body } when $raw holds a complete
# response (or at EOF, whatever arrived); undef when more is to come.
sub _parse_response {
    my ($raw, $eof, $head_req) = @_;
    my $end = index($raw, "\r\n\r\n");
    if ($end < 0) {
        return undef unless $eof;
        return length $raw ? { code => '', raw_headers => $raw, headers => [], body => '' } : undef;
    }
    my $head = substr($raw, 0, $end + 2);
    my $rest = substr($raw, $end + 4);
    my ($status, @lines) = split /\r\n/, $head;
    my ($code) = $status =~ m{^HTTP/\d\.\d\s+(\d{3})};
    my @headers;
    for (@lines) {
        if (/^[ \t]/ && @headers) { $headers[-1][1] .= " $_"; next }
        push @headers, [$1, $2] if /^([^:]+?)\s*:\s*(.*?)\s*$/;
    }
    my $res = { code => $code // '', raw_headers => $head, headers => \@headers, body => '' };
    my $hdr = sub { my $n = lc shift; (map { $_->[1] } grep { lc $_->[0] eq $n } @headers)[0] };

    if ($head_req || ($code // 0) =~ /^(1\d\d|204|304)$/) {
        return $res;
    }
    if (($hdr->('Transfer-Encoding') // '') =~ /chunked/i) {
        my $body = '';
        while ($rest =~ s/\A([0-9a-fA-F]+)[^\r\n]*\r\n//) {
            my $size = hex $1;
            if ($size == 0) { $res->{body} = $body; return $res }
            if (length($rest) < $size + 2) { $rest = ''; last }
            $body .= substr($rest, 0, $size);
            substr($rest, 0, $size + 2) = '';
        }
        return undef unless $eof;
        $res->{body} = $body;
        $res->{error} = 'truncated chunked body';
        return $res;
    }
    if (defined(my $len = $hdr->('Content-Length'))) {
        return undef if length($rest) < $len && !$eof;
        $res->{body} = substr($rest, 0, $len);
        return $res;
    }
    return undef unless $eof;
    $res->{body} = $rest;
    return $res;
}

sub _header {
    my ($res, $name) = @_;
    return undef unless $res;
    my @v = map { $_->[1] } grep { lc $_->[0] eq lc $name } @{ $res->{headers} };
    return @v ? join(', ', @v) : undef;
}

# ---------------------------------------------------------------------------------------------
# Checks

sub _check_response {
    my ($b, $res) = @_;
    my $name = $b->{name};
    my $code = $res ? $res->{code} : '';

    Test::More::is($code, $b->{error_code} // 200, "$name - status code ok");

    my $port = $ENV{TEST_NGINX_SERVER_PORT};
    for my $pair (['response_headers', 0], ['response_headers_like', 1]) {
        my ($sec, $like) = @$pair;
        next unless defined $b->{$sec};
        for my $line (split /\n/, $b->{$sec}) {
            $line =~ s/^\s+|\s+$//g;
            next unless length $line;
            if ($line =~ s/^!\s*//) {
                Test::More::unlike($res ? $res->{raw_headers} : '', qr/^\s*\Q$line\E\s*:/mi,
                                   "$name - header $line not present in the raw headers");
                next;
            }
            my ($key, $val) = split /\s*:\s*/, $line, 2;
            $val //= '';
            $val =~ s/\$ServerPort\b/$port/g;
            my $got = _header($res, $key) // '';
            if ($like) { Test::More::like($got, qr/^$val$/, "$name - header $key like ok") }
            else       { Test::More::is($got, $val, "$name - header $key ok") }
        }
    }

    my $body = $res ? $res->{body} : undef;
    if (exists $b->{response_body}) {
        my $exp = $b->{response_body};
        if (ref $exp eq 'Regexp') {
            Test::More::like($body, $exp, "$name - response_body - like");
        } else {
            $exp =~ s/\$ServerPort\b/$port/g if defined $exp;
            Test::More::is($body, $exp, "$name - response_body - response is expected");
        }
    } elsif (defined $b->{response_body_like}) {
        my $pat = $b->{response_body_like};
        $pat = qr/$pat/s unless ref $pat eq 'Regexp';
        Test::More::like($body, $pat, "$name - response_body_like - response is expected");
    }
}

# error_log/no_error_log values: text (one pattern per line), a regex, or an array ref of
# strings and regexes. Strings match as substrings of a line, regexes line by line.
sub _patterns {
    my ($v) = @_;
    return () unless defined $v;
    return ($v) if ref $v eq 'Regexp';
    return grep { defined && length } @$v if ref $v eq 'ARRAY';
    return grep { length } split /\n+/, $v;
}

sub _matches {
    my ($lines, $pat) = @_;
    for (@$lines) {
        return $_ if ref $pat ? $_ =~ $pat : index($_, $pat) >= 0;
    }
    return undef;
}

sub _check_error_log {
    my ($b, $file) = @_;
    my $name = $b->{name};
    my @want = _patterns($b->{error_log});
    my @dont = _patterns($b->{no_error_log});

    # nginx may log after it has answered: give the expected lines a moment to show up.
    my $lines = _log_lines($file);
    my $deadline = time + $LogWait;
    while (time < $deadline && grep { !defined _matches($lines, $_) } @want) {
        sleep 0.05;
        $lines = _log_lines($file);
    }
    for my $pat (@want) {
        Test::More::ok(defined _matches($lines, $pat),
                       "$name - pattern \"$pat\" matches a line in error.log");
    }
    for my $pat (@dont) {
        my $line = _matches($lines, $pat);
        Test::More::ok(!defined $line, "$name - pattern \"$pat\" does not match a line in error.log")
            or Test::More::diag("matching line: $line");
    }

    # Like the real module: warn (not fail) about alerts, e.g. a crashed worker, unless the
    # block expects them.
    for my $level (qw(alert crit emerg)) {
        next if exists $b->{must_die} && $level eq 'emerg';
        next if grep { !ref && index($_, "[$level") >= 0 } @want;
        Test::More::diag("WARNING: $name - $_") for grep { /\[$level\]/ } @$lines;
    }
}

# --- access_log: every pattern must match a line of access.log. nginx writes the line after
# the response has been sent, so wait a moment for it, as for error.log.
sub _check_access_log {
    my ($b, $file) = @_;
    my @want = _patterns($b->{access_log});
    return unless @want;
    my $lines = _log_lines($file);
    my $deadline = time + $LogWait;
    while (time < $deadline && grep { !defined _matches($lines, $_) } @want) {
        sleep 0.05;
        $lines = _log_lines($file);
    }
    for my $pat (@want) {
        Test::More::ok(defined _matches($lines, $pat),
                       "$b->{name} - pattern \"$pat\" matches a line in access.log")
            or Test::More::diag("access.log:\n" . join("\n", @$lines));
    }
}

sub _log_lines {
    my ($file) = @_;
    return [split /\n/, _slurp($file)];
}

sub _log_tail {
    my ($file, $n) = @_;
    my @l = split /\n/, _slurp($file);
    @l = @l[-$n .. -1] if @l > $n;
    return "$file (last " . scalar(@l) . " lines):\n" . join("\n", @l);
}

sub _slurp {
    my ($f) = @_;
    open(my $fh, '<:raw', $f) or return '';
    local $/;
    return scalar(<$fh>) // '';
}

sub _spit {
    my ($f, $data) = @_;
    open(my $fh, '>:raw', $f) or die "cannot write $f: $!\n";
    print $fh $data;
    close $fh or die "cannot write $f: $!\n";
}

# ---------------------------------------------------------------------------------------------
# `nginx -t` on any config (for the examples in nginx-conf/), with the module loaded.
#
#   my ($ok, $output) = nginx_test_config('nginx-conf/minimal.conf',
#                                         filter => sub { s{/etc/nginx/jwks.json}{...}g });
#
# The file's own load_module lines are commented out (ours come from TEST_NGINX_LOAD_MODULES),
# `filter` may edit the text in $_ (e.g. point key files at t/data), then $TEST_NGINX_* is
# expanded and the result is tested in a scratch prefix (relative paths resolve there).
# Returns (1 if nginx -t succeeded else 0, its combined stdout and stderr).

sub nginx_test_config {
    my ($file, %opt) = @_;
    _init_env();
    my $text = _slurp($file);
    die "cannot read $file\n" unless length $text;
    $text =~ s/^([ \t]*load_module\b)/# (test harness) $1/mg;
    if (my $f = $opt{filter}) { local $_ = $text; $f->(); $text = $_ }
    $text = _expand($text, $file);

    my $prefix = File::Temp->newdir('ngx-conf-XXXXXX', TMPDIR => 1);
    chmod 0755, "$prefix";
    make_path("$prefix/conf", "$prefix/logs");
    _spit("$prefix/conf/nginx.conf", load_module_lines() . $text);
    my @cmd = (_valgrind(), nginx_binary(), '-t', '-p', "$prefix/", '-c', 'conf/nginx.conf',
               '-e', "$prefix/logs/error.log");
    my $pid = open(my $out, '-|') // die "fork: $!\n";
    if (!$pid) {
        open(STDERR, '>&', \*STDOUT);
        exec(@cmd) or POSIX::_exit(127);
    }
    local $/;
    my $output = <$out> // '';
    close $out;
    return ($? == 0 ? 1 : 0, $output);
}

# ---------------------------------------------------------------------------------------------
# Cleanup: never leave an nginx behind, remove our servroot unless a test failed.

$SIG{INT} = $SIG{TERM} = sub { _stop_nginx(1); exit 130 };

END {
    my $status = $?;
    _stop_nginx();
    if ($OwnServRoot && $ServRoot && -d $ServRoot) {
        if (Test::More->builder->is_passing) {
            remove_tree($ServRoot);
        } else {
            Test::More::diag("servroot kept for inspection: $ServRoot");
        }
    }
    $? = $status;
}

# Read-only view of a block for `for my $block (blocks()) { $block->name }`.
package Test::Nginx::Socket::Block;

sub new  { my ($class, $raw) = @_; return bless { raw => $raw }, $class }
sub name { return $_[0]{raw}{name} }

our $AUTOLOAD;

sub AUTOLOAD {
    my $self = shift;
    (my $sec = $AUTOLOAD) =~ s/.*:://;
    return if $sec eq 'DESTROY';
    my $s = $self->{raw}{sections}{$sec} or return undef;
    return $s->{text};
}

1;
