#!/usr/bin/env perl
# The chart of a bench.pl run: each row's requests per worker CPU-second as a ratio to its
# baseline (the baselines themselves left out), one horizontal bar a row so that every name
# stays readable however many rows the run has.
#
#   perl bench/lib/chart.pl bench/out/results.csv bench/out/results.png
use strict;
use warnings;
use Text::ParseWords qw(parse_line);

my ($csv, $png) = @ARGV;
die "usage: chart.pl results.csv results.png\n" unless $csv && $png;
open(my $in, '<', $csv) or die "$csv: $!";
my @head = parse_line(',', 0, scalar <$in>);
chomp $head[-1];
my @rows;
while (my $line = <$in>) {
    chomp $line;
    my %r;
    @r{@head} = parse_line(',', 0, $line);
    next if !defined $r{scenario} || $r{scenario} =~ /^baseline|no module/;
    push @rows, \%r;
}
close $in;
die "$csv: no rows\n" unless @rows;

(my $dat = $png) =~ s/\.png$/.dat/;
open(my $out, '>', $dat) or die "$dat: $!";
# gnuplot draws the first line at the bottom: write the rows bottom-up so the chart reads in
# the table's order.
my $n = @rows;
for my $i (0 .. $#rows) {
    my $r = $rows[$i];
    (my $label = $r->{scenario}) =~ s/"/'/g;
    printf $out "%d \"%s\" %.3f\n", $n - 1 - $i, $label, $r->{ratio_to_baseline};
}
close $out;

my $height = 120 + 16 * $n;
open(my $gp, '|-', 'gnuplot') or die "gnuplot: $!";
print $gp <<"EOF";
set terminal pngcairo size 1000,$height font "sans,9"
set output "$png"
set title "ngx-auth-jwt: requests per worker CPU-second, ratio to the row's baseline (1 worker, wrk on loopback)"
set style fill solid 0.8 border -1
set xrange [0:1.2]
set xtics 0.1
set grid x
set yrange [-1:$n]
set ytics nomirror font "sans,8"
set key bottom right
plot "$dat" using (\$3/2):1:(\$3/2):(0.35):ytic(2) with boxxyerror lc rgb "#4a7ebb" title "ratio to baseline", \\
     "$dat" using (0.97):1 with lines dt 2 lc rgb "#c0392b" title "0.97: a cache hit's goal"
EOF
close $gp or die "gnuplot failed\n";
unlink $dat;
