import type { SeccompArch } from '../seccomp-bpf.js';
import { compileSeccompFilter, syscallNumbers } from '../seccomp-bpf.js';
import { interruptGraceMs } from '../shell-launcher.js';

/**
 * The supervisor a runsc session's shell runs under, inside the sandbox. Perl, because it is there in
 * every Debian root (perl-base is Essential) and can make the system calls bash cannot. It exists
 * because three things the runc driver gets from the host are not available under gVisor:
 *
 * - **The status channel.** `runsc exec` passes only stdin, stdout and stderr into the sandbox. The
 *   launcher puts the server's fd 3 — a socket — on the supervisor's stdin; the supervisor gives the
 *   shell a dup of it on fd 3 (the status goes back up that socket, where no command can reach it:
 *   the shell closes it for commands, and reopening a socket through /proc fails with ENXIO) and
 *   relays the input to the shell over a socketpair of its own. A pipe would not do: a command could
 *   reopen the shell's stdin through /proc/<shell>/fd/0 and type into the shell.
 * - **A seccomp filter.** gVisor applies the OCI profile only to a container's first process, never to
 *   `runsc exec`'d ones, and marks every process dumpable (an execute-only binary cannot even be
 *   loaded), and its ptrace scope is 0 and writable: without a filter, a command could attach to its
 *   shell with ptrace and write the status itself. The supervisor installs the compiled filter
 *   (no_new_privs, then seccomp(2)); it is inherited by the shell and everything it starts.
 * - **The command's process groups.** The host sees neither the sandbox's pids nor a way to signal
 *   them, and gVisor has no ns_last_pid. Before relaying each command line the supervisor notes which
 *   pids exist, and on the session's control lines (`supervisorControl`) it signals the groups of the
 *   shell's session that hold a process not among them — what process-groups.ts does on the host with
 *   "created after ns_last_pid", and unaffected by pids wrapping around.
 * - **The interrupt's grace, timed in the sandbox.** After `INT` the supervisor itself re-sends SIGINT
 *   to the command's new groups at each third of the grace and kills what is left at its end. Timed on
 *   the host, the grace also ran while the control line waited for the supervisor to be scheduled
 *   (seconds, under gVisor's ptrace platform on a loaded machine), so `INT` and `KILL` could be handled
 *   back to back and a `sleep` that SIGINT would have ended in a moment was killed (137, not 130).
 *
 * The shell leads its own session, dies with the supervisor (PR_SET_PDEATHSIG), and the supervisor
 * exits with the shell's status; at the end of its input it kills the shell and its session.
 */
