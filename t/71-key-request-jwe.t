# auth_jwt_type encrypted | nested with the decryption keys from auth_jwt_key_request: the
# private JWKs come from an identity provider (a second server block of the nginx under test,
# on a unix socket, serving JWK Set files that the test rewrites; its access log counts the
# fetches). Tokens and keys are minted by jwcrypto (t/lib/jwe_kr_mint.py, an implementation
# independent of ours). Covered: both token types, one key set shared by two locations, a
# rotation (a new kid makes one refetch), and a broken set (500 on a cold worker; after a good
# fetch the previous keys stay in force).

use strict;
use warnings;

use FindBin ();
use File::Temp ();
use JSON::PP qw(decode_json encode_json);
use Test::More;
use Time::HiRes qw(sleep time);

use JwtTest;
use NginxRunner qw(slurp spit header_of quiet_log_count);
use Test::Nginx::Socket ();

my $exp = now() + 3600;
my $fx  = do {
    my $json = `python3 $FindBin::Bin/lib/jwe_kr_mint.py $exp`;
    # Never skip: scripts/test installs jwcrypto (ensure_python_packages).
    die "t/lib/jwe_kr_mint.py failed (python3 with jwcrypto needed; scripts/test installs it)\n"
        if $? != 0;
    decode_json($json);
};
my %tok = %{ $fx->{tokens} };

my $dir = File::Temp::tempdir('ngx-auth-jwt-krjwe-XXXXXX', TMPDIR => 1,
    CLEANUP => !$ENV{KEEP_SERVROOT});
chmod 0755, $dir;
my $log = "$dir/idp.log";

sub publish { my ($file, $set) = @_; spit("$dir/$file", encode_json($fx->{$set})) }
publish("$_.json", 'first') for qw(shared enc nested stale);
publish('broken.json', 'broken');

sub bearer { (Authorization => "Bearer $_[0]") }

# Fetches of $file the IdP has logged.
sub fetches { my ($file) = @_; return quiet_log_count($log, qr{^GET /\Q$file\E }) }

