import { z } from 'zod';
import { hostedItemTypes } from '../providers/hosted-item-types.js';

export { isHostedItemType } from '../providers/hosted-item-types.js';

/**
 * A hosted tool's item sent back as input (stateless clients resend the whole history). Only `type`
 * and `id` are checked: the item belongs to the upstream that made it, which validates it when it
 * comes back; Berth carries it to that upstream as it is and leaves it out for the others.
 */
export const hostedItemSchema = z.looseObject({
  type: z.enum(hostedItemTypes),
  id: z.string().nullable().optional(),
});

export type HostedItem = z.infer<typeof hostedItemSchema>;
