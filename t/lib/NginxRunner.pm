package NginxRunner;

# One running nginx (a master and one worker) for tests that the data-driven
# Test::Nginx::Socket blocks cannot express, because they send several requests to the same
# worker or change things while it serves (key files, reloads): t/22, t/23, t/40, t/50 and
# bench/key-rotation-stress. Core Perl only.
#
#   my $n = NginxRunner->new(http => $http_block);   # '%%PORT%%' in it becomes $n->port
#   my $n = NginxRunner->new(http => ..., nginx => $binary, module => $so);  # another build
#   my $n = NginxRunner->new(http => ..., workers => 2);   # worker_processes (default 1)
#   my ($status, $head, $body) = $n->get('/t', Authorization => "Bearer $tok");
#   my $status = $n->status('/t', Authorization => "Bearer $tok");
#   $n->wait_for_status(401, 1.0, '/t', ...);  $n->wait_for_log(qr/.../, 1);  $n->error_log;
#   my $size = length $n->error_log; ...; $n->wait_for_log_since($size, qr/.../, 5);
#   my $new_worker = $n->reload;  $n->reload(http => $changed_block);
#   $n->master_pid;  $n->worker_pids;  $n->dir;  $n->stop;
#   use NginxRunner qw(slurp spit header_of quiet_log_count);
#   header_of($head, 'WWW-Authenticate');  quiet_log_count($access_log, qr{^GET /keys });
#
# Under TEST_NGINX_USE_VALGRIND nginx runs with the valgrind prefix of Test::Nginx::Socket
# (scripts/sanitize sets it), and the time limits of starting, reloading, stopping and of one
# request grow tenfold. The time limits a test passes in (wait_for_*) are its assertions and
# stay as they are. KEEP_SERVROOT=1 keeps the prefix directories.

use strict;
use warnings;

use Exporter 'import';
use File::Spec;
use File::Temp ();
use IO::Socket::INET;
use POSIX ();
use Time::HiRes qw(sleep time);
use Test::Nginx::Socket ();

our @EXPORT_OK = qw(slurp spit header_of quiet_log_count);

# Valgrind runs nginx ~10-50 times slower.
my $Slow = $ENV{TEST_NGINX_USE_VALGRIND} ? 10 : 1;

# nginx and module default to TEST_NGINX_BINARY and TEST_NGINX_LOAD_MODULES; t/22 passes the
# fault-injection build instead.
sub new {
    my ($class, %args) = @_;
    my $dir = File::Temp::tempdir('ngx-auth-jwt-run-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{KEEP_SERVROOT});
    chmod 0755, $dir;    # tempdir makes it 0700; any worker user may read it, as in the harness
    mkdir "$dir/$_" for qw(conf logs html);
    my $self = bless {
        dir     => $dir,
        port    => _free_port(),
        http    => $args{http},
        workers => $args{workers} // 1,
        nginx   => $args{nginx} // Test::Nginx::Socket::nginx_binary(),
        modules => defined $args{module}
            ? 'load_module ' . File::Spec->rel2abs($args{module}) . ";\n"
            : Test::Nginx::Socket::load_module_lines(),
    }, $class;
    $self->_write_conf;
    $self->start;
    return $self;
}

sub dir  { $_[0]{dir} }
sub port { $_[0]{port} }

sub _write_conf {
    my ($self) = @_;
    (my $http = $self->{http}) =~ s/%%PORT%%/$self->{port}/g;
    # As root, workers would run as nobody, who cannot read the tests' 0700 temporary dirs.
    my $user = $> == 0 ? 'user root;' : '';
    # daemon off: nginx stays our child, so start notices when it dies and stop can wait for
    # it to exit (valgrind writes its report only then).
    spit("$self->{dir}/conf/nginx.conf", <<"CONF");
$self->{modules}
daemon off;
master_process on;
worker_processes $self->{workers};
$user
error_log logs/error.log info;
pid logs/nginx.pid;
events { worker_connections 64; }
http {
    access_log off;
    $http
}
CONF
}

# Starts nginx (new does; again after stop) and returns once a worker runs and the port
# accepts connections.
sub start {
    my ($self) = @_;
    my $dir = $self->{dir};
    my @valgrind = Test::Nginx::Socket->can('_valgrind') ? Test::Nginx::Socket::_valgrind() : ();
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        open STDIN,  '<',  '/dev/null';
        open STDOUT, '>>', "$dir/logs/stdout.log";
        open STDERR, '>>', "$dir/logs/stderr.log";
        # -e: messages from before the configuration is read go to error.log too.
        exec(@valgrind, $self->{nginx}, '-p', "$dir/", '-c', 'conf/nginx.conf',
             '-e', "$dir/logs/error.log") or POSIX::_exit(127);
    }
    $self->{pid} = $pid;
    my $deadline = time + 10 * $Slow;
    until ($self->worker_pids && $self->_connects) {
        if (waitpid($pid, POSIX::WNOHANG()) == $pid) {
            delete $self->{pid};
            # stderr.log has what came before the error log was open (valgrind's complaints, a
            # failed exec).
            die "nginx exited at start:\n" . $self->error_log . slurp("$dir/logs/stderr.log");
        }
        die "nginx did not come up within " . 10 * $Slow . " s:\n" . $self->error_log
            if time > $deadline;    # DESTROY stops it
        sleep 0.02;
    }
}

