/**
 * The persistence seam. Every backend (SQLite embedded today, Postgres for several replicas later)
 * implements this interface and passes the shared contract suite in `store-contract.ts`.
 *
 * Every read and write is scoped by `projectId`: an object of another project is indistinguishable
 * from one that does not exist.
 */
export interface Store {
  /** Creates or replaces a response and, in the same transaction, its items, events and conversation items. */
  writeResponse(write: ResponseWrite): Promise<void>;
  /** The response as last written, or undefined (unknown id, or another project's). */
  getResponse(projectId: string, id: string): Promise<StoredResponse | undefined>;
  /** Deletes a response with its items, events and tool-call log; false when there was nothing to delete. */
  deleteResponse(projectId: string, id: string): Promise<boolean>;
  /**
   * The context a response continues from: the input and output items of the response and of every
   * response before it in its `previous_response_id` chain, oldest first. Undefined if the id is unknown.
   */
  loadChainItems(projectId: string, id: string): Promise<readonly StoredItem[] | undefined>;
  /** One page of a response's own input items. Undefined if the response is unknown. */
  listInputItems(projectId: string, id: string, page: PageRequest): Promise<Page<StoredItem> | undefined>;
  /** Recorded stream events with `sequence_number` greater than `startingAfter`, in order. */
  listResponseEvents(responseId: string, startingAfter: number): Promise<readonly StoredEvent[]>;
  /** Responses left `queued` or `in_progress` (what a restart must resume or fail). */
  listUnfinishedResponses(): Promise<readonly StoredResponse[]>;

  createConversation(conversation: StoredConversation, items: readonly StoredItem[]): Promise<void>;
  getConversation(projectId: string, id: string): Promise<StoredConversation | undefined>;
  updateConversationMetadata(
    projectId: string,
    id: string,
    metadata: Readonly<Record<string, string>>,
  ): Promise<StoredConversation | undefined>;
  deleteConversation(projectId: string, id: string): Promise<boolean>;
  /** Appends items; false when the conversation is unknown. */
  appendConversationItems(projectId: string, id: string, items: readonly StoredItem[]): Promise<boolean>;
  /** All of a conversation's items, oldest first. Undefined if the conversation is unknown. */
  loadConversationItems(projectId: string, id: string): Promise<readonly StoredItem[] | undefined>;
  listConversationItems(
    projectId: string,
    id: string,
    page: PageRequest,
  ): Promise<Page<StoredItem> | undefined>;
  getConversationItem(projectId: string, id: string, itemId: string): Promise<StoredItem | undefined>;
  deleteConversationItem(projectId: string, id: string, itemId: string): Promise<boolean>;

  createApiKey(key: StoredApiKey): Promise<void>;
  /** The unrevoked key with this hash, or undefined. */
  findApiKeyByHash(hash: string): Promise<StoredApiKey | undefined>;
  listApiKeys(): Promise<readonly StoredApiKey[]>;
  /** Revokes by id or by name; false when no unrevoked key matched. */
  revokeApiKey(idOrName: string, revokedAt: number): Promise<boolean>;
  /**
   * Number of keys ever created, revoked ones included: keyless mode is for a server that never had a
   * key, so revoking the last key locks the server rather than opening it.
   */
  countApiKeys(): Promise<number>;

  /** Records an uploaded file's metadata (its bytes live in the blob directory, not here). */
  createFile(file: StoredFile): Promise<void>;
  /** The file's metadata, expired or not, or undefined (unknown id, or another project's). */
  getFile(projectId: string, id: string): Promise<StoredFile | undefined>;
  /** One page of a project's files not expired at `query.now`, in upload order, optionally of one purpose. */
  listFiles(projectId: string, query: FileListQuery): Promise<Page<StoredFile>>;
  /** Deletes a file's metadata; false when there was nothing to delete. */
  deleteFile(projectId: string, id: string): Promise<boolean>;
  /** Files of every project whose `expiresAt` is at or before `now`, oldest expiry first (for the sweep). */
  listExpiredFiles(now: number, limit: number): Promise<readonly StoredFile[]>;
  /** Which of `ids` have metadata, in any project (for the start-up sweep of orphaned blobs). */
  findRecordedFileIds(ids: readonly string[]): Promise<ReadonlySet<string>>;

