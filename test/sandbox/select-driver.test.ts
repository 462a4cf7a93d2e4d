import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostPath } from '../../src/sandbox/host-command.js';
import { nobodyCanReadCheckout, runScriptAsNobody } from '../support/run-as-nobody.js';
import { rootOnly } from '../support/sandbox-drivers-here.js';

type Answer =
  | { readonly driver: string | null; readonly reason: string }
  | { readonly error: string; readonly unavailable: boolean };

const check = join(import.meta.dirname, 'select-driver-check.ts');

/** Where the host finds `tool` (the PATH Berth looks tools up in). */
function hostTool(tool: string): string {
  return execFileSync('sh', ['-c', `command -v ${tool}`], {
    env: { PATH: hostPath },
    encoding: 'utf8',
  }).trim();
}

const root = rootOnly();

/**
 * `selectDriver`, the choice a server makes at start-up: `auto`'s pick and each "driver unavailable"
 * error, on this host as it is and on hosts it is made into for one child process: a tool hidden (an
 * unexecutable file bound over it in a private mount namespace), bwrap unable to make namespaces (a
 * stand-in that says so, bound over it the same way), or a server without root.
 */
describe.skipIf(root.skip)(`selectDriver${root.because}`, () => {
  let scratch: string;
  let hidden: string;
  let brokenBwrap: string;

  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'berth-select-driver-test-'));
    hidden = join(scratch, 'hidden');
    writeFileSync(hidden, '', { mode: 0o644 });
    brokenBwrap = join(scratch, 'bwrap');
    writeFileSync(
      brokenBwrap,
      '#!/bin/sh\n[ "$1" = --version ] && { echo "bubblewrap 0.0.0"; exit 0; }\necho "bwrap: No permissions to create new namespace" >&2\nexit 1\n',
    );
    chmodSync(brokenBwrap, 0o755);
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  /** `selectDriver` for each of `drivers`, with some tools replaced (tool → file bound over it). */
  function select(
    drivers: readonly string[],
    replaced: Readonly<Record<string, string>> = {},
  ): Record<string, Answer> {
    const mounts = Object.entries(replaced)
      .map(([tool, file]) => `mount --bind '${file}' '${hostTool(tool)}' && `)
      .join('');
    const result = spawnSync(
      'unshare',
      [
        '--mount',
        '--propagation',
        'private',
        'sh',
        '-c',
        `${mounts}exec "$@"`,
        'sh',
        process.execPath,
        '--import',
        'tsx',
        check,
        ...drivers,
      ],
      { encoding: 'utf8', cwd: process.cwd(), timeout: 60_000 },
    );
    expect(result.stderr).toBe('');
    return JSON.parse(result.stdout) as Record<string, Answer>;
  }

  it('picks each driver that is asked for, and runc for auto as root', () => {
    const answers = select(['none', 'runc', 'runsc', 'bwrap', 'auto']);
    expect(answers).toEqual({
      none: { driver: null, reason: 'containers are off (sandbox.driver is "none")' },
      runc: { driver: 'runc', reason: expect.stringMatching(/^runc \S+$/) as unknown },
      runsc: {
        driver: 'runsc',
        reason: expect.stringMatching(/^runsc \S+ \(gVisor, ptrace platform\)$/) as unknown,
      },
      bwrap: {
        driver: 'bwrap',
        reason: expect.stringMatching(
          /^bubblewrap \S+; as root: memory, process and CPU limits through cgroups; no disk quota$/,
        ) as unknown,
      },
      auto: {
        driver: 'runc',
        reason: expect.stringMatching(
          /^runc \S+ \(auto: running as root and runc is installed\)$/,
        ) as unknown,
      },
    });
  });

  it('names the missing runc or runsc and its Debian package, and auto falls back to bwrap', () => {
    const answers = select(['runc', 'runsc', 'auto'], { runc: hidden, runsc: hidden });
    expect(answers).toEqual({
      runc: {
        error:
          'The runc sandbox driver cannot run here: runc is not installed (Debian package "runc": apt-get install runc).',
        unavailable: true,
      },
      runsc: {
        error:
          'The runsc sandbox driver cannot run here: runsc is not installed (Debian package "runsc": apt-get install runsc).',
        unavailable: true,
      },
      auto: {
        driver: 'bwrap',
        reason: expect.stringMatching(
          /^bubblewrap \S+ \(auto: runc is not installed\); as root: /,
        ) as unknown,
      },
    });
  });

  it('names the missing bwrap and its package, and auto turns containers off with neither', () => {
    const answers = select(['bwrap', 'auto'], { runc: hidden, bwrap: hidden });
    expect(answers).toEqual({
      bwrap: {
        error:
          'The bwrap sandbox driver cannot run here: bwrap is not installed (Debian package "bubblewrap": apt-get install bubblewrap).',
        unavailable: true,
      },
      auto: {
        driver: null,
        reason:
          'containers are off: neither runc (as root) nor bwrap is installed (Debian packages "runc", "bubblewrap")',
      },
    });
  });

  it('says bwrap cannot make user namespaces, and auto turns containers off', () => {
    const answers = select(['bwrap', 'auto'], { runc: hidden, bwrap: brokenBwrap });
    const problem =
      /bwrap cannot create a user namespace here \(.*No permissions to create new namespace.*\); enable unprivileged user namespaces \(sysctl user\.max_user_namespaces\)/;
    expect(answers.bwrap).toEqual({
      error: expect.stringMatching(
        new RegExp(`^The bwrap sandbox driver cannot run here: ${problem.source}\\.$`),
      ) as unknown,
      unavailable: true,
    });
    expect(answers.auto).toEqual({
      driver: null,
      reason: expect.stringMatching(new RegExp(`^containers are off: ${problem.source}$`)) as unknown,
    });
  });

  it.skipIf(!nobodyCanReadCheckout())(
    'without root: runc and runsc need root, and auto picks bwrap with no limits',
    () => {
      const result = runScriptAsNobody(check, ['runc', 'runsc', 'auto']);
      expect(result.stderr).toBe('');
      expect(JSON.parse(result.stdout)).toEqual({
        runc: {
          error: 'The runc sandbox driver cannot run here: it needs the server to run as root.',
          unavailable: true,
        },
        runsc: {
          error: 'The runsc sandbox driver cannot run here: it needs the server to run as root.',
          unavailable: true,
        },
        auto: {
          driver: 'bwrap',
          reason: expect.stringMatching(
            /^bubblewrap \S+ \(auto: not running as root\); not root: no memory, process, CPU or disk limits$/,
          ) as unknown,
        },
      });
    },
    60_000,
  );
});
