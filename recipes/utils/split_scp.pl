#!/usr/bin/env perl
# split_scp.pl: split a table (wav.scp, utt2spk, ...) into N contiguous parts (Kaldi-compatible interface).
#
#   split_scp.pl [--utt2spk FILE] in.scp out.1.scp out.2.scp ... out.N.scp
#   split_scp.pl [--utt2spk FILE] -j N K in.scp [out.scp]      # only part K (0-based) of N; default stdout
#
# Without --utt2spk the parts get nearly equal numbers of lines (sizes differ by at most one). With it,
# no speaker is split across parts: the cut between parts i and i+1 goes to the speaker boundary nearest
# to i/N of the lines (the same rule as `python3 -m audiogan.data.commands split`); a speaker's lines must
# be contiguous, as they are in a sorted file with speaker-prefixed utterance ids. More parts than lines
# (or speakers) is an error, since every part must be non-empty.
use strict;
use warnings;

my $me = "split_scp.pl";
my $usage = "Usage: $me [--utt2spk FILE] in.scp out1 out2 ... | $me [--utt2spk FILE] -j N K in.scp [out]\n";
my ($utt2spk_file, $num_jobs, $job_id);
while (@ARGV && $ARGV[0] =~ /^-/) {
  my $opt = shift @ARGV;
  if ($opt =~ /^--utt2spk=(.+)$/) {
    $utt2spk_file = $1;
  } elsif ($opt eq "--utt2spk") {
    die $usage unless @ARGV;
    $utt2spk_file = shift @ARGV;
  } elsif ($opt eq "-j") {
    die $usage unless @ARGV >= 2;
    ($num_jobs, $job_id) = (shift @ARGV, shift @ARGV);
    die "$me: -j needs N >= 1 and 0 <= K < N, got '$num_jobs $job_id'\n"
      unless $num_jobs =~ /^\d+$/ && $job_id =~ /^\d+$/ && $num_jobs >= 1 && $job_id < $num_jobs;
  } else {
    die "$me: unknown option $opt\n$usage";
  }
}
die $usage if @ARGV < 1;
my $in = shift @ARGV;
my @outs = @ARGV;
my $n;
if (defined $num_jobs) {
  die $usage if @outs > 1;
  $n = $num_jobs;
} else {
  die $usage if @outs < 1;
  $n = @outs;
}

open(my $ifh, "<", $in) or die "$me: cannot read $in: $!\n";
my @lines = grep { /\S/ } <$ifh>;
close $ifh;
my @keys = map { (split(" ", $_))[0] } @lines;

# Units: single lines, or runs of lines of one speaker.
my @units;    # each: [first index, count]
if (defined $utt2spk_file) {
  my %spk;
  open(my $u, "<", $utt2spk_file) or die "$me: cannot read $utt2spk_file: $!\n";
  while (<$u>) {
    my @f = split;
    next unless @f;
    die "$me: $utt2spk_file: bad line '$_'" unless @f == 2;
    $spk{$f[0]} = $f[1];
  }
  close $u;
  my (%seen, $prev);
  for my $i (0 .. $#keys) {
    my $s = $spk{$keys[$i]};
    die "$me: utterance '$keys[$i]' is not in $utt2spk_file\n" unless defined $s;
    if (defined $prev && $s eq $prev) {
      $units[-1][1]++;
    } else {
      die "$me: lines of speaker '$s' are not contiguous in $in (sort it; use speaker-prefixed ids)\n"
        if $seen{$s}++;
      push @units, [$i, 1];
    }
    $prev = $s;
  }
  die "$me: cannot split " . scalar(@units) . " speaker(s) into $n parts\n" if $n > @units;
} else {
  die "$me: cannot split " . scalar(@lines) . " line(s) into $n non-empty parts\n" if $n > @lines;
  @units = map { [$_, 1] } 0 .. $#lines;
}

# Cut points (in units). Without speakers: part i holds lines [floor(i*L/n), floor((i+1)*L/n)).
my @cum = (0);
push @cum, $cum[-1] + $_->[1] for @units;
my $total = $cum[-1];
my @cuts = (0);
for my $i (1 .. $n - 1) {
  if (!defined $utt2spk_file) {
    push @cuts, int($i * $total / $n);
    next;
  }
  my ($lo, $hi) = ($cuts[-1] + 1, scalar(@units) - ($n - $i));
  my $target = $i * $total / $n;
  my $best = $lo;
  for my $j ($lo .. $hi) {
    $best = $j if abs($cum[$j] - $target) < abs($cum[$best] - $target);
  }
  push @cuts, $best;
}
push @cuts, scalar(@units);

for my $k (0 .. $n - 1) {
  next if defined $job_id && $k != $job_id;
  my ($a, $b) = ($cum[$cuts[$k]], $cum[$cuts[$k + 1]]);
  my $fh;
  if (defined $job_id && !@outs) {
    $fh = \*STDOUT;
  } else {
    my $out = defined $job_id ? $outs[0] : $outs[$k];
    open($fh, ">", $out) or die "$me: cannot write $out: $!\n";
  }
  print $fh @lines[$a .. $b - 1];
  close $fh unless defined $job_id && !@outs;
}
