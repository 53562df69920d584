# auth_jwt_type encrypted | nested: JWE tokens minted by jwcrypto (t/lib/jwe_mint.py, an
# implementation independent of ours) through a real nginx, with one key file holding the
# decryption keys and the signer's public key: every alg x enc pair (cached and uncached),
# nested tokens and $jwt_payload reaching an upstream, tokens of the wrong kind, tampered and
# foreign-key tokens (one outcome, one log reason), refused headers, auth_jwt_require and
# auth_jwt_claim_set, inheritance, a replaced key file and the directive's configuration
# errors.

use strict;
use warnings;

use File::Temp ();
use FindBin ();
use JSON::PP qw(decode_json encode_json);
use Test::More;

use JwtTest qw(:DEFAULT tamper_part);
use NginxRunner qw(spit header_of);
use Test::Nginx::Socket ();

my $exp = now() + 3600;
my $fx  = do {
    my $json = `python3 $FindBin::Bin/lib/jwe_mint.py $exp`;
    # Never skip: scripts/test installs jwcrypto (ensure_python_packages).
    die "t/lib/jwe_mint.py failed (python3 with jwcrypto needed; scripts/test installs it)\n"
        if $? != 0;
    decode_json($json);
};

my $work = File::Temp::tempdir('ngx-auth-jwt-jwe-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod 0755, $work;
my $keys = "$work/keys.json";
spit($keys, encode_json($fx->{key_file}));
chmod 0640, $keys;    # as docs/jwe.md advises; the master (root) reads it at start

# A key file whose RSA private key is inconsistent: its "d" is another key's.
my $broken = "$work/broken.json";
my ($rsa_d, $foreign_d) = map {
    (grep { $_->{kid} eq 'rsa' } @{ $_->{keys} })[0]{d}
} $fx->{key_file}, $fx->{foreign_key_file};
{
    my $file = decode_json(encode_json($fx->{key_file}));
    $_->{d} = $foreign_d for grep { $_->{kid} eq 'rsa' } @{ $file->{keys} };
    spit($broken, encode_json($file));
}

sub bearer { (Authorization => "Bearer $_[0]") }

my $http = <<"HTTP";
    auth_jwt_key_file $keys;
    auth_jwt_claim_set \$jwt_iss iss;
    map \$jwt_claim_sub \$is_bob { bob 1; default ""; }
    server {
        listen 127.0.0.1:%%PORT%%;
        auth_jwt "api";
        add_header X-Status \$jwt_status always;
        add_header X-Sub \$jwt_claim_sub always;

        location /signed { empty_gif; }
        location /enc { auth_jwt_type encrypted; empty_gif; }
        location /enc-uncached {
            auth_jwt_type encrypted;
            auth_jwt_verify_cache off;
            empty_gif;
        }
        location /nested {
            auth_jwt_type nested;
            add_header X-Status \$jwt_status always;
            add_header X-Sub \$jwt_claim_sub always;
            add_header X-Payload \$jwt_payload always;
            add_header X-Kid \$jwt_header_kid always;
            add_header X-Alg \$jwt_header_alg always;
            add_header X-Iss \$jwt_iss always;
            empty_gif;
        }
        location /nested-rewrite {
            auth_jwt_type nested;
            set \$who \$jwt_claim_sub;    # the rewrite phase: before auth_jwt has run
            add_header X-Who \$who always;
            empty_gif;
        }
        location /nested-bob {
            auth_jwt_type nested;
            auth_jwt_require \$is_bob error=403;
            empty_gif;
        }
        location /enc-bob {
            auth_jwt_type encrypted;
            auth_jwt_require \$is_bob error=403;
            empty_gif;
        }
        location /enc-header {
            auth_jwt_type encrypted;
            # add_header here replaces the server's: nginx inherits only when a level has none.
            add_header X-Enc \$jwt_header_enc always;
            add_header X-Payload \$jwt_payload always;
            empty_gif;
        }
        # The NGINX Plus pattern: the enclosed JWS goes on to the upstream.
        location /api {
            auth_jwt_type nested;
            proxy_set_header Authorization "Bearer \$jwt_payload";
            proxy_pass http://127.0.0.1:%%PORT%%/upstream;
        }
        location /broken {
            auth_jwt_type encrypted;
            auth_jwt_key_file $broken;
            empty_gif;
        }
        location /upstream {
            auth_jwt off;
            add_header X-Upstream-Authorization \$http_authorization always;
            empty_gif;
        }
    }
    server {
        listen 127.0.0.1:%%PORT%%;
        server_name inherited;
        auth_jwt "api";
        auth_jwt_type nested;
        add_header X-Status \$jwt_status always;
        location /inherits { empty_gif; }
        location /back-to-signed { auth_jwt_type signed; empty_gif; }
    }
HTTP

my $n = NginxRunner->new(http => $http);

subtest 'every alg x enc pair, encrypted, cached and uncached' => sub {
    my @tokens = @{ $fx->{tokens} };
    ok(@tokens >= 180, scalar(@tokens) . ' tokens');
    for my $t (@tokens) {
        my $what = "$t->{alg} $t->{enc} ($t->{kid})";
        for my $path ('/enc', '/enc', '/enc-uncached') {
            my ($status, $head) = $n->get($path, bearer($t->{token}));
            is($status, 200, "$what on $path") or diag($head);
            is(header_of($head, 'X-Sub'), $t->{sub}, "$what: claim variable on $path");
        }
    }
    unlike($n->error_log, qr/\[(?:error|crit|alert)\]/, 'no errors logged');
};

subtest 'nested tokens: the enclosed JWS is verified and is $jwt_payload' => sub {
    for my $t (@{ $fx->{nested} }) {
        my $what = "nested $t->{alg} $t->{enc}";
        for my $round (1, 2) {
            my ($status, $head) = $n->get('/nested', bearer($t->{token}));
            is($status, 200, "$what, round $round") or diag($head);
            is(header_of($head, 'X-Sub'),     'bob',     "$what: claim of the enclosed JWS");
            is(header_of($head, 'X-Payload'), $t->{jws}, "$what: \$jwt_payload is the JWS");
            is(header_of($head, 'X-Kid'),     'signer',  "$what: header of the enclosed JWS");
            is(header_of($head, 'X-Alg'),     'RS256',   "$what: its alg");
            is(header_of($head, 'X-Iss'),     'nested',  "$what: auth_jwt_claim_set");
        }
    }
    my $t = $fx->{nested}[0];
    my ($status, $head) = $n->get('/nested-rewrite', bearer($t->{token}));
    is($status, 200, 'claims read in the rewrite phase');
    is(header_of($head, 'X-Who'), 'bob', 'come from the decrypted, verified token');
    ($status, $head) = $n->get('/nested-rewrite', bearer(tamper_part($t->{token}, 3)));
    is($status, 401, 'a tampered token');
    is(header_of($head, 'X-Who'), undef, 'gives no claims in the rewrite phase (no header)');
    ($status, $head) = $n->get('/api', bearer($t->{token}));
    is($status, 200, 'nested token through the proxy') or diag($head);
    is(header_of($head, 'X-Upstream-Authorization'), "Bearer $t->{jws}",
        'the upstream gets the enclosed JWS as its bearer token');
    is($n->status('/signed', bearer($t->{jws})), 200, 'the enclosed JWS is a good signed token');
};

subtest 'encrypted tokens: header variables are the JWE header, $jwt_payload the claims' => sub {
    my ($t) = grep { $_->{alg} eq 'A256KW' && $_->{enc} eq 'A192GCM' } @{ $fx->{tokens} };
    my ($status, $head) = $n->get('/enc-header', bearer($t->{token}));
    is($status, 200, 'valid');
    is(header_of($head, 'X-Enc'), 'A192GCM', '$jwt_header_enc');
    is(header_of($head, 'X-Payload'), qq({"sub":"$t->{sub}","exp":$exp}), '$jwt_payload');
};

subtest 'auth_jwt_require on decrypted claims' => sub {
    my $nested = $fx->{nested}[1]{token};
    my ($t) = grep { $_->{alg} eq 'dir' } @{ $fx->{tokens} };
    is($n->status('/nested-bob', bearer($nested)), 200, 'nested: bob passes');
    is($n->status('/enc-bob', bearer($t->{token})), 403, 'encrypted: not bob, refused');
    like($n->error_log, qr/token refused by "auth_jwt_require"/, 'logged');
};

subtest 'tokens of the wrong kind' => sub {
    my $encrypted = $fx->{tokens}[0]{token};
    my $nested    = $fx->{nested}[0]{token};
    my $signed    = $fx->{nested}[0]{jws};
    for my $case (
        ['/enc',    $signed,    'signed token where auth_jwt_type is encrypted'],
        ['/nested', $signed,    'signed token where auth_jwt_type is nested'],
        ['/nested', $encrypted, 'encrypted token where auth_jwt_type is nested'],
        ['/enc',    $nested,    'nested token where auth_jwt_type is encrypted'],
        ['/signed', $encrypted, 'encrypted token where auth_jwt_type is signed'],
    ) {
        my ($path, $token, $reason) = @$case;
        my ($status, $head) = $n->get($path, bearer($token));
        is($status, 401, "$path: $reason");
        is(header_of($head, 'X-Status'), 'wrong_type', "$path: \$jwt_status");
        like($n->error_log, qr/\[info\].*auth_jwt: rejected token: \Q$reason\E/, "$path: logged");
    }
};

subtest 'tampered and foreign-key tokens: one outcome, one log reason' => sub {
    my %by = map { ("$_->{alg} $_->{enc}" => $_->{token}) } @{ $fx->{tokens} };
    my @bad;
    for my $pair ('RSA-OAEP-256 A256GCM', 'RSA-OAEP A128CBC-HS256', 'A256KW A128CBC-HS256',
                  'dir A256GCM', 'A128GCMKW A256CBC-HS512', 'PBES2-HS256+A128KW A128GCM') {
        my $token = $by{$pair} // die "no $pair";
        for my $part (1 .. 4) {
            next if (split /\./, $token, -1)[$part] eq '';    # dir: no encrypted key
            push @bad, ["$pair, part $part tampered", '/enc', tamper_part($token, $part)];
        }
    }
    my ($ecdh) = grep { $_->{alg} eq 'ECDH-ES+A256KW' && $_->{kid} eq 'p256' } @{ $fx->{tokens} };
    push @bad, ["ECDH-ES+A256KW, tag tampered", '/enc', tamper_part($ecdh->{token}, 4)];
    push @bad, ["nested, ciphertext tampered", '/nested', tamper_part($fx->{nested}[0]{token}, 3)];
    push @bad, ["$_ key of the same kid", '/enc', $fx->{special}{$_}]
        for qw(foreign_rsa foreign_kw foreign_dir foreign_p256);

    my %responses;
    for my $case (@bad) {
        my ($what, $path, $token) = @$case;
        my $before = length $n->error_log;
        my ($status, $head, $body) = $n->get($path, bearer($token));
        is($status, 401, $what);
        is(header_of($head, 'X-Status'), 'decrypt_failed', "$what: \$jwt_status");
        my $logged = substr($n->error_log, $before);
        like($logged, qr/auth_jwt: rejected token: decryption failed, client/, "$what: logged");
        unlike($logged, qr/padding|integrity|unwrap|tag|oaep/i, "$what: nothing more said");
        # The whole answer but the Date: the same bytes whatever failed.
        (my $answer = "$path\n$head\n$body") =~ s/^Date: [^\r\n]*//mi;
        $responses{$answer}++;
    }
    is(scalar(keys %responses), 2, 'one answer per location for every failure')
        or diag(join "\n---\n", keys %responses);

    my ($status, $head) = $n->get('/nested', bearer($fx->{special}{nested_foreign_signer}));
    is($status, 401, 'nested: enclosed JWS signed by another key');
    is(header_of($head, 'X-Status'), 'bad_signature', 'nested: bad_signature');
};

subtest 'refused headers, unknown keys and times' => sub {
    for my $case (
        ['rsa1_5',      'unsupported_alg', qr/"RSA1_5" is refused/],
        ['zip',         'unsupported_alg', qr/compressed tokens \("zip"\) are refused/],
        ['p2c_16384',   'malformed',       qr/"p2c" is 16384, at most 10000 allowed/],
        ['unknown_kid', 'no_key',          qr/no decryption key with kid "nobody" for A256KW/],
        ['expired',     'expired',         qr/token expired \d+ s ago/],
    ) {
        my ($name, $word, $reason) = @$case;
        my ($status, $head) = $n->get('/enc', bearer($fx->{special}{$name}));
        is($status, 401, $name);
        is(header_of($head, 'X-Status'), $word, "$name: $word");
        like($n->error_log, $reason, "$name: logged");
    }
};

subtest 'a broken decryption key: warning at start-up, 500, no key material logged' => sub {
    my $token = $fx->{tokens}[0]{token};
    my ($status, $head) = $n->get('/broken', bearer($token));
    is($status, 500, 'the file is unusable: 500');
    is(header_of($head, 'X-Status'), 'key_error', '$jwt_status key_error');
    my $log = $n->error_log;
    like($log, qr/\[warn\] .*auth_jwt_key_file "\Q$broken\E" is unusable: key \d+ \(kid "rsa"\): RSA private key is inconsistent; requests that need it will get 500/,
        'warning at start-up names the file, the key and the reason');
    like($log, qr/\[error\] .*auth_jwt: key file "\Q$broken\E" is unusable: key \d+ \(kid "rsa"\): RSA private key is inconsistent, client/,
        'error line per request');
    for my $secret ($rsa_d, $foreign_d, substr($rsa_d, 0, 16), substr($foreign_d, 0, 16)) {
        unlike($log, qr/\Q$secret\E/, 'no private key material in the log');
    }
};

subtest 'auth_jwt_type is inherited and can be set back' => sub {
    my $nested = $fx->{nested}[0];
    # NginxRunner sends Host: localhost; a second Host header is refused by nginx, so the
    # server is chosen by a request line with an absolute URI instead.
    my $port = $n->port;
    is($n->status("http://inherited:$port/inherits", bearer($nested->{token})), 200,
        'nested inherited from the server level');
    is($n->status("http://inherited:$port/back-to-signed", bearer($nested->{jws})), 200,
        'signed again in a location');
    is($n->status("http://inherited:$port/back-to-signed", bearer($nested->{token})), 401,
        'and a nested token is refused there');
};

subtest 'a new key file is used at once; cached tokens of the old keys are refused' => sub {
    my ($ours) = grep { $_->{alg} eq 'A256KW' && $_->{enc} eq 'A128CBC-HS256' } @{ $fx->{tokens} };
    my $theirs = $fx->{special}{foreign_kw};
    is($n->status('/enc', bearer($ours->{token})), 200, 'our token, cached');
    is($n->status('/enc', bearer($theirs)), 401, 'a token for other keys');
    spit("$keys.new", encode_json($fx->{foreign_key_file}));
    rename "$keys.new", $keys or die "rename: $!";
    ok(defined $n->wait_for_status(200, 5, '/enc', bearer($theirs)),
        'the other keys decrypt once the file is replaced') or diag($n->error_log);
    # Every key of the file counts, the decryption keys ("use": "enc") too.
    my $count = @{ $fx->{foreign_key_file}{keys} };
    ok($n->wait_for_log(qr/key file "\Q$keys\E" reloaded: $count keys/, 2),
        "the reload line counts the $count keys, decryption keys included") or diag($n->error_log);
    my ($status, $head) = $n->get('/enc', bearer($ours->{token}));
    is($status, 401, 'our token, cached with the old keys, is refused');
    is(header_of($head, 'X-Status'), 'decrypt_failed', 'decrypt_failed');
    spit("$keys.new", encode_json($fx->{key_file}));
    rename "$keys.new", $keys or die "rename: $!";
    ok(defined $n->wait_for_status(200, 5, '/enc', bearer($ours->{token})), 'and back');
};

$n->stop;

subtest 'configuration errors' => sub {
    my $conf = "$work/nginx.conf";
    for my $case (
        ['auth_jwt_type fancy;', qr/invalid value "fancy" in "auth_jwt_type" directive/],
        ['auth_jwt_type nested; auth_jwt_type signed;', qr/"auth_jwt_type" directive is duplicate/],
        ['auth_jwt_type;', qr/invalid number of arguments in "auth_jwt_type" directive/],
    ) {
        my ($line, $error) = @$case;
        spit($conf, "events {}\nhttp { server { location / { $line } } }\n");
        my ($ok, $output) = Test::Nginx::Socket::nginx_test_config($conf);
        ok(!$ok, "refused: $line");
        like($output, $error, "message: $line");
    }
    spit($conf, "events {}\nhttp { auth_jwt_type encrypted; server { location / {"
        . " limit_except GET { auth_jwt_type nested; } } } }\n");
    my ($ok, $output) = Test::Nginx::Socket::nginx_test_config($conf);
    ok($ok, 'http and limit_except contexts') or diag($output);
};

done_testing;
