import { randomBytes } from 'node:crypto';
import { BerthError } from '../errors/berth-error.js';
import { insideNetworks, nonPublicReason, parseCidr, type Cidr } from './address-class.js';
import {
  canonicalHostName,
  formatDomainPattern,
  ipLiteral,
  matchesDomain,
  parseDomainPattern,
  type DomainPattern,
} from './domain-pattern.js';

/** The server's `network` config: what any container may reach at most. */
export interface EgressCeilingSettings {
  readonly allowedDomains: readonly string[];
  readonly deniedDomains: readonly string[];
  readonly allowPrivateNetworks: readonly string[];
  /** Names answered without DNS, like `/etc/hosts` (one address or several). */
  readonly hosts: Readonly<Record<string, string | readonly string[]>>;
}

/** A secret the proxy puts into requests to one domain in place of its placeholder. */
export interface DomainSecret {
  readonly domain: string;
  readonly name: string;
  readonly value: string;
}

/**
 * A secret as a container holds it: the sandbox's environment variable `name` holds `placeholder`, a
 * random string that means nothing anywhere else; the proxy puts `value` in its place in requests to
 * `domain` only.
 */
export interface PlacedSecret extends DomainSecret {
  readonly placeholder: string;
}

/** A container's policy as it is stored: the wire form, with each secret's placeholder. */
export type StoredNetworkPolicy =
  | { readonly type: 'disabled' }
  | {
      readonly type: 'allowlist';
      readonly allowed_domains: readonly string[];
      readonly domain_secrets?: readonly PlacedSecret[];
    };

/** A container's `network_policy` as the wire gives it (validated for shape, not yet for meaning). */
export type NetworkPolicyRequest =
  | { readonly type: 'disabled' }
  | {
      readonly type: 'allowlist';
      readonly allowed_domains: readonly string[];
      readonly domain_secrets?: readonly DomainSecret[] | undefined;
    };

