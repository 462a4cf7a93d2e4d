import type { Command } from 'commander';
import { createRandomIdGenerator } from '../ids.js';
import { openDataDirectoryStore } from '../runtime/start-runtime.js';
import { defaultProjectId, issueApiKey } from '../server/auth.js';
import type { Store } from '../store/store.js';
import { addDataOptions, loadConfigOrExit, type DataOptions } from './common-options.js';

async function withStore<T>(options: DataOptions, work: (store: Store) => Promise<T>): Promise<T> {
  const config = loadConfigOrExit(options);
  const store = await openDataDirectoryStore(config.dataDir);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

export function registerKeysCommand(program: Command): void {
  const keys = program.command('keys').description('manage API keys');

  addDataOptions(
    keys
      .command('create')
      .description('create an API key and print it (it is shown only once)')
      .requiredOption('--name <name>', 'a name to recognise the key by')
      .option('--project <project>', 'the project the key gives access to', defaultProjectId),
  ).action(async (options: DataOptions & { name: string; project: string }) => {
    await withStore(options, async (store) => {
      const secret = await issueApiKey(store, {
        id: createRandomIdGenerator().next('key'),
        name: options.name,
        projectId: options.project,
        createdAt: Math.floor(Date.now() / 1000),
      });
      console.log(secret);
    });
  });

  addDataOptions(keys.command('list').description('list API keys (never their secrets)')).action(
    async (options: DataOptions) => {
      await withStore(options, async (store) => {
        const rows = await store.listApiKeys();
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
    keys.command('revoke').description('revoke an API key by id or name').argument('<key>', 'key id or name'),
  ).action(async (key: string, options: DataOptions) => {
    await withStore(options, async (store) => {
      if (!(await store.revokeApiKey(key, Math.floor(Date.now() / 1000)))) {
        console.error(`berth: no active key with id or name '${key}'`);
        process.exitCode = 1;
        return;
      }
      console.log(`revoked ${key}`);
    });
  });
}
