package SimpleNginx;

# One nginx (master and one worker, in the foreground) for tests that send several requests to
# the same worker or reload it, and that must also run under valgrind: the command gets the
# prefix of TEST_NGINX_USE_VALGRIND (see Test::Nginx::Socket), and time limits grow with it.
# Core Perl only.
#
#   my $n = SimpleNginx->start($nginx, $module_so, $server_body);
#   my $res = SimpleNginx::get($n->{port}, '/t', 'Authorization: Bearer ...');  # {status, body}
#   $n->reload;  $n->stop;  SimpleNginx::slurp("$n->{prefix}/logs/error.log");

use strict;
use warnings;
use File::Path qw(make_path);
use File::Temp ();
use IO::Socket::INET;
use POSIX ();
use Time::HiRes qw(sleep time);
use Test::Nginx::Socket ();

our $Slow = $ENV{TEST_NGINX_USE_VALGRIND} ? 10 : 1;

sub start {
    my ($class, $nginx, $module, $server_body) = @_;
    my $prefix = File::Temp->newdir('ngx-simple-XXXXXX', TMPDIR => 1);
    chmod 0755, "$prefix";
    make_path(map { "$prefix/$_" } qw(conf logs html));
    my $probe = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 1)
        or die "no free port: $!";
    my $port = $probe->sockport;
    close $probe;
    my $user = $> == 0 ? 'user root;' : '';
    spit("$prefix/conf/nginx.conf", <<"EOC");
load_module $module;
daemon off;
master_process on;
worker_processes 1;
$user
error_log logs/error.log info;
pid logs/nginx.pid;
events { worker_connections 64; }
http {
    access_log off;
    server {
        listen 127.0.0.1:$port;
        location /pid { return 200 "\$pid"; }
$server_body
    }
}
EOC
    my @valgrind = Test::Nginx::Socket->can('_valgrind') ? Test::Nginx::Socket::_valgrind() : ();
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        open(STDIN, '<', '/dev/null');
        open(STDOUT, '>', "$prefix/logs/stdout.log");
        open(STDERR, '>', "$prefix/logs/stderr.log");
        exec(@valgrind, $nginx, '-p', "$prefix/", '-c', 'conf/nginx.conf',
             '-e', "$prefix/logs/error.log") or POSIX::_exit(127);
    }
    my $self = bless { pid => $pid, port => $port, prefix => $prefix }, $class;
    my $deadline = time + 10 * $Slow;
    until (eval { get($port, '/pid')->{status} == 200 }) {
        die "nginx exited at start:\n" . slurp("$prefix/logs/error.log")
            if waitpid($pid, POSIX::WNOHANG()) == $pid;
        die "nginx did not answer within " . 10 * $Slow . " s\n" if time > $deadline;
        sleep 0.05;
    }
    return $self;
}

# The worker's pid, as it answers /pid.
sub worker { return get($_[0]{port}, '/pid')->{body} }

# SIGHUP; returns the pid of the new worker once it answers and every old worker has exited
# (until then an old worker may still accept a connection or two).
sub reload {
    my ($self) = @_;
    my %old = map { $_ => 1 } $self->children;
    kill 'HUP', $self->{pid};
    my $deadline = time + 10 * $Slow;
    while (time < $deadline) {
        if (!grep { $old{$_} } $self->children) {
            my $now = eval { $self->worker } // '';
            return $now if $now =~ /^\d+$/ && !$old{$now};
        }
        sleep 0.05;
    }
    die "reload did not replace the workers\n";
}

# The master's child processes (from /proc).
sub children {
    my ($self) = @_;
    my @kids;
    for my $stat (glob '/proc/[0-9]*/stat') {
        open(my $fh, '<', $stat) or next;
        my $line = <$fh> // next;
        push @kids, $1 if $line =~ /^(\d+) \(.*\) \S+ (\d+)/ && $2 == $self->{pid};
    }
    return @kids;
}

# SIGQUIT (graceful), then SIGKILL after a while.
sub stop {
    my ($self) = @_;
    kill 'QUIT', $self->{pid};
    my $deadline = time + 10 * $Slow;
    while (time < $deadline) {
        return if waitpid($self->{pid}, POSIX::WNOHANG()) != 0;
        sleep 0.05;
    }
    kill 'KILL', $self->{pid};
    waitpid($self->{pid}, 0);
}

# One request on its own connection: { status, body }.
sub get {
    my ($port, $uri, @headers) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Timeout => 5 * $Slow) or die "connect: $!";
    print $s "GET $uri HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n",
             map({ "$_\r\n" } @headers), "\r\n";
    local $/;
    my $res = <$s> // '';
    my ($status) = $res =~ m{^HTTP/1\.\d (\d{3})};
    my (undef, $body) = split /\r\n\r\n/, $res, 2;
    return { status => $status // 0, body => $body // '' };
}

sub slurp { open(my $fh, '<', $_[0]) or return ''; local $/; scalar <$fh> }

sub spit {
    my ($file, $text) = @_;
    open(my $out, '>', $file) or die "$file: $!";
    print $out $text;
    close $out or die "$file: $!";
}

1;
