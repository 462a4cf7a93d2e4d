import type { ContentBlockParam, MessageParam } from '@anthropic-ai/sdk/resources/messages';
import type { ResponseInputItem } from 'openai/resources/responses/responses';
import { invalidInput } from '../invalid-input-error.js';
import { shellCallOutputToToolResult, shellCallToBashToolUse } from './anthropic-bash-tool.js';
import { decodeThinkingBlock } from './anthropic-thinking-content.js';
import {
  convertAssistantContent,
  convertSystemContent,
  convertUserContent,
} from './convert-to-anthropic-content.js';

/** The conversation in Messages API form: a top-level system prompt and alternating turns. */
export interface AnthropicPrompt {
  readonly system: string | undefined;
  readonly messages: MessageParam[];
}

interface Turn {
  readonly role: 'user' | 'assistant';
  readonly content: ContentBlockParam[];
}

/**
 * Blocks Anthropic requires at the start of a turn: thinking blocks open the assistant turn they
 * belong to (or extended thinking with tools fails signature checks), and tool results must come
 * before any text in the user turn that answers the tool calls.
 */
function leadsTurn(block: ContentBlockParam): boolean {
  return block.type === 'thinking' || block.type === 'redacted_thinking' || block.type === 'tool_result';
}

/**
 * Anthropic requires user and assistant turns to alternate, while a Responses context holds many
 * consecutive items of one side (a message, then its function calls; several function outputs), so
 * consecutive blocks of the same role merge into one turn.
 */
function appendBlocks(turns: Turn[], role: Turn['role'], blocks: readonly ContentBlockParam[]): void {
  if (blocks.length === 0) return;
  const last = turns.at(-1);
  const turn = last?.role === role ? last : { role, content: [] };
  if (turn !== last) turns.push(turn);
  for (const block of blocks) {
    if (!leadsTurn(block)) {
      turn.content.push(block);
      continue;
    }
    const firstOther = turn.content.findIndex((existing) => !leadsTurn(existing));
    turn.content.splice(firstOther === -1 ? turn.content.length : firstOther, 0, block);
  }
}

/** Parses a function call's arguments into the object Anthropic's `tool_use.input` must be. */
function parseToolInput(argumentsText: string): Record<string, unknown> {
  // Models emit "" for calls without arguments; Anthropic needs an object either way.
  if (argumentsText.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(argumentsText);
  } catch {
    throw invalidInput('A function_call item has arguments that are not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalidInput('A function_call item must have a JSON object as its arguments for Anthropic.');
  }
  return parsed as Record<string, unknown>;
}

/** A turn of nothing but thinking cannot be sent (it answers nothing), so it is left out. */
function isThinkingOnly(turn: Turn): boolean {
  return turn.content.every((block) => block.type === 'thinking' || block.type === 'redacted_thinking');
}

/**
 * Converts Berth's context (Responses input items) and instructions into Anthropic's `system` and
 * `messages`. System and developer messages join the instructions in `system`, because Anthropic
 * takes instructions only there. Shell calls and their outputs become the bash tool's tool_use and
 * tool_result blocks.
 */
export function convertToAnthropicMessages(
  instructions: string | null,
  input: readonly ResponseInputItem[],
): AnthropicPrompt {
  const systemParts: string[] = instructions === null || instructions === '' ? [] : [instructions];
  const turns: Turn[] = [];
  for (const item of input) {
    if ('role' in item && (item.type === undefined || item.type === 'message')) {
      if (item.role === 'system' || item.role === 'developer') {
        const text = convertSystemContent(item.content, item.role);
        if (text !== '') systemParts.push(text);
      } else if (item.role === 'assistant') {
        appendBlocks(turns, 'assistant', convertAssistantContent(item.content));
      } else {
        appendBlocks(turns, 'user', convertUserContent(item.content));
      }
      continue;
    }
    if (item.type === 'function_call') {
      appendBlocks(turns, 'assistant', [
        { type: 'tool_use', id: item.call_id, name: item.name, input: parseToolInput(item.arguments) },
      ]);
    } else if (item.type === 'function_call_output') {
      if (item.call_id === null || item.call_id === undefined || item.call_id === '') {
        throw invalidInput('A function_call_output item needs the call_id of the function_call it answers.');
      }
      const content = typeof item.output === 'string' ? item.output : convertUserContent(item.output);
      appendBlocks(turns, 'user', [
        { type: 'tool_result', tool_use_id: item.call_id, ...(content.length > 0 ? { content } : {}) },
      ]);
    } else if (item.type === 'shell_call') {
      appendBlocks(turns, 'assistant', [shellCallToBashToolUse(item)]);
    } else if (item.type === 'shell_call_output') {
      if (!item.call_id)
        throw invalidInput('A shell_call_output item needs the call_id of the shell_call it answers.');
      appendBlocks(turns, 'user', [shellCallOutputToToolResult(item)]);
    } else if (item.type === 'reasoning') {
      const summary = item.summary.map((part) => part.text).join('');
      const block = decodeThinkingBlock(item.encrypted_content, summary);
      if (block !== null) appendBlocks(turns, 'assistant', [block]);
    } else {
      // Other hosted-tool items (MCP, web search…) and unresolved references have no Messages form.
      throw invalidInput(`Input items of type '${String(item.type)}' cannot be sent to an Anthropic model.`);
    }
  }
  const messages: Turn[] = [];
  for (const turn of turns) {
    if (!(turn.role === 'assistant' && isThinkingOnly(turn))) appendBlocks(messages, turn.role, turn.content);
  }
  return {
    system: systemParts.length > 0 ? systemParts.join('\n\n') : undefined,
    messages: messages.map((turn) => ({ role: turn.role, content: turn.content })),
  };
}
