import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SandboxConfig } from '../../src/config/config-schema.js';
import { defaultSandboxConfig } from '../../src/config/load-config.js';
import { DriverUnavailableError, selectDriver } from '../../src/sandbox/select-driver.js';

/**
 * Run by select-driver.test.ts in a host it has changed (a tool hidden or broken in a private mount
 * namespace, or as an unprivileged user): what `selectDriver` answers for each driver named on the
 * command line. Prints one JSON line: per driver, the driver chosen and why, or the error.
 */
const answers: Record<string, unknown> = {};
const dataDir = mkdtempSync(join(tmpdir(), 'berth-select-driver-'));
try {
  for (const name of process.argv.slice(2)) {
    try {
      const choice = await selectDriver(
        { ...defaultSandboxConfig, driver: name as SandboxConfig['driver'] },
        dataDir,
      );
      answers[name] = { driver: choice.driver?.name ?? null, reason: choice.reason };
      await choice.driver?.close();
    } catch (error) {
      answers[name] = {
        error: error instanceof Error ? error.message : String(error),
        unavailable: error instanceof DriverUnavailableError,
      };
    }
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
process.stdout.write(`${JSON.stringify(answers)}\n`);
