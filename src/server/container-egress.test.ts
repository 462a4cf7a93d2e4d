import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type OpenAI from 'openai';
import { FakeInternet } from '../../test/support/fake-internet.js';
import { describeEachDriver, rootOnly } from '../../test/support/sandbox-drivers-here.js';
import { startTestBerth, type TestBerth } from '../../test/support/start-test-berth.js';

const api = 'api.example.test';
const other = 'other.example.test';
const unlisted = 'unlisted.example.test';
/** Named in a policy, but `hosts` sends it to a private address outside `allowPrivateNetworks`. */
const intranet = 'intranet.example.test';
const secret = 'sk-live-berth-egress-0042';

interface EgressEntry {
  readonly id: string;
  readonly object: string;
  readonly host: string;
  readonly port: number;
  readonly method: string;
  readonly allowed: boolean;
  readonly reason: string | null;
  readonly response_id: string | null;
  readonly call_id: string | null;
  readonly intercepted: boolean;
}
interface EgressList {
  readonly object: 'list';
  readonly data: EgressEntry[];
  readonly has_more: boolean;
}
interface ExecAnswer {
  readonly output: { stdout: string; stderr: string; outcome: { type: string; exit_code?: number } }[];
}

const allowlist = {
  type: 'allowlist' as const,
  allowed_domains: [api, other, intranet],
  domain_secrets: [{ domain: api, name: 'API_KEY', value: secret }],
};

/**
 * Egress through the API on each driver, as a user meets it: `network_policy` on `POST /v1/containers`
 * and on `container_auto`, narrowed to the server's `network` ceiling, the container object echoing it
 * without the secret, an agent's commands reaching what is allowed with the secret put in on the way
 * out, and the egress log (`GET /v1/containers/{id}/egress`) showing each decision. "The internet" is
 * sites on private addresses of this host, reached through `hosts` and `allowPrivateNetworks`.
 */
