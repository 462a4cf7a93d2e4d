import type { Clock } from '../clock.js';
import type { CompactionSealer } from '../engine/compaction/compaction-sealer.js';
import type { ResponseService } from '../engine/response-service.js';
import type { ContainerService } from '../containers/container-service.js';
import type { FileService } from '../files/file-service.js';
import type { IdGenerator } from '../ids.js';
import type { ApiKeyService } from '../keys/api-key-service.js';
import type { Logger } from '../logger.js';
import type { ProviderRegistry } from '../providers/provider-registry.js';
import type { SkillService } from '../skills/skill-service.js';
import type { Store } from '../store/store.js';

/** What the HTTP routes work with; built once in `startRuntime`. */
export interface AppContext {
  readonly store: Store;
  /** API keys: the auth hook looks each request's key up here. */
  readonly keys: ApiKeyService;
  readonly providers: ProviderRegistry;
  readonly responses: ResponseService;
  /** Seals and opens compaction items, under the server's compaction key. */
  readonly compactionSealer: CompactionSealer;
  readonly files: FileService;
  readonly containers: ContainerService;
  readonly skills: SkillService;
  /** The data directory (for staging uploads beside the data they become). */
  readonly dataDir: string;
  readonly ids: IdGenerator;
  readonly clock: Clock;
  readonly logger: Logger;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The project of the authenticated key (set by the auth hook). */
    projectId: string;
  }
}
