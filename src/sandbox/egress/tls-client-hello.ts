/**
 * What the first bytes of a tunnelled connection say: a TLS ClientHello and the server name it asks
 * for (SNI), not TLS at all, or not enough bytes yet. The proxy checks the SNI against the host the
 * tunnel was opened to, so a client cannot open a tunnel to an allowed name and then ask the server
 * at that address (a CDN, say) for another one ("domain fronting").
 *
 * Only the first handshake record is read (RFC 8446 §4.1.2, RFC 6066 §3); every length is checked
 * against the bytes that are there, so a malformed hello is `malformed`, never an exception.
 */
export type ClientHelloPeek =
  | { readonly kind: 'incomplete' }
  | { readonly kind: 'not-tls' }
  | { readonly kind: 'malformed' }
  | { readonly kind: 'hello'; readonly serverName: string | null };

/** Largest TLS record: a hello longer than one record is not something tools send. */
const maxRecord = 16384 + 5;

export function peekClientHello(bytes: Buffer): ClientHelloPeek {
  if (bytes.length === 0) return { kind: 'incomplete' };
  // Content type 22 (handshake), then protocol version 3.x.
  if (bytes[0] !== 22) return { kind: 'not-tls' };
  if (bytes.length < 5) return { kind: 'incomplete' };
  if (bytes[1] !== 3) return { kind: 'not-tls' };
  const recordLength = bytes.readUInt16BE(3);
  if (recordLength + 5 > maxRecord) return { kind: 'malformed' };
  if (bytes.length < 5 + recordLength) return { kind: 'incomplete' };
  const reader = new Reader(bytes.subarray(5, 5 + recordLength));
  try {
    if (reader.u8() !== 1) return { kind: 'malformed' }; // ClientHello
    const helloLength = reader.u24();
    const hello = new Reader(reader.take(helloLength));
    hello.take(2 + 32); // legacy_version, random
    hello.take(hello.u8()); // legacy_session_id
    hello.take(hello.u16()); // cipher_suites
    hello.take(hello.u8()); // legacy_compression_methods
    if (hello.done()) return { kind: 'hello', serverName: null };
    const extensions = new Reader(hello.take(hello.u16()));
    while (!extensions.done()) {
      const type = extensions.u16();
      const body = new Reader(extensions.take(extensions.u16()));
      if (type !== 0) continue; // server_name
      const names = new Reader(body.take(body.u16()));
      while (!names.done()) {
        const nameType = names.u8();
        const name = names.take(names.u16());
        if (nameType === 0) return { kind: 'hello', serverName: name.toString('latin1') };
      }
      return { kind: 'hello', serverName: null };
    }
    return { kind: 'hello', serverName: null };
  } catch {
    return { kind: 'malformed' };
  }
}

/** Reads big-endian fields, throwing when a length runs past the end. */
class Reader {
  readonly #bytes: Buffer;
  #at = 0;

  constructor(bytes: Buffer) {
    this.#bytes = bytes;
  }

  done(): boolean {
    return this.#at >= this.#bytes.length;
  }

  u8(): number {
    return this.take(1).readUInt8(0);
  }

  u16(): number {
    return this.take(2).readUInt16BE(0);
  }

  u24(): number {
    const bytes = this.take(3);
    return (bytes.readUInt8(0) << 16) | bytes.readUInt16BE(1);
  }

  take(length: number): Buffer {
    if (this.#at + length > this.#bytes.length) throw new RangeError('past the end');
    const slice = this.#bytes.subarray(this.#at, this.#at + length);
    this.#at += length;
    return slice;
  }
}