describeEachDriver('container egress through the API on %s', (driver) => {
  const root = rootOnly();
  describe.skipIf(root.skip)(`with sites on this host${root.because}`, () => {
    let internet: FakeInternet;
    let berth: TestBerth;
    let client: OpenAI;

    const exec = async (containerId: string, command: string) =>
      (
        await client.post<ExecAnswer>(`/containers/${containerId}/exec`, {
          body: { commands: [command], timeout_ms: 30_000 },
        })
      ).output[0];
    const egressOf = (containerId: string, query = '') =>
      client.get<EgressList>(`/containers/${containerId}/egress${query}`);
    /** The log is written as each connection ends, a moment after the command that made it exits. */
    const egressWhen = (containerId: string, done: (entries: EgressEntry[]) => boolean) =>
      vi.waitFor(
        async () => {
          const list = await egressOf(containerId, '?limit=100');
          if (!done(list.data)) throw new Error(`egress log not there yet: ${JSON.stringify(list.data)}`);
          return list.data;
        },
        { timeout: 60_000, interval: 50 },
      );

    beforeAll(async () => {
      internet = await FakeInternet.start([api, other, unlisted]);
      berth = await startTestBerth({
        sandbox: { driver, warmPool: 1 },
        network: {
          deniedDomains: ['denied.example.test'],
          allowPrivateNetworks: internet.networks,
          hosts: { ...internet.hosts, [intranet]: '192.168.77.7' },
          upstreamCAs: internet.caPem,
        },
      });
      client = berth.client();
    });
    afterAll(async () => {
      await berth?.close();
      await internet?.close();
    });

    it('refuses a policy outside the ceiling with a 400 naming the param, and creates nothing', async () => {
      const before = (await client.containers.list()).data.length;
      const refusals = [
        {
          policy: { type: 'allowlist', allowed_domains: [api, 'denied.example.test'] },
          param: 'network_policy.allowed_domains[1]',
        },
        {
          policy: { type: 'allowlist', allowed_domains: ['https://api.example.test/'] },
          param: 'network_policy.allowed_domains[0]',
        },
        {
          policy: {
            type: 'allowlist',
            allowed_domains: [other],
            domain_secrets: [{ domain: api, name: 'API_KEY', value: secret }],
          },
          param: 'network_policy.domain_secrets[0].domain',
        },
        {
          policy: {
            type: 'allowlist',
            allowed_domains: [api],
            domain_secrets: [{ domain: api, name: 'HTTPS_PROXY', value: secret }],
          },
          param: 'network_policy.domain_secrets[0].name',
        },
        {
          policy: {
            type: 'allowlist',
            allowed_domains: [api],
            domain_secrets: [{ domain: api, name: 'API_KEY', value: `${secret}\r\nX-Forged: 1` }],
          },
          param: 'network_policy.domain_secrets[0].value',
        },
      ];
      for (const { policy, param } of refusals) {
        const answer = await fetch(`${berth.baseURL}/containers`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'refused', network_policy: policy }),
        });
        const text = await answer.text();
        expect(answer.status, text).toBe(400);
        expect(JSON.parse(text)).toMatchObject({ error: { type: 'invalid_request_error', param } });
        expect(text).not.toContain(secret);
      }
      expect((await client.containers.list()).data.length).toBe(before);
    });

    it('lets an agent use the allowed API with its placeholder, and logs every decision', async () => {
      // Cloud metadata and the host's loopback listed explicitly: their addresses are refused anyway.
      const listed = [api, other, intranet, '169.254.169.254', '127.0.0.1'];
      const container = await client.containers.create({
        name: 'egress',
        network_policy: { ...allowlist, allowed_domains: listed },
      });
      const shown = { type: 'allowlist', allowed_domains: listed };
      const secretShown = { domain_secrets: [{ domain: api, name: 'API_KEY' }] };
      expect(container.network_policy).toEqual({ ...shown, ...secretShown });
      const retrieved = await client.containers.retrieve(container.id);
      expect(JSON.stringify(retrieved)).not.toContain(secret);
      expect(retrieved.network_policy).toEqual({ ...shown, ...secretShown });

      // Inside, the variable holds a placeholder; the API receives the secret in its place.
      const placeholder = (await exec(container.id, 'printf %s "$API_KEY"'))?.stdout ?? '';
      expect(placeholder).toMatch(/^berth_placeholder_[0-9a-f]{32}$/);
      const called = await exec(
        container.id,
        `curl -sS -H "Authorization: Bearer $API_KEY" https://${api}/v1/things`,
      );
      expect(called?.outcome).toEqual({ type: 'exit', exit_code: 0 });
      expect(internet.requestsTo(api, 'https').at(-1)?.headers.authorization).toBe(`Bearer ${secret}`);
      // Another allowed site gets the placeholder, never the secret.
      await exec(container.id, `curl -sS -H "Authorization: Bearer $API_KEY" https://${other}/`);
      expect(internet.requestsTo(other).at(-1)?.headers.authorization).toBe(`Bearer ${placeholder}`);

      // Refused: an unlisted site, cloud metadata, the host's loopback (Berth's own port), and an
      // allowed name that resolves to a private address.
      // (`--noproxy ''` sends 127.0.0.1 through the proxy too, as an agent aiming at the host would.)
      const port = new URL(berth.baseURL).port;
      for (const target of [
        `https://${unlisted}/`,
        'http://169.254.169.254/latest/meta-data/',
        `http://127.0.0.1:${port}/v1/models`,
        `https://${intranet}/`,
      ]) {
        // -f: a refusal the proxy answers over HTTP (403) is a failure too.
        const refused = await exec(container.id, `curl --noproxy '' -fsS -m 10 -o /dev/null ${target}`);
        expect(refused?.outcome, target).not.toEqual({ type: 'exit', exit_code: 0 });
      }
      expect(internet.requestsTo(unlisted)).toEqual([]);

      const entries = await egressWhen(container.id, (data) => data.length >= 6);
      const byHost = (host: string) => entries.filter((entry) => entry.host === host);
      expect(byHost(api)).toEqual([
        expect.objectContaining({
          object: 'container.egress',
          method: 'CONNECT',
          port: 443,
          allowed: true,
          intercepted: true,
        }),
      ]);
      expect(byHost(other)[0]).toMatchObject({ allowed: true, intercepted: false });
      expect(byHost(unlisted)[0]).toMatchObject({
        allowed: false,
        reason: "not in the container's allowed_domains",
      });
      expect(byHost('169.254.169.254')[0]?.reason).toContain('link-local');
      expect(byHost('127.0.0.1')[0]?.reason).toContain('loopback');
      expect(byHost(intranet)[0]?.reason).toContain('private');
      // The Containers API's own exec names no response.
      expect(entries.every((entry) => entry.response_id === null)).toBe(true);
      const firstPage = await egressOf(container.id, '?limit=2');
      expect(firstPage.data).toHaveLength(2);
      expect(firstPage.has_more).toBe(true);
      expect(JSON.stringify(entries)).not.toContain(secret);

      // The log goes with its container.
      await client.containers.delete(container.id);
      await expect(egressOf(container.id)).rejects.toMatchObject({ status: 404 });
    });

    it('takes network_policy on container_auto, and the tool-call log links to the call’s connections', async () => {
      const upstream = berth.upstreams.oai;
      const refused = await fetch(`${berth.baseURL}/responses`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'oai/gpt-5',
          input: 'x',
          tools: [
            {
              type: 'shell',
              environment: {
                type: 'container_auto',
                network_policy: { type: 'allowlist', allowed_domains: ['denied.example.test'] },
              },
            },
          ],
        }),
      });
      expect(refused.status).toBe(400);
      expect(await refused.json()).toMatchObject({
        error: { param: 'tools[0].environment.network_policy.allowed_domains[0]' },
      });

      upstream.script(
        // The fake site echoes the request it got; a real API does not print the caller's key back.
        {
          shellCalls: [
            { commands: [`curl -sS -o /dev/null -H "Authorization: Bearer $API_KEY" https://${api}/auto`] },
          ],
        },
        { text: 'Called it.' },
      );
      const response = await client.responses.create({
        model: 'oai/gpt-5',
        input: 'Call the API.',
        tools: [{ type: 'shell', environment: { type: 'container_auto', network_policy: allowlist } }],
      });
      expect(response.status).toBe('completed');
      expect(internet.requestsTo(api).at(-1)).toMatchObject({
        url: '/auto',
        headers: { authorization: `Bearer ${secret}` },
      });
      const tool = response.tools[0] as { environment?: { container_id?: string } };
      const containerId = tool.environment?.container_id ?? '';
      expect((await client.containers.retrieve(containerId)).network_policy).toMatchObject({
        type: 'allowlist',
        allowed_domains: [api, other, intranet],
      });
      const log = await client.get<{ data: { call_id: string; egress_url: string }[] }>(
        `/responses/${response.id}/tool_calls`,
      );
      const [entry] = log.data;
      expect(entry?.egress_url).toBe(`/v1/containers/${containerId}/egress?call_id=${entry?.call_id}`);
      await egressWhen(containerId, (data) => data.length > 0);
      const ofCall = await client.get<EgressList>(entry?.egress_url.replace(/^\/v1/, '') ?? '');
      expect(ofCall.data).toEqual([
        expect.objectContaining({
          host: api,
          allowed: true,
          response_id: response.id,
          call_id: entry?.call_id,
        }),
      ]);
      expect(JSON.stringify(response)).not.toContain(secret);
    });

    it('changes a running container’s policy at once, keeping its shell and its placeholder', async () => {
      const container = await client.containers.create({
        name: 'changing',
        network_policy: {
          type: 'allowlist',
          allowed_domains: [api],
          domain_secrets: allowlist.domain_secrets,
        },
      });
      const update = (body: unknown) =>
        client.post<OpenAI.Containers.ContainerRetrieveResponse>(`/containers/${container.id}`, { body });
      const placeholder = (await exec(container.id, 'export MARK=kept; printf %s "$API_KEY"'))?.stdout;
      const reachOther = `curl -fsS -m 10 -o /dev/null https://${other}/`;
      expect((await exec(container.id, reachOther))?.outcome).not.toEqual({ type: 'exit', exit_code: 0 });

      // Another domain allowed and the secret rotated, in one request; the answer shows no value.
      const rotated = 'sk-live-berth-egress-rotated';
      const changed = await update({
        network_policy: {
          type: 'allowlist',
          allowed_domains: [api, other],
          domain_secrets: [{ domain: api, name: 'API_KEY', value: rotated }],
        },
      });
      expect(changed.network_policy).toEqual({
        type: 'allowlist',
        allowed_domains: [api, other],
        domain_secrets: [{ domain: api, name: 'API_KEY' }],
      });
      expect(JSON.stringify(changed)).not.toContain(rotated);
      expect((await exec(container.id, reachOther))?.outcome).toEqual({ type: 'exit', exit_code: 0 });
      // The same shell, the same placeholder, the new value on the way out.
      expect((await exec(container.id, 'printf %s "$MARK $API_KEY"'))?.stdout).toBe(`kept ${placeholder}`);
      await exec(container.id, `curl -sS -H "Authorization: Bearer $API_KEY" https://${api}/rotated`);
      expect(internet.requestsTo(api).at(-1)).toMatchObject({
        url: '/rotated',
        headers: { authorization: `Bearer ${rotated}` },
      });

      // Refused, changing nothing: a secret name the sandbox's environment lacks, a domain outside
      // the ceiling, a field that is not the policy.
      const refusals: [unknown, string][] = [
        [
          {
            network_policy: {
              type: 'allowlist',
              allowed_domains: [api],
              domain_secrets: [
                { domain: api, name: 'API_KEY', value: rotated },
                { domain: api, name: 'NEW_KEY', value: 'sk-new' },
              ],
            },
          },
          'network_policy.domain_secrets[1].name',
        ],
        [
          { network_policy: { type: 'allowlist', allowed_domains: [api, 'denied.example.test'] } },
          'network_policy.allowed_domains[1]',
        ],
        [{ network_policy: { type: 'disabled' }, name: 'renamed' }, 'name'],
      ];
      for (const [body, param] of refusals) {
        await expect(update(body), param).rejects.toMatchObject({ status: 400, param });
      }
      expect((await client.containers.retrieve(container.id)).network_policy).toEqual(changed.network_policy);

      // Disabled: nothing leaves, and it stays so after a restart of the sandbox.
      expect((await update({ network_policy: { type: 'disabled' } })).network_policy).toEqual({
        type: 'disabled',
      });
      const reachApi = `curl -fsS -m 10 -o /dev/null https://${api}/`;
      expect((await exec(container.id, reachApi))?.outcome).not.toEqual({ type: 'exit', exit_code: 0 });
      const refused = await egressWhen(container.id, (data) =>
        data.some((entry) => entry.host === api && !entry.allowed),
      );
      expect(refused.filter((entry) => entry.host === api).at(-1)?.reason).toContain('disabled');
    });

    it('keeps the policy and its secret across a restart', async () => {
      const container = await client.containers.create({ name: 'kept', network_policy: allowlist });
      const placeholder = (await exec(container.id, 'printf %s "$API_KEY"'))?.stdout;
      await berth.stopServer();
      berth = await berth.restart();
      client = berth.client();
      expect((await client.containers.retrieve(container.id)).network_policy).toMatchObject({
        allowed_domains: [api, other, intranet],
      });
      // The sandbox starts again from its disk, with the same placeholder in its environment.
      expect((await exec(container.id, 'printf %s "$API_KEY"'))?.stdout).toBe(placeholder);
      await exec(container.id, `curl -sS -H "Authorization: Bearer $API_KEY" https://${api}/after-restart`);
      expect(internet.requestsTo(api).at(-1)).toMatchObject({
        url: '/after-restart',
        headers: { authorization: `Bearer ${secret}` },
      });
    });
  });
});
