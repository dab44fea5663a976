#!/usr/bin/env perl
# slurm.pl: run.pl's interface, with the jobs run on a Slurm cluster through sbatch.
#
#   slurm.pl [options] JOB=1:N log/x.JOB.log command args ...
#   slurm.pl [options] log/x.log command args ...
#
# All jobs are submitted as ONE array job, "sbatch --wait --array=FIRST-LAST[%MAX]", and slurm.pl blocks
# until it is over (so a recipe's stages run in order, as with run.pl). The batch script is written to
# <log dir>/q/<name>.sh; it cds to the current directory, runs job $SLURM_ARRAY_TASK_ID with its output in
# its own log (same header and footer as run.pl) and records its exit code in <log dir>/q/<name>.done.<j>.
# sbatch's own output goes to <log dir>/q/<name>.<j>.out. The environment is exported (sbatch's default),
# so PATH and LC_ALL set by path.sh reach the jobs. The exit status is 0 when every job wrote exit
# code 0, else 1 with one line per failed job (a job without a recorded code was killed, timed out or
# never started).
#
# Options (each maps to sbatch options):
#   --max-jobs-run N   at most N array tasks at once (--array=...%N)
#   --num-threads N    --cpus-per-task=N
#   --gpu N            --gres=gpu:N (0: none)
#   --mem M            --mem=M (per node, e.g. 16G)
#   --time T           --time=T (e.g. 24:00:00)
#   --partition P      --partition=P
#   --config FILE      more sbatch options, one or more per line ('#' comments), e.g. --account=myproj
# The environment variable SBATCH (default "sbatch") names the submit command.
use strict;
use warnings;
use Cwd qw(getcwd);
use File::Basename qw(basename dirname);
use File::Path qw(make_path);

my $me = "slurm.pl";
my $usage = "Usage: $me [--max-jobs-run N] [--num-threads N] [--gpu N] [--mem M] [--time T] [--partition P] "
  . "[--config FILE] [JOB=1:N] <log-file> <command> [args...]\n";

my ($max_jobs, @sbatch_opts) = (0);
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
  } elsif ($opt eq "--num-threads") {
    die "$me: --num-threads needs a positive integer, got '$val'\n" unless $val =~ /^\d+$/ && $val > 0;
    push @sbatch_opts, "--cpus-per-task=$val";
  } elsif ($opt eq "--gpu") {
    die "$me: --gpu needs a number, got '$val'\n" unless $val =~ /^\d+$/;
    push @sbatch_opts, "--gres=gpu:$val" if $val > 0;
  } elsif ($opt eq "--mem") {
    push @sbatch_opts, "--mem=$val";
  } elsif ($opt eq "--time") {
    push @sbatch_opts, "--time=$val";
  } elsif ($opt eq "--partition") {
    push @sbatch_opts, "--partition=$val";
  } elsif ($opt eq "--config") {
    open(my $fh, "<", $val) or die "$me: cannot read config file '$val': $!\n";
    while (my $line = <$fh>) {
      $line =~ s/#.*//;
      push @sbatch_opts, split(" ", $line);
    }
    close $fh;
  } else {
    die "$me: unknown option $opt\n$usage";
  }
}

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

sub quote {    # for the command line: like run.pl, whitespace-free words stay unquoted
  my ($a) = @_;
  return $a if $a =~ /^\S+$/;
  $a =~ s/'/'\\''/g;
  return "'$a'";
}

sub shq {      # always single-quote (values inside the generated script)
  my ($a) = @_;
  $a =~ s/'/'\\''/g;
  return "'$a'";
}

sub subst {
  my ($s, $j) = @_;
  $s =~ s/\Q$var\E/$j/g if defined $var;
  return $s;
}

my $logdir = dirname($logfile);
my $qdir = "$logdir/q";
my $name = basename($logfile);
$name =~ s/\Q$var\E//g if defined $var;
$name =~ s/\.log$//;
$name =~ s/[^\w.-]+/_/g;
$name =~ s/^[._]+|[._]+$//g;
$name = "job" if $name eq "";
make_path($qdir) unless -d $qdir;
unlink glob("$qdir/$name.done.*");

my $cwd = getcwd();
my $script = "$qdir/$name.sh";
open(my $sh, ">", $script) or die "$me: cannot write $script: $!\n";
print $sh "#!/usr/bin/env bash\n# Written by slurm.pl at " . localtime() . "\ncd " . shq($cwd) . " || exit 1\n";
print $sh "task=\"\${SLURM_ARRAY_TASK_ID:-$first}\"\ncase \"\$task\" in\n";
for my $j ($first .. $last) {
  my $cmd = join(" ", map { quote(subst($_, $j)) } @cmd);
  print $sh "  $j) log=" . shq(subst($logfile, $j)) . "; cmd=" . shq($cmd) . " ;;\n";
}
print $sh <<'EOS';
  *) echo "slurm.pl: no job $task in this array" >&2; exit 1 ;;
esac
mkdir -p "$(dirname "$log")"
printf '# %s\n# Started at %s\n' "$cmd" "$(date)" > "$log"
start=$(date +%s)
bash -c "set -o pipefail
$cmd" >> "$log" 2>&1
rc=$?
elapsed=$(( $(date +%s) - start ))
printf '# Accounting: time=%s threads=%s\n# Ended (code %s) at %s, elapsed time %s seconds\n' \
  "$elapsed" "${SLURM_CPUS_PER_TASK:-1}" "$rc" "$(date)" "$elapsed" >> "$log"
EOS
print $sh "echo \"\$rc\" > " . shq("$qdir/$name.done.") . "\"\$task\"\nexit \"\$rc\"\n";
close $sh;
chmod 0755, $script;

my $array = "$first-$last" . ($max_jobs > 0 ? "%$max_jobs" : "");
my @submit = (
  ($ENV{SBATCH} // "sbatch"), "--wait", "--array=$array", "--job-name=$name",
  "--output=$qdir/$name.%a.out", @sbatch_opts, $script
);
system(@submit);
my $st = $?;
my $submit_rc = $st == -1 ? 127 : ($st & 127) ? 128 + ($st & 127) : $st >> 8;

my (@failed, %why);
for my $j ($first .. $last) {
  my $done = "$qdir/$name.done.$j";
  if (open(my $fh, "<", $done)) {
    my $rc = <$fh>;
    close $fh;
    $rc = defined $rc ? $rc : "";
    chomp $rc;
    next if $rc eq "0";
    push @failed, $j;
    $why{$j} = "exit code $rc";
  } else {
    push @failed, $j;
    $why{$j} = "no exit code recorded: killed, timed out or never started; see $qdir/$name.$j.out";
  }
}
if (!@failed) {
  exit 0;
}
if ($st == -1) {
  print STDERR "$me: could not run '$submit[0]': $!\n";
  exit 1;
}
my $shown = 0;
for my $j (@failed) {
  last if ++$shown > 10;
  my $what = defined $var && $last > $first ? "job $j" : "job";
  print STDERR "$me: $what failed ($why{$j}), log is in " . subst($logfile, $j) . "\n";
}
print STDERR "$me: ... and " . (@failed - 10) . " more\n" if @failed > 10;
if (defined $var && $last > $first) {
  print STDERR "$me: " . scalar(@failed) . " / " . ($last - $first + 1) . " jobs failed (sbatch exit code "
    . "$submit_rc)\n";
}
exit 1;
