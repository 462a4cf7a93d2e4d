import { expect, it } from 'vitest';
import { describeEachDriver } from '../support/sandbox-drivers-here.js';
import { describeBadInput } from './bad-input.js';
import { describeDeleteLeftovers } from './delete-leftovers.js';
import { useEscapeBerth } from './escape-berth.js';
import { describeFileApiEscapes } from './file-api-escapes.js';
import { describeHostSecrets } from './host-secrets.js';
import { describeNetworkEgress } from './network-egress.js';
import { describePrivilegeEscalation } from './privilege-escalation.js';
import { describeProcessIsolation } from './process-isolation.js';
import { describeRequestTampering } from './request-tampering.js';
import { describeResourceExhaustion } from './resource-exhaustion.js';
import { describeSkillTampering } from './skill-tampering.js';

/**
 * The escape suite: attacks on the sandbox and on the API around it, each through the real HTTP API of
 * a real Berth, on every driver this machine has. Every attempt must fail, and each test checks the
 * specific failure (the errno, the message, the host's own view) rather than "something went wrong".
 * The attacks are grouped by what they go after, one file each in ./escape/.
 */
describeEachDriver('escape attempts on %s', (driver) => {
  const escape = useEscapeBerth(driver);

  describeNetworkEgress(escape);
  describeHostSecrets(escape);
  describeProcessIsolation(escape);
  describePrivilegeEscalation(escape);
  describeFileApiEscapes(escape);
  describeSkillTampering(escape);
  describeRequestTampering(escape);
  describeBadInput(escape);
  describeDeleteLeftovers(escape);
  describeResourceExhaustion(escape);

  it('never let a secret out: no output contained a key, a canary or the server environment', () => {
    expect(escape.observed.length).toBeGreaterThan(100);
    const everything = escape.observed.join('\n');
    for (const [what, secret] of escape.secrets) expect(everything.includes(secret), what).toBe(false);
  });
});
