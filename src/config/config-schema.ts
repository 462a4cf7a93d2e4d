import { z } from 'zod';

/** A secret may be written literally or as `env:VAR`, read from the environment at start-up. */
const secret = z.string().min(1);

export const providerConfigSchema = z.strictObject({
  /** The `<provider>` prefix clients put in `model`. Letters, digits, `-`, `_` and `.` only. */
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'must use only letters, digits, "-", "_" and "."'),
  kind: z.enum(['openai', 'openai-chat', 'anthropic']),
  baseURL: z.url().optional(),
  apiKey: secret.optional(),
  /** Upstream request timeout; a turn that takes longer fails with a clear upstream error. */
  timeoutMs: z.int().positive().optional(),
  maxRetries: z.int().min(0).max(10).optional(),
  /**
   * Anthropic only: false stops Berth from marking prompt-cache breakpoints (see docs/decisions.md),
   * for workloads whose prompts are never sent twice. Other kinds cache on the upstream's own terms.
   */
  promptCaching: z.boolean().optional(),
});

export const configFileSchema = z.strictObject({
  host: z.string().min(1).optional(),
  port: z.int().min(0).max(65535).optional(),
  dataDir: z.string().min(1).optional(),
  /** Largest request body accepted, in bytes; larger bodies answer 413. */
  bodyLimitBytes: z.int().positive().optional(),
  /**
   * How long a shutdown (SIGTERM, SIGINT) lets open connections finish once in-flight responses have
   * ended with an error event, before it cuts them (5000).
   */
  shutdownGraceMs: z.int().min(0).max(600_000).optional(),
  requests: z
    .strictObject({
      /**
       * What a create request's parameters that OpenAI's API does not define get: `reject` (the
       * default, as OpenAI answers: 400 naming the parameter) or `ignore` (dropped and logged).
       */
      unknownParameters: z.enum(['reject', 'ignore']).optional(),
      /** Most levels of objects and arrays in a JSON body or WebSocket message (128); deeper is a 400. */
      maxJsonDepth: z.int().min(8).max(10_000).optional(),
      /** Most elements of any one array in a JSON body or WebSocket message (100,000); more is a 400. */
      maxArrayLength: z.int().positive().optional(),
    })
    .optional(),
  hostedTools: z
    .strictObject({
      /**
       * What a hosted tool (`web_search`, `file_search`, `mcp`, …) gets on a provider kind that cannot
       * run it: `ignore` (the default: left out of the model's tools, logged, and named in the
       * `berth-ignored-tools` response header) or `reject` (400 naming `tools[i].type`).
       */
      unsupported: z.enum(['ignore', 'reject']).optional(),
    })
    .optional(),
  metrics: z
    .strictObject({
      /** Whether `GET /metrics` serves Prometheus metrics (true). */
      enabled: z.boolean().optional(),
      /**
       * A bearer token scrapers must send (`Authorization: Bearer …`), literal or `env:VAR`; without
       * one `/metrics` needs no key (it carries no project's data, but does show models and volumes).
       */
      token: secret.optional(),
      /**
       * Serve `/metrics` on a listener of its own (for example `{"host": "0.0.0.0", "port": 9464}`,
       * reachable by the scraper's network only) instead of the API's port.
       */
      listen: z
        .strictObject({
          host: z.string().min(1),
          port: z.int().min(0).max(65_535),
        })
        .optional(),
    })
    .optional(),
  providers: z.array(providerConfigSchema).optional(),
  defaultProvider: z.string().min(1).optional(),
  files: z
    .strictObject({
      /** Largest file `POST /v1/files` accepts, in bytes; larger uploads answer 413. */
      maxBytes: z.int().positive().optional(),
    })
    .optional(),
  compaction: z
    .strictObject({
      /**
       * A file holding the compaction key (32 bytes, base64), for servers that must read each other's
       * compaction items; by default a key is generated in the data directory.
       */
      keyFile: z.string().min(1).optional(),
    })
    .optional(),
  sandbox: z
    .strictObject({
      /** `auto` (the default): runc when running as root, else bwrap; `none` turns containers off. */
      driver: z.enum(['auto', 'runc', 'runsc', 'bwrap', 'none']).optional(),
      /** Image new containers start from: `host` or a built image such as `debian`. */
      image: z
        .string()
        .regex(/^[a-z0-9][a-z0-9_.-]*$/)
        .optional(),
      /** Most processes and threads in one container. */
      pidsLimit: z.int().min(16).optional(),
      /** CPU per container, in CPUs (0.5 = half a core). */
      cpus: z.number().positive().optional(),
      /** Writable disk per container, in bytes. */
      diskBytes: z
        .int()
        .min(16 * 1024 * 1024)
        .optional(),
      /** Sandboxes kept started and unassigned, so a create does not wait for one. */
      warmPool: z.int().min(0).max(64).optional(),
      /** Live containers one project may have. */
      maxContainersPerProject: z.int().positive().optional(),
      /** Shell sessions one container may have. */
      maxSessionsPerContainer: z.int().positive().optional(),
      /**
       * Per-command timeout of a hosted shell call that names none (Anthropic's bash tool never does);
       * at most 30 minutes.
       */
      commandTimeoutMs: z
        .int()
        .positive()
        .max(30 * 60_000)
        .optional(),
    })
    .optional(),
  network: z
    .strictObject({
      /**
       * The most any container may reach: exact names, `*.example.com` wildcards, IP literals, or `*`
       * (the default: every public host). A container's `network_policy` may only narrow it.
       */
      allowedDomains: z.array(z.string()).optional(),
      /** Never reachable, whatever any allow says. */
      deniedDomains: z.array(z.string()).optional(),
      /**
       * Private, loopback and link-local networks (CIDRs) containers may still reach, such as an
       * internal package mirror; none by default, so a name resolving there is refused.
       */
      allowPrivateNetworks: z.array(z.string()).optional(),
      /** Names the egress proxy answers without DNS, like `/etc/hosts`: one address or several. */
      hosts: z.record(z.string(), z.union([z.string(), z.array(z.string()).min(1)])).optional(),
      /** A PEM file of extra CAs the egress proxy trusts for upstream TLS (beside Node's roots). */
      upstreamCAFile: z.string().min(1).nullable().optional(),
    })
    .optional(),
});

