// Serves Berth on loopback with the fake upstreams, for running the Open Responses conformance suite
// (github.com/openresponses/openresponses) against every provider kind. The fakes answer as a model
// would: a request that offers function tools and does not carry a tool result gets a call of the
// first tool; anything else gets a short text. See docs/compatibility.md for the commands.
//
//   node --import tsx test/compliance/serve-open-responses.ts
import type { ScriptedTurn } from '../support/scripted-turn.js';
import { startTestBerth, testProviders } from '../support/start-test-berth.js';

type Body = Record<string, unknown>;
const records = (value: unknown): Body[] => (Array.isArray(value) ? (value as Body[]) : []);

/** The first function tool's name, in any of the three protocols' tool shapes. */
function firstFunctionName(body: Body): string | undefined {
  for (const tool of records(body.tools)) {
    const nested = tool.function as Body | undefined;
    const name = nested?.name ?? (tool.type === 'function' || tool.input_schema ? tool.name : undefined);
    if (typeof name === 'string' && !['shell', 'bash'].includes(name)) return name;
  }
  return undefined;
}

/** Whether the newest input is a tool result (OpenAI item, Chat `tool` message, Anthropic block). */
function endsWithToolResult(body: Body): boolean {
  const last = records(body.input ?? body.messages).at(-1);
  if (!last) return false;
  if (last.type === 'function_call_output' || last.role === 'tool') return true;
  return records(last.content).some((block) => block.type === 'tool_result');
}

function reply(body: unknown): ScriptedTurn | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const request = body as Body;
  const tool = firstFunctionName(request);
  if (tool && !endsWithToolResult(request)) {
    return { toolCalls: [{ name: tool, arguments: '{"location":"San Francisco, CA"}' }] };
  }
  return { text: 'OK. The answer is ready.', usage: { input: 12, output: 6 } };
}

const berth = await startTestBerth();
for (const { name } of testProviders) berth.upstreams[name].replyWith(reply);
process.stdout.write(`Berth for Open Responses at ${berth.baseURL}\n`);
for (const { model } of testProviders) process.stdout.write(`  --model ${model}\n`);
const stop = () => void berth.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
