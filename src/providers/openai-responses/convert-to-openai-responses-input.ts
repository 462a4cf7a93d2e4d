import type {
  EasyInputMessage,
  ResponseFunctionCallOutputItem,
  ResponseFunctionShellCallOutputContent,
  ResponseInputContent,
  ResponseInputItem,
  ResponseOutputMessage,
  ResponseToolSearchOutputItemParam,
} from 'openai/resources/responses/responses';
import { isHostedItemType } from '../hosted-item-types.js';
import { invalidInput } from '../invalid-input-error.js';
import {
  convertPatchOrLocalShellItem,
  type PatchOrLocalShellUpstreamItem,
} from './map-openai-patch-and-local-shell-items.js';

type InputPart = ResponseInputContent | ResponseFunctionCallOutputItem;
type AssistantPart = { type: 'output_text'; text: string } | { type: 'refusal'; refusal: string };

/** An input item as sent upstream: no `id`, `status` or other Berth-side bookkeeping. */
type UpstreamInputItem =
  | PatchOrLocalShellUpstreamItem
  | { type: 'message'; role: 'user' | 'system' | 'developer'; content: string | InputPart[] }
  | {
      type: 'message';
      role: 'assistant';
      content: string | AssistantPart[];
      phase?: EasyInputMessage['phase'];
    }
  | { type: 'function_call'; call_id: string; name: string; arguments: string; namespace?: string }
  | { type: 'function_call_output'; call_id: string; output: string | InputPart[] }
  | { type: 'custom_tool_call'; call_id: string; name: string; input: string; namespace?: string }
  | Omit<ResponseInputItem.ToolSearchCall, 'id'>
  | Omit<ResponseToolSearchOutputItemParam, 'id'>
  | { type: 'custom_tool_call_output'; call_id: string; output: string | InputPart[] }
  | { type: 'reasoning'; summary: { type: 'summary_text'; text: string }[]; encrypted_content: string }
  | { type: 'shell_call'; call_id: string; action: ShellCallAction }
  /** A hosted tool's item (`web_search_call`, `mcp_call`, …), as the upstream made it. */
  | { type: string; [field: string]: unknown }
  | {
      type: 'shell_call_output';
      call_id: string;
      output: ResponseFunctionShellCallOutputContent[];
      max_output_length?: number;
    };

type ShellCallAction = { commands: string[]; timeout_ms: number | null; max_output_length: number | null };

/**
 * Berth's context as Responses input for a `store: false` upstream. The protocol is the same, but every
 * item `id` is dropped: Berth mints its own ids (msg_…, fc_…, rs_…), and with nothing stored upstream
 * an id would be looked up and fail. Reasoning travels only as its `encrypted_content`.
 */
export function convertToOpenAIResponsesInput(input: readonly ResponseInputItem[]): ResponseInputItem[] {
  const converted: UpstreamInputItem[] = [];
  input.forEach((item, index) => {
    const upstreamItem = convertItem(item, index);
    if (upstreamItem) converted.push(upstreamItem);
  });
  // The SDK's types require `id` on output messages and reasoning items; the API accepts them without
  // one, which is the only form a stateless (store: false) request can use.
  return converted as unknown as ResponseInputItem[];
}

function convertItem(item: ResponseInputItem, index: number): UpstreamInputItem | null {
  // A message may come without `type`; so may an item_reference, which has no role.
  if ((item.type === undefined || item.type === 'message') && 'role' in item)
    return convertMessage(item, index);
  if (item.type === 'function_call') {
    const { call_id, name, arguments: argumentsText, namespace } = item;
    return {
      type: 'function_call',
      call_id,
      name,
      arguments: argumentsText,
      ...(namespace ? { namespace } : {}),
    };
  }
  if (item.type === 'function_call_output') {
    if (!item.call_id) throw invalidInput(`input[${index}] (function_call_output) has no call_id.`);
    const output = typeof item.output === 'string' ? item.output : convertParts(item.output, index);
    return { type: 'function_call_output', call_id: item.call_id, output };
  }
  if (item.type === 'custom_tool_call') {
    const { call_id, name, input, namespace } = item;
    return { type: 'custom_tool_call', call_id, name, input, ...(namespace ? { namespace } : {}) };
  }
  // Searches go back as the upstream made them (ids dropped, as for every item).
  if (item.type === 'tool_search_call' || item.type === 'tool_search_output') {
    const { id: _id, ...rest } = item;
    return rest;
  }
  if (item.type === 'custom_tool_call_output') {
    const output = typeof item.output === 'string' ? item.output : convertParts(item.output, index);
    return { type: 'custom_tool_call_output', call_id: item.call_id, output };
  }
  if (item.type === 'reasoning') {
    // Without encrypted content the upstream could only find the reasoning by id, which it never stored.
    if (!item.encrypted_content) return null;
    const summary = item.summary.map((part) => ({ type: 'summary_text' as const, text: part.text }));
    return { type: 'reasoning', summary, encrypted_content: item.encrypted_content };
  }
  if (item.type === 'shell_call') return convertShellCall(item, index);
  const patchOrLocalShell = convertPatchOrLocalShellItem(item);
  if (patchOrLocalShell) return patchOrLocalShell;
  if (item.type === 'shell_call_output') return convertShellCallOutput(item, index);
  if (isHostedItemType(item.type)) return withoutId(item);
  // Item references, hosted-tool calls and the like: nothing Berth hands a stateless client-tool model.
  throw invalidInput(
    `input[${index}] has type '${item.type ?? 'item_reference'}', which provider kind 'openai' cannot send.`,
  );
}

