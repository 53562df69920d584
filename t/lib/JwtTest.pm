package JwtTest;

# Token minting for the tests: the openssl command line for the public-key algorithms,
# Digest::SHA for HMAC, and the fixed keys in t/data (see t/data/README.md).
#
# It deliberately shares no code with the module under test: a token minted here is signed the
# way any third-party issuer would sign it, so a bug in our Rust code cannot hide itself by
# being present on both sides.
#
#   my $t = jwt_sign(alg => 'ES256', claims => { sub => 'alice', exp => now() + 60 });
#   my $t = jwt_sign(alg => 'RS256', key => 'rsa-other');   # kid "rsa", wrong key
#   my $t = jwt_sign(alg => 'HS256', kid => undef);          # no kid in the header
#   my $t = jwt_sign(alg => 'HS256', secret => $bytes);      # any HMAC key (alg confusion)
#   my $t = tamper(jwt_sign(alg => 'EdDSA'));                # signature no longer verifies

use strict;
use warnings;
use Carp qw(croak);
use Digest::SHA ();
use Exporter 'import';
use File::Basename qw(dirname);
use File::Spec;
use File::Temp ();
use JSON::PP ();
use MIME::Base64 ();

our @EXPORT    = qw(jwt_sign b64url b64url_decode tamper now);
our @EXPORT_OK = qw(data_dir key_file hmac_secret key_kid default_key der_to_raw raw_to_der tamper_part);

# alg => [family, digest, signature size in bytes for EC (one of r, s)]
my %ALG = (
    HS256 => ['HS', 'sha256'], HS384 => ['HS', 'sha384'], HS512 => ['HS', 'sha512'],
    RS256 => ['RS', 'sha256'], RS384 => ['RS', 'sha384'], RS512 => ['RS', 'sha512'],
    PS256 => ['PS', 'sha256'], PS384 => ['PS', 'sha384'], PS512 => ['PS', 'sha512'],
    ES256 => ['ES', 'sha256', 32], ES384 => ['ES', 'sha384', 48], ES512 => ['ES', 'sha512', 66],
    EdDSA => ['Ed'],
    none  => ['none'],
);

# The key used when `key` is not given.
my %DEFAULT_KEY = (
    HS256 => 'hs256', HS384 => 'hs384', HS512 => 'hs512',
    (map { $_ => 'rsa' } qw(RS256 RS384 RS512 PS256 PS384 PS512)),
    ES256 => 'ec256', ES384 => 'ec384', ES512 => 'ec521', EdDSA => 'ed25519',
);

# The kid of each key in the JWK Sets: the key's name, except that the *-other keys carry the
# kid of the good key they stand in for (t/data/generate.pl has the same table).
my %KID = ('rsa-other' => 'rsa', 'ec256-other' => 'ec256', 'ed25519-other' => 'ed25519',
           'hs-other' => 'hs256');

sub data_dir {
    return $ENV{TEST_NGINX_DATA}
        || File::Spec->rel2abs(File::Spec->catdir(dirname(__FILE__), File::Spec->updir, 'data'));
}

