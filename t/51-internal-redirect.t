# The ACCESS phase runs again after an internal redirect (an index file, try_files, error_page,
# rewrite ... last): the module keeps a valid token's verdict within the request when the token,
# the key sets and the leeway are the same, and decides again whenever one of them differs.

use strict;
use warnings;

use Test::More;

use JwtTest;
use NginxRunner qw(spit);

my $DATA = JwtTest::data_dir();

sub bearer { (Authorization => "Bearer $_[0]") }

my $n = NginxRunner->new(http => <<"HTTP");
    auth_jwt_verify_cache off;
    server {
        listen 127.0.0.1:%%PORT%%;
        auth_jwt "api";
        auth_jwt_key_file $DATA/jwks/rsa.json;
        root html;

        # A directory URI: the index module redirects to /dir/index.html.
        location /dir/ { }

        # Same token, other keys after the redirect: decided again.
        location /other-keys/ { try_files /nonexistent \@ec; }
        location \@ec { auth_jwt_key_file $DATA/jwks/ec256.json; try_files /ok.txt =404; }

        # Same token, a stricter leeway after the redirect: decided again.
        location /lenient/ { auth_jwt_leeway 60s; rewrite ^ /strict/ok.txt last; }
        location /strict/ { auth_jwt_leeway 0; try_files /ok.txt =404; }
    }
HTTP
mkdir $n->dir . "/html";
spit($n->dir . "/html/ok.txt", "ok\n");
mkdir $n->dir . "/html/dir";
spit($n->dir . "/html/dir/index.html", "index\n");

my $rsa = jwt_sign(alg => 'RS256', claims => { sub => 'a', exp => now() + 600 });
my $late = jwt_sign(alg => 'RS256', claims => { sub => 'a', exp => now() - 10 });

my ($status, undef, $body) = $n->get('/dir/', bearer($rsa));
is($status, 200, 'a directory URI: valid token, the index file after the internal redirect');
like($body, qr/index/, 'the index file is served');
is($n->status('/dir/', bearer($late)), 401, 'an expired token is refused before the redirect');
is($n->status('/dir/'), 401, 'no token');

is($n->status('/other-keys/x', bearer($rsa)), 401,
    'a token valid for the first location is decided again with the keys of the second');
like($n->error_log, qr/rejected token: no key with kid "rsa" for RS256/, 'refused by the second key set');

is($n->status('/lenient/x', bearer($late)), 401,
    'a token within the first leeway is decided again with the second');
like($n->error_log, qr/rejected token: token expired/, 'refused by the stricter leeway');
$n->stop;

done_testing();
