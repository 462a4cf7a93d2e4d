import { z } from 'zod';

/** The `{id}` of `/v1/containers/{id}/…` routes. */
export const containerParams = z.strictObject({ id: z.string().min(1) });
