import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { notFound } from '../../errors/berth-error.js';
import { unixSeconds } from '../../clock.js';
import { inputItemSchema } from '../../engine/input-item-schema.js';
import { normalizeInputItems } from '../../engine/normalize-input-items.js';
import { verifyNewCompactionItems } from '../../engine/compaction/verify-compaction-items.js';
import type { StoredConversation } from '../../store/store.js';
import { parseRequest } from '../../validation/parse-request.js';
import type { AppContext } from '../app-context.js';
import { parsePageRequest, toListBody } from '../pagination.js';

const metadata = z
  .record(z.string().max(64), z.string().max(512))
  .refine((value) => Object.keys(value).length <= 16, 'at most 16 pairs are allowed');

const createSchema = z.strictObject({
  items: z.array(inputItemSchema).max(20).nullable().optional(),
  metadata: metadata.nullable().optional(),
});
const updateSchema = z.strictObject({ metadata: metadata.nullable() });
const addItemsSchema = z.strictObject({ items: z.array(inputItemSchema).min(1).max(20) });
const conversationParams = z.strictObject({ id: z.string().min(1) });
const itemParams = z.strictObject({ id: z.string().min(1), item_id: z.string().min(1) });

function toConversationBody(conversation: StoredConversation): Record<string, unknown> {
  return {
    id: conversation.id,
    object: 'conversation',
    created_at: conversation.createdAt,
    metadata: conversation.metadata,
  };
}

/** `/v1/conversations` and its items. */
export function registerConversationsRoutes(app: FastifyInstance, context: AppContext): void {
  const { ids } = context;
  const store = context.store.conversations;

  app.post('/v1/conversations', async function createConversation(request) {
    const body = parseRequest(createSchema, request.body ?? {});
    const conversation: StoredConversation = {
      id: ids.next('conv'),
      projectId: request.projectId,
      createdAt: unixSeconds(context.clock),
      metadata: body.metadata ?? {},
    };
    const items = normalizeInputItems(body.items ?? [], [], ids);
    verifyNewCompactionItems(items, request.projectId, context.compactionSealer, 'items');
    await store.createConversation(conversation, items);
    return toConversationBody(conversation);
  });

  app.get('/v1/conversations/:id', async function retrieveConversation(request) {
    const { id } = parseRequest(conversationParams, request.params);
    const conversation = await store.getConversation(request.projectId, id);
    if (!conversation) throw notFound('conversation', id);
    return toConversationBody(conversation);
  });

  app.post('/v1/conversations/:id', async function updateConversation(request) {
    const { id } = parseRequest(conversationParams, request.params);
    const body = parseRequest(updateSchema, request.body);
    const conversation = await store.updateConversationMetadata(request.projectId, id, body.metadata ?? {});
    if (!conversation) throw notFound('conversation', id);
    return toConversationBody(conversation);
  });

  app.delete('/v1/conversations/:id', async function deleteConversation(request) {
    const { id } = parseRequest(conversationParams, request.params);
    if (!(await store.deleteConversation(request.projectId, id))) throw notFound('conversation', id);
    return { id, object: 'conversation.deleted', deleted: true };
  });

  app.post('/v1/conversations/:id/items', async function addItems(request) {
    const { id } = parseRequest(conversationParams, request.params);
    const body = parseRequest(addItemsSchema, request.body);
    const existing = await store.loadConversationItems(request.projectId, id);
    if (!existing) throw notFound('conversation', id);
    const items = normalizeInputItems(body.items, existing, ids);
    verifyNewCompactionItems(items, request.projectId, context.compactionSealer, 'items');
    if (!(await store.appendConversationItems(request.projectId, id, items)))
      throw notFound('conversation', id);
    return toListBody({ data: items, hasMore: false });
  });

  app.get('/v1/conversations/:id/items', async function listItems(request) {
    const { id } = parseRequest(conversationParams, request.params);
    const page = await store.listConversationItems(request.projectId, id, parsePageRequest(request.query));
    if (!page) throw notFound('conversation', id);
    return toListBody(page);
  });

  app.get('/v1/conversations/:id/items/:item_id', async function retrieveItem(request) {
    const { id, item_id: itemId } = parseRequest(itemParams, request.params);
    const item = await store.getConversationItem(request.projectId, id, itemId);
    if (!item) throw notFound('conversation item', itemId);
    return item.item;
  });

  app.delete('/v1/conversations/:id/items/:item_id', async function deleteItem(request) {
    const { id, item_id: itemId } = parseRequest(itemParams, request.params);
    if (!(await store.deleteConversationItem(request.projectId, id, itemId))) {
      throw notFound('conversation item', itemId);
    }
    const conversation = await store.getConversation(request.projectId, id);
    if (!conversation) throw notFound('conversation', id);
    return toConversationBody(conversation);
  });
}
