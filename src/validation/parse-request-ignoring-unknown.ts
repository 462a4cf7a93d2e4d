import type { z } from 'zod';
import { parseRequest } from './parse-request.js';
import { zodIssueParam } from './zod-issue-param.js';

/** At most this many rounds of removal: each round removes every unknown key zod reported. */
const maxRounds = 8;

/**
 * Like `parseRequest`, but parameters the schema does not know are dropped instead of refused, and
 * their names handed to `onIgnored` (config `requests.unknownParameters: "ignore"`): clients gain new
 * fields faster than servers learn them, and some operators prefer serving them to refusing them.
 * Only keys zod reports outside unions are dropped (in a union, a key one alternative does not know
 * may be what selects another); anything else still fails as `parseRequest` fails. The request is
 * copied before anything is removed, and only when something must be.
 */
export function parseRequestIgnoringUnknown<Schema extends z.ZodType>(
  schema: Schema,
  value: unknown,
  onIgnored: (params: readonly string[]) => void,
): z.infer<Schema> {
  let current = value;
  const ignored: string[] = [];
  for (let round = 0; round < maxRounds; round += 1) {
    const result = schema.safeParse(current);
    if (result.success) {
      if (ignored.length > 0) onIgnored(ignored);
      return result.data;
    }
    const unknown = result.error.issues.filter((issue) => issue.code === 'unrecognized_keys');
    if (unknown.length === 0) break;
    if (current === value) current = structuredClone(value);
    for (const issue of unknown) {
      const owner = valueAt(current, issue.path);
      if (owner === undefined) continue;
      for (const key of issue.keys) {
        delete owner[key];
        ignored.push(zodIssueParam({ ...issue, keys: [key] }));
      }
    }
  }
  return parseRequest(schema, current);
}

function valueAt(value: unknown, path: readonly PropertyKey[]): Record<PropertyKey, unknown> | undefined {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return typeof current === 'object' && current !== null
    ? (current as Record<PropertyKey, unknown>)
    : undefined;
}
