import { toFile } from 'openai';
import { ResponsesWS } from 'openai/resources/responses/ws';
import type {
  Response,
  ResponseFunctionShellToolCall,
  ResponseFunctionShellToolCallOutput,
  ResponseOutputItem,
  ResponseOutputText,
  ResponseStreamEvent,
} from 'openai/resources/responses/responses';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultProjectId } from '../keys/default-project-id.js';
import { describeEachDriver } from '../../test/support/sandbox-drivers-here.js';
import { skillMarkdown, skillZip } from '../../test/support/skill-zips.js';
import { startTestBerth, testProviders, type TestBerth } from '../../test/support/start-test-berth.js';
import { until } from '../../test/support/until.js';
import { scrapeSamples, valueOf } from '../../test/support/metrics-samples.js';

function shellCallsOf(output: readonly ResponseOutputItem[]): ResponseFunctionShellToolCall[] {
  return output.filter((item): item is ResponseFunctionShellToolCall => item.type === 'shell_call');
}

// Over 400 lines on purpose: the hosted-shell loop end to end on each driver (one describe per
// driver), read best as one list of what a response with a `container_auto` shell can rely on.

function shellOutputsOf(output: readonly ResponseOutputItem[]): ResponseFunctionShellToolCallOutput[] {
  return output.filter(
    (item): item is ResponseFunctionShellToolCallOutput => item.type === 'shell_call_output',
  );
}

function firstTextOf(output: readonly ResponseOutputItem[]): ResponseOutputText | undefined {
  for (const item of output) {
    if (item.type !== 'message') continue;
    for (const part of item.content) if (part.type === 'output_text') return part;
  }
  return undefined;
}

/** The container a hosted-shell response ran in, as its echoed tool names it. */
function containerOf(response: Response): string {
  const tool = response.tools[0] as { environment?: { type: string; container_id?: string } };
  expect(tool.environment?.type).toBe('container_reference');
  return tool.environment?.container_id ?? '';
}

function requestText(
  berth: TestBerth,
  provider: (typeof testProviders)[number]['name'],
  index: number,
): string {
  return JSON.stringify(berth.upstreams[provider].requests[index]?.body ?? null);
}

const autoShell = { type: 'shell', environment: { type: 'container_auto' } } as const;

