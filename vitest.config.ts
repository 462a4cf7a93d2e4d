import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['vitest.global-setup.ts'],
    // Hang guards, not performance limits: with three files on two cores a test that takes 25 s alone
    // (a CLI test starting several servers, a gVisor escape attempt) takes twice that, so only a test
    // that never finishes may fail on time. No test sets a shorter one of its own.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Vitest's default is one worker per core less one, which on a 2-core machine (CI's) runs the
    // files one after another. Most of the suite waits on sandboxes, loopback servers and child
    // processes rather than computing, so at least three files run at once: CI's run drops from
    // ~1,065 s to ~620 s, and every run proves the suite is stable with files contending for the
    // same cores, cgroups and loopback addresses.
    maxWorkers: Math.max(3, availableParallelism() - 1),
  },
});