sub default_key { return $DEFAULT_KEY{ $_[0] } }
sub key_kid     { return $KID{ $_[0] } // $_[0] }
sub now         { return time() }

# Private key PEM (or the raw secret, for hs* names) of a fixture key.
sub key_file {
    my ($name) = @_;
    my $dir = data_dir();
    for my $f ("$dir/keys/$name.pem", "$dir/keys/$name.bin") {
        return $f if -e $f;
    }
    croak "JwtTest: no key named '$name' in $dir/keys (run t/data/generate.pl?)";
}

sub hmac_secret {
    my ($name) = @_;
    my $file = key_file($name);
    croak "JwtTest: '$name' is not an HMAC secret" unless $file =~ /\.bin\z/;
    return _slurp($file);
}

sub b64url {
    my $s = MIME::Base64::encode_base64($_[0], '');
    $s =~ tr{+/}{-_};
    $s =~ s/=+\z//;
    return $s;
}

sub b64url_decode {
    (my $s = $_[0]) =~ tr{-_}{+/};
    $s .= '=' x ((4 - length($s) % 4) % 4);
    return MIME::Base64::decode_base64($s);
}

# jwt_sign(alg => ..., key => ..., kid => ..., header => {...}, claims => {...},
#          raw_header => '{...}', raw_claims => '{...}', secret => $bytes)
sub jwt_sign {
    my %a = @_;
    my $alg = $a{alg} // croak 'JwtTest::jwt_sign: alg is required';
    my $spec = $ALG{$alg} or croak "JwtTest::jwt_sign: unsupported alg '$alg'";
    my $key = $a{key} // $DEFAULT_KEY{$alg};

    my $json = JSON::PP->new->canonical;
    my $header_json = $a{raw_header};
    if (!defined $header_json) {
        my %h = (alg => $alg, typ => 'JWT');
        # kid defaults to the key's kid; `kid => undef` leaves it out.
        my $kid = exists $a{kid} ? $a{kid} : defined $key ? key_kid($key) : undef;
        $h{kid} = $kid if defined $kid;
        # Extra members are merged in; an undef value removes a member (e.g. typ => undef).
        while (my ($k, $v) = each %{ $a{header} || {} }) {
            if (defined $v) { $h{$k} = $v } else { delete $h{$k} }
        }
        $header_json = $json->encode(\%h);
    }
    my $claims_json = $a{raw_claims} // $json->encode($a{claims} || {});

    my $input = b64url($header_json) . '.' . b64url($claims_json);
    return "$input." . b64url(_sign($spec, $key, $a{secret}, $input));
}

sub _sign {
    my ($spec, $key, $secret, $input) = @_;
    my ($family, $digest, $size) = @$spec;

    return '' if $family eq 'none';

    if ($family eq 'HS') {
        $secret //= hmac_secret($key // croak 'JwtTest::jwt_sign: no key');
        no strict 'refs';
        return &{"Digest::SHA::hmac_$digest"}($input, $secret);
    }

    croak 'JwtTest::jwt_sign: secret => is only for HS* algorithms' if defined $secret;
    my $pem = key_file($key // croak 'JwtTest::jwt_sign: no key');
    my $tmp = File::Temp->newdir('jwttest-XXXXXX', TMPDIR => 1);
    my ($in, $out) = ("$tmp/in", "$tmp/sig");
    _spit($in, $input);

    my @cmd;
    if ($family eq 'Ed') {
        # EdDSA signs the message itself (no pre-hash): pkeyutl with -rawin.
        @cmd = ('openssl', 'pkeyutl', '-sign', '-rawin', '-inkey', $pem, '-in', $in, '-out', $out);
    } else {
        @cmd = ('openssl', 'dgst', "-$digest", '-sign', $pem, '-out', $out);
        push @cmd, '-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:digest'
            if $family eq 'PS';
        push @cmd, $in;
    }
    system(@cmd) == 0 or croak "JwtTest: openssl failed ($?): @cmd";
    my $sig = _slurp($out);
    # openssl writes ECDSA signatures as DER; JWS wants the fixed-width r||s.
    return $family eq 'ES' ? der_to_raw($sig, $size) : $sig;
}

# Flips one character in the middle of the signature. The middle, not the end: the last
# base64url character may carry unused bits, and changing it could give a non-canonical
# encoding (or even the same bytes) instead of a wrong signature.
sub tamper {
    my ($token) = @_;
    my ($h, $p, $s) = split /\./, $token, -1;
    croak 'JwtTest::tamper: token has no signature' unless defined $s && length $s > 1;
    my $i = int(length($s) / 2) - 1;
    my $c = substr($s, $i, 1);
    substr($s, $i, 1) = $c eq 'A' ? 'B' : 'A';
    return "$h.$p.$s";
}

# The token with one bit flipped in the middle of its part $index (from 0), re-encoded: for a
# JWE, a tampered encrypted key, IV, ciphertext or tag that is still valid base64url.
sub tamper_part {
    my ($token, $index) = @_;
    my @parts = split /\./, $token, -1;
    my $bytes = b64url_decode($parts[$index]);
    substr($bytes, int(length($bytes) / 2), 1) ^= "\x01";
    $parts[$index] = b64url($bytes);
    return join '.', @parts;
}

# DER ECDSA-Sig-Value (SEQUENCE { INTEGER r, INTEGER s }) to r||s, each $size bytes.
sub der_to_raw {
    my ($der, $size) = @_;
    my @b = unpack('C*', $der);
    my $p = 0;
    my $len = sub {
        my $l = $b[$p++];
        return $l if $l < 0x80;
        my $n = $l & 0x7f;
        $l = 0;
        $l = ($l << 8) | $b[$p++] for 1 .. $n;
        return $l;
    };
    croak 'JwtTest: ECDSA signature is not a DER SEQUENCE' unless $b[$p++] == 0x30;
    $len->();
    my $raw = '';
    for (1 .. 2) {
        croak 'JwtTest: ECDSA signature: INTEGER expected' unless $b[$p++] == 0x02;
        my $l = $len->();
        my $v = pack('C*', @b[$p .. $p + $l - 1]);
        $p += $l;
        $v =~ s/\A\x00+//;
        croak 'JwtTest: ECDSA signature: integer too long' if length $v > $size;
        $raw .= ("\x00" x ($size - length $v)) . $v;
    }
    return $raw;
}

# The reverse of der_to_raw (for verifying our tokens with openssl).
sub raw_to_der {
    my ($raw) = @_;
    my $half = length($raw) / 2;
    my $body = '';
    # Copies: foreach would alias the substr() lvalues, and editing r would shift s.
    my @ints = (substr($raw, 0, $half), substr($raw, $half));
    for my $v (@ints) {
        $v =~ s/\A\x00+//;
        $v = "\x00$v" if $v eq '' || ord($v) & 0x80;
        $body .= "\x02" . _der_len(length $v) . $v;
    }
    return "\x30" . _der_len(length $body) . $body;
}

sub _der_len {
    my ($l) = @_;
    return chr($l) if $l < 0x80;
    my $s = '';
    while ($l) { $s = chr($l & 0xff) . $s; $l >>= 8 }
    return chr(0x80 | length $s) . $s;
}

sub _slurp {
    my ($f) = @_;
    open(my $fh, '<:raw', $f) or croak "JwtTest: $f: $!";
    local $/;
    return scalar <$fh>;
}

sub _spit {
    my ($f, $data) = @_;
    open(my $fh, '>:raw', $f) or croak "JwtTest: $f: $!";
    print $fh $data;
    close $fh or croak "JwtTest: $f: $!";
}

1;
