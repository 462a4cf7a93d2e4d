import { request as httpRequest, type IncomingMessage } from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeInternet } from '../../../test/support/fake-internet.js';
import { rootOnly } from '../../../test/support/sandbox-drivers-here.js';
import { until } from '../../../test/support/until.js';
import { EgressCeiling, type NetworkPolicyRequest } from '../../network/egress-policy.js';
import { EgressProxy } from './egress-proxy.js';
import type { EgressRecord } from '../../network/egress-record.js';

const root = rootOnly();
const api = 'api.example.test';
const other = 'other.example.test';
const unlisted = 'unlisted.example.test';

let internet: FakeInternet;
let ceiling: EgressCeiling;
let proxy: EgressProxy;
let directory: string;
const records: EgressRecord[] = [];
const secret = 'sk-live-0123456789';

function policyOf(request: NetworkPolicyRequest) {
  return ceiling.narrow(request, 'network_policy');
}

const defaultPolicy: NetworkPolicyRequest = {
  type: 'allowlist',
  allowed_domains: [api, other, 'loopy.test', '127.0.0.1', '169.254.169.254'],
  domain_secrets: [{ domain: api, name: 'API_KEY', value: secret }],
};

// Root adds the fake sites' addresses to lo and binds ports 80 and 443 on them.
describe.skipIf(root.skip)(`the egress proxy (in process, real sockets and TLS)${root.because}`, () => {
  beforeAll(async () => {
    internet = await FakeInternet.start([api, other, unlisted]);
    const parsed = EgressCeiling.parse({
      allowedDomains: ['*'],
      deniedDomains: [],
      allowPrivateNetworks: internet.networks,
      hosts: { ...internet.hosts, 'loopy.test': '127.0.0.1' },
    });
    if (!(parsed instanceof EgressCeiling)) throw new Error('bad ceiling');
    ceiling = parsed;
    directory = mkdtempSync(join(tmpdir(), 'berth-egress-proxy-'));
    proxy = await EgressProxy.start({
      containerId: 'cntr_test',
      directory: join(directory, 'proxy'),
      policy: policyOf(defaultPolicy),
      record: (record) => records.push(record),
      extraCAs: [internet.caPem],
    });
  });
  afterAll(async () => {
    await proxy?.close();
    await internet?.close();
    rmSync(directory, { recursive: true, force: true });
  });
  beforeEach(() => {
    proxy.setPolicy(policyOf(defaultPolicy));
    records.length = 0;
    internet.requests.length = 0;
  });

  const placeholder = () => proxy.policy.secretEnvironment()['API_KEY'] ?? '';

  /** Sends CONNECT to the HTTP proxy socket; resolves with the response and (for 200) the socket. */
  function connectTunnel(target: string): Promise<{ status: number; body: string; socket: Socket }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest({
        socketPath: `${proxy.directory}/http.sock`,
        method: 'CONNECT',
        path: target,
        agent: false,
      });
      req.on('connect', (res: IncomingMessage, socket: Socket, head: Buffer) => {
        let body = head.toString();
        if (res.statusCode !== 200) {
          socket.on('data', (chunk: Buffer) => (body += chunk.toString()));
          socket.on('end', () => resolve({ status: res.statusCode ?? 0, body, socket }));
        } else resolve({ status: 200, body, socket });
      });
      req.on('error', reject);
      req.end();
    });
  }

  /** An HTTPS GET through a tunnel, TLS checked against the fake internet's CA (or the proxy's). */
  function httpsGet(
    socket: Socket,
    servername: string,
    path: string,
    headers: Record<string, string> = {},
    ca = [internet.caPem, readFileSync(`${proxy.directory}/ca.pem`, 'utf8')],
  ): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const tls = tlsConnect({ socket, servername, ca });
      tls.on('error', reject);
      tls.once('secureConnect', () => {
        const lines = [`GET ${path} HTTP/1.1`, `Host: ${headers['Host'] ?? servername}`, 'Connection: close'];
        for (const [name, value] of Object.entries(headers))
          if (name !== 'Host') lines.push(`${name}: ${value}`);
        tls.write(`${lines.join('\r\n')}\r\n\r\n`);
      });
      let text = '';
      tls.on('data', (chunk: Buffer) => (text += chunk.toString()));
      tls.on('end', () => {
        const status = Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1] ?? 0);
        resolve({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4) });
      });
    });
  }

  /** A plain-HTTP request in absolute form through the HTTP proxy. */
  function httpGet(
    url: string,
  ): Promise<{ status: number; body: string; headers: IncomingMessage['headers'] }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest({
        socketPath: `${proxy.directory}/http.sock`,
        method: 'GET',
        path: url,
        headers: { host: new URL(url).host },
      });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  /** A SOCKS5 CONNECT to a name; resolves with the reply code and the socket. */
  function socksConnect(host: string, port: number, command = 1): Promise<{ code: number; socket: Socket }> {
    return new Promise((resolve, reject) => {
      const socket = netConnect(`${proxy.directory}/socks.sock`);
      socket.on('error', reject);
      let stage = 0;
      let buffer = Buffer.alloc(0);
      socket.on('connect', () => socket.write(Buffer.from([5, 1, 0])));
      const onData = (chunk: Buffer) => {
        buffer = Buffer.concat([buffer, chunk]);
        if (stage === 0 && buffer.length >= 2) {
          buffer = buffer.subarray(2);
          stage = 1;
          const name = Buffer.from(host);
          const portBytes = Buffer.alloc(2);
          portBytes.writeUInt16BE(port);
          socket.write(Buffer.concat([Buffer.from([5, command, 0, 3, name.length]), name, portBytes]));
        }
        if (stage === 1 && buffer.length >= 10) {
          socket.off('data', onData);
          resolve({ code: buffer[1] ?? -1, socket });
        }
      };
      socket.on('data', onData);
    });
  }

  it('tunnels HTTPS to an allowed site, checking the site against the real certificate', async () => {
    const tunnel = await connectTunnel(`${other}:443`);
    expect(tunnel.status).toBe(200);
    // No secrets for this site: not intercepted, so only the fake internet's CA verifies it.
    const response = await httpsGet(tunnel.socket, other, '/hello', {}, [internet.caPem]);
    expect(response.status).toBe(200);
    expect(internet.requestsTo(other, 'https')).toHaveLength(1);
    await until(() => records.length >= 1);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      method: 'CONNECT',
      host: other,
      port: 443,
      allowed: true,
      intercepted: false,
    });
    expect(records[0]?.bytesIn).toBeGreaterThan(0);
  });

  it('forwards plain HTTP to an allowed site and passes a redirect back instead of following it', async () => {
    const response = await httpGet(`http://${other}/redirect?to=http://127.0.0.1:9/`);
    expect(response.status).toBe(302);
    expect(response.headers.location).toBe('http://127.0.0.1:9/');
    // Following it is a new request, checked again: loopback is refused.
    const followed = await httpGet('http://127.0.0.1:9/');
    expect(followed.status).toBe(403);
    expect(followed.body).toContain('loopback');
  });

  it('refuses an unlisted name, with the reason in the answer and the log', async () => {
    const tunnel = await connectTunnel(`${unlisted}:443`);
    expect(tunnel.status).toBe(403);
    expect(tunnel.body).toContain("not in the container's allowed_domains");
    expect(internet.requestsTo(unlisted)).toHaveLength(0);
    expect(records).toMatchObject([{ host: unlisted, allowed: false, status: 403 }]);
  });

  it('refuses names and literals that lead to loopback, metadata or private addresses, in every form', async () => {
    for (const target of [
      'loopy.test:80',
      '127.0.0.1:80',
      '2130706433:80',
      '0177.0.0.1:80',
      '[::ffff:127.0.0.1]:80',
      '169.254.169.254:80',
      '[::1]:80',
    ]) {
      const tunnel = await connectTunnel(target);
      expect(tunnel.status, target).toBe(403);
    }
    expect(records.every((record) => !record.allowed)).toBe(true);
    // The name was allowed; its answer was not.
    expect(records[0]?.reason).toContain('127.0.0.1 is a loopback address');
  });

  it('closes a tunnel whose TLS asks for another name than the one it was opened to', async () => {
    const tunnel = await connectTunnel(`${other}:443`);
    // The proxy closes the tunnel at the hello: the handshake fails, or ends without a response.
    const outcome = await httpsGet(tunnel.socket, unlisted, '/', {}, [internet.caPem]).catch(() => ({
      status: 0,
    }));
    expect(outcome.status).toBe(0);
    expect(internet.requests).toHaveLength(0);
    await until(() => records.length >= 1);
    expect(records).toHaveLength(1);
    expect(records[0]?.allowed).toBe(false);
    expect(records[0]?.reason).toContain(`'${unlisted}'`);
  });

  it("puts a domain's secret in place of its placeholder for that domain only", async () => {
    const tunnel = await connectTunnel(`${api}:443`);
    const response = await httpsGet(tunnel.socket, api, '/v1/things', {
      Authorization: `Bearer ${placeholder()}`,
    });
    expect(response.status).toBe(200);
    expect(internet.requestsTo(api)[0]?.headers.authorization).toBe(`Bearer ${secret}`);
    // The proxy's certificate for the site chains to the container's CA, not to any public root.
    await expect(
      connectTunnel(`${api}:443`).then((again) => httpsGet(again.socket, api, '/', {}, [internet.caPem])),
    ).rejects.toThrow();
    // Sent to another allowed site, the placeholder leaves as the placeholder.
    const elsewhere = await connectTunnel(`${other}:443`);
    await httpsGet(elsewhere.socket, other, '/', { Authorization: `Bearer ${placeholder()}` }, [
      internet.caPem,
    ]);
    expect(internet.requestsTo(other)[0]?.headers.authorization).toBe(`Bearer ${placeholder()}`);
    // And over plain HTTP nothing is put in: a secret never travels unencrypted.
    await httpGet(`http://${api}/plain`);
    expect(JSON.stringify(internet.requestsTo(api, 'http'))).not.toContain(secret);
    await until(() => records.some((record) => record.intercepted));
  });

  it('answers 421 when an intercepted request names another host than its tunnel', async () => {
    const tunnel = await connectTunnel(`${api}:443`);
    const response = await httpsGet(tunnel.socket, api, '/', {
      Host: other,
      Authorization: `Bearer ${placeholder()}`,
    });
    expect(response.status).toBe(421);
    expect(internet.requests).toHaveLength(0);
  });

  it('speaks SOCKS5 CONNECT with the same checks, and refuses BIND and UDP', async () => {
    const allowed = await socksConnect(other, 443);
    expect(allowed.code).toBe(0);
    expect((await httpsGet(allowed.socket, other, '/socks', {}, [internet.caPem])).status).toBe(200);
    expect((await socksConnect(unlisted, 443)).code).toBe(2);
    expect((await socksConnect('loopy.test', 80)).code).toBe(2);
    expect((await socksConnect(other, 443, 3)).code).toBe(7);
  });

  it('follows a new policy at once, and refuses everything when disabled', async () => {
    proxy.setPolicy(policyOf({ type: 'disabled' }));
    expect((await connectTunnel(`${other}:443`)).status).toBe(403);
    proxy.setPolicy(policyOf({ type: 'allowlist', allowed_domains: [unlisted] }));
    expect((await connectTunnel(`${unlisted}:443`)).status).toBe(200);
    expect((await connectTunnel(`${other}:443`)).status).toBe(403);
  });
});