export type ProviderConfig = z.infer<typeof providerConfigSchema>;
export type ConfigFile = z.infer<typeof configFileSchema>;

/** The resolved configuration the server runs with: defaults applied, secrets read. */
export interface BerthConfig {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly bodyLimitBytes: number;
  /** How long a shutdown gives open connections before cutting them. */
  readonly shutdownGraceMs: number;
  readonly providers: readonly ProviderConfig[];
  readonly defaultProvider: string | null;
  readonly files: FilesConfig;
  readonly requests: RequestsConfig;
  readonly hostedTools: HostedToolsConfig;
  readonly sandbox: SandboxConfig;
  readonly compaction: CompactionConfig;
  readonly network: NetworkConfig;
  readonly metrics: MetricsConfig;
}

/** `GET /metrics`: on or off, the bearer token scrapers must send (null: none), and where. */
export interface MetricsConfig {
  readonly enabled: boolean;
  readonly token: string | null;
  /** A listener of its own for `/metrics`; null: served on the API's port. */
  readonly listen: { readonly host: string; readonly port: number } | null;
}

/** The server's egress ceiling (`network`): what containers may reach at most. */
export interface NetworkConfig {
  readonly allowedDomains: readonly string[];
  readonly deniedDomains: readonly string[];
  readonly allowPrivateNetworks: readonly string[];
  readonly hosts: Readonly<Record<string, string | readonly string[]>>;
  /** The PEM text of `upstreamCAFile` (read at start-up), or null. */
  readonly upstreamCAs: string | null;
}

/** Compaction items (`encrypted_content` is sealed with the server's compaction key). */
export interface CompactionConfig {
  /** The key file, or null for `compaction.key` in the data directory (generated on first start). */
  readonly keyFile: string | null;
}

export type SandboxDriverName = 'runc' | 'runsc' | 'bwrap';

/** Containers (`/v1/containers`): the sandbox they run in and their limits. */
export interface SandboxConfig {
  readonly driver: 'auto' | SandboxDriverName | 'none';
  readonly image: string;
  readonly pidsLimit: number;
  readonly cpus: number;
  readonly diskBytes: number;
  readonly warmPool: number;
  readonly maxContainersPerProject: number;
  readonly maxSessionsPerContainer: number;
  readonly commandTimeoutMs: number;
}

/** How requests are read. */
export interface RequestsConfig {
  /** Create-request parameters OpenAI's API does not define: refused with a 400, or dropped and logged. */
  readonly unknownParameters: 'reject' | 'ignore';
  /** Most levels of objects and arrays inside one another in a JSON body or message. */
  readonly maxJsonDepth: number;
  /** Most elements of any one array in a JSON body or message. */
  readonly maxArrayLength: number;
}

/** OpenAI's hosted tools on provider kinds that cannot run them. */
export interface HostedToolsConfig {
  /** Left out of the model's tools (and named in `berth-ignored-tools`), or refused with a 400. */
  readonly unsupported: 'ignore' | 'reject';
}

/** The Files API (`/v1/files`). */
export interface FilesConfig {
  /** Largest upload accepted, in bytes. */
  readonly maxBytes: number;
}
