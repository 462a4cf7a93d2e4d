import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  findHostDebianArchive,
  parseDeb822Sources,
  parseOneLineSources,
  parseOsReleaseCodename,
  pickDebianArchive,
} from './apt-sources.js';

const known = new Set(['bookworm', 'trixie', 'sid', 'stable', 'jammy']);
const isBootstrappable = (suite: string): boolean => known.has(suite);

/** The deb822 file this project's machines ship (Debian's Docker image), with its snapshot comments. */
const debianSources = `Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
# http://snapshot.debian.org/archive/debian-security/20250520T000000Z
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
`;

describe('parseOneLineSources', () => {
  it('reads types, options, URI, suite and components, and skips comments and blank lines', () => {
    const sources = parseOneLineSources(
      [
        '# a comment',
        '',
        'deb http://deb.debian.org/debian bookworm main contrib non-free-firmware',
        'deb-src http://deb.debian.org/debian bookworm main',
        'deb [arch=amd64 signed-by=/usr/share/keyrings/x.gpg] https://mirror.example/debian/ trixie main # trailing',
        '#deb http://commented.example/debian sid main',
      ].join('\n'),
    );
    expect(sources).toEqual([
      {
        types: ['deb'],
        uris: ['http://deb.debian.org/debian'],
        suites: ['bookworm'],
        components: ['main', 'contrib', 'non-free-firmware'],
        signedBy: undefined,
        enabled: true,
      },
      {
        types: ['deb-src'],
        uris: ['http://deb.debian.org/debian'],
        suites: ['bookworm'],
        components: ['main'],
        signedBy: undefined,
        enabled: true,
      },
      {
        types: ['deb'],
        uris: ['https://mirror.example/debian/'],
        suites: ['trixie'],
        components: ['main'],
        signedBy: '/usr/share/keyrings/x.gpg',
        enabled: true,
      },
    ]);
  });
});

describe('parseDeb822Sources', () => {
  it('reads each stanza, with several suites and comments inside a stanza', () => {
    const sources = parseDeb822Sources(debianSources);
    expect(sources).toHaveLength(2);
    expect(sources[0]).toEqual({
      types: ['deb'],
      uris: ['http://deb.debian.org/debian'],
      suites: ['bookworm', 'bookworm-updates'],
      components: ['main'],
      signedBy: '/usr/share/keyrings/debian-archive-keyring.gpg',
      enabled: true,
    });
    expect(sources[1]?.suites).toEqual(['bookworm-security']);
  });

  it('reads field names in any case, folded lines, inline keys and Enabled: no', () => {
    const sources = parseDeb822Sources(
      [
        'types: deb deb-src',
        'uris: http://a.example/debian',
        '  http://b.example/debian',
        'suites: trixie',
        'components: main contrib',
        'Signed-By:',
        ' -----BEGIN PGP PUBLIC KEY BLOCK-----',
        ' .',
        ' mQINBGPL0BUBEAD',
        ' -----END PGP PUBLIC KEY BLOCK-----',
        '',
        '',
        'Enabled: no',
        'Types: deb',
        'URIs: http://c.example/debian',
        'Suites: sid',
        'Components: main',
      ].join('\n'),
    );
    expect(sources[0]?.types).toEqual(['deb', 'deb-src']);
    expect(sources[0]?.uris).toEqual(['http://a.example/debian', 'http://b.example/debian']);
    expect(sources[0]?.signedBy).toContain('BEGIN PGP PUBLIC KEY BLOCK');
    expect(sources[1]?.enabled).toBe(false);
  });
});

