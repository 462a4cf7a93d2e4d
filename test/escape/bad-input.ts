import { beforeAll, describe, expect, it } from 'vitest';
import { multipartFile, snapshot, type Endpoint } from './container-endpoints.js';
import { expectErrorEnvelope, type EscapeBerth } from './escape-berth.js';

interface BadRequest {
  readonly endpoint: Endpoint;
  readonly status: number;
  readonly code: string;
  readonly param: string | null;
}

function json(method: string, path: string, body: unknown, code: string, param: string | null): BadRequest {
  return {
    endpoint: { method, path, request: { json: body } },
    status: code === 'not_found' ? 404 : 400,
    code,
    param,
  };
}

function raw(path: string, body: string, contentType: string, status: number, code: string): BadRequest {
  return {
    endpoint: { method: 'POST', path, request: { body: Buffer.from(body), contentType } },
    status,
    code,
    param: null,
  };
}

function query(path: string, param: string): BadRequest {
  return { endpoint: { method: 'GET', path }, status: 400, code: 'invalid_value', param };
}

/** Bad input to every container endpoint: a 4xx in OpenAI's envelope naming the problem, nothing changed. */
export function describeBadInput(escape: EscapeBerth): void {
  describe('bad input', () => {
    let container: string;
    let containers: string;
    let own: string;

    beforeAll(async () => {
      container = await escape.createContainer('alpha', 'bad-input');
      containers = '/v1/containers';
      own = `${containers}/${container}`;
    });

    async function expectRefused(cases: readonly BadRequest[]): Promise<void> {
      const before = await snapshot(escape, 'alpha', container);
      for (const { endpoint, status, code, param } of cases) {
        const body = endpoint.request?.json ?? endpoint.request?.body?.toString() ?? '';
        const what = `${endpoint.method} ${endpoint.path} ${JSON.stringify(body).slice(0, 100)}`;
        const answer = await escape.request(endpoint.method, endpoint.path, endpoint.request);
        expectErrorEnvelope(answer, status, code, what);
        expect((answer.json as { error: { param: string | null } }).error.param, what).toBe(param);
      }
      expect(await snapshot(escape, 'alpha', container)).toEqual(before);
      expect((await escape.run('alpha', container, 'ls /mnt/data/pwned')).outcome).toEqual({
        type: 'exit',
        exit_code: 2,
      });
    }

    it('refuses a bad container create', async () => {
      await expectRefused([
        json('POST', containers, {}, 'missing_required_parameter', 'name'),
        json('POST', containers, { name: '' }, 'invalid_value', 'name'),
        json('POST', containers, { name: 'x'.repeat(257) }, 'invalid_value', 'name'),
        json('POST', containers, { name: 'x', memory_limit: '512m' }, 'invalid_value', 'memory_limit'),
        json(
          'POST',
          containers,
          { name: 'x', expires_after: { anchor: 'created_at', minutes: 5 } },
          'invalid_value',
          'expires_after.anchor',
        ),
        json(
          'POST',
          containers,
          { name: 'x', expires_after: { anchor: 'last_active_at', minutes: 0 } },
          'invalid_value',
          'expires_after.minutes',
        ),
        json('POST', containers, { name: 'x', privileged: true }, 'unknown_parameter', 'privileged'),
        json(
          'POST',
          containers,
          { name: 'x', network_policy: { type: 'allowlist', allowed_domains: ['http://example.com/'] } },
          'invalid_value',
          'network_policy.allowed_domains[0]',
        ),
        json(
          'POST',
          containers,
          { name: 'x', skills: [{ type: 'skill_reference' }] },
          'missing_required_parameter',
          'skills[0].skill_id',
        ),
        json(
          'POST',
          containers,
          { name: 'x', skills: [{ type: 'skill_reference', skill_id: 'skill_unknown' }] },
          'not_found',
          'skills[0].skill_id',
        ),
        json('POST', containers, { name: 'x', file_ids: ['file-unknown'] }, 'not_found', 'file_ids[0]'),
        raw(containers, '{"name":', 'application/json', 400, 'invalid_json'),
        raw(containers, '{"__proto__":{"polluted":1},"name":"x"}', 'application/json', 400, 'invalid_json'),
        raw(containers, 'name=x', 'application/x-www-form-urlencoded', 415, 'unsupported_media_type'),
      ]);
      expect((await escape.client('alpha').containers.list({ name: 'x' })).data).toEqual([]);
    });

    it('refuses bad list queries', async () => {
      await expectRefused([
        query(`${containers}?limit=0`, 'limit'),
        query(`${containers}?limit=101`, 'limit'),
        query(`${containers}?order=sideways`, 'order'),
        query(`${own}/files?limit=1000`, 'limit'),
        query(`${own}/files?order=%00`, 'order'),
      ]);
    });

    it('refuses a bad exec request and runs nothing', async () => {
      const exec = `${own}/exec`;
      const pwn = ['touch /mnt/data/pwned'];
      await expectRefused([
        json('POST', exec, {}, 'missing_required_parameter', 'commands'),
        json('POST', exec, { commands: [] }, 'invalid_value', 'commands'),
        json('POST', exec, { commands: [''] }, 'invalid_value', 'commands[0]'),
        json('POST', exec, { commands: ['touch /mnt/data/pwned\u0000'] }, 'invalid_value', 'commands[0]'),
        json('POST', exec, { commands: Array<string>(65).fill(pwn[0] ?? '') }, 'invalid_value', 'commands'),
        json('POST', exec, { commands: pwn, session: '../../x' }, 'invalid_value', 'session'),
        json('POST', exec, { commands: pwn, session: 'a'.repeat(65) }, 'invalid_value', 'session'),
        json('POST', exec, { commands: pwn, timeout_ms: -1 }, 'invalid_value', 'timeout_ms'),
        json('POST', exec, { commands: pwn, timeout_ms: 1e12 }, 'invalid_value', 'timeout_ms'),
        json('POST', exec, { commands: pwn, max_output_length: 0 }, 'invalid_value', 'max_output_length'),
        json('POST', exec, { commands: pwn, env: { LD_PRELOAD: '/x' } }, 'unknown_parameter', 'env'),
        json('POST', exec, { commands: pwn, user: 'root' }, 'unknown_parameter', 'user'),
        raw(exec, '{"commands":["touch /mnt/data/pwned"]', 'application/json', 400, 'invalid_json'),
      ]);
    });

    it('refuses bad container file requests', async () => {
      const files = `${own}/files`;
      const boundary = 'berth-escape-boundary';
      await expectRefused([
        json('POST', files, {}, 'missing_required_parameter', 'file_id'),
        json('POST', files, { file_id: 'file-unknown' }, 'not_found', 'file_id'),
        json('POST', files, { file_id: 'file-x', path: '/etc/passwd' }, 'unknown_parameter', 'path'),
        {
          endpoint: {
            method: 'POST',
            path: files,
            request: {
              body: Buffer.from(
                `--${boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nx\r\n--${boundary}--\r\n`,
              ),
              contentType: `multipart/form-data; boundary=${boundary}`,
            },
          },
          status: 400,
          code: 'missing_required_parameter',
          param: 'file',
        },
        {
          endpoint: {
            method: 'POST',
            path: files,
            request: {
              body: Buffer.concat([
                Buffer.from(
                  `--${boundary}\r\nContent-Disposition: form-data; name="path"\r\n\r\n/etc/passwd\r\n`,
                ),
                multipartFile('filename="pwned"', 'pwned').body,
              ]),
              contentType: `multipart/form-data; boundary=${boundary}`,
            },
          },
          status: 400,
          code: 'unknown_parameter',
          param: 'path',
        },
        json('GET', `${files}/cfile_unknown`, undefined, 'not_found', null),
        json('GET', `${files}/cfile_unknown/content`, undefined, 'not_found', null),
        json('DELETE', `${files}/cfile_unknown`, undefined, 'not_found', null),
      ]);
    });

    it('calls a value of the wrong type a wrong type, not a missing parameter', async () => {
      await expectRefused([
        json('POST', containers, { name: 7 }, 'invalid_type', 'name'),
        json('POST', `${own}/exec`, { commands: 'touch /mnt/data/pwned' }, 'invalid_type', 'commands'),
        json('POST', `${own}/exec`, { commands: ['true'], stream: 'yes' }, 'invalid_type', 'stream'),
        json('POST', `${own}/files`, { file_id: 7 }, 'invalid_type', 'file_id'),
        json('POST', `${own}/exec`, { commands: ['true'], timeout_ms: 1.5 }, 'invalid_type', 'timeout_ms'),
      ]);
    });
  });
}
