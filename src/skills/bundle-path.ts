import { maxBundlePathBytes } from './skill-limits.js';

/**
 * A path inside a skill bundle as its segments, or the reason it is refused. A bundle's paths become
 * files on the host (under the bundle's own directory) and inside every sandbox it is mounted in, so
 * anything that could name a place outside the bundle, or mean different things to different tools,
 * is refused rather than cleaned up: absolute paths, `.` and `..` segments (zip-slip), backslashes
 * (a separator on Windows, a name character on Linux), NUL and other control characters, empty
 * segments, and segments or paths too long for the file system.
 */
export function parseBundlePath(raw: string): { segments: string[] } | { problem: string } {
  const shown = JSON.stringify(raw.slice(0, 200));
  if (raw.length === 0) return { problem: 'a file has an empty path' };
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(raw)) return { problem: `the path ${shown} contains a control character` };
  if (raw.includes('\\')) return { problem: `the path ${shown} contains a backslash` };
  if (raw.startsWith('/') || /^[A-Za-z]:/.test(raw)) return { problem: `the path ${shown} is absolute` };
  if (Buffer.byteLength(raw) > maxBundlePathBytes) return { problem: `the path ${shown} is too long` };
  const segments = raw.split('/');
  for (const segment of segments) {
    if (segment === '..' || segment === '.') return { problem: `the path ${shown} leaves its folder` };
    if (segment === '') return { problem: `the path ${shown} has an empty segment` };
    if (Buffer.byteLength(segment) > 255) return { problem: `the path ${shown} has a name over 255 bytes` };
  }
  return { segments };
}
