#!/usr/bin/env perl
# utt2spk_to_spk2utt.pl [utt2spk] > spk2utt
# Reads "utt spk" lines (file arguments or stdin) and writes "spk utt1 utt2 ..." lines, speakers in C
# order and each speaker's utterances in C order (sort the output as Kaldi does; no LC_ALL needed).
use strict;
use warnings;
my %utts;
while (<>) {
  my @f = split;
  next unless @f;
  die "utt2spk_to_spk2utt.pl: bad line $.: expected 'utt spk', got '$_'" unless @f == 2;
  push @{$utts{$f[1]}}, $f[0];
}
{
  use bytes;    # byte order, i.e. LC_ALL=C
  for my $spk (sort keys %utts) {
    print join(" ", $spk, sort @{$utts{$spk}}), "\n";
  }
}
