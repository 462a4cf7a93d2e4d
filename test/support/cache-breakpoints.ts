type Json = Record<string, unknown>;

/**
 * Where an Anthropic request carries `cache_control`. Returns the places as `tools.N`, `system.N` and
 * `messages.N.content.M`, in that order.
 */
export function breakpointsOf(body: Json): string[] {
  const found: string[] = [];
  const visit = (blocks: unknown, path: string): void => {
    if (!Array.isArray(blocks)) return;
    blocks.forEach((block, index) => {
      if (typeof block === 'object' && block !== null && 'cache_control' in block)
        found.push(`${path}.${index}`);
    });
  };
  visit(body['tools'], 'tools');
  visit(body['system'], 'system');
  (body['messages'] as Json[]).forEach((message, index) =>
    visit(message['content'], `messages.${index}.content`),
  );
  return found;
}

/**
 * The breakpoints Berth places on the three Anthropic requests of a scripted tool loop (a call, a
 * second call, then the answer), with one tool and instructions: the tools, the system prompt, and the
 * ends of the previous and the current turn, never more than four.
 */
export const toolLoopBreakpoints: readonly (readonly string[])[] = [
  ['tools.0', 'system.0', 'messages.0.content.0'],
  ['tools.0', 'system.0', 'messages.0.content.0', 'messages.2.content.0'],
  ['tools.0', 'system.0', 'messages.2.content.0', 'messages.4.content.0'],
];
