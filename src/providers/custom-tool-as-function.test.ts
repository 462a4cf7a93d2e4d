import { describe, expect, it } from 'vitest';
import type { CustomTool, FunctionTool } from 'openai/resources/responses/responses';
import { modelRequest } from '../../test/support/model-request-fixture.js';
import {
  customInputOf,
  customToolAsFunction,
  customToolsAsFunctions,
  StreamedCustomCall,
} from './custom-tool-as-function.js';
import type { ModelEvent } from './model-provider.js';

const grammar = 'start: "add(" NUMBER "," NUMBER ")"\n%import common.NUMBER';
const calculator: CustomTool = {
  type: 'custom',
  name: 'calculator',
  description: 'Adds two numbers.',
  format: { type: 'grammar', syntax: 'lark', definition: grammar },
};
const weather: FunctionTool = {
  type: 'function',
  name: 'get_weather',
  description: null,
  parameters: { type: 'object', properties: {} },
  strict: true,
};

describe('customToolAsFunction', () => {
  it('offers a custom tool as a function of one required string argument, input', () => {
    expect(customToolAsFunction(calculator)).toMatchObject({
      type: 'function',
      name: 'calculator',
      parameters: {
        type: 'object',
        properties: { input: { type: 'string' } },
        required: ['input'],
        additionalProperties: false,
      },
    });
  });

  it('keeps the description and asks the model to follow the grammar it cannot be held to', () => {
    const description = customToolAsFunction(calculator).description ?? '';
    expect(description.startsWith('Adds two numbers.\n\n')).toBe(true);
    expect(description).toContain('Lark grammar');
    expect(description).toContain(grammar);

    const regex = customToolAsFunction({
      type: 'custom',
      name: 'zip',
      format: { type: 'grammar', syntax: 'regex', definition: '^\\d{5}$' },
    });
    expect(regex.description).toContain('regular expression');
    expect(regex.description).toContain('^\\d{5}$');
  });

  it('says nothing about a format when the input is free text', () => {
    expect(customToolAsFunction({ type: 'custom', name: 'note', format: { type: 'text' } }).description).toBe(
      null,
    );
    expect(
      customToolAsFunction({ type: 'custom', name: 'note', description: 'Takes a note.' }).description,
    ).toBe('Takes a note.');
  });
});

describe('customToolsAsFunctions', () => {
  it('turns custom tools, the custom tool_choice and custom history into their function forms', () => {
    const request = customToolsAsFunctions(
      modelRequest({
        model: 'm',
        tools: [weather, calculator],
        toolChoice: { type: 'custom', name: 'calculator' },
        input: [
          { role: 'user', content: 'Add 1 and 2' },
          { type: 'custom_tool_call', call_id: 'call_1', name: 'calculator', input: 'add(1, 2)' },
          { type: 'custom_tool_call_output', call_id: 'call_1', output: '3' },
        ],
      }),
    );
    expect(request.tools.map((tool) => [tool.type, tool.name])).toEqual([
      ['function', 'get_weather'],
      ['function', 'calculator'],
    ]);
    expect(request.tools[0]).toBe(weather);
    expect(request.toolChoice).toEqual({ type: 'function', name: 'calculator' });
    expect(request.input.slice(1)).toEqual([
      { type: 'function_call', call_id: 'call_1', name: 'calculator', arguments: '{"input":"add(1, 2)"}' },
      { type: 'function_call_output', call_id: 'call_1', output: '3' },
    ]);
  });

  it('names the function for a custom tool listed in allowed_tools', () => {
    const request = customToolsAsFunctions(
      modelRequest({
        model: 'm',
        tools: [weather, calculator],
        toolChoice: {
          type: 'allowed_tools',
          mode: 'required',
          tools: [{ type: 'custom', name: 'calculator' }],
        },
      }),
    );
    expect(request.toolChoice).toEqual({
      type: 'allowed_tools',
      mode: 'required',
      tools: [{ type: 'function', name: 'calculator' }],
    });
  });
});

describe('customInputOf', () => {
  it('is the input argument of arguments that are JSON with a string input', () => {
    expect(customInputOf('{"input":"add(1, 2)"}')).toBe('add(1, 2)');
    expect(customInputOf('{"input":"","note":1}')).toBe('');
  });

  it('is the raw arguments text for anything else, so nothing the model wrote is lost', () => {
    expect(customInputOf('add(1, 2)')).toBe('add(1, 2)');
    expect(customInputOf('{"input":3}')).toBe('{"input":3}');
    expect(customInputOf('{"expression":"add(1, 2)"}')).toBe('{"expression":"add(1, 2)"}');
    expect(customInputOf('["add(1, 2)"]')).toBe('["add(1, 2)"]');
  });
});

describe('custom call events', () => {
  /** The events of a streamed call whose arguments arrive in `pieces`. */
  function streamed(pieces: readonly string[]): ModelEvent[] {
    const call = new StreamedCustomCall('p1');
    const events: ModelEvent[] = [call.start('call_1', 'calculator')];
    for (const piece of pieces) {
      const delta = call.delta(piece);
      if (delta) events.push(delta);
    }
    return [...events, ...call.end(pieces.join(''))];
  }

  const deltas = (events: readonly ModelEvent[]): string[] =>
    events.flatMap((event) => (event.type === 'custom-call-delta' ? [event.delta] : []));

  it('streams the input as the arguments arrive, and ends with the whole input', () => {
    const events = streamed(['{"inp', 'ut": "add(', '1, 2', ')"}']);
    expect(deltas(events)).toEqual(['add(', '1, 2', ')']);
    expect(events.at(-1)).toEqual({ type: 'custom-call-end', id: 'p1', input: 'add(1, 2)' });
  });

  it('sends arguments of another shape as one delta at the end', () => {
    const events = streamed(['add(1', ', 2)']);
    expect(deltas(events)).toEqual(['add(1, 2)']);
    expect(events.at(-1)).toEqual({ type: 'custom-call-end', id: 'p1', input: 'add(1, 2)' });
  });

  it('lets the end decide when the arguments turn out not to be JSON after all', () => {
    // Cut off mid-string: what streamed was the string so far, the input is the raw text.
    const events = streamed(['{"input":"add(1', ', 2']);
    expect(deltas(events)).toEqual(['add(1', ', 2']);
    expect(events.at(-1)).toEqual({ type: 'custom-call-end', id: 'p1', input: '{"input":"add(1, 2' });
  });
});
