import type { Command } from 'commander';
import OpenAI from 'openai';

export interface ServerOptions {
  readonly url?: string;
  readonly apiKey?: string;
}

/** The server a client command talks to. */
export interface ServerConnection {
  readonly baseURL: string;
  readonly client: OpenAI;
  /** Headers for requests made without the client (exec streams). */
  readonly headers: Record<string, string>;
}

export const defaultServerUrl = 'http://127.0.0.1:8787/v1';

/** `--url` and `--api-key`, which every command that talks to a running server takes. */
export function addServerOptions(command: Command): Command {
  return command
    .option('--url <url>', `the server's base URL (default $BERTH_URL or ${defaultServerUrl})`)
    .option('--api-key <key>', 'an API key (default $BERTH_API_KEY; not needed by a keyless local server)');
}

export function connect(options: ServerOptions): ServerConnection {
  const baseURL = (options.url ?? process.env.BERTH_URL ?? defaultServerUrl).replace(/\/+$/, '');
  const apiKey = options.apiKey ?? process.env.BERTH_API_KEY ?? 'keyless';
  return {
    baseURL,
    client: new OpenAI({ baseURL, apiKey, maxRetries: 1 }),
    headers: { authorization: `Bearer ${apiKey}` },
  };
}

/** Prints an API or connection error the way the user can act on it, and exits 1. */
export function exitWithError(error: unknown, baseURL: string): never {
  if (error instanceof OpenAI.APIConnectionError) {
    console.error(`berth: cannot reach the server at ${baseURL} (is \`berth serve\` running? set --url)`);
  } else if (error instanceof OpenAI.APIError) {
    console.error(`berth: ${error.status ?? ''} ${error.message}`.trim());
  } else {
    console.error(`berth: ${error instanceof Error ? error.message : String(error)}`);
  }
  process.exit(1);
}
