import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { toFile } from 'openai';
import { beforeAll, describe, expect, it } from 'vitest';
import { databasePath } from '../../src/runtime/start-runtime.js';
import { multipartFile } from './container-endpoints.js';
import { expectErrorEnvelope, marker, type EscapeBerth } from './escape-berth.js';
import { hostPathsNamed } from '../support/host-observations.js';

const mebibyte = 1024 * 1024;

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/**
 * The container files API in both directions: names that try to leave /mnt/data on the way in, and
 * symlinks and hardlinks that try to make the server read a host file on the way out.
 */
export function describeFileApiEscapes(escape: EscapeBerth): void {
  describe('container files API', () => {
    let container: string;
    let hostPasswd: string;

    beforeAll(async () => {
      container = await escape.createContainer('alpha', 'files');
      hostPasswd = readFileSync('/etc/passwd', 'utf8');
    });

    /** The listed files of the container, by path. */
    async function listed(): Promise<Map<string, string>> {
      const files = new Map<string, string>();
      for await (const file of escape.client('alpha').containers.files.list(container))
        files.set(file.path, file.id);
      return files;
    }

    /** GET …/content of one file; what came back is remembered for the final leak check. */
    async function content(fileId: string): Promise<{ status: number; text: string; json: unknown }> {
      const answer = await escape.request(
        'GET',
        `/v1/containers/${container}/files/${encodeURIComponent(fileId)}/content`,
      );
      escape.observe(answer.text);
      return answer;
    }

    it('puts an upload inside /mnt/data under a safe name, whatever its filename says', async () => {
      const name = marker('escape-upload');
      const passwdHash = sha256('/etc/passwd');
      const client = escape.client('alpha');
      const upload = async (filename: string) =>
        (
          await client.containers.files.create(container, {
            file: await toFile(Buffer.from(`uploaded as ${filename}`), filename),
          })
        ).path;
      expect(await upload(`../../${name}-a`)).toBe(`/mnt/data/${name}-a`);
      expect(await upload('/etc/passwd')).toBe('/mnt/data/passwd');
      expect(await upload('..')).toBe('/mnt/data/file');
      expect(await upload(`..\\..\\${name}-b`)).toBe(`/mnt/data/${name}-b`);
      for (const [disposition, path] of [
        [`filename*=UTF-8''..%2F..%2F${name}-c`, `/mnt/data/${name}-c`],
        [`filename="../../../../../../etc/${name}-d"`, `/mnt/data/${name}-d`],
        [`filename="${name}-e\u0000/../../x"`, '/mnt/data/x'],
      ] as const) {
        const answer = await escape.request('POST', `/v1/containers/${container}/files`, {
          ...multipartFile(disposition, 'raw upload'),
        });
        expect(answer.status, answer.text).toBe(200);
        expect((answer.json as { path: string }).path, disposition).toBe(path);
      }

      // Inside: each landed in /mnt/data, and the sandbox's own /etc/passwd is untouched.
      const inside = await escape.exec('alpha', container, ['cat /mnt/data/passwd', 'grep -c . /etc/passwd']);
      expect(inside[0]?.stdout).toBe('uploaded as /etc/passwd');
      expect(inside[1]?.stdout).not.toContain('uploaded');
      // Outside: nothing was written on the host.
      expect(sha256('/etc/passwd')).toBe(passwdHash);
      for (const directory of ['/', '/tmp', '/etc', dirname(escape.dataDir)]) {
        for (const suffix of ['a', 'b', 'c', 'd'])
          expect(existsSync(`${directory}/${name}-${suffix}`)).toBe(false);
      }
      // On the host, the names appear at most in the container's own storage (a driver may keep its
      // files in a plain directory there).
      const own = `${escape.dataDir}/sandbox/containers/${container}/`;
      expect(hostPathsNamed(name, escape.dataDir).filter((path) => !path.startsWith(own))).toEqual([]);
      // Staged uploads are gone once they are in the container.
      expect(readdirSync(`${escape.dataDir}/sandbox/uploads`)).toEqual([]);
    });

    it('never lists a symlink, whatever it points at', async () => {
      const links: Record<string, string> = {
        shadow: '/etc/shadow',
        passwd: '/etc/passwd',
        'data-dir': escape.dataDir,
        database: databasePath(escape.dataDir),
        'host-root': '/root',
        'host-canary': escape.hostCanaryPath ?? '/root/.berth-escape-canary',
        environ: '/proc/1/environ',
        root: '/',
        up: '..',
      };
      const made = await escape.run(
        'alpha',
        container,
        Object.entries(links)
          .map(([name, target]) => `ln -sfn '${target}' /mnt/data/link-${name}`)
          .join(' && '),
      );
      expect(made.outcome).toEqual({ type: 'exit', exit_code: 0 });
      const paths = [...(await listed()).keys()];
      expect(paths.filter((path) => path.includes('link-'))).toEqual([]);
      for (const path of paths) expect(path).toMatch(/^\/mnt\/data\//);
      // A path is not an id: asking for one by path finds nothing.
      expectErrorEnvelope(await content('/mnt/data/link-shadow'), 404, 'not_found');
      expectErrorEnvelope(await content('../../../etc/shadow'), 404, 'not_found');
    });

    it('serves no host file when a listed file is swapped for a symlink before it is read', async () => {
      const targets: Record<string, string> = {
        shadow: '/etc/shadow',
        database: databasePath(escape.dataDir),
        canary: `${escape.dataDir}/escape-canary`,
        'host-canary': escape.hostCanaryPath ?? '/root/.berth-escape-canary',
        passwd: '/etc/passwd',
      };
      await escape.run(
        'alpha',
        container,
        `mkdir -p /mnt/data/swap/dir && echo inner > /mnt/data/swap/dir/inner.txt && ${Object.keys(targets)
          .map((name) => `echo harmless > /mnt/data/swap/${name}.txt`)
          .join(' && ')}`,
      );
      const files = await listed();
      const idOf = (path: string): string => {
        const id = files.get(path);
        expect(id, path).toBeDefined();
        return id ?? '';
      };
      const ids = Object.fromEntries(
        Object.keys(targets).map((name) => [name, idOf(`/mnt/data/swap/${name}.txt`)]),
      );
      const innerId = idOf('/mnt/data/swap/dir/inner.txt');

      const swapped = await escape.run(
        'alpha',
        container,
        [
          ...Object.entries(targets).map(
            ([name, target]) =>
              `ln -sfn '${target}' /mnt/data/swap/${name}.txt.new && mv -T /mnt/data/swap/${name}.txt.new /mnt/data/swap/${name}.txt`,
          ),
          `rm -r /mnt/data/swap/dir && ln -s '${escape.dataDir}' /mnt/data/swap/dir`,
        ].join(' && '),
      );
      expect(swapped.outcome).toEqual({ type: 'exit', exit_code: 0 });

      // Targets that exist only on the host: not found (and the stale record is dropped).
      for (const name of ['shadow', 'database', 'canary', 'host-canary']) {
        expectErrorEnvelope(await content(ids[name] ?? ''), 404, 'not_found', name);
      }
      expectErrorEnvelope(await content(innerId), 404, 'not_found', 'directory swapped for a symlink');
      // A target that exists in the sandbox too: at most the sandbox's own copy, never the host's.
      const passwd = await content(ids.passwd ?? '');
      expect(passwd.text).not.toBe(hostPasswd);
      if (passwd.status === 200) {
        const own = await escape.run('alpha', container, 'cat /etc/passwd');
        expect(passwd.text).toBe(own.stdout);
      } else expectErrorEnvelope(passwd, 404, 'not_found');
    });

    it('serves nothing endless and holds nothing open when a listed file is swapped for a FIFO or a device', async () => {
      await escape.run(
        'alpha',
        container,
        'mkdir -p /mnt/data/odd/dev && echo x > /mnt/data/odd/fifo.txt && echo x > /mnt/data/odd/zero.txt && echo x > /mnt/data/odd/dev/zero',
      );
      const files = await listed();
      const swaps = {
        // A FIFO nobody writes to: opening it for reading blocks forever.
        fifo: ['/mnt/data/odd/fifo.txt', 'rm /mnt/data/odd/fifo.txt && mkfifo /mnt/data/odd/fifo.txt'],
        // A symlink to a device that never ends.
        'zero symlink': ['/mnt/data/odd/zero.txt', 'ln -sfn /dev/zero /mnt/data/odd/zero.txt'],
        // A directory on the way swapped for a symlink to /dev: the last component is no symlink.
        'dev directory': [
          '/mnt/data/odd/dev/zero',
          'rm -r /mnt/data/odd/dev && ln -s /dev /mnt/data/odd/dev',
        ],
      } as const;
      const swapped = await escape.run(
        'alpha',
        container,
        Object.values(swaps)
          .map(([, swap]) => swap)
          .join(' && '),
      );
      expect(swapped.outcome).toEqual({ type: 'exit', exit_code: 0 });
      for (const [what, [path]] of Object.entries(swaps)) {
        const id = files.get(path) ?? '';
        expect(id, path).not.toBe('');
        expect(await boundedContent(id), what).toMatchObject({ status: 404 });
      }
      // No reader was left behind in the sandbox.
      const left = await escape.run('alpha', container, 'ps -eo args');
      expect(left.stdout).not.toMatch(/\/mnt\/data\/odd/);
    });

    /**
     * GET …/content, reading at most 1 MiB and waiting at most 10 s for it: what a client of a
     * well-behaved server never needs. `endless` or `hung` is the server's failure.
     */
    async function boundedContent(
      fileId: string,
    ): Promise<{ status: number | 'hung'; bytes: number | 'endless' }> {
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), 10_000);
      let status: number | 'hung' = 'hung';
      let bytes = 0;
      try {
        const response = await fetch(
          `${escape.berth.baseURL}/containers/${container}/files/${fileId}/content`,
          {
            headers: { authorization: `Bearer ${escape.apiKey('alpha')}` },
            signal: abort.signal,
          },
        );
        status = response.status;
        for await (const chunk of response.body ?? []) {
          bytes += (chunk as Uint8Array).length;
          if (bytes > mebibyte) {
            abort.abort();
            return { status, bytes: 'endless' };
          }
        }
        return { status, bytes };
      } catch {
        return { status, bytes: status === 'hung' ? 0 : 'endless' };
      } finally {
        clearTimeout(timer);
      }
    }

    it('cannot hardlink a file from outside /mnt/data into it', async () => {
      const passwdHash = sha256('/etc/passwd');
      const targets = [
        '/etc/passwd',
        '/etc/hostname',
        '/usr/bin/bash',
        '/usr/bin/python3',
        '/proc/self/environ',
      ];
      const links = await escape.exec(
        'alpha',
        container,
        targets.map((target, index) => `ln ${target} /mnt/data/hardlink-${index}`),
      );
      for (const [index, result] of links.entries()) {
        expect(result.outcome, targets[index]).toEqual({ type: 'exit', exit_code: 1 });
        expect(result.stderr, targets[index]).toMatch(/Operation not permitted|Invalid cross-device link/);
      }
      expect([...(await listed()).keys()].filter((path) => path.includes('hardlink-'))).toEqual([]);
      expect(sha256('/etc/passwd')).toBe(passwdHash);
    });
  });
}
