/**
 * The items of OpenAI's hosted tools: calls the provider ran itself (`web_search_call`,
 * `file_search_call`, `mcp_call`, …), what comes with them (`mcp_list_tools`, `mcp_approval_request`)
 * and what clients answer them with (`computer_call_output`, `mcp_approval_response`).
 */
export const hostedItemTypes = [
  'web_search_call',
  'file_search_call',
  'image_generation_call',
  'code_interpreter_call',
  'computer_call',
  'computer_call_output',
  'mcp_call',
  'mcp_list_tools',
  'mcp_approval_request',
  'mcp_approval_response',
  'program',
  'program_output',
] as const;

export type HostedItemType = (typeof hostedItemTypes)[number];

export function isHostedItemType(type: unknown): type is HostedItemType {
  return (hostedItemTypes as readonly unknown[]).includes(type);
}
