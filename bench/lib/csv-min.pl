#!/usr/bin/env perl
# Merges CSV files of the same shape (a header line, then one row per key in the first
# column) into one, keeping the smallest value of each numeric cell. bench/run runs the
# microbenchmark several times: on a shared VM a neighbour can slow a whole measurement
# down, never speed it up, so the minimum over runs is the cost of the code itself.
use strict;
use warnings;

my ($header, @keys, %min);
for my $file (@ARGV) {
    open(my $fh, '<', $file) or die "$file: $!";
    my $head = <$fh>;
    die "$file: a different header\n" if defined $header && $head ne $header;
    $header = $head;
    while (my $line = <$fh>) {
        chomp $line;
        my ($key, @cells) = split /,/, $line;
        push @keys, $key unless $min{$key};
        my $row = $min{$key} //= [@cells];
        for my $i (0 .. $#cells) {
            $row->[$i] = $cells[$i] if $cells[$i] =~ /^[\d.]+$/ && $cells[$i] < $row->[$i];
        }
    }
}
print $header;
print join(',', $_, @{ $min{$_} }), "\n" for @keys;
