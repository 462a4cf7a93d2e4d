import type { FunctionTool, NamespaceTool } from 'openai/resources/responses/responses';
import { describe, expect, it } from 'vitest';
import { modelRequest } from '../../test/support/model-request-fixture.js';
import { flattenTools } from './flatten-tools.js';

const weather: FunctionTool = {
  type: 'function',
  name: 'get_weather',
  description: 'Weather now.',
  parameters: { type: 'object', properties: { city: { type: 'string' } } },
  strict: null,
  defer_loading: true,
};
const time: FunctionTool = {
  type: 'function',
  name: 'get_time',
  description: null,
  parameters: null,
  strict: null,
};
const crm: NamespaceTool = {
  type: 'namespace',
  name: 'crm',
  description: 'Customer records.',
  tools: [{ type: 'function', name: 'lookup', description: 'Finds a customer.', parameters: null }],
};

describe('flattenTools', () => {
  it('leaves a request without namespaces or tool search as it is', () => {
    const request = modelRequest({ model: 'm', tools: [time] });
    const flattened = flattenTools(request, 64);
    expect(flattened.request).toBe(request);
  });

  it('offers namespaced tools under flat names and hides deferred ones behind a search function', () => {
    const request = modelRequest({
      model: 'm',
      tools: [time, weather],
      namespaces: [crm],
      toolSearch: { type: 'tool_search' },
      toolChoice: { type: 'function', name: 'lookup' },
    });
    const { request: flat } = flattenTools(request, 64);
    expect(flat.tools.map((tool) => tool.name)).toEqual(['get_time', 'crm__lookup', 'tool_search']);
    expect(flat.tools[1]?.description).toBe('crm: Customer records.\n\nFinds a customer.');
    expect(flat.toolChoice).toEqual({ type: 'function', name: 'crm__lookup' });
    expect(flat.namespaces).toEqual([]);
    expect(flat.toolSearch).toBeNull();
  });

  it('offers what a search loaded, and shows searches and namespaced calls as flat function calls', () => {
    const request = modelRequest({
      model: 'm',
      tools: [time, weather],
      namespaces: [crm],
      toolSearch: { type: 'tool_search' },
      input: [
        { role: 'user', content: 'Weather?' },
        { type: 'tool_search_call', call_id: null, arguments: { query: 'weather' } },
        { type: 'tool_search_output', call_id: null, tools: [weather] },
        { type: 'function_call', call_id: 'c1', name: 'lookup', namespace: 'crm', arguments: '{}' },
      ],
    });
    const { request: flat } = flattenTools(request, 64);
    expect(flat.tools.map((tool) => tool.name)).toEqual([
      'get_time',
      'get_weather',
      'crm__lookup',
      'tool_search',
    ]);
    expect(flat.input.slice(1)).toEqual([
      {
        type: 'function_call',
        call_id: 'tool_search_1',
        name: 'tool_search',
        arguments: '{"query":"weather"}',
      },
      {
        type: 'function_call_output',
        call_id: 'tool_search_1',
        output: 'Found 1 tool, now available to call: get_weather.',
      },
      { type: 'function_call', call_id: 'c1', name: 'crm__lookup', arguments: '{}' },
    ]);
  });

  it('maps calls back: a flat name to its namespace, a streamed search call to one tool-search-call', () => {
    const { restore } = flattenTools(
      modelRequest({ model: 'm', tools: [weather], namespaces: [crm], toolSearch: { type: 'tool_search' } }),
      64,
    );
    expect(restore({ type: 'tool-call-start', id: 'a', callId: 'c1', name: 'crm__lookup' })).toEqual([
      { type: 'tool-call-start', id: 'a', callId: 'c1', name: 'lookup', namespace: 'crm' },
    ]);
    expect(restore({ type: 'tool-call-start', id: 'b', callId: 'c2', name: 'tool_search' })).toEqual([]);
    expect(restore({ type: 'tool-call-delta', id: 'b', delta: '{"query":' })).toEqual([]);
    expect(restore({ type: 'tool-call-end', id: 'b', arguments: '{"query":"weather"}' })).toEqual([
      { type: 'tool-search-call', callId: 'c2', arguments: { query: 'weather' }, execution: 'server' },
    ]);
    expect(restore({ type: 'tool-call-end', id: 'a', arguments: '{}' })).toEqual([
      { type: 'tool-call-end', id: 'a', arguments: '{}' },
    ]);
  });

  it('flattens a custom tool of a namespace, which the custom-tool translation then offers as a function', () => {
    const editor: NamespaceTool = {
      type: 'namespace',
      name: 'editor',
      description: 'Edits files.',
      tools: [{ type: 'custom', name: 'patch', description: 'Applies a patch.' }],
    };
    const { request: flat, restore } = flattenTools(modelRequest({ model: 'm', namespaces: [editor] }), 64);
    expect(flat.tools).toEqual([
      { type: 'custom', name: 'editor__patch', description: 'editor: Edits files.\n\nApplies a patch.' },
    ]);
    expect(restore({ type: 'custom-call-start', id: 'a', callId: 'c', name: 'editor__patch' })).toEqual([
      { type: 'custom-call-start', id: 'a', callId: 'c', name: 'patch', namespace: 'editor' },
    ]);
  });
});
