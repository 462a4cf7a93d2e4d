import { execFileSync } from 'node:child_process';
import { describe, inject } from 'vitest';
import type { SandboxDriverName } from '../../src/config/config-schema.js';
import { driverList, knownDrivers } from './probe-sandbox-drivers.js';

export { knownDrivers };

/** Why each known driver cannot run here; a driver that can is absent. Probed once per run. */
export type DriverProblems = Readonly<Partial<Record<SandboxDriverName, string>>>;

declare module 'vitest' {
  export interface ProvidedContext {
    /** Set by `vitest.global-setup.ts` from `selectDriver`'s own checks. */
    readonly sandboxDriverProblems: DriverProblems;
  }
}

/**
 * Why the tests of `driver` are skipped in this run, or undefined when they run: the driver cannot run
 * here (the reason `selectDriver` gives), or `BERTH_TEST_DRIVERS` narrowed the run to other drivers.
 */
export function driverSkipReason(driver: SandboxDriverName): string | undefined {
  const problems = inject('sandboxDriverProblems') as DriverProblems | undefined;
  if (!problems) throw new Error('sandbox drivers were not probed: run the tests through vitest.config.ts');
  const problem = problems[driver];
  if (problem) return problem;
  // BERTH_TEST_DRIVERS=runsc,bwrap narrows a local run to some drivers; CI runs every one.
  const wanted = driverList(process.env.BERTH_TEST_DRIVERS);
  if (wanted.length > 0 && !wanted.includes(driver)) return `not in BERTH_TEST_DRIVERS=${wanted.join(',')}`;
  return undefined;
}

/** The drivers whose tests run in this run (see `driverSkipReason`). */
export function sandboxDriversHere(): SandboxDriverName[] {
  return knownDrivers.filter((driver) => driverSkipReason(driver) === undefined);
}

/**
 * `describe(title, body)` once per known driver, `%s` in the title replaced by the driver's name; the
 * block of a driver that does not run here is declared all the same and skipped, its title saying why,
 * so `vitest run` counts it as skipped instead of never seeing it. (`vitest list` leaves out what is
 * skipped at collection, so there a driver missing here still shows as fewer tests; a run with
 * `BERTH_REQUIRE_DRIVERS` fails instead.)
 */
export function describeEachDriver(title: string, body: (driver: SandboxDriverName) => void): void {
  for (const driver of knownDrivers) {
    const reason = driverSkipReason(driver);
    const name = title.replaceAll('%s', driver) + (reason ? ` (skipped: ${reason})` : '');
    describe.skipIf(reason !== undefined)(name, () => body(driver));
  }
}

/** Why a test that needs root is skipped (as a title suffix), or '' when it runs. */
export function rootOnly(): { readonly skip: boolean; readonly because: string } {
  const skip = process.getuid?.() !== 0;
  return { skip, because: skip ? ' (skipped: needs root)' : '' };
}

/** Whether `tool --version` runs here. */
export function installed(tool: string): boolean {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
