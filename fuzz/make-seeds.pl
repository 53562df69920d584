#!/usr/bin/perl
# Writes the seed inputs of the fuzz targets (fuzz/seeds/<target>/) and fuzz/tokens.txt, from
# the t/data fixtures, with the same openssl-based minting as the t/ suite (t/lib/JwtTest.pm).
# Rerun after `t/data/generate.pl --force`. Usage: perl fuzz/make-seeds.pl
#
# Seeds are starting points only: libFuzzer writes what it finds to fuzz/corpus/ (ignored by
# git). Each seed is valid, or hostile in one known way, so mutations start near the edges.

use strict;
use warnings;
use File::Basename qw(dirname basename);
use File::Path qw(make_path remove_tree);
use File::Spec;

my $fuzz;
BEGIN { $fuzz = File::Spec->rel2abs(dirname(__FILE__)) }
use lib "$fuzz/../t/lib";
use JwtTest qw(jwt_sign b64url);

my $data = "$fuzz/../t/data";
my %claims = (sub => 'fuzz', exp => 4_000_000_000, nbf => 1_600_000_000);

sub spit {
    my ($f, $bytes) = @_;
    open(my $fh, '>:raw', $f) or die "$f: $!";
    print $fh $bytes;
    close $fh or die "$f: $!";
}

remove_tree("$fuzz/seeds");
make_path(map { "$fuzz/seeds/$_" } qw(token token_parts jwks));

# Valid tokens: every algorithm, with and without kid.
my @valid;
for my $alg (qw(HS256 HS384 HS512 RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA)) {
    push @valid, [lc($alg), jwt_sign(alg => $alg, claims => \%claims)];
    push @valid, [lc($alg) . '-nokid', jwt_sign(alg => $alg, kid => undef, claims => \%claims)];
}
push @valid, ['ed448', jwt_sign(alg => 'EdDSA', key => 'ed448', claims => \%claims)];

# Hostile tokens, one known defect each.
my $es = jwt_sign(alg => 'ES256', claims => \%claims);
my ($eh, $ep) = split /\./, $es;
my @hostile = (
    ['alg-none', jwt_sign(alg => 'none', kid => undef, claims => \%claims)],
    ['alg-none-sig', jwt_sign(alg => 'none', kid => undef, claims => \%claims) . 'AAAA'],
    ['es256-zero', "$eh.$ep." . b64url("\0" x 64)],
    ['hs256-rsa-pub', jwt_sign(alg => 'HS256', kid => 'rsa', claims => \%claims,
                               secret => do { local (@ARGV, $/) = "$data/keys/rsa.pub.pem"; <> })],
    ['crit', jwt_sign(alg => 'HS256', header => { crit => ['b64'], b64 => JSON::PP::false() },
                      claims => \%claims)],
    ['jwk-embedded', jwt_sign(alg => 'RS256', key => 'rsa-other', kid => undef,
                              header => { jwk => { kty => 'RSA', n => 'AQAB', e => 'AQAB' } },
                              claims => \%claims)],
    ['dup-claims', jwt_sign(alg => 'HS256', raw_claims => '{"sub":"a","sub":"b"}')],
    ['exp-string', jwt_sign(alg => 'HS256', raw_claims => '{"exp":"4000000000"}')],
    ['kid-path', jwt_sign(alg => 'HS256', kid => '../../../../etc/passwd', claims => \%claims)],
    ['five-parts', "$eh.$ep.AAAA.AAAA.AAAA"],
);
for my $t (@valid, @hostile) {
    my ($name, $token) = @$t;
    spit("$fuzz/seeds/token/$name", $token);
    spit("$fuzz/seeds/token/bearer-$name", "Bearer $token") if $name =~ /^(es256|rs256|hs256)$/;
    my ($h, $p, $s) = split /\./, $token, 3;
    next if $name eq 'five-parts';
    spit("$fuzz/seeds/token_parts/$name",
         JwtTest::b64url_decode($h) . "\xff" . JwtTest::b64url_decode($p) . "\xff"
         . JwtTest::b64url_decode($s // ''));
}

# The tokens the jwks target verifies against every key set that loads.
spit("$fuzz/tokens.txt", join('', map { "$_->[1]\n" } @valid));

# Key files: every fixture, good and broken.
for my $f (glob("$data/jwks/*.json"), glob("$data/jwk/*.jwk"), glob("$data/bad/*")) {
    my $dir = basename(dirname($f));
    open(my $in, '<:raw', $f) or die "$f: $!";
    local $/;
    spit("$fuzz/seeds/jwks/$dir-" . basename($f), scalar <$in>);
}
print "seeds written to $fuzz/seeds, tokens to $fuzz/tokens.txt\n";
