import type { Clock } from '../clock.js';
import type { SandboxDriver } from '../sandbox/sandbox-driver.js';
import type { Store } from '../store/store.js';

/** One readiness check's outcome; `error` says what failed, in words an operator can act on. */
export interface CheckOutcome {
  readonly status: 'ok' | 'failed';
  readonly error?: string;
}

/** What `GET /readyz` answers: ready only when every check is ok. Nothing in it is per tenant. */
export interface ReadinessReport {
  readonly status: 'ready' | 'not_ready';
  readonly checks: {
    /** The database accepts writes now. */
    readonly database: CheckOutcome;
    /** The sandbox driver can start sandboxes (`none` when containers are off: nothing to check). */
    readonly sandbox: CheckOutcome & { readonly driver: string };
    /** At least one model provider is configured. */
    readonly providers: CheckOutcome & { readonly count: number };
  };
}

export interface HealthServiceOptions {
  readonly store: Pick<Store, 'checkWritable'>;
  /** The driver containers run in, or undefined when containers are off. */
  readonly driver: SandboxDriver | undefined;
  readonly providerCount: number;
  readonly clock: Clock;
  /** Why the driver failed the most recent sandbox start, until one succeeds again. */
  readonly lastSandboxStartFailure?: () => string | undefined;
}

/**
 * How long a driver probe's outcome is reused. The readiness route needs no key, so without this
 * anyone could make the server start a process per request; a failure is kept briefly so recovery
 * shows within a second.
 */
const sandboxOkReuseMs = 10_000;
const sandboxFailedReuseMs = 1_000;

/**
 * Liveness and readiness for orchestrators and load balancers. Liveness is the process answering at
 * all; readiness is whether it can do its work now: write to its database, start sandboxes, reach a
 * model provider it knows of.
 */
export class HealthService {
  readonly #options: HealthServiceOptions;
  #sandbox: { outcome: Promise<CheckOutcome>; until: number } | undefined;

  constructor(options: HealthServiceOptions) {
    this.#options = options;
  }

  async ready(): Promise<ReadinessReport> {
    const [database, sandbox] = await Promise.all([this.#checkDatabase(), this.#checkSandbox()]);
    const count = this.#options.providerCount;
    const providers: CheckOutcome & { count: number } =
      count > 0 ? { status: 'ok', count } : { status: 'failed', count, error: NO_PROVIDER };
    const checks = {
      database,
      sandbox: { driver: this.#options.driver?.name ?? 'none', ...sandbox },
      providers,
    };
    const ready = [database, sandbox, providers].every((check) => check.status === 'ok');
    return { status: ready ? 'ready' : 'not_ready', checks };
  }

  async #checkDatabase(): Promise<CheckOutcome> {
    try {
      await this.#options.store.checkWritable();
      return { status: 'ok' };
    } catch (error) {
      return failed('The database does not accept writes', error);
    }
  }

  async #checkSandbox(): Promise<CheckOutcome> {
    const probed = await this.#probeDriver();
    const startFailure = this.#options.lastSandboxStartFailure?.();
    if (probed.status === 'ok' && startFailure !== undefined && this.#options.driver) {
      // The tool answers, yet the last real start failed (a missing privilege, a full disk): not ready
      // until a start succeeds (the warm pool keeps trying; so does the next request for a container).
      return failed(
        `The ${this.#options.driver.name} sandbox driver failed its last sandbox start`,
        startFailure,
      );
    }
    return probed;
  }

  #probeDriver(): Promise<CheckOutcome> {
    const { driver, clock } = this.#options;
    if (!driver) return Promise.resolve({ status: 'ok' });
    const now = clock.now();
    if (this.#sandbox && now < this.#sandbox.until) return this.#sandbox.outcome;
    // Concurrent checks share one probe: the entry is set before the probe settles.
    const entry = {
      until: Number.POSITIVE_INFINITY,
      outcome: Promise.resolve<CheckOutcome>({ status: 'ok' }),
    };
    entry.outcome = driver.probe().then(
      () => {
        entry.until = clock.now() + sandboxOkReuseMs;
        return { status: 'ok' } as const;
      },
      (error: unknown) => {
        entry.until = clock.now() + sandboxFailedReuseMs;
        return failed(`The ${driver.name} sandbox driver cannot start sandboxes`, error);
      },
    );
    this.#sandbox = entry;
    return entry.outcome;
  }
}

const NO_PROVIDER =
  'No model provider is configured: set OPENAI_API_KEY or ANTHROPIC_API_KEY, or list "providers" in the config.';

function failed(what: string, error: unknown): CheckOutcome {
  const why = error instanceof Error ? error.message : String(error);
  return { status: 'failed', error: `${what}: ${why}` };
}
