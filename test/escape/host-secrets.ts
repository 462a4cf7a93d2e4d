import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { databasePath } from '../../src/runtime/start-runtime.js';
import { canaryEnvName, expectFailure, type EscapeBerth } from './escape-berth.js';

/** Host secrets: nothing of the host's files, the server's data or its environment is readable. */
export function describeHostSecrets(escape: EscapeBerth): void {
  describe('host secrets', () => {
    let container: string;

    beforeAll(async () => {
      container = await escape.createContainer('alpha', 'secrets');
    });

    it("cannot read the host's /etc: shadow, gshadow, passwd, ssh keys", async () => {
      const shadow = await escape.run('alpha', container, 'cat /etc/shadow');
      expectFailure(shadow, 1, /cat: \/etc\/shadow: No such file or directory/);
      expect(shadow.stdout).toBe('');
      const gshadow = await escape.run('alpha', container, 'cat /etc/gshadow');
      expectFailure(gshadow, 1, /cat: \/etc\/gshadow: No such file or directory/);
      const ssh = await escape.run('alpha', container, 'cd /etc/ssh');
      expectFailure(ssh, 1, /cd: \/etc\/ssh: No such file or directory/);
      // Through pid 1's root too: it is the sandbox's own root, not the host's.
      const viaProc = await escape.run('alpha', container, 'cat /proc/1/root/etc/shadow');
      // (Permission denied where pid 1 is the session shell itself, which is not dumpable.)
      expectFailure(
        viaProc,
        1,
        /cat: \/proc\/1\/root\/etc\/shadow: (No such file or directory|Permission denied)/,
      );
      const passwd = await escape.run('alpha', container, 'cat /etc/passwd');
      expect(passwd.stdout).not.toBe(readFileSync('/etc/passwd', 'utf8'));
    });

    it("cannot read the host's /root", async () => {
      // The sandbox's own /root: empty, or not there at all.
      const listing = await escape.run(
        'alpha',
        container,
        `python3 -c 'import os; print(os.listdir("/root"))'`,
      );
      if (listing.outcome.type === 'exit' && listing.outcome.exit_code !== 0)
        expectFailure(listing, 1, /FileNotFoundError/);
      else expect(listing.stdout).toBe('[]\n');
      const canaryPath = escape.hostCanaryPath;
      if (canaryPath) {
        const canary = await escape.run('alpha', container, `cat ${canaryPath}`);
        expectFailure(canary, 1, /No such file or directory/);
      }
    });

    it("cannot read the server's data directory, its database or its runtime state", async () => {
      const dataDir = escape.dataDir;
      const listing = await escape.run('alpha', container, `cd ${dataDir}`);
      expectFailure(listing, 1, /No such file or directory/);
      const database = await escape.run('alpha', container, `cat ${databasePath(dataDir)}`);
      expectFailure(database, 1, /No such file or directory/);
      const canary = await escape.run('alpha', container, `cat ${dataDir}/escape-canary`);
      expectFailure(canary, 1, /No such file or directory/);
      // Anywhere in the sandbox's own tree (the read-only /usr, /proc, /sys and /dev aside).
      const search = await escape.run(
        'alpha',
        container,
        `find / \\( -path /proc -o -path /sys -o -path /usr -o -path /dev \\) -prune -o \\( -name 'berth.sqlite*' -o -name escape-canary -o -name 'berth-escape-*' \\) -print`,
      );
      expect(search).toMatchObject({ stdout: '', outcome: { type: 'exit', exit_code: 0 } });
      // The driver's runtime state on the host (/run/berth: bundles, mount points) is not there either.
      const runDir = await escape.run('alpha', container, 'cd /run/berth');
      expectFailure(runDir, 1, /cd: \/run\/berth: No such file or directory/);
    });

    it('/proc/mounts names no host path: not the data directory, not the runtime directory', async () => {
      // The kernel prints a mount's options as they were given: an overlay's lowerdir and upperdir
      // would tell the sandbox where the server keeps its data (and under whose home).
      const [mounts, own] = await escape.exec('alpha', container, [
        'cat /proc/mounts',
        'cat /proc/self/mounts',
      ]);
      for (const result of [mounts, own]) {
        expect(result).toMatchObject({ outcome: { type: 'exit', exit_code: 0 } });
        expect(result?.stdout).toMatch(/ \/ /); // The root is listed: the file was read.
        expect(result?.stdout).not.toContain(escape.dataDir);
        expect(result?.stdout).not.toContain('/run/berth');
        expect(result?.stdout).not.toMatch(/(lowerdir|upperdir|workdir)=\//);
      }
    });

    it("never sees the server's environment: env, /proc/*/environ", async () => {
      const canary = process.env[canaryEnvName] ?? '';
      expect(canary).not.toBe('');
      const [env, environs, own] = await escape.exec('alpha', container, [
        'env',
        "cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n'",
        "tr '\\0' '\\n' < /proc/self/environ",
      ]);
      for (const result of [env, environs, own]) {
        expect(result?.stdout).not.toContain(canary);
        expect(result?.stdout).not.toContain(canaryEnvName);
        // Nothing of the test runner's environment either (npm's proxy settings are Berth's own).
        expect(result?.stdout).not.toMatch(
          /^(VITEST|NODE_OPTIONS|npm_(?!config_(https_)?proxy=http:\/\/127\.0\.0\.1:3128$))/m,
        );
      }
      expect(env?.stdout).toMatch(/^PATH=/m);
    });
  });
}
