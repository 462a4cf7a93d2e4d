import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { isIP } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { systemClock, type Clock } from '../clock.js';
import { loadCompactionKey } from '../engine/compaction/compaction-key.js';
import { createCompactionSealer, type CompactionSealer } from '../engine/compaction/compaction-sealer.js';
import { createReasoningSealer, type ReasoningSealer } from '../engine/reasoning-sealer.js';
import type { BerthConfig } from '../config/config-schema.js';
import { ConversationService } from '../engine/conversation-service.js';
import { ModelCatalog } from '../engine/model-catalog.js';
import { ResponseService } from '../engine/response-service.js';
import { ContainerService } from '../containers/container-service.js';
import { FileService } from '../files/file-service.js';
import { HealthService } from '../health/health-service.js';
import { createRandomIdGenerator, type IdGenerator } from '../ids.js';
import { ApiKeyService } from '../keys/api-key-service.js';
import { silentLogger, type Logger } from '../logger.js';
import { createMetrics, type Metrics } from '../metrics.js';
import { noTracing, type Tracing } from '../tracing.js';
import type { ModelProvider } from '../providers/model-provider.js';
import { createProvider, createProviderRegistry } from '../providers/provider-registry.js';
import type { AppContext } from '../server/app-context.js';
import { closeWithin, trackConnections } from '../server/close-server.js';
import { createMetricsServer } from '../server/metrics-server.js';
import { createServer } from '../server/create-server.js';
import { resolveImage } from '../sandbox/resolve-image.js';
import { selectDriver, type DriverChoice } from '../sandbox/select-driver.js';
import { useResidentSpawner } from '../sandbox/spawner/spawn-process.js';
import { containerNetwork } from './container-network.js';
import { instrumentStore } from './instrument-store.js';
import { SkillService } from '../skills/skill-service.js';
import { openSqliteStore } from '../store/sqlite/sqlite-store.js';
import type { Store } from '../store/store.js';

export interface RuntimeOptions {
  readonly logger?: Logger;
  /** Where the server's metrics go (a registry of its own by default). */
  readonly metrics?: Metrics;
  /** Where spans go (none by default; `berth serve` sets it from the OTEL_* environment). */
  readonly tracing?: Tracing;
  readonly clock?: Clock;
  readonly ids?: IdGenerator;
}

/** A running Berth server. */
export interface Runtime {
  /** The base URL clients use, for example `http://127.0.0.1:8787/v1`. */
  readonly url: string;
  /** Where `/metrics` is served when it has a listener of its own (`metrics.listen`), else null. */
  readonly metricsUrl: string | null;
  /** True when requests are accepted without a key (no key exists and the address is loopback). */
  readonly keyless: boolean;
  readonly app: FastifyInstance;
  readonly store: Store;
  /** The sandbox driver containers run in (or none), and why it was chosen. */
  readonly sandbox: DriverChoice;
  readonly containers: ContainerService;
  /** Ends in-flight streams with an error event, records them, closes the server and the database. */
  close(): Promise<void>;
}

export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

/** The file the SQLite store lives in, inside the data directory. */
export function databasePath(dataDir: string): string {
  return join(dataDir, 'berth.sqlite');
}

/** Opens the data directory, creating it readable by its owner only (it holds key hashes and history). */
export function openDataDirectoryStore(dataDir: string): Promise<Store> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  return openSqliteStore(databasePath(dataDir));
}

/**
 * Composes Berth from its configuration — store, providers, engine, server — and starts listening.
 * This is the one place where the parts are wired together.
 *
 * @example
 * const runtime = await startRuntime(loadConfig({}));
 * console.log(runtime.url);
 */
