/** One egress decision, as the proxy reports it to whoever keeps the egress log. */
export interface EgressRecord {
  /** When the connection was asked for (ms since the epoch). */
  readonly at: number;
  /** `CONNECT` (an HTTPS or other tunnel), an HTTP method (a proxied plain-HTTP request) or `SOCKS`. */
  readonly method: string;
  /** The host as it was asked for (a name, or an address for an IP literal). */
  readonly host: string;
  readonly port: number;
  readonly allowed: boolean;
  /** Why it was refused (null when allowed and it worked). */
  readonly reason: string | null;
  /** The address connected to (or refused), when the name got that far. */
  readonly address: string | null;
  /** For plain HTTP: the upstream's status; for a refusal: the status the proxy answered. */
  readonly status: number | null;
  /**
   * Bytes from the sandbox to the upstream, and back: as tunnelled, or for an intercepted connection
   * the HTTP bodies carried (its headers are rewritten on the way).
   */
  readonly bytesOut: number;
  readonly bytesIn: number;
  /** True when the proxy terminated TLS to put a domain secret in. */
  readonly intercepted: boolean;
}

/** Receives every record; it must not throw. */
export type EgressRecorder = (record: EgressRecord) => void;
