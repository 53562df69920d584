# Configuration reloads (SIGHUP) with key files and hostile tokens in between, the
# configuration switching to a broken key file and back. Every generation of workers answers right.
# Its real purpose is scripts/sanitize: under valgrind, each reload makes the master destroy the
# previous cycle's pool, which must free every key set and location configuration the module
# built for it (pool cleanups dropping the Rust values); a value left behind shows up as a
# definite leak in the master's report. (kjdev/nginx-auth-jwt leaked its revocation lists in the
# master on every reload, found with valgrind.)

use strict;
use warnings;
use Test::More;
use JwtTest qw(jwt_sign tamper now data_dir);
use NginxRunner qw(slurp);

my $module = (split ' ', $ENV{TEST_NGINX_LOAD_MODULES} // '')[0];
plan skip_all => 'TEST_NGINX_LOAD_MODULES is not set' unless $module;

my $data = data_dir();

my %c = (sub => 'alice', exp => now() + 3600);
my $good = jwt_sign(alg => 'ES256', claims => \%c);
my $rsa  = jwt_sign(alg => 'RS256', claims => \%c);
# Malformed ones are 401 even while the key file is broken; well-formed ones are 500 then.
my @malformed = (
    jwt_sign(alg => 'none', kid => undef, claims => \%c) . 'c2ln',
    jwt_sign(alg => 'HS256', raw_claims => '{"a":' . ('[' x 40) . (']' x 40) . '}'),
    'x' x 20000,
);
my @forged = (
    tamper($good),
    jwt_sign(alg => 'HS256', kid => 'rsa', claims => \%c,
             secret => slurp("$data/keys/rsa.pub.pem")),
);

my $http = <<"EOC";
    server {
        listen 127.0.0.1:%%PORT%%;
        location /t {
            auth_jwt "api";
            auth_jwt_key_file $data/jwks/all.json;
            auth_jwt_key_file $data/jwk/rsa.jwk;
            empty_gif;
        }
        location /nokeys { auth_jwt "api"; empty_gif; }
        large_client_header_buffers 4 64k;
    }
EOC
my $n = NginxRunner->new(http => $http, module => $module);
my $bearer = sub { (Authorization => "Bearer $_[0]") };

my @seen;
for my $round (1 .. 8) {
    # Rounds 3 and 4 run with a broken key file: 500 until the configuration is fixed again.
    # (The configuration changes, not the file: a changed file is hot-reloaded by the
    # workers on their own, see t/40-hot-reload.t.)
    if ($round == 3) { $http =~ s{/jwks/all\.json}{/bad/missing-comma.json} }
    if ($round == 5) { $http =~ s{/bad/missing-comma\.json}{/jwks/all.json} }
    push @seen, $n->reload(http => $http);
    my $broken = $round == 3 || $round == 4;
    my $want = $broken ? 500 : 200;
    is($n->status('/t', $bearer->($good)), $want,
       "reload $round: a valid ES256 token: $want");
    is($n->status('/t', $bearer->($rsa)), $want,
       "reload $round: a valid RS256 token (second key file): $want");
    my @codes = map { $n->status('/t', $bearer->($_)) } @malformed;
    is_deeply(\@codes, [(401) x @malformed], "reload $round: malformed tokens: 401 each");
    @codes = map { $n->status('/t', $bearer->($_)) } @forged;
    is_deeply(\@codes, [($broken ? 500 : 401) x @forged],
              "reload $round: forged tokens: " . ($broken ? 500 : 401) . ' each');
    is($n->status('/nokeys', $bearer->($malformed[0])), 401,
       "reload $round: alg none where no key file applies: 401");
}
my %distinct = map { $_ => 1 } @seen;
is(scalar keys %distinct, 8, 'each reload started a new worker');

$n->stop;
my $log = $n->error_log;
unlike($log, qr/\[(alert|crit|emerg)\]/, 'no [alert], [crit] or [emerg]') or diag($log);
unlike($log, qr/exited on signal/, 'no worker died');
like($log, qr/auth_jwt_key_file "[^"]*missing-comma\.json" is unusable: JWK set is not valid JSON/,
     'the broken key file was reported at reload');

done_testing();
