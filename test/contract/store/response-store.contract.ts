import { describe, expect, it } from 'vitest';
import type {
  ConversationStore,
  Page,
  ResponseStore,
  StoredResponse,
  ToolCallRecord,
  ToolCallStore,
} from '../../../src/store/store.js';
import { freshStores, messageItem as item, type OpenStores } from './open-stores.js';

/**
 * The behaviour every `ResponseStore` must have. A response's write appends conversation items and its
 * delete removes its tool-call log, so the suite needs the conversation and tool-call stores of the
 * same backend to see that.
 */
export function describeResponseStoreContract(
  backend: string,
  open: OpenStores<{
    readonly responses: ResponseStore;
    readonly conversations: ConversationStore;
    readonly toolCalls: ToolCallStore;
  }>,
): void {
  describe(`ResponseStore contract: ${backend}`, () => {
    const stores = freshStores(open);
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
      const { responses } = stores();
      await responses.writeResponse({ response: response('resp_1'), inputItems: [item('msg_1')] });
      expect(await responses.getResponse('proj_a', 'resp_1')).toEqual(response('resp_1'));
      expect(await responses.loadChainItems('proj_a', 'resp_1')).toEqual([item('msg_1')]);
      expect(await responses.getResponse('proj_b', 'resp_1')).toBeUndefined();
      expect(await responses.loadChainItems('proj_b', 'resp_1')).toBeUndefined();
      expect(await responses.listInputItems('proj_b', 'resp_1', { limit: 10, order: 'asc' })).toBeUndefined();
      expect(await responses.deleteResponse('proj_b', 'resp_1')).toBe(false);
    });

    it('updates a response without duplicating its input and replaces its output', async () => {
      const { responses } = stores();
      await responses.writeResponse({
        response: response('resp_1', { status: 'in_progress' }),
        inputItems: [item('msg_1')],
      });
      await responses.writeResponse({
        response: response('resp_1'),
        inputItems: [item('msg_ignored')],
        outputItems: [item('msg_out_a')],
      });
      await responses.writeResponse({ response: response('resp_1'), outputItems: [item('msg_out_b')] });
      const chain = await responses.loadChainItems('proj_a', 'resp_1');
      expect(chain).toEqual([item('msg_1'), item('msg_out_b')]);
      expect((await responses.getResponse('proj_a', 'resp_1'))?.status).toBe('completed');
    });

    it('loads a previous_response_id chain oldest first, inputs before outputs', async () => {
      const { responses } = stores();
      await responses.writeResponse({
        response: response('resp_1'),
        inputItems: [item('in_1')],
        outputItems: [item('out_1')],
      });
      await responses.writeResponse({
        response: response('resp_2', { previousResponseId: 'resp_1' }),
        inputItems: [item('in_2a'), item('in_2b')],
        outputItems: [item('out_2')],
      });
      await responses.writeResponse({
        response: response('resp_3', { previousResponseId: 'resp_2' }),
        inputItems: [item('in_3')],
        outputItems: [item('out_3')],
      });
      const chain = await responses.loadChainItems('proj_a', 'resp_3');
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
      const { responses } = stores();
      const inputs = Array.from({ length: 5 }, (_, index) => item(`msg_${index}`));
      await responses.writeResponse({ response: response('resp_1'), inputItems: inputs });
      const first = await responses.listInputItems('proj_a', 'resp_1', { limit: 2, order: 'desc' });
      expect(first).toEqual({ data: [item('msg_4'), item('msg_3')], hasMore: true });
      const second = await responses.listInputItems('proj_a', 'resp_1', {
        limit: 2,
        order: 'desc',
        after: 'msg_3',
      });
      expect(second?.data.map((entry) => entry.id)).toEqual(['msg_2', 'msg_1']);
      const last = await responses.listInputItems('proj_a', 'resp_1', {
        limit: 2,
        order: 'desc',
        after: 'msg_1',
      });
      expect(last?.data.map((entry) => entry.id)).toEqual(['msg_0']);
      expect(last?.hasMore).toBe(false);
      const ascending = await responses.listInputItems('proj_a', 'resp_1', {
        limit: 10,
        order: 'asc',
        after: 'msg_2',
      });
      expect(ascending?.data.map((entry) => entry.id)).toEqual(['msg_3', 'msg_4']);
    });

    it('records events for replay after a sequence number', async () => {
      const { responses } = stores();
      const event = (sequenceNumber: number) => ({
        sequenceNumber,
        event: { type: 'response.output_text.delta', sequence_number: sequenceNumber },
      });
      await responses.writeResponse({
        response: response('resp_1', { eventsRecorded: true }),
        events: [0, 1, 2].map(event),
      });
      await responses.writeResponse({
        response: response('resp_1', { eventsRecorded: true }),
        events: [event(3)],
      });
      expect(await responses.listResponseEvents('resp_1', 1)).toEqual([event(2), event(3)]);
      expect(await responses.listResponseEvents('resp_1', -1)).toEqual([0, 1, 2, 3].map(event));
      expect(await responses.listResponseEvents('resp_1', 3)).toEqual([]);
    });

    it('deletes a response with its items and events', async () => {
      const { responses } = stores();
      await responses.writeResponse({
        response: response('resp_1'),
        inputItems: [item('msg_1')],
        events: [{ sequenceNumber: 0, event: {} }],
      });
      expect(await responses.deleteResponse('proj_a', 'resp_1')).toBe(true);
      expect(await responses.getResponse('proj_a', 'resp_1')).toBeUndefined();
      expect(await responses.loadChainItems('proj_a', 'resp_1')).toBeUndefined();
      expect(await responses.listResponseEvents('resp_1', -1)).toEqual([]);
      expect(await responses.deleteResponse('proj_a', 'resp_1')).toBe(false);
    });

    it('lists unfinished responses for recovery, with what resuming them needs', async () => {
      const { responses } = stores();
      const queued = response('resp_queued', {
        status: 'queued',
        background: true,
        request: { model: 'oai/gpt-5', input: 'resume me', background: true },
      });
      const running = response('resp_running', {
        projectId: 'proj_b',
        status: 'in_progress',
        background: true,
        eventsRecorded: true,
      });
      await responses.writeResponse({ response: response('resp_done') });
      await responses.writeResponse({ response: queued });
      await responses.writeResponse({ response: running });
      const unfinished = await responses.listUnfinishedResponses();
      expect([...unfinished].sort((a, b) => a.id.localeCompare(b.id))).toEqual([queued, running]);
    });

    it("appends a conversation's items in the response's write", async () => {
      const { responses, conversations } = stores();
      await conversations.createConversation(
        { id: 'conv_1', projectId: 'proj_a', createdAt: 1, metadata: {} },
        [item('msg_1')],
      );
      await conversations.appendConversationItems('proj_a', 'conv_1', [item('msg_2'), item('msg_3')]);
      await responses.writeResponse({
        response: response('resp_1', { conversationId: 'conv_1' }),
        conversationItems: { conversationId: 'conv_1', items: [item('msg_4')] },
      });
      expect(await responses.getResponse('proj_a', 'resp_1')).toEqual(
        response('resp_1', { conversationId: 'conv_1' }),
      );
      expect(await conversations.loadConversationItems('proj_a', 'conv_1')).toEqual(
        ['msg_1', 'msg_2', 'msg_3', 'msg_4'].map((id) => item(id)),
      );
    });

    it('writes nothing of a response whose conversation items cannot be appended (one transaction)', async () => {
      const { responses, conversations } = stores();
      await conversations.createConversation(
        { id: 'conv_1', projectId: 'proj_a', createdAt: 1, metadata: {} },
        [item('msg_1')],
      );
      // An item id a conversation already lists cannot be appended again.
      await expect(
        responses.writeResponse({
          response: response('resp_1', { conversationId: 'conv_1' }),
          inputItems: [item('msg_in')],
          conversationItems: { conversationId: 'conv_1', items: [item('msg_2'), item('msg_1')] },
        }),
      ).rejects.toThrow();
      expect(await responses.getResponse('proj_a', 'resp_1')).toBeUndefined();
      expect(await conversations.loadConversationItems('proj_a', 'conv_1')).toEqual([item('msg_1')]);
    });

    it("deletes a response's tool-call log with the response", async () => {
      const { responses, toolCalls } = stores();
      const toolCall = (id: string, responseId: string): ToolCallRecord => ({
        id,
        projectId: 'proj_a',
        responseId,
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
      });
      const toolCallIds = (page: Page<ToolCallRecord>) => page.data.map((entry) => entry.id);
      await responses.writeResponse({ response: response('resp_1') });
      await responses.writeResponse({ response: response('resp_2') });
      await toolCalls.recordToolCall(toolCall('tcl_1', 'resp_1'));
      await toolCalls.recordToolCall(toolCall('tcl_2', 'resp_2'));
      const page = { limit: 10, order: 'asc' as const };
      expect(await responses.deleteResponse('proj_b', 'resp_1')).toBe(false);
      expect(toolCallIds(await toolCalls.listToolCalls('proj_a', 'resp_1', page))).toEqual(['tcl_1']);
      expect(await responses.deleteResponse('proj_a', 'resp_1')).toBe(true);
      expect(toolCallIds(await toolCalls.listToolCalls('proj_a', 'resp_1', page))).toEqual([]);
      expect(toolCallIds(await toolCalls.listToolCalls('proj_a', 'resp_2', page))).toEqual(['tcl_2']);
    });

    it("lists a project's responses in creation order, paged and narrowed by status, model and text", async () => {
      const { responses } = stores();
      const withModel = (id: string, model: string, status: StoredResponse['status'], text = '') =>
        response(id, {
          status,
          body: { id, object: 'response', status, model, output_text: text },
        });
      await responses.writeResponse({
        response: withModel('resp_1', 'oai/gpt-5', 'completed', 'the harbour at dawn'),
        inputItems: [item('msg_1')],
      });
      await responses.writeResponse({ response: withModel('resp_2', 'anthropic/claude', 'failed') });
      await responses.writeResponse({
        response: withModel('resp_3', 'oai/gpt-5', 'in_progress'),
        inputItems: [
          { id: 'msg_3', item: { id: 'msg_3', type: 'message', role: 'user', content: '50%_off\\' } },
        ],
      });
      await responses.writeResponse({
        response: { ...withModel('resp_x', 'oai/gpt-5', 'completed'), projectId: 'proj_b' },
      });
      // An update keeps a response's place in the list.
      await responses.writeResponse({
        response: withModel('resp_1', 'oai/gpt-5', 'completed', 'the harbour at dusk'),
      });
      const ids = (page: Page<StoredResponse>) => page.data.map((entry) => entry.id);
      const list = (page: { limit: number; order: 'asc' | 'desc'; after?: string }, filter = {}) =>
        responses.listResponses('proj_a', page, filter);

      const newest = await list({ limit: 2, order: 'desc' });
      expect(ids(newest)).toEqual(['resp_3', 'resp_2']);
      expect(newest.hasMore).toBe(true);
      expect(newest.data[0]).toEqual(withModel('resp_3', 'oai/gpt-5', 'in_progress'));
      const rest = await list({ limit: 2, order: 'desc', after: 'resp_2' });
      expect(ids(rest)).toEqual(['resp_1']);
      expect(rest.hasMore).toBe(false);
      expect(ids(await list({ limit: 10, order: 'asc' }))).toEqual(['resp_1', 'resp_2', 'resp_3']);
      // Another project's id is no cursor here: an unknown cursor gives an empty page.
      expect(ids(await list({ limit: 10, order: 'desc', after: 'resp_x' }))).toEqual([]);

      expect(ids(await list({ limit: 10, order: 'asc' }, { status: 'failed' }))).toEqual(['resp_2']);
      expect(ids(await list({ limit: 10, order: 'asc' }, { model: 'oai/gpt-5' }))).toEqual([
        'resp_1',
        'resp_3',
      ]);
      expect(
        ids(await list({ limit: 10, order: 'asc' }, { model: 'oai/gpt-5', status: 'in_progress' })),
      ).toEqual(['resp_3']);
      // Text in the response as served, in an input item, or in the id; case does not matter.
      expect(ids(await list({ limit: 10, order: 'asc' }, { search: 'HARBOUR at dusk' }))).toEqual(['resp_1']);
      expect(ids(await list({ limit: 10, order: 'asc' }, { search: 'MSG_1' }))).toEqual(['resp_1']);
      expect(ids(await list({ limit: 10, order: 'asc' }, { search: 'resp_2' }))).toEqual(['resp_2']);
      // The search is text: LIKE's wildcards and its escape character match only themselves.
      expect(ids(await list({ limit: 10, order: 'asc' }, { search: '50%_off' }))).toEqual(['resp_3']);
      expect(ids(await list({ limit: 10, order: 'asc' }, { search: '%' }))).toEqual(['resp_3']);
      expect(ids(await list({ limit: 10, order: 'asc' }, { search: 'harbour at dawn' }))).toEqual([]);
      expect(ids(await list({ limit: 10, order: 'asc' }, { search: 'resp_x' }))).toEqual([]);
    });
  });
}
