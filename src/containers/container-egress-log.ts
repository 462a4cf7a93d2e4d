import type { IdGenerator } from '../ids.js';
import type { Logger } from '../logger.js';
import type { EgressRecord } from '../network/egress-record.js';
import type { EgressLogEntry, EgressLogStore, Page, PageRequest } from '../store/store.js';
import type { ExecOrigin } from './shell-host.js';

/**
 * Containers' egress logs: every decision of every container's proxy, written to the store with the
 * project it belongs to and, when exactly one response's shell call was running commands in the
 * container at the time, that call. (Two calls running side by side in separate sessions cannot be
 * told apart by the proxy, which sees only connections: such entries name no call.)
 */
export class ContainerEgressLog {
  readonly #store: EgressLogStore;
  readonly #ids: IdGenerator;
  readonly #logger: Logger;
  /** The project of each container whose sandbox is live (pooled sandboxes have none yet). */
  readonly #projects = new Map<string, string>();
  /**
   * Per container, when each shell call's commands ran (`end` unset while they run), newest last. A
   * connection is recorded as it ends, often after the command that opened it exited, so it is
   * matched by when it was asked for.
   */
  readonly #runs = new Map<string, Run[]>();
  readonly #clock: () => number;

  constructor(store: EgressLogStore, ids: IdGenerator, logger: Logger, clock: () => number = Date.now) {
    this.#clock = clock;
    this.#store = store;
    this.#ids = ids;
    this.#logger = logger;
  }

  /** Entries of the container's proxy go to `projectId` from now on. */
  attach(containerId: string, projectId: string): void {
    this.#projects.set(containerId, projectId);
  }

  /** Runs `work` (commands of `origin`) with the container's connections attributed to it. */
  async whileRunning<T>(
    containerId: string,
    origin: ExecOrigin | undefined,
    work: () => Promise<T>,
  ): Promise<T> {
    if (origin === undefined) return work();
    let runs = this.#runs.get(containerId);
    if (!runs) this.#runs.set(containerId, (runs = []));
    const run: Run = { origin, start: this.#clock(), end: undefined };
    runs.push(run);
    // Connections outlive their command by moments, not minutes: a short history is enough.
    if (runs.length > keptRuns) runs.splice(0, runs.length - keptRuns);
    try {
      return await work();
    } finally {
      run.end = this.#clock();
    }
  }

  /** Writes one decision of the container's proxy. Never throws: the proxy must not fail for the log. */
  record(containerId: string, record: EgressRecord): void {
    const projectId = this.#projects.get(containerId);
    if (projectId === undefined) {
      this.#logger.warn('egress from a sandbox not yet given to a container', {
        container: containerId,
        host: record.host,
      });
      return;
    }
    const origin = this.#originAt(containerId, record.at);
    const entry: EgressLogEntry = {
      id: this.#ids.next('egr'),
      projectId,
      containerId,
      responseId: origin?.responseId ?? null,
      callId: origin?.callId ?? null,
      ...record,
    };
    this.#store.recordEgress(entry).catch((error: unknown) => {
      this.#logger.error('could not write an egress log entry', {
        container: containerId,
        error: String(error),
      });
    });
  }

  /** Forgets a container that is gone (its entries went with its record). */
  forget(containerId: string): void {
    this.#projects.delete(containerId);
    this.#runs.delete(containerId);
  }

  /** The one shell call whose commands were running at `at`, if exactly one call was. */
  #originAt(containerId: string, at: number): ExecOrigin | undefined {
    const calls = new Map<string, ExecOrigin>();
    for (const run of this.#runs.get(containerId) ?? []) {
      if (run.start <= at && (run.end === undefined || at <= run.end))
        calls.set(`${run.origin.responseId}\n${run.origin.callId}`, run.origin);
    }
    return calls.size === 1 ? [...calls.values()][0] : undefined;
  }

  list(
    projectId: string,
    containerId: string,
    page: PageRequest & { readonly callId?: string | undefined },
  ): Promise<Page<EgressLogEntry>> {
    return this.#store.listEgress(projectId, containerId, page);
  }
}

/** How many recent shell-call runs per container are kept to attribute connections by. */
const keptRuns = 64;

interface Run {
  readonly origin: ExecOrigin;
  readonly start: number;
  end: number | undefined;
}
