import { execFileSync } from 'node:child_process';
import type { TestProject } from 'vitest/node';
import { missingRequiredDrivers, probeSandboxDrivers } from './test/support/probe-sandbox-drivers.js';

/**
 * Before any test file loads:
 * - probes which sandbox drivers can run here and hands the answer to the test files (per-driver suites
 *   skip, with the reason in their titles, the drivers that cannot);
 * - fails the whole run at once when `BERTH_REQUIRE_DRIVERS` (a comma list; CI sets every driver)
 *   names a driver that cannot run here, so a green run proves those drivers were tested;
 * - builds `dist/` from the current source, which the CLI tests run through the real `bin/berth.js`,
 *   and the dashboard into `dist/ui`, which the browser tests load.
 */
export default async function setup(project: TestProject): Promise<void> {
  const problems = await probeSandboxDrivers();
  const missing = missingRequiredDrivers(problems, process.env);
  if (missing.length > 0) {
    throw new Error(
      `BERTH_REQUIRE_DRIVERS=${process.env.BERTH_REQUIRE_DRIVERS ?? ''} asks for sandbox drivers this run cannot test:\n` +
        missing.map((line) => `  ${line}`).join('\n'),
    );
  }
  project.provide('sandboxDriverProblems', problems);
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    stdio: 'inherit',
  });
  execFileSync(process.execPath, ['scripts/build-ui.mjs'], { stdio: 'inherit' });
}
