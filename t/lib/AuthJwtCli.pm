package AuthJwtCli;

# The auth-jwt command line tool for the t/ tests: built by cargo on first use (so a clean
# clone works with plain prove), or taken from $AUTH_JWT_CLI.
#
#   my ($rc, $out, $err) = cli('explain', '--json', '--keys', $file, '--token-file', $t);
#   my $json = cli_json('jwks', 'list', '--set', $file);      # dies unless exit 0
#   spit_token($token) -> a file holding exactly the token bytes

use strict;
use warnings;
use Carp qw(croak);
use Exporter 'import';
use File::Basename qw(dirname);
use File::Spec;
use File::Temp ();
use JSON::PP ();
use POSIX ();

our @EXPORT = qw(cli cli_ok cli_json cli_binary);

my $binary;

sub cli_binary {
    return $binary if defined $binary;
    if ($ENV{AUTH_JWT_CLI}) {
        $binary = $ENV{AUTH_JWT_CLI};
        return $binary;
    }
    my $root = File::Spec->rel2abs(File::Spec->catdir(dirname(__FILE__), File::Spec->updir, File::Spec->updir));
    # cargo's own report names the executable, whatever the target dir.
    my $report = qx{cd '$root' && cargo build -q -p auth-jwt-cli --message-format=json 2>/dev/null};
    croak "cargo build -p auth-jwt-cli failed (run it by hand to see why)" if $?;
    for my $line (split /\n/, $report) {
        my $m = eval { JSON::PP::decode_json($line) } or next;
        next unless ($m->{reason} // '') eq 'compiler-artifact' && $m->{executable};
        $binary = $m->{executable} if $m->{target}{name} eq 'auth-jwt';
    }
    croak 'cargo did not report the auth-jwt executable' unless defined $binary;
    return $binary;
}

# Runs the tool: (exit status, stdout, stderr).
sub cli {
    my @args = @_;
    my $dir = File::Temp->newdir('auth-jwt-cli-XXXXXX', TMPDIR => 1);
    my $pid = fork // croak "fork: $!";
    if (!$pid) {
        open STDIN,  '<', '/dev/null';
        open STDOUT, '>', "$dir/out";
        open STDERR, '>', "$dir/err";
        exec(cli_binary(), @args) or POSIX::_exit(127);
    }
    waitpid($pid, 0);
    my $rc = $? >> 8;
    $rc = 128 + ($? & 127) if $? & 127;    # killed by a signal (a panic aborting, say)
    return ($rc, _slurp("$dir/out"), _slurp("$dir/err"));
}

# Runs the tool and dies unless it exits 0; stdout.
sub cli_ok {
    my ($rc, $out, $err) = cli(@_);
    croak "auth-jwt @_: exit $rc: $err" if $rc;
    return $out;
}

# Runs the tool with --json; the decoded output (and the exit status in list context).
sub cli_json {
    my ($rc, $out, $err) = cli('--json', @_);
    my $json = eval { JSON::PP::decode_json($out) };
    croak "auth-jwt --json @_: exit $rc, no JSON on stdout: $out$err" unless $json;
    return wantarray ? ($json, $rc) : $json;
}

sub _slurp {
    open(my $fh, '<:raw', $_[0]) or return '';
    local $/;
    return scalar(<$fh>) // '';
}

1;
