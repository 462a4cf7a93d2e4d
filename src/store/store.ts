import type { ApiKeyStore } from './api-key-store.js';
import type { ContainerStore } from './container-store.js';
import type { ConversationStore } from './conversation-store.js';
import type { FileStore } from './file-store.js';
import type { ResponseStore } from './response-store.js';
import type { SkillStore } from './skill-store.js';
import type { ToolCallStore } from './tool-call-store.js';
import type { EgressLogStore } from './egress-log-store.js';

export type { ApiKeyStore, StoredApiKey } from './api-key-store.js';
export type {
  AttachedSkill,
  ContainerListQuery,
  ContainerStatus,
  ContainerStore,
  StoredContainer,
  StoredContainerFile,
} from './container-store.js';
export type { ConversationStore, StoredConversation } from './conversation-store.js';
export type { FileListQuery, FileStore, StoredFile } from './file-store.js';
export type { Page, PageRequest } from './page.js';
export type {
  ResponseFilter,
  ResponseStatus,
  ResponseStore,
  ResponseWrite,
  StoredEvent,
  StoredResponse,
} from './response-store.js';
export type {
  NewSkill,
  NewSkillVersion,
  SkillStore,
  StoredSkill,
  StoredSkillVersion,
} from './skill-store.js';
export type { JsonObject, StoredItem } from './stored-item.js';
export type { ToolCallRecord, ToolCallStore } from './tool-call-store.js';
export type { EgressLogEntry, EgressLogStore } from './egress-log-store.js';

/**
 * The persistence seam: one store per aggregate, all over the same database. Every backend (SQLite
 * embedded today, Postgres for several replicas later) implements each and passes the contract suites
 * in `test/contract/store/`. Services take only the stores they use (`FileService` gets `files`).
 *
 * Every project-scoped read and write is scoped by `projectId`: an object of another project is
 * indistinguishable from one that does not exist.
 *
 * @example
 * const store = await openSqliteStore(path);
 * await store.files.getFile(projectId, id);
 */
export interface Store {
  /** Responses, their items and events, chain loading, unfinished responses. */
  readonly responses: ResponseStore;
  /** Conversations and their items. */
  readonly conversations: ConversationStore;
  /** Uploaded files' metadata. */
  readonly files: FileStore;
  /** Containers and the files known in them. */
  readonly containers: ContainerStore;
  /** Skills and their versions. */
  readonly skills: SkillStore;
  /** API keys (hashes only). */
  readonly apiKeys: ApiKeyStore;
  /** The tool-call log of hosted shell calls. */
  readonly toolCalls: ToolCallStore;
  /** The egress log of containers' proxies. */
  readonly egressLog: EgressLogStore;
  /**
   * Resolves when the backend accepts writes right now (the readiness check): the database is open
   * read-write and its write lock can be taken within a short wait. Rejects, saying why, otherwise.
   * Nothing is written.
   */
  checkWritable(): Promise<void>;
  /** Flushes and closes the backend; every store above is unusable after. */
  close(): Promise<void>;
}