/** The whole loop, per driver and per provider: a driver's sandbox is what the model's commands run in. */
describeEachDriver('hosted shell on %s', (driver) => {
  describe.each(testProviders)('through $kind', (provider) => {
    let berth: TestBerth;
    const upstream = () => berth.upstreams[provider.name];

    beforeAll(async () => {
      berth = await startTestBerth({ sandbox: { driver, warmPool: 1 } });
    });
    afterAll(async () => {
      await berth?.close();
    });

    it('loops model → shell → model: writes a file, reads it back, answers and cites the file', async () => {
      const client = berth.client();
      const before = upstream().requests.length;
      upstream().script(
        { shellCalls: [{ commands: ['printf "hello from the shell" > /mnt/data/greeting.txt'] }] },
        { shellCalls: [{ commands: ['cat /mnt/data/greeting.txt'] }] },
        { text: 'The file /mnt/data/greeting.txt says: hello from the shell.' },
      );
      const response = await client.responses.create({
        model: provider.model,
        input: 'Write a greeting to a file and read it back.',
        tools: [autoShell],
      });

      expect(response.status).toBe('completed');
      expect(response.output.map((item) => item.type)).toEqual([
        'shell_call',
        'shell_call_output',
        'shell_call',
        'shell_call_output',
        'message',
      ]);
      const containerId = containerOf(response);
      expect(containerId).toMatch(/^cntr_/);

      const [firstCall, secondCall] = shellCallsOf(response.output);
      const [, readBack] = shellOutputsOf(response.output);
      expect(firstCall).toMatchObject({
        status: 'completed',
        environment: { type: 'container_reference', container_id: containerId },
      });
      expect(readBack).toMatchObject({
        call_id: secondCall?.call_id,
        status: 'completed',
        output: [{ stdout: 'hello from the shell', stderr: '', outcome: { type: 'exit', exit_code: 0 } }],
      });

      // The model saw the command's output on the turn after it ran.
      expect(upstream().requests.length - before).toBe(3);
      expect(requestText(berth, provider.name, before + 2)).toContain('hello from the shell');

      // What operators see of it (this server ran nothing else before).
      const samples = await scrapeSamples(berth.baseURL);
      expect(valueOf(samples, 'berth_shell_commands_total', { exit_code: '0' })).toBe(2);
      expect(valueOf(samples, 'berth_shell_command_duration_seconds_count')).toBe(2);
      expect(valueOf(samples, 'berth_tool_calls_total', { type: 'shell_call', status: 'completed' })).toBe(2);
      expect(valueOf(samples, 'berth_containers_created_total', { driver })).toBe(1);
      expect(valueOf(samples, 'berth_containers_live', { driver })).toBe(1);
      expect(
        valueOf(samples, 'berth_sandbox_start_duration_seconds_count', { driver }),
      ).toBeGreaterThanOrEqual(1);
      expect(valueOf(samples, 'berth_model_calls_total', { finish_reason: 'error' })).toBe(0);

      const files = await client.containers.files.list(containerId);
      const greeting = files.data.find((file) => file.path === '/mnt/data/greeting.txt');
      expect(greeting).toMatchObject({ source: 'assistant' });

      const text = firstTextOf(response.output);
      expect(text?.annotations).toEqual([
        {
          type: 'container_file_citation',
          container_id: containerId,
          file_id: greeting?.id,
          filename: 'greeting.txt',
          start_index: text?.text.indexOf('/mnt/data/greeting.txt'),
          end_index: (text?.text.indexOf('/mnt/data/greeting.txt') ?? 0) + '/mnt/data/greeting.txt'.length,
        },
      ]);
      expect(await client.containers.retrieve(containerId)).toMatchObject({ status: 'running' });

      // Berth's tool-call log has one row per command, with where, how long and how much it wrote.
      const log = await client.get<{ data: Record<string, unknown>[] }>(
        `/responses/${response.id}/tool_calls`,
      );
      expect(log.data).toEqual([
        expect.objectContaining({
          response_id: response.id,
          call_id: firstCall?.call_id,
          item_id: firstCall?.id,
          command_index: 0,
          command: 'printf "hello from the shell" > /mnt/data/greeting.txt',
          container_id: containerId,
          session: 'default',
          outcome: { type: 'exit', exit_code: 0 },
          stdout_bytes: 0,
        }),
        expect.objectContaining({ call_id: secondCall?.call_id, stdout_bytes: 20, stderr_bytes: 0 }),
      ]);
    });

    it('streams the loop in the order the official stream helper accepts, output as it is produced', async () => {
      const client = berth.client();
      upstream().script(
        { shellCalls: [{ commands: ['echo one; echo two >&2; echo three'] }] },
        { text: 'Done.' },
      );
      const stream = client.responses.stream({
        model: provider.model,
        input: 'Run it.',
        tools: [autoShell],
      });
      const events: ResponseStreamEvent[] = [];
      for await (const event of stream) events.push(event);
      const final = await stream.finalResponse();

      const types = events.map((event) => event.type);
      const order = [
        'response.created',
        'response.output_item.added',
        'response.shell_call_command.added',
        'response.shell_call_command.delta',
        'response.shell_call_command.done',
        'response.output_item.done',
        'response.output_item.added',
        'response.shell_call_output_content.delta',
        'response.shell_call_output_content.done',
        'response.output_item.done',
        'response.output_text.delta',
        'response.completed',
      ];
      let at = -1;
      for (const type of order) {
        at = types.indexOf(type as ResponseStreamEvent['type'], at + 1);
        expect(at, `${type} in order`).toBeGreaterThanOrEqual(0);
      }
      const deltas = events.filter((event) => event.type === 'response.shell_call_output_content.delta');
      const streamed = deltas.map((event) => event.delta);
      expect(streamed.map((delta) => delta.stdout ?? '').join('')).toBe('one\nthree\n');
      expect(streamed.map((delta) => delta.stderr ?? '').join('')).toBe('two\n');
      const output = shellOutputsOf(final.output)[0];
      expect(output?.output).toEqual([
        { stdout: 'one\nthree\n', stderr: 'two\n', outcome: { type: 'exit', exit_code: 0 } },
      ]);
      expect(final.status).toBe('completed');
    });

    it('runs the loop over the WebSocket mode too, store:false turns included', async () => {
      upstream().script({ shellCalls: [{ commands: ['echo over the socket'] }] }, { text: 'Sent.' });
      const socket = new ResponsesWS(berth.client());
      const completed = new Promise<Response>((resolve, reject) => {
        socket.on('event', (event) => {
          if (event.type === 'response.completed') resolve(event.response);
          if (event.type === 'response.failed' || event.type === 'error')
            reject(new Error(JSON.stringify(event)));
        });
        socket.on('error', reject);
      });
      socket.send({
        type: 'response.create',
        model: provider.model,
        input: 'Say it over the socket.',
        store: false,
        tools: [autoShell],
      });
      try {
        const response = await completed;
        expect(response.output.map((item) => item.type)).toEqual([
          'shell_call',
          'shell_call_output',
          'message',
        ]);
        expect(shellOutputsOf(response.output)[0]?.output[0]?.stdout).toBe('over the socket\n');
        // store:false keeps nothing, the tool-call log included.
        const log = await berth.runtime.store.toolCalls.listToolCalls(defaultProjectId, response.id, {
          limit: 10,
          order: 'asc',
        });
        expect(log.data).toEqual([]);
      } finally {
        socket.close();
      }
    });

    // Anthropic's bash tool has no output limit of its own; the default (16 KiB) applies there.
    it.runIf(provider.kind !== 'anthropic')(
      'streams at most max_output_length bytes of a flood live, as the result keeps',
      async () => {
        upstream().script(
          { shellCalls: [{ commands: ["head -c 100000 /dev/zero | tr '\\0' a"], maxOutputLength: 1_000 }] },
          { text: 'Flooded.' },
        );
        const stream = berth.client().responses.stream({
          model: provider.model,
          input: 'Flood.',
          tools: [autoShell],
        });
        let streamed = '';
        for await (const event of stream)
          if (event.type === 'response.shell_call_output_content.delta') streamed += event.delta.stdout ?? '';
        const final = await stream.finalResponse();
        expect(streamed).toBe('a'.repeat(1_000));
        expect(shellOutputsOf(final.output)[0]?.output[0]?.stdout).toContain('bytes of output dropped');
      },
      60_000,
    );

    it('keeps shell state across chained responses that reuse the container', async () => {
      const client = berth.client();
      upstream().script({ shellCalls: [{ commands: ['export GREETING=kept; cd /tmp'] }] }, { text: 'Set.' });
      const first = await client.responses.create({
        model: provider.model,
        input: 'Set a variable.',
        tools: [autoShell],
      });
      const containerId = containerOf(first);

      upstream().script({ shellCalls: [{ commands: ['echo "$GREETING in $(pwd)"'] }] }, { text: 'Read.' });
      const second = await client.responses.create({
        model: provider.model,
        previous_response_id: first.id,
        input: 'Read it back.',
        tools: [{ type: 'shell', environment: { type: 'container_reference', container_id: containerId } }],
      });
      expect(shellOutputsOf(second.output)[0]?.output[0]).toMatchObject({
        stdout: 'kept in /tmp\n',
      });

      // A follow-up without tools still carries the shell history (Anthropic needs its tools defined).
      upstream().script({ text: 'Nothing more to run.' });
      const third = await client.responses.create({
        model: provider.model,
        previous_response_id: second.id,
        input: 'Summarise without running anything.',
      });
      expect(third.output_text).toBe('Nothing more to run.');
    });

    it('reports a command that runs too long as a timeout, and the session carries on', async () => {
      // Anthropic's bash tool has no timeout parameter: its calls get the server's sandbox.commandTimeoutMs.
      const modelSetsTimeout = provider.kind !== 'anthropic';
      // The timeout counts from when the command is handed to the session's shell, so the shell must
      // already be running (a pooled sandbox's default session is): otherwise starting it (a `runsc
      // exec`, for one) eats into the timeout and "started" may not be printed in time. The timeout is
      // generous for one `echo` in a running shell, and `sleep 30` is far past it.
      const timeoutMs = 1_000;
      const server = modelSetsTimeout
        ? berth
        : await startTestBerth({ sandbox: { driver, warmPool: 1, commandTimeoutMs: timeoutMs } });
      try {
        await until(() => server.runtime.containers.pooledSandboxes > 0);
        server.upstreams[provider.name].script(
          {
            shellCalls: [
              { commands: ['echo started; sleep 30'], ...(modelSetsTimeout ? { timeoutMs } : {}) },
            ],
          },
          { shellCalls: [{ commands: ['echo still here'] }] },
          { text: 'It timed out.' },
        );
        const response = await server.client().responses.create({
          model: provider.model,
          input: 'Sleep.',
          tools: [autoShell],
        });
        const outputs = shellOutputsOf(response.output);
        expect(outputs[0]?.output[0]).toMatchObject({ stdout: 'started\n', outcome: { type: 'timeout' } });
        expect(outputs[1]?.output[0]).toMatchObject({
          stdout: 'still here\n',
          outcome: { type: 'exit', exit_code: 0 },
        });
      } finally {
        if (server !== berth) await server.close();
      }
    });

    it('stops running calls at max_tool_calls and answers the rest without running them', async () => {
      const client = berth.client();
      const before = upstream().requests.length;
      upstream().script(
        { shellCalls: [{ commands: ['touch /mnt/data/first-call'] }] },
        // The model was told to use no tools but calls again: the call is answered, not run.
        { shellCalls: [{ commands: ['touch /mnt/data/second-call'] }] },
      );
      const response = await client.responses.create({
        model: provider.model,
        input: 'Touch two files.',
        tools: [autoShell],
        max_tool_calls: 1,
      });
      const containerId = containerOf(response);
      const outputs = shellOutputsOf(response.output);
      expect(outputs).toHaveLength(2);
      expect(outputs[1]?.output[0]?.stderr).toContain('max_tool_calls');
      expect(outputs[1]?.output[0]?.outcome).toEqual({ type: 'exit', exit_code: 126 });
      expect(upstream().requests.length - before).toBe(2);
      const paths = (await client.containers.files.list(containerId)).data.map((file) => file.path);
      expect(paths).toContain('/mnt/data/first-call');
      expect(paths).not.toContain('/mnt/data/second-call');
    });

    it('cancels a background response during a long command, killing the command', async () => {
      const client = berth.client();
      upstream().script({ shellCalls: [{ commands: ['echo begun; sleep 61; echo finished'] }] });
      const started = await client.responses.create({
        model: provider.model,
        input: 'Take your time.',
        tools: [autoShell],
        background: true,
      });
      const containerId = containerOf(started);
      // Wait until the command has started: its output item is in the live response.
      await until(async () => {
        const live = await client.responses.retrieve(started.id);
        return shellOutputsOf(live.output).length > 0;
      }, 50);
      const cancelled = await client.responses.cancel(started.id);
      expect(cancelled.status).toBe('cancelled');
      // The command was killed, not left running: nothing of it is left in the container's session.
      const exec = await fetch(`${berth.baseURL}/containers/${containerId}/exec`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ commands: ['pgrep -f "sleep 61" || echo none'] }),
      });
      const body = (await exec.json()) as { output: { stdout: string }[] };
      expect(body.output[0]?.stdout).toBe('none\n');
    });

    it('uploads container_auto file_ids into /mnt/data', async () => {
      const client = berth.client();
      const file = await client.files.create({
        file: await toFile(Buffer.from('city,people\nLyon,522000\nNice,342000\n'), 'cities.csv'),
        purpose: 'user_data',
      });
      upstream().script(
        { shellCalls: [{ commands: ['wc -l < /mnt/data/cities.csv'] }] },
        { text: '3 lines.' },
      );
      const response = await client.responses.create({
        model: provider.model,
        input: 'Count the lines.',
        tools: [{ type: 'shell', environment: { type: 'container_auto', file_ids: [file.id] } }],
      });
      expect(shellOutputsOf(response.output)[0]?.output[0]).toMatchObject({ stdout: '3\n' });
    });

    it("mounts container_auto skills read-only and lists them in the model's instructions", async () => {
      const client = berth.client();
      const uploaded = await client.skills.create({
        files: [
          await toFile(
            Buffer.from(skillMarkdown('csv-stats', 'Summarises CSV columns.')),
            'csv_stats/SKILL.md',
          ),
          await toFile(Buffer.from('echo stats\n'), 'csv_stats/run.sh'),
        ],
      });
      const before = upstream().requests.length;
      upstream().script(
        {
          shellCalls: [{ commands: ['cat /skills/csv-stats/SKILL.md; sh /skills/greeter/scripts/hello.sh'] }],
        },
        { shellCalls: [{ commands: ['touch /skills/csv-stats/new-file'] }] },
        { text: 'Read the skills.' },
      );
      const response = await client.responses.create({
        model: provider.model,
        instructions: 'Be brief.',
        input: 'What skills do you have?',
        tools: [
          {
            type: 'shell',
            environment: {
              type: 'container_auto',
              skills: [
                { type: 'skill_reference', skill_id: uploaded.id },
                {
                  type: 'inline',
                  name: 'greeter',
                  description: 'Says hello.',
                  source: {
                    type: 'base64',
                    media_type: 'application/zip',
                    data: skillZip('greeter', 'Says hello.').toString('base64'),
                  },
                },
              ],
            },
          },
        ],
      });
      const [read, write] = shellOutputsOf(response.output);
      expect(read?.output[0]?.stdout).toContain('description: Summarises CSV columns.');
      expect(read?.output[0]?.stdout).toContain('hello from greeter');
      expect(write?.output[0]?.outcome).not.toEqual({ type: 'exit', exit_code: 0 });

      // Every turn's instructions kept the client's and named each skill with its SKILL.md.
      const sent = requestText(berth, provider.name, before);
      expect(sent).toContain('Be brief.');
      expect(sent).toContain('csv-stats: Summarises CSV columns. (/skills/csv-stats/SKILL.md)');
      expect(sent).toContain('greeter: Says hello. (/skills/greeter/SKILL.md)');
      expect(requestText(berth, provider.name, before + 2)).toContain('/skills/greeter/SKILL.md');
    });

    it('hands a shell call without environment to the client and continues with its output', async () => {
      const client = berth.client();
      upstream().script({ shellCalls: [{ commands: ['uname -s'] }] });
      const first = await client.responses.create({
        model: provider.model,
        input: 'What system is this?',
        tools: [{ type: 'shell' }],
      });
      expect(first.output.map((item) => item.type)).toEqual(['shell_call']);
      const call = shellCallsOf(first.output)[0];
      expect(call).toMatchObject({ status: 'completed', action: { commands: ['uname -s'] } });

      const before = upstream().requests.length;
      upstream().script({ text: 'It is Plan 9.' });
      const second = await client.responses.create({
        model: provider.model,
        previous_response_id: first.id,
        tools: [{ type: 'shell' }],
        input: [
          {
            type: 'shell_call_output',
            call_id: call?.call_id ?? '',
            output: [{ stdout: 'Plan9\n', stderr: '', outcome: { type: 'exit', exit_code: 0 } }],
          },
        ],
      });
      expect(second.output_text).toBe('It is Plan 9.');
      expect(requestText(berth, provider.name, before)).toContain('Plan9');

      await expect(
        client.responses.create({
          model: provider.model,
          previous_response_id: first.id,
          tools: [{ type: 'shell' }],
          input: [
            {
              type: 'shell_call_output',
              call_id: 'call_unknown',
              output: [{ stdout: '', stderr: '', outcome: { type: 'exit', exit_code: 0 } }],
            },
          ],
        }),
      ).rejects.toMatchObject({
        status: 400,
        error: {
          message: 'No tool call found for shell call output with call_id call_unknown.',
          param: 'input',
        },
      });
    });
  });

  describe('requests that are refused', () => {
    let berth: TestBerth;

    beforeAll(async () => {
      berth = await startTestBerth({ sandbox: { driver, warmPool: 0 } });
    });
    afterAll(async () => {
      await berth?.close();
    });

    it('answers an unknown container_reference with 404, before any model call', async () => {
      const before = berth.upstreams.oai.requests.length;
      await expect(
        berth.client().responses.create({
          model: 'oai/gpt-5',
          input: 'hi',
          tools: [{ type: 'shell', environment: { type: 'container_reference', container_id: 'cntr_nope' } }],
        }),
      ).rejects.toMatchObject({ status: 404, error: { param: 'tools[0].environment.container_id' } });
      expect(berth.upstreams.oai.requests.length).toBe(before);
    });

    it('refuses a function named like the shell, two shell tools and an unknown file id', async () => {
      const client = berth.client();
      await expect(
        client.responses.create({
          model: 'oai/gpt-5',
          input: 'hi',
          tools: [autoShell, { type: 'function', name: 'bash', parameters: {}, strict: false }],
        }),
      ).rejects.toMatchObject({ status: 400, error: { param: 'tools' } });
      await expect(
        client.responses.create({ model: 'oai/gpt-5', input: 'hi', tools: [autoShell, autoShell] }),
      ).rejects.toMatchObject({ status: 400, error: { param: 'tools[1]' } });
      const containersBefore = (await client.containers.list()).data.length;
      await expect(
        client.responses.create({
          model: 'oai/gpt-5',
          input: 'hi',
          tools: [{ type: 'shell', environment: { type: 'container_auto', file_ids: ['file-nope'] } }],
        }),
      ).rejects.toMatchObject({ status: 404, error: { param: 'tools[0].environment.file_ids[0]' } });
      await expect(
        client.responses.create({
          model: 'oai/gpt-5',
          input: 'hi',
          tools: [
            {
              type: 'shell',
              environment: {
                type: 'container_auto',
                skills: [{ type: 'skill_reference', skill_id: 'skill_nope' }],
              },
            },
          ],
        }),
      ).rejects.toMatchObject({ status: 404, error: { param: 'tools[0].environment.skills[0].skill_id' } });
      await expect(
        client.responses.create({
          model: 'oai/gpt-5',
          input: 'hi',
          tools: [
            {
              type: 'shell',
              environment: {
                type: 'container_auto',
                network_policy: { type: 'allowlist', allowed_domains: ['example.com', 'exa mple.com'] },
              },
            },
          ],
        }),
      ).rejects.toMatchObject({
        status: 400,
        error: { param: 'tools[0].environment.network_policy.allowed_domains[1]' },
      });
      expect((await client.containers.list()).data.length).toBe(containersBefore);
    });
  });
});
