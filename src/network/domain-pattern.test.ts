import { describe, expect, it } from 'vitest';
import { canonicalHostName, ipLiteral, matchesDomain, parseDomainPattern } from './domain-pattern.js';

describe('domain patterns', () => {
  it('parses names, wildcards, IP literals and *', () => {
    expect(parseDomainPattern('API.Example.com.')).toEqual({ kind: 'exact', name: 'api.example.com' });
    expect(parseDomainPattern('*.example.com')).toEqual({ kind: 'suffix', suffix: 'example.com' });
    expect(parseDomainPattern('*')).toEqual({ kind: 'any' });
    expect(parseDomainPattern('[::1]')).toEqual({ kind: 'address', address: '0:0:0:0:0:0:0:1' });
    expect(parseDomainPattern('Bücher.example')).toEqual({ kind: 'exact', name: 'xn--bcher-kva.example' });
  });

  it('refuses what is not a name, a wildcard anywhere but the front, and wildcards over a TLD', () => {
    for (const text of [
      '',
      'exa mple.com',
      'a..b',
      'api.*.example.com',
      'api*.example.com',
      '*.com',
      'x'.repeat(64) + '.com',
    ]) {
      expect(parseDomainPattern(text)).toHaveProperty('error');
    }
  });

  it('matches exact names exactly and wildcards only below their domain', () => {
    const exact = { kind: 'exact', name: 'example.com' } as const;
    const suffix = { kind: 'suffix', suffix: 'example.com' } as const;
    expect(matchesDomain(exact, 'example.com', false)).toBe(true);
    expect(matchesDomain(exact, 'api.example.com', false)).toBe(false);
    expect(matchesDomain(suffix, 'api.example.com', false)).toBe(true);
    expect(matchesDomain(suffix, 'a.b.example.com', false)).toBe(true);
    expect(matchesDomain(suffix, 'example.com', false)).toBe(false);
    // A look-alike ending is not a subdomain.
    expect(matchesDomain(suffix, 'evilexample.com', false)).toBe(false);
    // `*` never matches an address; an address matches only itself.
    expect(matchesDomain({ kind: 'any' }, '1.2.3.4', true)).toBe(false);
    expect(matchesDomain({ kind: 'address', address: '1.2.3.4' }, '1.2.3.4', true)).toBe(true);
    expect(matchesDomain({ kind: 'address', address: '1.2.3.4' }, '1.2.3.4', false)).toBe(false);
  });

  it('reads every form tools accept for an IP literal as that address', () => {
    for (const form of ['127.0.0.1', '2130706433', '0177.0.0.1', '0x7f000001', '127.1', '0x7f.0.0.1']) {
      expect(ipLiteral(form)).toBe('127.0.0.1');
    }
    expect(ipLiteral('[::ffff:127.0.0.1]')).toBe('0:0:0:0:0:ffff:7f00:1');
    expect(ipLiteral('example.com')).toBe(null);
  });

  it('canonicalises names and refuses invalid ones', () => {
    expect(canonicalHostName('WWW.Example.COM.')).toBe('www.example.com');
    expect(canonicalHostName('under_score.example')).toBe('under_score.example');
    expect(canonicalHostName('bad host')).toBe(null);
    expect(canonicalHostName('')).toBe(null);
  });
});
