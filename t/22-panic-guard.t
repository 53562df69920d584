# No panic may cross the FFI boundary (unwinding into nginx's C code is undefined behaviour). A
# panic inside the access handler must become a 500 with an [error] line, and the worker must
# live on: the next request on the same worker (same pid) succeeds.
#
# The panic is forced with the cargo feature `fault-injection` (off by default, test builds
# only): a request header `X-Auth-Jwt-Panic: 1` makes the handler panic. This test builds that
# variant itself into its own target directory (target/fault-injection, so the normal build is
# never touched; the first build takes a few minutes, later ones seconds), or uses the module
# named by TEST_NGINX_FAULT_MODULE (and TEST_NGINX_FAULT_BINARY for its nginx). It then checks
# that the normal module (TEST_NGINX_LOAD_MODULES) ignores the header.
#
# Not data-driven on purpose: Test::Nginx::Socket sends one request per nginx start, and this
# test needs several requests against one worker (t/lib/NginxRunner.pm runs that nginx).

use strict;
use warnings;
use Test::More;
use Cwd ();
use File::Basename qw(dirname);
use File::Spec;
use JSON::PP ();
use Test::Nginx::Socket ();
use JwtTest qw(jwt_sign now data_dir);
use NginxRunner;

my $root = Cwd::abs_path(File::Spec->catdir(dirname(__FILE__), File::Spec->updir));

# The module with fault injection, and the nginx it was built against.
sub fault_build {
    return ($ENV{TEST_NGINX_FAULT_MODULE}, $ENV{TEST_NGINX_FAULT_BINARY}
            // Test::Nginx::Socket::nginx_binary())
        if $ENV{TEST_NGINX_FAULT_MODULE};
    my @cmd = ('cargo', 'build', '--quiet', '--features', 'fault-injection', '--target-dir',
               "$root/target/fault-injection", '--manifest-path', "$root/Cargo.toml",
               '--message-format=json');
    diag('building the fault-injection module (target/fault-injection) ...');
    open(my $fh, '-|', @cmd) or return;
    my ($so, $nginx);
    while (my $line = <$fh>) {
        my $m = eval { JSON::PP::decode_json($line) } or next;
        $nginx = "$m->{out_dir}/objs/nginx"
            if $m->{reason} eq 'build-script-executed' && $m->{package_id} =~ /nginx-sys/;
        ($so) = grep { /\.so$/ } @{ $m->{filenames} }
            if $m->{reason} eq 'compiler-artifact' && $m->{target}{name} eq 'ngx_auth_jwt';
    }
    close $fh or return;
    return ($so, $nginx);
}

# ---------------------------------------------------------------------------------------------
my ($fault_so, $fault_nginx) = fault_build();
plan skip_all => 'could not build the fault-injection module (cargo build failed)'
    unless $fault_so && -f $fault_so && $fault_nginx && -x $fault_nginx;

my $token = jwt_sign(alg => 'ES256', claims => { sub => 'alice', exp => now() + 3600 });
my $data = data_dir();
# /pid answers with the pid of the worker that serves the request.
my $http = <<"EOC";
    server {
        listen 127.0.0.1:%%PORT%%;
        location /pid { return 200 "\$pid"; }
        location /t {
            auth_jwt "api";
            auth_jwt_key_file $data/jwks/all.json;
            empty_gif;
        }
        location /open { empty_gif; }
    }
EOC
my @bearer = (Authorization => "Bearer $token");
my @panic  = ('X-Auth-Jwt-Panic' => 1);
sub body { my ($n, $path) = @_; return ($n->get($path))[2] }
my $panic_body;

{
    my $n = NginxRunner->new(http => $http, nginx => $fault_nginx, module => $fault_so);
    my $worker = body($n, '/pid');
    like($worker, qr/^\d+$/, "fault build: worker pid $worker");

    is($n->status('/t', @bearer), 200, 'fault build: a valid token passes');
    my ($status, undef, $body) = $n->get('/t', @bearer, @panic);
    is($status, 500, 'forced panic: 500');
    $panic_body = $body;
    is($n->status('/t', @bearer), 200, 'the next request on the same worker: 200');
    is($n->status('/t'), 401, 'the next request without a token: 401');
    is(body($n, '/pid'), $worker, 'the worker is the same process (pid unchanged)');

    my @statuses = map { $n->status('/t', @panic) } 1 .. 20;
    is_deeply(\@statuses, [(500) x 20], '20 panics in a row: 20 times 500');
    is($n->status('/t', @bearer), 200, 'and still 200 afterwards');
    is($n->status('/open', @panic), 200,
       'a location without auth_jwt is not affected by the header');
    is(body($n, '/pid'), $worker, 'still the same worker after 21 panics');

    $n->stop;
    my $log = $n->error_log;
    my @internal = $log =~ /^.*\[error\] \d+#\d+: \*\d+ auth_jwt: internal error while checking the token, client: 127\.0\.0\.1, server: [^,]*, request: "GET \/t HTTP\/1\.1".*$/mg;
    is(scalar @internal, 21, 'one [error] line per panic, naming the request')
        or diag($log);
    unlike($log, qr/\[(alert|crit|emerg)\]/, 'no [alert], [crit] or [emerg] (no worker died)')
        or diag($log);
    my $starts = () = $log =~ /start worker process \d+/g;
    is($starts, 1, 'the master never had to start a second worker');
    unlike($log, qr/exited on signal/, 'no worker exited on a signal');
    # nginx points its stderr at the error log: Rust's panic message lands there.
    like($log, qr/panicked at .*\n?.*fault injection: X-Auth-Jwt-Panic/,
         "the panic message went to nginx's stderr (the error log)");
    unlike($panic_body, qr/fault injection|panicked/, 'and not to the client');
}

SKIP: {
    my $normal = (split ' ', $ENV{TEST_NGINX_LOAD_MODULES} // '')[0];
    skip 'TEST_NGINX_LOAD_MODULES is not set', 2 unless $normal && $ENV{TEST_NGINX_BINARY};
    my $n = NginxRunner->new(http => $http, module => $normal);
    is($n->status('/t', @bearer, @panic), 200,
       'normal build: X-Auth-Jwt-Panic is ignored (the feature is off)');
    $n->stop;
    unlike($n->error_log, qr/internal error|\[alert\]/,
           'normal build: no internal error logged');
}

done_testing();
