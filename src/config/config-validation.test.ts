import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configFileSchema } from './config-schema.js';
import { ConfigError, loadConfig } from './load-config.js';

const directory = mkdtempSync(join(tmpdir(), 'berth-config-validation-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

let written = 0;
function configFile(contents: unknown): string {
  written += 1;
  const path = join(directory, `config-${written}.json`);
  writeFileSync(path, JSON.stringify(contents));
  return path;
}

/** A provider that passes, to put one bad field on. */
const goodProvider = { name: 'oai', kind: 'openai', baseURL: 'http://127.0.0.1:1/v1', apiKey: 'k' };

/**
 * One bad value per field of the config file, and the field the error must name. Every field of the
 * schema is here (the last test checks that none was left out), each with a value of the right JSON
 * type but out of range where the field has a range, so the error is about that field alone.
 */
const badValues: readonly { readonly field: string; readonly config: unknown }[] = [
  { field: 'host', config: { host: '' } },
  { field: 'host', config: { host: 8080 } },
  { field: 'port', config: { port: 65536 } },
  { field: 'port', config: { port: -1 } },
  { field: 'port', config: { port: 80.5 } },
  { field: 'dataDir', config: { dataDir: '' } },
  { field: 'bodyLimitBytes', config: { bodyLimitBytes: 0 } },
  { field: 'metrics', config: { metrics: true } },
  { field: 'metrics.enabled', config: { metrics: { enabled: 'yes' } } },
  { field: 'metrics.token', config: { metrics: { token: '' } } },
  { field: 'metrics.listen', config: { metrics: { listen: 9464 } } },
  { field: 'metrics.listen.host', config: { metrics: { listen: { host: '', port: 9464 } } } },
  { field: 'metrics.listen.port', config: { metrics: { listen: { host: '127.0.0.1', port: 65536 } } } },
  { field: 'metrics.listen.port', config: { metrics: { listen: { host: '127.0.0.1' } } } },
  { field: 'providers', config: { providers: { name: 'oai' } } },
  { field: 'providers[0].name', config: { providers: [{ ...goodProvider, name: 'has space' }] } },
  { field: 'providers[0].kind', config: { providers: [{ ...goodProvider, kind: 'gemini' }] } },
  { field: 'providers[0].baseURL', config: { providers: [{ ...goodProvider, baseURL: 'not a url' }] } },
  { field: 'providers[0].apiKey', config: { providers: [{ ...goodProvider, apiKey: '' }] } },
  { field: 'providers[0].timeoutMs', config: { providers: [{ ...goodProvider, timeoutMs: 0 }] } },
  { field: 'providers[0].maxRetries', config: { providers: [{ ...goodProvider, maxRetries: 11 }] } },
  {
    field: 'providers[0].promptCaching',
    config: { providers: [{ ...goodProvider, promptCaching: 'off' }] },
  },
  { field: 'providers[0].temperature', config: { providers: [{ ...goodProvider, temperature: 1 }] } },
  { field: 'defaultProvider', config: { defaultProvider: '' } },
  { field: 'shutdownGraceMs', config: { shutdownGraceMs: -1 } },
  { field: 'files', config: { files: 512 } },
  { field: 'files.maxBytes', config: { files: { maxBytes: -1 } } },
  { field: 'requests', config: { requests: 'strict' } },
  { field: 'requests.unknownParameters', config: { requests: { unknownParameters: 'maybe' } } },
  { field: 'requests.maxJsonDepth', config: { requests: { maxJsonDepth: 4 } } },
  { field: 'requests.maxJsonDepth', config: { requests: { maxJsonDepth: 20_000 } } },
  { field: 'requests.maxArrayLength', config: { requests: { maxArrayLength: 0 } } },
  { field: 'hostedTools', config: { hostedTools: 'off' } },
  { field: 'hostedTools.unsupported', config: { hostedTools: { unsupported: 'drop' } } },
  { field: 'compaction', config: { compaction: 'on' } },
  { field: 'compaction.keyFile', config: { compaction: { keyFile: '' } } },
  { field: 'sandbox', config: { sandbox: 'runc' } },
  { field: 'sandbox.driver', config: { sandbox: { driver: 'docker' } } },
  { field: 'sandbox.image', config: { sandbox: { image: 'Debian Bookworm' } } },
  { field: 'sandbox.image', config: { sandbox: { image: '../host' } } },
  { field: 'sandbox.pidsLimit', config: { sandbox: { pidsLimit: 15 } } },
  { field: 'sandbox.cpus', config: { sandbox: { cpus: 0 } } },
  { field: 'sandbox.diskBytes', config: { sandbox: { diskBytes: 16 * 1024 * 1024 - 1 } } },
  { field: 'sandbox.warmPool', config: { sandbox: { warmPool: 65 } } },
  { field: 'sandbox.warmPool', config: { sandbox: { warmPool: -1 } } },
  { field: 'sandbox.maxContainersPerProject', config: { sandbox: { maxContainersPerProject: 0 } } },
  { field: 'sandbox.maxSessionsPerContainer', config: { sandbox: { maxSessionsPerContainer: 0 } } },
  { field: 'sandbox.commandTimeoutMs', config: { sandbox: { commandTimeoutMs: 30 * 60_000 + 1 } } },
  { field: 'sandbox.commandTimeoutMs', config: { sandbox: { commandTimeoutMs: 0 } } },
  { field: 'sandbox.memoryBytes', config: { sandbox: { memoryBytes: 1 } } },
  { field: 'network', config: { network: ['*'] } },
  { field: 'network.allowedDomains', config: { network: { allowedDomains: '*' } } },
  { field: 'network.allowedDomains[0]', config: { network: { allowedDomains: ['exa mple.com'] } } },
  { field: 'network.allowedDomains[1]', config: { network: { allowedDomains: ['a.com', '*.*.com'] } } },
  { field: 'network.deniedDomains[0]', config: { network: { deniedDomains: [1] } } },
  { field: 'network.deniedDomains[0]', config: { network: { deniedDomains: ['http://x.com/'] } } },
  { field: 'network.allowPrivateNetworks[0]', config: { network: { allowPrivateNetworks: ['ten'] } } },
  { field: 'network.allowPrivateNetworks[0]', config: { network: { allowPrivateNetworks: ['10/33'] } } },
  { field: 'network.hosts', config: { network: { hosts: ['a.com'] } } },
  { field: 'network.hosts.mirror', config: { network: { hosts: { mirror: 'not-an-address' } } } },
  { field: 'network.hosts.bad host', config: { network: { hosts: { 'bad host': '10.0.0.1' } } } },
  { field: 'network.upstreamCAFile', config: { network: { upstreamCAFile: '' } } },
  { field: 'network.upstreamCAFile', config: { network: { upstreamCAFile: '/nonexistent/ca.pem' } } },
  { field: 'network.upstreamCAFile', config: { network: { upstreamCAFile: '/etc/hostname' } } },
  { field: 'network.unknown', config: { network: { unknown: true } } },
  { field: 'unknownTopLevel', config: { unknownTopLevel: true } },
];

/** Escapes a field name for a regular expression (its `.` and `[…]`). */
function literally(field: string): RegExp {
  return new RegExp(`: ${field.replace(/[.[\]]/g, (character) => `\\${character}`)}: `);
}

describe('config file validation', () => {
  it.each(badValues)('names $field for $config', ({ field, config }) => {
    const path = configFile(config);
    let error: unknown;
    try {
      loadConfig({ configFile: path }, {});
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(literally(field));
    expect((error as Error).message).toContain(path);
  });

  it('names the fields the loader checks beyond the schema', () => {
    const twice = configFile({ providers: [goodProvider, { ...goodProvider, kind: 'anthropic' }] });
    expect(() => loadConfig({ configFile: twice }, {})).toThrow(
      'providers[1].name: "oai" is used by two providers',
    );
    const unknownDefault = configFile({ providers: [goodProvider], defaultProvider: 'claude' });
    expect(() => loadConfig({ configFile: unknownDefault }, {})).toThrow(
      'defaultProvider: "claude" is not the name of a configured provider',
    );
    const unsetSecret = configFile({ providers: [{ ...goodProvider, apiKey: 'env:BERTH_NO_SUCH_KEY' }] });
    expect(() => loadConfig({ configFile: unsetSecret }, {})).toThrow(
      'providers[0].apiKey: environment variable BERTH_NO_SUCH_KEY is not set',
    );
    const unsetToken = configFile({ metrics: { token: 'env:BERTH_NO_SUCH_TOKEN' } });
    expect(() => loadConfig({ configFile: unsetToken }, {})).toThrow(
      'metrics.token: environment variable BERTH_NO_SUCH_TOKEN is not set',
    );
    expect(loadConfig({ configFile: unsetToken }, { BERTH_NO_SUCH_TOKEN: 'scrape' }).metrics).toEqual({
      enabled: true,
      token: 'scrape',
      listen: null,
    });
  });

  it('says what is wrong with a file that is missing or not JSON', () => {
    const missing = join(directory, 'missing.json');
    expect(() => loadConfig({ configFile: missing }, {})).toThrow(`cannot read config file ${missing}`);
    const notJson = join(directory, 'not-json.json');
    writeFileSync(notJson, '{ "port": ');
    expect(() => loadConfig({ configFile: notJson }, {})).toThrow(`config file ${notJson} is not valid JSON`);
  });

  it('accepts a file with every field at a valid value', () => {
    const caPem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const caFile = join(directory, 'upstream-ca.pem');
    writeFileSync(caFile, caPem);
    const config = loadConfig(
      {
        configFile: configFile({
          host: '0.0.0.0',
          port: 0,
          dataDir: directory,
          bodyLimitBytes: 1024,
          shutdownGraceMs: 250,
          providers: [{ ...goodProvider, timeoutMs: 1_000, maxRetries: 0, promptCaching: false }],
          defaultProvider: 'oai',
          files: { maxBytes: 1 },
          requests: { unknownParameters: 'ignore', maxJsonDepth: 32, maxArrayLength: 500 },
          hostedTools: { unsupported: 'reject' },
          metrics: { enabled: false, token: 'scrape-token', listen: { host: '0.0.0.0', port: 9464 } },
          compaction: { keyFile: join(directory, 'key') },
          network: {
            allowedDomains: ['*.example.com', 'pypi.org', '203.0.113.9'],
            deniedDomains: ['evil.example.com'],
            allowPrivateNetworks: ['10.20.0.0/16', 'fd00::/8'],
            hosts: { 'mirror.internal': '10.20.0.5', 'two.internal': ['10.20.0.6', 'fd00::6'] },
            upstreamCAFile: caFile,
          },
          sandbox: {
            driver: 'none',
            image: 'debian',
            pidsLimit: 16,
            cpus: 0.5,
            diskBytes: 16 * 1024 * 1024,
            warmPool: 64,
            maxContainersPerProject: 1,
            maxSessionsPerContainer: 1,
            commandTimeoutMs: 30 * 60_000,
          },
        }),
      },
      {},
    );
    expect(config).toMatchObject({
      host: '0.0.0.0',
      port: 0,
      shutdownGraceMs: 250,
      requests: { unknownParameters: 'ignore', maxJsonDepth: 32, maxArrayLength: 500 },
      hostedTools: { unsupported: 'reject' },
      metrics: { enabled: false, token: 'scrape-token', listen: { host: '0.0.0.0', port: 9464 } },
      sandbox: { warmPool: 64, cpus: 0.5 },
      network: {
        allowedDomains: ['*.example.com', 'pypi.org', '203.0.113.9'],
        deniedDomains: ['evil.example.com'],
        allowPrivateNetworks: ['10.20.0.0/16', 'fd00::/8'],
        upstreamCAs: caPem,
      },
    });
  });

  it('covers every field of the schema', () => {
    const schemaFields = (shape: Record<string, unknown>, prefix: string): string[] =>
      Object.entries(shape).flatMap(([key, value]) => {
        const field = `${prefix}${key}`;
        const inner = (value as { unwrap?: () => { shape?: Record<string, unknown> } }).unwrap?.();
        return inner?.shape ? [field, ...schemaFields(inner.shape, `${field}.`)] : [field];
      });
    const fields = [
      ...schemaFields(configFileSchema.shape, ''),
      ...Object.keys(
        (configFileSchema.shape.providers.unwrap().element as { shape: Record<string, unknown> }).shape,
      ).map((key) => `providers[0].${key}`),
    ];
    // A list's item or a record's entry stands for its field.
    const tested = new Set(
      badValues.map((bad) => bad.field.replace(/\[\d+\]$/, '').replace(/^(network\.hosts)\..*$/, '$1')),
    );
    expect(fields.filter((field) => !tested.has(field))).toEqual([]);
  });
});
