import type { ToolCallRecord } from '../store/store.js';

/**
 * One entry of `GET /v1/responses/{id}/tool_calls`, Berth's extension (OpenAI has no tool-call log).
 * Times follow OpenAI's convention of integer Unix seconds, so a typed client reads them like every
 * other timestamp; `duration_ms` keeps the precision a command's run time needs. `outcome` has the
 * shape of a `shell_call_output` entry's outcome.
 */
export interface ToolCallObject {
  readonly id: string;
  readonly object: 'response.tool_call';
  readonly response_id: string;
  readonly call_id: string;
  readonly item_id: string;
  readonly command_index: number;
  readonly command: string;
  readonly container_id: string;
  readonly session: string;
  readonly started_at: number;
  readonly ended_at: number;
  readonly duration_ms: number;
  readonly outcome: { readonly type: 'exit'; readonly exit_code: number } | { readonly type: 'timeout' };
  readonly stdout_bytes: number;
  readonly stderr_bytes: number;
  /** The connections the call's commands made (the container's egress log, narrowed to this call). */
  readonly egress_url: string;
}

/** The wire object of one tool-call log row. */
export function toToolCallObject(record: ToolCallRecord): ToolCallObject {
  return {
    id: record.id,
    object: 'response.tool_call',
    response_id: record.responseId,
    call_id: record.callId,
    item_id: record.itemId,
    command_index: record.commandIndex,
    command: record.command,
    container_id: record.containerId,
    session: record.session,
    started_at: Math.floor(record.startedAt / 1000),
    ended_at: Math.floor(record.endedAt / 1000),
    duration_ms: record.endedAt - record.startedAt,
    outcome:
      record.outcome.type === 'exit'
        ? { type: 'exit', exit_code: record.outcome.exitCode }
        : { type: 'timeout' },
    stdout_bytes: record.stdoutBytes,
    stderr_bytes: record.stderrBytes,
    egress_url: `/v1/containers/${record.containerId}/egress?call_id=${encodeURIComponent(record.callId)}`,
  };
}
