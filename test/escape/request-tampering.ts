import { toFile } from 'openai';
import { beforeAll, describe, expect, it } from 'vitest';
import { containerEndpoints, fileEndpoints, snapshot } from './container-endpoints.js';
import { expectErrorEnvelope, type EscapeBerth } from './escape-berth.js';

/**
 * Requests that try to reach what is not theirs: another project's container, and ids carrying path
 * traversal or encoded NULs. Each must answer a 404 in OpenAI's error envelope and change nothing.
 */
export function describeRequestTampering(escape: EscapeBerth): void {
  describe('requests for what is not theirs', () => {
    let victim: string;
    let victimFile: string;
    let betaFileId: string;
    let attacker: string;

    beforeAll(async () => {
      const beta = escape.client('beta');
      betaFileId = (
        await beta.files.create({
          file: await toFile(Buffer.from('beta only\n'), 'beta.txt'),
          purpose: 'user_data',
        })
      ).id;
      victim = (await beta.containers.create({ name: 'victim', file_ids: [betaFileId] })).id;
      await escape.exec('beta', victim, ['echo secret of beta > /mnt/data/notes.txt']);
      const files = await beta.containers.files.list(victim);
      victimFile = files.data.find((file) => file.path === '/mnt/data/beta.txt')?.id ?? '';
      expect(victimFile).not.toBe('');
      attacker = await escape.createContainer('alpha', 'attacker');
    });

    it("answers another project's container exactly like an unknown one, and changes nothing", async () => {
      const before = await snapshot(escape, 'beta', victim);
      for (const endpoint of containerEndpoints(victim, victimFile)) {
        const what = `${endpoint.method} ${endpoint.path}`;
        const answer = await escape.request(endpoint.method, endpoint.path, {
          project: 'alpha',
          ...endpoint.request,
        });
        expectErrorEnvelope(answer, 404, 'not_found', what);
        expect(answer.text, what).toContain(`No container found with id '${victim}'`);
      }
      // The official client, the same way.
      const alpha = escape.client('alpha');
      await expect(alpha.containers.retrieve(victim)).rejects.toMatchObject({ status: 404 });
      await expect(alpha.containers.delete(victim)).rejects.toMatchObject({ status: 404 });
      await expect(alpha.containers.files.list(victim)).rejects.toMatchObject({ status: 404 });
      await expect(
        alpha.containers.files.content.retrieve(victimFile, { container_id: victim }),
      ).rejects.toMatchObject({ status: 404 });
      // Nor can alpha copy beta's Files API file into a container, or name beta's container file in its own.
      await expect(alpha.containers.files.create(attacker, { file_id: betaFileId })).rejects.toMatchObject({
        status: 404,
        param: 'file_id',
      });
      await expect(alpha.containers.create({ name: 'thief', file_ids: [betaFileId] })).rejects.toMatchObject({
        status: 404,
        param: 'file_ids[0]',
      });
      for (const endpoint of fileEndpoints(attacker, victimFile)) {
        expectErrorEnvelope(
          await escape.request(endpoint.method, endpoint.path, endpoint.request),
          404,
          'not_found',
          `${endpoint.method} ${endpoint.path}`,
        );
      }

      expect(await snapshot(escape, 'beta', victim)).toEqual(before);
      const content = await escape.client('beta').containers.files.content.retrieve(victimFile, {
        container_id: victim,
      });
      expect(await content.text()).toBe('beta only\n');
      expect((await alpha.containers.list({ name: 'thief' })).data).toEqual([]);
    });

    it('answers traversal and encoded NULs in ids with a 404 envelope on every endpoint, changing nothing', async () => {
      await escape.run('alpha', attacker, 'echo mine > /mnt/data/mine.txt');
      const ownFile = (await escape.client('alpha').containers.files.list(attacker)).data[0]?.id ?? '';
      expect(ownFile).not.toBe('');
      const before = await snapshot(escape, 'alpha', attacker);
      const badIds = [
        '..%2F..%2Fetc%2Fpasswd',
        '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
        '..',
        '%2e%2e',
        '%00',
        `${attacker}%00`,
        `${attacker}%00..%2F..`,
        `${attacker}%2F..%2F..`,
        '%2Fmnt%2Fdata%2Fmine.txt',
        `..%2F${victim}`,
      ];
      for (const bad of badIds) {
        // A bad container id on every endpoint, and a bad file id in a real container.
        for (const endpoint of [...containerEndpoints(bad, ownFile), ...fileEndpoints(attacker, bad)]) {
          const what = `${endpoint.method} ${endpoint.path}`;
          expectErrorEnvelope(
            await escape.request(endpoint.method, endpoint.path, endpoint.request),
            404,
            'not_found',
            what,
          );
        }
      }
      expect(await snapshot(escape, 'alpha', attacker)).toEqual(before);
      expect((await escape.client('beta').containers.retrieve(victim)).status).toBe('running');
    });

    it('answers ids the router itself refuses (bad percent-encoding, over-long) in the error envelope', async () => {
      for (const bad of ['%ff', '%', 'x'.repeat(200)]) {
        for (const endpoint of containerEndpoints(bad, 'cfile_x')) {
          const what = `${endpoint.method} ${endpoint.path.slice(0, 60)}: ${endpoint.path.length > 60 ? '…' : ''}`;
          const answer = await escape.request(endpoint.method, endpoint.path, endpoint.request);
          expect(answer.status, what).toBeGreaterThanOrEqual(400);
          expect(answer.status, what).toBeLessThan(500);
          expect(answer.json, `${what} ${answer.text}`).toEqual({
            error: {
              message: expect.any(String) as string,
              type: 'invalid_request_error',
              param: null,
              code: expect.any(String) as string,
            },
          });
        }
      }
    });
  });
}
