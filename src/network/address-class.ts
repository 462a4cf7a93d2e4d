import ipaddr from 'ipaddr.js';

/**
 * Why an address may not be reached from a sandbox, or null when it is an ordinary public address.
 * Everything that is not the public internet is refused by default — loopback (the host's own
 * services, Berth's API among them), private and unique-local networks (the operator's LAN),
 * link-local (cloud metadata services at 169.254.169.254 and fd00:ec2::254 hand out credentials),
 * carrier-grade NAT, multicast, broadcast, unspecified and reserved ranges, and IPv4-mapped or
 * translated IPv6 forms, which smuggle any of those inside an IPv6 address.
 */
export function nonPublicReason(address: string): string | null {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(address);
  } catch {
    return 'not an IP address';
  }
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress())
    return 'IPv4-mapped IPv6 address';
  const range = parsed.range();
  return range === 'unicast' ? null : (rangeNames[range] ?? range);
}

const rangeNames: Record<string, string> = {
  unspecified: 'unspecified address',
  broadcast: 'broadcast address',
  multicast: 'multicast address',
  linkLocal: 'link-local address (cloud metadata lives here)',
  loopback: 'loopback address',
  carrierGradeNat: 'carrier-grade NAT address',
  private: 'private network address',
  reserved: 'reserved address',
  uniqueLocal: 'unique-local (private) IPv6 address',
  ipv4Mapped: 'IPv4-mapped IPv6 address',
  rfc6145: 'IPv4-translated IPv6 address',
  rfc6052: 'IPv4-embedded IPv6 address',
  '6to4': '6to4 address',
  teredo: 'Teredo address',
  benchmarking: 'benchmarking address',
  amt: 'AMT address',
  as112: 'AS112 address',
  deprecated: 'deprecated address',
  orchid2: 'ORCHIDv2 address',
  droneRemoteIdProtocolEntityTags: 'reserved address',
  discard: 'discard-only address',
};

/** A parsed `allowPrivateNetworks` entry. */
export type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** Parses a CIDR (`10.20.0.0/16`, `fd12::/48`) or a single address, or returns null. */
export function parseCidr(text: string): Cidr | null {
  try {
    if (text.includes('/')) return ipaddr.parseCIDR(text);
    const address = ipaddr.parse(text);
    return [address, address.kind() === 'ipv4' ? 32 : 128];
  } catch {
    return null;
  }
}

/** Whether `address` lies inside one of `networks` (an IPv4-mapped IPv6 address counts as its IPv4). */
export function insideNetworks(address: string, networks: readonly Cidr[]): boolean {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.process(address);
  } catch {
    return false;
  }
  return networks.some(([network, bits]) => network.kind() === parsed.kind() && parsed.match(network, bits));
}
