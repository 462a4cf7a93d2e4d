import type { ShellHost } from '../containers/shell-host.js';
import { BerthError } from '../errors/berth-error.js';
import type { ShellSetup, ShellToolParams } from './shell-tool.js';
import { skillsInstructions } from './skills-instructions.js';

/** Idle minutes before a `container_auto` container expires: OpenAI's default for containers. */
const autoContainerExpiryMinutes = 20;

/**
 * Settles where a response's shell calls run. `container_reference` must name a running container of
 * the project; `container_auto` creates one now, before the response starts, so the response (and its
 * `response.created` event) can already name it and a failure to provision is a clear 4xx with nothing
 * run. The tool is then echoed as a `container_reference`, so the client can reuse the container.
 */
export async function provisionShellEnvironment(
  tool: ShellToolParams,
  toolIndex: number,
  projectId: string,
  containers: ShellHost,
  responseId: string,
): Promise<ShellSetup> {
  const environment = tool.environment ?? null;
  const param = `tools[${toolIndex}].environment`;
  if (environment === null || environment.type === 'local') {
    return {
      mode: 'client',
      environment: environment === null ? null : { type: 'local' },
      echo: { type: 'shell', environment },
    };
  }
  let containerId: string;
  if (environment.type === 'container_reference') {
    await withParam(param + '.container_id', () =>
      containers.getRunning(projectId, environment.container_id),
    );
    containerId = environment.container_id;
  } else {
    const created = await withParam(param, () =>
      containers.create(projectId, {
        name: `auto ${responseId}`,
        expiresAfterMinutes: autoContainerExpiryMinutes,
        memoryLimit: environment.memory_limit ?? '1g',
        fileIds: environment.file_ids ?? [],
        skills: environment.skills ?? [],
        networkPolicy: environment.network_policy && {
          policy: environment.network_policy,
          param: 'network_policy',
        },
      }),
    );
    containerId = created.id;
  }
  const reference = { type: 'container_reference', container_id: containerId } as const;
  return {
    mode: 'hosted',
    containerId,
    environment: reference,
    echo: { type: 'shell', environment: reference },
    instructions: skillsInstructions(await containers.skillsOf(projectId, containerId)),
  };
}

/** Runs `work`, reporting its errors' `param` under the tool's (`file_ids[0]` → `tools[0].environment.file_ids[0]`). */
async function withParam<T>(prefix: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof BerthError) || !error.isUserError) throw error;
    const param = error.param === null ? prefix : `${prefix}.${error.param}`;
    throw new BerthError(error.code, error.message, {
      param,
      status: error.status,
      type: error.type,
      wireCode: error.wireCode,
      cause: error,
    });
  }
}
