import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectFailure, type EscapeBerth } from './escape-berth.js';
import { hostListeningTcpPorts } from '../support/host-observations.js';

/**
 * A python helper printed into commands: `attempt(name, family, kind, address)` tries one connection
 * (or one datagram) and prints `name RESULT`, where RESULT is the errno's name, `CONNECTED` or `SENT`.
 */
const attemptPython = `
import errno, socket
def attempt(name, family, kind, address):
    s = socket.socket(family, kind)
    s.settimeout(10)
    try:
        if kind == socket.SOCK_DGRAM:
            s.sendto(b"x", address)
            print(name, "SENT")
        else:
            s.connect(address)
            print(name, "CONNECTED")
    except OSError as e:
        print(name, errno.errorcode.get(e.errno, "timeout" if isinstance(e, TimeoutError) else str(e)))
    finally:
        s.close()
`;

function python(script: string): string {
  return `python3 - <<'PY'\n${attemptPython}\n${script}\nPY`;
}

/** Lines `name RESULT` as a map. */
function results(stdout: string): Record<string, string> {
  return Object.fromEntries(
    stdout
      .trim()
      .split('\n')
      .map((line) => line.split(' ') as [string, string]),
  );
}

/** "No route": the errno a sandbox without a route out gives (Linux says ENETUNREACH, gVisor EHOSTUNREACH). */
const unreachable = /^(ENETUNREACH|EHOSTUNREACH)$/;

/** Exactly these attempts were made, and each ended as `expected` says. */
function expectOnly(found: Record<string, string>, names: readonly string[], expected: RegExp): void {
  expect(Object.keys(found).sort()).toEqual([...names].sort());
  for (const name of names) expect(found[name], name).toMatch(expected);
}

