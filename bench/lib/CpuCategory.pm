package CpuCategory;
# Which part of a request a sample (perf) or an instruction count (callgrind) belongs to,
# from the object it ran in and its function name. Shared by bench.pl and instructions.pl, so
# that both split a request the same way.
use strict;
use warnings;
use Exporter 'import';
our @EXPORT_OK = qw(category);

# $object: a perf dso name ("nginx", "[kernel.kallsyms]", "libc.so.6") or a callgrind object
# path. Returns crypto, module (our own code), libc, nginx, kernel or other.
sub category {
    my ($object, $symbol) = @_;
    my $base = $object =~ s{.*/}{}r;
    return $object =~ /kernel/     ? 'kernel'
         : $base eq 'nginx'        ? 'nginx'
         : $base =~ /^libc\.so/    ? 'libc'
         : $base =~ /libcrypto/    ? 'crypto'
         # crypt(3), the password hash of bench.pl's auth_basic control rows.
         : $base =~ /^libcrypt\.so/ ? 'crypto'
         : $base =~ /ngx_auth_jwt/ ? (crypto_symbol($symbol // '') ? 'crypto' : 'module')
         :                           'other';
}

# Crypto library code inside our module: aws-lc (statically linked C and assembly: every
# symbol without a Rust path), the aws-lc-rs wrappers, and the RustCrypto HMAC/SHA-2 of HS*.
# Everything else in the module is ours: parsing, the cache, the nginx glue, and the Rust
# standard library and crates they use (serde_json, indexmap, memchr).
sub crypto_symbol {
    my ($symbol) = @_;
    return 1 unless $symbol =~ /::/;
    return $symbol =~ /^<?(?:&(?:mut )?)?(?:aws_lc_rs|aws_lc_sys|sha2|hmac|digest|block_buffer|subtle)::/;
}

1;
