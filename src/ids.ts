import { randomBytes } from 'node:crypto';

/** Makes object ids. Injected so tests can make ids deterministic. */
export interface IdGenerator {
  /** A new id with OpenAI's prefix for the kind, for example `resp_…`, `msg_…`, `conv_…`. */
  next(prefix: IdPrefix): string;
}

/** OpenAI's observed id prefixes; `file-` uses a dash, the rest an underscore. */
export type IdPrefix =
  | 'resp'
  | 'msg'
  | 'fc'
  | 'rs'
  | 'call'
  | 'fco'
  | 'ctc'
  | 'ctco'
  | 'apc'
  | 'apco'
  | 'lsh'
  | 'lsho'
  | 'conv'
  | 'sh'
  | 'sho'
  | 'tsc'
  | 'tso'
  | 'cmp'
  | 'ws'
  | 'key'
  | 'req'
  | 'item'
  | 'file'
  | 'cntr'
  | 'cfile'
  | 'tcl'
  | 'egr'
  | 'skill'
  | 'skillver';

const idBytes = 24;
const poolBytes = idBytes * 256;

/**
 * 24 random bytes as hex: unguessable, so an id is never a capability another project can probe.
 * Random bytes are drawn from the CSPRNG in blocks of 256 ids, because one system call per id was a
 * measurable share of a gateway request.
 */
export function createRandomIdGenerator(): IdGenerator {
  let pool = randomBytes(poolBytes);
  let offset = 0;
  return {
    next(prefix) {
      if (offset === poolBytes) {
        pool = randomBytes(poolBytes);
        offset = 0;
      }
      const id = pool.toString('hex', offset, offset + idBytes);
      offset += idBytes;
      return `${prefix}${prefix === 'file' ? '-' : '_'}${id}`;
    },
  };
}
