// npm run check:drivers — the first step of `npm test`: fails within seconds, naming the driver and why,
// when BERTH_REQUIRE_DRIVERS asks for a sandbox driver this machine cannot run, instead of after the
// type check and lint. vitest's global setup makes the same check for runs that start vitest directly.
import { missingRequiredDrivers, probeSandboxDrivers } from './probe-sandbox-drivers.js';

const missing = missingRequiredDrivers(await probeSandboxDrivers(), process.env);
if (missing.length > 0) {
  process.stderr.write(
    `BERTH_REQUIRE_DRIVERS=${process.env.BERTH_REQUIRE_DRIVERS ?? ''} asks for sandbox drivers this run cannot test:\n` +
      missing.map((line) => `  ${line}\n`).join(''),
  );
  process.exit(1);
}
