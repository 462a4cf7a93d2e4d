import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

/**
 * Schema migrations, applied in name order by Kysely's Migrator at start-up. Never edit a migration
 * that has shipped: add a new one.
 */
const migrations: Record<string, Migration> = {
  '0001_initial': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('responses')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('project_id', 'text', (column) => column.notNull())
        .addColumn('status', 'text', (column) => column.notNull())
        .addColumn('created_at', 'integer', (column) => column.notNull())
        .addColumn('previous_response_id', 'text')
        .addColumn('conversation_id', 'text')
        .addColumn('background', 'integer', (column) => column.notNull())
        .addColumn('events_recorded', 'integer', (column) => column.notNull())
        .addColumn('body_json', 'text', (column) => column.notNull())
        .addColumn('request_json', 'text')
        .execute();
      // Start-up recovery looks for unfinished responses; a partial index keeps that cheap.
      await sql`CREATE INDEX responses_unfinished ON responses(status) WHERE status IN ('queued', 'in_progress')`.execute(
        db,
      );

      await db.schema
        .createTable('response_items')
        .addColumn('response_id', 'text', (column) => column.notNull())
        .addColumn('kind', 'integer', (column) => column.notNull())
        .addColumn('position', 'integer', (column) => column.notNull())
        .addColumn('item_id', 'text', (column) => column.notNull())
        .addColumn('item_json', 'text', (column) => column.notNull())
        .addPrimaryKeyConstraint('response_items_pk', ['response_id', 'kind', 'position'])
        .execute();
      await db.schema
        .createIndex('response_items_by_item')
        .on('response_items')
        .columns(['response_id', 'item_id'])
        .execute();

      // Stream events are written in batches (all the events of one write as one JSON array): a
      // streamed response has dozens of events, and one row each made recording them the largest
      // share of a streamed response's database work.
      await db.schema
        .createTable('response_events')
        .addColumn('response_id', 'text', (column) => column.notNull())
        .addColumn('first_sequence_number', 'integer', (column) => column.notNull())
        .addColumn('last_sequence_number', 'integer', (column) => column.notNull())
        .addColumn('events_json', 'text', (column) => column.notNull())
        .addPrimaryKeyConstraint('response_events_pk', ['response_id', 'first_sequence_number'])
        .execute();

      await db.schema
        .createTable('conversations')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('project_id', 'text', (column) => column.notNull())
        .addColumn('created_at', 'integer', (column) => column.notNull())
        .addColumn('metadata_json', 'text', (column) => column.notNull())
        .execute();

      await db.schema
        .createTable('conversation_items')
        .addColumn('conversation_id', 'text', (column) => column.notNull())
        .addColumn('position', 'integer', (column) => column.notNull())
        .addColumn('item_id', 'text', (column) => column.notNull())
        .addColumn('item_json', 'text', (column) => column.notNull())
        .addPrimaryKeyConstraint('conversation_items_pk', ['conversation_id', 'position'])
        .execute();
      await db.schema
        .createIndex('conversation_items_by_item')
        .on('conversation_items')
        .columns(['conversation_id', 'item_id'])
        .unique()
        .execute();

      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('name', 'text', (column) => column.notNull())
        .addColumn('project_id', 'text', (column) => column.notNull())
        .addColumn('hash', 'text', (column) => column.notNull().unique())
        .addColumn('prefix', 'text', (column) => column.notNull())
        .addColumn('created_at', 'integer', (column) => column.notNull())
        .addColumn('revoked_at', 'integer')
        .execute();
    },
  },
  '0002_files': {
    async up(db: Kysely<unknown>) {
      // `seq` is an INTEGER PRIMARY KEY, so SQLite makes it the rowid: it gives lists their upload
      // order, and unlike an implicit rowid it survives VACUUM. The blob is `<dataDir>/files/<id>`.
      await db.schema
        .createTable('files')
        .addColumn('seq', 'integer', (column) => column.primaryKey())
        .addColumn('id', 'text', (column) => column.notNull().unique())
        .addColumn('project_id', 'text', (column) => column.notNull())
        .addColumn('filename', 'text', (column) => column.notNull())
        .addColumn('purpose', 'text', (column) => column.notNull())
        .addColumn('bytes', 'integer', (column) => column.notNull())
        .addColumn('created_at', 'integer', (column) => column.notNull())
        .addColumn('expires_at', 'integer')
        .execute();
      await db.schema.createIndex('files_by_project').on('files').columns(['project_id', 'seq']).execute();
      // The expiry sweep looks only at files that can expire.
      await sql`CREATE INDEX files_expiring ON files(expires_at) WHERE expires_at IS NOT NULL`.execute(db);
    },
  },
  '0003_containers': {
    async up(db: Kysely<unknown>) {
      // `seq` orders lists by creation (as for files). A container's bytes live in its sandbox's disk
      // image under `<dataDir>/sandbox/containers/<id>/`; this table is who owns it and its settings.
      await db.schema
        .createTable('containers')
        .addColumn('seq', 'integer', (column) => column.primaryKey())
        .addColumn('id', 'text', (column) => column.notNull().unique())
        .addColumn('project_id', 'text', (column) => column.notNull())
        .addColumn('name', 'text', (column) => column.notNull())
        .addColumn('status', 'text', (column) => column.notNull())
        .addColumn('created_at', 'integer', (column) => column.notNull())
        .addColumn('last_active_at', 'integer', (column) => column.notNull())
        .addColumn('expires_after_minutes', 'integer', (column) => column.notNull())
        .addColumn('memory_limit', 'text', (column) => column.notNull())
        .addColumn('network_policy_json', 'text', (column) => column.notNull())
        .addColumn('image', 'text', (column) => column.notNull())
        .execute();
      await db.schema
        .createIndex('containers_by_project')
        .on('containers')
        .columns(['project_id', 'seq'])
        .execute();
      await db.schema.createIndex('containers_by_status').on('containers').columns(['status']).execute();

      // Files known in a container's /mnt/data: uploads (source user) and files its commands wrote
      // (source assistant), with the id the Container Files API serves them under.
      await db.schema
        .createTable('container_files')
        .addColumn('seq', 'integer', (column) => column.primaryKey())
        .addColumn('id', 'text', (column) => column.notNull().unique())
        .addColumn('container_id', 'text', (column) => column.notNull())
        .addColumn('path', 'text', (column) => column.notNull())
        .addColumn('source', 'text', (column) => column.notNull())
        .addColumn('bytes', 'integer', (column) => column.notNull())
        .addColumn('created_at', 'integer', (column) => column.notNull())
        .addUniqueConstraint('container_files_path', ['container_id', 'path'])
        .execute();
    },
  },
  '0004_skills': {
    async up(db: Kysely<unknown>) {
      // A skill and its immutable versions. `last_version` is the highest number ever given out, so a
      // deleted version's number is never reused; `latest_version` is read as the highest remaining.
      // `name` and `description` are the default version's (its SKILL.md front matter). Each version's
      // files are on disk under `<dataDir>/skills/<skill id>/<version id>/`.
      await db.schema
        .createTable('skills')
        .addColumn('seq', 'integer', (column) => column.primaryKey())
        .addColumn('id', 'text', (column) => column.notNull().unique())
        .addColumn('project_id', 'text', (column) => column.notNull())
        .addColumn('name', 'text', (column) => column.notNull())
        .addColumn('description', 'text', (column) => column.notNull())
        .addColumn('created_at', 'integer', (column) => column.notNull())
        .addColumn('default_version', 'integer', (column) => column.notNull())
        .addColumn('last_version', 'integer', (column) => column.notNull())
        .execute();
      await db.schema.createIndex('skills_by_project').on('skills').columns(['project_id', 'seq']).execute();
      await db.schema
        .createTable('skill_versions')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('skill_id', 'text', (column) => column.notNull())
        .addColumn('version', 'integer', (column) => column.notNull())
        .addColumn('name', 'text', (column) => column.notNull())
        .addColumn('description', 'text', (column) => column.notNull())
        .addColumn('created_at', 'integer', (column) => column.notNull())
        .addUniqueConstraint('skill_versions_number', ['skill_id', 'version'])
        .execute();
      // The skills attached to a container (name, description, where they came from), so its /skills
      // mount comes back when its sandbox is started again after a restart, and the engine can list them.
      await sql`ALTER TABLE containers ADD COLUMN skills_json TEXT NOT NULL DEFAULT '[]'`.execute(db);
    },
  },
  '0005_tool_calls': {
    async up(db: Kysely<unknown>) {
      // The tool-call log: one row per command a hosted shell call ran, written by the engine as the
      // command finishes (so in end order). Lists read it in start order, which the index serves;
      // `seq` breaks ties between commands of parallel calls that started in the same millisecond.
      await db.schema
        .createTable('tool_calls')
        .addColumn('seq', 'integer', (column) => column.primaryKey())
        .addColumn('id', 'text', (column) => column.notNull().unique())
        .addColumn('project_id', 'text', (column) => column.notNull())
        .addColumn('response_id', 'text', (column) => column.notNull())
        .addColumn('call_id', 'text', (column) => column.notNull())
        .addColumn('item_id', 'text', (column) => column.notNull())
        .addColumn('command_index', 'integer', (column) => column.notNull())
        .addColumn('command', 'text', (column) => column.notNull())
        .addColumn('container_id', 'text', (column) => column.notNull())
        .addColumn('session', 'text', (column) => column.notNull())
        .addColumn('started_at_ms', 'integer', (column) => column.notNull())
        .addColumn('ended_at_ms', 'integer', (column) => column.notNull())
        .addColumn('outcome', 'text', (column) => column.notNull())
        // Null when the command timed out.
        .addColumn('exit_code', 'integer')
        .addColumn('stdout_bytes', 'integer', (column) => column.notNull())
        .addColumn('stderr_bytes', 'integer', (column) => column.notNull())
        .addCheckConstraint(
          'tool_calls_outcome',
          sql`(outcome = 'exit' AND exit_code IS NOT NULL) OR (outcome = 'timeout' AND exit_code IS NULL)`,
        )
        .execute();
      await db.schema
        .createIndex('tool_calls_by_response')
        .on('tool_calls')
        .columns(['response_id', 'started_at_ms', 'command_index', 'seq'])
        .execute();
    },
  },
  '0006_egress_log': {
    async up(db: Kysely<unknown>) {
      // The egress log: one row per connection a container's proxy decided on, written as the
      // connection ends; read per container in the order they were asked for.
      await db.schema
        .createTable('egress_log')
        .addColumn('seq', 'integer', (column) => column.primaryKey())
        .addColumn('id', 'text', (column) => column.notNull().unique())
        .addColumn('project_id', 'text', (column) => column.notNull())
        .addColumn('container_id', 'text', (column) => column.notNull())
        .addColumn('response_id', 'text')
        .addColumn('call_id', 'text')
        .addColumn('at_ms', 'integer', (column) => column.notNull())
        .addColumn('method', 'text', (column) => column.notNull())
        .addColumn('host', 'text', (column) => column.notNull())
        .addColumn('port', 'integer', (column) => column.notNull())
        .addColumn('allowed', 'integer', (column) => column.notNull())
        .addColumn('reason', 'text')
        .addColumn('address', 'text')
        .addColumn('status', 'integer')
        .addColumn('bytes_out', 'integer', (column) => column.notNull())
        .addColumn('bytes_in', 'integer', (column) => column.notNull())
        .addColumn('intercepted', 'integer', (column) => column.notNull())
        .execute();
      await db.schema
        .createIndex('egress_log_by_container')
        .on('egress_log')
        .columns(['container_id', 'at_ms', 'seq'])
        .execute();
    },
  },
  '0007_dashboard_indexes': {
    async up(db: Kysely<unknown>) {
      // The dashboard lists a project's responses newest first (by rowid, which is creation order),
      // which an index on project_id serves since SQLite appends the rowid to every index entry; and
      // finds the command that was running in a container when a file was written (lineage).
      await db.schema.createIndex('responses_by_project').on('responses').column('project_id').execute();
      await db.schema
        .createIndex('tool_calls_by_container')
        .on('tool_calls')
        .columns(['container_id', 'started_at_ms', 'seq'])
        .execute();
    },
  },
};

export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve(migrations),
};
