# The auth-jwt command line tool against a real nginx with the real module:
# - differential: for every token of a hostile corpus and every key file, `auth-jwt explain`
#   gives the `$jwt_status` that nginx records for the same token and key file;
# - `check-keys` gives the module's own load errors and warnings for broken key files;
# - keys and tokens made by the tool are accepted by the module, for every algorithm;
# - a JWK Set rotated with `auth-jwt jwks rotate` hot-reloads with zero failed requests.
use strict;
use warnings;

use File::Temp ();
use JSON::PP ();
use MIME::Base64 ();
use Test::More;
use Time::HiRes qw(sleep time);

use AuthJwtCli;
use JwtTest qw(:DEFAULT data_dir raw_to_der);
use NginxRunner qw(slurp spit);

my $DATA = data_dir();
my $work = File::Temp::tempdir('ngx-auth-jwt-cli-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod 0755, $work;
my $now = now();

# ---------------------------------------------------------------------------------------------
# The corpus: what t/20-hostile-tokens.t and t/12-failures.t send, minted here with JwtTest
# (openssl), independent of both the module and the tool.
my %c = (sub => 'alice', exp => $now + 3600);
sub sign  { jwt_sign(claims => \%c, @_) }
sub parts { split /\./, $_[0], -1 }
sub sig   { b64url_decode((parts($_[0]))[2]) }
sub with_sig { my ($t, $s) = @_; my ($h, $p) = parts($t); "$h.$p." . b64url($s) }

my %t;
# Good tokens of every algorithm, and the same signed by the "other" key of the same kid.
for my $alg (qw(HS256 HS384 HS512 RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA)) {
    $t{"good_$alg"} = sign(alg => $alg);
    $t{"tampered_$alg"} = tamper($t{"good_$alg"});
    $t{"nokid_$alg"} = sign(alg => $alg, kid => undef);
}
$t{good_Ed448}  = sign(alg => 'EdDSA', key => 'ed448');
$t{other_rsa}   = sign(alg => 'RS256', key => 'rsa-other');
$t{other_ec}    = sign(alg => 'ES256', key => 'ec256-other');
$t{other_ed}    = sign(alg => 'EdDSA', key => 'ed25519-other');
$t{other_hs}    = sign(alg => 'HS256', key => 'hs-other');
$t{unknown_kid} = sign(alg => 'RS256', kid => 'nobody');
# Times (well away from the boundaries: nginx and the tool read the clock a moment apart).
# The test runs for a while: tokens meant to be valid or not yet valid stay so for an hour.
$t{expired}     = jwt_sign(alg => 'ES256', claims => { exp => $now - 100 });
$t{expired_1s}  = jwt_sign(alg => 'ES256', claims => { exp => $now - 1 });
$t{not_yet}     = jwt_sign(alg => 'ES256', claims => { nbf => $now + 3600 });
$t{not_yet_exp} = jwt_sign(alg => 'ES256', claims => { nbf => $now + 3600, exp => $now + 7200 });
$t{no_times}    = jwt_sign(alg => 'ES256', claims => { sub => 'alice' });
$t{exp_float}   = jwt_sign(alg => 'HS256', raw_claims => '{"exp":' . ($now - 50) . '.5}');
# alg none and friends.
$t{none}     = sign(alg => 'none', kid => undef);
$t{none_sig} = "$t{none}c2ln";
$t{"${_}_sig"} = sign(alg => 'none', kid => undef, header => { alg => $_ }) . 'c2ln' for qw(None NONE);
$t{alg_lower} = sign(alg => 'HS256', header => { alg => 'hs256' });
$t{alg_num}   = sign(alg => 'HS256', raw_header => '{"alg":256,"kid":"hs256"}');
$t{alg_miss}  = sign(alg => 'HS256', raw_header => '{"kid":"hs256"}');
$t{alg_rsa15} = sign(alg => 'HS256', header => { alg => 'RSA1_5' });
# Key confusion: HS256 with a public key as the secret.
my $rsa_pem = slurp("$DATA/keys/rsa.pub.pem");
$t{hs_rsa_pem_kid} = sign(alg => 'HS256', kid => 'rsa', secret => $rsa_pem);
$t{hs_rsa_pem}     = sign(alg => 'HS256', kid => undef, secret => $rsa_pem);
$t{hs_ec_pem_kid}  = sign(alg => 'HS256', kid => 'ec256', secret => slurp("$DATA/keys/ec256.pub.pem"));
# ECDSA zero and misshapen signatures, other lengths.
my %half = (ES256 => 32, ES384 => 48, ES512 => 66);
$t{"${_}_zero"} = with_sig(sign(alg => $_), "\0" x (2 * $half{$_})) for keys %half;
my $es = $t{good_ES256};
my $es_sig = sig($es);
$t{ES256_r0}  = with_sig($es, ("\0" x 32) . substr($es_sig, 32));
$t{ES256_der} = with_sig($es, raw_to_der($es_sig));
$t{ES256_63}  = with_sig($es, substr($es_sig, 0, 63));
$t{RS256_255} = with_sig($t{good_RS256}, substr(sig($t{good_RS256}), 0, 255));
$t{HS256_16}  = with_sig($t{good_HS256}, substr(sig($t{good_HS256}), 0, 16));
# kids of another key type, or hostile ones.
$t{kid_rs_ec}  = sign(alg => 'RS256', kid => 'ec256');
$t{kid_ed_hs}  = sign(alg => 'EdDSA', kid => 'hs256');
$t{kid_path}   = sign(alg => 'RS256', kid => '../../../../etc/passwd');
$t{kid_nl}     = sign(alg => 'RS256', kid => "x\n2030/01/01 00:00:00 [error] forged");
$t{kid_nul}    = sign(alg => 'RS256', kid => "rsa\0");
$t{kid_long}   = sign(alg => 'RS256', kid => 'k' x 4000);
$t{kid_num}    = sign(alg => 'RS256', kid => 7);
# Embedded keys are never trusted.
$t{jwk_embed} = sign(alg => 'RS256', key => 'rsa-other', kid => undef,
                     header => { jwk => { kty => 'oct', k => 'AAAA' } });
$t{jku} = sign(alg => 'RS256', key => 'rsa-other', header => { jku => 'https://attacker.example/' });
# crit.
$t{crit}       = sign(alg => 'HS256', header => { crit => ['exp'], exp => 1 });
$t{crit_empty} = sign(alg => 'HS256', header => { crit => [] });
# Structure.
my ($h, $p, $s) = parts($t{good_HS256});
$t{b64_pad}     = "$h=.$p.$s";
$t{b64_plus}    = "$h.$p." . substr($s, 0, 10) . '+' . substr($s, 11);
$t{hdr_array}   = b64url('["HS256"]') . ".$p.$s";
$t{pl_array}    = sign(alg => 'HS256', raw_claims => '[{"sub":"alice"}]');
$t{pl_text}     = sign(alg => 'HS256', raw_claims => 'sub=alice');
$t{pl_trailing} = sign(alg => 'HS256', raw_claims => '{"sub":"alice"}{"sub":"admin"}');
$t{dup_alg}     = sign(alg => 'HS256', raw_header => '{"alg":"HS256","alg":"none","kid":"hs256"}');
$t{dup_exp}     = sign(alg => 'HS256', raw_claims => qq({"exp":1,"exp":$c{exp}}));
$t{deep40}      = sign(alg => 'HS256', raw_claims => '{"a":' . ('[' x 39) . (']' x 39) . '}');
$t{deep_hdr}    = sign(alg => 'HS256', raw_header => '{"alg":"HS256","x":' . ('{"a":' x 199) . '1' . ('}' x 199) . '}');
$t{big}         = sign(alg => 'HS256', claims => { %c, pad => 'x' x 20_000 });
$t{json_ff}     = sign(alg => 'HS256', raw_header => qq({"alg":"HS256","kid":"hs256","x":"\xff"}));
$t{byte_ff}     = substr($es, 0, 5) . "\xff" . substr($es, 5);
$t{dots}    = '..';
$t{empty_s} = "$h.$p.";
$t{two}     = "$h.$p";
$t{four}    = "$h.$p.$s.$s";
$t{five}    = "$h.$p.$s.$s.$s";
$t{garbage} = 'not-a-token';
# exp and nbf of the wrong type or range.
my %times = (exp_string => qq({"exp":"$c{exp}"}), nbf_string => '{"nbf":"0"}',
             exp_1e300 => '{"exp":1e300}', exp_neg => '{"exp":-1}', exp_bool => '{"exp":true}',
             exp_huge => '{"exp":9007199254740993}', nbf_neg => '{"nbf":-1}');
$t{$_} = sign(alg => 'HS256', raw_claims => $times{$_}) for keys %times;
$t{swap} = "$h." . b64url(qq({"exp":$c{exp},"sub":"admin"})) . ".$s";

# Key files: good sets, sets that make tokens fail differently, broken files (500), none.
my %keyfile = (
    all     => "$DATA/jwks/all.json",
    other   => "$DATA/jwks/other.json",
    nokid   => "$DATA/jwks/nokid.json",
    alg     => "$DATA/jwks/alg.json",
    dupkid  => "$DATA/jwks/dup-kid.json",
    withenc => "$DATA/jwks/with-enc.json",
    rsa     => "$DATA/jwks/rsa.json",
    single  => "$DATA/jwk/ec256.jwk",
    broken  => "$DATA/bad/rsa-1024.json",
    notjson => "$DATA/bad/not-json.txt",
    none    => undef,
    # Several key files at one level: their union, or a 500 when one is broken.
    two       => ["$DATA/jwks/rsa.json", "$DATA/jwks/ec256.json"],
    twobroken => ["$DATA/jwks/rsa.json", "$DATA/bad/rsa-1024.json"],
);
sub files_of { my $f = $keyfile{ $_[0] }; return defined $f ? (ref $f ? @$f : ($f)) : () }

my $locations = '';
for my $name (sort keys %keyfile) {
    my $file = join ' ', map {"auth_jwt_key_file $_;"} files_of($name);
    $locations .= <<"LOC";
        location /$name {
            auth_jwt "cli";
            $file
            add_header X-Jwt-Status "\$jwt_status" always;
            empty_gif;
        }
LOC
}
my $n = NginxRunner->new(http => <<"HTTP");
    large_client_header_buffers 4 64k;
    server {
        listen 127.0.0.1:%%PORT%%;
$locations
    }
HTTP

sub nginx_status {
    my ($path, $token) = @_;
    my ($code, $head) = $n->get($path, Authorization => "Bearer $token");
    my ($word) = $head =~ /^X-Jwt-Status: (\S*)/mi;
    return ($code, $word);
}

# Every token is sent to the locations whose key files any token can tell apart; the tokens
# whose outcome depends on which keys a file holds are sent to every location.
my @every_file = qw(all broken none other);
my $key_sensitive = qr/^(?:good|nokid|other|tampered|unknown_kid|kid_|hs_)/;

subtest 'differential: explain gives the $jwt_status of nginx' => sub {
    my ($compared, $skipped, %seen) = (0, 0);
    for my $name (sort keys %t) {
        my $token = $t{$name};
        # Bytes that cannot travel in a header line: nginx would refuse the request itself.
        if ($token =~ /[\r\n\0]/) { $skipped++; next }
        my $file = "$work/token";
        spit($file, $token);
        for my $loc ($name =~ $key_sensitive ? sort(keys %keyfile) : @every_file) {
            my ($code, $word) = nginx_status("/$loc", $token);
            if (!defined $word) {
                # Not the module's answer (e.g. 400 from nginx): nothing to compare.
                $skipped++;
                next;
            }
            my @keys = map { ('--keys', $_) } files_of($loc);
            my ($json, $rc) = cli_json('explain', @keys, '--token-file', $file);
            $compared++;
            $seen{$word}++;
            is($json->{status}, $word, "$name at /$loc: $word")
                or diag(JSON::PP->new->canonical->encode($json));
            is($rc, $word eq 'ok' ? 0 : 1, "$name at /$loc: exit status");
            is($code, $word eq 'ok' ? 200 : $word eq 'key_error' ? 500 : 401, "$name at /$loc: HTTP $code");
        }
    }
    note("compared $compared, skipped $skipped; statuses: "
         . join(', ', map {"$_ $seen{$_}"} sort keys %seen));
    # The corpus must reach every outcome a token can have, or it tests less than it claims.
    for my $word (qw(ok malformed unsupported_alg no_key bad_signature expired not_yet_valid key_error)) {
        ok($seen{$word}, "the corpus reaches $word");
    }
};

subtest 'differential: the reason is the line the module logs' => sub {
    # One request per reason, then its log line: "rejected token: <reason>".
    for my $name (qw(expired not_yet ES256_zero kid_rs_ec none crit dup_alg alg_lower two exp_string)) {
        my $token = $t{$name};
        spit("$work/token", $token);
        my $json = cli_json('explain', '--keys', $keyfile{all}, '--token-file', "$work/token");
        my $before = length $n->error_log;
        my ($code) = nginx_status('/all', $token);
        my $reason = $json->{reason} // 'no reason given';
        # "expired 100 s ago" may be 101 s for one of the two clocks.
        (my $pattern = quotemeta $reason) =~ s/\\ \d+\\ s/\\ \\d+\\ s/g;
        ok($n->wait_for_log_since($before, qr/$pattern/, 5), "$name: \"$reason\" is in the error log")
            or diag("HTTP $code; log since the request:\n" . substr($n->error_log, $before));
    }
    spit("$work/token", $t{good_RS256});
    my $json = cli_json('explain', '--keys', $keyfile{broken}, '--token-file', "$work/token");
    my $before = length $n->error_log;
    nginx_status('/broken', $t{good_RS256});
    ok($n->wait_for_log_since($before, qr/\Q$json->{reason}\E/, 5), 'key_error: the same 500 log line')
        or diag(substr($n->error_log, $before));
};

subtest 'explain names the matched key, or why each key did not match' => sub {
    spit("$work/token", $t{good_ES256});
    my $json = cli_json('explain', '--keys', $keyfile{all}, '--token-file', "$work/token");
    is($json->{matched_key}{kid}, 'ec256', 'the ec256 key matched');
    my %fate = map { ($_->{kid} // '-') => $_->{result} } @{ $json->{keys} };
    is($fate{ec256}, 'verified', 'ec256 verified');
    is($fate{rsa}, 'not_candidate', 'rsa is not a candidate');
    spit("$work/token", $t{good_RS256});
    $json = cli_json('explain', '--keys', $keyfile{dupkid}, '--token-file', "$work/token");
    is_deeply([map { $_->{result} } @{ $json->{keys} }], [qw(bad_signature not_candidate verified)],
              'dup-kid: the other rsa key fails, the EC key is no candidate, the rsa key verifies');
    spit("$work/token", $t{good_RS256});
    $json = cli_json('explain', '--keys', $keyfile{withenc}, '--token-file', "$work/token");
    is($json->{keys}[0]{result}, 'skipped', 'with-enc: the encryption key is skipped');
    like($json->{keys}[0]{note}, qr/use "enc" is not "sig", skipped/, 'with the loader\'s note');
};

subtest 'check-keys gives the errors and warnings nginx logs' => sub {
    # Every broken fixture, one with a skipped key, and a good one: nginx loads each at start-up
    # and logs a [warn] line per problem; check-keys must print exactly those lines.
    my @files = (sort(glob("$DATA/bad/*")), $keyfile{withenc}, $keyfile{all});
    my $conf = join '', map { "        location /f$_ { auth_jwt x; auth_jwt_key_file $files[$_]; empty_gif; }\n" } 0 .. $#files;
    my $m = NginxRunner->new(http => "    server {\n        listen 127.0.0.1:%%PORT%%;\n$conf    }\n");
    my @warn = grep {/\[warn\]/} split /\n/, $m->error_log;
    my %usable;
    for my $file (@files) {
        my ($json, $rc) = cli_json('check-keys', $file);
        my @logged = grep { index($_, qq{auth_jwt_key_file "$file"}) >= 0 } @warn;
        my @said = $json->{usable} ? @{ $json->{warnings} } : ($json->{message});
        $usable{ $json->{usable} ? 'usable' : 'unusable' }++;
        is($rc, $json->{usable} ? 0 : 1, "$file: exit status");
        is(scalar @said, scalar @logged, "$file: as many lines as nginx logs")
            or diag(join "\n", 'nginx:', @logged, 'check-keys:', @said);
        for my $line (@said) {
            ok((grep { index($_, $line) >= 0 } @logged), "$file: nginx logs \"$line\"");
        }
    }
    ok($usable{unusable} && $usable{usable}, 'both usable and unusable files were checked');
    $m->stop;
};

# ---------------------------------------------------------------------------------------------
subtest 'keys and tokens made by the tool are accepted, every algorithm' => sub {
    my $set = "$work/made.json";
    my @algs = qw(HS256 HS384 HS512 RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 Ed25519 Ed448);
    for my $alg (@algs) {
        cli_ok('keygen', '--alg', $alg, '--out', "$work/$alg.jwk");
        cli_ok('jwks', 'add', '--set', $set, "$work/$alg.pub.jwk");
        is((stat "$work/$alg.jwk")[2] & 0777, 0600, "$alg: private key is 0600");
    }
    # A PEM private key too, added to the set by its public JWK (thumbprint kid).
    cli_ok('keygen', '--alg', 'ES384', '--format', 'pem', '--out', "$work/pem.pem");
    cli_ok('jwks', 'add', '--set', $set, "$work/pem.pub.jwk");
    chmod 0644, $set;    # workers read it (the HMAC secrets made it 0600)
    my $m = NginxRunner->new(http => <<"HTTP");
    server {
        listen 127.0.0.1:%%PORT%%;
        location /t {
            auth_jwt "made";
            auth_jwt_key_file $set;
            add_header X-Jwt-Status "\$jwt_status" always;
            empty_gif;
        }
    }
HTTP
    for my $key ((map {"$_.jwk"} @algs), 'pem.pem') {
        my $token = cli_ok('sign', '--key', "$work/$key", '--sub', 'alice', '--exp', '5m');
        chomp $token;
        my ($code, $head) = $m->get('/t', Authorization => "Bearer $token");
        is($code, 200, "$key: token accepted") or diag($head . $m->error_log);
        my $expired = cli_ok('sign', '--key', "$work/$key", '--exp', '-5m');
        chomp $expired;
        ($code, $head) = $m->get('/t', Authorization => "Bearer $expired");
        like($head, qr/^X-Jwt-Status: expired/mi, "$key: --exp -5m gives expired");
    }
    # The Kubernetes Secret holds exactly the set.
    my $secret = cli_json('k8s-secret', '--name', 'jwk-secret', $set);
    is($secret->{type}, 'nginx.org/jwk', 'Secret type nginx.org/jwk');
    is(MIME::Base64::decode_base64($secret->{data}{jwk}), slurp($set), 'data key jwk holds the set');
    $m->stop;
};

subtest 'jwks rotate hot-reloads with zero failed requests' => sub {
    plan skip_all => 'its deadlines do not hold under valgrind' if $ENV{TEST_NGINX_USE_VALGRIND};
    my $set = "$work/rotate.json";
    cli_ok('keygen', '--alg', 'ES256', '--out', "$work/r1.jwk");
    cli_ok('jwks', 'add', '--set', $set, "$work/r1.pub.jwk");
    my $m = NginxRunner->new(http => <<"HTTP");
    server {
        listen 127.0.0.1:%%PORT%%;
        location /t { auth_jwt "rot"; auth_jwt_key_file $set; empty_gif; }
    }
HTTP
    chomp(my $old = cli_ok('sign', '--key', "$work/r1.jwk", '--exp', '10m'));
    is($m->status('/t', Authorization => "Bearer $old"), 200, 'token of the first key accepted');

    # A client that sends the old token without pause while the set is rotated, until told to
    # stop (no fixed duration: a loaded machine may take a while for each step).
    my ($log, $stop) = ("$work/client.log", "$work/client.stop");
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        open(my $fh, '>', $log) or POSIX::_exit(1);
        $fh->autoflush(1);
        print $fh $m->status('/t', Authorization => "Bearer $old"), "\n" until -e $stop;
        POSIX::_exit(0);
    }
    sleep 0.3;
    cli_ok('jwks', 'rotate', '--set', $set, '--alg', 'ES256', '--private', "$work/r2.jwk");
    chomp(my $new = cli_ok('sign', '--key', "$work/r2.jwk", '--exp', '10m'));
    ok(defined $m->wait_for_status(200, 5, '/t', Authorization => "Bearer $new"),
       'token of the new key accepted after the rotation') or diag($m->error_log);
    sleep 0.3;
    spit($stop, '');
    waitpid($pid, 0);
    my @codes = split /\n/, slurp($log);
    my @failed = grep { $_ != 200 } @codes;
    ok(@codes >= 5, scalar(@codes) . ' requests during the rotation');
    is(scalar @failed, 0, 'zero failed requests with the previous key') or diag("@failed");

    # A second rotation that drops everything but the previous key: the first key goes.
    cli_ok('jwks', 'rotate', '--set', $set, '--alg', 'ES256', '--private', "$work/r3.jwk",
           '--drop-older-than', '0s');
    ok(defined $m->wait_for_status(401, 5, '/t', Authorization => "Bearer $old"),
       'first key dropped: its token is refused');
    is($m->status('/t', Authorization => "Bearer $new"), 200, 'previous key kept');
    my $list = cli_json('jwks', 'list', '--set', $set);
    is(scalar @{ $list->{keys} }, 2, 'two keys left');
    $m->stop;
};

done_testing();
