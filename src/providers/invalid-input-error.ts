import { BerthError } from '../errors/berth-error.js';

/**
 * The 400 for input an upstream protocol cannot express. `param` is the whole `input`: the items an
 * adapter converts are the engine's assembled context (earlier turns included), so an index would not
 * point into what the client sent.
 */
export function invalidInput(message: string): BerthError {
  return new BerthError('invalid_value', message, { param: 'input' });
}
