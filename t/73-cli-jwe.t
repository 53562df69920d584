# The auth-jwt tool's encrypted tokens and JWKS URLs against a real nginx with the real module:
# - keys made by `auth-jwt keygen` and tokens made by `auth-jwt encrypt` (josekit, independent
#   of the module's decryptor) are accepted, for every JWE alg family x two encs, encrypted and
#   nested;
# - differential: for JWEs minted by jwcrypto (t/lib/jwe_mint.py: good, tampered, foreign
#   keys, wrong type, refused headers) `explain --type` gives the `$jwt_status` nginx records,
#   and the reason is the line nginx logs;
# - `--jwks-url` against t/lib/idp.py (a good set, 500, garbage, too big, a redirect, gzip,
#   HTTPS with --cacert): the word nginx records for the same IdP URL through
#   `auth_jwt_key_request` + `proxy_pass`, with the reason it logs.
use strict;
use warnings;

use File::Temp ();
use FindBin ();
use JSON::PP qw(decode_json encode_json);
use POSIX ();
use Test::More;
use Time::HiRes qw(sleep time);

use AuthJwtCli;
use JwtTest qw(:DEFAULT tamper_part);
use NginxRunner qw(slurp spit);

my $work = File::Temp::tempdir('ngx-auth-jwt-cli-jwe-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod 0755, $work;

sub status_of {
    my ($n, $path, $token) = @_;
    my ($code, $head) = $n->get($path, Authorization => "Bearer $token");
    my ($word) = $head =~ /^X-Jwt-Status: (\S*)/mi;
    return ($code, $word // '');
}

# ---------------------------------------------------------------------------------------------
subtest 'keys and tokens made by the tool are accepted, every JWE alg family' => sub {
    # [alg, keygen options, the encs of its tokens]
    my @families = (
        ['dir', ['--enc', 'A128GCM'], ['A128GCM']],
        ['dir', ['--enc', 'A256CBC-HS512'], ['A256CBC-HS512']],
        ['A128KW', [], ['A128GCM', 'A256CBC-HS512']],
        ['A192KW', [], ['A192GCM', 'A128CBC-HS256']],
        ['A256KW', [], ['A256GCM', 'A192CBC-HS384']],
        ['A128GCMKW', [], ['A128GCM', 'A128CBC-HS256']],
        ['A256GCMKW', [], ['A256GCM', 'A256CBC-HS512']],
        ['PBES2-HS256+A128KW', [], ['A128GCM', 'A128CBC-HS256']],
        ['PBES2-HS512+A256KW', [], ['A256GCM', 'A256CBC-HS512']],
        ['RSA-OAEP', [], ['A128GCM', 'A256CBC-HS512']],
        ['RSA-OAEP-256', [], ['A256GCM', 'A128CBC-HS256']],
        ['RSA-OAEP-384', [], ['A192GCM', 'A192CBC-HS384']],
        ['RSA-OAEP-512', [], ['A256GCM', 'A256CBC-HS512']],
        ['ECDH-ES', ['--crv', 'P-256'], ['A128GCM', 'A256CBC-HS512']],
        ['ECDH-ES', ['--crv', 'X25519'], ['A256GCM', 'A128CBC-HS256']],
        ['ECDH-ES+A128KW', ['--crv', 'P-384'], ['A128GCM', 'A192CBC-HS384']],
        ['ECDH-ES+A192KW', ['--crv', 'P-521'], ['A192GCM', 'A256CBC-HS512']],
        ['ECDH-ES+A256KW', ['--crv', 'X25519'], ['A256GCM', 'A128CBC-HS256']],
    );
    cli_ok('keygen', '--alg', 'ES256', '--out', "$work/signer.jwk");
    my @keys = (decode_json(slurp("$work/signer.pub.jwk")));
    for my $i (0 .. $#families) {
        my ($alg, $options) = @{ $families[$i] };
        cli_ok('keygen', '--alg', $alg, @$options, '--out', "$work/enc$i.jwk");
        is((stat "$work/enc$i.jwk")[2] & 0777, 0600, "$alg: private key is 0600");
        my $private = decode_json(slurp("$work/enc$i.jwk"));
        is($private->{use}, 'enc', "$alg: use enc");
        push @keys, $private;
    }
    # The module decrypts with the private keys: one key file with all of them and the signer,
    # built with `jwks add`, which keeps the private part of decryption keys only.
    my $set = "$work/enc-set.json";
    cli_ok('jwks', 'add', '--set', $set, "$work/signer.jwk", map { "$work/enc$_.jwk" } 0 .. $#families);
    is((stat $set)[2] & 0777, 0600, 'jwks add writes a set with decryption keys 0600');
    my @in_set = @{ decode_json(slurp($set))->{keys} };
    is(scalar(grep { $_->{use} eq 'enc' && ($_->{kty} eq 'oct' || defined $_->{d}) } @in_set),
       scalar @families, 'jwks add keeps the private part of every decryption key');
    ok(!defined $in_set[0]{d}, 'and drops the private part of the signing key');
    chmod 0644, $set;
    my ($check) = cli_json('check-keys', $set);
    is($check->{decryption_keys}, scalar @families, 'check-keys counts every decryption key');
    # A single private JWK, as keygen wrote it, is a key file too.
    chmod 0644, "$work/enc10.jwk";
    my $n = NginxRunner->new(http => <<"HTTP");
    server {
        listen 127.0.0.1:%%PORT%%;
        auth_jwt "jwe";
        add_header X-Jwt-Status "\$jwt_status" always;
        location /enc    { auth_jwt_type encrypted; auth_jwt_key_file $set; empty_gif; }
        location /nested { auth_jwt_type nested;    auth_jwt_key_file $set; empty_gif; }
        location /single { auth_jwt_type encrypted; auth_jwt_key_file $work/enc10.jwk; empty_gif; }
    }
HTTP
    for my $i (0 .. $#families) {
        my ($alg, $options, $encs) = @{ $families[$i] };
        for my $enc (@$encs) {
            for my $type (qw(encrypted nested)) {
                my @sign = $type eq 'nested' ? ('--sign-key', "$work/signer.jwk") : ();
                chomp(my $token = cli_ok('encrypt', '--key', "$work/enc$i.pub.jwk", '--enc', $enc,
                                         '--sub', 'alice', '--exp', '10m', @sign));
                my $loc = $type eq 'nested' ? '/nested' : '/enc';
                my ($code, $word) = status_of($n, $loc, $token);
                is("$code $word", '200 ok', "$alg @$options $enc $type: accepted by nginx")
                    or diag($n->error_log);
                spit("$work/token", $token);
                my $json = cli_json('explain', '--type', $type, '--keys', $set,
                                    '--token-file', "$work/token");
                is($json->{status}, 'ok', "$alg $enc $type: explain says ok");
                is($json->{matched_key}{kid}, $keys[$i + 1]{kid}, "$alg $enc $type: the key that decrypted");
                is($json->{signed_by}{kid}, $keys[0]{kid}, "$alg $enc $type: the signer")
                    if $type eq 'nested';
            }
        }
    }
    chomp(my $one = cli_ok('encrypt', '--key', "$work/enc10.pub.jwk", '--sub', 'bob'));
    is(join(' ', status_of($n, '/single', $one)), '200 ok', 'a private JWK file made by keygen is a key file');
    $n->stop;
};

# ---------------------------------------------------------------------------------------------
subtest 'differential: explain gives the $jwt_status of nginx for JWEs minted by jwcrypto' => sub {
    my $exp = now() + 3600;
    my $fx = decode_json(scalar `python3 $FindBin::Bin/lib/jwe_mint.py $exp`);
    die "t/lib/jwe_mint.py failed (scripts/test installs jwcrypto)\n" if $?;
    my $keys = "$work/jwcrypto-keys.json";
    spit($keys, encode_json($fx->{key_file}));
    chmod 0644, $keys;
    my %t;
    # Two good tokens of each family, and the same tampered in the tag and the ciphertext.
    my %picked;
    for my $token (@{ $fx->{tokens} }) {
        (my $family = $token->{alg}) =~ s/\d+//g;
        next if $picked{$family}++ >= 2;
        my $name = "$token->{alg}/$token->{enc}";
        $t{$name} = $token->{token};
        $t{"$name tag"} = tamper_part($token->{token}, 4);
        $t{"$name ciphertext"} = tamper_part($token->{token}, 3);
    }
    for my $i (0, 1) {
        $t{"nested $i"} = $fx->{nested}[$i]{token};
        $t{"nested $i tag"} = tamper_part($fx->{nested}[$i]{token}, 4);
        $t{"jws $i"} = $fx->{nested}[$i]{jws};
    }
    $t{"special $_"} = $fx->{special}{$_} for keys %{ $fx->{special} };
    $t{garbage} = 'a.b.c.d.e';

    my $n = NginxRunner->new(http => <<"HTTP");
    server {
        listen 127.0.0.1:%%PORT%%;
        auth_jwt "jwe";
        auth_jwt_key_file $keys;
        add_header X-Jwt-Status "\$jwt_status" always;
        location /signed    { empty_gif; }
        location /encrypted { auth_jwt_type encrypted; empty_gif; }
        location /nested    { auth_jwt_type nested; empty_gif; }
    }
HTTP
    my %seen;
    for my $name (sort keys %t) {
        spit("$work/token", $t{$name});
        for my $type (qw(signed encrypted nested)) {
            my ($code, $word) = status_of($n, "/$type", $t{$name});
            my ($json, $rc) = cli_json('explain', '--type', $type, '--keys', $keys,
                                       '--token-file', "$work/token");
            $seen{$word}++;
            is($json->{status}, $word, "$name as $type: $word")
                or diag(JSON::PP->new->canonical->encode($json));
            is($rc, $word eq 'ok' ? 0 : 1, "$name as $type: exit status");
        }
    }
    note('statuses: ' . join(', ', map {"$_ $seen{$_}"} sort keys %seen));
    for my $word (qw(ok decrypt_failed wrong_type expired no_key unsupported_alg malformed)) {
        ok($seen{$word}, "the corpus reaches $word");
    }

    # The reason is the line nginx logs, and explain says why each key did not decrypt.
    my ($good) = grep { !/ / && m{^A\d+KW/} } sort keys %t;
    for my $case (["$good tag", 'encrypted'], ['special foreign_rsa', 'encrypted'],
                  ['jws 0', 'encrypted'], ['nested 0', 'encrypted'], ['special zip', 'encrypted']) {
        my ($name, $type) = @$case;
        spit("$work/token", $t{$name});
        my $json = cli_json('explain', '--type', $type, '--keys', $keys, '--token-file', "$work/token");
        my $before = length $n->error_log;
        status_of($n, "/$type", $t{$name});
        ok($n->wait_for_log_since($before, qr/\Q$json->{reason}\E/, 5), "$name: \"$json->{reason}\" is logged")
            or diag(substr($n->error_log, $before));
    }
    spit("$work/token", $t{"$good tag"});
    my $json = cli_json('explain', '--type', 'encrypted', '--keys', $keys, '--token-file', "$work/token");
    my @fates = map { $_->{result} } @{ $json->{keys} };
    is(scalar(grep { $_ eq 'does_not_decrypt' } @fates), 1, 'tampered: one candidate, it does not decrypt');
    ok(!(grep { $_ eq 'decrypted' } @fates), 'tampered: no key decrypted');
    my (undef, $text) = cli('explain', '--type', 'encrypted', '--keys', $keys, '--token-file', "$work/token");
    for my $key (@{ $fx->{key_file}{keys} }) {
        for my $member (grep { defined $key->{$_} } qw(d k p q)) {
            ok(index($text, $key->{$member}) < 0, "explain never prints \"$member\" of $key->{kid}");
        }
    }
    $n->stop;
};

# ---------------------------------------------------------------------------------------------
my @idp_pids;
END { local $?; kill 'TERM', @idp_pids if @idp_pids; waitpid($_, 0) for @idp_pids }

sub start_idp {
    my ($dir, @tls) = @_;
    my $port_file = "$dir/idp.port";
    unlink $port_file;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        open STDIN, '<', '/dev/null';
        open STDERR, '>>', "$dir/idp.stderr";
        exec('python3', "$FindBin::Bin/lib/idp.py", '--port-file', $port_file, '--log',
             "$dir/idp.log", '--dir', $dir, @tls) or POSIX::_exit(127);
    }
    push @idp_pids, $pid;
    my $deadline = time + 10;
    until (-s $port_file) {
        die 'idp.py did not start: ' . slurp("$dir/idp.stderr") if time > $deadline;
        sleep 0.02;
    }
    return slurp($port_file) + 0;
}

subtest '--jwks-url: the word and reason of auth_jwt_key_request for the same IdP URL' => sub {
    my $dir = "$work/idp";
    mkdir $dir;
    chmod 0755, $dir;
    cli_ok('keygen', '--alg', 'ES256', '--out', "$work/idp-signer.jwk");
    cli_ok('jwks', 'add', '--set', "$dir/set.json", "$work/idp-signer.pub.jwk");
    my $port = start_idp($dir);
    chomp(my $token = cli_ok('sign', '--key', "$work/idp-signer.jwk", '--sub', 'alice'));
    spit("$work/token", $token);
    # [name, IdP path, the word both must give]
    my @cases = (
        ['good', 'keys/set.json', 'ok'],
        ['500', 'status/500', 'key_fetch_error'],
        ['404', 'status/404', 'key_fetch_error'],
        ['garbage', 'garbage', 'key_fetch_error'],
        ['big', 'big/100000', 'key_fetch_error'],
        ['redirect', 'redirect/set.json', 'key_fetch_error'],
        ['gzip', 'gzip/set.json', 'key_fetch_error'],
    );
    cli_ok('keygen', '--alg', 'ECDH-ES+A256KW', '--out', "$work/combined-enc.jwk");
    chmod 0644, "$work/combined-enc.jwk";
    my $locations = join '', map {
        "        location = /k/$_->[0] { auth_jwt_key_request /_idp/$_->[1]; empty_gif; }\n"
    } @cases;
    my $n = NginxRunner->new(http => <<"HTTP");
    server {
        listen 127.0.0.1:%%PORT%%;
        auth_jwt "idp";
        add_header X-Jwt-Status "\$jwt_status" always;
        location /_idp/ { internal; proxy_pass http://127.0.0.1:$port/; }
$locations
        location = /combined {
            auth_jwt_type nested;
            auth_jwt_key_file $work/combined-enc.jwk;
            auth_jwt_key_request /_idp/keys/set.json;
            empty_gif;
        }
    }
HTTP
    for my $case (@cases) {
        my ($name, $path, $expected) = @$case;
        my $before = length $n->error_log;
        my ($code, $word) = status_of($n, "/k/$name", $token);
        is($word, $expected, "$name: nginx records $expected");
        is($code, $expected eq 'ok' ? 200 : 500, "$name: HTTP $code");
        my ($json, $rc) = cli_json('verify', '--jwks-url', "http://127.0.0.1:$port/$path",
                                   '--token-file', "$work/token");
        is($json->{status}, $word, "$name: verify --jwks-url says $word");
        is($rc, $word eq 'ok' ? 0 : 1, "$name: exit status");
        next if $word eq 'ok';
        # The module logs "key request /_idp/... failed: <reason>; ...": the same reason.
        my ($reason) = ($json->{reason} // '') =~ /is unusable: (.*)$/;
        $reason //= 'no reason';
        $reason =~ s/ \(the body is larger than .*\)$//;    # nginx: "too big subrequest response"
        ok($n->wait_for_log_since($before, qr/failed: \Q$reason\E/, 5), "$name: nginx logs \"$reason\"")
            or diag(substr($n->error_log, $before));
    }

    # Key files and a key request at one level are one key set: a nested token decrypted with
    # the file's key whose signer's key comes from the IdP.
    chomp(my $nested = cli_ok('encrypt', '--key', "$work/combined-enc.pub.jwk",
                              '--sign-key', "$work/idp-signer.jwk", '--sub', 'carol'));
    spit("$work/token", $nested);
    is(join(' ', status_of($n, '/combined', $nested)), '200 ok',
       'nginx: key file + key request decrypt and verify a nested token') or diag($n->error_log);
    my $json = cli_json('explain', '--type', 'nested', '--keys', "$work/combined-enc.jwk",
                        '--jwks-url', "http://127.0.0.1:$port/keys/set.json", '--token-file', "$work/token");
    is($json->{status}, 'ok', 'explain --keys --jwks-url: ok');
    like($json->{signed_by}{file} // '', qr{^http://127\.0\.0\.1:\d+/keys/set\.json$}, 'signed by the key from the URL');
    $json = cli_json('explain', '--type', 'nested', '--keys', "$work/combined-enc.jwk",
                     '--jwks-url', "http://127.0.0.1:$port/status/503", '--token-file', "$work/token");
    is($json->{status}, 'key_fetch_error', 'a failed key request breaks the level, as in nginx');
    $n->stop;
};

subtest '--jwks-url over HTTPS with a private CA (--cacert)' => sub {
    my $dir = "$work/tls";
    mkdir $dir;
    chmod 0755, $dir;
    # A private CA and the IdP's certificate signed by it (a CA certificate itself cannot be
    # a server's: TLS clients refuse it as an end entity); another CA that did not sign it.
    my $openssl = sub { system("openssl @_ 2>/dev/null") == 0 or die "openssl @_ failed" };
    for my $ca (qw(ca other)) {
        $openssl->("req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2"
            . " -keyout $dir/$ca.key -out $dir/$ca.crt -subj /CN=$ca-test-ca");
    }
    $openssl->("req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $dir/idp.key"
        . " -out $dir/idp.csr -subj /CN=idp.test");
    spit("$dir/ext", "subjectAltName=DNS:idp.test,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n");
    $openssl->("x509 -req -in $dir/idp.csr -CA $dir/ca.crt -CAkey $dir/ca.key -CAcreateserial"
        . " -days 2 -extfile $dir/ext -out $dir/idp.crt");
    cli_ok('jwks', 'add', '--set', "$dir/set.json", "$work/idp-signer.pub.jwk");
    my $port = start_idp($dir, '--cert', "$dir/idp.crt", '--key', "$dir/idp.key");
    chomp(my $token = cli_ok('sign', '--key', "$work/idp-signer.jwk", '--sub', 'alice'));
    spit("$work/token", $token);
    my $url = "https://127.0.0.1:$port/keys/set.json";
    my $json = cli_json('verify', '--jwks-url', $url, '--cacert', "$dir/ca.crt", '--token-file', "$work/token");
    is($json->{status}, 'ok', 'the IdP\'s CA: ok') or diag($json->{reason});
    $json = cli_json('verify', '--jwks-url', $url, '--cacert', "$dir/other.crt", '--token-file', "$work/token");
    is($json->{status}, 'key_fetch_error', 'another CA: key_fetch_error');
    $json = cli_json('verify', '--jwks-url', $url, '--token-file', "$work/token");
    is($json->{status}, 'key_fetch_error', 'public roots only: key_fetch_error');
    my $n = NginxRunner->new(http => <<"HTTP");
    server {
        listen 127.0.0.1:%%PORT%%;
        auth_jwt "idp";
        add_header X-Jwt-Status "\$jwt_status" always;
        location /_good/ {
            internal;
            proxy_pass https://127.0.0.1:$port/;
            proxy_ssl_verify on;
            proxy_ssl_name idp.test;
            proxy_ssl_trusted_certificate $dir/ca.crt;
        }
        # Both locations reach the same address and share its cached TLS session: a resumed
        # session would skip the certificate check.
        location /_other/ {
            internal;
            proxy_ssl_session_reuse off;
            proxy_pass https://127.0.0.1:$port/;
            proxy_ssl_verify on;
            proxy_ssl_name idp.test;
            proxy_ssl_trusted_certificate $dir/other.crt;
        }
        location /good  { auth_jwt_key_request /_good/keys/set.json; empty_gif; }
        location /other { auth_jwt_key_request /_other/keys/set.json; empty_gif; }
    }
HTTP
    is((status_of($n, '/good', $token))[1], 'ok', 'nginx with the IdP\'s CA: ok') or diag($n->error_log);
    is((status_of($n, '/other', $token))[1], 'key_fetch_error', 'nginx with another CA: key_fetch_error');
    $n->stop;
};

done_testing();
