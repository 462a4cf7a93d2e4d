import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Command } from 'commander';
import { toFile } from 'openai';
import { addServerOptions, connect, exitWithError, type ServerOptions } from './server-client.js';

/** `cntr_…:/mnt/data/name` → the container and the path; a local path → undefined. */
function parseContainerPath(argument: string): { container: string; path: string } | undefined {
  const match = /^(cntr_[A-Za-z0-9]+):(.*)$/.exec(argument);
  return match ? { container: match[1] ?? '', path: match[2] ?? '' } : undefined;
}

/**
 * `berth cp`: copies a local file into a container's /mnt/data (through the container files API) or a
 * container's file out. Container paths are written `cntr_…:/mnt/data/name`.
 */
export function registerCpCommand(program: Command): void {
  addServerOptions(
    program
      .command('cp')
      .description('copy a file into a container (/mnt/data) or out of one')
      .argument('<source>', 'a local file, or cntr_…:/mnt/data/path')
      .argument('<destination>', 'cntr_… or cntr_…:/mnt/data/[name], or a local path'),
  ).action(async (source: string, destination: string, options: ServerOptions) => {
    const { client, baseURL } = connect(options);
    const from = parseContainerPath(source);
    const to =
      parseContainerPath(destination) ??
      (/^cntr_[A-Za-z0-9]+$/.test(destination) ? { container: destination, path: '' } : undefined);
    try {
      if (!from && to) {
        const name = to.path === '' || to.path.endsWith('/') ? basename(source) : basename(to.path);
        const directory =
          to.path === ''
            ? '/mnt/data/'
            : to.path.endsWith('/')
              ? to.path
              : `${to.path.slice(0, to.path.lastIndexOf('/') + 1)}`;
        if (directory !== '/mnt/data/')
          throw new Error('files can only be copied into /mnt/data/ (the container files API)');
        const file = await client.containers.files.create(to.container, {
          file: await toFile(createReadStream(source), name),
        });
        console.log(`${to.container}:${file.path} (${file.bytes} bytes)`);
      } else if (from && !to) {
        let fileId: string | undefined;
        for await (const file of client.containers.files.list(from.container)) {
          if (file.path === from.path) fileId = file.id;
        }
        if (!fileId)
          throw new Error(
            `no file ${from.path} in ${from.container} (only regular files under /mnt/data are listed)`,
          );
        const content = await client.containers.files.content.retrieve(fileId, {
          container_id: from.container,
        });
        const target = (await stat(destination).catch(() => undefined))?.isDirectory()
          ? join(destination, basename(from.path))
          : destination;
        await pipeline(Readable.fromWeb(content.body as WebReadableStream), createWriteStream(target));
        console.log(target);
      } else {
        throw new Error('one side must be a container path (cntr_…:/mnt/data/…) and the other a local path');
      }
    } catch (error) {
      exitWithError(error, baseURL);
    }
  });
}
