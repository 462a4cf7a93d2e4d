import { createHash } from 'node:crypto';

/** What a flattened name stands for: a tool (with its namespace, when it has one) or the search tool. */
export type FlatToolTarget =
  | { readonly kind: 'tool'; readonly name: string; readonly namespace?: string }
  | { readonly kind: 'tool-search' };

/** Chat Completions and Anthropic both allow these characters in tool names; only the length differs. */
const legalName = /^[a-zA-Z0-9_-]+$/;

/**
 * The names tools go by on a provider that has neither namespaces nor tool search: a function tool
 * keeps its own name, a namespaced tool becomes `<namespace>__<name>`, and Berth's search function is
 * `tool_search`. A name that would be too long for the provider, or taken already, is shortened and
 * given a hash of what it stands for, so the same tool gets the same name on every turn of a chain
 * (the model sees its earlier calls under it) and no two tools ever share one. Built once per request
 * and used both ways: tools and history going up, calls coming back.
 *
 * @example
 * const names = ToolNameMap.build({ tools, namespaced, reserved: ['shell'], toolSearch: true }, 64);
 * names.flatName({ kind: 'tool', name: 'lookup', namespace: 'crm' }); // 'crm__lookup'
 */
export class ToolNameMap {
  readonly #byKey = new Map<string, string>();
  readonly #byName = new Map<string, FlatToolTarget>();
  readonly #maxLength: number;

  private constructor(maxLength: number) {
    this.#maxLength = maxLength;
  }

  /**
   * Plain tool names are taken first, as they are (the request validated them); then the reserved
   * names (the shell tool's), the search function, and the namespaced tools in request order.
   */
  static build(
    options: {
      readonly plain: readonly string[];
      readonly namespaced: readonly { readonly namespace: string; readonly name: string }[];
      readonly reserved: readonly string[];
      readonly toolSearch: boolean;
    },
    maxLength: number,
  ): ToolNameMap {
    const map = new ToolNameMap(maxLength);
    for (const name of options.plain) map.#claim({ kind: 'tool', name }, name);
    for (const name of options.reserved)
      if (!map.#byName.has(name)) map.#byName.set(name, { kind: 'tool', name });
    if (options.toolSearch) map.#claim({ kind: 'tool-search' }, 'tool_search');
    for (const { namespace, name } of options.namespaced) {
      map.#claim({ kind: 'tool', name, namespace }, `${namespace}__${name}`);
    }
    return map;
  }

  /**
   * The name the provider knows `target` by. A tool the map does not know (a call in the history of a
   * tool the request no longer offers) gets the name it would have had unshortened.
   */
  flatName(target: FlatToolTarget): string {
    const known = this.#byKey.get(keyOf(target));
    if (known !== undefined) return known;
    if (target.kind === 'tool-search') return 'tool_search';
    return target.namespace === undefined ? target.name : `${target.namespace}__${target.name}`;
  }

  /** What a name the model called stands for; undefined for names the map did not assign. */
  targetOf(flatName: string): FlatToolTarget | undefined {
    return this.#byName.get(flatName);
  }

  #claim(target: FlatToolTarget, preferred: string): void {
    const key = keyOf(target);
    if (this.#byKey.has(key)) return;
    let name = preferred;
    if (name.length > this.#maxLength || !legalName.test(name) || this.#byName.has(name)) {
      name = hashedName(preferred, key, this.#maxLength);
      for (let counter = 2; this.#byName.has(name); counter++) {
        name = hashedName(preferred, `${key}\u0000${counter}`, this.#maxLength);
      }
    }
    this.#byKey.set(key, name);
    this.#byName.set(name, target);
  }
}

function keyOf(target: FlatToolTarget): string {
  if (target.kind === 'tool-search') return 'search';
  return target.namespace === undefined
    ? `tool:${target.name}`
    : `ns:${target.namespace}\u0000${target.name}`;
}

/** A readable prefix of `preferred` and 8 hex digits of a hash of `key`, within `maxLength`. */
function hashedName(preferred: string, key: string, maxLength: number): string {
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 8);
  const prefix = preferred.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, maxLength - hash.length - 1);
  return `${prefix}_${hash}`;
}