  createContainer(container: StoredContainer): Promise<void>;
  /** The container in any status, or undefined (unknown id, or another project's). */
  getContainer(projectId: string, id: string): Promise<StoredContainer | undefined>;
  /** One page of a project's containers in creation order, optionally only those with `name`. */
  listContainers(projectId: string, query: ContainerListQuery): Promise<Page<StoredContainer>>;
  updateContainer(id: string, status: ContainerStatus, lastActiveAt: number): Promise<void>;
  /** Deletes a container with its file records; false when there was nothing to delete. */
  deleteContainer(projectId: string, id: string): Promise<boolean>;
  /** Containers of every project in one status (the expiry sweep and start-up recovery). */
  listContainersByStatus(status: ContainerStatus): Promise<readonly StoredContainer[]>;
  countContainers(projectId: string, status: ContainerStatus): Promise<number>;
  /** Records a file in a container, or updates its size when its path is already recorded. */
  putContainerFile(file: StoredContainerFile): Promise<void>;
  getContainerFile(containerId: string, id: string): Promise<StoredContainerFile | undefined>;
  listContainerFiles(containerId: string, page: PageRequest): Promise<Page<StoredContainerFile>>;
  /** Every file record of a container, in creation order. */
  allContainerFiles(containerId: string): Promise<readonly StoredContainerFile[]>;
  deleteContainerFile(containerId: string, id: string): Promise<boolean>;

  /**
   * Records one command a hosted shell call ran, as it finishes. The response need not be written
   * yet (a foreground response is written only when it ends); its log goes when it is deleted.
   */
  recordToolCall(record: ToolCallRecord): Promise<void>;
  /**
   * One page of a response's tool-call log, ordered by start time then command index (`asc` is
   * oldest first). Does not check that the response exists: callers answer 404 for that.
   */
  listToolCalls(projectId: string, responseId: string, page: PageRequest): Promise<Page<ToolCallRecord>>;

  /** Records a new skill with its first version (number 1, the default). */
  createSkill(skill: NewSkill, version: NewSkillVersion): Promise<StoredSkill>;
  /** The skill, or undefined (unknown id, or another project's). */
  getSkill(projectId: string, id: string): Promise<StoredSkill | undefined>;
  /** One page of a project's skills in creation order. */
  listSkills(projectId: string, page: PageRequest): Promise<Page<StoredSkill>>;
  /** Deletes a skill with every version; the deleted versions, or undefined when there was no skill. */
  deleteSkill(projectId: string, id: string): Promise<readonly StoredSkillVersion[] | undefined>;
  /**
   * Adds a version numbered one past the highest ever given (numbers are never reused), the default
   * when `makeDefault`. Undefined when the skill is unknown.
   */
  addSkillVersion(
    projectId: string,
    skillId: string,
    version: NewSkillVersion,
    makeDefault: boolean,
  ): Promise<StoredSkillVersion | undefined>;
  getSkillVersion(
    projectId: string,
    skillId: string,
    version: number,
  ): Promise<StoredSkillVersion | undefined>;
  /** One page of a skill's versions by version number; undefined when the skill is unknown. */
  listSkillVersions(
    projectId: string,
    skillId: string,
    page: PageRequest,
  ): Promise<Page<StoredSkillVersion> | undefined>;
  /**
   * Makes `version` the default (the skill's name and description follow it); undefined when the
   * skill or the version is unknown.
   */
  setSkillDefaultVersion(
    projectId: string,
    skillId: string,
    version: number,
  ): Promise<StoredSkill | undefined>;
  /** Deletes one version (never the default: callers check); false when there was nothing to delete. */
  deleteSkillVersion(projectId: string, skillId: string, version: number): Promise<boolean>;
  /** Every version id recorded, in any project (the start-up sweep of orphaned bundle directories). */
  listSkillVersionIds(): Promise<ReadonlySet<string>>;

  /** Flushes and closes the backend. */
  close(): Promise<void>;
}

/** A JSON object as stored: an OpenAI-shaped item, response or event. */
export type JsonObject = { readonly [key: string]: unknown };

/** An item with the id it is listed under. */
export interface StoredItem {
  readonly id: string;
  readonly item: JsonObject;
}

export type ResponseStatus = 'queued' | 'in_progress' | 'completed' | 'failed' | 'cancelled' | 'incomplete';

export interface StoredResponse {
  readonly id: string;
  readonly projectId: string;
  readonly status: ResponseStatus;
  readonly createdAt: number;
  readonly previousResponseId: string | null;
  readonly conversationId: string | null;
  readonly background: boolean;
  /** True when the stream events were recorded, so `?stream=true` can replay them. */
  readonly eventsRecorded: boolean;
  /** The OpenAI Response object as served. */
  readonly body: JsonObject;
  /** What a restart needs to resume the work (the create request), for background responses. */
  readonly request: JsonObject | null;
}

export interface StoredEvent {
  readonly sequenceNumber: number;
  readonly event: JsonObject;
}

export interface ResponseWrite {
  readonly response: StoredResponse;
  /** The request's input items: written with the first write of a response, ignored after. */
  readonly inputItems?: readonly StoredItem[];
  /** The output items: replace whatever was stored before. */
  readonly outputItems?: readonly StoredItem[];
  /** Stream events to append. */
  readonly events?: readonly StoredEvent[];
  /** Items to append to a conversation in the same transaction. */
  readonly conversationItems?: { readonly conversationId: string; readonly items: readonly StoredItem[] };
}

export interface StoredConversation {
  readonly id: string;
  readonly projectId: string;
  readonly createdAt: number;
  readonly metadata: Readonly<Record<string, string>>;
}

