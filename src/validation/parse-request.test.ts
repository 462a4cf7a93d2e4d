import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BerthError } from '../errors/berth-error.js';
import { parseRequest } from './parse-request.js';

const schema = z.strictObject({
  name: z.string(),
  limit: z.number().int().optional(),
  expires_after: z.strictObject({ seconds: z.coerce.number().int() }).optional(),
});

function refusal(value: unknown, prefix?: string): BerthError {
  try {
    parseRequest(schema, value, prefix);
  } catch (error) {
    if (error instanceof BerthError) return error;
    throw error;
  }
  throw new Error('parseRequest accepted the value.');
}

describe('parseRequest', () => {
  it('returns the parsed value when it is valid', () => {
    expect(parseRequest(schema, { name: 'a', limit: 2 })).toEqual({ name: 'a', limit: 2 });
  });

  it('calls an absent parameter missing', () => {
    const error = refusal({});
    expect(error.code).toBe('missing_required_parameter');
    expect(error.param).toBe('name');
    expect(error.message).toBe("Missing required parameter: 'name'.");
  });

  it('calls a parameter of the wrong type a wrong type, not missing', () => {
    const error = refusal({ name: 7 });
    expect(error.code).toBe('invalid_type');
    expect(error.param).toBe('name');
    expect(error.message).toMatch(/^Invalid type for 'name': /);
  });

  it('calls null a wrong type, not missing', () => {
    expect(refusal({ name: null }).code).toBe('invalid_type');
  });

  it('calls a fractional integer a wrong type', () => {
    const error = refusal({ name: 'a', limit: 1.5 });
    expect(error.code).toBe('invalid_type');
    expect(error.param).toBe('limit');
  });

  it('calls an absent coerced parameter missing (zod reports its input as NaN)', () => {
    const error = refusal({ name: 'a', expires_after: {} });
    expect(error.code).toBe('missing_required_parameter');
    expect(error.param).toBe('expires_after.seconds');
  });

  it('calls a coerced parameter that does not coerce a wrong type', () => {
    expect(refusal({ name: 'a', expires_after: { seconds: 'soon' } }).code).toBe('invalid_type');
  });

  it('does not take an inherited property for a present one', () => {
    const schemaWithConstructor = z.strictObject({ constructor: z.string() });
    try {
      parseRequest(schemaWithConstructor, {});
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ code: 'missing_required_parameter', param: 'constructor' });
    }
  });

  it('prefixes the param', () => {
    expect(refusal({ name: 7 }, 'body').param).toBe('body.name');
  });
});
