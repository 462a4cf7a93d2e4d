import { domainToASCII } from 'node:url';
import ipaddr from 'ipaddr.js';

/**
 * One entry of an allow or deny list: an exact host name (`api.example.com`), every name below a
 * domain (`*.example.com`, which does not match `example.com` itself), an IP literal (matched only by
 * that address, written in any form), or `*` (every name; never an IP literal).
 */
export type DomainPattern =
  | { readonly kind: 'any' }
  | { readonly kind: 'exact'; readonly name: string }
  | { readonly kind: 'suffix'; readonly suffix: string }
  | { readonly kind: 'address'; readonly address: string };

/**
 * Parses a list entry, or returns why it is not one. Names are compared in their ASCII (punycode)
 * lower-case form without a trailing dot, so `Bücher.example.` and `xn--bcher-kva.example` are the
 * same entry.
 */
export function parseDomainPattern(text: string): DomainPattern | { readonly error: string } {
  const trimmed = text.trim();
  if (trimmed === '*') return { kind: 'any' };
  const literal = ipLiteral(trimmed);
  if (literal !== null) return { kind: 'address', address: literal };
  const wildcard = trimmed.startsWith('*.');
  const name = canonicalHostName(wildcard ? trimmed.slice(2) : trimmed);
  if (name === null) {
    return {
      error: trimmed.includes('*')
        ? `'${text}': a wildcard may only be a leading '*.'`
        : `'${text}' is not a domain name`,
    };
  }
  if (!name.includes('.') && wildcard) return { error: `'${text}' would match a whole top-level domain` };
  return wildcard ? { kind: 'suffix', suffix: name } : { kind: 'exact', name };
}

/**
 * The host name as lists compare it (ASCII, lower case, no trailing dot), or null when it is not a
 * valid name (empty, a label over 63 characters, characters DNS names cannot hold).
 */
export function canonicalHostName(host: string): string | null {
  const withoutDot = host.endsWith('.') ? host.slice(0, -1) : host;
  if (withoutDot === '' || withoutDot.length > 253) return null;
  const name = domainToASCII(withoutDot);
  if (name === '' || !/^[a-z0-9_.-]+$/.test(name)) return null;
  if (name.split('.').some((label) => label.length === 0 || label.length > 63)) return null;
  return name;
}

/**
 * The canonical text of an IP literal in any form the resolvers of tools inside accept — dotted,
 * decimal (`2130706433`), octal (`0177.0.0.1`), hex, short (`127.1`), IPv6 with or without brackets,
 * IPv4-mapped IPv6 — or null when `host` is not an IP literal. Tools turn all of these into addresses
 * without DNS, so a list entry or a request naming one is an address, never a name.
 */
export function ipLiteral(host: string): string | null {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (ipaddr.IPv6.isValid(bare)) return ipaddr.IPv6.parse(bare.replace(/%.*$/, '')).toNormalizedString();
  // ipaddr.js reads the classic inet_aton forms (decimal, octal, hex, one to four parts).
  if (ipaddr.IPv4.isValid(bare)) return ipaddr.IPv4.parse(bare).toString();
  return null;
}

/** Whether `host` (canonical, see `canonicalHostName` and `ipLiteral`) matches the pattern. */
export function matchesDomain(pattern: DomainPattern, host: string, hostIsAddress: boolean): boolean {
  switch (pattern.kind) {
    case 'any':
      return !hostIsAddress;
    case 'exact':
      return !hostIsAddress && host === pattern.name;
    case 'suffix':
      return !hostIsAddress && host.endsWith(`.${pattern.suffix}`);
    case 'address':
      return hostIsAddress && host === pattern.address;
  }
}

/** The pattern as it is written in lists and errors. */
export function formatDomainPattern(pattern: DomainPattern): string {
  switch (pattern.kind) {
    case 'any':
      return '*';
    case 'exact':
      return pattern.name;
    case 'suffix':
      return `*.${pattern.suffix}`;
    case 'address':
      return pattern.address;
  }
}
