#!/usr/bin/perl
# Generates the test fixtures in t/data: private keys, HMAC secrets, JWK Sets and broken files.
#
# Usage: perl t/data/generate.pl [--force]
#
# Private keys and secrets are random, so they are created only when missing (or with --force);
# everything derived from them (public PEMs, JWK Sets, the files under bad/) is rewritten on
# every run and comes out byte-identical for the same keys, so rerunning shows no diff.
# Needs only the openssl command line (OpenSSL 3) and core Perl. See README.md for the files.

use strict;
use warnings;
use File::Basename qw(dirname);
use File::Path qw(make_path);
use File::Spec;
use JSON::PP ();
use MIME::Base64 qw(encode_base64);

my $force = grep { $_ eq '--force' } @ARGV;
my $dir   = File::Spec->rel2abs(dirname(__FILE__));
make_path(map { "$dir/$_" } qw(keys jwks jwk bad));

# name => [type, parameter, kid]. The *-other keys carry the kid of the good key they shadow,
# so a token signed by the good key and checked against jwks/other.json finds a key that
# does not verify it (and the other way round).
my %KEYS = (
    'rsa'           => ['RSA',     2048,    'rsa'],
    'rsa-other'     => ['RSA',     2048,    'rsa'],
    'rsa-1024'      => ['RSA',     1024,    'rsa-1024'],
    'ec256'         => ['EC',      'P-256', 'ec256'],
    'ec384'         => ['EC',      'P-384', 'ec384'],
    'ec521'         => ['EC',      'P-521', 'ec521'],
    'ec256-other'   => ['EC',      'P-256', 'ec256'],
    'ed25519'       => ['OKP',     'Ed25519', 'ed25519'],
    'ed25519-other' => ['OKP',     'Ed25519', 'ed25519'],
    'ed448'         => ['OKP',     'Ed448', 'ed448'],
    'hs256'         => ['oct',     32,      'hs256'],
    'hs384'         => ['oct',     48,      'hs384'],
    'hs512'         => ['oct',     64,      'hs512'],
    'hs-other'      => ['oct',     64,      'hs256'],
    'hs-short'      => ['oct',     16,      'hs-short'],
);

# The "good" keys of jwks/all.json, in a fixed order.
my @GOOD  = qw(rsa ec256 ec384 ec521 ed25519 ed448 hs256 hs384 hs512);
my @OTHER = qw(rsa-other ec256-other ed25519-other hs-other);

sub run {
    my @cmd = @_;
    system(@cmd) == 0 or die "failed ($?): @cmd\n";
}

sub capture {
    my @cmd = @_;
    open(my $fh, '-|', @cmd) or die "cannot run @cmd: $!\n";
    binmode $fh;
    local $/;
    my $out = <$fh>;
    close $fh or die "failed ($?): @cmd\n";
    return $out;
}

sub b64url {
    my $s = encode_base64(shift, '');
    $s =~ tr{+/}{-_};
    $s =~ s/=+\z//;
    return $s;
}

sub write_file {
    my ($path, $data) = @_;
    open(my $fh, '>', $path) or die "$path: $!\n";
    binmode $fh;
    print $fh $data;
    close $fh or die "$path: $!\n";
    chmod 0644, $path;
}

sub read_file {
    my ($path) = @_;
    open(my $fh, '<', $path) or die "$path: $!\n";
    binmode $fh;
    local $/;
    return scalar <$fh>;
}

# 1. Private keys and secrets (only when missing, unless --force).
for my $name (sort keys %KEYS) {
    my ($type, $param) = @{ $KEYS{$name} };
    if ($type eq 'oct') {
        my $file = "$dir/keys/$name.bin";
        next if -e $file && !$force;
        write_file($file, capture('openssl', 'rand', $param));
        next;
    }
    my $pem = "$dir/keys/$name.pem";
    next if -e $pem && !$force;
    my @opt = $type eq 'RSA' ? ('-algorithm', 'RSA', '-pkeyopt', "rsa_keygen_bits:$param")
            : $type eq 'EC'  ? ('-algorithm', 'EC', '-pkeyopt', "ec_paramgen_curve:$param",
                                '-pkeyopt', 'ec_param_enc:named_curve')
            :                  ('-algorithm', uc $param);
    run('openssl', 'genpkey', '-quiet', @opt, '-out', $pem);
    chmod 0644, $pem;    # test keys: nginx workers must be able to read them
}

