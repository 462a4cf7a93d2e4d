import type { Command } from 'commander';
import { CursorPage } from 'openai/pagination';
import type { Response } from 'openai/resources/responses/responses';
import type { ToolCallObject } from '../engine/tool-call-object.js';
import { formatResponseSummary, formatToolCallTable } from './format-response.js';
import { addServerOptions, connect, exitWithError, type ServerOptions } from './server-client.js';

/** `berth responses show`: a stored response and its tool-call log, from a running server. */
export function registerResponsesCommand(program: Command): void {
  const responses = program.command('responses').description('inspect stored responses');

  addServerOptions(
    responses
      .command('show')
      .description("show a response's status, output and tool-call log")
      .argument('<id>', 'response id (resp_…)'),
  )
    .option('--json', 'print the response and its tool calls as JSON')
    .action(async (id: string, options: ServerOptions & { json?: boolean }) => {
      const { client, baseURL } = connect(options);
      try {
        // `get` rather than `responses.retrieve`, which adds the SDK's own `output_text`: `--json`
        // prints exactly what the server answered.
        const response = await client.get<Response>(`/responses/${encodeURIComponent(id)}`);
        // Berth's extension list, walked with the client's own cursor pagination.
        const toolCalls: ToolCallObject[] = [];
        const pages = client.getAPIList<ToolCallObject, CursorPage<ToolCallObject>>(
          `/responses/${encodeURIComponent(id)}/tool_calls`,
          CursorPage,
          { query: { limit: 100 } },
        );
        for await (const entry of pages) toolCalls.push(entry);
        if (options.json) {
          console.log(JSON.stringify({ response, tool_calls: toolCalls }, null, 2));
          return;
        }
        console.log(`${formatResponseSummary(response)}\n\n${formatToolCallTable(toolCalls)}`);
      } catch (error) {
        exitWithError(error, baseURL);
      }
    });
}
