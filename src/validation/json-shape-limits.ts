import { BerthError } from '../errors/berth-error.js';

/** How deep and how wide a parsed request body may be. */
export interface JsonShapeLimits {
  /** Most levels of objects and arrays inside one another (the body itself is level 1). */
  readonly maxDepth: number;
  /** Most elements in any one array. */
  readonly maxArrayLength: number;
}

export const defaultJsonShapeLimits: JsonShapeLimits = { maxDepth: 128, maxArrayLength: 100_000 };

/** How many leading path segments a refusal names: `tools[0].parameters`, `text.format.schema`. */
const namedSegments = 3;

/**
 * Refuses a parsed body nested deeper or with longer arrays than `limits`, with a 400 naming where.
 *
 * Threat: the body limit bounds bytes, not shape. Sixteen megabytes of `[` is a value nested millions
 * deep; every recursive walk over it later (schema validation, a provider adapter's conversion, a JSON
 * Schema rewrite) overflows the stack and surfaced as a 5xx after the work had begun. `JSON.parse` is
 * not recursive in V8, so checking right after it, with an explicit stack, is safe for any input.
 */
export function checkJsonShape(value: unknown, limits: JsonShapeLimits): void {
  if (typeof value !== 'object' || value === null) return;
  // Each node keeps its parent and key rather than its whole path, so the walk is linear in the body.
  const pending: Node[] = [{ value, depth: 1, key: '', parent: undefined }];
  for (let node = pending.pop(); node; node = pending.pop()) {
    if (node.depth > limits.maxDepth) {
      const param = formatParam(node);
      throw new BerthError(
        'invalid_value',
        `Invalid '${param}': the value is nested more than ${limits.maxDepth} levels deep.`,
        { param },
      );
    }
    const children: unknown[] | object = node.value;
    if (Array.isArray(children)) {
      if (children.length > limits.maxArrayLength) {
        const param = formatParam(node);
        throw new BerthError(
          'array_above_max_length',
          `Invalid '${param}': array too long. Expected an array with maximum length ${limits.maxArrayLength}, but got an array with length ${children.length} instead.`,
          { param },
        );
      }
      for (let index = 0; index < children.length; index++) {
        const child: unknown = children[index];
        if (typeof child === 'object' && child !== null)
          pending.push({ value: child, depth: node.depth + 1, key: index, parent: node });
      }
      continue;
    }
    for (const key in children) {
      if (!Object.hasOwn(children, key)) continue;
      const child: unknown = (children as Record<string, unknown>)[key];
      if (typeof child === 'object' && child !== null)
        pending.push({ value: child, depth: node.depth + 1, key, parent: node });
    }
  }
}

interface Node {
  readonly value: object;
  /** 1 for the body itself. */
  readonly depth: number;
  /** Where this node sits in its parent. */
  readonly key: string | number;
  readonly parent: Node | undefined;
}

/** The path as OpenAI writes `param`, cut after its first few segments (the rest is the same key again). */
function formatParam(node: Node): string {
  const path: (string | number)[] = [];
  for (let at: Node | undefined = node; at?.parent; at = at.parent) path.unshift(at.key);
  const shown = path.slice(0, namedSegments).reduce<string>((text, segment) => {
    if (typeof segment === 'number') return `${text}[${segment}]`;
    return text ? `${text}.${segment}` : segment;
  }, '');
  return shown === '' ? 'body' : shown;
}