describe('pickDebianArchive', () => {
  it("picks the host's main archive and suite, not the update or security pockets", () => {
    expect(
      pickDebianArchive(parseDeb822Sources(debianSources), { codename: 'bookworm', isBootstrappable }),
    ).toEqual({
      mirror: 'http://deb.debian.org/debian',
      suite: 'bookworm',
      keyring: '/usr/share/keyrings/debian-archive-keyring.gpg',
    });
  });

  it('passes over third-party repositories, disabled entries, deb-src, other components and schemes', () => {
    const sources = [
      ...parseOneLineSources(
        [
          'deb https://packages.cloud.google.com/apt cloud-sdk-bookworm main',
          'deb-src http://src.example/debian bookworm main',
          'deb http://contrib-only.example/debian bookworm contrib',
          'deb cdrom:[Debian GNU/Linux 12]/ bookworm main',
          'deb mirror+file:///etc/apt/mirrors.txt bookworm main',
        ].join('\n'),
      ),
      ...parseDeb822Sources(
        'Types: deb\nURIs: https://deb.nodesource.com/node_20.x\nSuites: nodistro\nComponents: main\n\n' +
          'Enabled: no\nTypes: deb\nURIs: http://disabled.example/debian\nSuites: bookworm\nComponents: main\n',
      ),
    ];
    expect(pickDebianArchive(sources, { codename: 'bookworm', isBootstrappable })).toBeUndefined();
    sources.push(...parseOneLineSources('deb http://ftp.example/debian/ stable main'));
    expect(pickDebianArchive(sources, { codename: 'bookworm', isBootstrappable })).toEqual({
      mirror: 'http://ftp.example/debian',
      suite: 'stable',
      keyring: undefined,
    });
  });

  it("prefers the host's codename over an earlier entry, and takes the first when there is none", () => {
    const sources = parseOneLineSources(
      'deb http://one.example/debian sid main\ndeb http://two.example/debian bookworm main\n',
    );
    expect(pickDebianArchive(sources, { codename: 'bookworm', isBootstrappable })?.mirror).toBe(
      'http://two.example/debian',
    );
    expect(pickDebianArchive(sources, { codename: undefined, isBootstrappable })?.mirror).toBe(
      'http://one.example/debian',
    );
  });
});

describe('parseOsReleaseCodename', () => {
  it('reads VERSION_CODENAME, quoted or not', () => {
    expect(parseOsReleaseCodename('NAME="Debian GNU/Linux"\nVERSION_CODENAME=bookworm\nID=debian\n')).toBe(
      'bookworm',
    );
    expect(parseOsReleaseCodename('VERSION_CODENAME="jammy"\n')).toBe('jammy');
    expect(parseOsReleaseCodename('PRETTY_NAME="Debian GNU/Linux trixie/sid"\n')).toBeUndefined();
  });
});

describe('findHostDebianArchive', () => {
  const etc = mkdtempSync(join(tmpdir(), 'berth-etc-'));
  const scripts = mkdtempSync(join(tmpdir(), 'berth-scripts-'));
  afterAll(() => {
    rmSync(etc, { recursive: true, force: true });
    rmSync(scripts, { recursive: true, force: true });
  });

  it('reads sources.list, then sources.list.d/*.list and *.sources in name order, ignoring other names', async () => {
    mkdirSync(join(etc, 'apt/sources.list.d'), { recursive: true });
    for (const suite of ['bookworm', 'trixie']) writeFileSync(join(scripts, suite), '');
    writeFileSync(join(etc, 'os-release'), 'VERSION_CODENAME=bookworm\n');
    writeFileSync(
      join(etc, 'apt/sources.list.d/nodesource.sources.disabled'),
      debianSources.replace(/bookworm/g, 'trixie'),
    );
    writeFileSync(join(etc, 'apt/sources.list.d/zz.sources'), debianSources);
    writeFileSync(join(etc, 'apt/sources.list.d/aa.list'), 'deb http://aa.example/debian trixie main\n');
    expect(await findHostDebianArchive(etc, scripts)).toEqual({
      mirror: 'http://deb.debian.org/debian',
      suite: 'bookworm',
      keyring: '/usr/share/keyrings/debian-archive-keyring.gpg',
    });

    writeFileSync(join(etc, 'apt/sources.list'), 'deb http://first.example/debian bookworm main\n');
    expect((await findHostDebianArchive(etc, scripts))?.mirror).toBe('http://first.example/debian');
  });
});
