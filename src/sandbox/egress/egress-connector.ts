import { lookup } from 'node:dns/promises';
import { connect, type Socket } from 'node:net';
import { egressHostOf, type ContainerEgressPolicy, type EgressHost } from '../../network/egress-policy.js';

/** Where a connection that was let through goes: the checked address the socket is connected to. */
export interface OpenedUpstream {
  readonly host: EgressHost;
  readonly address: string;
  readonly socket: Socket;
}

/** A refusal, with what the tool inside and the egress log are told. */
export interface EgressRefusal {
  readonly reason: string;
  /** Set when the name resolved (the refusal was about an address): the address that was refused. */
  readonly address?: string;
  /** True when the policy allowed the host but the connection itself failed (not a policy decision). */
  readonly unreachable?: boolean;
}

/** Resolves a name the way the host does (getaddrinfo, every answer). Tests and `hosts` may replace it. */
export type Resolve = (name: string) => Promise<readonly string[]>;

export const systemResolve: Resolve = async (name) =>
  (await lookup(name, { all: true, verbatim: true })).map((answer) => answer.address);

const resolveTimeoutMs = 10_000;
const connectTimeoutMs = 15_000;

/**
 * Decides and opens one connection for a sandbox: the host must pass the container's policy (and the
 * server's ceiling); a name is resolved here, on the host — there is no resolver inside — and refused
 * if ANY answer is not a public address (unless inside `allowPrivateNetworks`), since a client could
 * otherwise pick the private one; then the socket is connected to the address that was checked, with
 * no second lookup, so a name that changes its answers between check and use (DNS rebinding) gains
 * nothing.
 */
export async function openUpstream(
  policy: ContainerEgressPolicy,
  hostText: string,
  port: number,
  resolve: Resolve,
): Promise<OpenedUpstream | EgressRefusal> {
  const host = egressHostOf(hostText);
  if (host === null) return { reason: `'${hostText}' is not a valid host name` };
  if (!Number.isInteger(port) || port < 1 || port > 65535) return { reason: `port ${port} is not valid` };
  const decision = policy.decide(host);
  if (!decision.allowed) return { reason: decision.reason };
  let addresses: readonly string[];
  if (host.isAddress) {
    addresses = [host.host];
  } else {
    const fromHosts = policy.ceiling.hostsEntry(host.host);
    try {
      addresses =
        fromHosts ?? (await withTimeout(resolve(host.host), resolveTimeoutMs, 'DNS lookup timed out'));
    } catch (error) {
      return { reason: `${host.host} did not resolve (${(error as Error).message})`, unreachable: true };
    }
  }
  if (addresses.length === 0) return { reason: `${host.host} has no addresses`, unreachable: true };
  for (const address of addresses) {
    const refusal = policy.ceiling.addressRefusal(address);
    if (refusal !== null) return { reason: refusal, address };
  }
  const address = addresses[0] as string;
  try {
    const socket = await connectTo(address, port);
    return { host, address, socket };
  } catch (error) {
    return {
      reason: `connecting to ${address}:${port} failed (${(error as Error).message})`,
      address,
      unreachable: true,
    };
  }
}

function connectTo(address: string, port: number): Promise<Socket> {
  return new Promise((resolvePromise, reject) => {
    // No Nagle: the proxy relays what the sandbox wrote as it comes, and a small write held back for
    // the peer's delayed ACK would add tens of milliseconds to a request.
    const socket = connect({ host: address, port, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('timed out'));
    }, connectTimeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolvePromise(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export function isRefusal(result: OpenedUpstream | EgressRefusal): result is EgressRefusal {
  return 'reason' in result;
}