/** Whether a connection may go ahead, and if not, why (for the tool inside and the egress log). */
export type EgressDecision =
  { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

/** A host as the proxy was asked for it: a canonical name or the canonical text of an IP literal. */
export interface EgressHost {
  readonly host: string;
  readonly isAddress: boolean;
}

/** The host as policies compare it, or null when it is neither a valid name nor an IP literal. */
export function egressHostOf(text: string): EgressHost | null {
  const address = ipLiteral(text);
  if (address !== null) return { host: address, isAddress: true };
  const name = canonicalHostName(text);
  return name === null ? null : { host: name, isAddress: false };
}

/** Names a secret may not take: the variables Berth itself sets inside every sandbox. */
const reservedSecretNames = new Set([
  'PATH',
  'HOME',
  'LANG',
  'TERM',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'ALL_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'all_proxy',
  'no_proxy',
]);

/**
 * The server-wide limit on egress. A container's policy may only narrow it: each requested domain
 * must lie inside `allowedDomains`, and `deniedDomains` wins over every allow, at creation and again
 * at every connection (so tightening the config tightens running containers too).
 */
export class EgressCeiling {
  readonly #allowed: readonly DomainPattern[];
  readonly #denied: readonly DomainPattern[];
  readonly #privateNetworks: readonly Cidr[];
  readonly #hosts: ReadonlyMap<string, readonly string[]>;

  private constructor(
    allowed: readonly DomainPattern[],
    denied: readonly DomainPattern[],
    privateNetworks: readonly Cidr[],
    hosts: ReadonlyMap<string, readonly string[]>,
  ) {
    this.#allowed = allowed;
    this.#denied = denied;
    this.#privateNetworks = privateNetworks;
    this.#hosts = hosts;
  }

  /** The ceiling of the settings, or what is wrong with them (each with its path in `network`). */
  static parse(
    settings: EgressCeilingSettings,
  ): EgressCeiling | { readonly errors: readonly { path: string; message: string }[] } {
    const errors: { path: string; message: string }[] = [];
    const patterns = (list: readonly string[], field: string): DomainPattern[] =>
      list.flatMap((text, index) => {
        const parsed = parseDomainPattern(text);
        if ('error' in parsed) {
          errors.push({ path: `${field}[${index}]`, message: parsed.error });
          return [];
        }
        return [parsed];
      });
    const allowed = patterns(settings.allowedDomains, 'allowedDomains');
    const denied = patterns(settings.deniedDomains, 'deniedDomains');
    const networks = settings.allowPrivateNetworks.flatMap((text, index) => {
      const cidr = parseCidr(text);
      if (cidr === null)
        errors.push({ path: `allowPrivateNetworks[${index}]`, message: `'${text}' is not a CIDR` });
      return cidr === null ? [] : [cidr];
    });
    const hosts = new Map<string, string[]>();
    for (const [name, value] of Object.entries(settings.hosts)) {
      const host = canonicalHostName(name);
      const addresses = (typeof value === 'string' ? [value] : value).map((text) => ipLiteral(text));
      if (host === null) errors.push({ path: `hosts.${name}`, message: `'${name}' is not a host name` });
      else if (addresses.length === 0 || addresses.some((address) => address === null))
        errors.push({ path: `hosts.${name}`, message: 'must be an IP address or a list of them' });
      else hosts.set(host, addresses as string[]);
    }
    if (errors.length > 0) return { errors };
    return new EgressCeiling(allowed, denied, networks, hosts);
  }

  /** Whether the ceiling lets `host` through (deny first). */
  decide(host: EgressHost): EgressDecision {
    const denied = this.#denied.find((pattern) => matchesDomain(pattern, host.host, host.isAddress));
    if (denied)
      return {
        allowed: false,
        reason: `denied by the server (deniedDomains '${formatDomainPattern(denied)}')`,
      };
    const allowed = this.#allowed.some(
      (pattern) =>
        matchesDomain(pattern, host.host, host.isAddress) ||
        // `*` covers public IP literals a container lists explicitly; the address check still applies.
        (host.isAddress && pattern.kind === 'any'),
    );
    return allowed ? { allowed: true } : { allowed: false, reason: "outside the server's allowedDomains" };
  }

  /** The addresses `hosts` gives a name, or undefined to ask DNS. */
  hostsEntry(name: string): readonly string[] | undefined {
    return this.#hosts.get(name);
  }

  /**
   * Why an address a name resolved to (or an IP literal) may not be connected to, or null when it may:
   * public unicast, or inside `allowPrivateNetworks`.
   */
  addressRefusal(address: string): string | null {
    const reason = nonPublicReason(address);
    if (reason === null || insideNetworks(address, this.#privateNetworks)) return null;
    return `${address} is a ${reason}`;
  }

  /**
   * A container's policy from its `network_policy`, checked against this ceiling: every domain must be
   * a valid pattern the ceiling allows, every secret must name an allowed domain. Throws a 400 naming
   * the offending param (`param` is where the policy sits in the request).
   */
  narrow(
    request: NetworkPolicyRequest | undefined,
    param: string,
    placeholders: ReadonlyMap<string, string> = new Map(),
  ): ContainerEgressPolicy {
    if (request === undefined || request.type === 'disabled') return new ContainerEgressPolicy(this, [], []);
    const allowed = request.allowed_domains.map((text, index) => {
      const at = `${param}.allowed_domains[${index}]`;
      const pattern = parseDomainPattern(text);
      if ('error' in pattern)
        throw new BerthError('invalid_value', `Invalid allowed domain: ${pattern.error}.`, { param: at });
      if (!this.#covers(pattern)) {
        throw new BerthError(
          'invalid_value',
          `The domain '${text}' is outside what this server allows containers to reach (its network.allowedDomains / deniedDomains).`,
          { param: at },
        );
      }
      return pattern;
    });
    const secrets = (request.domain_secrets ?? []).map((secret, index): PlacedSecret => ({
      ...checkSecret(secret, allowed, `${param}.domain_secrets[${index}]`),
      placeholder: placeholders.get(secret.name) ?? newPlaceholder(),
    }));
    const names = new Set<string>();
    secrets.forEach((secret, index) => {
      if (names.has(secret.name)) {
        throw new BerthError('invalid_value', `The secret name '${secret.name}' is given twice.`, {
          param: `${param}.domain_secrets[${index}].name`,
        });
      }
      names.add(secret.name);
    });
    return new ContainerEgressPolicy(this, allowed, secrets);
  }

  /**
   * A stored policy, as it was narrowed when the container was made. Not checked again here: every
   * connection is checked against the ceiling as it is now, so a tightened config still applies.
   */
  restore(stored: StoredNetworkPolicy): ContainerEgressPolicy {
    if (stored.type === 'disabled') return new ContainerEgressPolicy(this, [], []);
    const allowed = stored.allowed_domains.flatMap((text) => {
      const pattern = parseDomainPattern(text);
      return 'error' in pattern ? [] : [pattern];
    });
    return new ContainerEgressPolicy(this, allowed, stored.domain_secrets ?? []);
  }

  /** Whether everything `pattern` matches lies inside the allowed domains, and it is not denied whole. */
  #covers(pattern: DomainPattern): boolean {
    const sample = patternSample(pattern);
    if (this.#denied.some((denied) => coversPattern(denied, pattern))) return false;
    return (
      this.#allowed.some((allowed) => coversPattern(allowed, pattern)) ||
      (sample.isAddress && this.#allowed.some((allowed) => allowed.kind === 'any'))
    );
  }
}

/** A host `pattern` matches, to test other patterns with (a name below a suffix for `*.x`). */
function patternSample(pattern: DomainPattern): EgressHost {
  switch (pattern.kind) {
    case 'any':
      return { host: 'any.invalid', isAddress: false };
    case 'exact':
      return { host: pattern.name, isAddress: false };
    case 'suffix':
      return { host: `any.${pattern.suffix}`, isAddress: false };
    case 'address':
      return { host: pattern.address, isAddress: true };
  }
}

/** Whether every host `inner` matches is matched by `outer`. */
function coversPattern(outer: DomainPattern, inner: DomainPattern): boolean {
  if (outer.kind === 'any') return inner.kind !== 'address';
  if (inner.kind === 'any') return false;
  if (outer.kind === 'suffix' && inner.kind === 'suffix')
    return inner.suffix === outer.suffix || inner.suffix.endsWith(`.${outer.suffix}`);
  const sample = patternSample(inner);
  return matchesDomain(outer, sample.host, sample.isAddress);
}

/** A placeholder: recognisable in a header, and 128 random bits, so it cannot be guessed. */
function newPlaceholder(): string {
  return `berth_placeholder_${randomBytes(16).toString('hex')}`;
}

function checkSecret(secret: DomainSecret, allowed: readonly DomainPattern[], param: string): DomainSecret {
  const domain = egressHostOf(secret.domain);
  if (domain === null || domain.isAddress) {
    throw new BerthError('invalid_value', `'${secret.domain}' is not a domain name.`, {
      param: `${param}.domain`,
    });
  }
  if (!allowed.some((pattern) => matchesDomain(pattern, domain.host, false))) {
    throw new BerthError(
      'invalid_value',
      `The secret's domain '${secret.domain}' is not in allowed_domains: it could never be sent.`,
      { param: `${param}.domain` },
    );
  }
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(secret.name) || reservedSecretNames.has(secret.name)) {
    throw new BerthError(
      'invalid_value',
      `'${secret.name}' cannot be a secret's name: use an environment variable name (letters, digits, '_') that Berth does not set itself.`,
      { param: `${param}.name` },
    );
  }
  // A value with a line break could forge headers of its own once it is put into a request.
  if (secret.value.length === 0 || /[\r\n\0]/.test(secret.value)) {
    throw new BerthError('invalid_value', "A secret's value must be non-empty text without line breaks.", {
      param: `${param}.value`,
    });
  }
  return { domain: domain.host, name: secret.name, value: secret.value };
}

/**
 * What one container may reach: its allowed domains inside the server's ceiling (checked again on
 * every connection), and the secrets the proxy puts in for their domains. `disabled` allows nothing.
 */
export class ContainerEgressPolicy {
  readonly ceiling: EgressCeiling;
  readonly allowed: readonly DomainPattern[];
  readonly secrets: readonly PlacedSecret[];

  constructor(ceiling: EgressCeiling, allowed: readonly DomainPattern[], secrets: readonly PlacedSecret[]) {
    this.ceiling = ceiling;
    this.allowed = allowed;
    this.secrets = secrets;
  }

  get type(): 'disabled' | 'allowlist' {
    return this.allowed.length === 0 ? 'disabled' : 'allowlist';
  }

  /** Whether a connection to `host` may go ahead (before any address is looked up). */
  decide(host: EgressHost): EgressDecision {
    if (this.allowed.length === 0)
      return { allowed: false, reason: 'the container\'s network_policy is "disabled"' };
    const ceiling = this.ceiling.decide(host);
    if (!ceiling.allowed) return ceiling;
    if (!this.allowed.some((pattern) => matchesDomain(pattern, host.host, host.isAddress)))
      return { allowed: false, reason: "not in the container's allowed_domains" };
    return { allowed: true };
  }

  /** The secrets to put into requests to `host` (a canonical name). */
  secretsFor(host: string): readonly PlacedSecret[] {
    return this.secrets.filter((secret) => secret.domain === host);
  }

  /** The policy as it is stored (secrets with their values and placeholders). */
  toStored(): StoredNetworkPolicy {
    if (this.type === 'disabled') return { type: 'disabled' };
    return {
      type: 'allowlist',
      allowed_domains: this.allowed.map(formatDomainPattern),
      ...(this.secrets.length === 0 ? {} : { domain_secrets: this.secrets }),
    };
  }

  /** The environment a sandbox gets for its secrets: each name holding its placeholder. */
  secretEnvironment(): Record<string, string> {
    return Object.fromEntries(this.secrets.map((secret) => [secret.name, secret.placeholder]));
  }

  /** The policy as the container object shows it: domains, and secrets' names without their values. */
  toWire(): Record<string, unknown> {
    return publicNetworkPolicy(this.toStored());
  }
}

/**
 * A stored policy as anyone may see it (the container object, logs): the domains, and each secret's
 * domain and name — never its value or its placeholder.
 */
export function publicNetworkPolicy(stored: StoredNetworkPolicy): Record<string, unknown> {
  if (stored.type === 'disabled') return { type: 'disabled' };
  return {
    type: 'allowlist',
    allowed_domains: [...stored.allowed_domains],
    ...(stored.domain_secrets === undefined || stored.domain_secrets.length === 0
      ? {}
      : { domain_secrets: stored.domain_secrets.map(({ domain, name }) => ({ domain, name })) }),
  };
}
