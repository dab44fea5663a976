#!/usr/bin/env perl
# filter_scp.pl [--exclude] [-f N] id_list in.scp > out.scp
# Keeps the lines of in.scp (or stdin) whose N-th field (default 1) is (with --exclude: is not) the first
# field of a line of id_list. Order of in.scp is kept (Kaldi-compatible).
use strict;
use warnings;
my ($exclude, $field) = (0, 1);
while (@ARGV && $ARGV[0] =~ /^-/) {
  my $opt = shift @ARGV;
  if ($opt eq "--exclude") { $exclude = 1; }
  elsif ($opt eq "-f") { $field = shift @ARGV // ""; die "filter_scp.pl: -f needs a number\n" unless $field =~ /^\d+$/ && $field > 0; }
  elsif ($opt =~ /^-f(\d+)$/) { $field = $1; }
  else { die "filter_scp.pl: unknown option $opt\nUsage: filter_scp.pl [--exclude] [-f N] id_list [in.scp]\n"; }
}
die "Usage: filter_scp.pl [--exclude] [-f N] id_list [in.scp]\n" unless @ARGV >= 1 && @ARGV <= 2;
my $list = shift @ARGV;
open(my $fh, "<", $list) or die "filter_scp.pl: cannot read $list: $!\n";
my %want;
while (<$fh>) {
  my @f = split;
  $want{$f[0]} = 1 if @f;
}
close $fh;
while (<>) {
  my @f = split;
  next unless @f;
  die "filter_scp.pl: line $. has fewer than $field fields\n" if @f < $field;
  my $hit = exists $want{$f[$field - 1]};
  print if $hit xor $exclude;
}
