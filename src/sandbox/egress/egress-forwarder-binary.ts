import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, rename } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/**
 * The static forwarder `npm run build` makes (`dist/egress-forwarder`), found from this module in
 * `dist/` or in `src/` (tests); null when it was not built (no C compiler at build time).
 */
export function builtEgressForwarder(): string | null {
  for (const relative of ['../../egress-forwarder', '../../../dist/egress-forwarder']) {
    const path = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(path)) return path;
  }
  return null;
}

/**
 * A copy of the forwarder in `directory` (created 0755), which every sandbox's user can reach: the
 * package may sit under a directory only root can search (`/root`), and the drivers bind it from the
 * host as the sandbox's user sees the host.
 */
export async function stageEgressForwarder(built: string, directory: string): Promise<string> {
  await mkdir(directory, { recursive: true, mode: 0o755 });
  await chmod(directory, 0o755);
  const target = `${directory}/egress-forwarder`;
  await copyFile(built, `${target}.${process.pid}.new`);
  await chmod(`${target}.${process.pid}.new`, 0o755);
  await rename(`${target}.${process.pid}.new`, target);
  return target;
}
