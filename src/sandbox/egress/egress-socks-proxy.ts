import { createServer, type Server, type Socket } from 'node:net';
import { isRefusal, openUpstream } from './egress-connector.js';
import { refusalRecord, type EgressProxyContext } from './egress-proxy-context.js';
import { startTunnel } from './egress-tunnel-session.js';

/** How long a client may take over the SOCKS handshake. */
const handshakeTimeoutMs = 10_000;

/** SOCKS5 reply codes (RFC 1928 §6). */
const reply = {
  succeeded: 0,
  notAllowed: 2,
  hostUnreachable: 4,
  commandNotSupported: 7,
  addressNotSupported: 8,
};

/**
 * The SOCKS5 proxy a sandbox's tools reach at `127.0.0.1:1080` (`ALL_PROXY=socks5h://…`): no
 * authentication, CONNECT only (BIND and UDP ASSOCIATE are refused: there is no UDP way out, so no
 * DNS from inside either). The name a client sends is resolved here, as with the HTTP proxy; a tunnel
 * it opens is the same checked tunnel (SNI check, interception for secrets).
 */
export function createEgressSocksProxy(context: EgressProxyContext): Server {
  return createServer((socket) => void handshake(context, socket));
}

async function handshake(context: EgressProxyContext, socket: Socket): Promise<void> {
  const at = Date.now();
  socket.on('error', () => socket.destroy());
  const reader = new SocketReader(socket);
  const timer = setTimeout(() => socket.destroy(), handshakeTimeoutMs);
  try {
    // Greeting: version 5, the methods the client offers; only "no authentication" (0) is accepted.
    const [version, methodCount] = await reader.read(2);
    if (version !== 5) return void socket.destroy();
    const methods = await reader.read(methodCount ?? 0);
    if (!methods.includes(0)) return void socket.end(Buffer.from([5, 0xff]));
    socket.write(Buffer.from([5, 0]));
    const [, command, , addressType] = await reader.read(4);
    let host: string;
    if (addressType === 1) host = [...(await reader.read(4))].join('.');
    else if (addressType === 4) host = ipv6Text(await reader.read(16));
    else if (addressType === 3) host = (await reader.read((await reader.read(1))[0] ?? 0)).toString('latin1');
    else return void answer(socket, reply.addressNotSupported, true);
    const port = (await reader.read(2)).readUInt16BE(0);
    clearTimeout(timer);
    const base = { at, method: 'SOCKS', host, port };
    if (command !== 1) {
      context.record(refusalRecord(base, { reason: 'only SOCKS CONNECT is allowed (no BIND or UDP)' }, null));
      return void answer(socket, reply.commandNotSupported, true);
    }
    const opened = await openUpstream(context.policy(), host, port, context.resolve);
    if (isRefusal(opened)) {
      context.record(refusalRecord(base, opened, null));
      return void answer(socket, opened.unreachable ? reply.hostUnreachable : reply.notAllowed, true);
    }
    answer(socket, reply.succeeded, false);
    const rest = reader.rest();
    if (rest.length > 0) socket.unshift(rest);
    await startTunnel(context, socket, opened, base);
  } catch {
    socket.destroy();
  } finally {
    clearTimeout(timer);
  }
}

function answer(socket: Socket, code: number, close: boolean): void {
  const message = Buffer.from([5, code, 0, 1, 0, 0, 0, 0, 0, 0]);
  if (close) socket.end(message);
  else socket.write(message);
}

function ipv6Text(bytes: Buffer): string {
  const groups: string[] = [];
  for (let at = 0; at < 16; at += 2) groups.push(bytes.readUInt16BE(at).toString(16));
  return groups.join(':');
}

/** Reads exact byte counts from a socket during a handshake; what is left over is handed back. */
class SocketReader {
  #buffer = Buffer.alloc(0);
  #waiting: (() => void) | null = null;
  #ended = false;
  readonly #socket: Socket;
  readonly #onData = (chunk: Buffer) => {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    this.#waiting?.();
  };
  readonly #onEnd = () => {
    this.#ended = true;
    this.#waiting?.();
  };

  constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', this.#onData);
    socket.once('end', this.#onEnd);
    socket.once('close', this.#onEnd);
  }

  async read(length: number): Promise<Buffer> {
    while (this.#buffer.length < length) {
      if (this.#ended) throw new Error('the client closed during the SOCKS handshake');
      await new Promise<void>((resolve) => {
        this.#waiting = resolve;
      });
      this.#waiting = null;
    }
    const bytes = this.#buffer.subarray(0, length);
    this.#buffer = this.#buffer.subarray(length);
    return bytes;
  }

  /** Stops reading and returns the bytes read past the handshake. */
  rest(): Buffer {
    this.#socket.off('data', this.#onData);
    this.#socket.off('end', this.#onEnd);
    this.#socket.off('close', this.#onEnd);
    this.#socket.pause();
    return this.#buffer;
  }
}
