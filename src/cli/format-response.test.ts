import type { Response } from 'openai/resources/responses/responses';
import { describe, expect, it } from 'vitest';
import { formatResponseSummary } from './format-response.js';

/** A response as the server serves one with a hosted shell turn (typed by the official client). */
const response: Response = {
  id: 'resp_1',
  access_programs: null,
  object: 'response',
  created_at: Date.UTC(2026, 0, 1) / 1000,
  status: 'incomplete',
  incomplete_details: { reason: 'max_output_tokens' },
  error: null,
  model: 'oai/gpt-5',
  instructions: null,
  metadata: {},
  parallel_tool_calls: true,
  temperature: null,
  top_p: null,
  tool_choice: 'auto',
  tools: [],
  output_text: '',
  output: [
    {
      type: 'reasoning',
      id: 'rs_1',
      summary: [{ type: 'summary_text', text: 'Look at the data first.' }],
    },
    {
      type: 'shell_call',
      id: 'sh_1',
      call_id: 'call_1',
      status: 'completed',
      environment: null,
      action: { commands: ['cd /mnt/data', 'wc -l\nweather.csv'], max_output_length: null, timeout_ms: null },
    },
    {
      type: 'shell_call_output',
      id: 'sho_1',
      call_id: 'call_1',
      status: 'completed',
      max_output_length: null,
      output: [
        { stdout: '', stderr: '', outcome: { type: 'exit', exit_code: 0 } },
        { stdout: '', stderr: '', outcome: { type: 'timeout' } },
      ],
    },
    {
      type: 'message',
      id: 'msg_1',
      role: 'assistant',
      status: 'incomplete',
      content: [{ type: 'output_text', text: 'Three rows.\nLima is', annotations: [] }],
    },
  ],
};

describe('formatResponseSummary', () => {
  it('renders the header and each output item in a line or two', () => {
    expect(formatResponseSummary(response)).toBe(
      [
        'id          resp_1',
        'status      incomplete',
        'model       oai/gpt-5',
        'created     2026-01-01T00:00:00Z',
        'incomplete  max_output_tokens',
        '',
        'output:',
        '  reasoning: Look at the data first.',
        '  shell_call call_1 (completed):',
        '    $ cd /mnt/data',
        '    $ wc -l⏎weather.csv',
        '  shell_call_output call_1: exit 0, timeout',
        '  message (assistant):',
        '    Three rows.',
        '    Lima is',
      ].join('\n'),
    );
  });

  it("shows an open model's raw reasoning when there is no summary", () => {
    const rawOnly: Response = {
      ...response,
      output: [
        {
          type: 'reasoning',
          id: 'rs_2',
          summary: [],
          content: [{ type: 'reasoning_text', text: 'Count the rows first.' }],
        },
      ],
    };
    expect(formatResponseSummary(rawOnly)).toContain('output:\n  reasoning: Count the rows first.');
  });

  it('says when there is no output and shows a failure', () => {
    const failed: Response = {
      ...response,
      status: 'failed',
      incomplete_details: null,
      error: { code: 'server_error', message: 'The upstream failed.' },
      output: [],
    };
    expect(formatResponseSummary(failed)).toContain(
      'error    server_error: The upstream failed.\n\noutput:\n  (none)',
    );
  });
});
