import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type OpenAI from 'openai';
import { afterAll, beforeAll, expect } from 'vitest';
import type { SandboxDriverName } from '../../src/config/config-schema.js';
import type { CommandResult } from '../../src/containers/shell-host.js';
import { openDataDirectoryStore } from '../../src/runtime/start-runtime.js';
import { hashApiKey } from '../../src/keys/api-key-secret.js';
import { issueApiKey } from '../../src/keys/issue-api-key.js';
import { startTestBerth, type TestBerth } from '../support/start-test-berth.js';

/** `alpha` plays the attacker; `beta` owns the containers alpha must never reach. */
export type EscapeProject = 'alpha' | 'beta';
const projects: readonly EscapeProject[] = ['alpha', 'beta'];

/** The disk every container of the suite gets: small, so filling it is quick. */
export const escapeDiskBytes = 64 * 1024 * 1024;

/** The environment variable planted in the server's process before it starts. */
export const canaryEnvName = 'BERTH_ESCAPE_CANARY';

export interface ExecOptions {
  readonly session?: string;
  readonly timeoutMs?: number;
  readonly maxOutputLength?: number;
}

export interface HttpAnswer {
  readonly status: number;
  readonly text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  readonly json: unknown;
}

export interface HttpRequest {
  readonly project?: EscapeProject;
  /** A JSON body (sent as application/json). */
  readonly json?: unknown;
  /** A raw body, with its content type. */
  readonly body?: Buffer;
  readonly contentType?: string;
}

/**
 * One real Berth per driver for the whole escape suite: API keys for two projects created before it
 * starts, an environment canary in the server's own process, a canary file in its data directory and
 * (when the host lets us) one in the host's /root. Every byte a container sent back through the API is
 * kept, so the suite can check at the end that no secret ever came out.
 */
export class EscapeBerth {
  readonly #secrets = new Map<string, string>();
  readonly #keys = new Map<EscapeProject, string>();
  readonly #observed: string[] = [];
  #berth: TestBerth | undefined;
  #dataDir: string | undefined;
  #hostCanaryPath: string | undefined;

  constructor(readonly driver: SandboxDriverName) {}

