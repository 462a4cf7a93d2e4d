import { ensureHostImage } from './host-image.js';
import { findImage } from './images/image-store.js';
import type { SandboxImage } from './sandbox-driver.js';

/**
 * The root a container starts from: `host` (assembled on first use, nothing to build) or an image
 * built with `berth image build` under `<dataDir>/images/<name>`.
 */
export async function resolveImage(dataDir: string, name: string): Promise<SandboxImage> {
  if (name === 'host') return ensureHostImage(`${dataDir}/sandbox/images`);
  const image = await findImage(dataDir, name);
  if (!image) throw new ImageNotFoundError(name);
  return { name, rootfs: image.rootfs, bindHostUsr: false };
}

export class ImageNotFoundError extends Error {
  constructor(name: string) {
    super(`The image "${name}" has not been built: run \`berth image build ${name}\` first.`);
  }
}
