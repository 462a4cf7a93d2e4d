import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageVersion } from '../package-version.js';
import { startBerthProcess } from '../../test/support/berth-process.js';
import { startFakeChatCompletionsUpstream } from '../../test/support/fake-chat-completions-upstream.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../../test/support/otlp-receiver.js';
import { sandboxDriversHere } from '../../test/support/sandbox-drivers-here.js';
import type { FakeUpstream } from '../../test/support/scripted-turn.js';

const directory = mkdtempSync(join(tmpdir(), 'berth-tracing-'));
let upstream: FakeUpstream;
let receiver: OtlpReceiver;
const config = join(directory, 'config.json');
beforeAll(async () => {
  upstream = await startFakeChatCompletionsUpstream();
  receiver = await startOtlpReceiver();
  writeFileSync(
    config,
    JSON.stringify({
      providers: [{ name: 'local', kind: 'openai-chat', baseURL: upstream.baseURL, apiKey: 'upstream-key' }],
      sandbox: { warmPool: 0 },
    }),
  );
});
afterAll(async () => {
  await upstream.close();
  await receiver.close();
  rmSync(directory, { recursive: true, force: true });
});

const prompt = 'the words of a prompt that stay out of traces';
let servers = 0;

/** Runs `berth serve` exporting to the receiver, makes one response, and stops it (which flushes). */
async function traceOneResponse(
  driver: string,
  environment: NodeJS.ProcessEnv,
  tools: OpenAI.Responses.Tool[],
) {
  const server = await startBerthProcess(
    ['--config', config, '--data-dir', join(directory, `data-${servers++}`), '--init', '--driver', driver],
    { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, ...environment },
  );
  const before = receiver.spans.length;
  try {
    const client = new OpenAI({ baseURL: server.url, apiKey: 'none', maxRetries: 0 });
    const response = await client.responses.create({ model: 'local/llama3.2', input: prompt, tools });
    expect(response.status).toBe('completed');
    expect(await server.stop()).toBe(0);
    return { response, spans: receiver.spans.slice(before) };
  } finally {
    server.child.kill('SIGKILL');
  }
}

function one(spans: readonly ReceivedSpan[], name: string): ReceivedSpan {
  const found = spans.filter((span) => span.name === name);
  expect(found.map((span) => span.name)).toEqual([name]);
  return found[0] as ReceivedSpan;
}

const driver = sandboxDriversHere()[0];

describe.skipIf(driver === undefined)(
  `traces over OTLP${driver ? ` (on ${driver})` : ' (skipped: no sandbox driver runs here)'}`,
  () => {
    it('sends a span tree per response: invoke_agent over chat, execute_tool and sandbox.start, without content', async () => {
      upstream.script(
        { shellCalls: [{ commands: ['echo traced', 'exit 3'] }], usage: { input: 30, output: 9 } },
        { text: 'Done.', usage: { input: 50, output: 4 } },
      );
      const { response, spans } = await traceOneResponse(driver ?? 'none', {}, [
        { type: 'shell', environment: { type: 'container_auto' } },
      ]);

      const agent = one(spans, 'invoke_agent');
      expect(agent.parentSpanId).toBe('');
      expect(agent.resource).toMatchObject({ 'service.name': 'berth', 'service.version': packageVersion() });
      expect(agent.attributes).toMatchObject({
        'gen_ai.operation.name': 'invoke_agent',
        'gen_ai.provider.name': 'local',
        'gen_ai.request.model': 'llama3.2',
        'gen_ai.response.id': response.id,
        'gen_ai.usage.input_tokens': 80,
        'gen_ai.usage.output_tokens': 13,
        'berth.response.status': 'completed',
      });

      const chats = spans.filter((span) => span.name === 'chat llama3.2');
      expect(chats.map((span) => span.attributes['gen_ai.response.finish_reasons'])).toEqual([
        ['tool_calls'],
        ['stop'],
      ]);
      for (const chat of chats) {
        expect(chat.parentSpanId).toBe(agent.spanId);
        expect(chat.attributes['gen_ai.operation.name']).toBe('chat');
      }

      const tool = one(spans, 'execute_tool shell');
      expect(tool.parentSpanId).toBe(agent.spanId);
      expect(tool.attributes).toMatchObject({
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': 'shell',
        'gen_ai.tool.type': 'extension',
        'berth.shell.commands': 2,
      });
      expect(tool.events.map((event) => [event.name, event.attributes['berth.shell.exit_code']])).toEqual([
        ['berth.shell.command', 0],
        ['berth.shell.command', 3],
      ]);

      // The container_auto container's sandbox starts within the response, in its trace.
      const start = one(spans, 'sandbox.start');
      expect(start.traceId).toBe(agent.traceId);
      expect([agent.spanId, tool.spanId]).toContain(start.parentSpanId);
      expect(start.attributes['berth.sandbox.driver']).toBe(driver);

      // What was said and run stays out of traces unless the operator opts in.
      expect(receiver.bodies.join('\n')).not.toContain(prompt);
      expect(receiver.bodies.join('\n')).not.toContain('echo traced');
    });

    it('carries the input, output and commands only with OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true', async () => {
      upstream.script({ shellCalls: [{ commands: ['echo captured'] }] }, { text: 'The answer.' });
      const { spans } = await traceOneResponse(
        driver ?? 'none',
        { OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true' },
        [{ type: 'shell', environment: { type: 'container_auto' } }],
      );
      const agent = one(spans, 'invoke_agent');
      expect(String(agent.attributes['gen_ai.input.messages'])).toContain(prompt);
      expect(String(agent.attributes['gen_ai.output.messages'])).toContain('The answer.');
      expect(String(one(spans, 'execute_tool shell').attributes['gen_ai.tool.call.arguments'])).toContain(
        'echo captured',
      );
    });
  },
);
