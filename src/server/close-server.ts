import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

/**
 * Every socket the server accepted and that is still open — HTTP, SSE, WebSocket, or an upgrade it
 * refused — so a shutdown can end the ones that would otherwise hold it open.
 */
export function trackConnections(app: FastifyInstance): ReadonlySet<Socket> {
  const sockets = new Set<Socket>();
  app.server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return sockets;
}

/**
 * Closes the server, giving open connections at most `graceMs` to finish before they are destroyed.
 *
 * Threat: a shutdown that waits on its peers can be held open forever by one of them. Fastify closes
 * idle HTTP connections, but not upgraded ones: a WebSocket peer that never answers the close
 * handshake (ws waits 30 s), or a half-closed socket nobody reads, kept `SIGTERM` from ending the
 * process for 40 s and more, until the supervisor's SIGKILL lost what was still being recorded.
 */
export async function closeWithin(
  app: FastifyInstance,
  sockets: ReadonlySet<Socket>,
  graceMs: number,
): Promise<void> {
  const deadline = setTimeout(() => {
    for (const socket of sockets) socket.destroy();
  }, graceMs);
  try {
    await app.close();
  } finally {
    clearTimeout(deadline);
  }
}
