import type { EgressRecord } from '../network/egress-record.js';
import type { Page, PageRequest } from './page.js';

/** The egress log: one entry per connection a container asked its egress proxy for. */
export interface EgressLogStore {
  /**
   * Records one connection as it ends (or is refused). The container's record need not be read;
   * its log goes when it is deleted (`ContainerStore.deleteContainer`).
   */
  recordEgress(entry: EgressLogEntry): Promise<void>;
  /**
   * One page of a container's egress log, ordered by the time each connection was asked for (`asc`
   * is oldest first); only one hosted shell call's entries when `callId` is given. Does not check that
   * the container exists: callers answer 404 for that.
   */
  listEgress(
    projectId: string,
    containerId: string,
    page: PageRequest & { readonly callId?: string | undefined },
  ): Promise<Page<EgressLogEntry>>;
}

/** One egress decision as the egress log keeps it: the proxy's record, with whose it was. */
export interface EgressLogEntry extends EgressRecord {
  /** `egr_…`. */
  readonly id: string;
  readonly projectId: string;
  readonly containerId: string;
  /** The response and shell call whose command was running when it was asked for, if exactly one was. */
  readonly responseId: string | null;
  readonly callId: string | null;
}
