import type { z } from 'zod';
import { BerthError } from '../errors/berth-error.js';
import type { ErrorCode } from '../errors/error-codes.js';
import { zodIssueParam } from './zod-issue-param.js';

/**
 * Validates untrusted input against a strict schema. The first problem becomes a 400 in OpenAI's words,
 * naming the `param` at fault.
 */
export function parseRequest<Schema extends z.ZodType>(schema: Schema, value: unknown, prefix = ''): z.infer<Schema> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (!issue) throw new BerthError('invalid_request', 'The request is invalid.');
  const path = zodIssueParam(issue);
  const param = prefix && path ? `${prefix}.${path}` : prefix || path || null;
  throw new BerthError(...describeIssue(issue, param));
}

function describeIssue(
  issue: z.core.$ZodIssue,
  param: string | null,
): [ErrorCode, string, { param: string | null }] {
  const where = param ?? 'the request body';
  switch (issue.code) {
    case 'unrecognized_keys':
      return ['unknown_parameter', `Unknown parameter: '${param}'.`, { param }];
    case 'invalid_type':
      if (issue.input === undefined) {
        return ['missing_required_parameter', `Missing required parameter: '${where}'.`, { param }];
      }
      return ['invalid_type', `Invalid type for '${where}': ${issue.message}.`, { param }];
    default:
      return ['invalid_value', `Invalid value for '${where}': ${issue.message}.`, { param }];
  }
}
