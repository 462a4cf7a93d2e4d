import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileSeccompFilter, hostSeccompArch, syscallNumbers } from './seccomp-bpf.js';
import { deniedSyscalls } from './seccomp-profile.js';
import { installed } from '../../test/support/sandbox-drivers-here.js';

/** `#define __NR_name N` lines of a kernel header, when the machine has the headers. */
function headerNumbers(path: string): Map<string, number> {
  const numbers = new Map<string, number>();
  if (!existsSync(path)) return numbers;
  for (const match of readFileSync(path, 'utf8').matchAll(/#define __NR(?:3264)?_(\w+)\s+(\d+)/g)) {
    if (match[1] && match[2]) numbers.set(match[1], Number(match[2]));
  }
  return numbers;
}

describe('compileSeccompFilter', () => {
  it('knows a number for every system call the profile denies, on both architectures', () => {
    for (const arch of ['x64', 'arm64'] as const) {
      for (const name of [...deniedSyscalls, 'clone', 'clone3', 'prctl', 'seccomp']) {
        expect(syscallNumbers[arch][name], `${arch} ${name}`).toBeTypeOf('number');
      }
      // Whole 8-byte instructions, and few enough for the kernel's 4096-instruction limit.
      const program = compileSeccompFilter(arch);
      expect(program.length % 8).toBe(0);
      expect(program.length / 8).toBeLessThan(4096);
    }
  });

  it.runIf(existsSync('/usr/include/x86_64-linux-gnu/asm/unistd_64.h'))(
    'uses the numbers of the kernel headers (x86_64)',
    () => {
      const header = headerNumbers('/usr/include/x86_64-linux-gnu/asm/unistd_64.h');
      for (const [name, number] of Object.entries(syscallNumbers.x64)) {
        expect(number, name).toBe(header.get(name));
      }
    },
  );

  it.runIf(existsSync('/usr/include/asm-generic/unistd.h'))(
    'uses the numbers of the kernel headers (arm64, the generic table)',
    () => {
      const header = headerNumbers('/usr/include/asm-generic/unistd.h');
      for (const [name, number] of Object.entries(syscallNumbers.arm64)) {
        // The generic table names two of them through macros; they are checked by hand.
        if (header.has(name)) expect(number, name).toBe(header.get(name));
      }
    },
  );

  it.runIf(hostSeccompArch() !== undefined && installed('bwrap'))(
    'refuses what the profile refuses and allows the rest, under bwrap --seccomp',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'berth-seccomp-'));
      try {
        const filter = join(dir, 'filter.bpf');
        writeFileSync(filter, compileSeccompFilter(hostSeccompArch() ?? 'x64'));
        const script = [
          'grep -c "^Seccomp:.*2" /proc/self/status',
          'unshare --user true 2>/dev/null || echo "unshare refused"',
          '(echo "fork allowed")',
          'python3 -c \'import ctypes; print("ptrace", ctypes.CDLL(None, use_errno=True).ptrace(16, 1, 0, 0), ctypes.get_errno())\'',
        ].join('; ');
        const bwrap = [
          'bwrap',
          '--unshare-all',
          '--ro-bind',
          '/',
          '/',
          '--seccomp',
          '10',
          'bash',
          '-c',
          script,
        ];
        // As root, bwrap would keep capabilities that make ptrace succeed anyway: run it unprivileged.
        const argv =
          process.getuid?.() === 0
            ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...bwrap]
            : bwrap;
        const result = spawnSync('bash', ['-c', 'exec "$@" 10<"$0"', filter, ...argv], { encoding: 'utf8' });
        expect(result.stdout).toBe('1\nunshare refused\nfork allowed\nptrace -1 1\n');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
