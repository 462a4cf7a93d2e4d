import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compactionSummaryLabel } from '../engine/compaction/context-for-model.js';
import { describeEachDriver } from '../../test/support/sandbox-drivers-here.js';
import { until } from '../../test/support/until.js';
import { startTestBerth, testProviders, type TestBerth } from '../../test/support/start-test-berth.js';

/**
 * `context_management` compaction in the middle of a response: once a turn's context passes the
 * threshold, the model is asked for a summary, a `compaction` item is emitted, and the next turn (and
 * the next chained response) sees the summary instead of the turns before it.
 */
describeEachDriver('compaction in the agent loop on %s', (driver) => {
  describe.each(testProviders)('through $kind', (provider) => {
    let berth: TestBerth;
    const upstream = () => berth.upstreams[provider.name];
    const sent = (index: number) => JSON.stringify(upstream().requests[index]?.body ?? null);

    beforeAll(async () => {
      berth = await startTestBerth({ sandbox: { driver, warmPool: 1 } });
    });
    afterAll(async () => {
      await berth?.close();
    });

    it('compacts between turns once the context passes compact_threshold, streamed', async () => {
      const client = berth.client();
      const before = upstream().requests.length;
      upstream().script(
        { shellCalls: [{ commands: ['echo marker-from-the-shell'] }], usage: { input: 4_000, output: 20 } },
        { text: 'The shell printed the marker; nothing else is pending.' },
        { text: 'Done.' },
      );
      const stream = client.responses.stream({
        model: provider.model,
        input: 'Print the marker.',
        tools: [{ type: 'shell', environment: { type: 'container_auto' } }],
        context_management: [{ type: 'compaction', compact_threshold: 1_000 }],
      });
      const events: ResponseStreamEvent[] = [];
      for await (const event of stream) events.push(event);
      const response = await stream.finalResponse();

      expect(response.output.map((item) => item.type)).toEqual([
        'shell_call',
        'shell_call_output',
        'compaction',
        'message',
      ]);
      const compaction = response.output[2] as { id: string; encrypted_content: string };
      expect(compaction.encrypted_content).toMatch(/^bcmp1\./);
      expect(events.map((event) => event.type)).toContain('response.compaction.compacting');

      // The summariser saw the shell's output; the turn after it saw the summary instead.
      expect(upstream().requests.length - before).toBe(3);
      expect(sent(before + 1)).toContain('marker-from-the-shell');
      expect(sent(before + 2)).toContain(compactionSummaryLabel.slice(0, 20));
      expect(sent(before + 2)).toContain('nothing else is pending');
      expect(sent(before + 2)).not.toContain('marker-from-the-shell\\n');
      expect(sent(before + 2)).toContain('Print the marker.');

      // A chained response starts from the compacted context too.
      upstream().script({ text: 'Still here.' });
      await client.responses.create({
        model: provider.model,
        previous_response_id: response.id,
        input: 'Anything else?',
      });
      const chained = sent(upstream().requests.length - 1);
      expect(chained).toContain('nothing else is pending');
      expect(chained).not.toContain('marker-from-the-shell\\n');
    });

    it('fails the response when the summary fails, leaving no compaction item without a blob', async () => {
      const client = berth.client();
      upstream().script(
        { shellCalls: [{ commands: ['true'] }], usage: { input: 4_000, output: 20 } },
        { error: { status: 400, message: 'the summariser refused' } },
      );
      const started = await client.responses.create({
        model: provider.model,
        input: 'Run true.',
        tools: [{ type: 'shell', environment: { type: 'container_auto' } }],
        context_management: [{ type: 'compaction', compact_threshold: 1_000 }],
        background: true,
      });
      let response = started;
      await until(async () => {
        response = await client.responses.retrieve(started.id);
        return response.status !== 'queued' && response.status !== 'in_progress';
      }, 50);
      expect(response.status).toBe('failed');
      expect(response.output.map((item) => item.type)).toEqual(['shell_call', 'shell_call_output']);
    });

    it('does not compact below the threshold', async () => {
      const client = berth.client();
      upstream().script(
        { shellCalls: [{ commands: ['true'] }], usage: { input: 200, output: 5 } },
        { text: 'Done.' },
      );
      const response = await client.responses.create({
        model: provider.model,
        input: 'Run true.',
        tools: [{ type: 'shell', environment: { type: 'container_auto' } }],
        context_management: [{ type: 'compaction', compact_threshold: 1_000 }],
      });
      expect(response.output.map((item) => item.type)).toEqual([
        'shell_call',
        'shell_call_output',
        'message',
      ]);
    });
  });
});
