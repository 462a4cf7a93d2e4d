import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultSandboxConfig } from '../../src/config/load-config.js';
import { resolveImage } from '../../src/sandbox/resolve-image.js';
import { selectDriver } from '../../src/sandbox/select-driver.js';
import { ShellSession } from '../../src/sandbox/shell-session.js';

/**
 * Run by bwrap-unprivileged.test.ts as an unprivileged user (the tests run as root): what `auto`
 * picks without root, and what a session then is. Prints one JSON line.
 */
const dataDir = mkdtempSync(join(tmpdir(), 'berth-unprivileged-'));
try {
  const choice = await selectDriver({ ...defaultSandboxConfig, driver: 'auto' }, dataDir);
  const driver = choice.driver;
  if (!driver) throw new Error(choice.reason);
  const dir = join(dataDir, 'sandbox', 'containers', 'cntr_unprivileged');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const spec = {
    id: 'cntr_unprivileged',
    dir,
    image: await resolveImage(dataDir, 'host'),
    limits: { memoryBytes: 256 * 1024 ** 2, pids: 64, cpus: 1, diskBytes: 64 * 1024 ** 2 },
  };
  const sandbox = await driver.start(spec);
  const session = new ShellSession(sandbox.shellLauncher('default'));
  const options = { timeoutMs: 20_000, maxOutputBytes: 64 * 1024 };
  const identity = await session.run(
    'id -u; pwd; grep -E "^(CapEff|Seccomp):" /proc/$$/status | tr -s "\\t" " "; head -c1 /proc/$$/mem 2>/dev/null || echo "memory closed"',
    options,
  );
  const timeout = await session.run('sleep 30', { ...options, timeoutMs: 300 });
  const after = await session.run('ps -e -o args= | grep -c "^sleep 30$" || true', options);
  session.close();
  await driver.stop(spec.id, spec.dir);
  await driver.close();
  process.stdout.write(
    `${JSON.stringify({ driver: driver.name, capabilities: driver.capabilities, identity: identity.stdout, timeout: timeout.outcome, after: after.stdout })}\n`,
  );
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
