import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { homedir } from 'node:os';
import { EgressCeiling } from '../network/egress-policy.js';
import { defaultJsonShapeLimits } from '../validation/json-shape-limits.js';
import { zodIssueParam } from '../validation/zod-issue-param.js';
import {
  configFileSchema,
  type BerthConfig,
  type ConfigFile,
  type MetricsConfig,
  type NetworkConfig,
  type ProviderConfig,
  type RequestsConfig,
  type SandboxConfig,
} from './config-schema.js';

/** Raised for a configuration that cannot run; the message names the bad field. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export const defaultBodyLimitBytes = 16 * 1024 * 1024;
/** OpenAI's own limit for one uploaded file. */
/** Where Berth keeps its data when neither `--data-dir`, the config nor `$BERTH_DATA_DIR` says. */
export function defaultDataDir(): string {
  return join(homedir(), '.berth');
}

/** How requests are read when the config says nothing. */
export const defaultRequestsConfig: RequestsConfig = {
  unknownParameters: 'reject',
  maxJsonDepth: defaultJsonShapeLimits.maxDepth,
  maxArrayLength: defaultJsonShapeLimits.maxArrayLength,
};

/** How long a shutdown gives open connections, by default. */
export const defaultShutdownGraceMs = 5_000;
/** `/metrics` served, without a token. */
export const defaultMetricsConfig: MetricsConfig = { enabled: true, token: null, listen: null };

export const defaultFileMaxBytes = 512 * 1024 * 1024;

export const defaultSandboxConfig: SandboxConfig = {
  driver: 'auto',
  image: 'host',
  pidsLimit: 512,
  cpus: 1,
  diskBytes: 1024 * 1024 * 1024,
  warmPool: 2,
  maxContainersPerProject: 20,
  maxSessionsPerContainer: 8,
  commandTimeoutMs: 120_000,
};

/** No `network` section: every public host is within the ceiling; nothing private, no extra CAs. */
export const defaultNetworkConfig: NetworkConfig = {
  allowedDomains: ['*'],
  deniedDomains: [],
  allowPrivateNetworks: [],
  hosts: {},
  upstreamCAs: null,
};

export interface ConfigOverrides {
  readonly configFile?: string | undefined;
  readonly host?: string | undefined;
  readonly port?: number | undefined;
  readonly dataDir?: string | undefined;
  readonly driver?: 'auto' | 'runc' | 'runsc' | 'bwrap' | 'none' | undefined;
}

/**
 * Resolves the configuration: flags override the file, the file overrides defaults, and with no file
 * the providers come from `OPENAI_API_KEY`/`OPENAI_BASE_URL` and `ANTHROPIC_API_KEY`/`ANTHROPIC_BASE_URL`.
 */
export function loadConfig(
  overrides: ConfigOverrides,
  environment: NodeJS.ProcessEnv = process.env,
): BerthConfig {
  const file = overrides.configFile === undefined ? undefined : readConfigFile(overrides.configFile);
  const providers = (file?.providers ?? providersFromEnvironment(environment)).map((provider, index) =>
    resolveSecrets(provider, index, environment),
  );
  const names = new Set<string>();
  providers.forEach((provider, index) => {
    if (names.has(provider.name)) {
      throw new ConfigError(`providers[${index}].name: "${provider.name}" is used by two providers`);
    }
    names.add(provider.name);
  });
  const defaultProvider = file?.defaultProvider ?? providers[0]?.name ?? null;
  if (defaultProvider !== null && !names.has(defaultProvider)) {
    throw new ConfigError(`defaultProvider: "${defaultProvider}" is not the name of a configured provider`);
  }
  return {
    host: overrides.host ?? file?.host ?? '127.0.0.1',
    port: overrides.port ?? file?.port ?? 8787,
    dataDir: overrides.dataDir ?? file?.dataDir ?? environment.BERTH_DATA_DIR ?? defaultDataDir(),
    bodyLimitBytes: file?.bodyLimitBytes ?? defaultBodyLimitBytes,
    shutdownGraceMs: file?.shutdownGraceMs ?? defaultShutdownGraceMs,
    providers,
    defaultProvider,
    files: { maxBytes: file?.files?.maxBytes ?? defaultFileMaxBytes },
    requests: {
      ...defaultRequestsConfig,
      ...file?.requests,
    },
    hostedTools: { unsupported: file?.hostedTools?.unsupported ?? 'ignore' },
    compaction: { keyFile: file?.compaction?.keyFile ?? null },
    network: networkConfig(file?.network, overrides.configFile ?? ''),
    metrics: {
      enabled: file?.metrics?.enabled ?? true,
      token: secretValue(file?.metrics?.token, 'metrics.token', environment),
      listen: file?.metrics?.listen ?? null,
    },
    sandbox: {
      ...defaultSandboxConfig,
      ...file?.sandbox,
      ...(overrides.driver ? { driver: overrides.driver } : {}),
    },
  };
}

