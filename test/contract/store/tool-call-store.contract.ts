import { describe, expect, it } from 'vitest';
import type { Page, ToolCallRecord, ToolCallStore } from '../../../src/store/store.js';
import { freshStores, type OpenStores } from './open-stores.js';

/**
 * The behaviour every `ToolCallStore` must have. (A response's delete removing its log is the
 * `ResponseStore` suite's.)
 */
export function describeToolCallStoreContract(
  backend: string,
  open: OpenStores<{ readonly toolCalls: ToolCallStore }>,
): void {
  describe(`ToolCallStore contract: ${backend}`, () => {
    const stores = freshStores(open);
    const toolCall = (id: string, overrides: Partial<ToolCallRecord> = {}): ToolCallRecord => ({
      id,
      projectId: 'proj_a',
      responseId: 'resp_1',
      callId: 'call_1',
      itemId: 'sh_1',
      commandIndex: 0,
      command: `echo ${id}`,
      containerId: 'cntr_1',
      session: 'default',
      startedAt: 1_000,
      endedAt: 1_250,
      outcome: { type: 'exit', exitCode: 0 },
      stdoutBytes: 12,
      stderrBytes: 0,
      ...overrides,
    });
    const toolCallIds = (page: Page<ToolCallRecord>) => page.data.map((entry) => entry.id);

    it("lists a response's tool calls by start time then command index, whatever order they finished in", async () => {
      const { toolCalls } = stores();
      // Recorded as the commands end: the parallel call's long first command ends last.
      await toolCalls.recordToolCall(
        toolCall('tcl_b0', { callId: 'call_b', commandIndex: 0, startedAt: 1_000 }),
      );
      await toolCalls.recordToolCall(
        toolCall('tcl_c0', { callId: 'call_c', commandIndex: 0, startedAt: 1_000 }),
      );
      await toolCalls.recordToolCall(toolCall('tcl_a1', { commandIndex: 1, startedAt: 1_000 }));
      await toolCalls.recordToolCall(
        toolCall('tcl_a0', {
          commandIndex: 0,
          startedAt: 900,
          endedAt: 5_000,
          outcome: { type: 'timeout' },
          stdoutBytes: 1_048_576,
          stderrBytes: 7,
        }),
      );
      await toolCalls.recordToolCall(toolCall('tcl_a2', { commandIndex: 2, startedAt: 1_300 }));
      await toolCalls.recordToolCall(toolCall('tcl_other_response', { responseId: 'resp_2' }));
      await toolCalls.recordToolCall(toolCall('tcl_other_project', { projectId: 'proj_b' }));

      const all = await toolCalls.listToolCalls('proj_a', 'resp_1', { limit: 10, order: 'asc' });
      // Same start: command index first; same start and index (two calls): the one recorded first.
      expect(toolCallIds(all)).toEqual(['tcl_a0', 'tcl_b0', 'tcl_c0', 'tcl_a1', 'tcl_a2']);
      expect(all.hasMore).toBe(false);
      expect(all.data[0]).toEqual(
        toolCall('tcl_a0', {
          commandIndex: 0,
          startedAt: 900,
          endedAt: 5_000,
          outcome: { type: 'timeout' },
          stdoutBytes: 1_048_576,
          stderrBytes: 7,
        }),
      );
      expect(all.data[1]?.outcome).toEqual({ type: 'exit', exitCode: 0 });

      const first = await toolCalls.listToolCalls('proj_a', 'resp_1', { limit: 2, order: 'asc' });
      expect(toolCallIds(first)).toEqual(['tcl_a0', 'tcl_b0']);
      expect(first.hasMore).toBe(true);
      const second = await toolCalls.listToolCalls('proj_a', 'resp_1', {
        limit: 2,
        order: 'asc',
        after: 'tcl_b0',
      });
      expect(toolCallIds(second)).toEqual(['tcl_c0', 'tcl_a1']);
      expect(second.hasMore).toBe(true);
      const last = await toolCalls.listToolCalls('proj_a', 'resp_1', {
        limit: 2,
        order: 'asc',
        after: 'tcl_a1',
      });
      expect(toolCallIds(last)).toEqual(['tcl_a2']);
      expect(last.hasMore).toBe(false);
      const newest = await toolCalls.listToolCalls('proj_a', 'resp_1', { limit: 3, order: 'desc' });
      expect(toolCallIds(newest)).toEqual(['tcl_a2', 'tcl_a1', 'tcl_c0']);
      const older = await toolCalls.listToolCalls('proj_a', 'resp_1', {
        limit: 3,
        order: 'desc',
        after: 'tcl_c0',
      });
      expect(toolCallIds(older)).toEqual(['tcl_b0', 'tcl_a0']);

      // Another project's or another response's rows are neither listed nor a cursor.
      expect(
        toolCallIds(await toolCalls.listToolCalls('proj_b', 'resp_1', { limit: 10, order: 'asc' })),
      ).toEqual(['tcl_other_project']);
      const foreignCursor = { limit: 10, order: 'asc' as const, after: 'tcl_other_project' };
      expect(toolCallIds(await toolCalls.listToolCalls('proj_a', 'resp_1', foreignCursor))).toEqual([]);
      const otherResponse = { limit: 10, order: 'asc' as const, after: 'tcl_other_response' };
      expect(toolCallIds(await toolCalls.listToolCalls('proj_a', 'resp_1', otherResponse))).toEqual([]);
    });

    it('finds the command that was running in a container within a window: the latest started, ends included', async () => {
      const { toolCalls } = stores();
      await toolCalls.recordToolCall(toolCall('tcl_long', { startedAt: 1_000, endedAt: 9_000 }));
      await toolCalls.recordToolCall(
        toolCall('tcl_inner', { callId: 'call_2', startedAt: 2_000, endedAt: 3_000 }),
      );
      await toolCalls.recordToolCall(
        toolCall('tcl_elsewhere', { containerId: 'cntr_2', startedAt: 4_000, endedAt: 5_000 }),
      );
      await toolCalls.recordToolCall(
        toolCall('tcl_other_project', { projectId: 'proj_b', startedAt: 9_500, endedAt: 9_900 }),
      );
      const at = async (containerId: string, atMs: number, projectId = 'proj_a') =>
        (await toolCalls.findToolCallDuring(projectId, containerId, atMs, atMs))?.id;
      expect(await at('cntr_1', 999)).toBeUndefined();
      expect(await at('cntr_1', 1_000)).toBe('tcl_long');
      expect(await at('cntr_1', 2_000)).toBe('tcl_inner');
      expect(await at('cntr_1', 3_000)).toBe('tcl_inner');
      expect(await at('cntr_1', 3_001)).toBe('tcl_long');
      expect(await at('cntr_1', 9_000)).toBe('tcl_long');
      expect(await at('cntr_1', 9_600)).toBeUndefined();
      expect(await at('cntr_2', 4_500)).toBe('tcl_elsewhere');
      expect(await at('cntr_1', 9_600, 'proj_b')).toBe('tcl_other_project');
      expect(await at('cntr_1', 2_500, 'proj_b')).toBeUndefined();
      expect(await toolCalls.findToolCallDuring('proj_a', 'cntr_1', 2_500, 2_500)).toEqual(
        toolCall('tcl_inner', { callId: 'call_2', startedAt: 2_000, endedAt: 3_000 }),
      );
      // A window: one running at its start first (the latest started), else the first to start in it.
      const during = async (fromMs: number, toMs: number, containerId = 'cntr_1') =>
        (await toolCalls.findToolCallDuring('proj_a', containerId, fromMs, toMs))?.id;
      expect(await during(9_001, 9_400)).toBeUndefined();
      expect(await during(1_500, 2_000)).toBe('tcl_long');
      expect(await during(2_500, 9_000)).toBe('tcl_inner');
      expect(await during(500, 1_000)).toBe('tcl_long');
      // Back to back, as the commands of one call run: a file stamped as the first ended is the first's,
      // though the second started within the window; one stamped before either started is the first's.
      await toolCalls.recordToolCall(
        toolCall('tcl_b0', { containerId: 'cntr_3', startedAt: 10_000, endedAt: 10_002 }),
      );
      await toolCalls.recordToolCall(
        toolCall('tcl_b1', { containerId: 'cntr_3', commandIndex: 1, startedAt: 10_002, endedAt: 10_003 }),
      );
      expect(await during(10_001, 10_011, 'cntr_3')).toBe('tcl_b0');
      expect(await during(10_002, 10_012, 'cntr_3')).toBe('tcl_b1');
      expect(await during(9_995, 10_005, 'cntr_3')).toBe('tcl_b0');
    });
  });
}