const script = String.raw`
use strict; use POSIX (); use Socket;
$0 = 'berth-session-supervisor';
my ($filter, $nr_prctl, $nr_seccomp, $grace_ms, @shell) = @ARGV;
POSIX::dup2(0, 3) or die "berth: dup2: $!\n";
$filter = pack('H*', $filter);
syscall($nr_prctl, 38, 1, 0, 0, 0) == 0 or die "berth: PR_SET_NO_NEW_PRIVS: $!\n";
syscall($nr_seccomp, 1, 0, pack('S x6 P', length($filter) / 8, $filter)) == 0 or die "berth: seccomp: $!\n";
socketpair(my $relay, my $input, AF_UNIX, SOCK_STREAM, 0) or die "berth: socketpair: $!\n";
my $shell = fork() // die "berth: fork: $!\n";
if ($shell == 0) {
  close $relay; POSIX::setsid(); POSIX::dup2(fileno($input), 0);
  syscall($nr_prctl, 1, 9, 0, 0, 0);
  exec { $shell[0] } @shell; POSIX::_exit(127);
}
close $input;
$SIG{PIPE} = 'IGNORE';
$SIG{CHLD} = sub {
  return unless waitpid($shell, POSIX::WNOHANG()) == $shell;
  POSIX::_exit(($? & 127) ? 128 + ($? & 127) : $? >> 8);
};
my %before; my ($state, $control) = ('start', '');
sub pids { opendir(my $d, '/proc') or return (); my @p = grep { /^\d+$/ } readdir $d; closedir $d; @p }
sub new_groups {
  my ($before) = @_; my %groups;
  for my $pid (pids()) {
    next if $before->{$pid};
    open(my $f, '<', "/proc/$pid/stat") or next; my $stat = <$f>; close $f;
    next unless defined $stat; $stat =~ s/^.*\) //s; my ($state, undef, $group, $session) = split / /, $stat;
    $groups{$group} = 1 if $session == $shell && $group != $shell && $state ne 'Z';
  }
  keys %groups;
}
sub kill_new { for (1 .. 200) { my @g = new_groups(\%before); return unless @g; kill '-KILL', $_ for @g; select(undef, undef, undef, 0.005); } }
sub finish { kill '-KILL', $_ for new_groups({}); kill '-KILL', $shell; POSIX::_exit(137); }
# An interrupt in progress: how many SIGINTs went out, and when (in clock ticks) the next step is due.
my $tick = POSIX::sysconf(POSIX::_SC_CLK_TCK()) || 100; my $third = $grace_ms * $tick / 3000;
my ($rounds, $due) = (0, 0);
sub now { (POSIX::times())[0] }
sub escalate {
  my @g = new_groups(\%before);
  if (!@g) { $rounds = 0; return; }
  if ($rounds < 3) { kill '-INT', $_ for @g; $rounds += 1; $due = now() + $third; }
  else { kill_new(); $rounds = 0; }
}
while (1) {
  if ($rounds) {
    my $left = ($due - now()) / $tick;
    if ($left <= 0) { escalate(); next; }
    my $rin = ''; vec($rin, 0, 1) = 1;
    next if select(my $rout = $rin, undef, undef, $left) <= 0;
  }
  my $got = sysread(STDIN, my $chunk, 65536);
  if (!defined $got) { next if $!{EINTR}; finish(); }
  finish() if $got == 0;
  my ($pos, $length) = (0, length $chunk);
  while ($pos < $length) {
    if ($state eq 'control') {
      my $nl = index($chunk, "\n", $pos);
      if ($nl < 0) { $control .= substr($chunk, $pos); last; }
      $control .= substr($chunk, $pos, $nl - $pos); $pos = $nl + 1; $state = 'start';
      if ($control eq 'INT') { kill 'INT', $shell; kill '-INT', $_ for new_groups(\%before); ($rounds, $due) = (1, now() + $third); }
      elsif ($control eq 'KILL') { kill_new(); $rounds = 0; }
      elsif ($control eq 'EXIT') { finish(); }
      $control = ''; next;
    }
    if ($state eq 'start') {
      if (substr($chunk, $pos, 1) eq "\0") { $state = 'control'; $pos += 1; next; }
      %before = map { $_ => 1 } pids(); $state = 'line'; $rounds = 0;
    }
    my $nl = index($chunk, "\n", $pos);
    my $end = $nl < 0 ? $length : $nl + 1;
    my $out = substr($chunk, $pos, $end - $pos);
    while (length $out) {
      my $n = syswrite($relay, $out);
      if (!defined $n) { next if $!{EINTR}; last; }
      substr($out, 0, $n) = '';
    }
    $state = 'start' if $nl >= 0;
    $pos = $end;
  }
}
`;

/** The argv (inside the sandbox) that runs `shell` under the supervisor. */
export function supervisedShellArgv(arch: SeccompArch, shell: readonly string[]): string[] {
  const numbers = syscallNumbers[arch];
  return [
    '/usr/bin/perl',
    '-e',
    script,
    compileSeccompFilter(arch).toString('hex'),
    String(numbers.prctl),
    String(numbers.seccomp),
    String(interruptGraceMs),
    ...shell,
  ];
}
