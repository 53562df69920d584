package NginxRunner;

# A long-running nginx for tests that change things while it serves (key files, reloads),
# which the data-driven Test::Nginx::Socket blocks cannot express. Core Perl only.
#
#   my $n = NginxRunner->new(http => $http_block_text);   # '%%PORT%%' is replaced
#   my ($status, $headers) = $n->get('/t', Authorization => "Bearer $tok");
#   $n->reload; $n->worker_pids; $n->error_log; $n->stop;

use strict;
use warnings;

use File::Temp ();
use IO::Socket::INET;
use POSIX ();
use Time::HiRes qw(sleep time);
use Test::Nginx::Socket ();

sub new {
    my ($class, %args) = @_;
    my $dir = File::Temp::tempdir('ngx-auth-jwt-run-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{KEEP_SERVROOT});
    chmod 0755, $dir;
    mkdir "$dir/$_" for qw(conf logs html);
    my $self = bless { dir => $dir, port => _free_port(), http => $args{http} }, $class;
    $self->write_conf;
    $self->start;
    return $self;
}

sub dir  { $_[0]{dir} }
sub port { $_[0]{port} }

sub write_conf {
    my ($self) = @_;
    (my $http = $self->{http}) =~ s/%%PORT%%/$self->{port}/g;
    my $user = $> == 0 ? 'user root;' : '';
    my $modules = Test::Nginx::Socket::load_module_lines();
    _spit("$self->{dir}/conf/nginx.conf", <<"CONF");
$modules
daemon on;
master_process on;
worker_processes 1;
$user
error_log logs/error.log info;
pid logs/nginx.pid;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path temp_body;
    $http
}
CONF
}

sub _nginx { my ($self, @args) = @_; return system(Test::Nginx::Socket::nginx_binary(), '-p', $self->{dir}, '-c', 'conf/nginx.conf', @args) }

sub start {
    my ($self) = @_;
    $self->_nginx() == 0 or die "nginx did not start:\n" . $self->error_log;
    my $deadline = time + 5;
    until ($self->master_pid && $self->_has_workers && $self->_connects) {
        die "nginx did not come up:\n" . $self->error_log if time > $deadline;
        sleep 0.02;
    }
}

sub _has_workers { my @w = $_[0]->worker_pids; return scalar @w }

sub _connects {
    my ($self) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $self->{port}, Timeout => 1) or return 0;
    close $s;
    return 1;
}

sub master_pid {
    my ($self) = @_;
    open my $fh, '<', "$self->{dir}/logs/nginx.pid" or return;
    my $pid = <$fh>;
    return unless defined $pid && $pid =~ /^(\d+)/;
    return kill(0, $1) ? $1 : undef;
}

# Worker pids: the master's children (from /proc).
sub worker_pids {
    my ($self) = @_;
    my $master = $self->master_pid or return;
    my @pids;
    for my $stat (glob '/proc/[0-9]*/stat') {
        open my $fh, '<', $stat or next;
        my $line = <$fh> // next;
        push @pids, $1 if $line =~ /^(\d+) \(.*\) \S+ (\d+) / && $2 == $master;
    }
    @pids = sort { $a <=> $b } @pids;
    return @pids;
}

# Sends SIGHUP and waits until the old workers are gone and a new one serves.
sub reload {
    my ($self) = @_;
    my @old = $self->worker_pids;
    kill 'HUP', $self->master_pid;
    my $deadline = time + 10;
    while (1) {
        my @now = $self->worker_pids;
        my %old = map { $_ => 1 } @old;
        last if @now && !grep { $old{$_} } @now;
        die "reload did not replace the workers" if time > $deadline;
        sleep 0.05;
    }
    sleep 0.05 until $self->_connects;
}

sub get {
    my ($self, $path, %headers) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $self->{port}, Timeout => 5)
        or return (0, '');
    my $req = "GET $path HTTP/1.0\r\nHost: localhost\r\n";
    $req .= "$_: $headers{$_}\r\n" for sort keys %headers;
    print $s "$req\r\n";
    local $/;
    my $response = <$s> // '';
    close $s;
    my ($status) = $response =~ m{^HTTP/1\.\d (\d{3})};
    my ($head) = split /\r\n\r\n/, $response, 2;
    return ($status // 0, $head // '');
}

# Polls `get` until the status is $want or $timeout seconds pass; returns the elapsed seconds
# (undef on time-out).
sub wait_for_status {
    my ($self, $want, $timeout, $path, %headers) = @_;
    my $start = time;
    while (1) {
        my ($status) = $self->get($path, %headers);
        return time - $start if $status == $want;
        return undef if time - $start > $timeout;
        sleep 0.02;
    }
}

sub error_log {
    my ($self) = @_;
    open my $fh, '<', "$self->{dir}/logs/error.log" or return '';
    local $/;
    return <$fh>;
}

# Waits up to $timeout seconds for a line matching $re in error.log.
sub wait_for_log {
    my ($self, $re, $timeout) = @_;
    my $deadline = time + $timeout;
    while (1) {
        return 1 if $self->error_log =~ $re;
        return 0 if time > $deadline;
        sleep 0.02;
    }
}

sub stop {
    my ($self) = @_;
    my $master = $self->master_pid or return;
    my @workers = $self->worker_pids;
    kill 'QUIT', $master;
    my $deadline = time + 5;
    sleep 0.02 while kill(0, $master, @workers) && time < $deadline;
    kill 'KILL', $master, @workers if kill(0, $master, @workers);
}

sub DESTROY { $_[0]->stop }

sub _free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 1, ReuseAddr => 1)
        or die "no free port: $!";
    my $port = $s->sockport;
    close $s;
    return $port;
}

sub _spit {
    my ($file, $content) = @_;
    open my $fh, '>', $file or die "$file: $!";
    print $fh $content;
    close $fh;
}

1;
