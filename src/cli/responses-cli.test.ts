import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ToolCallRecord } from '../store/store.js';
import { startTestBerth, type TestBerth } from '../../test/support/start-test-berth.js';

const bin = join(import.meta.dirname, '../../bin/berth.js');

let berth: TestBerth;
beforeAll(async () => {
  berth = await startTestBerth();
});
afterAll(async () => {
  await berth.close();
});

/** Runs the CLI as a user would against the test server, resolving with its exit code and output. */
function cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { PATH: process.env.PATH ?? '', BERTH_URL: berth.baseURL },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const startedAt = Date.UTC(2026, 4, 6, 7, 8, 9);

function record(responseId: string, id: string, overrides: Partial<ToolCallRecord>): ToolCallRecord {
  return {
    id,
    projectId: 'default',
    responseId,
    callId: 'call_1',
    itemId: 'sh_1',
    commandIndex: 0,
    command: 'true',
    containerId: 'cntr_cli',
    session: 'default',
    startedAt,
    endedAt: startedAt + 250,
    outcome: { type: 'exit', exitCode: 0 },
    stdoutBytes: 0,
    stderrBytes: 0,
    ...overrides,
  };
}

describe('berth responses show', () => {
  it('prints the response, its output and its tool-call log; --json prints both as the server sent them', async () => {
    berth.upstreams.oai.script({ text: 'The warmest city is Lima.' });
    const response = await berth
      .client()
      .responses.create({ model: 'oai/gpt-5', input: 'Which is warmest?' });
    const longCommand = `python3 - <<'PY'\n${'print("x")\n'.repeat(20)}PY`;
    await berth.runtime.store.toolCalls.recordToolCall(
      record(response.id, 'tcl_second', {
        commandIndex: 1,
        command: longCommand,
        startedAt: startedAt + 1_000,
        endedAt: startedAt + 121_000,
        outcome: { type: 'timeout' },
        stdoutBytes: 3 * 1024 * 1024,
        stderrBytes: 2_048,
      }),
    );
    await berth.runtime.store.toolCalls.recordToolCall(
      record(response.id, 'tcl_first', { command: 'ls /mnt/data', stdoutBytes: 12, session: 'build' }),
    );

    const shown = await cli('responses', 'show', response.id);
    expect(shown.stderr).toBe('');
    expect(shown.code).toBe(0);
    const lines = shown.stdout.split('\n');
    expect(lines.slice(0, 4)).toEqual([
      `id       ${response.id}`,
      'status   completed',
      'model    oai/gpt-5',
      `created  ${new Date(response.created_at * 1000).toISOString().replace('.000Z', 'Z')}`,
    ]);
    expect(shown.stdout).toContain('output:\n  message (assistant):\n    The warmest city is Lima.\n');
    const table = lines.slice(lines.indexOf('tool calls:') + 1).filter((line) => line !== '');
    expect(table).toHaveLength(3);
    expect(table[0]).toMatch(
      /^STARTED\s+CONTAINER\s+SESSION\s+DURATION\s+OUTCOME\s+STDOUT\s+STDERR\s+COMMAND$/,
    );
    expect(table[1]).toMatch(
      /^2026-05-06T07:08:09Z\s+cntr_cli\s+build\s+250ms\s+exit 0\s+12 B\s+0 B\s+ls \/mnt\/data$/,
    );
    expect(table[2]).toMatch(
      /^2026-05-06T07:08:10Z\s+cntr_cli\s+default\s+2m00s\s+timeout\s+3\.0 MiB\s+2\.0 KiB\s+python3 - <<'PY'⏎print\("x"\)⏎.*…$/,
    );

    const json = await cli('responses', 'show', response.id, '--json');
    expect(json.code).toBe(0);
    const printed = JSON.parse(json.stdout) as { response: unknown; tool_calls: { id: string }[] };
    expect(printed.response).toEqual(await (await fetch(`${berth.baseURL}/responses/${response.id}`)).json());
    expect(printed.tool_calls.map((entry) => entry.id)).toEqual(['tcl_first', 'tcl_second']);
    expect(printed.tool_calls[1]).toMatchObject({ command: longCommand, duration_ms: 120_000 });
  });

  it('says there are no tool calls, and fails clearly for an unknown response', async () => {
    const response = await berth.client().responses.create({ model: 'oai/gpt-5', input: 'hi' });
    const shown = await cli('responses', 'show', response.id);
    expect(shown.code).toBe(0);
    expect(shown.stdout.trimEnd().endsWith('tool calls: none')).toBe(true);

    const unknown = await cli('responses', 'show', 'resp_nope');
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toContain("No response found with id 'resp_nope'.");
  });
});
