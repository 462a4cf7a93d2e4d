import { randomBytes } from 'node:crypto';

/** Makes object ids. Injected so tests can make ids deterministic. */
export interface IdGenerator {
  /** A new id with OpenAI's prefix for the kind, for example `resp_…`, `msg_…`, `conv_…`. */
  next(prefix: IdPrefix): string;
}

/** OpenAI's observed id prefixes; `file-` uses a dash, the rest an underscore. */
export type IdPrefix =
  'resp' | 'msg' | 'fc' | 'rs' | 'call' | 'fco' | 'conv' | 'sh' | 'sho' | 'cmp' | 'key' | 'item';

/** 24 random bytes as hex: unguessable, so an id is never a capability another project can probe. */
export function createRandomIdGenerator(): IdGenerator {
  return {
    next(prefix) {
      return `${prefix}_${randomBytes(24).toString('hex')}`;
    },
  };
}
