import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

const partialSuffix = '.partial';

/**
 * A fresh temporary path beside `destination`, in the same directory so that renaming it into place
 * is atomic (same filesystem). Hidden, and marked so a start-up sweep can recognise what a crash
 * left behind.
 */
export function partialPathFor(destination: string): string {
  const nonce = randomBytes(6).toString('hex');
  return join(dirname(destination), `.${basename(destination)}.${nonce}${partialSuffix}`);
}

/** True for a name `partialPathFor` makes. */
export function isPartialFileName(name: string): boolean {
  return name.startsWith('.') && name.endsWith(partialSuffix);
}
