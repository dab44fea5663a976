#!/usr/bin/env perl
# run.pl: run a command, or N numbered jobs of it in parallel, on this machine (Kaldi-compatible interface).
#
#   run.pl [options] JOB=1:N log/x.JOB.log command args ...   # N jobs; JOB is replaced by 1..N everywhere
#   run.pl [options] log/x.log command args ...               # one job
#
# Each job's stdout and stderr go to its log, which starts with the command line and start time and ends
# with "# Ended (code C) at <time>, elapsed time S seconds". Arguments without whitespace are passed to
# bash unquoted, so a quoted '|', '>' or '&&' builds a pipeline (e.g. "cmd1 \| cmd2"); arguments with
# whitespace are single-quoted. Every job runs with "set -o pipefail". The exit status is 0 when every job
# succeeded, else 1, with one line per failed job naming its exit code and log.
#
# Options:
#   --max-jobs-run N   run at most N jobs at once (default: the number of CPUs)
#   --num-threads N, --gpu N, --mem M, --time T, --partition P, --config F
#                      accepted and ignored, so a $cmd string works with run.pl and slurm.pl alike
use strict;
use warnings;
use File::Basename qw(dirname);
use File::Path qw(make_path);
use POSIX qw(:sys_wait_h);

my $me = "run.pl";
my $usage = "Usage: $me [--max-jobs-run N] [JOB=1:N] <log-file> <command> [args...]\n";

sub num_cpus {
  my $n = `getconf _NPROCESSORS_ONLN 2>/dev/null`;
  chomp $n if defined $n;
  return (defined $n && $n =~ /^\d+$/ && $n > 0) ? $n : 1;
}

my $max_jobs = 0;    # 0: the number of CPUs
while (@ARGV && $ARGV[0] =~ /^--/) {
  my $opt = shift @ARGV;
  last if $opt eq "--";
  my $val;
  if ($opt =~ /^(--[^=]+)=(.*)$/s) {
    ($opt, $val) = ($1, $2);
  } else {
    die "$me: option $opt needs a value\n$usage" unless @ARGV;
    $val = shift @ARGV;
  }
  if ($opt eq "--max-jobs-run") {
    die "$me: --max-jobs-run needs a positive integer, got '$val'\n" unless $val =~ /^\d+$/ && $val > 0;
    $max_jobs = $val;
  } elsif ($opt =~ /^--(num-threads|gpu|mem|time|partition|config)$/) {
    # accepted for compatibility with slurm.pl
  } else {
    die "$me: unknown option $opt\n$usage";
  }
}
$max_jobs = num_cpus() if $max_jobs == 0;

my ($var, $first, $last) = (undef, 1, 1);
if (@ARGV && $ARGV[0] =~ /^([A-Za-z_]\w*)=(\d+):(\d+)$/) {
  ($var, $first, $last) = ($1, $2, $3);
  shift @ARGV;
  die "$me: empty job range $var=$first:$last\n" if $last < $first;
} elsif (@ARGV && $ARGV[0] =~ /^([A-Za-z_]\w*)=(\d+)$/) {
  ($var, $first, $last) = ($1, $2, $2);
  shift @ARGV;
} elsif (@ARGV && $ARGV[0] =~ /^[A-Za-z_]\w*=/) {
  die "$me: bad job range '$ARGV[0]' (expected e.g. JOB=1:4)\n";
}
die $usage if @ARGV < 2;
my $logfile = shift @ARGV;
my @cmd = @ARGV;
if (defined $var && $last > $first && index($logfile, $var) < 0) {
  die "$me: the log file name '$logfile' must contain $var so that jobs do not share a log\n";
}

sub quote {
  my ($a) = @_;
  return $a if $a =~ /^\S+$/;
  $a =~ s/'/'\\''/g;
  return "'$a'";
}

sub subst {
  my ($s, $j) = @_;
  $s =~ s/\Q$var\E/$j/g if defined $var;
  return $s;
}

sub stamp { return scalar localtime() }

# Child side: write the log header, run the command with its output appended to the log, write the footer.
sub run_job {
  my ($j) = @_;
  my $log = subst($logfile, $j);
  my $cmd = join(" ", map { quote(subst($_, $j)) } @cmd);
  my $dir = dirname($log);
  eval { make_path($dir) unless -d $dir; 1 } or do { print STDERR "$me: cannot create $dir\n"; return 1 };
  open(my $fh, ">", $log) or do { print STDERR "$me: cannot write $log: $!\n"; return 1 };
  print $fh "# $cmd\n# Started at " . stamp() . "\n";
  close $fh;
  my $t0 = time();
  open(STDOUT, ">>", $log) or return 1;
  open(STDERR, ">&", \*STDOUT) or return 1;
  system("bash", "-c", "set -o pipefail\n$cmd");
  my $st = $?;
  my $rc = $st == -1 ? 127 : ($st & 127) ? 128 + ($st & 127) : $st >> 8;
  my $elapsed = time() - $t0;
  print STDOUT "# Accounting: time=$elapsed threads=1\n# Ended (code $rc) at " . stamp()
    . ", elapsed time $elapsed seconds\n";
  close STDOUT;
  return $rc;
}

my %running;    # pid -> job number
my %rc;         # job number -> exit code

sub stop_all {
  my ($sig) = @_;
  kill "TERM", map { -$_ } keys %running;    # each job is its own process group
  1 while wait() > 0;
  print STDERR "$me: interrupted (SIG$sig); stopped " . scalar(keys %running) . " running job(s)\n";
  exit 130;
}
$SIG{INT} = $SIG{TERM} = $SIG{HUP} = \&stop_all;

sub reap {
  my $pid = wait();
  return if $pid <= 0;
  my $j = delete $running{$pid};
  return unless defined $j;
  $rc{$j} = ($? & 127) ? 128 + ($? & 127) : $? >> 8;
}

for my $j ($first .. $last) {
  reap() while keys(%running) >= $max_jobs;
  my $pid = fork();
  die "$me: fork failed: $!\n" unless defined $pid;
  if ($pid == 0) {
    $SIG{INT} = $SIG{TERM} = $SIG{HUP} = "DEFAULT";
    setpgrp(0, 0);    # the parent stops a job by signalling its whole group
    my $rc = run_job($j);
    POSIX::_exit($rc > 255 ? 255 : $rc);
  }
  $running{$pid} = $j;
}
reap() while keys %running;

my @failed = grep { $rc{$_} != 0 } sort { $a <=> $b } keys %rc;
exit 0 unless @failed;
my $shown = 0;
for my $j (@failed) {
  last if ++$shown > 10;
  my $what = defined $var && $last > $first ? "job $j" : "job";
  print STDERR "$me: $what failed (exit code $rc{$j}), log is in " . subst($logfile, $j) . "\n";
}
print STDERR "$me: ... and " . (@failed - 10) . " more\n" if @failed > 10;
if (defined $var && $last > $first) {
  print STDERR "$me: " . scalar(@failed) . " / " . ($last - $first + 1) . " jobs failed\n";
}
exit 1;