/**
 * A shell call as the upstream made it. Its `environment` is dropped: Berth's items name Berth's own
 * container (`container_reference`), which the upstream cannot resolve, and the tool Berth offers has
 * no environment, so the upstream's own calls carry none either. `created_by`, `caller` and `status`
 * are bookkeeping the upstream does not need back.
 */
function convertShellCall(item: ResponseInputItem.ShellCall, index: number): UpstreamInputItem {
  if (!item.call_id) throw invalidInput(`input[${index}] (shell_call) has no call_id.`);
  const { commands, timeout_ms, max_output_length } = item.action;
  return {
    type: 'shell_call',
    call_id: item.call_id,
    action: {
      commands: [...commands],
      timeout_ms: timeout_ms ?? null,
      max_output_length: max_output_length ?? null,
    },
  };
}

/** A shell call's output, echoing the call's `max_output_length` as the API asks of local shells. */
function convertShellCallOutput(item: ResponseInputItem.ShellCallOutput, index: number): UpstreamInputItem {
  if (!item.call_id) throw invalidInput(`input[${index}] (shell_call_output) has no call_id.`);
  // Each entry is rebuilt: stored outputs carry `created_by`, which input entries may not have.
  const output = item.output.map((entry): ResponseFunctionShellCallOutputContent => ({
    stdout: entry.stdout,
    stderr: entry.stderr,
    outcome:
      entry.outcome.type === 'timeout'
        ? { type: 'timeout' }
        : { type: 'exit', exit_code: entry.outcome.exit_code },
  }));
  return {
    type: 'shell_call_output',
    call_id: item.call_id,
    output,
    ...(typeof item.max_output_length === 'number' ? { max_output_length: item.max_output_length } : {}),
  };
}

function convertMessage(
  message: EasyInputMessage | ResponseInputItem.Message | ResponseOutputMessage,
  index: number,
): UpstreamInputItem {
  if (message.role !== 'assistant') {
    const content =
      typeof message.content === 'string' ? message.content : convertParts(message.content, index);
    return { type: 'message', role: message.role, content };
  }
  const phase = message.phase ? { phase: message.phase } : {};
  if (typeof message.content === 'string') {
    return { type: 'message', role: 'assistant', content: message.content, ...phase };
  }
  const content = message.content.map((part): AssistantPart => {
    // Assistant turns may only hold output_text and refusal upstream; clients often send input_text.
    if (part.type === 'output_text' || part.type === 'input_text')
      return { type: 'output_text', text: part.text };
    if (part.type === 'refusal') return { type: 'refusal', refusal: part.refusal };
    throw invalidInput(`input[${index}] is an assistant message with a '${part.type}' part.`);
  });
  return { type: 'message', role: 'assistant', content, ...phase };
}

function convertParts(parts: readonly InputPart[], index: number): InputPart[] {
  return parts.map((part): InputPart => {
    switch (part.type) {
      case 'input_text':
        return { type: 'input_text', text: part.text };
      case 'input_image': {
        // A file_id names a file in Berth's store, which the upstream cannot open.
        if (!part.image_url) {
          throw invalidInput(
            `input[${index}] has an input_image without image_url; send a data: or https: URL.`,
          );
        }
        if (!/^(data:|https?:\/\/)/i.test(part.image_url)) {
          throw invalidInput(
            `input[${index}] has an input_image whose image_url is not a data: or http(s) URL.`,
          );
        }
        return { type: 'input_image', image_url: part.image_url, detail: part.detail ?? 'auto' };
      }
      case 'input_file': {
        if (!part.file_data && !part.file_url) {
          throw invalidInput(`input[${index}] has an input_file without file_data or file_url.`);
        }
        return {
          type: 'input_file',
          ...(part.file_data ? { file_data: part.file_data } : {}),
          ...(part.file_url ? { file_url: part.file_url } : {}),
          ...(part.filename ? { filename: part.filename } : {}),
        };
      }
      default:
        throw invalidInput(`input[${index}] has a content part of an unknown type.`);
    }
  });
}

/**
 * A hosted tool's item goes back as the upstream made it, less its `id`: with `store: false` the
 * upstream would look the id up and fail (as for every other item), and the item carries everything
 * the model needs.
 */
function withoutId(item: ResponseInputItem): UpstreamInputItem {
  const { id: _id, ...rest } = item as { id?: unknown; type: string };
  return rest;
}
