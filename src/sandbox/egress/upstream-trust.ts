import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';

const contexts = new Map<string, SecureContext>();

/**
 * The TLS context upstream servers are verified with: Node's bundled roots plus `extraCAs` (the
 * config's `upstreamCAFile`). Built once per distinct set and shared by every container's proxy:
 * parsing the ~140 bundled roots takes some 20 ms, which a context built per connection would add to
 * every intercepted request.
 */
export function upstreamTrust(extraCAs: readonly string[]): SecureContext {
  const key = extraCAs.join('\n');
  let context = contexts.get(key);
  if (!context) {
    context = createSecureContext({ ca: [...rootCertificates, ...extraCAs] });
    contexts.set(key, context);
  }
  return context;
}
