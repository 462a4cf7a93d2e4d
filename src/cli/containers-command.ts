import type { Command } from 'commander';
import { formatTable } from './format-table.js';
import { addServerOptions, connect, exitWithError, type ServerOptions } from './server-client.js';

/** `berth containers ls|create|rm`: the Containers API from the command line. */
export function registerContainersCommand(program: Command): void {
  const containers = program.command('containers').description('list, create and remove containers');

  addServerOptions(containers.command('ls').description('list containers'))
    .option('--name <name>', 'only containers with this name')
    .action(async (options: ServerOptions & { name?: string }) => {
      const { client, baseURL } = connect(options);
      try {
        const rows: string[][] = [['ID', 'NAME', 'STATUS', 'MEMORY', 'LAST ACTIVE']];
        for await (const container of client.containers.list(options.name ? { name: options.name } : {})) {
          rows.push([
            container.id,
            container.name,
            container.status,
            container.memory_limit ?? '',
            container.last_active_at ? new Date(container.last_active_at * 1000).toISOString() : '',
          ]);
        }
        console.log(formatTable(rows));
      } catch (error) {
        exitWithError(error, baseURL);
      }
    });

  addServerOptions(containers.command('create').description('create a container and print its id'))
    .argument('<name>', 'a name for the container')
    .option('--memory <limit>', 'memory limit: 1g, 4g, 16g or 64g', '1g')
    .option('--expires-after <minutes>', 'idle minutes before it expires', '20')
    .option('--file <id...>', 'Files API file ids to copy into /mnt/data')
    .option('--image <name>', 'the image to start from: host, or one built with `berth image build`')
    .action(
      async (
        name: string,
        options: ServerOptions & { memory: string; expiresAfter: string; file?: string[]; image?: string },
      ) => {
        const { client, baseURL } = connect(options);
        try {
          const container = await client.containers.create({
            name,
            memory_limit: options.memory as '1g',
            expires_after: { anchor: 'last_active_at', minutes: Number(options.expiresAfter) },
            ...(options.file ? { file_ids: options.file } : {}),
            // Berth's extension to the create parameters (the client passes unknown fields through).
            ...(options.image ? { image: options.image } : {}),
          });
          console.log(container.id);
        } catch (error) {
          exitWithError(error, baseURL);
        }
      },
    );

  addServerOptions(containers.command('rm').description('delete containers: processes, mounts and files'))
    .argument('<id...>', 'container ids')
    .action(async (ids: string[], options: ServerOptions) => {
      const { client, baseURL } = connect(options);
      try {
        for (const id of ids) {
          await client.containers.delete(id);
          console.log(id);
        }
      } catch (error) {
        exitWithError(error, baseURL);
      }
    });
}
