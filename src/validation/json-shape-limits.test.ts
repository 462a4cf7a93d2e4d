import { describe, expect, it } from 'vitest';
import { BerthError } from '../errors/berth-error.js';
import { checkJsonShape } from './json-shape-limits.js';

const limits = { maxDepth: 4, maxArrayLength: 3 };

function refusal(value: unknown): { code: string; param: string | null } | undefined {
  try {
    checkJsonShape(value, limits);
    return undefined;
  } catch (error) {
    if (!(error instanceof BerthError)) throw error;
    return { code: error.code, param: error.param };
  }
}

describe('checkJsonShape', () => {
  it('accepts values up to the limits, scalars included', () => {
    expect(refusal('text')).toBeUndefined();
    expect(refusal(null)).toBeUndefined();
    expect(refusal({ a: { b: { c: [1, 2, 3] } } })).toBeUndefined();
    expect(refusal([[[[]]]])).toBeUndefined();
  });

  it('refuses one level too deep, naming the leading path', () => {
    expect(refusal({ a: { b: { c: { d: {} } } } })).toEqual({ code: 'invalid_value', param: 'a.b.c' });
    expect(refusal([[[[[]]]]])).toEqual({ code: 'invalid_value', param: '[0][0][0]' });
    expect(refusal({ tools: [{ parameters: { a: { b: {} } } }] })).toEqual({
      code: 'invalid_value',
      param: 'tools[0].parameters',
    });
  });

  it('refuses an array one element too long, naming it', () => {
    expect(refusal({ input: [1, 2, 3, 4] })).toEqual({ code: 'array_above_max_length', param: 'input' });
    expect(refusal([1, 2, 3, 4])).toEqual({ code: 'array_above_max_length', param: 'body' });
  });

  it('walks a value millions deep without recursion', () => {
    const text = '['.repeat(2_000_000) + ']'.repeat(2_000_000);
    const value: unknown = JSON.parse(text);
    expect(() => checkJsonShape(value, { maxDepth: 1_000_000_000, maxArrayLength: 10 })).not.toThrow();
    expect(refusal(value)?.code).toBe('invalid_value');
  });

  it('ignores inherited keys', () => {
    const value = Object.create({ inherited: { a: { b: { c: { d: 1 } } } } }) as object;
    expect(refusal(value)).toBeUndefined();
  });
});
