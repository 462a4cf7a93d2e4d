import { spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findHostDebianArchive } from './apt-sources.js';
import { findDebootstrap } from './debian-image.js';
import { findImage } from './image-store.js';
import { describeEachDriver } from '../../../test/support/sandbox-drivers-here.js';
import { startTestBerth, type TestBerth } from '../../../test/support/start-test-berth.js';

/**
 * The one real build of the suite: `berth image build debian` through the built CLI, with the real
 * debootstrap downloading from the host's Debian archive (a minute or so). It needs root and
 * debootstrap; without them it is skipped, and says why in its title.
 */
const skipReason =
  process.getuid?.() !== 0
    ? 'skipped: building an image needs root'
    : (await findDebootstrap()) === undefined
      ? 'skipped: debootstrap is not installed (apt-get install debootstrap)'
      : undefined;

const bin = join(import.meta.dirname, '../../../bin/berth.js');
const environment = { PATH: process.env.PATH ?? '', HOME: tmpdir() };

function berth(...args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: environment });
}

/** Runs the CLI without blocking the worker (the build takes a while). */
function berthAsync(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env: environment });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Runs `program --version` in the image, in a private mount namespace with a /dev of its own (git needs /dev/null). */
function versionInImage(rootfs: string, program: string): string {
  const script =
    'mount -t tmpfs -o mode=755 none "$1/dev" && mknod -m 666 "$1/dev/null" c 1 3 && chroot "$1" "$2" --version';
  const result = spawnSync('unshare', ['--mount', 'sh', '-c', script, 'sh', rootfs, program], {
    encoding: 'utf8',
  });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return result.stdout.split('\n')[0] ?? '';
}

function mountsUnder(directory: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((line) => line.includes(directory));
}

