# Checks the test helpers and fixtures, not the module: every token JwtTest mints must verify
# with the openssl command line, against the key's public PEM *and* against the public key
# rebuilt from t/data/jwks/all.json (so a wrong JWKS fixture is caught here, not as a puzzling
# module failure). Also checks the broken fixtures are broken in the intended way.

use strict;
use warnings;
use Test::More;
use File::Temp ();
use JSON::PP ();
use MIME::Base64 ();
use JwtTest qw(:DEFAULT data_dir key_file hmac_secret raw_to_der);

my $data = data_dir();
my $tmp  = File::Temp->newdir('jwtmint-XXXXXX', TMPDIR => 1);
my $json = JSON::PP->new->canonical;

sub slurp { open(my $fh, '<:raw', $_[0]) or die "$_[0]: $!"; local $/; scalar <$fh> }
sub spit  { open(my $fh, '>:raw', $_[0]) or die "$_[0]: $!"; print $fh $_[1]; close $fh }

sub quiet_system {
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        open(STDOUT, '>', '/dev/null');
        open(STDERR, '>', '/dev/null');
        exec(@_) or exit 127;
    }
    waitpid($pid, 0);
    return $? == 0;
}

# --- a public key (SubjectPublicKeyInfo PEM) rebuilt from a JWK, with nothing but DER ------
sub der_len { my $l = shift; return chr($l) if $l < 128; my $s = ''; while ($l) { $s = chr($l & 255) . $s; $l >>= 8 } chr(128 | length $s) . $s }
sub der     { my ($tag, $body) = @_; chr($tag) . der_len(length $body) . $body }
sub der_int { my $v = shift; $v =~ s/\A\x00+//; $v = "\x00$v" if $v eq '' || ord($v) >= 128; der(0x02, $v) }
sub der_oid { der(0x06, pack('H*', shift)) }

my %CURVE_OID = ('P-256' => '2a8648ce3d030107', 'P-384' => '2b81040022', 'P-521' => '2b81040023');
my %OKP_OID   = (Ed25519 => '2b6570', Ed448 => '2b6571');

sub jwk_to_pem {
    my ($k) = @_;
    my ($alg, $key);
    if ($k->{kty} eq 'RSA') {
        $alg = der(0x30, der_oid('2a864886f70d010101') . "\x05\x00");
        $key = der(0x30, der_int(b64url_decode($k->{n})) . der_int(b64url_decode($k->{e})));
    } elsif ($k->{kty} eq 'EC') {
        $alg = der(0x30, der_oid('2a8648ce3d0201') . der_oid($CURVE_OID{ $k->{crv} }));
        $key = "\x04" . b64url_decode($k->{x}) . b64url_decode($k->{y});
    } else {
        $alg = der(0x30, der_oid($OKP_OID{ $k->{crv} }));
        $key = b64url_decode($k->{x});
    }
    my $spki = der(0x30, $alg . der(0x03, "\x00" . $key));
    return "-----BEGIN PUBLIC KEY-----\n" . MIME::Base64::encode_base64($spki)
         . "-----END PUBLIC KEY-----\n";
}

# --- verification with the openssl CLI ------------------------------------------------------
my %DIGEST = map { my ($n) = /(\d+)/; $_ => "sha$n" } qw(HS256 HS384 HS512 RS256 RS384 RS512
                                                          PS256 PS384 PS512 ES256 ES384 ES512);

sub openssl_verify {
    my ($token, $alg, %k) = @_;    # k: pem => public key file | secret => bytes
    my ($h, $p, $s) = split /\./, $token, -1;
    my ($in, $sigf) = ("$tmp/in", "$tmp/sig");
    spit($in, "$h.$p");
    my $sig = b64url_decode($s);
    if ($alg =~ /^HS/) {
        my $mac = `openssl dgst -$DIGEST{$alg} -mac HMAC -macopt hexkey:@{[unpack 'H*', $k{secret}]} -binary $in`;
        return $mac eq $sig;
    }
    if ($alg eq 'EdDSA') {
        spit($sigf, $sig);
        return quiet_system('openssl', 'pkeyutl', '-verify', '-rawin', '-pubin', '-inkey', $k{pem},
                            '-in', $in, '-sigfile', $sigf);
    }
    spit($sigf, $alg =~ /^ES/ ? raw_to_der($sig) : $sig);
    my @pss = $alg =~ /^PS/ || $k{force_pss}
        ? ('-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:digest') : ();
    return quiet_system('openssl', 'dgst', "-$DIGEST{$alg}", '-verify', $k{pem}, @pss,
                        '-signature', $sigf, $in);
}

# --- every algorithm --------------------------------------------------------------------------
my $all = $json->decode(slurp("$data/jwks/all.json"));
my %jwk = map { $_->{kid} => $_ } @{ $all->{keys} };
is_deeply([sort keys %jwk], [sort qw(rsa ec256 ec384 ec521 ed25519 ed448 hs256 hs384 hs512)],
          'jwks/all.json holds every good key, kid = key name');

my @CASES = (    # alg, key, signature length
    [HS256 => hs256 => 32], [HS384 => hs384 => 48], [HS512 => hs512 => 64],
    [RS256 => rsa => 256], [RS384 => rsa => 256], [RS512 => rsa => 256],
    [PS256 => rsa => 256], [PS384 => rsa => 256], [PS512 => rsa => 256],
    [ES256 => ec256 => 64], [ES384 => ec384 => 96], [ES512 => ec521 => 132],
    [EdDSA => ed25519 => 64], [EdDSA => ed448 => 114],
);

my $exp = now() + 3600;
for my $case (@CASES) {
    my ($alg, $key, $siglen) = @$case;
    my $what = "$alg/$key";
    my $claims = { sub => 'alice', n => 42, exp => $exp, aud => ['a', 'b'] };
    my $t = jwt_sign(alg => $alg, key => $key, claims => $claims);

    my @parts = split /\./, $t, -1;
    is(scalar @parts, 3, "$what: three parts");
    unlike($t, qr/[^A-Za-z0-9_.-]/, "$what: base64url alphabet, no padding");
    is_deeply($json->decode(b64url_decode($parts[0])), { alg => $alg, typ => 'JWT', kid => $key },
              "$what: header");
    is_deeply($json->decode(b64url_decode($parts[1])), $claims, "$what: claims");
    is(length b64url_decode($parts[2]), $siglen, "$what: signature is $siglen bytes");

    my %pub = $alg =~ /^HS/ ? (secret => hmac_secret($key)) : (pem => "$data/keys/$key.pub.pem");
    ok(openssl_verify($t, $alg, %pub), "$what: openssl verifies it with keys/$key");

    # The same with the key as published in jwks/all.json.
    my %jpub;
    if ($alg =~ /^HS/) {
        %jpub = (secret => b64url_decode($jwk{$key}{k}));
    } else {
        spit("$tmp/jwk.pem", jwk_to_pem($jwk{$key}));
        %jpub = (pem => "$tmp/jwk.pem");
    }
    ok(openssl_verify($t, $alg, %jpub), "$what: openssl verifies it with the JWK from all.json");

    my $bad = tamper($t);
    isnt($bad, $t, "$what: tamper changes the token");
    my $bs = (split /\./, $bad)[2];
    is(b64url(b64url_decode($bs)), $bs, "$what: tampered signature is still canonical base64url");
    ok(!openssl_verify($bad, $alg, %pub), "$what: tampered token does not verify");
}

# DER <-> r||s conversion on the edge cases a random signature hits only now and then:
# leading zero bytes (dropped in DER) and a high bit (a 0x00 prefix in DER).
for my $size (32, 48, 66) {
    for my $raw (("\x00" x ($size - 1)) . "\x01" . ("\xff" x $size),
                 ("\x80" x $size) . ("\x00\x00" . ("\x7f" x ($size - 2)))) {
        my $der = raw_to_der($raw);
        is(JwtTest::der_to_raw($der, $size), $raw, "DER round trip, $size-byte integers");
    }
}

# PSS really is PSS, and PKCS#1 v1.5 really is not.
{
    my $ps = jwt_sign(alg => 'PS256');
    my $rs = jwt_sign(alg => 'RS256');
    my $pem = "$data/keys/rsa.pub.pem";
    ok(!openssl_verify($ps, 'RS256', pem => $pem), 'PS256 signature is not PKCS#1 v1.5');
    ok(!openssl_verify($rs, 'PS256', pem => $pem, force_pss => 1), 'RS256 signature is not PSS');
}

# --- options ----------------------------------------------------------------------------------
{
    my $h = sub { $json->decode(b64url_decode((split /\./, shift)[0])) };
    is_deeply($h->(jwt_sign(alg => 'ES256', kid => undef)), { alg => 'ES256', typ => 'JWT' },
              'kid => undef leaves kid out');
    is_deeply($h->(jwt_sign(alg => 'ES256', kid => 'x', header => { typ => undef, cty => 'y' })),
              { alg => 'ES256', kid => 'x', cty => 'y' }, 'header => merges, undef removes');
    is($h->(jwt_sign(alg => 'RS256', key => 'rsa-other'))->{kid}, 'rsa',
       'an *-other key carries the good key\'s kid');
    ok(!openssl_verify(jwt_sign(alg => 'RS256', key => 'rsa-other'), 'RS256',
                       pem => "$data/keys/rsa.pub.pem"), 'rsa-other does not verify as rsa');

    my $raw = jwt_sign(alg => 'HS256', raw_header => '{"alg":"HS256" }', raw_claims => 'not json');
    my ($rh, $rp) = split /\./, $raw;
    is(b64url_decode($rh), '{"alg":"HS256" }', 'raw_header is used verbatim');
    is(b64url_decode($rp), 'not json', 'raw_claims is used verbatim');
    ok(openssl_verify($raw, 'HS256', secret => hmac_secret('hs256')), 'raw token is signed');

    my $pem = slurp("$data/keys/rsa.pub.pem");
    ok(openssl_verify(jwt_sign(alg => 'HS256', kid => 'rsa', secret => $pem), 'HS256',
                      secret => $pem), 'secret => signs HMAC with any bytes (alg confusion)');

    like(jwt_sign(alg => 'none', claims => { sub => 'x' }), qr/^[\w-]+\.[\w-]+\.$/,
         'alg none: empty signature');
    cmp_ok(abs(now() - time), '<=', 1, 'now() is the Unix time');
}

# --- fixtures -------------------------------------------------------------------------------
{
    my $other = $json->decode(slurp("$data/jwks/other.json"));
    is_deeply([sort map { $_->{kid} } @{ $other->{keys} }], [qw(ec256 ed25519 hs256 rsa)],
              'jwks/other.json reuses the good kids');
    my $nokid = $json->decode(slurp("$data/jwks/nokid.json"));
    is(scalar(grep { exists $_->{kid} } @{ $nokid->{keys} }), 0, 'jwks/nokid.json has no kid');
    is(scalar @{ $nokid->{keys} }, 3, 'jwks/nokid.json has three keys');
    for my $name (qw(rsa ec256 ec384 ec521 ed25519 ed448 hs256 hs384 hs512)) {
        my $one = $json->decode(slurp("$data/jwks/$name.json"));
        is_deeply($one, { keys => [$jwk{$name}] }, "jwks/$name.json is the $name key of all.json");
    }
    for my $name (qw(rsa ec256 ed25519 hs256)) {
        is_deeply($json->decode(slurp("$data/jwk/$name.jwk")), $jwk{$name},
                  "jwk/$name.jwk is a bare JWK");
    }
    my $algs = $json->decode(slurp("$data/jwks/alg.json"));
    is_deeply({ map { $_->{kid} => $_->{alg} } @{ $algs->{keys} } },
              { rsa => 'RS256', ec256 => 'ES256', ed25519 => 'EdDSA', hs256 => 'HS256' },
              'jwks/alg.json carries alg members');
    for (@{ $all->{keys} }) {
        ok(!exists $_->{alg} && !exists $_->{d} && !exists $_->{p}, "all.json $_->{kid}: public members only, no alg");
    }
    is(length hmac_secret($_->[0]), $_->[1], "$_->[0] secret is $_->[1] bytes")
        for [hs256 => 32], [hs384 => 48], [hs512 => 64], ['hs-other' => 64], ['hs-short' => 16];

    # Broken files.
    ok(!eval { $json->decode(slurp("$data/bad/missing-comma.json")); 1 },
       'bad/missing-comma.json is not valid JSON');
    (my $fixed = slurp("$data/bad/missing-comma.json")) =~ s/\}\s*\{/},{/;
    is(scalar @{ $json->decode($fixed)->{keys} }, 2, '... and only the comma is missing');
    is_deeply($json->decode(slurp("$data/bad/empty-set.json")), { keys => [] }, 'bad/empty-set.json');
    ok(!eval { $json->decode(slurp("$data/bad/not-json.txt")); 1 }, 'bad/not-json.txt is not JSON');
    my ($nox) = @{ $json->decode(slurp("$data/bad/rsa-missing-e.json"))->{keys} };
    ok($nox->{n} && !exists $nox->{e}, 'bad/rsa-missing-e.json has n but no e');
    my ($k1024) = @{ $json->decode(slurp("$data/bad/rsa-1024.json"))->{keys} };
    is(length b64url_decode($k1024->{n}), 128, 'bad/rsa-1024.json has a 1024-bit modulus');
    my ($short) = @{ $json->decode(slurp("$data/bad/hs-short.json"))->{keys} };
    is(length b64url_decode($short->{k}), 16, 'bad/hs-short.json has a 16-byte secret');

    my ($off) = @{ $json->decode(slurp("$data/bad/ec-off-curve.json"))->{keys} };
    is($off->{x}, $jwk{ec256}{x}, 'bad/ec-off-curve.json: x of ec256');
    isnt($off->{y}, $jwk{ec256}{y}, '... with another y');
    spit("$tmp/off.pem", jwk_to_pem($off));
    ok(!quiet_system('openssl', 'pkey', '-pubin', '-in', "$tmp/off.pem", '-noout'),
       '... which openssl rejects (point not on the curve)');
    spit("$tmp/on.pem", jwk_to_pem($jwk{ec256}));
    ok(quiet_system('openssl', 'pkey', '-pubin', '-in', "$tmp/on.pem", '-noout'),
       '... while it accepts the good ec256 key');
}

done_testing();
