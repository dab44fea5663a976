#!/usr/bin/env perl
# spk2utt_to_utt2spk.pl [spk2utt] > utt2spk
# Reads "spk utt1 utt2 ..." lines (file arguments or stdin) and writes "utt spk" lines in C order.
use strict;
use warnings;
my %spk;
while (<>) {
  my @f = split;
  next unless @f;
  my $s = shift @f;
  die "spk2utt_to_utt2spk.pl: line $.: speaker '$s' has no utterances\n" unless @f;
  for my $u (@f) {
    die "spk2utt_to_utt2spk.pl: utterance '$u' is listed under '$spk{$u}' and '$s'\n"
      if defined $spk{$u} && $spk{$u} ne $s;
    $spk{$u} = $s;
  }
}
{
  use bytes;
  print "$_ $spk{$_}\n" for sort keys %spk;
}
