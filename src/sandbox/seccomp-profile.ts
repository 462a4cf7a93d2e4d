/**
 * The seccomp filter every sandbox process runs under (OCI `linux.seccomp`). It allows by default and
 * refuses, with EPERM, the system calls a sandboxed shell never needs and that are the usual ways out
 * of a container or into another process. It is a second layer: the sandbox also has no capabilities,
 * no_new_privs, its own user namespace and masked /proc paths.
 */
export const deniedSyscalls = [
  // Mounting and namespace changes: the sandbox's view of the filesystem and the host must not change.
  'mount',
  'umount2',
  'move_mount',
  'open_tree',
  'fsopen',
  'fsconfig',
  'fsmount',
  'fspick',
  'mount_setattr',
  'pivot_root',
  'chroot',
  'unshare',
  'setns',
  // Reading or writing another process's memory or file descriptors: the session's bash holds the
  // status channel, and a command that could reach it could forge its own exit status.
  'ptrace',
  'process_vm_readv',
  'process_vm_writev',
  'pidfd_getfd',
  'kcmp',
  // Kernel surface with a long history of privilege escalations.
  'bpf',
  'perf_event_open',
  'userfaultfd',
  'io_uring_setup',
  'io_uring_enter',
  'io_uring_register',
  'keyctl',
  'add_key',
  'request_key',
  // Host-wide effects.
  'init_module',
  'finit_module',
  'delete_module',
  'kexec_load',
  'kexec_file_load',
  'reboot',
  'swapon',
  'swapoff',
  'syslog',
  'acct',
  'settimeofday',
  'clock_settime',
  'clock_adjtime',
  'adjtimex',
  'open_by_handle_at',
  'name_to_handle_at',
  'quotactl',
  'lookup_dcookie',
  'nfsservctl',
  'vhangup',
] as const;

/**
 * CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET: creating namespaces (a nested user
 * namespace would hand out fresh capabilities).
 */
export const cloneNamespaceFlags = [
  0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000,
];

export function seccompProfile(): object {
  return {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: [
      'SCMP_ARCH_X86_64',
      'SCMP_ARCH_X86',
      'SCMP_ARCH_X32',
      'SCMP_ARCH_AARCH64',
      'SCMP_ARCH_ARM',
    ],
    syscalls: [
      { names: [...deniedSyscalls], action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
      // clone3 passes its flags in memory, where seccomp cannot look: make it unavailable (ENOSYS) so
      // the C library falls back to clone, whose flags the next rule checks.
      { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
      // One rule per flag (rules are alternatives): refuse clone when (flags & FLAG) == FLAG.
      ...cloneNamespaceFlags.map((flag) => ({
        names: ['clone'],
        action: 'SCMP_ACT_ERRNO',
        errnoRet: 1,
        args: [{ index: 0, value: flag, valueTwo: flag, op: 'SCMP_CMP_MASKED_EQ' }],
      })),
    ],
  };
}
