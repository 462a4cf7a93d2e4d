import type { Socket } from 'node:net';
import { peekClientHello } from './tls-client-hello.js';

/** How long a client may take to send the first bytes of a tunnel (its TLS hello). */
const firstBytesTimeoutMs = 10_000;

/** What the first bytes of a tunnel turned out to be. */
export type TunnelStart =
  | { readonly kind: 'tls'; readonly serverName: string | null; readonly head: Buffer }
  | { readonly kind: 'other'; readonly head: Buffer }
  | { readonly kind: 'failed'; readonly reason: string };

/**
 * Reads a tunnel's first bytes (without passing them on) until they are known to be a whole TLS
 * ClientHello or something else. A client that sends nothing waits for nothing: protocols where the
 * server speaks first (SSH, SMTP) get `other` with an empty head after a short wait.
 */
export function readTunnelStart(client: Socket, serverSpeaksFirstMs = 300): Promise<TunnelStart> {
  return new Promise((resolve) => {
    let head = Buffer.alloc(0);
    const finish = (start: TunnelStart) => {
      clearTimeout(quiet);
      clearTimeout(deadline);
      client.off('data', onData);
      client.off('end', onEnd);
      client.off('error', onEnd);
      client.pause();
      resolve(start);
    };
    const onData = (chunk: Buffer) => {
      clearTimeout(quiet);
      head = Buffer.concat([head, chunk]);
      const peek = peekClientHello(head);
      if (peek.kind === 'hello') finish({ kind: 'tls', serverName: peek.serverName, head });
      else if (peek.kind === 'not-tls') finish({ kind: 'other', head });
      else if (peek.kind === 'malformed') finish({ kind: 'failed', reason: 'malformed TLS ClientHello' });
    };
    const onEnd = () =>
      finish({ kind: 'failed', reason: 'the client closed the tunnel before sending anything' });
    const quiet = setTimeout(() => {
      if (head.length === 0) finish({ kind: 'other', head });
    }, serverSpeaksFirstMs);
    const deadline = setTimeout(
      () => finish({ kind: 'failed', reason: 'the client sent no complete TLS hello in time' }),
      firstBytesTimeoutMs,
    );
    client.on('data', onData);
    client.once('end', onEnd);
    client.once('error', onEnd);
    client.resume();
  });
}

/** Bytes counted each way while two sockets are joined. */
export interface Traffic {
  bytesOut: number;
  bytesIn: number;
}

/**
 * Joins the client and the upstream (after writing `head`, the bytes already read from the client)
 * and resolves with the bytes each way once both are closed. An error on either side closes both.
 */
export function joinSockets(client: Socket, upstream: Socket, head: Buffer): Promise<Traffic> {
  return new Promise((resolve) => {
    const traffic: Traffic = { bytesOut: head.length, bytesIn: 0 };
    if (head.length > 0) upstream.write(head);
    client.on('data', (chunk: Buffer) => {
      traffic.bytesOut += chunk.length;
    });
    upstream.on('data', (chunk: Buffer) => {
      traffic.bytesIn += chunk.length;
    });
    let open = 2;
    const closed = () => {
      open -= 1;
      if (open === 0) resolve(traffic);
    };
    const fail = () => {
      client.destroy();
      upstream.destroy();
    };
    // A side that is closed both ways ends the other once what it sent is written: a client whose
    // socket is half-open by default (the HTTP server's) would otherwise keep the tunnel forever.
    client.once('close', () => {
      closed();
      upstream.end(() => upstream.destroy());
    });
    upstream.once('close', () => {
      closed();
      client.end(() => client.destroy());
    });
    client.on('error', fail);
    upstream.on('error', fail);
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
  });
}
