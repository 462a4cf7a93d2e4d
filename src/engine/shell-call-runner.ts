import { LiveOutput } from '../containers/live-output.js';
import { defaultSessionName, type CommandResult, type ShellHost } from '../containers/shell-host.js';
import type { CompletedShellCall, OutputAssembler } from './output-assembler.js';

/**
 * Server-side bounds on what a model may ask of one shell call. The model's own `timeout_ms` and
 * `max_output_length` are honoured within them.
 */
export const shellCallLimits = {
  maxTimeoutMs: 30 * 60_000,
  /**
   * Bytes kept of each of stdout and stderr (head and tail) when the model gives no
   * `max_output_length`: about 4,000 tokens each, so one noisy command cannot flood the context.
   */
  defaultMaxOutputLength: 16 * 1024,
  maxOutputLength: 1024 * 1024,
};

/** One command a hosted call ran, as the tool-call log records it. */
export interface RanCommand {
  readonly call: CompletedShellCall;
  readonly commandIndex: number;
  readonly containerId: string;
  readonly session: string;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly result: CommandResult;
  readonly stdoutBytes: number;
  readonly stderrBytes: number;
}

export interface ShellCallContext {
  /** Where the call's commands run. */
  readonly containers: ShellHost;
  readonly projectId: string;
  /** The response the call is part of (the egress log names it). */
  readonly responseId: string;
  readonly containerId: string;
  readonly signal: AbortSignal;
  /** Wall-clock milliseconds, for the log. */
  readonly now: () => number;
  /** Called as each command ends (the tool-call log). */
  readonly onCommandRan?: (ran: RanCommand) => void;
}

/**
 * Runs one hosted `shell_call` in the response's container and appends its `shell_call_output`,
 * streaming each command's stdout and stderr as they are produced. Every call gets its output, with one
 * entry per command: a command that could not run says why on stderr.
 */
export async function runShellCall(
  call: CompletedShellCall,
  assembler: OutputAssembler,
  context: ShellCallContext,
): Promise<void> {
  const output = assembler.openShellOutput(call);
  const { action } = call;
  if (action.invalid !== undefined) {
    if (action.commands.length > 0)
      assembler.shellOutputCommandDone(output, 0, failedEntry(action.invalid, 2));
    assembler.closeShellOutput(output);
    return;
  }
  const session = defaultSessionName;
  const maxOutputBytes = clamp(
    action.maxOutputLength,
    shellCallLimits.defaultMaxOutputLength,
    shellCallLimits.maxOutputLength,
  );
  const live = new LiveOutput(maxOutputBytes);
  const bytes = action.commands.map(() => ({ stdout: 0, stderr: 0 }));
  const startedAt: number[] = [];
  try {
    await context.containers.exec(context.projectId, context.containerId, {
      commands: action.commands,
      session,
      timeoutMs: clamp(action.timeoutMs, context.containers.commandTimeoutMs, shellCallLimits.maxTimeoutMs),
      maxOutputBytes,
      signal: context.signal,
      origin: { responseId: context.responseId, callId: call.item.call_id },
      onCommandStart: (index) => {
        startedAt[index] = context.now();
        live.startCommand();
      },
      onOutput: (index, stream, chunk) => {
        // The log counts every byte; the stream carries what the result keeps at most.
        const counted = bytes[index];
        if (counted) counted[stream] += chunk.length;
        const text = live.take(stream, chunk);
        if (text) assembler.shellOutputDelta(output, index, { [stream]: text });
      },
      onCommandDone: (index, result) => {
        assembler.shellOutputCommandDone(output, index, result);
        context.onCommandRan?.({
          call,
          commandIndex: index,
          containerId: context.containerId,
          session,
          startedAt: startedAt[index] ?? context.now(),
          endedAt: context.now(),
          result,
          stdoutBytes: bytes[index]?.stdout ?? 0,
          stderrBytes: bytes[index]?.stderr ?? 0,
        });
      },
    });
  } catch (error) {
    if (!context.signal.aborted) {
      const message = error instanceof Error ? error.message : String(error);
      const from = output.item.output.length;
      for (let index = from; index < action.commands.length; index++) {
        assembler.shellOutputCommandDone(output, index, failedEntry(`could not run: ${message}`, 126));
      }
    }
  }
  const finished = output.item.output.length === action.commands.length;
  assembler.closeShellOutput(output, finished ? 'completed' : 'incomplete');
}

/** Answers a call without running it (the response's `max_tool_calls` was reached). */
export function refuseShellCall(call: CompletedShellCall, assembler: OutputAssembler, why: string): void {
  const output = assembler.openShellOutput(call);
  for (let index = 0; index < call.action.commands.length; index++) {
    assembler.shellOutputCommandDone(output, index, failedEntry(why, 126));
  }
  assembler.closeShellOutput(output);
}

function failedEntry(why: string, exitCode: number): CommandResult {
  return { stdout: '', stderr: `[berth] ${why}\n`, outcome: { type: 'exit', exit_code: exitCode } };
}

function clamp(value: number | null, fallback: number, max: number): number {
  return Math.min(Math.max(1, value ?? fallback), max);
}
