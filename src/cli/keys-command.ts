import type { Command } from 'commander';
import { systemClock } from '../clock.js';
import { createRandomIdGenerator } from '../ids.js';
import { ApiKeyService } from '../keys/api-key-service.js';
import { defaultProjectId } from '../keys/default-project-id.js';
import { openDataDirectoryStore } from '../runtime/start-runtime.js';
import {
  addDataOptions,
  addInitOption,
  loadConfigOrExit,
  requireDatabaseOrExit,
  type DataOptions,
} from './common-options.js';

/** Runs `work` with the key service over the data directory's store, closing the store after. */
async function withKeys<T>(
  options: DataOptions & { init?: boolean },
  work: (keys: ApiKeyService) => Promise<T>,
): Promise<T> {
  const config = loadConfigOrExit(options);
  requireDatabaseOrExit(config, options);
  const store = await openDataDirectoryStore(config.dataDir);
  try {
    return await work(
      new ApiKeyService({ store: store.apiKeys, ids: createRandomIdGenerator(), clock: systemClock }),
    );
  } finally {
    await store.close();
  }
}

export function registerKeysCommand(program: Command): void {
  const keys = program.command('keys').description('manage API keys');

  addInitOption(
    addDataOptions(
      keys
        .command('create')
        .description('create an API key and print it (it is shown only once)')
        .requiredOption('--name <name>', 'a name to recognise the key by')
        .option('--project <project>', 'the project the key gives access to', defaultProjectId),
    ),
  ).action(async (options: DataOptions & { init?: boolean; name: string; project: string }) => {
    await withKeys(options, async (apiKeys) => {
      const { secret } = await apiKeys.create({ name: options.name, projectId: options.project });
      console.log(secret);
    });
  });

  addDataOptions(keys.command('list').description('list API keys (never their secrets)')).action(
    async (options: DataOptions) => {
      await withKeys(options, async (apiKeys) => {
        const rows = await apiKeys.list();
        if (rows.length === 0) {
          console.log('no keys');
          return;
        }
        for (const key of rows) {
          const state =
            key.revokedAt === null ? 'active' : `revoked ${new Date(key.revokedAt * 1000).toISOString()}`;
          console.log(
            [
              key.id,
              key.name,
              `project=${key.projectId}`,
              `${key.prefix}…`,
              new Date(key.createdAt * 1000).toISOString(),
              state,
            ].join('\t'),
          );
        }
      });
    },
  );

  addDataOptions(
    keys
      .command('revoke')
      .description('revoke an API key by its id or the secret prefix `keys list` shows')
      .argument('<key>', 'key id or prefix (with --all: a key name)')
      .option('--all', 'revoke every active key with the name <key>'),
  ).action(async (key: string, options: DataOptions & { all?: boolean }) => {
    await withKeys(options, async (apiKeys) => {
      const result = await apiKeys.revoke(key, { allNamed: options.all === true });
      if (result.problem !== undefined) {
        console.error(`berth: ${result.problem}`);
        process.exitCode = 1;
        return;
      }
      for (const revoked of result.revoked) console.log(`revoked ${revoked.id} (${revoked.name})`);
    });
  });
}
