import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SandboxDriverName } from '../../src/config/config-schema.js';
import { defaultSandboxConfig } from '../../src/config/load-config.js';
import { selectDriver } from '../../src/sandbox/select-driver.js';

/**
 * Every sandbox driver Berth ships, in the order suites run them. Suites that run per driver declare
 * their tests once for each of them, always (see `describeEachDriver`).
 */
export const knownDrivers: readonly SandboxDriverName[] = ['runc', 'runsc', 'bwrap'];
const drivers = knownDrivers;

/** The names a comma list (`BERTH_REQUIRE_DRIVERS`, `BERTH_TEST_DRIVERS`) holds, blanks dropped. */
export function driverList(list: string | undefined): string[] {
  return (list ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
}

/**
 * Asks `selectDriver` (the server's own start-up check) for each driver in turn and keeps why each one
 * that cannot run here cannot: the tests then skip exactly what the server would refuse to run. The
 * drivers are built but never started, so this takes a few `--version` calls.
 */
export async function probeSandboxDrivers(): Promise<Partial<Record<SandboxDriverName, string>>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-driver-probe-'));
  const problems: Partial<Record<SandboxDriverName, string>> = {};
  try {
    for (const driver of drivers) {
      try {
        const choice = await selectDriver({ ...defaultSandboxConfig, driver }, dataDir);
        if (!choice.driver) problems[driver] = choice.reason;
        await choice.driver?.close();
      } catch (error) {
        problems[driver] = error instanceof Error ? error.message : String(error);
      }
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  return problems;
}

/**
 * What `BERTH_REQUIRE_DRIVERS` asks for that this run cannot give, one line per driver (empty when
 * every required driver runs): an unknown name, a driver that cannot run here, or one that
 * `BERTH_TEST_DRIVERS` leaves out.
 */
export function missingRequiredDrivers(
  problems: Partial<Record<SandboxDriverName, string>>,
  environment: NodeJS.ProcessEnv,
): string[] {
  const wanted = driverList(environment.BERTH_TEST_DRIVERS);
  const missing: string[] = [];
  for (const name of driverList(environment.BERTH_REQUIRE_DRIVERS)) {
    if (!(drivers as readonly string[]).includes(name)) {
      missing.push(`${name}: not a sandbox driver (known: ${drivers.join(', ')})`);
      continue;
    }
    const problem = problems[name as SandboxDriverName];
    if (problem) missing.push(`${name}: ${problem}`);
    else if (wanted.length > 0 && !wanted.includes(name))
      missing.push(`${name}: BERTH_TEST_DRIVERS=${wanted.join(',')} leaves it out`);
  }
  return missing;
}
