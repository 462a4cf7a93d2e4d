import { describe, expect, it } from 'vitest';
import { modelRequest } from '../../test/support/model-request-fixture.js';
import { functionToolsOnly } from './function-tools-request.js';

describe('functionToolsOnly', () => {
  it('passes a request of function tools through as it is', () => {
    const request = modelRequest({
      model: 'm',
      tools: [{ type: 'function', name: 'f', parameters: null, strict: null }],
      toolChoice: { type: 'function', name: 'f' },
    });
    expect(functionToolsOnly(request)).toBe(request);
  });

  it('throws, naming what slipped through, when a wrapper is missing', () => {
    expect(() =>
      functionToolsOnly(modelRequest({ model: 'm', tools: [{ type: 'custom', name: 'calculator' }] })),
    ).toThrow('a tool of type custom reached a function-tools adapter unwrapped');
    expect(() =>
      functionToolsOnly(modelRequest({ model: 'm', toolChoice: { type: 'apply_patch' } })),
    ).toThrow('a tool_choice of type apply_patch reached a function-tools adapter unwrapped');
  });
});