describe.skipIf(skipReason !== undefined)(
  `berth image build debian (real debootstrap) ${skipReason ?? ''}`,
  () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'berth-debian-image-'));
    let build: { status: number | null; stdout: string; stderr: string };
    let startedAt: number;
    beforeAll(async () => {
      startedAt = Math.floor(Date.now() / 1000);
      build = await berthAsync('image', 'build', 'debian', '--data-dir', dataDir);
    }, 20 * 60_000);
    afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

    it('builds the image with python3, node, git and curl that run, and says what it did', async () => {
      expect(build.stderr).toContain('berth: installing');
      expect(build.status).toBe(0);
      expect(build.stdout).toMatch(/^built debian: [\d.]+ MB, \S+ from \S+, in \d+ s$/m);

      const image = await findImage(dataDir, 'debian');
      expect(image?.rootfs).toBe(join(dataDir, 'images/debian/rootfs'));
      const rootfs = image?.rootfs ?? '';
      for (const program of ['python3', 'node', 'git', 'curl']) {
        expect(
          lstatSync(join(rootfs, 'usr/bin', program)).isFile() ||
            lstatSync(join(rootfs, 'usr/bin', program)).isSymbolicLink(),
        ).toBe(true);
      }
      expect(versionInImage(rootfs, '/usr/bin/python3')).toMatch(/^Python 3\./);
      expect(versionInImage(rootfs, '/usr/bin/node')).toMatch(/^v\d+\./);
      expect(versionInImage(rootfs, '/usr/bin/git')).toMatch(/^git version /);
      expect(versionInImage(rootfs, '/usr/bin/curl')).toMatch(/^curl /);
    });

    it('writes image.json last with what was built, and leaves nothing of the build or the host behind', async () => {
      const host = await findHostDebianArchive();
      const manifest: unknown = JSON.parse(readFileSync(join(dataDir, 'images/debian/image.json'), 'utf8'));
      expect(manifest).toEqual({
        name: 'debian',
        builtAt: expect.any(Number) as number,
        packages: ['python3', 'nodejs', 'git', 'curl', 'ca-certificates'],
        suite: host?.suite,
        mirror: host?.mirror,
        bytes: expect.any(Number) as number,
      });
      const { builtAt, bytes } = manifest as { builtAt: number; bytes: number };
      expect(builtAt).toBeGreaterThanOrEqual(startedAt);
      expect(builtAt).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
      expect(bytes).toBeGreaterThan(100e6);

      const rootfs = join(dataDir, 'images/debian/rootfs');
      expect(readdirSync(join(dataDir, 'images'))).toEqual(['debian']);
      expect(mountsUnder(dataDir)).toEqual([]);
      expect(readFileSync(join(rootfs, 'etc/hostname'), 'utf8')).toBe('berth\n');
      expect(readFileSync(join(rootfs, 'etc/resolv.conf'), 'utf8')).toBe('');
      expect(
        existsSync(join(rootfs, 'etc/machine-id'))
          ? readFileSync(join(rootfs, 'etc/machine-id'), 'utf8')
          : '',
      ).toBe('');
      expect(readdirSync(join(rootfs, 'var/lib/apt/lists'))).toEqual(['partial']);
      expect(readdirSync(join(rootfs, 'var/cache/apt/archives'))).toEqual(['partial']);
      expect(readdirSync(join(rootfs, 'dev'))).toEqual([]);
      for (const path of ['mnt/data', 'proc', 'sys', 'skills'])
        expect(lstatSync(join(rootfs, path)).isDirectory()).toBe(true);
      expect(lstatSync(join(rootfs, 'tmp')).mode & 0o7777).toBe(0o1777);
    });

    it(
      'keeps the image when a rebuild fails, and cleans up the failed build',
      async () => {
        const before = readFileSync(join(dataDir, 'images/debian/image.json'), 'utf8');
        const failed = await berthAsync(
          'image',
          'build',
          'debian',
          '--packages',
          'no-such-package-berth',
          '--data-dir',
          dataDir,
        );
        expect(failed.status).toBe(1);
        expect(failed.stderr).toContain('no-such-package-berth');
        expect(readFileSync(join(dataDir, 'images/debian/image.json'), 'utf8')).toBe(before);
        expect(readdirSync(join(dataDir, 'images'))).toEqual(['debian']);
        expect(mountsUnder(dataDir)).toEqual([]);
      },
      10 * 60_000,
    );

    // The image just built, in use: one Berth per driver on this data directory runs containers
    // from it through the HTTP API (the build takes minutes, so it is shared, not repeated per driver).
    describeEachDriver('a container from the built image on %s', (driver) => {
      let berth: TestBerth;
      let container: string;
      beforeAll(async () => {
        berth = await startTestBerth({ dataDir, sandbox: { driver, warmPool: 0 } });
        const created = await fetch(`${berth.baseURL}/containers`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name: `debian on ${driver}`, image: 'debian' }),
        });
        expect(created.status).toBe(200);
        container = ((await created.json()) as { id: string }).id;
      });
      afterAll(async () => {
        await berth?.close();
      });

      async function run(command: string): Promise<{ stdout: string; stderr: string; outcome: unknown }> {
        const response = await fetch(`${berth.baseURL}/containers/${container}/exec`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ commands: [command] }),
        });
        expect(response.status).toBe(200);
        const [result] = (
          (await response.json()) as { output: { stdout: string; stderr: string; outcome: unknown }[] }
        ).output;
        if (!result) throw new Error('no output');
        return result;
      }

      it("runs the image's own programs, not the host's", async () => {
        const rootfs = join(dataDir, 'images/debian/rootfs');
        // The image's /usr and package database, not the host's: the same listing as in the image.
        // Listed by python: coreutils' `ls` and `stat` fail under runsc here (statx answers EINVAL).
        const usrBin = await run(`python3 -c 'import os; print(len(os.listdir("/usr/bin")))'`);
        expect(usrBin.outcome).toEqual({ type: 'exit', exit_code: 0 });
        expect(Number(usrBin.stdout)).toBe(readdirSync(join(rootfs, 'usr/bin')).length);
        const packages = await run("grep -c '^Package:' /var/lib/dpkg/status");
        expect(Number(packages.stdout)).toBe(
          readFileSync(join(rootfs, 'var/lib/dpkg/status'), 'utf8').match(/^Package:/gm)?.length,
        );
        const versions = await run(
          'python3 --version; node --version; git --version; curl --version | head -1',
        );
        expect(versions.outcome).toEqual({ type: 'exit', exit_code: 0 });
        expect(versions.stdout).toMatch(/^Python 3\.\S+\nv\d+\.\S+\ngit version \S+\ncurl \S+/);
        expect((await run('cat /etc/hostname; id -u; pwd')).stdout).toBe('berth\n0\n/mnt/data\n');
      });

      it('keeps files and shell state, and runs what the image brings', async () => {
        await run('cd /tmp && export GREETING=hello');
        const script = await run(
          `printf 'import json,os\\nprint(json.dumps({"cwd": os.getcwd(), "greeting": os.environ.get("GREETING")}))\\n' > /mnt/data/check.py && python3 /mnt/data/check.py`,
        );
        expect(JSON.parse(script.stdout)).toEqual({ cwd: '/tmp', greeting: 'hello' });
        const node = await run(
          `node -e 'console.log(require("fs").readFileSync("/mnt/data/check.py", "utf8").length > 0)'`,
        );
        expect(node.stdout).toBe('true\n');
        const record = await fetch(`${berth.baseURL}/containers/${container}`);
        expect(await record.json()).toMatchObject({ id: container, status: 'running' });
      });
    });

    it('lists the image and removes it through the CLI', () => {
      const listed = berth('image', 'ls', '--data-dir', dataDir);
      expect(listed.status).toBe(0);
      const [header, row] = listed.stdout.trimEnd().split('\n');
      expect(header).toMatch(/^NAME\s+SIZE\s+BUILT_AT\s+PACKAGES$/);
      expect(row).toMatch(
        /^debian\s+[\d.]+ MB\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+python3,nodejs,git,curl,ca-certificates$/,
      );

      const removed = berth('image', 'rm', 'debian', '--data-dir', dataDir);
      expect(removed.status).toBe(0);
      expect(removed.stdout).toBe('removed debian\n');
      expect(readdirSync(join(dataDir, 'images'))).toEqual([]);
      expect(berth('image', 'ls', '--data-dir', dataDir).stdout).toBe('no images\n');
      const again = berth('image', 'rm', 'debian', '--data-dir', dataDir);
      expect(again.status).toBe(1);
      expect(again.stderr).toContain("no image named 'debian'");
    });
  },
);
