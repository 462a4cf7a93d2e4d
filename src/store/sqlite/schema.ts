/** Kysely's view of the SQLite tables (see migrations.ts for the DDL and the reasons behind it). */
export interface Database {
  responses: ResponsesTable;
  response_items: ResponseItemsTable;
  response_events: ResponseEventsTable;
  conversations: ConversationsTable;
  conversation_items: ConversationItemsTable;
  api_keys: ApiKeysTable;
  files: FilesTable;
  containers: ContainersTable;
  container_files: ContainerFilesTable;
  tool_calls: ToolCallsTable;
  egress_log: EgressLogTable;
  skills: SkillsTable;
  skill_versions: SkillVersionsTable;
}

export interface ResponsesTable {
  id: string;
  project_id: string;
  status: string;
  created_at: number;
  previous_response_id: string | null;
  conversation_id: string | null;
  background: number;
  events_recorded: number;
  body_json: string;
  request_json: string | null;
}

/** `kind` 0 is an input item, 1 an output item; inputs sort before outputs within a response. */
export interface ResponseItemsTable {
  response_id: string;
  kind: number;
  position: number;
  item_id: string;
  item_json: string;
}

/** A batch of consecutive stream events, `events_json` being their JSON array. */
export interface ResponseEventsTable {
  response_id: string;
  first_sequence_number: number;
  last_sequence_number: number;
  events_json: string;
}

export interface ConversationsTable {
  id: string;
  project_id: string;
  created_at: number;
  metadata_json: string;
}

export interface ConversationItemsTable {
  conversation_id: string;
  position: number;
  item_id: string;
  item_json: string;
}

export interface ApiKeysTable {
  id: string;
  name: string;
  project_id: string;
  hash: string;
  prefix: string;
  created_at: number;
  revoked_at: number | null;
}

/** `seq` is the rowid: upload order, the order files are listed in. */
export interface FilesTable {
  seq: number;
  id: string;
  project_id: string;
  filename: string;
  purpose: string;
  bytes: number;
  created_at: number;
  expires_at: number | null;
}

/** `seq` is the rowid: creation order, the order containers are listed in. */
export interface ContainersTable {
  seq: number;
  id: string;
  project_id: string;
  name: string;
  status: string;
  created_at: number;
  last_active_at: number;
  expires_after_minutes: number;
  memory_limit: string;
  network_policy_json: string;
  image: string;
  /** JSON array of `AttachedSkill`. */
  skills_json: string;
}

export interface ContainerFilesTable {
  seq: number;
  id: string;
  container_id: string;
  path: string;
  source: string;
  bytes: number;
  created_at: number;
}

/** One command of a hosted shell call; `seq` is the rowid, the last tie-breaker of the log's order. */
export interface ToolCallsTable {
  seq: number;
  id: string;
  project_id: string;
  response_id: string;
  call_id: string;
  item_id: string;
  command_index: number;
  command: string;
  container_id: string;
  session: string;
  started_at_ms: number;
  ended_at_ms: number;
  /** `exit` or `timeout`. */
  outcome: string;
  /** Null when the command timed out. */
  exit_code: number | null;
  stdout_bytes: number;
  stderr_bytes: number;
}

/** `seq` is the rowid: creation order. `last_version` is the highest version number ever given out. */
export interface SkillsTable {
  seq: number;
  id: string;
  project_id: string;
  name: string;
  description: string;
  created_at: number;
  default_version: number;
  last_version: number;
}

export interface SkillVersionsTable {
  id: string;
  skill_id: string;
  version: number;
  name: string;
  description: string;
  created_at: number;
}

/** One connection a container asked its egress proxy for; `seq` is the rowid, the last tie-breaker. */
export interface EgressLogTable {
  seq: number;
  id: string;
  project_id: string;
  container_id: string;
  response_id: string | null;
  call_id: string | null;
  at_ms: number;
  method: string;
  host: string;
  port: number;
  /** 1 or 0. */
  allowed: number;
  reason: string | null;
  address: string | null;
  status: number | null;
  bytes_out: number;
  bytes_in: number;
  /** 1 or 0. */
  intercepted: number;
}
