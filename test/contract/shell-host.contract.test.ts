import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../src/clock.js';
import type { SandboxDriverName } from '../../src/config/config-schema.js';
import { defaultSandboxConfig } from '../../src/config/load-config.js';
import { ContainerService } from '../../src/containers/container-service.js';
import type { CommandResult } from '../../src/containers/shell-host.js';
import { FileService } from '../../src/files/file-service.js';
import { createRandomIdGenerator } from '../../src/ids.js';
import { silentLogger } from '../../src/logger.js';
import { resolveImage } from '../../src/sandbox/resolve-image.js';
import { selectDriver } from '../../src/sandbox/select-driver.js';
import { SkillService } from '../../src/skills/skill-service.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import {
  exited,
  InMemoryShellHost,
  sleepUnlessInterrupted,
  type ScriptedCommand,
} from '../support/in-memory-shell-host.js';
import { sandboxDriversHere } from '../support/sandbox-drivers-here.js';
import {
  contractCommands,
  shellHostContract,
  startedLine,
  type ShellHostUnderTest,
} from './shell-host.contract.js';

/**
 * The in-memory host's shell: each contract command answered as bash answers it, with the state
 * (cwd, variables, files) kept where the host keeps it. The host itself adds the plumbing under test.
 */
async function contractScript(command: string, context: ScriptedCommand): Promise<CommandResult> {
  const { session } = context;
  switch (command) {
    case contractCommands.hello:
      return exited('hello\n');
    case contractCommands.exitThree:
      return exited('', 3);
    case contractCommands.toStderr:
      return exited('', 0, 'oops\n');
    case contractCommands.setState:
      session.cwd = '/tmp';
      session.env.set('CONTRACT_MARK', 'kept');
      return exited('');
    case contractCommands.showState:
      return exited(`${session.cwd} [${session.env.get('CONTRACT_MARK') ?? ''}]\n`);
    case contractCommands.slow:
      context.write('stdout', `${startedLine}\n`);
      await sleepUnlessInterrupted(30_000, context.signal);
      return exited('finished\n');
    case contractCommands.writeFile:
      context.files.set('/mnt/data/contract.txt', 'data\n');
      return exited('');
    default:
      return exited('', 127, `bash: ${command.split(' ')[0] ?? ''}: command not found\n`);
  }
}

shellHostContract('in-memory', () =>
  Promise.resolve({
    host: new InMemoryShellHost({ script: contractScript }),
    projectId: 'proj_contract',
    otherProjectId: 'proj_other',
    close: () => Promise.resolve(),
  }),
);

/** `ContainerService` as `startRuntime` builds it, on a real SQLite store and a real driver. */
async function openContainerService(driverName: SandboxDriverName): Promise<ShellHostUnderTest> {
  const dataDir = mkdtempSync(join(tmpdir(), `berth-shell-host-${driverName}-`));
  const store = await openSqliteStore(join(dataDir, 'berth.sqlite'));
  const ids = createRandomIdGenerator();
  const common = { ids, clock: systemClock, logger: silentLogger };
  const files = new FileService({
    ...common,
    store: store.files,
    directory: join(dataDir, 'files'),
    maxBytes: 1024 ** 2,
  });
  const skills = new SkillService({ ...common, store: store.skills, directory: join(dataDir, 'skills') });
  const config = { ...defaultSandboxConfig, driver: driverName, warmPool: 0 };
  const choice = await selectDriver(config, dataDir);
  if (!choice.driver) throw new Error(`driver ${driverName} unavailable: ${choice.reason}`);
  const containers = new ContainerService({
    ...common,
    store: store.containers,
    egressLog: store.egressLog,
    files,
    skills,
    driver: choice.driver,
    config,
    directory: join(dataDir, 'sandbox'),
    resolveImage: (name) => resolveImage(dataDir, name),
  });
  await containers.start();
  return {
    host: containers,
    projectId: 'proj_contract',
    otherProjectId: 'proj_other',
    async close() {
      await containers.close();
      await files.close();
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

for (const driver of sandboxDriversHere()) {
  shellHostContract(`ContainerService on ${driver}`, () => openContainerService(driver));
}
