import { publicNetworkPolicy } from '../network/egress-policy.js';
import type { StoredContainer, StoredContainerFile } from '../store/store.js';

/** OpenAI's memory tiers and the memory cgroup limit each maps to. */
export const memoryLimits = {
  '1g': 1024 ** 3,
  '4g': 4 * 1024 ** 3,
  '16g': 16 * 1024 ** 3,
  '64g': 64 * 1024 ** 3,
} as const;
export type MemoryLimit = keyof typeof memoryLimits;

/** The Container object as the Containers API serves it. */
export function toContainerObject(container: StoredContainer): Record<string, unknown> {
  return {
    id: container.id,
    object: 'container',
    name: container.name,
    created_at: container.createdAt,
    status: container.status,
    expires_after: { anchor: 'last_active_at', minutes: container.expiresAfterMinutes },
    last_active_at: container.lastActiveAt,
    memory_limit: container.memoryLimit,
    network_policy: publicNetworkPolicy(container.networkPolicy),
  };
}

/** The ContainerFile object. */
export function toContainerFileObject(file: StoredContainerFile): Record<string, unknown> {
  return {
    id: file.id,
    object: 'container.file',
    created_at: file.createdAt,
    bytes: file.bytes,
    container_id: file.containerId,
    path: file.path,
    source: file.source,
  };
}
