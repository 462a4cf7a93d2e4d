import type { Response, ResponseOutputItem } from 'openai/resources/responses/responses';
import type { ToolCallObject } from '../engine/tool-call-object.js';
import { formatTable } from './format-table.js';

/** Longest command shown in the tool-call table; the JSON output has it whole. */
const commandColumnChars = 60;

/**
 * What `berth responses show` prints about a response: its id, status, model and creation time,
 * then one short block per output item (a message's text, a shell call's commands, a shell call
 * output's outcomes).
 */
export function formatResponseSummary(response: Response): string {
  const header: string[][] = [
    ['id', response.id],
    ['status', response.status ?? ''],
    ['model', response.model],
    ['created', isoTime(response.created_at)],
  ];
  if (response.error) header.push(['error', `${response.error.code}: ${response.error.message}`]);
  if (response.incomplete_details?.reason) header.push(['incomplete', response.incomplete_details.reason]);
  const output = response.output.map(formatOutputItem);
  return [formatTable(header), '', 'output:', ...(output.length > 0 ? output : ['  (none)'])].join('\n');
}

/** The tool-call log as a table, oldest first, one row per command. */
export function formatToolCallTable(entries: readonly ToolCallObject[]): string {
  if (entries.length === 0) return 'tool calls: none';
  const rows = [['STARTED', 'CONTAINER', 'SESSION', 'DURATION', 'OUTCOME', 'STDOUT', 'STDERR', 'COMMAND']];
  for (const entry of entries) {
    rows.push([
      isoTime(entry.started_at),
      entry.container_id,
      entry.session,
      formatDuration(entry.duration_ms),
      entry.outcome.type === 'exit' ? `exit ${entry.outcome.exit_code}` : 'timeout',
      formatBytes(entry.stdout_bytes),
      formatBytes(entry.stderr_bytes),
      oneLine(entry.command, commandColumnChars),
    ]);
  }
  return `tool calls:\n${formatTable(rows)}`;
}

function formatOutputItem(item: ResponseOutputItem): string {
  if (item.type === 'message') {
    const text = item.content
      .map((part) => (part.type === 'output_text' ? part.text : `[refusal] ${part.refusal}`))
      .join('');
    return `  message (${item.role}):\n${indent(text, 4)}`;
  }
  if (item.type === 'shell_call') {
    const commands = item.action.commands.map((command) => `    $ ${oneLine(command, 200)}`);
    return [`  shell_call ${item.call_id} (${item.status}):`, ...commands].join('\n');
  }
  if (item.type === 'shell_call_output') {
    const outcomes = item.output.map((entry) =>
      entry.outcome.type === 'exit' ? `exit ${entry.outcome.exit_code}` : 'timeout',
    );
    return `  shell_call_output ${item.call_id}: ${outcomes.join(', ') || '(no output)'}`;
  }
  if (item.type === 'function_call') return `  function_call ${item.name}(${oneLine(item.arguments, 200)})`;
  if (item.type === 'custom_tool_call') return `  custom_tool_call ${item.name}: ${oneLine(item.input, 200)}`;
  if (item.type === 'apply_patch_call')
    return `  apply_patch_call ${item.operation.type} ${item.operation.path}`;
  if (item.type === 'local_shell_call')
    return `  local_shell_call ${oneLine(item.action.command.join(' '), 200)}`;
  if (item.type === 'reasoning') {
    // The summary when there is one; open models on Chat Completions servers give only raw text.
    const summary = item.summary.map((part) => part.text).join(' ');
    const text = summary || (item.content ?? []).map((part) => part.text).join(' ');
    return `  reasoning${text ? `: ${oneLine(text, 200)}` : ''}`;
  }
  return `  ${item.type}`;
}

function isoTime(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace('.000Z', 'Z');
}

function formatDuration(milliseconds: number): string {
  if (milliseconds < 1000) return `${milliseconds}ms`;
  if (milliseconds < 60_000) return `${(milliseconds / 1000).toFixed(1)}s`;
  const minutes = Math.floor(milliseconds / 60_000);
  const seconds = Math.floor((milliseconds % 60_000) / 1000);
  return `${minutes}m${String(seconds).padStart(2, '0')}s`;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}

/** A command on one line (newlines shown as `⏎`), cut to `limit` characters with `…`. */
function oneLine(text: string, limit: number): string {
  const flat = text.replace(/\r?\n/g, '⏎');
  return flat.length > limit ? `${flat.slice(0, limit - 1)}…` : flat;
}

function indent(text: string, spaces: number): string {
  const pad = ' '.repeat(spaces);
  return text
    .split('\n')
    .map((line) => (line ? pad + line : line))
    .join('\n');
}
