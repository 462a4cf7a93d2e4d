import type { z } from 'zod';

/**
 * The request field a zod issue is about, written as OpenAI writes `param`: `input[0].content`,
 * `tools[1].type`. For an unknown key the key itself is part of the path.
 */
export function zodIssueParam(issue: z.core.$ZodIssue): string {
  const path: PropertyKey[] = [...issue.path];
  if (issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined) path.push(issue.keys[0]);
  return path.reduce<string>((text, segment) => {
    if (typeof segment === 'number') return `${text}[${segment}]`;
    return text ? `${text}.${String(segment)}` : String(segment);
  }, '');
}
