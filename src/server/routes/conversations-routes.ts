import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { inputItemSchema } from '../../engine/input-item-schema.js';
import type { StoredConversation } from '../../store/store.js';
import { parseRequest } from '../../validation/parse-request.js';
import type { AppContext } from '../app-context.js';
import { parsePageRequest, toListBody, pageQuerySchema } from '../pagination.js';

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
  const { conversations } = context;

  app.post(
    '/v1/conversations',
    { config: { openapi: { body: createSchema } } },
    async function createConversation(request) {
      const body = parseRequest(createSchema, request.body ?? {});
      const conversation = await conversations.create(request.projectId, {
        items: body.items ?? [],
        metadata: body.metadata ?? {},
      });
      return toConversationBody(conversation);
    },
  );

  app.get('/v1/conversations/:id', async function retrieveConversation(request) {
    const { id } = parseRequest(conversationParams, request.params);
    return toConversationBody(await conversations.get(request.projectId, id));
  });

  app.post(
    '/v1/conversations/:id',
    { config: { openapi: { body: updateSchema } } },
    async function updateConversation(request) {
      const { id } = parseRequest(conversationParams, request.params);
      const body = parseRequest(updateSchema, request.body);
      return toConversationBody(await conversations.update(request.projectId, id, body.metadata ?? {}));
    },
  );

  app.delete('/v1/conversations/:id', async function deleteConversation(request) {
    const { id } = parseRequest(conversationParams, request.params);
    await conversations.delete(request.projectId, id);
    return { id, object: 'conversation.deleted', deleted: true };
  });

  app.post(
    '/v1/conversations/:id/items',
    { config: { openapi: { body: addItemsSchema } } },
    async function addItems(request) {
      const { id } = parseRequest(conversationParams, request.params);
      const body = parseRequest(addItemsSchema, request.body);
      const items = await conversations.appendItems(request.projectId, id, body.items);
      return toListBody({ data: items, hasMore: false });
    },
  );

  app.get(
    '/v1/conversations/:id/items',
    { config: { openapi: { query: pageQuerySchema } } },
    async function listItems(request) {
      const { id } = parseRequest(conversationParams, request.params);
      return toListBody(
        await conversations.listItems(request.projectId, id, parsePageRequest(request.query)),
      );
    },
  );

  app.get('/v1/conversations/:id/items/:item_id', async function retrieveItem(request) {
    const { id, item_id: itemId } = parseRequest(itemParams, request.params);
    return (await conversations.getItem(request.projectId, id, itemId)).item;
  });

  app.delete('/v1/conversations/:id/items/:item_id', async function deleteItem(request) {
    const { id, item_id: itemId } = parseRequest(itemParams, request.params);
    return toConversationBody(await conversations.deleteItem(request.projectId, id, itemId));
  });
}
