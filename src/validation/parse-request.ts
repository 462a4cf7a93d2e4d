import type { z } from 'zod';
import { BerthError } from '../errors/berth-error.js';
import type { ErrorCode } from '../errors/error-codes.js';
import { zodIssueParam } from './zod-issue-param.js';

/**
 * Validates untrusted input against a strict schema. The first problem becomes a 400 in OpenAI's words,
 * naming the `param` at fault.
 */
export function parseRequest<Schema extends z.ZodType>(
  schema: Schema,
  value: unknown,
  prefix = '',
): z.infer<Schema> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = mostSpecificIssue(result.error.issues[0]);
  if (!issue) throw new BerthError('invalid_request', 'The request is invalid.');
  const path = zodIssueParam(issue);
  const param = prefix && path ? `${prefix}.${path}` : prefix || path || null;
  throw new BerthError(...describeIssue(issue, param, isAbsent(value, issue.path)));
}

/**
 * A union (`input` is a string or a list of items) fails as a whole; the useful message is the one
 * from the alternative that got furthest into the value, which has the longest path.
 */
function mostSpecificIssue(issue: z.core.$ZodIssue | undefined): z.core.$ZodIssue | undefined {
  if (issue?.code !== 'invalid_union' || issue.errors.length === 0) return issue;
  let best: z.core.$ZodIssue | undefined;
  for (const alternative of issue.errors) {
    const candidate = mostSpecificIssue(alternative[0]);
    if (candidate && (!best || candidate.path.length > best.path.length)) best = candidate;
  }
  if (!best || best.path.length === 0) return issue;
  return { ...best, path: [...issue.path, ...best.path] };
}

/**
 * Whether the request left out the value at `path`. This reads the request itself, not the issue:
 * zod 4 reports an issue's `input` only under `reportInput`, and even then `z.coerce` reports the
 * coerced value (`NaN` for a missing number), not what the client sent. Only own properties count, so
 * `constructor` or `toString` never look present.
 */
function isAbsent(value: unknown, path: readonly PropertyKey[]): boolean {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, key)) return true;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current === undefined;
}

function describeIssue(
  issue: z.core.$ZodIssue,
  param: string | null,
  absent: boolean,
): [ErrorCode, string, { param: string | null }] {
  const where = param ?? 'the request body';
  switch (issue.code) {
    case 'unrecognized_keys':
      return ['unknown_parameter', `Unknown parameter: '${param}'.`, { param }];
    case 'invalid_type':
      if (absent) {
        return ['missing_required_parameter', `Missing required parameter: '${where}'.`, { param }];
      }
      return ['invalid_type', `Invalid type for '${where}': ${issue.message}.`, { param }];
    case 'custom':
    case 'invalid_element':
    case 'invalid_format':
    case 'invalid_key':
    case 'invalid_union':
    case 'invalid_value':
    case 'not_multiple_of':
    case 'too_big':
    case 'too_small':
      return ['invalid_value', `Invalid value for '${where}': ${issue.message}.`, { param }];
  }
}
