/**
 * A small lexical search over tool definitions, for the `tool_search` Berth runs itself: BM25 over the
 * words of each tool's name (counted twice: a name is the strongest hint), its namespace, its
 * description and its parameters' names. Names are split at `_`, `-` and camelCase humps, so
 * `get_weatherForecast` is found by "weather forecast". (MiniSearch would do this, but this worktree
 * takes no new dependencies; these forty lines are the whole need.)
 */

/** What a tool is searched by. */
export interface SearchableTool {
  readonly name: string;
  readonly namespace?: string;
  readonly description?: string | null;
  readonly parameters?: unknown;
}

/** BM25's usual constants: term-frequency saturation and length normalisation. */
const k1 = 1.2;
const b = 0.75;

/**
 * The tools that match `query`, best first (ties in the order given), at most `limit`; tools sharing
 * no word with the query are never returned.
 *
 * @example
 * searchTools('weather', tools, 5); // [{ name: 'get_weather', … }]
 */
export function searchTools<T extends SearchableTool>(
  query: string,
  tools: readonly T[],
  limit: number,
): T[] {
  const queryTerms = [...new Set(tokenize(query))];
  if (queryTerms.length === 0 || tools.length === 0) return [];
  const documents = tools.map(documentTerms);
  const averageLength = documents.reduce((sum, terms) => sum + terms.length, 0) / documents.length || 1;
  const scored = documents.map((terms, index) => {
    let score = 0;
    for (const term of queryTerms) {
      const frequency = terms.filter((candidate) => candidate === term).length;
      if (frequency === 0) continue;
      const containing = documents.filter((other) => other.includes(term)).length;
      const idf = Math.log(1 + (documents.length - containing + 0.5) / (containing + 0.5));
      score += (idf * frequency * (k1 + 1)) / (frequency + k1 * (1 - b + (b * terms.length) / averageLength));
    }
    return { index, score };
  });
  return scored
    .filter((entry) => entry.score > 0)
    .sort((left, right) => right.score - left.score || left.index - right.index)
    .slice(0, limit)
    .flatMap((entry) => (tools[entry.index] === undefined ? [] : [tools[entry.index] as T]));
}

function documentTerms(tool: SearchableTool): string[] {
  const name = tokenize(tool.name);
  return [
    ...name,
    ...name,
    ...tokenize(tool.namespace ?? ''),
    ...tokenize(tool.description ?? ''),
    ...parameterNames(tool.parameters).flatMap(tokenize),
  ];
}

/** The property names of a JSON Schema, nested objects' included. */
function parameterNames(schema: unknown): string[] {
  if (typeof schema !== 'object' || schema === null) return [];
  const properties = (schema as { properties?: unknown }).properties;
  if (typeof properties !== 'object' || properties === null) return [];
  return Object.entries(properties).flatMap(([name, property]) => [name, ...parameterNames(property)]);
}

/** Lower-case words of letters and digits, split at camelCase humps, with a plural `s` dropped. */
export function tokenize(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word.length > 0)
    .map((word) =>
      word.length > 3 && word.endsWith('s') && !word.endsWith('ss') ? word.slice(0, -1) : word,
    );
}
