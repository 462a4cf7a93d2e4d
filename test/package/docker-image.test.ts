import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startFakeOpenAIResponsesUpstream } from '../support/fake-openai-responses-upstream.js';
import type { FakeUpstream } from '../support/scripted-turn.js';
import { until } from '../support/until.js';

/**
 * The container image as a newcomer uses it: built from the Dockerfile, an API key made with
 * `berth keys create` on the data volume, started with compose.yaml's settings — as root with runc
 * and runsc, and without root with bwrap — then /readyz, a hosted-shell response through the official
 * client whose command runs in a sandbox inside the container, the dashboard and metrics, and a
 * clean stop. Needs a Docker daemon (skipped, visibly, without one; required by CI with
 * BERTH_REQUIRE_DOCKER=1). Where no registry is reachable (CI), the Node base image is built from
 * Debian's archive by test/support/docker/build-node-base-image; BERTH_TEST_NODE_IMAGE names another.
 */

const root = join(import.meta.dirname, '../..');
const run = promisify(execFile);

function dockerHere(): boolean {
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore', timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

const docker = dockerHere();
const rootUser = process.getuid?.() === 0;
const skipReason = !docker
  ? 'no Docker daemon here'
  : !rootUser && !process.env.BERTH_TEST_NODE_IMAGE
    ? 'building the base image needs root (or name one in BERTH_TEST_NODE_IMAGE)'
    : undefined;
if (skipReason && process.env.BERTH_REQUIRE_DOCKER === '1') {
  throw new Error(`BERTH_REQUIRE_DOCKER=1, but the image test cannot run here: ${skipReason}`);
}

const tag = `berth-test/berth:${process.pid}`;
const baseImage = process.env.BERTH_TEST_NODE_IMAGE ?? 'berth-test/node:22-bookworm-slim';
const volumes: string[] = [];
const containers: string[] = [];
let upstream: FakeUpstream;
/** The image's CMD, as built. */
let imageCommand: string[] = [];

async function dockerCommand(args: readonly string[], timeout = 600_000): Promise<string> {
  const { stdout } = await run('docker', args, { timeout, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

interface ComposeService {
  user?: string;
  mem_limit?: string;
  pids_limit?: number;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  cgroup?: string;
  device_cgroup_rules?: string[];
  cap_add?: string[];
  security_opt?: string[];
}

/**
 * `docker run` options for a compose.yaml service — the privileges each driver is documented to need,
 * taken from the file users run — with the named data volume replaced by `volume`. The network is the
 * host's (this machine's daemon manages no bridges) and ports are not published: the server listens on
 * a free loopback port instead.
 */
function runOptions(service: ComposeService, volume: string): string[] {
  const options: string[] = [];
  if (service.user) options.push('--user', service.user);
  for (const mount of service.volumes ?? []) {
    options.push('-v', mount.includes('/var/lib/berth') ? `${volume}:/var/lib/berth` : mount);
  }
  if (service.cgroup) options.push('--cgroupns', service.cgroup);
  for (const rule of service.device_cgroup_rules ?? []) options.push('--device-cgroup-rule', rule);
  for (const capability of service.cap_add ?? []) options.push('--cap-add', capability);
  for (const option of service.security_opt ?? []) options.push('--security-opt', option);
  if (service.mem_limit) options.push('--memory', service.mem_limit);
  if (service.pids_limit) options.push('--pids-limit', String(service.pids_limit));
  return [...options, '--network', 'host'];
}

function composeService(name: string): ComposeService {
  const compose = parse(readFileSync(join(root, 'compose.yaml'), 'utf8')) as {
    services: Record<string, ComposeService>;
  };
  const service = compose.services[name];
  if (!service) throw new Error(`compose.yaml has no service ${name}`);
  return service;
}

async function newVolume(): Promise<string> {
  const name = `berth-test-${process.pid}-${volumes.length}`;
  await dockerCommand(['volume', 'create', name]);
  volumes.push(name);
  return name;
}

interface Started {
  readonly name: string;
  readonly url: string;
  readonly apiKey: string;
}

/**
 * Creates a key on a new volume (`keys create --init`, as the README says), then starts the service's
 * command — the image's own when compose.yaml gives none — on a free port, with `extra` arguments.
 */
async function startService(service: ComposeService, extra: readonly string[] = []): Promise<Started> {
  const volume = await newVolume();
  const user = service.user ? ['--user', service.user] : [];
  const apiKey = (
    await dockerCommand([
      'run',
      '--rm',
      ...user,
      '-v',
      `${volume}:/var/lib/berth`,
      tag,
      'keys',
      'create',
      '--name',
      'test',
      '--init',
    ])
  ).trim();
  expect(apiKey).toMatch(/^sk-berth-/);
  const port = await freePort();
  const name = `berth-test-${process.pid}-${containers.length}`;
  containers.push(name);
  await dockerCommand([
    'run',
    '-d',
    '--name',
    name,
    ...runOptions(service, volume),
    '-e',
    'OPENAI_API_KEY=sk-upstream',
    '-e',
    `OPENAI_BASE_URL=${upstream.baseURL}`,
    tag,
    // The port is a free one, not 8787: the host's network is shared here.
    ...(service.command ?? imageCommand),
    '--port',
    String(port),
    ...extra,
  ]);
  const url = `http://127.0.0.1:${port}`;
  await until(async () => {
    try {
      return (await fetch(`${url}/readyz`)).status === 200;
    } catch {
      const running = (await dockerCommand(['inspect', '--format', '{{.State.Running}}', name])).trim();
      if (running !== 'true') {
        const logs = await run('docker', ['logs', name]);
        throw new Error(`the Berth container stopped before it was ready:\n${logs.stdout}${logs.stderr}`);
      }
      return false;
    }
  }, 250);
  return { name, url, apiKey };
}

/** A hosted-shell response whose command runs in a sandbox inside the Berth container. */
async function shellResponse(started: Started): Promise<void> {
  upstream.script(
    {
      shellCalls: [
        {
          commands: [
            'echo made-in-docker > /mnt/data/out.txt && python3 -c "print(6 * 7)" && id -u && cat /mnt/data/out.txt',
          ],
        },
      ],
    },
    { text: 'done' },
  );
  const client = new OpenAI({ baseURL: `${started.url}/v1`, apiKey: started.apiKey, maxRetries: 0 });
  const response = await client.responses.create({
    model: 'gpt-5',
    input: 'run it',
    tools: [{ type: 'shell', environment: { type: 'container_auto' } }],
  });
  expect(response.status).toBe('completed');
  expect(response.output_text).toBe('done');
  const output = response.output.find((item) => item.type === 'shell_call_output');
  expect(output?.type === 'shell_call_output' ? output.output : undefined).toEqual([
    { stdout: '42\n0\nmade-in-docker\n', stderr: '', outcome: { type: 'exit', exit_code: 0 } },
  ]);
  const call = response.output.find((item) => item.type === 'shell_call');
  const containerId = (call as { environment?: { container_id?: string } } | undefined)?.environment
    ?.container_id;
  expect(containerId).toMatch(/^cntr_/);
  const files = await client.containers.files.list(containerId ?? '');
  expect(files.data.map((file) => file.path)).toContain('/mnt/data/out.txt');
}

/** `docker stop` (SIGTERM through tini) ends the server cleanly, inside Docker's 10 s grace. */
async function stopCleanly(started: Started): Promise<void> {
  await dockerCommand(['stop', started.name]);
  const state = JSON.parse(await dockerCommand(['inspect', '--format', '{{json .State}}', started.name])) as {
    ExitCode: number;
    OOMKilled: boolean;
  };
  expect(state).toMatchObject({ ExitCode: 0, OOMKilled: false });
  const logs = await run('docker', ['logs', started.name]);
  expect(logs.stdout + logs.stderr).toContain('SIGTERM received, shutting down');
}

describe.skipIf(skipReason !== undefined)(
  `the container image${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    beforeAll(async () => {
      upstream = await startFakeOpenAIResponsesUpstream();
      if (!process.env.BERTH_TEST_NODE_IMAGE) {
        await run(join(root, 'test/support/docker/build-node-base-image'), [baseImage, '22'], {
          timeout: 900_000,
        });
      }
      // The host's network: this machine's Docker daemon sets up no bridge, and npm and apt reach their
      // registries the way the host does.
      await dockerCommand(
        ['build', '--network', 'host', '--build-arg', `NODE_IMAGE=${baseImage}`, '-t', tag, root],
        1_200_000,
      );
      imageCommand = JSON.parse(
        await dockerCommand(['image', 'inspect', '--format', '{{json .Config.Cmd}}', tag]),
      ) as string[];
      expect(imageCommand).toEqual(['serve', '--host', '0.0.0.0']);
    }, 1_800_000);

    afterAll(async () => {
      for (const name of containers) await run('docker', ['rm', '-f', name]).catch(() => undefined);
      for (const name of volumes) await run('docker', ['volume', 'rm', '-f', name]).catch(() => undefined);
      await run('docker', ['image', 'rm', '-f', tag]).catch(() => undefined);
      // The classic builder keeps the build stage as a dangling image (over 1 GB): labelled for this.
      await run('docker', ['image', 'prune', '-f', '--filter', 'label=org.berth.stage=build']).catch(
        () => undefined,
      );
      await upstream?.close();
    });

    it('says its version and holds the product only', async () => {
      const packageVersion = (
        JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }
      ).version;
      expect((await dockerCommand(['run', '--rm', tag, '--version'])).trim()).toBe(packageVersion);
      const listing = await dockerCommand(['run', '--rm', '--entrypoint', 'ls', tag, '/opt/berth']);
      expect(listing.split('\n').filter(Boolean).sort()).toEqual([
        'bin',
        'dist',
        'node_modules',
        'package.json',
      ]);
      // Only the runtime's dependencies: no compiler, test runner or type checker was carried over.
      const modules = await dockerCommand([
        'run',
        '--rm',
        '--entrypoint',
        'ls',
        tag,
        '/opt/berth/node_modules',
      ]);
      for (const devOnly of ['vitest', 'typescript', 'esbuild', 'playwright-core'])
        expect(modules.split('\n')).not.toContain(devOnly);
      expect(modules.split('\n')).toContain('better-sqlite3');
    });

    it('on an empty volume says what to do: --init, then a key before listening beyond loopback', async () => {
      const volume = await newVolume();
      const serve = async (...args: string[]) =>
        run('docker', ['run', '--rm', '-v', `${volume}:/var/lib/berth`, tag, ...args]).then(
          () => ({ code: 0, stderr: '' }),
          (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr.trim() }),
        );
      // The image's own command.
      expect(await serve()).toEqual({
        code: 1,
        stderr:
          'berth: /var/lib/berth holds no Berth database. Check the path; to create a new database there, run the command again with --init.',
      });
      const initialised = await serve('serve', '--host', '0.0.0.0', '--init');
      expect(initialised.code).toBe(1);
      expect(initialised.stderr).toContain('Refusing to listen on 0.0.0.0 without API keys');
      expect(initialised.stderr).toContain('berth keys create --name NAME');
    });

    for (const driver of ['runc', 'runsc']) {
      it(`serves as root on ${driver}: ready, a hosted-shell response, dashboard, metrics, a clean stop`, async () => {
        // runc is what the image's `auto` picks as root; runsc is asked for.
        const started = await startService(
          composeService('berth'),
          driver === 'runsc' ? ['--driver', 'runsc'] : [],
        );
        const ready = (await (await fetch(`${started.url}/readyz`)).json()) as {
          status: string;
          checks: { sandbox: { driver: string; status: string } };
        };
        expect(ready).toMatchObject({ status: 'ready', checks: { sandbox: { driver, status: 'ok' } } });
        await shellResponse(started);
        expect((await fetch(`${started.url}/ui/`)).status).toBe(200);
        const metrics = await (await fetch(`${started.url}/metrics`)).text();
        expect(metrics).toMatch(new RegExp(`berth_containers_created_total\\{driver="${driver}"\\} 1`));
        await stopCleanly(started);
      });
    }

    it('serves without root on bwrap (compose.yaml: berth-rootless)', async () => {
      const service = composeService('berth-rootless');
      expect(service.user).toBe('berth');
      expect(service.command).toContain('bwrap');
      const started = await startService(service);
      await shellResponse(started);
      const whoami = await dockerCommand(['exec', started.name, 'id', '-un']);
      expect(whoami.trim()).toBe('berth');
      await stopCleanly(started);
    });
  },
);
