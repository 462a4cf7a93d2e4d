import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, defaultFileMaxBytes, loadConfig } from './load-config.js';

const directory = mkdtempSync(join(tmpdir(), 'berth-config-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function configFile(contents: unknown): string {
  const path = join(directory, `config-${Math.random().toString(16).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(contents));
  return path;
}

describe('files configuration', () => {
  it('defaults files.maxBytes to 512 MiB, with or without a file', () => {
    expect(defaultFileMaxBytes).toBe(512 * 1024 * 1024);
    expect(loadConfig({}, {}).files).toEqual({ maxBytes: defaultFileMaxBytes });
    expect(loadConfig({ configFile: configFile({}) }, {}).files).toEqual({ maxBytes: defaultFileMaxBytes });
  });

  it('takes files.maxBytes from the config file', () => {
    expect(loadConfig({ configFile: configFile({ files: { maxBytes: 1024 } }) }, {}).files.maxBytes).toBe(
      1024,
    );
  });

  it('names a bad files field', () => {
    for (const files of [{ maxBytes: 0 }, { maxBytes: 1.5 }, { maxbytes: 10 }]) {
      expect(() => loadConfig({ configFile: configFile({ files }) }, {})).toThrow(ConfigError);
      expect(() => loadConfig({ configFile: configFile({ files }) }, {})).toThrow(/files\.max[Bb]ytes/);
    }
  });
});
