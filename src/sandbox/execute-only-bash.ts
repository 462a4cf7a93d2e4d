import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, rename } from 'node:fs/promises';
import type { SandboxImage } from './sandbox-driver.js';

/**
 * An execute-only (mode 0111, owned by the host's root) copy of the image's bash, which every session
 * shell runs from. The kernel marks a process that execs a binary it cannot read as non-dumpable, so no
 * command in the session can read the shell's memory (its frame nonce) through /proc/PID/mem or take its
 * status descriptor with pidfd_getfd — which, shown in docs/research/persistent-shell-session.md, would
 * let a command forge its exit status. A launcher cannot get the same effect with PR_SET_DUMPABLE: execve
 * resets it.
 */
export async function ensureExecuteOnlyBash(binDir: string, image: SandboxImage): Promise<string> {
  const target = `${binDir}/bash-${image.name}`;
  if (existsSync(target)) return target;
  await mkdir(binDir, { recursive: true, mode: 0o711 });
  const source = image.bindHostUsr ? '/usr/bin/bash' : `${image.rootfs}/usr/bin/bash`;
  const partial = `${target}.${randomBytes(8).toString('hex')}.partial`;
  await copyFile(source, partial);
  await chmod(partial, 0o111);
  await rename(partial, target);
  return target;
}
