import { readFileSync, writeFileSync } from 'node:fs';

const files = {
  maxKeys: '/proc/sys/kernel/keys/maxkeys',
  maxBytes: '/proc/sys/kernel/keys/maxbytes',
} as const;

export interface KeyQuota {
  readonly maxKeys: number;
  readonly maxBytes: number;
}

/** The kernel's per-user key quota for users other than root (sysctl kernel.keys.maxkeys/maxbytes). */
export function readKeyQuota(): KeyQuota {
  return {
    maxKeys: Number(readFileSync(files.maxKeys, 'utf8')),
    maxBytes: Number(readFileSync(files.maxBytes, 'utf8')),
  };
}

/**
 * Raises the quota to at least `wanted` and returns a function that puts the old values back.
 *
 * runc gives every container's init, and every process it execs (each session shell), a new session
 * keyring owned by the sandbox's root — host uid 100000 for every sandbox — so all of them share
 * one user's quota: 200 keys by default, about 100 containers with one session on the whole host.
 */
export function raiseKeyQuota(wanted: KeyQuota): () => void {
  const before = readKeyQuota();
  writeFileSync(files.maxKeys, String(Math.max(before.maxKeys, wanted.maxKeys)));
  writeFileSync(files.maxBytes, String(Math.max(before.maxBytes, wanted.maxBytes)));
  let restored = false;
  return () => {
    if (restored) return;
    restored = true;
    writeFileSync(files.maxKeys, String(before.maxKeys));
    writeFileSync(files.maxBytes, String(before.maxBytes));
  };
}
