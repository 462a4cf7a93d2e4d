import { describe, expect, it } from 'vitest';
import { BerthError } from '../errors/berth-error.js';
import { EgressCeiling, egressHostOf, type EgressCeilingSettings } from './egress-policy.js';

const open: EgressCeilingSettings = {
  allowedDomains: ['*'],
  deniedDomains: [],
  allowPrivateNetworks: [],
  hosts: {},
};

function ceilingOf(settings: Partial<EgressCeilingSettings>): EgressCeiling {
  const ceiling = EgressCeiling.parse({ ...open, ...settings });
  if (!(ceiling instanceof EgressCeiling)) throw new Error(JSON.stringify(ceiling.errors));
  return ceiling;
}

function host(text: string) {
  const parsed = egressHostOf(text);
  if (parsed === null) throw new Error(`bad host ${text}`);
  return parsed;
}

function paramOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof BerthError) return error.param ?? undefined;
    throw error;
  }
  throw new Error('did not throw');
}

describe('EgressCeiling', () => {
  it('reports each invalid setting with its path', () => {
    const parsed = EgressCeiling.parse({
      allowedDomains: ['*.com'],
      deniedDomains: ['ok.example', 'a b'],
      allowPrivateNetworks: ['10.0.0.0/8', 'ten'],
      hosts: { 'mirror.internal': '10.1.1.1', 'bad host': '1.1.1.1', 'x.internal': 'not-an-ip' },
    });
    expect('errors' in parsed && parsed.errors.map((error) => error.path)).toEqual([
      'allowedDomains[0]',
      'deniedDomains[1]',
      'allowPrivateNetworks[1]',
      'hosts.bad host',
      'hosts.x.internal',
    ]);
  });

  it('lets a request only narrow it, naming the domain that does not fit', () => {
    const ceiling = ceilingOf({
      allowedDomains: ['*.example.com', 'pypi.org'],
      deniedDomains: ['secret.example.com'],
    });
    const policy = ceiling.narrow(
      { type: 'allowlist', allowed_domains: ['api.example.com', '*.cdn.example.com'] },
      'p',
    );
    expect(policy.toWire()).toEqual({
      type: 'allowlist',
      allowed_domains: ['api.example.com', '*.cdn.example.com'],
    });
    expect(
      paramOf(() => ceiling.narrow({ type: 'allowlist', allowed_domains: ['pypi.org', 'evil.test'] }, 'p')),
    ).toBe('p.allowed_domains[1]');
    expect(paramOf(() => ceiling.narrow({ type: 'allowlist', allowed_domains: ['*'] }, 'p'))).toBe(
      'p.allowed_domains[0]',
    );
    expect(
      paramOf(() => ceiling.narrow({ type: 'allowlist', allowed_domains: ['secret.example.com'] }, 'p')),
    ).toBe('p.allowed_domains[0]');
    expect(paramOf(() => ceiling.narrow({ type: 'allowlist', allowed_domains: ['1.2.3.4'] }, 'p'))).toBe(
      'p.allowed_domains[0]',
    );
  });

  it('decides deny first, then the ceiling, then the container list', () => {
    const ceiling = ceilingOf({ deniedDomains: ['*.internal.example.com'] });
    const policy = ceiling.narrow({ type: 'allowlist', allowed_domains: ['*.example.com', '8.8.8.8'] }, 'p');
    expect(policy.decide(host('api.example.com'))).toEqual({ allowed: true });
    expect(JSON.stringify(policy.decide(host('db.internal.example.com')))).toContain('deniedDomains');
    expect(JSON.stringify(policy.decide(host('example.org')))).toContain('allowed_domains');
    // IP literals are reachable only when listed, in whatever form they are written.
    expect(policy.decide(host('8.8.8.8'))).toEqual({ allowed: true });
    expect(policy.decide(host('134744072'))).toEqual({ allowed: true });
    expect(policy.decide(host('8.8.4.4')).allowed).toBe(false);
    expect(ceiling.narrow(undefined, 'p').decide(host('api.example.com'))).toMatchObject({ allowed: false });
  });

  it('refuses non-public addresses unless inside allowPrivateNetworks, and answers hosts entries', () => {
    const ceiling = ceilingOf({
      allowPrivateNetworks: ['10.77.0.0/16'],
      hosts: { 'mirror.test': ['10.77.0.5'] },
    });
    expect(ceiling.addressRefusal('10.77.1.1')).toBe(null);
    expect(ceiling.addressRefusal('10.78.1.1')).toContain('private');
    expect(ceiling.addressRefusal('169.254.169.254')).toContain('link-local');
    expect(ceiling.hostsEntry('mirror.test')).toEqual(['10.77.0.5']);
    expect(ceiling.hostsEntry('other.test')).toBe(undefined);
  });

  it('checks secrets: an allowed domain, an environment name of its own, a value without line breaks', () => {
    const ceiling = ceilingOf({});
    const policy = ceiling.narrow(
      {
        type: 'allowlist',
        allowed_domains: ['api.example.com'],
        domain_secrets: [{ domain: 'API.example.com', name: 'API_KEY', value: 'sk-123' }],
      },
      'p',
    );
    const [placed] = policy.secretsFor('api.example.com');
    expect(placed).toMatchObject({ domain: 'api.example.com', name: 'API_KEY', value: 'sk-123' });
    expect(placed?.placeholder).toMatch(/^berth_placeholder_[0-9a-f]{32}$/);
    expect(policy.secretEnvironment()).toEqual({ API_KEY: placed?.placeholder });
    // Stored and restored, it keeps the same placeholder (the sandbox's environment holds it).
    expect(ceiling.restore(policy.toStored()).secretsFor('api.example.com')).toEqual([placed]);
    // The container object shows the secret's name, never its value.
    expect(JSON.stringify(policy.toWire())).not.toContain('sk-123');
    const secret = (domain: string, name: string, value: string) => () =>
      ceiling.narrow(
        {
          type: 'allowlist',
          allowed_domains: ['api.example.com'],
          domain_secrets: [{ domain, name, value }],
        },
        'p',
      );
    expect(paramOf(secret('other.example.com', 'KEY', 'v'))).toBe('p.domain_secrets[0].domain');
    expect(paramOf(secret('api.example.com', 'HTTPS_PROXY', 'v'))).toBe('p.domain_secrets[0].name');
    expect(paramOf(secret('api.example.com', 'A-B', 'v'))).toBe('p.domain_secrets[0].name');
    expect(paramOf(secret('api.example.com', 'KEY', 'v\r\nX-Evil: 1'))).toBe('p.domain_secrets[0].value');
  });
});