# 2. Public parts: PEM and JWK members.
my %jwk;
for my $name (sort keys %KEYS) {
    my ($type, $param, $kid) = @{ $KEYS{$name} };
    my %k = (kty => $type, kid => $kid);
    if ($type eq 'oct') {
        $k{k} = b64url(read_file("$dir/keys/$name.bin"));
        $jwk{$name} = \%k;
        next;
    }
    my $pem = "$dir/keys/$name.pem";
    run('openssl', 'pkey', '-in', $pem, '-pubout', '-out', "$dir/keys/$name.pub.pem");
    chmod 0644, "$dir/keys/$name.pub.pem";
    if ($type eq 'RSA') {
        my $text = capture('openssl', 'rsa', '-in', $pem, '-noout', '-modulus', '-text');
        my ($mod) = $text =~ /^Modulus=([0-9A-F]+)$/m or die "no modulus for $name\n";
        my ($exp) = $text =~ /^publicExponent: (\d+)/m or die "no exponent for $name\n";
        my $e = '';
        while ($exp > 0) { $e = chr($exp & 0xff) . $e; $exp >>= 8; }
        $k{n} = b64url(pack('H*', $mod));
        $k{e} = b64url($e);
    } else {
        # The DER SubjectPublicKeyInfo ends with the raw key: 04||x||y for EC (uncompressed,
        # as openssl writes it), the 32 or 57 key bytes for Ed25519/Ed448.
        my $der = capture('openssl', 'pkey', '-in', $pem, '-pubout', '-outform', 'DER');
        if ($type eq 'EC') {
            my $len   = { 'P-256' => 32, 'P-384' => 48, 'P-521' => 66 }->{$param};
            my $point = substr($der, -(2 * $len + 1));
            die "unexpected point encoding for $name\n" unless substr($point, 0, 1) eq "\x04";
            $k{crv} = $param;
            $k{x}   = b64url(substr($point, 1, $len));
            $k{y}   = b64url(substr($point, 1 + $len, $len));
        } else {
            $k{crv} = $param;
            $k{x}   = b64url(substr($der, $param eq 'Ed25519' ? -32 : -57));
        }
    }
    $jwk{$name} = \%k;
}

# 3. JSON output: members in the usual JWK order, two-space indent, trailing newline.
my @ORDER = qw(keys kty kid use alg crv n e x y k);
my %RANK  = map { $ORDER[$_] => $_ } 0 .. $#ORDER;
my $json  = JSON::PP->new->pretty->indent_length(2)->sort_by(sub {
    ($RANK{$JSON::PP::a} // 99) <=> ($RANK{$JSON::PP::b} // 99) or $JSON::PP::a cmp $JSON::PP::b
});

sub set_of { return { keys => [map { ref $_ ? $_ : { %{ $jwk{$_} } } } @_] } }
sub put    { my ($rel, $data) = @_; write_file("$dir/$rel", ref $data ? $json->encode($data) : $data) }

put('jwks/all.json', set_of(@GOOD));
put("jwks/$_.json", set_of($_)) for @GOOD, @OTHER;
put('jwks/other.json', set_of(@OTHER));
put('jwks/nokid.json', set_of(map { my %k = %{ $jwk{$_} }; delete $k{kid}; \%k } qw(rsa ec256 hs256)));

my %ALG = (rsa => 'RS256', ec256 => 'ES256', ed25519 => 'EdDSA', hs256 => 'HS256');
put('jwks/alg.json', set_of(map { +{ %{ $jwk{$_} }, alg => $ALG{$_} } } qw(rsa ec256 ed25519 hs256)));

put("jwk/$_.jwk", { %{ $jwk{$_} } }) for qw(rsa ec256 ed25519 hs256);

# 4. Broken files.
{
    # Two keys with the comma between them missing: the classic hand-edited JWKS.
    my $a = $json->encode(set_of('rsa'));
    my $b = $json->encode($jwk{ec256});
    $b =~ s/^/    /mg;
    $b =~ s/\s+\z//;
    $a =~ s/\n  \]\n\}\n\z/\n$b\n  ]\n}\n/ or die "cannot build missing-comma.json\n";
    put('bad/missing-comma.json', $a);
}
put('bad/empty-set.json', { keys => [] });
put('bad/not-json.txt', "This is not a JSON Web Key Set.\nkeys: rsa, ec256\n");
put('bad/rsa-missing-e.json', set_of(do { my %k = %{ $jwk{rsa} }; delete $k{e}; \%k }));
put('bad/rsa-1024.json', set_of('rsa-1024'));
put('bad/hs-short.json', set_of('hs-short'));
{
    # ec256 with the last bit of y flipped: a point that is not on the curve.
    my %k = %{ $jwk{ec256} };
    (my $y = $k{y}) =~ tr{-_}{+/};
    $y = MIME::Base64::decode_base64($y);
    substr($y, -1, 1) = chr(ord(substr($y, -1, 1)) ^ 1);
    $k{y} = b64url($y);
    put('bad/ec-off-curve.json', set_of(\%k));
}