/** Network: a sandbox has only its own loopback; nothing outside, on the host, or in other sandboxes. */
export function describeNetworkEgress(escape: EscapeBerth): void {
  describe('network egress', () => {
    let container: string;
    let abstractName: string;
    let abstractServer: Server;

    beforeAll(async () => {
      container = await escape.createContainer('alpha', 'network');
      // An abstract unix socket on the host: it lives in the host's network namespace, so it must be
      // unreachable from a sandbox (the classic way out of a container sharing the host's network).
      abstractName = `berth-escape-${randomBytes(8).toString('hex')}`;
      abstractServer = createServer((socket) => socket.end('host abstract socket reached\n'));
      await new Promise<void>((resolve) => abstractServer.listen(`\0${abstractName}`, resolve));
    });
    afterAll(async () => {
      await new Promise((resolve) => abstractServer?.close(resolve));
    });

    it('has no network interface but lo', async () => {
      const result = await escape.run(
        'alpha',
        container,
        `python3 -c 'import socket; print(" ".join(name for _, name in socket.if_nameindex()))'`,
      );
      expect(result).toMatchObject({ stdout: 'lo\n', outcome: { type: 'exit', exit_code: 0 } });
    });

    it('cannot reach an outside address over TCP, UDP or IPv6', async () => {
      // Around the proxy: no route.
      const direct = await escape.run('alpha', container, "curl --noproxy '*' -sS -m 10 http://1.1.1.1/");
      expectFailure(direct, 7, /Failed to connect to 1\.1\.1\.1 port 80/);
      // Through it (the environment points curl there): refused, since the policy is `disabled`.
      const proxied = await escape.run('alpha', container, 'curl -fsS -m 10 http://1.1.1.1/');
      expectFailure(proxied, 22, /error: 403/);
      const tunnelled = await escape.run('alpha', container, 'curl -sS -m 10 https://1.1.1.1/');
      expectFailure(tunnelled, 56, /CONNECT tunnel failed, response 403/);
      const socks = await escape.run(
        'alpha',
        container,
        "curl --noproxy '' -sS -m 10 --socks5-hostname 127.0.0.1:1080 http://1.1.1.1/",
      );
      expectFailure(socks, 97, /SOCKS|socks/);
      const attempts = await escape.run(
        'alpha',
        container,
        python(`
attempt("tcp-1.1.1.1:443", socket.AF_INET, socket.SOCK_STREAM, ("1.1.1.1", 443))
attempt("tcp-8.8.8.8:53", socket.AF_INET, socket.SOCK_STREAM, ("8.8.8.8", 53))
attempt("udp-8.8.8.8:53", socket.AF_INET, socket.SOCK_DGRAM, ("8.8.8.8", 53))
attempt("tcp6-2606:4700:4700::1111", socket.AF_INET6, socket.SOCK_STREAM, ("2606:4700:4700::1111", 443))
`),
      );
      expectOnly(
        results(attempts.stdout),
        ['tcp-1.1.1.1:443', 'tcp-8.8.8.8:53', 'udp-8.8.8.8:53', 'tcp6-2606:4700:4700::1111'],
        unreachable,
      );
    });

    it('cannot reach the cloud metadata address', async () => {
      const tcp = await escape.run('alpha', container, 'exec 3<>/dev/tcp/169.254.169.254/80');
      expectFailure(tcp, 1, /\/dev\/tcp\/169\.254\.169\.254\/80: (Network is unreachable|No route to host)/);
      const direct = await escape.run(
        'alpha',
        container,
        "curl --noproxy '*' -sS -m 10 http://169.254.169.254/latest/meta-data/",
      );
      expectFailure(direct, 7, /Failed to connect to 169\.254\.169\.254 port 80/);
      const proxied = await escape.run(
        'alpha',
        container,
        'curl -fsS -m 10 http://169.254.169.254/latest/meta-data/',
      );
      expectFailure(proxied, 22, /error: 403/);
    });

    it('has every attempt through the proxy in its egress log, refused because the policy is disabled', async () => {
      const client = escape.client('alpha');
      const log = await client.get<{ data: { host: string; allowed: boolean; reason: string }[] }>(
        `/containers/${container}/egress?limit=100`,
      );
      const refused = log.data.filter((entry) => ['1.1.1.1', '169.254.169.254'].includes(entry.host));
      expect(refused.length).toBeGreaterThanOrEqual(3);
      for (const entry of refused) {
        expect(entry).toMatchObject({
          allowed: false,
          reason: 'the container\'s network_policy is "disabled"',
        });
      }
      // Another project cannot read it.
      await expect(escape.client('beta').get(`/containers/${container}/egress`)).rejects.toMatchObject({
        status: 404,
      });
    });

    it('cannot resolve names', async () => {
      const getent = await escape.run('alpha', container, 'getent hosts example.com');
      expect(getent).toMatchObject({ stdout: '', outcome: { type: 'exit', exit_code: 2 } });
      const curl = await escape.run('alpha', container, "curl --noproxy '*' -sS -m 10 https://example.com/");
      expectFailure(curl, 6, /Could not resolve host: example\.com/);
      // Through the proxy the name is never looked up: the policy refuses it first.
      const proxied = await escape.run('alpha', container, 'curl -sS -m 10 https://example.com/');
      expectFailure(proxied, 56, /CONNECT tunnel failed, response 403/);
      const lookup = await escape.run(
        'alpha',
        container,
        `python3 -c 'import socket; socket.getaddrinfo("example.com", 443)'`,
      );
      expectFailure(lookup, 1, /socket\.gaierror: \[Errno -\d+\]/);
    });

    it("cannot reach the host's loopback: Berth's own port, the upstreams, every host listener", async () => {
      const berthPort = escape.port;
      const berthTcp = await escape.run('alpha', container, `exec 3<>/dev/tcp/127.0.0.1/${berthPort}`);
      expectFailure(berthTcp, 1, new RegExp(`/dev/tcp/127\\.0\\.0\\.1/${berthPort}: Connection refused`));
      const curl = await escape.run(
        'alpha',
        container,
        `curl -sS -m 10 http://127.0.0.1:${berthPort}/v1/models`,
      );
      expectFailure(curl, 7, new RegExp(`Failed to connect to 127\\.0\\.0\\.1 port ${berthPort}`));

      const upstreamPorts = Object.values(escape.berth.upstreams).map((upstream) =>
        Number(new URL(upstream.baseURL).port),
      );
      const ports = [...new Set([berthPort, ...upstreamPorts, ...hostListeningTcpPorts().slice(0, 40)])];
      const hostAddresses = Object.values(networkInterfaces())
        .flat()
        .filter((address) => address && !address.internal && address.family === 'IPv4')
        .map((address) => address?.address ?? '');
      const script = [
        ...ports.map(
          (port) =>
            `attempt("127.0.0.1:${port}", socket.AF_INET, socket.SOCK_STREAM, ("127.0.0.1", ${port}))`,
        ),
        ...hostAddresses.map(
          (address) =>
            `attempt("${address}:${berthPort}", socket.AF_INET, socket.SOCK_STREAM, ("${address}", ${berthPort}))`,
        ),
      ].join('\n');
      const sweep = await escape.run('alpha', container, python(script));
      const found = results(sweep.stdout);
      expectOnly(
        found,
        [
          ...ports.map((port) => `127.0.0.1:${port}`),
          ...hostAddresses.map((address) => `${address}:${berthPort}`),
        ],
        /^(ECONNREFUSED|ENETUNREACH|EHOSTUNREACH)$/,
      );
      // Nothing listens on the sandbox's own loopback; the host's addresses are not routed at all.
      for (const port of ports) expect(found[`127.0.0.1:${port}`]).toBe('ECONNREFUSED');
      for (const address of hostAddresses) expect(found[`${address}:${berthPort}`]).toMatch(unreachable);
    });

    it("cannot reach an abstract unix socket in the host's namespace", async () => {
      const result = await escape.run(
        'alpha',
        container,
        python(`attempt("abstract", socket.AF_UNIX, socket.SOCK_STREAM, "\\0${abstractName}")`),
      );
      expect(results(result.stdout)).toEqual({ abstract: 'ECONNREFUSED' });
    });
  });
}
