import type { ResponseInputItem } from 'openai/resources/responses/responses';
import { shellOutputText } from '../../providers/shell-output-text.js';

/**
 * The longest any one item is shown to the summarising model, in characters. A context is compacted
 * because it is too big, and most of its bulk is usually tool output; the head and tail of a long
 * output carry what a summary needs (the command's echo, the error at the end).
 */
const maxItemCharacters = 6_000;
const tailCharacters = 2_000;

/**
 * A conversation written out as plain text for the summarising model. Plain text rather than the
 * items themselves: every upstream accepts it whatever the conversation holds (a call whose output
 * never came, hosted-tool items, tools the summarising request does not declare), and the model reads
 * it as something to describe rather than a conversation to continue.
 */
export function compactionTranscript(items: readonly ResponseInputItem[]): string {
  return items
    .map(renderItem)
    .filter((entry): entry is string => entry !== null)
    .join('\n\n');
}

function renderItem(item: ResponseInputItem): string | null {
  // A message may come without `type`; so may an item reference, which has no role.
  if ((item.type === undefined || item.type === 'message') && 'role' in item) {
    return section(`[${item.role}]`, contentText(item.content));
  }
  if (item.type === 'function_call') {
    return section(`[assistant called the function ${item.name}]`, item.arguments);
  }
  if (item.type === 'function_call_output') {
    const output = typeof item.output === 'string' ? item.output : contentText(item.output);
    return section(`[result of function call ${item.call_id}]`, output);
  }
  if (item.type === 'custom_tool_call') {
    return section(`[assistant called the tool ${item.name}]`, item.input);
  }
  if (item.type === 'custom_tool_call_output') {
    const output = typeof item.output === 'string' ? item.output : contentText(item.output);
    return section(`[result of tool call ${item.call_id}]`, output);
  }
  if (item.type === 'reasoning') {
    // The summary when there is one; open models on Chat Completions servers give only raw text.
    const summary = item.summary.map((part) => part.text).join('\n');
    const text = summary || (item.content ?? []).map((part) => part.text).join('\n');
    return text === '' ? null : section('[assistant reasoning]', text);
  }
  if (item.type === 'shell_call') {
    const commands = item.action.commands.map((command) => `$ ${command}`).join('\n');
    return section('[assistant ran shell commands]', commands);
  }
  if (item.type === 'shell_call_output') {
    return section('[shell output]', shellOutputText(item.output));
  }
  if (item.type === 'apply_patch_call') {
    const { operation } = item;
    const diff = operation.type === 'delete_file' ? '' : operation.diff;
    return section(`[assistant called apply_patch: ${operation.type} ${operation.path}]`, diff);
  }
  if (item.type === 'apply_patch_call_output') {
    return section(`[apply_patch ${item.status}]`, item.output ?? '');
  }
  if (item.type === 'local_shell_call') {
    return section('[assistant ran a local command]', `$ ${item.action.command.join(' ')}`);
  }
  if (item.type === 'local_shell_call_output') return section('[local command output]', item.output);
  // Items Berth does not carry yet (other hosted tools): shown whole, so nothing is silently lost.
  return section(`[${String(item.type)}]`, JSON.stringify(item));
}

function section(heading: string, body: string): string {
  return `${heading}\n${shorten(body)}`;
}

/** Text of a message's content: its text parts, and a marker for each image or file. */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part: Record<string, unknown>) => {
      switch (part.type) {
        case 'input_text':
        case 'output_text':
          return String(part.text);
        case 'refusal':
          return `(refused) ${String(part.refusal)}`;
        case 'input_image':
          return '[image]';
        case 'input_file':
          return typeof part.filename === 'string' ? `[file ${part.filename}]` : '[file]';
        default:
          return `[${String(part.type)}]`;
      }
    })
    .join('\n');
}

function shorten(text: string): string {
  if (text.length <= maxItemCharacters) return text;
  const head = text.slice(0, maxItemCharacters - tailCharacters);
  const tail = text.slice(text.length - tailCharacters);
  const omitted = text.length - head.length - tail.length;
  return `${head}\n[… ${omitted} characters left out …]\n${tail}`;
}
