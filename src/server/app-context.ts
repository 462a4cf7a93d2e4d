import type { Clock } from '../clock.js';
import type { ContainerService } from '../containers/container-service.js';
import type { ConversationService } from '../engine/conversation-service.js';
import type { ModelCatalog } from '../engine/model-catalog.js';
import type { ResponseService } from '../engine/response-service.js';
import type { FileService } from '../files/file-service.js';
import type { HealthService } from '../health/health-service.js';
import type { IdGenerator } from '../ids.js';
import type { ApiKeyService } from '../keys/api-key-service.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { MetricsConfig } from '../config/config-schema.js';
import type { SkillService } from '../skills/skill-service.js';
import type { JsonShapeLimits } from '../validation/json-shape-limits.js';

/**
 * What the HTTP routes work with: the services, one call per route; built once in `startRuntime`.
 * Routes never reach the store, a provider or a sandbox but through these.
 */
export interface AppContext {
  /** API keys: the auth hook looks each request's key up here. */
  readonly keys: ApiKeyService;
  /** The Responses API: create, retrieve, replay, cancel, delete, input items, tokens, compact, tool calls. */
  readonly responses: ResponseService;
  /** The Conversations API: conversations and their items. */
  readonly conversations: ConversationService;
  /** The models the configured providers offer. */
  readonly models: ModelCatalog;
  /** The Files API. */
  readonly files: FileService;
  /** The Containers API, its files and exec. */
  readonly containers: ContainerService;
  /** The Skills API. */
  readonly skills: SkillService;
  /** Liveness and readiness, for `/healthz` and `/readyz`. */
  readonly health: HealthService;
  /** The data directory (for staging uploads beside the data they become). */
  readonly dataDir: string;
  /** How deep and wide a JSON body or WebSocket message may be. */
  readonly jsonShapeLimits: JsonShapeLimits;
  /** Mints request ids. */
  readonly ids: IdGenerator;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Prometheus metrics: HTTP requests are counted by the server, the rest by the services. */
  readonly metrics: Metrics;
  /** Whether `/metrics` is served, and the token scrapers must send. */
  readonly metricsConfig: MetricsConfig;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The project of the authenticated key (set by the auth hook). */
    projectId: string;
  }
  interface FastifyContextConfig {
    /** The route needs no API key (health probes); it must say nothing about any project. */
    public?: boolean;
  }
}
