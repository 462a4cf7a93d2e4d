import { cloneNamespaceFlags, deniedSyscalls } from './seccomp-profile.js';

/**
 * The sandbox's seccomp filter (the same rules as the OCI profile in seccomp-profile.ts) compiled to
 * a classic BPF program, for the drivers whose runtime takes a program rather than a profile: bwrap
 * (`--seccomp FD`) and runsc's session supervisor, which installs it with seccomp(2) because gVisor
 * applies an OCI profile only to a container's first process, never to `runsc exec`'d ones.
 *
 * No npm package binds libseccomp, and the rule set is a plain deny list, so the program is written
 * here: check the architecture, refuse the listed system calls with EPERM, make clone3 unavailable
 * (ENOSYS: the C library then falls back to clone) and refuse clone with any namespace flag.
 */
export type SeccompArch = 'x64' | 'arm64';

/** System call numbers of the calls the filter names (x86_64: unistd_64.h; arm64: asm-generic). */
// prettier-ignore
export const syscallNumbers: Record<SeccompArch, Readonly<Record<string, number>>> = {
  x64: {
    mount: 165, umount2: 166, move_mount: 429, open_tree: 428, fsopen: 430, fsconfig: 431,
    fsmount: 432, fspick: 433, mount_setattr: 442, pivot_root: 155, chroot: 161, unshare: 272,
    setns: 308, ptrace: 101, process_vm_readv: 310, process_vm_writev: 311, pidfd_getfd: 438,
    kcmp: 312, bpf: 321, perf_event_open: 298, userfaultfd: 323, io_uring_setup: 425,
    io_uring_enter: 426, io_uring_register: 427, keyctl: 250, add_key: 248, request_key: 249,
    init_module: 175, finit_module: 313, delete_module: 176, kexec_load: 246, kexec_file_load: 320,
    reboot: 169, swapon: 167, swapoff: 168, syslog: 103, acct: 163, settimeofday: 164,
    clock_settime: 227, clock_adjtime: 305, adjtimex: 159, open_by_handle_at: 304,
    name_to_handle_at: 303, quotactl: 179, lookup_dcookie: 212, nfsservctl: 180, vhangup: 153,
    clone: 56, clone3: 435, prctl: 157, seccomp: 317,
  },
  arm64: {
    mount: 40, umount2: 39, move_mount: 429, open_tree: 428, fsopen: 430, fsconfig: 431,
    fsmount: 432, fspick: 433, mount_setattr: 442, pivot_root: 41, chroot: 51, unshare: 97,
    setns: 268, ptrace: 117, process_vm_readv: 270, process_vm_writev: 271, pidfd_getfd: 438,
    kcmp: 272, bpf: 280, perf_event_open: 241, userfaultfd: 282, io_uring_setup: 425,
    io_uring_enter: 426, io_uring_register: 427, keyctl: 219, add_key: 217, request_key: 218,
    init_module: 105, finit_module: 273, delete_module: 106, kexec_load: 104, kexec_file_load: 294,
    reboot: 142, swapon: 224, swapoff: 225, syslog: 116, acct: 89, settimeofday: 170,
    clock_settime: 112, clock_adjtime: 266, adjtimex: 171, open_by_handle_at: 265,
    name_to_handle_at: 264, quotactl: 60, lookup_dcookie: 18, nfsservctl: 42, vhangup: 58,
    clone: 220, clone3: 435, prctl: 167, seccomp: 277,
  },
};

/** AUDIT_ARCH_* values, as seccomp_data.arch reports them. */
const auditArch: Record<SeccompArch, number> = { x64: 0xc000003e, arm64: 0xc00000b7 };

// Classic BPF opcodes and seccomp return values (linux/filter.h, linux/seccomp.h).
const loadWord = 0x20; // BPF_LD | BPF_W | BPF_ABS
const jumpEqual = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
const jumpGreaterOrEqual = 0x35; // BPF_JMP | BPF_JGE | BPF_K
const jumpAnyBit = 0x45; // BPF_JMP | BPF_JSET | BPF_K
const returnValue = 0x06; // BPF_RET | BPF_K
const allow = 0x7fff0000;
const errno = (code: number) => 0x00050000 | code;
const EPERM = 1;
const ENOSYS = 38;
/** x32 system calls on x86_64 set this bit; the filter refuses them all (the profile lists none). */
const x32Bit = 0x40000000;
// Offsets in struct seccomp_data: nr, arch, then args[6] as 64-bit values (little-endian hosts).
const offsetNr = 0;
const offsetArch = 4;
const offsetArg0Low = 16;