  async start(): Promise<void> {
    const dataDir = mkdtempSync(join(tmpdir(), 'berth-escape-'));
    this.#dataDir = dataDir;
    const store = await openDataDirectoryStore(dataDir);
    for (const project of projects) {
      const secret = await issueApiKey(store.apiKeys, {
        id: `key_${project}`,
        name: project,
        projectId: project,
        createdAt: 1,
      });
      this.#keys.set(project, secret);
      this.#secrets.set(`${project}'s API key`, secret);
      this.#secrets.set(`${project}'s API key hash`, hashApiKey(secret));
    }
    await store.close();

    const dataCanary = `data-canary-${randomBytes(16).toString('hex')}`;
    writeFileSync(join(dataDir, 'escape-canary'), dataCanary, { mode: 0o600 });
    this.#secrets.set('the canary file in the data directory', dataCanary);
    const hostCanary = `root-canary-${randomBytes(16).toString('hex')}`;
    const hostCanaryPath = `/root/.berth-escape-canary-${randomBytes(6).toString('hex')}`;
    try {
      writeFileSync(hostCanaryPath, hostCanary, { mode: 0o600, flag: 'wx' });
      this.#hostCanaryPath = hostCanaryPath;
      this.#secrets.set("the canary file in the host's /root", hostCanary);
    } catch {
      // Not root (a bwrap-only host): /root is checked by listing only.
    }
    const envCanary = `env-canary-${randomBytes(16).toString('hex')}`;
    process.env[canaryEnvName] = envCanary;
    this.#secrets.set(`the server's ${canaryEnvName} environment variable`, envCanary);
    this.#secrets.set("the server's upstream API key", 'upstream-test-key');

    this.#berth = await startTestBerth({
      dataDir,
      // No warm pool: containers are started one at a time, when a test asks, so what a test sees on
      // the host is its own doing. A pooled sandbox is the same sandbox, started earlier.
      sandbox: { driver: this.driver, warmPool: 0, diskBytes: escapeDiskBytes },
    });
  }

  async close(): Promise<void> {
    await this.#berth?.close();
    delete process.env[canaryEnvName];
    if (this.#hostCanaryPath) rmSync(this.#hostCanaryPath, { force: true });
    if (this.#dataDir) rmSync(this.#dataDir, { recursive: true, force: true });
  }

  get berth(): TestBerth {
    if (!this.#berth) throw new Error('The escape suite has not started its Berth.');
    return this.#berth;
  }

  get dataDir(): string {
    return this.berth.dataDir;
  }

  /** The port Berth listens on (on the host's loopback). */
  get port(): number {
    return Number(new URL(this.berth.baseURL).port);
  }

  /** The host path of the canary file in the host's /root, when the host let us write one. */
  get hostCanaryPath(): string | undefined {
    return this.#hostCanaryPath;
  }

  /** Values that no output of any container may ever contain, by what they are. */
  get secrets(): ReadonlyMap<string, string> {
    return this.#secrets;
  }

  /** Everything containers sent back through the API so far. */
  get observed(): readonly string[] {
    return this.#observed;
  }

  /** Remembers bytes that came out of a container some other way (a file's content). */
  observe(text: string): void {
    this.#observed.push(text);
  }

  /** The project's API key. */
  apiKey(project: EscapeProject): string {
    const key = this.#keys.get(project);
    if (!key) throw new Error(`No API key for project ${project}.`);
    return key;
  }

  client(project: EscapeProject): OpenAI {
    return this.berth.client(this.apiKey(project));
  }

  /** Creates a container through the official client and returns its id. */
  async createContainer(project: EscapeProject, name: string): Promise<string> {
    return (await this.client(project).containers.create({ name })).id;
  }

  /** `POST /v1/containers/{id}/exec`; fails the test unless the server answered 200. */
  async exec(
    project: EscapeProject,
    containerId: string,
    commands: readonly string[],
    options: ExecOptions = {},
  ): Promise<CommandResult[]> {
    const answer = await this.request('POST', `/v1/containers/${containerId}/exec`, {
      project,
      json: {
        commands,
        timeout_ms: options.timeoutMs ?? 60_000,
        ...(options.session ? { session: options.session } : {}),
        ...(options.maxOutputLength ? { max_output_length: options.maxOutputLength } : {}),
      },
    });
    expect(answer.status, answer.text.slice(0, 500)).toBe(200);
    const output = (answer.json as { output: CommandResult[] }).output;
    for (const result of output) this.#observed.push(result.stdout, result.stderr);
    return output;
  }

  /** One command; see `exec`. */
  async run(
    project: EscapeProject,
    containerId: string,
    command: string,
    options: ExecOptions = {},
  ): Promise<CommandResult> {
    const [result] = await this.exec(project, containerId, [command], options);
    if (!result) throw new Error('The exec answer had no output entry.');
    return result;
  }

  /**
   * One HTTP request with the path sent byte for byte as given (no client normalizes `..` or
   * percent-escapes away), on a connection of its own.
   */
  request(method: string, path: string, options: HttpRequest = {}): Promise<HttpAnswer> {
    const body =
      options.json === undefined ? options.body : Buffer.from(JSON.stringify(options.json), 'utf8');
    const contentType = options.json === undefined ? options.contentType : 'application/json';
    const key = this.apiKey(options.project ?? 'alpha');
    return new Promise((resolve, reject) => {
      const request = httpRequest(
        {
          host: '127.0.0.1',
          port: this.port,
          method,
          path,
          agent: false,
          headers: {
            authorization: `Bearer ${key}`,
            ...(contentType ? { 'content-type': contentType } : {}),
            ...(body ? { 'content-length': String(body.length) } : {}),
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try {
              json = JSON.parse(text);
            } catch {
              json = undefined;
            }
            resolve({ status: response.statusCode ?? 0, text, json });
          });
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  }
}

/** Starts one EscapeBerth for the enclosing `describe` and closes it after. */
export function useEscapeBerth(driver: SandboxDriverName): EscapeBerth {
  const escape = new EscapeBerth(driver);
  beforeAll(() => escape.start(), 120_000);
  afterAll(() => escape.close(), 120_000);
  return escape;
}

/** Asserts OpenAI's error envelope (exactly its four fields) with this status and code. */
export function expectErrorEnvelope(answer: HttpAnswer, status: number, code: string, what = ''): void {
  expect(answer.status, `${what} ${answer.text.slice(0, 300)}`).toBe(status);
  const body = answer.json as { error?: Record<string, unknown> } | undefined;
  expect(Object.keys(body ?? {}), `${what} ${answer.text.slice(0, 300)}`).toEqual(['error']);
  expect(Object.keys(body?.error ?? {}).sort(), what).toEqual(['code', 'message', 'param', 'type']);
  expect(body?.error?.code, what).toBe(code);
  expect(body?.error?.message, what).toEqual(expect.any(String));
}

/** A failed command: this exit code, and stderr saying why. */
export function expectFailure(result: CommandResult | undefined, exitCode: number, error: RegExp): void {
  expect(result?.outcome, result?.stderr).toEqual({ type: 'exit', exit_code: exitCode });
  expect(result?.stderr).toMatch(error);
}

/** A random marker, unique to one test run. */
export function marker(prefix: string): string {
  return `${prefix}-${randomBytes(8).toString('hex')}`;
}
