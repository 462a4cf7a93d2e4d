// @peculiar/x509 resolves its parts with tsyringe, which needs the Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKeyPair = webcrypto.CryptoKeyPair;

const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

/** A key and certificate in the PEM form Node's TLS takes. */
export interface PemPair {
  readonly key: string;
  readonly cert: string;
}

/**
 * One container's certificate authority for intercepting the TLS of domains with secrets. EC P-256;
 * the private key exists only in this process's memory (never on disk, never in the container), so
 * a sandbox that reads every file it can still cannot mint certificates — and a new one is made each
 * time the container's proxy starts. Only this container trusts it (its CA bundle is the container's
 * own), so even a stolen key would fool no other sandbox. Leaf certificates live one day and are kept
 * per host.
 */
export class EgressCertificateAuthority {
  /** The CA certificate, for the container's trust store. */
  readonly certificatePem: string;
  readonly #keys: CryptoKeyPair;
  readonly #certificate: x509.X509Certificate;
  readonly #leaves = new Map<string, Promise<PemPair>>();

  private constructor(keys: CryptoKeyPair, certificate: x509.X509Certificate) {
    this.#keys = keys;
    this.#certificate = certificate;
    this.certificatePem = certificate.toString('pem');
  }

  /** A new CA named after the container. */
  static async create(containerId: string): Promise<EgressCertificateAuthority> {
    const keys = await webcrypto.subtle.generateKey(algorithm, false, ['sign', 'verify']);
    const now = Date.now();
    const certificate = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: randomSerial(),
      name: `CN=Berth egress CA for ${containerId}, O=Berth`,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 365 * 24 * 3600_000),
      signingAlgorithm: algorithm,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    return new EgressCertificateAuthority(keys, certificate);
  }

  /** A certificate for `host` signed by this CA, and its key (made once per host). */
  leaf(host: string): Promise<PemPair> {
    let leaf = this.#leaves.get(host);
    if (!leaf) {
      leaf = this.#issue(host);
      this.#leaves.set(host, leaf);
      leaf.catch(() => this.#leaves.delete(host));
    }
    return leaf;
  }

  async #issue(host: string): Promise<PemPair> {
    const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
    const now = Date.now();
    const certificate = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerial(),
      subject: `CN=${host}`,
      issuer: this.#certificate.subject,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 24 * 3600_000),
      signingAlgorithm: algorithm,
      publicKey: keys.publicKey,
      signingKey: this.#keys.privateKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: host }]),
        await x509.AuthorityKeyIdentifierExtension.create(this.#certificate),
      ],
    });
    const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
    const key = `-----BEGIN PRIVATE KEY-----\n${Buffer.from(pkcs8)
      .toString('base64')
      .replace(/(.{64})/g, '$1\n')}\n-----END PRIVATE KEY-----\n`;
    return { key: key.replace(/\n\n/g, '\n'), cert: certificate.toString('pem') };
  }
}

function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f; // positive
  return Buffer.from(bytes).toString('hex');
}