export interface StoredApiKey {
  readonly id: string;
  readonly name: string;
  readonly projectId: string;
  /** SHA-256 of the secret, hex. The secret itself is never stored. */
  readonly hash: string;
  /** The first characters of the secret, to recognise a key in `keys list`. */
  readonly prefix: string;
  readonly createdAt: number;
  readonly revokedAt: number | null;
}

/** An uploaded file's metadata, as the Files API serves it. */
export interface StoredFile {
  /** `file-…`; also the name of its blob, so the client's filename never reaches a filesystem path. */
  readonly id: string;
  readonly projectId: string;
  /** The client's filename, reduced to a safe basename; for display only. */
  readonly filename: string;
  readonly purpose: string;
  readonly bytes: number;
  /** Unix seconds. */
  readonly createdAt: number;
  /** Unix seconds after which the file is gone, or null to keep it until deleted. */
  readonly expiresAt: number | null;
}

export interface FileListQuery extends PageRequest {
  /** Only files of this purpose. */
  readonly purpose?: string | undefined;
  /** Unix seconds: files expired at this time are left out. */
  readonly now: number;
}

/** Cursor pagination exactly as OpenAI's lists: `after` is the id of the last item already seen. */
export interface PageRequest {
  readonly after?: string | undefined;
  readonly limit: number;
  readonly order: 'asc' | 'desc';
}

export interface Page<T> {
  readonly data: readonly T[];
  readonly hasMore: boolean;
}

/** `running` while usable; `expired` after its idle time ran out (its files are gone). */
export type ContainerStatus = 'running' | 'expired';

export interface StoredContainer {
  /** `cntr_…`. */
  readonly id: string;
  readonly projectId: string;
  readonly name: string;
  readonly status: ContainerStatus;
  /** Unix seconds. */
  readonly createdAt: number;
  readonly lastActiveAt: number;
  readonly expiresAfterMinutes: number;
  /** `1g`, `4g`, `16g` or `64g`. */
  readonly memoryLimit: string;
  readonly networkPolicy: { readonly type: 'disabled' };
  /** The image the container's root was made from (`host`, `debian`). */
  readonly image: string;
  /** The skills mounted at `/skills/<name>`, in the order they were attached. */
  readonly skills: readonly AttachedSkill[];
}

/** A skill attached to a container: what the model is told about it, and where it came from. */
export interface AttachedSkill {
  /** The folder under `/skills` (the SKILL.md front matter's `name`, or the inline skill's). */
  readonly name: string;
  readonly description: string;
  /** The skill and version number it was copied from; null for an inline skill. */
  readonly skillId: string | null;
  readonly version: number | null;
}

export interface ContainerListQuery extends PageRequest {
  readonly name?: string | undefined;
}

export interface StoredContainerFile {
  /** `cfile_…`. */
  readonly id: string;
  readonly containerId: string;
  /** Absolute path inside the container, under /mnt/data. */
  readonly path: string;
  readonly source: 'user' | 'assistant';
  readonly bytes: number;
  readonly createdAt: number;
}

/** One command a hosted shell call ran: the tool-call log's row. */
export interface ToolCallRecord {
  /** `tcl_…`. */
  readonly id: string;
  readonly projectId: string;
  readonly responseId: string;
  /** The shell_call's `call_id`. */
  readonly callId: string;
  /** The shell_call item's id (`sh_…`). */
  readonly itemId: string;
  /** Position in `shell_call.action.commands`. */
  readonly commandIndex: number;
  readonly command: string;
  readonly containerId: string;
  /** The container shell session it ran in. */
  readonly session: string;
  /** Epoch milliseconds. */
  readonly startedAt: number;
  /** Epoch milliseconds. */
  readonly endedAt: number;
  readonly outcome: { readonly type: 'exit'; readonly exitCode: number } | { readonly type: 'timeout' };
  /** Bytes the command wrote to stdout, before any output cap. */
  readonly stdoutBytes: number;
  /** Bytes the command wrote to stderr, before any output cap. */
  readonly stderrBytes: number;
}

/** A skill as the Skills API serves it (`default_version` and `latest_version` as numbers here). */
export interface StoredSkill {
  /** `skill_…`. */
  readonly id: string;
  readonly projectId: string;
  /** The default version's front matter `name` and `description`. */
  readonly name: string;
  readonly description: string;
  readonly createdAt: number;
  readonly defaultVersion: number;
  /** The highest version number that still exists. */
  readonly latestVersion: number;
}

export interface NewSkill {
  readonly id: string;
  readonly projectId: string;
  readonly createdAt: number;
}

/** One immutable version of a skill; its files are on disk, named by `id`. */
export interface StoredSkillVersion {
  /** `skillver_…`. */
  readonly id: string;
  readonly skillId: string;
  readonly version: number;
  readonly name: string;
  readonly description: string;
  readonly createdAt: number;
}

export type NewSkillVersion = Omit<StoredSkillVersion, 'version' | 'skillId'>;
