import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DebootstrapProgressTracker,
  parseDebootstrapLine,
  type BuildProgress,
} from './debootstrap-progress.js';

/** The whole output of a real `debootstrap --variant=minbase --include=python3,nodejs,git,curl,ca-certificates bookworm`. */
const realLog = readFileSync(
  join(import.meta.dirname, '../../../test/fixtures/debootstrap-bookworm-minbase.txt'),
  'utf8',
)
  .trimEnd()
  .split('\n');

describe('parseDebootstrapLine', () => {
  it('tells package lines from index files and stage headings', () => {
    expect(parseDebootstrapLine('I: Retrieving libc6 2.36-9+deb12u14')).toEqual({
      kind: 'retrieving',
      package: 'libc6',
      version: '2.36-9+deb12u14',
    });
    expect(parseDebootstrapLine('I: Validating git-man 1:2.39.5-0+deb12u3')).toMatchObject({
      kind: 'validating',
      package: 'git-man',
    });
    expect(parseDebootstrapLine('I: Retrieving InRelease ')).toEqual({
      kind: 'info',
      message: 'Retrieving InRelease',
    });
    expect(parseDebootstrapLine('I: Extracting libc6...')).toEqual({ kind: 'extracting', package: 'libc6' });
    expect(parseDebootstrapLine('I: Unpacking required packages...')).toEqual({
      kind: 'info',
      message: 'Unpacking required packages...',
    });
    expect(parseDebootstrapLine('I: Configuring libnode108:amd64...')).toEqual({
      kind: 'configuring',
      package: 'libnode108:amd64',
    });
    expect(parseDebootstrapLine('I: Base system installed successfully.')).toEqual({ kind: 'installed' });
    expect(parseDebootstrapLine("E: Couldn't find these debs: nope")).toEqual({
      kind: 'error',
      message: "Couldn't find these debs: nope",
    });
    expect(parseDebootstrapLine('W: Failure trying to run: chroot')).toMatchObject({ kind: 'warning' });
    expect(parseDebootstrapLine('dpkg: warning: something')).toEqual({
      kind: 'other',
      text: 'dpkg: warning: something',
    });
  });
});

describe('DebootstrapProgressTracker', () => {
  it('follows a real build: resolve, download and extract counts, then an install bar that ends full', () => {
    const tracker = new DebootstrapProgressTracker();
    const events = realLog
      .map((line) => tracker.feed(line))
      .filter((event): event is BuildProgress => !!event);
    const stages = events.map((event) => event.stage).filter((stage, index, all) => stage !== all[index - 1]);
    expect(stages).toEqual(['resolve', 'download', 'extract', 'install']);

    const downloads = events.filter((event) => event.stage === 'download');
    expect(downloads.at(-1)?.done).toBe(141);
    expect(downloads.every((event) => event.total === undefined)).toBe(true);

    expect(events.filter((event) => event.stage === 'extract').at(-1)?.done).toBe(88);

    const installs = events.filter((event) => event.stage === 'install');
    expect(installs.every((event) => event.total === 282)).toBe(true);
    for (let index = 1; index < installs.length; index += 1) {
      expect(installs[index]!.done).toBeGreaterThanOrEqual(installs[index - 1]!.done);
    }
    expect(installs.slice(0, -1).every((event) => event.done < 282)).toBe(true);
    expect(installs.at(-1)).toMatchObject({ done: 282, total: 282 });
  });

  it('stops short of the end until debootstrap reports success', () => {
    const tracker = new DebootstrapProgressTracker();
    tracker.feed('I: Retrieving a 1');
    tracker.feed('I: Validating a 1');
    for (let index = 0; index < 5; index += 1) tracker.feed('I: Configuring a...');
    expect(tracker.feed('I: Unpacking a...')).toMatchObject({ stage: 'install', done: 1, total: 2 });
    expect(tracker.feed('I: Base system installed successfully.')).toMatchObject({ done: 2, total: 2 });
  });
});
