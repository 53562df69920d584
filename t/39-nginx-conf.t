# Every example in nginx-conf/ must pass `nginx -t` with the module loaded (key files that do
# not exist only give warnings, as in NGINX Plus).

use strict;
use warnings;
use Test::Nginx::Socket;
use FindBin ();

my @files = sort glob("$FindBin::Bin/../nginx-conf/*.conf");
plan tests => 1 + 2 * @files;
ok(@files >= 13, 'nginx-conf/ has the examples') or diag("found: @files");

for my $file (@files) {
    my ($ok, $output) = nginx_test_config($file);
    my $name = $file =~ s{.*/}{}r;
    ok($ok, "$name: nginx -t succeeds") or diag($output);
    unlike($output, qr/\[(?:emerg|alert|crit)\]/, "$name: no emerg, alert or crit") or diag($output);
}
