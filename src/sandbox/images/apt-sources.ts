import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** One entry of apt's sources, from either the one-line format or a deb822 stanza. */
export interface AptSource {
  /** `deb`, `deb-src`. */
  readonly types: readonly string[];
  readonly uris: readonly string[];
  readonly suites: readonly string[];
  readonly components: readonly string[];
  /** `Signed-By` / `signed-by=`: a keyring path, or an inline key block (deb822 only). */
  readonly signedBy: string | undefined;
  /** False for a deb822 stanza with `Enabled: no`. */
  readonly enabled: boolean;
}

/** The archive an image is bootstrapped from. */
export interface DebianArchive {
  /** The archive's base URI, as given to `debootstrap` (`http://deb.debian.org/debian`). */
  readonly mirror: string;
  /** A release codename or alias `debootstrap` knows (`bookworm`, `stable`). */
  readonly suite: string;
  /** The keyring apt checks this archive with, when the sources name one that exists as a file. */
  readonly keyring: string | undefined;
}

/** Parses `/etc/apt/sources.list` (and `*.list`): `deb [option=value …] uri suite component…`. */
export function parseOneLineSources(text: string): AptSource[] {
  const sources: AptSource[] = [];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/#.*/, '').trim();
    const match = /^(\S+)\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)(.*)$/.exec(line);
    if (!match) continue;
    const [, type = '', options = '', uri = '', suite = '', rest = ''] = match;
    const signedBy = /(?:^|\s)signed-by=(\S+)/.exec(options)?.[1];
    sources.push({
      types: [type],
      uris: [uri],
      suites: [suite],
      components: rest.split(/\s+/).filter(Boolean),
      signedBy,
      enabled: true,
    });
  }
  return sources;
}

/** Parses a deb822 `*.sources` file: stanzas of `Field: value`, continuation lines indented. */
export function parseDeb822Sources(text: string): AptSource[] {
  const sources: AptSource[] = [];
  let fields = new Map<string, string>();
  let lastField: string | undefined;
  const endStanza = (): void => {
    if (fields.size > 0) sources.push(toSource(fields));
    fields = new Map();
    lastField = undefined;
  };
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    if (line.trim() === '') {
      endStanza();
    } else if (/^\s/.test(line)) {
      // A continuation line (an inline Signed-By key spans many); " ." stands for an empty line.
      if (lastField !== undefined) fields.set(lastField, `${fields.get(lastField) ?? ''}\n${line.trim()}`);
    } else {
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      lastField = line.slice(0, colon).trim().toLowerCase();
      fields.set(lastField, line.slice(colon + 1).trim());
    }
  }
  endStanza();
  return sources;
}

function toSource(fields: ReadonlyMap<string, string>): AptSource {
  const words = (field: string): string[] => (fields.get(field) ?? '').split(/\s+/).filter(Boolean);
  return {
    types: words('types'),
    uris: words('uris'),
    suites: words('suites'),
    components: words('components'),
    signedBy: fields.get('signed-by') || undefined,
    enabled: (fields.get('enabled') ?? 'yes').toLowerCase() !== 'no',
  };
}

export interface PickArchiveOptions {
  /** The host's release codename (`VERSION_CODENAME` in `/etc/os-release`), preferred when present. */
  readonly codename: string | undefined;
  /** Whether `debootstrap` can bootstrap this suite (it has a script for it). */
  readonly isBootstrappable: (suite: string) => boolean;
}

/**
 * Picks the main Debian archive among the host's sources: an enabled `deb` entry with the `main`
 * component, over http(s) or file, whose suite `debootstrap` knows. That rule leaves out the update
 * and security pockets (`bookworm-updates`, `bookworm-security`) and third-party repositories
 * (`nodistro`, `cloud-sdk-bookworm`), which have no debootstrap script. Among what remains, the
 * host's own codename wins, then the first in apt's reading order.
 */
export function pickDebianArchive(
  sources: readonly AptSource[],
  options: PickArchiveOptions,
): DebianArchive | undefined {
  const candidates: DebianArchive[] = [];
  for (const source of sources) {
    if (!source.enabled || !source.types.includes('deb') || !source.components.includes('main')) continue;
    const keyring = source.signedBy?.startsWith('/') ? source.signedBy : undefined;
    for (const uri of source.uris) {
      if (!/^(https?|file):\/\//.test(uri)) continue;
      for (const suite of source.suites) {
        if (!options.isBootstrappable(suite)) continue;
        candidates.push({ mirror: uri.replace(/\/+$/, ''), suite, keyring });
      }
    }
  }
  return candidates.find((candidate) => candidate.suite === options.codename) ?? candidates[0];
}

/** The directory holding `debootstrap`'s per-suite scripts. */
export const debootstrapScriptsDirectory = '/usr/share/debootstrap/scripts';

/** True when `debootstrap` has a script for `suite` (a plain name: no path can be smuggled in). */
export function isBootstrappableSuite(
  suite: string,
  scriptsDirectory = debootstrapScriptsDirectory,
): boolean {
  return /^[a-z0-9][a-z0-9.+_-]*$/.test(suite) && existsSync(join(scriptsDirectory, suite));
}

/** Reads `VERSION_CODENAME` from an os-release file. */
export function parseOsReleaseCodename(text: string): string | undefined {
  const value = /^VERSION_CODENAME=(.*)$/m.exec(text)?.[1]?.trim();
  return value?.replace(/^["']|["']$/g, '') || undefined;
}

/**
 * Reads the host's apt sources in apt's order: `sources.list`, then `sources.list.d/` sorted by
 * name, `*.list` in the one-line format and `*.sources` in deb822. Other names there are ignored, as
 * apt ignores them (`foo.list.disabled`).
 */
export async function readHostAptSources(etcApt = '/etc/apt'): Promise<AptSource[]> {
  const sources: AptSource[] = [];
  const text = await readOptional(join(etcApt, 'sources.list'));
  if (text !== undefined) sources.push(...parseOneLineSources(text));
  const directory = join(etcApt, 'sources.list.d');
  const names = existsSync(directory) ? (await readdir(directory)).sort() : [];
  for (const name of names) {
    if (!/^[A-Za-z0-9_.-]+\.(list|sources)$/.test(name)) continue;
    const content = await readOptional(join(directory, name));
    if (content === undefined) continue;
    sources.push(...(name.endsWith('.list') ? parseOneLineSources(content) : parseDeb822Sources(content)));
  }
  return sources;
}

/** The archive and suite the host's apt uses, or undefined when its sources name none. */
export async function findHostDebianArchive(
  etc = '/etc',
  scriptsDirectory = debootstrapScriptsDirectory,
): Promise<DebianArchive | undefined> {
  const sources = await readHostAptSources(join(etc, 'apt'));
  const codename = parseOsReleaseCodename((await readOptional(join(etc, 'os-release'))) ?? '');
  return pickDebianArchive(sources, {
    codename,
    isBootstrappable: (suite) => isBootstrappableSuite(suite, scriptsDirectory),
  });
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