sub _connects {
    my ($self) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $self->{port}, Timeout => 1) or return 0;
    close $s;
    return 1;
}

sub master_pid {
    my ($self) = @_;
    return $self->{pid} && kill(0, $self->{pid}) ? $self->{pid} : undef;
}

# Worker pids: the master's children (from /proc), ascending.
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
    return @pids;    # an array, not sort: in scalar context the number of workers
}

# SIGHUP, after writing the configuration anew if `http => $block` is given. Returns the pid of
# the new worker once every old worker has exited: until then an old one may still accept a
# connection or two.
sub reload {
    my ($self, %args) = @_;
    if (defined $args{http}) {
        $self->{http} = $args{http};
        $self->_write_conf;
    }
    my %old = map { $_ => 1 } $self->worker_pids;
    kill 'HUP', $self->master_pid;
    my $deadline = time + 10 * $Slow;
    while (1) {
        my @now = $self->worker_pids;
        return $now[0] if @now && !grep { $old{$_} } @now;
        die "reload did not replace the workers:\n" . $self->error_log if time > $deadline;
        sleep 0.05;
    }
}

# One GET on its own connection: (status, response head, body); status 0 if nginx cannot be
# reached. @headers are name => value pairs, sent in that order. HTTP/1.1 as clients send it
# (t/22 checks the request line nginx logs); Connection: close ends the response.
sub get {
    my ($self, $path, @headers) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $self->{port}, Timeout => 5 * $Slow)
        or return (0, '', '');
    my $req = "GET $path HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n";
    while (my ($name, $value) = splice @headers, 0, 2) { $req .= "$name: $value\r\n" }
    print $s "$req\r\n";
    local $/;
    my $response = <$s> // '';
    close $s;
    my ($status) = $response =~ m{^HTTP/1\.\d (\d{3})};
    my ($head, $body) = split /\r\n\r\n/, $response, 2;
    return ($status // 0, $head // '', $body // '');
}

sub status { my ($self, @request) = @_; return ($self->get(@request))[0] }

# Polls `get` until the status is $want or $timeout seconds pass; returns the elapsed seconds
# (undef on time-out).
sub wait_for_status {
    my ($self, $want, $timeout, $path, @headers) = @_;
    my $start = time;
    while (1) {
        return time - $start if $self->status($path, @headers) == $want;
        return undef if time - $start > $timeout;
        sleep 0.02;
    }
}

sub error_log {
    my ($self) = @_;
    my $file = "$self->{dir}/logs/error.log";
    return -e $file ? slurp($file) : '';
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

# Waits up to $timeout seconds for a line matching $re among what error.log gained after its
# first $before bytes.
sub wait_for_log_since {
    my ($self, $before, $re, $timeout) = @_;
    my $deadline = time + $timeout;
    while (1) {
        return 1 if substr($self->error_log, $before) =~ $re;
        return 0 if time > $deadline;
        sleep 0.05;
    }
}

# SIGQUIT (graceful: valgrind's leak report needs a normal exit), then SIGKILL to the master
# and its workers: a killed master would leave its worker serving the port.
sub stop {
    my ($self) = @_;
    my $master = $self->master_pid or return;
    my @workers = $self->worker_pids;
    kill 'QUIT', $master;
    my $deadline = time + 10 * $Slow;
    sleep 0.02 until waitpid($master, POSIX::WNOHANG()) != 0 || time > $deadline;
    if (kill 0, $master) {
        kill 'KILL', $master, @workers;
        waitpid($master, 0);
    }
    delete $self->{pid};
}

sub DESTROY { $_[0]->stop }

sub _free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 1, ReuseAddr => 1)
        or die "no free port: $!";
    my $port = $s->sockport;
    close $s;
    return $port;
}

# The value of header $name (case-insensitive) in a response head, or undef.
sub header_of {
    my ($head, $name) = @_;
    return $head =~ /^\Q$name\E: ([^\r\n]*)\r?$/mi ? $1 : undef;
}

# Lines of a log matching $re, once the log has been quiet for a moment: an identity provider
# in a test (idp.py, or an nginx server's access log) writes its line only after its answer.
sub quiet_log_count {
    my ($log, $re) = @_;
    my $size = -1;
    while (1) {
        sleep 0.15;
        my $now = -s $log // 0;
        last if $now == $size;
        $size = $now;
    }
    return scalar grep { /$re/ } split /\n/, slurp($log);
}

sub slurp {
    my ($file) = @_;
    open my $fh, '<', $file or die "$file: $!";
    local $/;
    return scalar <$fh>;
}

sub spit {
    my ($file, $content) = @_;
    open my $fh, '>', $file or die "$file: $!";
    print $fh $content;
    close $fh or die "$file: $!";
}

1;