my $n = NginxRunner->new(http => <<"HTTP");
    log_format idp '\$request_method \$request_uri \$status';
    server {
        listen unix:$dir/idp.sock;
        access_log $log idp;
        root $dir;
    }
    server {
        listen 127.0.0.1:%%PORT%%;
        auth_jwt "api";
        auth_jwt_key_cache 1h;
        add_header X-Status \$jwt_status always;
        add_header X-Sub \$jwt_claim_sub always;
        location /_idp/ { internal; proxy_pass http://unix:$dir/idp.sock:/; }

        # Two locations, one key set: one fetch serves both.
        location /shared-enc    { auth_jwt_type encrypted; auth_jwt_key_request /_idp/shared.json; empty_gif; }
        location /shared-nested { auth_jwt_type nested;    auth_jwt_key_request /_idp/shared.json; empty_gif; }

        location /enc    { auth_jwt_type encrypted; auth_jwt_key_request /_idp/enc.json; empty_gif; }
        location /nested {
            auth_jwt_type nested;
            auth_jwt_key_request /_idp/nested.json;
            add_header X-Status \$jwt_status always;
            add_header X-Sub \$jwt_claim_sub always;
            add_header X-Kid \$jwt_header_kid always;
            empty_gif;
        }

        location /broken { auth_jwt_type encrypted; auth_jwt_key_request /_idp/broken.json; empty_gif; }
        location /stale {
            auth_jwt_type nested;
            auth_jwt_key_cache 1s;
            auth_jwt_key_request /_idp/stale.json;
            empty_gif;
        }
    }
HTTP

subtest 'encrypted and nested tokens, decryption keys from the IdP, one key set shared' => sub {
    my ($status, $head) = $n->get('/shared-enc', bearer($tok{enc_a}));
    is($status, 200, 'encrypted token: 200') or diag($head, $n->error_log);
    is(header_of($head, 'X-Status'), 'ok', '$jwt_status ok');
    is(header_of($head, 'X-Sub'), 'alice', 'the claims inside the JWE');
    ($status, $head) = $n->get('/shared-nested', bearer($tok{nested_a}));
    is($status, 200, 'nested token: 200') or diag($head);
    is(header_of($head, 'X-Sub'), 'carol', 'the claims of the enclosed JWS');
    is(fetches('shared.json'), 1, 'two locations with the same key request URI: one fetch');
    is($n->status('/shared-nested', bearer($tok{enc_a})), 401, 'an encrypted token where nested is required');
    ($status, $head) = $n->get('/shared-enc', bearer($tok{enc_b}));
    is($status, 401, 'a token for a key the IdP does not have: 401');
    is(header_of($head, 'X-Status'), 'no_key', '$jwt_status no_key');
    is($n->status('/shared-enc', bearer($tok{enc_a})), 200, 'cached keys: 200 again');
    is(fetches('shared.json'), 2, 'the unknown kid caused one refetch, no more');
    is(scalar(() = $n->error_log =~ m{key request "/_idp/shared\.json": \d+ keys loaded}g), 2,
        'one "keys loaded" line per fetch');
};

subtest 'rotation: the IdP adds a key, a token with its kid makes one refetch' => sub {
    for my $case (['/enc', 'enc_a', 'enc_b', 'enc.json', 'alice', 'bob'],
                  ['/nested', 'nested_a', 'nested_b', 'nested.json', 'carol', 'dave']) {
        my ($path, $old, $new, $file, $old_sub, $new_sub) = @$case;
        my ($status, $head) = $n->get($path, bearer($tok{$old}));
        is($status, 200, "$path: a token for the first key") or diag($head);
        is(header_of($head, 'X-Sub'), $old_sub, "$path: its claims");
        publish($file, 'rotated');
        ($status, $head) = $n->get($path, bearer($tok{$new}));
        is($status, 200, "$path: a token for the added key, after a refetch") or diag($head, $n->error_log);
        is(header_of($head, 'X-Sub'), $new_sub, "$path: its claims");
        is(header_of($head, 'X-Kid'), 'signer', "$path: the enclosed JWS's kid") if $path eq '/nested';
        is(fetches($file), 2, "$path: exactly one refetch");
        is($n->status($path, bearer($tok{$old})), 200, "$path: the first key still");
        is($n->status($path, bearer($tok{$new})), 200, "$path: the added key again");
        is(fetches($file), 2, "$path: no more fetches, the new set is cached");
        is(scalar(() = $n->error_log =~ m{key request "/_idp/\Q$file\E": \d+ keys loaded}g), 2,
            "$path: one \"keys loaded\" line per fetch");
    }
};

subtest 'a broken key set: 500 without keys; after a good fetch the previous keys stay' => sub {
    my ($status, $head) = $n->get('/broken', bearer($tok{enc_a}));
    is($status, 500, 'a set whose RSA private key is inconsistent, nothing fetched before: 500');
    is(header_of($head, 'X-Status'), 'key_fetch_error', '$jwt_status key_fetch_error');
    like($n->error_log,
        qr{\[error\].*auth_jwt: key request "/_idp/broken\.json" failed: .*RSA private key is inconsistent; requests that need its keys get 500},
        'one error line naming the URI and why');
    unlike($n->error_log, qr/"d":|\Q$fx->{broken}{keys}[0]{d}\E/, 'no key material logged');

    ($status, $head) = $n->get('/stale', bearer($tok{nested_a}));
    is($status, 200, 'a good fetch first') or diag($head);
    publish('stale.json', 'broken');
    sleep 1.2;    # auth_jwt_key_cache 1s has expired: the next request fetches
    ($status, $head) = $n->get('/stale', bearer($tok{nested_a}));
    is($status, 200, 'the refetch brings a broken set: the previous keys stay in force')
        or diag($head, $n->error_log);
    is(header_of($head, 'X-Status'), 'ok', '$jwt_status ok');
    is(fetches('stale.json'), 2, 'the broken set was fetched');
    like($n->error_log,
        qr{\[warn\].*auth_jwt: key request "/_idp/stale\.json" failed: .*RSA private key is inconsistent; the keys fetched \d+ s ago stay in force},
        'one warning: the keys fetched before stay');
    is($n->status('/stale', bearer($tok{enc_a})), 401, 'the previous keys still refuse the wrong type');
    unlike($n->error_log, qr/\[(alert|crit|emerg)\]/, 'no alerts');
};

$n->stop;
done_testing;
