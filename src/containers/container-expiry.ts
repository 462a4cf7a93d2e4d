import { unixSeconds, type Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { ContainerStore } from '../store/store.js';

export interface ContainerExpiryOptions {
  /** Where the containers' records and activity are kept. */
  readonly store: ContainerStore;
  /** What "idle for longer than `expires_after`" is measured against. */
  readonly clock: Clock;
  /** Where a failed sweep is reported. */
  readonly logger: Logger;
  /** Whether commands or file transfers are under way in the container: it is not expired then. */
  readonly isBusy: (id: string) => boolean;
  /** Called for each container expired (the metrics count them). */
  readonly onExpired?: () => void;
  /** Removes the container's sandbox and files (its record stays, as `expired`). */
  readonly discard: (id: string) => Promise<void>;
  /** How often idle containers are looked for; 30 s by default. */
  readonly sweepIntervalMs?: number | undefined;
}

/**
 * Idle expiry (`expires_after`, anchored at `last_active_at`): a container idle for longer loses its
 * processes and files and its record says `expired`. Swept on a timer, and on demand.
 */
export class ContainerExpiry {
  readonly #options: ContainerExpiryOptions;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: ContainerExpiryOptions) {
    this.#options = options;
  }

  /** Expires containers idle for longer than their `expires_after`; answers how many. */
  async sweep(): Promise<number> {
    const { store } = this.#options;
    const now = unixSeconds(this.#options.clock);
    let expired = 0;
    for (const container of await store.listContainersByStatus('running')) {
      if (this.#options.isBusy(container.id)) continue;
      if (container.lastActiveAt + container.expiresAfterMinutes * 60 > now) continue;
      await this.#options.discard(container.id);
      await store.updateContainer(container.id, 'expired', container.lastActiveAt);
      expired += 1;
      this.#options.onExpired?.();
    }
    return expired;
  }

  /** Sweeps every `sweepIntervalMs` until `stop()`; the timer does not keep the process alive. */
  start(): void {
    this.#timer = setInterval(() => {
      this.sweep().catch((error: unknown) => {
        this.#options.logger.error('container expiry sweep failed', { error: String(error) });
      });
    }, this.#options.sweepIntervalMs ?? 30_000);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
