import { connect } from 'node:tls';
import { createServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peekClientHello } from './tls-client-hello.js';

/** The first bytes Node's own TLS client sends for `servername` (undefined: no SNI). */
let capture: (servername: string | undefined) => Promise<Buffer>;
const server = createServer();
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  capture = (servername) =>
    new Promise((resolve) => {
      server.once('connection', (socket: Socket) => {
        socket.once('data', (data: Buffer) => {
          resolve(data);
          socket.destroy();
        });
      });
      const client = connect({ host: '127.0.0.1', port, ...(servername ? { servername } : {}) });
      client.on('error', () => undefined);
    });
});
afterAll(() => {
  server.close();
});

describe('peekClientHello', () => {
  it("reads the server name of a real client's hello", async () => {
    expect(peekClientHello(await capture('api.example.com'))).toEqual({
      kind: 'hello',
      serverName: 'api.example.com',
    });
  });

  it('reports a hello without SNI (a connection to an IP address)', async () => {
    expect(peekClientHello(await capture(undefined))).toEqual({ kind: 'hello', serverName: null });
  });

  it('asks for more bytes until the record is whole, and tells plain text from TLS', async () => {
    const hello = await capture('api.example.com');
    expect(peekClientHello(hello.subarray(0, 3))).toEqual({ kind: 'incomplete' });
    expect(peekClientHello(hello.subarray(0, hello.length - 1))).toEqual({ kind: 'incomplete' });
    expect(peekClientHello(Buffer.from('GET / HTTP/1.1\r\n'))).toEqual({ kind: 'not-tls' });
    expect(peekClientHello(Buffer.from('SSH-2.0-OpenSSH_9.2\r\n'))).toEqual({ kind: 'not-tls' });
  });

  it('never throws on malformed or truncated fields: every prefix and every corrupted byte', async () => {
    const hello = await capture('api.example.com');
    for (let cut = 0; cut <= hello.length; cut += 1) peekClientHello(hello.subarray(0, cut));
    for (let at = 5; at < hello.length; at += 1) {
      const corrupted = Buffer.from(hello);
      corrupted[at] = 0xff;
      const result = peekClientHello(corrupted);
      expect(['hello', 'malformed']).toContain(result.kind);
    }
    const oversized = Buffer.from([22, 3, 1, 0xff, 0xff]);
    expect(peekClientHello(oversized)).toEqual({ kind: 'malformed' });
  });
});