type Instruction =
  | { readonly op: 'load'; readonly offset: number }
  | { readonly op: 'return'; readonly value: number }
  | {
      readonly op: 'jump';
      readonly code: number;
      readonly k: number;
      readonly ifTrue: string;
      readonly ifFalse?: string;
    }
  | { readonly op: 'label'; readonly name: string };

/** The architecture this process runs on, if the filter knows it. */
export function hostSeccompArch(): SeccompArch | undefined {
  return process.arch === 'x64' || process.arch === 'arm64' ? process.arch : undefined;
}

/** The filter as the bytes of a `struct sock_filter` array, ready for `--seccomp FD` or seccomp(2). */
export function compileSeccompFilter(arch: SeccompArch): Buffer {
  const numbers = syscallNumbers[arch];
  const nr = (name: string): number => {
    const value = numbers[name];
    if (value === undefined) throw new Error(`no ${arch} number for system call ${name}`);
    return value;
  };
  const namespaceMask = cloneNamespaceFlags.reduce((mask, flag) => mask | flag, 0);
  const program: Instruction[] = [
    { op: 'load', offset: offsetArch },
    // Another ABI (i386 through int 0x80 on x86_64) numbers its calls differently: refuse it whole.
    { op: 'jump', code: jumpEqual, k: auditArch[arch], ifTrue: 'native', ifFalse: 'enosys' },
    { op: 'label', name: 'native' },
    { op: 'load', offset: offsetNr },
    ...(arch === 'x64'
      ? [{ op: 'jump', code: jumpGreaterOrEqual, k: x32Bit, ifTrue: 'enosys' } as const]
      : []),
    ...deniedSyscalls.map((name) => ({ op: 'jump', code: jumpEqual, k: nr(name), ifTrue: 'eperm' }) as const),
    { op: 'jump', code: jumpEqual, k: nr('clone3'), ifTrue: 'enosys' },
    { op: 'jump', code: jumpEqual, k: nr('clone'), ifTrue: 'clone', ifFalse: 'allow' },
    { op: 'label', name: 'clone' },
    // clone's flags are its first argument; namespace flags all sit in the low 32 bits.
    { op: 'load', offset: offsetArg0Low },
    { op: 'jump', code: jumpAnyBit, k: namespaceMask >>> 0, ifTrue: 'eperm', ifFalse: 'allow' },
    { op: 'label', name: 'allow' },
    { op: 'return', value: allow },
    { op: 'label', name: 'eperm' },
    { op: 'return', value: errno(EPERM) },
    { op: 'label', name: 'enosys' },
    { op: 'return', value: errno(ENOSYS) },
  ];
  return assemble(program);
}

/** Resolves labels to relative jump offsets and encodes each instruction in 8 bytes. */
function assemble(program: readonly Instruction[]): Buffer {
  const labels = new Map<string, number>();
  let index = 0;
  for (const instruction of program) {
    if (instruction.op === 'label') labels.set(instruction.name, index);
    else index += 1;
  }
  const out = Buffer.alloc(index * 8);
  index = 0;
  for (const instruction of program) {
    if (instruction.op === 'label') continue;
    const at = index * 8;
    index += 1;
    const offsetTo = (label: string | undefined): number => {
      if (label === undefined) return 0; // Fall through to the next instruction.
      const target = labels.get(label);
      if (target === undefined) throw new Error(`unknown label ${label}`);
      const offset = target - index;
      if (offset < 0 || offset > 255) throw new Error(`jump to ${label} out of range`);
      return offset;
    };
    switch (instruction.op) {
      case 'load':
        out.writeUInt16LE(loadWord, at);
        out.writeUInt32LE(instruction.offset, at + 4);
        break;
      case 'return':
        out.writeUInt16LE(returnValue, at);
        out.writeUInt32LE(instruction.value >>> 0, at + 4);
        break;
      case 'jump':
        out.writeUInt16LE(instruction.code, at);
        out.writeUInt8(offsetTo(instruction.ifTrue), at + 2);
        out.writeUInt8(offsetTo(instruction.ifFalse), at + 3);
        out.writeUInt32LE(instruction.k >>> 0, at + 4);
        break;
    }
  }
  return out;
}
