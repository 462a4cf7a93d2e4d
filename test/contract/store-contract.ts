import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import type {
  Page,
  Store,
  StoredFile,
  StoredItem,
  StoredResponse,
  ToolCallRecord,
} from '../../src/store/store.js';

/**
 * The behaviour every Store backend must have. Each backend's test file calls this with a factory
 * that opens a fresh, empty store.
 */
export function describeStoreContract(backend: string, openStore: () => Promise<Store>): void {
  describe(`Store contract: ${backend}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await openStore();
    });
    afterEach(async () => {
      await store.close();
    });

    const item = (id: string, text = id): StoredItem => ({
      id,
      item: { id, type: 'message', role: 'user', content: [{ type: 'input_text', text }] },
    });
    const response = (id: string, overrides: Partial<StoredResponse> = {}): StoredResponse => ({
      id,
      projectId: 'proj_a',
      status: 'completed',
      createdAt: 1,
      previousResponseId: null,
      conversationId: null,
      background: false,
      eventsRecorded: false,
      body: { id, object: 'response', status: 'completed' },
      request: null,
      ...overrides,
    });

    it('writes a response and reads it back only within its project', async () => {
      await store.writeResponse({ response: response('resp_1'), inputItems: [item('msg_1')] });
      expect((await store.getResponse('proj_a', 'resp_1'))?.body).toEqual({
        id: 'resp_1',
        object: 'response',
        status: 'completed',
      });
      expect(await store.getResponse('proj_b', 'resp_1')).toBeUndefined();
      expect(await store.loadChainItems('proj_b', 'resp_1')).toBeUndefined();
      expect(await store.deleteResponse('proj_b', 'resp_1')).toBe(false);
    });

    it('updates a response without duplicating its input and replaces its output', async () => {
      await store.writeResponse({
        response: response('resp_1', { status: 'in_progress' }),
        inputItems: [item('msg_1')],
      });
      await store.writeResponse({
        response: response('resp_1'),
        inputItems: [item('msg_ignored')],
        outputItems: [item('msg_out_a')],
      });
      await store.writeResponse({ response: response('resp_1'), outputItems: [item('msg_out_b')] });
      const chain = await store.loadChainItems('proj_a', 'resp_1');
      expect(chain?.map((entry) => entry.id)).toEqual(['msg_1', 'msg_out_b']);
      expect((await store.getResponse('proj_a', 'resp_1'))?.status).toBe('completed');
    });

    it('loads a previous_response_id chain oldest first, inputs before outputs', async () => {
      await store.writeResponse({
        response: response('resp_1'),
        inputItems: [item('in_1')],
        outputItems: [item('out_1')],
      });
      await store.writeResponse({
        response: response('resp_2', { previousResponseId: 'resp_1' }),
        inputItems: [item('in_2a'), item('in_2b')],
        outputItems: [item('out_2')],
      });
      await store.writeResponse({
        response: response('resp_3', { previousResponseId: 'resp_2' }),
        inputItems: [item('in_3')],
        outputItems: [item('out_3')],
      });
      const chain = await store.loadChainItems('proj_a', 'resp_3');
      expect(chain?.map((entry) => entry.id)).toEqual([
        'in_1',
        'out_1',
        'in_2a',
        'in_2b',
        'out_2',
        'in_3',
        'out_3',
      ]);
    });

    it('pages input items like OpenAI lists, in both orders', async () => {
      const inputs = Array.from({ length: 5 }, (_, index) => item(`msg_${index}`));
      await store.writeResponse({ response: response('resp_1'), inputItems: inputs });
      const first = await store.listInputItems('proj_a', 'resp_1', { limit: 2, order: 'desc' });
      expect(first?.data.map((entry) => entry.id)).toEqual(['msg_4', 'msg_3']);
      expect(first?.hasMore).toBe(true);
      const second = await store.listInputItems('proj_a', 'resp_1', {
        limit: 2,
        order: 'desc',
        after: 'msg_3',
      });
      expect(second?.data.map((entry) => entry.id)).toEqual(['msg_2', 'msg_1']);
      const last = await store.listInputItems('proj_a', 'resp_1', {
        limit: 2,
        order: 'desc',
        after: 'msg_1',
      });
      expect(last?.data.map((entry) => entry.id)).toEqual(['msg_0']);
      expect(last?.hasMore).toBe(false);
      const ascending = await store.listInputItems('proj_a', 'resp_1', {
        limit: 10,
        order: 'asc',
        after: 'msg_2',
      });
      expect(ascending?.data.map((entry) => entry.id)).toEqual(['msg_3', 'msg_4']);
    });

    it('records events for replay after a sequence number', async () => {
      await store.writeResponse({
        response: response('resp_1', { eventsRecorded: true }),
        events: [0, 1, 2].map((sequenceNumber) => ({
          sequenceNumber,
          event: { sequence_number: sequenceNumber },
        })),
      });
      await store.writeResponse({
        response: response('resp_1', { eventsRecorded: true }),
        events: [{ sequenceNumber: 3, event: { sequence_number: 3 } }],
      });
      const events = await store.listResponseEvents('resp_1', 1);
      expect(events.map((event) => event.sequenceNumber)).toEqual([2, 3]);
    });

    it('deletes a response with its items and events', async () => {
      await store.writeResponse({
        response: response('resp_1'),
        inputItems: [item('msg_1')],
        events: [{ sequenceNumber: 0, event: {} }],
      });
      expect(await store.deleteResponse('proj_a', 'resp_1')).toBe(true);
      expect(await store.getResponse('proj_a', 'resp_1')).toBeUndefined();
      expect(await store.listResponseEvents('resp_1', -1)).toEqual([]);
      expect(await store.deleteResponse('proj_a', 'resp_1')).toBe(false);
    });

    it('lists unfinished responses for recovery', async () => {
      await store.writeResponse({ response: response('resp_done') });
      await store.writeResponse({
        response: response('resp_queued', { status: 'queued', background: true }),
      });
      await store.writeResponse({
        response: response('resp_running', { status: 'in_progress', background: true }),
      });
      const unfinished = await store.listUnfinishedResponses();
      expect(unfinished.map((entry) => entry.id).sort()).toEqual(['resp_queued', 'resp_running']);
    });

    it('keeps conversations and their items per project, appending in order', async () => {
      await store.createConversation(
        { id: 'conv_1', projectId: 'proj_a', createdAt: 1, metadata: { a: '1' } },
        [item('msg_1')],
      );
      expect(await store.appendConversationItems('proj_a', 'conv_1', [item('msg_2'), item('msg_3')])).toBe(
        true,
      );
      expect(await store.appendConversationItems('proj_b', 'conv_1', [item('msg_x')])).toBe(false);
      await store.writeResponse({
        response: response('resp_1', { conversationId: 'conv_1' }),
        conversationItems: { conversationId: 'conv_1', items: [item('msg_4')] },
      });
      const all = await store.loadConversationItems('proj_a', 'conv_1');
      expect(all?.map((entry) => entry.id)).toEqual(['msg_1', 'msg_2', 'msg_3', 'msg_4']);
      expect(await store.loadConversationItems('proj_b', 'conv_1')).toBeUndefined();
      const page = await store.listConversationItems('proj_a', 'conv_1', {
        limit: 2,
        order: 'asc',
        after: 'msg_1',
      });
      expect(page?.data.map((entry) => entry.id)).toEqual(['msg_2', 'msg_3']);
      expect(page?.hasMore).toBe(true);
      expect((await store.getConversationItem('proj_a', 'conv_1', 'msg_2'))?.item).toMatchObject({
        id: 'msg_2',
      });
      expect(await store.getConversationItem('proj_b', 'conv_1', 'msg_2')).toBeUndefined();
      expect(await store.deleteConversationItem('proj_a', 'conv_1', 'msg_2')).toBe(true);
      expect(await store.deleteConversationItem('proj_a', 'conv_1', 'msg_2')).toBe(false);
      expect((await store.updateConversationMetadata('proj_a', 'conv_1', { b: '2' }))?.metadata).toEqual({
        b: '2',
      });
      expect(await store.updateConversationMetadata('proj_b', 'conv_1', { c: '3' })).toBeUndefined();
      expect(await store.deleteConversation('proj_b', 'conv_1')).toBe(false);
      expect(await store.deleteConversation('proj_a', 'conv_1')).toBe(true);
      expect(await store.getConversation('proj_a', 'conv_1')).toBeUndefined();
    });

    it('stores API keys by hash and revokes them by id or name', async () => {
      const key = {
        id: 'key_1',
        name: 'ci',
        projectId: 'proj_a',
        hash: 'h1',
        prefix: 'sk-berth-ab',
        createdAt: 1,
        revokedAt: null,
      };
      await store.createApiKey(key);
      await store.createApiKey({ ...key, id: 'key_2', name: 'laptop', hash: 'h2' });
      expect(await store.countApiKeys()).toBe(2);
      expect((await store.findApiKeyByHash('h1'))?.projectId).toBe('proj_a');
      expect(await store.revokeApiKey('ci', 5)).toBe(true);
      expect(await store.revokeApiKey('key_2', 5)).toBe(true);
      expect(await store.revokeApiKey('key_2', 6)).toBe(false);
      expect(await store.findApiKeyByHash('h1')).toBeUndefined();
      // Revoked keys still count: a server that had keys never falls back to keyless mode.
      expect(await store.countApiKeys()).toBe(2);
      expect((await store.listApiKeys()).map((entry) => entry.revokedAt)).toEqual([5, 5]);
    });

    const file = (id: string, overrides: Partial<StoredFile> = {}): StoredFile => ({
      id,
      projectId: 'proj_a',
      filename: `${id}.txt`,
      purpose: 'user_data',
      bytes: 3,
      createdAt: 100,
      expiresAt: null,
      ...overrides,
    });
    const fileIds = (page: Page<StoredFile>) => page.data.map((entry) => entry.id);

    it('keeps file metadata per project and deletes it', async () => {
      await store.createFile(file('file-1', { expiresAt: 200 }));
      expect(await store.getFile('proj_a', 'file-1')).toEqual(file('file-1', { expiresAt: 200 }));
      expect(await store.getFile('proj_b', 'file-1')).toBeUndefined();
      expect(await store.deleteFile('proj_b', 'file-1')).toBe(false);
      expect(await store.deleteFile('proj_a', 'file-1')).toBe(true);
      expect(await store.getFile('proj_a', 'file-1')).toBeUndefined();
      expect(await store.deleteFile('proj_a', 'file-1')).toBe(false);
    });

    it('pages files in upload order, by purpose, leaving out expired ones and other projects', async () => {
      for (const [index, purpose] of ['user_data', 'batch', 'user_data', 'user_data'].entries()) {
        await store.createFile(file(`file-${index}`, { purpose }));
      }
      await store.createFile(file('file-expired', { expiresAt: 150 }));
      await store.createFile(file('file-later', { expiresAt: 151 }));
      await store.createFile(file('file-other', { projectId: 'proj_b' }));
      const query = { limit: 2, order: 'desc' as const, now: 150 };

      const first = await store.listFiles('proj_a', query);
      expect(fileIds(first)).toEqual(['file-later', 'file-3']);
      expect(first.hasMore).toBe(true);
      const second = await store.listFiles('proj_a', { ...query, after: 'file-3' });
      expect(fileIds(second)).toEqual(['file-2', 'file-1']);
      const last = await store.listFiles('proj_a', { ...query, after: 'file-1' });
      expect(fileIds(last)).toEqual(['file-0']);
      expect(last.hasMore).toBe(false);

      const userData = await store.listFiles('proj_a', {
        ...query,
        order: 'asc',
        purpose: 'user_data',
        limit: 10,
      });
      expect(fileIds(userData)).toEqual(['file-0', 'file-2', 'file-3', 'file-later']);
      // Another project's id is no cursor.
      expect(fileIds(await store.listFiles('proj_a', { ...query, after: 'file-other' }))).toEqual([]);
      expect(fileIds(await store.listFiles('proj_b', { ...query, limit: 10 }))).toEqual(['file-other']);
    });

    it('finds expired files across projects for the sweep, and which ids are recorded', async () => {
      await store.createFile(file('file-a', { expiresAt: 300 }));
      await store.createFile(file('file-b', { projectId: 'proj_b', expiresAt: 200 }));
      await store.createFile(file('file-c'));
      expect((await store.listExpiredFiles(250, 10)).map((entry) => entry.id)).toEqual(['file-b']);
      expect((await store.listExpiredFiles(300, 10)).map((entry) => entry.id)).toEqual(['file-b', 'file-a']);
      expect((await store.listExpiredFiles(300, 1)).map((entry) => entry.id)).toEqual(['file-b']);
      expect([...(await store.findRecordedFileIds(['file-a', 'file-b', 'file-x']))].sort()).toEqual([
        'file-a',
        'file-b',
      ]);
    });

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
      // Recorded as the commands end: the parallel call's long first command ends last.
      await store.recordToolCall(toolCall('tcl_b0', { callId: 'call_b', commandIndex: 0, startedAt: 1_000 }));
      await store.recordToolCall(toolCall('tcl_c0', { callId: 'call_c', commandIndex: 0, startedAt: 1_000 }));
      await store.recordToolCall(toolCall('tcl_a1', { commandIndex: 1, startedAt: 1_000 }));
      await store.recordToolCall(
        toolCall('tcl_a0', {
          commandIndex: 0,
          startedAt: 900,
          endedAt: 5_000,
          outcome: { type: 'timeout' },
          stdoutBytes: 1_048_576,
          stderrBytes: 7,
        }),
      );
      await store.recordToolCall(toolCall('tcl_a2', { commandIndex: 2, startedAt: 1_300 }));
      await store.recordToolCall(toolCall('tcl_other_response', { responseId: 'resp_2' }));
      await store.recordToolCall(toolCall('tcl_other_project', { projectId: 'proj_b' }));

      const all = await store.listToolCalls('proj_a', 'resp_1', { limit: 10, order: 'asc' });
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

      const first = await store.listToolCalls('proj_a', 'resp_1', { limit: 2, order: 'asc' });
      expect(toolCallIds(first)).toEqual(['tcl_a0', 'tcl_b0']);
      expect(first.hasMore).toBe(true);
      const second = await store.listToolCalls('proj_a', 'resp_1', {
        limit: 2,
        order: 'asc',
        after: 'tcl_b0',
      });
      expect(toolCallIds(second)).toEqual(['tcl_c0', 'tcl_a1']);
      expect(second.hasMore).toBe(true);
      const last = await store.listToolCalls('proj_a', 'resp_1', { limit: 2, order: 'asc', after: 'tcl_a1' });
      expect(toolCallIds(last)).toEqual(['tcl_a2']);
      expect(last.hasMore).toBe(false);
      const newest = await store.listToolCalls('proj_a', 'resp_1', { limit: 3, order: 'desc' });
      expect(toolCallIds(newest)).toEqual(['tcl_a2', 'tcl_a1', 'tcl_c0']);
      const older = await store.listToolCalls('proj_a', 'resp_1', {
        limit: 3,
        order: 'desc',
        after: 'tcl_c0',
      });
      expect(toolCallIds(older)).toEqual(['tcl_b0', 'tcl_a0']);

      // Another project's or another response's rows are neither listed nor a cursor.
      expect(toolCallIds(await store.listToolCalls('proj_b', 'resp_1', { limit: 10, order: 'asc' }))).toEqual(
        ['tcl_other_project'],
      );
      const foreignCursor = { limit: 10, order: 'asc' as const, after: 'tcl_other_project' };
      expect(toolCallIds(await store.listToolCalls('proj_a', 'resp_1', foreignCursor))).toEqual([]);
      const otherResponse = { limit: 10, order: 'asc' as const, after: 'tcl_other_response' };
      expect(toolCallIds(await store.listToolCalls('proj_a', 'resp_1', otherResponse))).toEqual([]);
    });

    it("deletes a response's tool-call log with the response", async () => {
      await store.writeResponse({ response: response('resp_1') });
      await store.writeResponse({ response: response('resp_2') });
      await store.recordToolCall(toolCall('tcl_1'));
      await store.recordToolCall(toolCall('tcl_2', { responseId: 'resp_2' }));
      const page = { limit: 10, order: 'asc' as const };
      expect(await store.deleteResponse('proj_b', 'resp_1')).toBe(false);
      expect(toolCallIds(await store.listToolCalls('proj_a', 'resp_1', page))).toEqual(['tcl_1']);
      expect(await store.deleteResponse('proj_a', 'resp_1')).toBe(true);
      expect(toolCallIds(await store.listToolCalls('proj_a', 'resp_1', page))).toEqual([]);
      expect(toolCallIds(await store.listToolCalls('proj_a', 'resp_2', page))).toEqual(['tcl_2']);
    });

    it('numbers skill versions without reuse, follows the default, and scopes skills by project', async () => {
      const version = (id: string, name = 'math') => ({ id, name, description: `${name} v`, createdAt: 1 });
      const skill = await store.createSkill(
        { id: 'skill_1', projectId: 'proj_a', createdAt: 1 },
        version('skillver_1'),
      );
      expect(skill).toMatchObject({ name: 'math', defaultVersion: 1, latestVersion: 1 });
      expect(await store.getSkill('proj_b', 'skill_1')).toBeUndefined();
      expect(await store.addSkillVersion('proj_b', 'skill_1', version('skillver_x'), false)).toBeUndefined();

      const second = await store.addSkillVersion('proj_a', 'skill_1', version('skillver_2', 'math2'), false);
      expect(second).toMatchObject({ version: 2, skillId: 'skill_1' });
      expect(await store.getSkill('proj_a', 'skill_1')).toMatchObject({
        name: 'math',
        defaultVersion: 1,
        latestVersion: 2,
      });
      await store.addSkillVersion('proj_a', 'skill_1', version('skillver_3', 'math3'), true);
      expect(await store.getSkill('proj_a', 'skill_1')).toMatchObject({
        name: 'math3',
        defaultVersion: 3,
        latestVersion: 3,
      });
      expect(await store.setSkillDefaultVersion('proj_a', 'skill_1', 9)).toBeUndefined();
      expect(await store.setSkillDefaultVersion('proj_a', 'skill_1', 2)).toMatchObject({
        name: 'math2',
        defaultVersion: 2,
      });
      expect(await store.deleteSkillVersion('proj_a', 'skill_1', 3)).toBe(true);
      expect((await store.getSkill('proj_a', 'skill_1'))?.latestVersion).toBe(2);
      // A deleted number is never given out again.
      expect((await store.addSkillVersion('proj_a', 'skill_1', version('skillver_4'), false))?.version).toBe(
        4,
      );

      const page = await store.listSkillVersions('proj_a', 'skill_1', { limit: 2, order: 'asc' });
      expect(page?.data.map((entry) => entry.version)).toEqual([1, 2]);
      expect(page?.hasMore).toBe(true);
      const next = await store.listSkillVersions('proj_a', 'skill_1', {
        limit: 2,
        order: 'asc',
        after: 'skillver_2',
      });
      expect(next?.data.map((entry) => entry.version)).toEqual([4]);
      expect(await store.listSkillVersions('proj_b', 'skill_1', { limit: 2, order: 'asc' })).toBeUndefined();

      await store.createSkill({ id: 'skill_2', projectId: 'proj_a', createdAt: 2 }, version('skillver_5'));
      const listed = await store.listSkills('proj_a', { limit: 10, order: 'desc' });
      expect(listed.data.map((entry) => entry.id)).toEqual(['skill_2', 'skill_1']);
      expect((await store.listSkills('proj_b', { limit: 10, order: 'desc' })).data).toEqual([]);

      expect(await store.deleteSkill('proj_b', 'skill_1')).toBeUndefined();
      const deleted = await store.deleteSkill('proj_a', 'skill_1');
      expect(deleted?.map((entry) => entry.id)).toEqual(['skillver_1', 'skillver_2', 'skillver_4']);
      expect(await store.getSkill('proj_a', 'skill_1')).toBeUndefined();
      expect([...(await store.listSkillVersionIds())]).toEqual(['skillver_5']);
    });
  });
}