export async function startRuntime(config: BerthConfig, options: RuntimeOptions = {}): Promise<Runtime> {
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? systemClock;
  const ids = options.ids ?? createRandomIdGenerator();
  const metrics = options.metrics ?? createMetrics();
  const tracing = options.tracing ?? noTracing;
  const store = instrumentStore(await openDataDirectoryStore(config.dataDir), metrics);
  const loopback = isLoopback(config.host);
  const keys = new ApiKeyService({ store: store.apiKeys, ids, clock });
  const keyless = (await keys.count()) === 0;
  if (keyless && !loopback) {
    await store.close();
    throw new StartupError(
      `Refusing to listen on ${config.host} without API keys: anyone who can reach it could use your providers. ` +
        'Create a key with `berth keys create --name NAME`, or listen on 127.0.0.1.',
    );
  }
  let compactionSealer: CompactionSealer;
  let reasoningSealer: ReasoningSealer;
  try {
    // One server key seals compaction items and reasoning state, each under its own derived key.
    const serverKey = loadCompactionKey(config.compaction.keyFile, config.dataDir);
    compactionSealer = createCompactionSealer(serverKey);
    reasoningSealer = createReasoningSealer(serverKey);
  } catch (error) {
    await store.close();
    throw new StartupError(error instanceof Error ? error.message : String(error));
  }
  const providerInstances: ModelProvider[] = config.providers.map(createProvider);
  const providers = createProviderRegistry(providerInstances, config.defaultProvider);
  const files = new FileService({
    store: store.files,
    ids,
    clock,
    logger,
    directory: join(config.dataDir, 'files'),
    maxBytes: config.files.maxBytes,
  });
  const skills = new SkillService({
    store: store.skills,
    ids,
    clock,
    logger,
    directory: join(config.dataDir, 'skills'),
  });
  let sandbox: DriverChoice;
  try {
    sandbox = await selectDriver(config.sandbox, config.dataDir);
  } catch (error) {
    await store.close();
    throw new StartupError(error instanceof Error ? error.message : String(error));
  }
  // Sandbox processes start from a small resident process, forked now while this one is small: a fork
  // from the server itself stalls its event loop for as long as copying its page tables takes.
  const releaseSpawner = sandbox.driver ? useResidentSpawner() : () => undefined;
  const containers = new ContainerService({
    store: store.containers,
    egressLog: store.egressLog,
    network: sandbox.driver && containerNetwork(config),
    files,
    skills,
    driver: sandbox.driver,
    config: config.sandbox,
    directory: join(config.dataDir, 'sandbox'),
    resolveImage: (name) => resolveImage(config.dataDir, name),
    ids,
    clock,
    logger,
    metrics,
    tracing,
  });
  const responses = new ResponseService({
    store,
    providers,
    compactionSealer,
    reasoningSealer,
    ids,
    clock,
    logger,
    metrics,
    tracing,
    containers,
    unknownParameters: config.requests.unknownParameters,
    hostedToolsUnsupported: config.hostedTools.unsupported,
  });
  const context: AppContext = {
    keys,
    responses,
    conversations: new ConversationService({ store: store.conversations, ids, clock, compactionSealer }),
    models: new ModelCatalog({ providers, logger }),
    files,
    containers,
    skills,
    health: new HealthService({
      store,
      driver: sandbox.driver,
      providerCount: providerInstances.length,
      clock,
      lastSandboxStartFailure: () => containers.lastSandboxStartFailure,
    }),
    dataDir: config.dataDir,
    jsonShapeLimits: {
      maxDepth: config.requests.maxJsonDepth,
      maxArrayLength: config.requests.maxArrayLength,
    },
    ids,
    clock,
    logger,
    metrics,
    metricsConfig: config.metrics,
  };
  const app = await createServer(context, {
    bodyLimitBytes: config.bodyLimitBytes,
    keylessAllowed: loopback,
  });
  const sockets = trackConnections(app);
  const metricsListen = config.metrics.enabled ? config.metrics.listen : null;
  const metricsApp = metricsListen ? createMetricsServer(context) : undefined;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      // In-flight responses end first (streams get an error event, each is recorded failed), then
      // the connections get the grace to finish before they are cut.
      await responses.close();
      await closeWithin(app, sockets, config.shutdownGraceMs);
      // A scrape takes milliseconds and holds no stream: the metrics listener just closes.
      await metricsApp?.close();
      await containers.close();
      releaseSpawner();
      await files.close();
      await providers.close();
      await store.close();
      // Last, so the spans of everything that ended above are exported.
      await tracing.shutdown();
    })();
    return closing;
  };
  await responses.recover();
  await files.start();
  await skills.start();
  await containers.start();
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await close();
    throw new StartupError(listenProblem(error, config.host, config.port));
  }
  let metricsUrl: string | null = null;
  if (metricsApp && metricsListen) {
    try {
      await metricsApp.listen({ host: metricsListen.host, port: metricsListen.port });
    } catch (error) {
      await close();
      throw new StartupError(
        `metrics.listen: ${listenProblem(error, metricsListen.host, metricsListen.port)}`,
      );
    }
    metricsUrl = `${origin(metricsApp, metricsListen.host, metricsListen.port)}/metrics`;
  }

  return {
    url: `${origin(app, config.host, config.port)}/v1`,
    metricsUrl,
    keyless,
    app,
    store,
    sandbox,
    containers,
    close,
  };
}

/** `http://host:port` of a listening server, with the port it got (for port 0) and IPv6 bracketed. */
function origin(server: FastifyInstance, configuredHost: string, configuredPort: number): string {
  const address = server.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : configuredPort;
  const host = isIP(configuredHost) === 6 ? `[${configuredHost}]` : configuredHost;
  return `http://${host}:${port}`;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Why the server could not listen, in words that say what to do. */
function listenProblem(error: unknown, host: string, port: number): string {
  switch ((error as NodeJS.ErrnoException).code) {
    case 'EADDRINUSE':
      return `port ${port} on ${host} is already in use (another Berth?): stop what holds it, or choose another port with --port or "port" in the config.`;
    case 'EACCES':
      return `not allowed to listen on ${host}:${port} (ports below 1024 need privileges): choose another port with --port.`;
    case 'EADDRNOTAVAIL':
      return `${host} is not an address of this machine: choose another with --host.`;
    case undefined:
    default:
      return `could not listen on ${host}:${port}: ${error instanceof Error ? error.message : String(error)}`;
  }
}