# 5. More hostile key files (t/21-hostile-key-files.t), and a valid set whose keys
#    share one kid.
sub without { my ($name, @drop) = @_; my %k = %{ $jwk{$name} }; delete @k{@drop}; \%k }
sub with    { my ($name, %add) = @_; +{ %{ $jwk{$name} }, %add } }
put('bad/ec-missing-y.json', set_of(without('ec256', 'y')));
put('bad/missing-kty.json', set_of(without('rsa', 'kty')));
put('bad/okp-short-x.json', set_of(with('ed25519', x => b64url(substr(
    do { (my $x = $jwk{ed25519}{x}) =~ tr{-_}{+/}; MIME::Base64::decode_base64($x) }, 0, 31)))));
# 32 bytes are enough for HS256 but not for the HS512 its alg member names (RFC 7518 3.2).
put('bad/hs-short-for-alg.json', set_of(with('hs256', alg => 'HS512')));
# An RSA key declared as an HMAC key: a key-file route to algorithm confusion.
put('bad/rsa-alg-hs256.json', set_of(with('rsa', alg => 'HS256')));
put('bad/rsa-e-1.json', set_of(with('rsa', e => 'AQ')));
{
    # base64 with padding, as some hand-written key files have it.
    (my $n = encode_base64(do { (my $b = $jwk{rsa}{n}) =~ tr{-_}{+/};
                               MIME::Base64::decode_base64($b) }, '')) =~ tr{+/}{-_};
    put('bad/rsa-padded-n.json', set_of(with('rsa', n => $n)));
}
put('bad/keys-not-array.json', { keys => { %{ $jwk{rsa} } } });
{
    # "kty" twice in one key: JSON parsers disagree on which one wins.
    (my $text = $json->encode(set_of('ec256'))) =~ s/("kty" : "EC",)/$1\n      "kty" : "oct",/
        or die "cannot build duplicate-member.json\n";
    put('bad/duplicate-member.json', $text);
}
put('bad/deep.json', '{"keys":[' . $json->encode($jwk{rsa}) . '],"x":'
                     . ('[' x 40) . (']' x 40) . "}\n");
put('bad/enc-only.json', set_of(with('rsa', use => 'enc'), with('ec256', key_ops => ['encrypt'])));
# Valid: three keys under kid "rsa" (another RSA key, an EC key, the RSA key), all candidates in
# file order; and a set with one key skipped (use "enc") next to a usable one.
put('jwks/dup-kid.json', set_of('rsa-other', with('ec256', kid => 'rsa'), 'rsa'));
put('jwks/with-enc.json', set_of(with('rsa-other', use => 'enc'), 'rsa'));

print "fixtures written to $dir\n";
