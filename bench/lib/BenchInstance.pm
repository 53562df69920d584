package BenchInstance;

# A separate nginx instance for bench.pl's rows that cannot share the main one: another
# worker_processes (the scaling rows) or another module (the --peer rows, whose directives
# have the same names as ours). Each instance has its own prefix, configuration and port;
# its cost is the CPU time of all its workers.
#
#   my $i = BenchInstance->start(nginx => $bin, dir => "$out/peer", workers => 1,
#                                conf => sub { my ($port) = @_; "...nginx.conf text..." });
#   my $r = $i->wrk('/jwt', $token_file, 5, connections => 8, client => [qw(taskset -c 0)]);
#   $r->{cpu_us}    # worker CPU µs per request (all workers)
#   $i->stop;

use strict;
use warnings;
use File::Path qw(make_path);
use FindBin qw($Bin);
use IO::Socket::INET;
use Time::HiRes qw(sleep);

my $CLK_TCK = `getconf CLK_TCK` + 0 || 100;

sub free_port {
    my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1', LocalPort => 0)
        or die "no free port: $!";
    my $port = $s->sockport;
    close $s;
    return $port;
}

sub start {
    my ($class, %a) = @_;
    my $self = bless { %a, port => free_port() }, $class;
    my $dir = $self->{dir};
    make_path("$dir/conf", "$dir/logs");
    chmod 0755, $dir, "$dir/conf", "$dir/logs";
    unlink "$dir/logs/error.log", "$dir/logs/nginx.pid";
    open(my $fh, '>', "$dir/conf/nginx.conf") or die "$dir/conf/nginx.conf: $!";
    print $fh $a{conf}->($self->{port});
    close $fh or die $!;
    my @cmd = ($a{nginx}, '-p', "$dir/", '-c', 'conf/nginx.conf', '-e', 'logs/error.log');
    system(@cmd) == 0 or die "nginx in $dir did not start; see $dir/logs/error.log\n";
    $self->{master} = _wait_for_pid("$dir/logs/nginx.pid");
    $self->{worker_pids} = [ _children($self->{master}, $a{workers} // 1) ];
    return $self;
}

sub port { $_[0]{port} }

sub stop {
    my ($self) = @_;
    my $master = delete $self->{master} or return;
    kill 'QUIT', $master;
    for (1 .. 100) { last unless kill 0, $master; sleep 0.05 }
}

sub DESTROY { $_[0]->stop }

# Worker CPU seconds (utime + stime) and involuntary context switches, summed over workers.
sub cpu_s {
    my ($self) = @_;
    my $sum = 0;
    for my $pid (@{ $self->{worker_pids} }) {
        open(my $fh, '<', "/proc/$pid/stat") or die "worker $pid: $!";
        my (undef, $rest) = split /\) /, scalar <$fh>, 2;
        my @f = split ' ', $rest;
        $sum += ($f[11] + $f[12]) / $CLK_TCK;
    }
    return $sum;
}

sub preemptions {
    my ($self) = @_;
    my $sum = 0;
    for my $pid (@{ $self->{worker_pids} }) {
        open(my $fh, '<', "/proc/$pid/status") or die $!;
        while (<$fh>) { $sum += $1 if /^nonvoluntary_ctxt_switches:\s+(\d+)/ }
    }
    return $sum;
}

# The status of one request with the first token of $file (or none), with HTTP::Tiny.
sub status_of {
    my ($self, $path, $file) = @_;
    require HTTP::Tiny;
    my %h;
    if (defined $file) {
        open(my $fh, '<', $file) or die "$file: $!";
        chomp(my $token = <$fh>);
        %h = (headers => { Authorization => "Bearer $token" });
    }
    return HTTP::Tiny->new(timeout => 5)->get("http://127.0.0.1:$self->{port}$path", \%h)->{status};
}

# One wrk run through bench/wrk.lua. Options: connections (8), threads (1), repeat (each
# token that many times in a row), client (the command prefix that places wrk: taskset, chrt).
# Returns wrk's figures plus cpu_s, cpu_us (per request), req_s, preemptions.
sub wrk {
    my ($self, $path, $tokens, $seconds, %o) = @_;
    local $ENV{BENCH_REPEAT} = $o{repeat} // 1;
    my ($cpu0, $csw0) = ($self->cpu_s, $self->preemptions);
    my @cmd = (@{ $o{client} // [] }, 'wrk', '-t' . ($o{threads} // 1),
               '-c' . ($o{connections} // 8), "-d${seconds}s", '--timeout', '5s',
               '-s', "$Bin/wrk.lua", "http://127.0.0.1:$self->{port}$path", '--', $tokens // '-');
    open(my $wrk, '-|', @cmd) or die "wrk: $!";
    my %r;
    while (<$wrk>) {
        next unless s/^BENCH //;
        $r{$1} = $2 while /(\w+)=(\d+)/g;
    }
    close $wrk;
    die "wrk gave no result for $path\n" unless $r{requests};
    $r{cpu_s} = $self->cpu_s - $cpu0;
    $r{preemptions} = $self->preemptions - $csw0;
    $r{cpu_us} = $r{cpu_s} * 1e6 / $r{requests};
    $r{req_s} = $r{requests} / ($r{duration_us} / 1e6);
    return \%r;
}

sub _wait_for_pid {
    my ($file) = @_;
    for (1 .. 100) {
        if (open(my $fh, '<', $file)) { my $pid = <$fh> // q(); chomp $pid; return $pid if $pid }
        sleep 0.05;
    }
    die "nginx wrote no pid file $file\n";
}

sub _children {
    my ($ppid, $want) = @_;
    for (1 .. 100) {
        my @kids;
        for my $stat (glob '/proc/[0-9]*/stat') {
            open(my $fh, '<', $stat) or next;
            my $line = <$fh> // next;
            my (undef, $rest) = split /\) /, $line, 2;
            my @f = split ' ', $rest;
            push @kids, (split m{/}, $stat)[2] if $f[1] == $ppid;
        }
        return @kids if @kids >= $want;
        sleep 0.05;
    }
    die "nginx $ppid: fewer than $want worker(s)\n";
}

1;