/** The egress ceiling, checked whole here so a bad pattern stops start-up with its path. */
function networkConfig(file: ConfigFile['network'], path: string): NetworkConfig {
  const settings = {
    allowedDomains: file?.allowedDomains ?? ['*'],
    deniedDomains: file?.deniedDomains ?? [],
    allowPrivateNetworks: file?.allowPrivateNetworks ?? [],
    hosts: file?.hosts ?? {},
  };
  const parsed = EgressCeiling.parse(settings);
  if ('errors' in parsed) {
    const first = parsed.errors[0];
    throw new ConfigError(
      `config file ${path}: network.${first?.path ?? ''}: ${first?.message ?? 'invalid'}`,
    );
  }
  let upstreamCAs: string | null = null;
  if (file?.upstreamCAFile) {
    try {
      upstreamCAs = readFileSync(file.upstreamCAFile, 'utf8');
    } catch (error) {
      throw new ConfigError(
        `config file ${path}: network.upstreamCAFile: cannot read ${file.upstreamCAFile}: ${(error as Error).message}`,
      );
    }
    if (!upstreamCAs.includes('-----BEGIN CERTIFICATE-----')) {
      throw new ConfigError(
        `config file ${path}: network.upstreamCAFile: ${file.upstreamCAFile} holds no PEM certificate`,
      );
    }
  }
  return { ...settings, upstreamCAs };
}

function readConfigFile(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = configFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = (issue ? zodIssueParam(issue) : '') || '(root)';
    throw new ConfigError(`config file ${path}: ${field}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

function providersFromEnvironment(environment: NodeJS.ProcessEnv): ProviderConfig[] {
  const providers: ProviderConfig[] = [];
  if (environment.OPENAI_API_KEY) {
    providers.push({
      name: 'openai',
      kind: 'openai',
      apiKey: 'env:OPENAI_API_KEY',
      ...(environment.OPENAI_BASE_URL ? { baseURL: environment.OPENAI_BASE_URL } : {}),
    });
  }
  if (environment.ANTHROPIC_API_KEY) {
    providers.push({
      name: 'anthropic',
      kind: 'anthropic',
      apiKey: 'env:ANTHROPIC_API_KEY',
      ...(environment.ANTHROPIC_BASE_URL ? { baseURL: environment.ANTHROPIC_BASE_URL } : {}),
    });
  }
  return providers;
}

/** A secret setting's value: itself, or for `env:VAR` that variable's (which must be set). */
function secretValue(value: string | undefined, path: string, environment: NodeJS.ProcessEnv): string | null {
  if (value === undefined) return null;
  if (!value.startsWith('env:')) return value;
  const variable = value.slice('env:'.length);
  const resolved = environment[variable];
  if (!resolved) throw new ConfigError(`${path}: environment variable ${variable} is not set`);
  return resolved;
}

function resolveSecrets(
  provider: ProviderConfig,
  index: number,
  environment: NodeJS.ProcessEnv,
): ProviderConfig {
  const apiKey = secretValue(provider.apiKey, `providers[${index}].apiKey`, environment);
  return apiKey === null ? provider : { ...provider, apiKey };
}
