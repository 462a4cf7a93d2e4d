import type { Command } from 'commander';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { addServerOptions, connect, exitWithError, type ServerOptions } from './server-client.js';

interface ExecOptions extends ServerOptions {
  readonly session?: string;
  readonly timeout?: string;
}

/** Exit status `berth exec` reports for a command that timed out, as coreutils' `timeout` does. */
const timeoutExitCode = 124;

/**
 * `berth exec <container> -- <command…>`: runs one command in a container's shell session through the
 * exec extension, streaming its stdout and stderr as it runs, and exits with its exit code.
 */
export function registerExecCommand(program: Command): void {
  addServerOptions(
    program
      .command('exec')
      .description("run a command in a container's shell session (state persists between calls)")
      .argument('<container>', 'container id')
      .argument('<command...>', 'the command (put it after --); its words are joined with spaces')
      .option('--session <name>', "the shell session (default: the container's default session)")
      .option('--timeout <ms>', 'kill the command after this many milliseconds'),
  ).action(async (container: string, words: string[], options: ExecOptions) => {
    const { baseURL, headers } = connect(options);
    let response: Response;
    try {
      response = await fetch(`${baseURL}/containers/${encodeURIComponent(container)}/exec`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({
          commands: [words.join(' ')],
          stream: true,
          ...(options.session ? { session: options.session } : {}),
          ...(options.timeout ? { timeout_ms: Number(options.timeout) } : {}),
        }),
      });
    } catch (error) {
      exitWithError(
        Object.assign(new Error(`cannot reach the server at ${baseURL} (is \`berth serve\` running?)`), {
          cause: error,
        }),
        baseURL,
      );
    }
    if (!response.ok || !response.body) {
      const body = (await response.json().catch(() => ({}))) as { error?: { message?: string } };
      console.error(`berth: ${body.error?.message ?? `${response.status} ${response.statusText}`}`);
      process.exit(1);
    }
    let exitCode = 1;
    let streamedStderr = '';
    const parser = createParser({
      onEvent(message: EventSourceMessage) {
        const event = JSON.parse(message.data) as {
          type: string;
          stream?: 'stdout' | 'stderr';
          delta?: string;
          output?: { stderr?: string; outcome: { type: 'exit'; exit_code: number } | { type: 'timeout' } };
          error?: { message: string };
        };
        if (event.type === 'exec.output.delta' && event.delta !== undefined) {
          if (event.stream === 'stderr') streamedStderr += event.delta;
          (event.stream === 'stderr' ? process.stderr : process.stdout).write(event.delta);
        } else if (event.type === 'exec.command.done' && event.output) {
          // What Berth itself says about the command ("[berth] …": a limit it hit, a shell that could
          // not start) is in the final stderr only, never streamed.
          process.stderr.write(unstreamedNotes(event.output.stderr ?? '', streamedStderr));
          const { outcome } = event.output;
          exitCode = outcome.type === 'exit' ? outcome.exit_code : timeoutExitCode;
          if (outcome.type === 'timeout') console.error('berth: the command timed out and was killed');
        } else if (event.type === 'error') {
          console.error(`berth: ${event.error?.message ?? 'the command failed'}`);
          exitCode = 1;
        }
      },
    });
    const decoder = new TextDecoder();
    for await (const chunk of response.body)
      parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
    process.exitCode = exitCode;
  });
}

/**
 * Berth's own notes in a command's final stderr (whole lines starting `[berth] `: a limit reached, a
 * shell that could not start) that the stream did not carry. Notes are never streamed; they may come
 * before or after the command's text, and the final text may be cut to the output limit, so they are
 * picked out by line rather than by subtracting what was streamed. A line the command printed itself
 * was streamed, and is not repeated.
 */
export function unstreamedNotes(final: string, streamed: string): string {
  const streamedLines = new Set(streamed.split('\n'));
  return final
    .split('\n')
    .filter((line) => line.startsWith('[berth] ') && !streamedLines.has(line))
    .map((line) => `${line}\n`)
    .join('');
}
