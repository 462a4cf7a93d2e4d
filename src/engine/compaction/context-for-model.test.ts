import type { ResponseInputItem } from 'openai/resources/responses/responses';
import { describe, expect, it } from 'vitest';
import { compactionSummaryLabel, contextForModel } from './context-for-model.js';

const user = (text: string): ResponseInputItem => ({ type: 'message', role: 'user', content: text });
const assistant = (text: string): ResponseInputItem => ({
  type: 'message',
  role: 'assistant',
  content: text,
});
const compaction = (blob: string): ResponseInputItem => ({ type: 'compaction', encrypted_content: blob });
const summaries: Record<string, string> = { first: 'Summary one.', second: 'Summary two.' };
const readSummary = (blob: string): string => {
  const summary = summaries[blob];
  if (summary === undefined) throw new Error(`opened ${blob}`);
  return summary;
};
const summaryOf = (text: string): ResponseInputItem => ({
  type: 'message',
  role: 'user',
  content: [{ type: 'input_text', text: `${compactionSummaryLabel}\n\n${text}` }],
});

describe('contextForModel', () => {
  it('leaves a context without compaction items as it is', () => {
    const items = [user('a'), assistant('b')];
    expect(contextForModel(items, readSummary)).toEqual(items);
  });

  it('replaces everything before the compaction item but user messages, and the item by its summary', () => {
    const call: ResponseInputItem = { type: 'function_call', call_id: 'c1', name: 'ls', arguments: '{}' };
    const output: ResponseInputItem = { type: 'function_call_output', call_id: 'c1', output: 'x' };
    const developer: ResponseInputItem = { type: 'message', role: 'developer', content: 'terse' };
    const items = [
      user('a'),
      developer,
      assistant('b'),
      call,
      output,
      user('c'),
      compaction('first'),
      user('d'),
    ];
    expect(contextForModel(items, readSummary)).toEqual([
      user('a'),
      user('c'),
      summaryOf('Summary one.'),
      user('d'),
    ]);
  });

  it('uses only the latest compaction item; earlier ones are dropped without being opened', () => {
    const items = [
      user('a'),
      assistant('b'),
      compaction('unopenable'),
      assistant('c'),
      user('d'),
      compaction('second'),
      assistant('e'),
    ];
    expect(contextForModel(items, readSummary)).toEqual([
      user('a'),
      user('d'),
      summaryOf('Summary two.'),
      assistant('e'),
    ]);
  });
});
