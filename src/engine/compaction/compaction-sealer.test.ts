import { describe, expect, it } from 'vitest';
import { BerthError } from '../../errors/berth-error.js';
import { createCompactionSealer, generateCompactionKey } from './compaction-sealer.js';

const sealer = createCompactionSealer(generateCompactionKey());
const payload = {
  summary: 'You created hello.py; next: add tests.',
  model: 'oai/gpt-5',
  createdAt: 1_771_000_000,
};
const param = 'input[3].encrypted_content';

function openError(blob: string, project = 'proj_a', using = sealer): BerthError {
  try {
    using.open(project, blob, param);
  } catch (error) {
    expect(error).toBeInstanceOf(BerthError);
    return error as BerthError;
  }
  throw new Error('the blob opened');
}

function expectUnverifiable(blob: string, project = 'proj_a', using = sealer): void {
  const error = openError(blob, project, using);
  expect(error).toMatchObject({ status: 400, code: 'invalid_value', param });
  expect(error.message).toMatch(/could not be verified/);
}

/** The sealed bytes of a blob, to change one region at a time. */
function bytesOf(blob: string): Buffer {
  return Buffer.from(blob.slice('bcmp1.'.length), 'base64url');
}
function blobOf(bytes: Buffer): string {
  return `bcmp1.${bytes.toString('base64url')}`;
}

describe('compaction sealer', () => {
  it('opens what it sealed, for the same project', () => {
    const blob = sealer.seal('proj_a', payload);
    expect(blob).toMatch(/^bcmp1\.[A-Za-z0-9_-]+$/);
    expect(blob).not.toContain('hello.py');
    expect(sealer.open('proj_a', blob, param)).toEqual(payload);
  });

  it('seals the same payload differently each time (a random IV per blob)', () => {
    expect(sealer.seal('proj_a', payload)).not.toBe(sealer.seal('proj_a', payload));
  });

  it.each([
    ['the IV', 0],
    ['the ciphertext', 20],
    ['the authentication tag', -1],
  ])('rejects a blob with a changed byte in %s', (_region, offset) => {
    const bytes = bytesOf(sealer.seal('proj_a', payload));
    const index = offset < 0 ? bytes.length + offset : offset;
    bytes[index] = (bytes[index] ?? 0) ^ 0x01;
    expectUnverifiable(blobOf(bytes));
  });

  it('rejects a truncated blob, however short', () => {
    const blob = sealer.seal('proj_a', payload);
    expectUnverifiable(blob.slice(0, -4));
    expectUnverifiable(blobOf(bytesOf(blob).subarray(0, 27)));
    expectUnverifiable('bcmp1.');
  });

  it("rejects another project's blob", () => {
    expectUnverifiable(sealer.seal('proj_b', payload), 'proj_a');
  });

  it("rejects another server's blob (another key)", () => {
    const other = createCompactionSealer(generateCompactionKey());
    expectUnverifiable(other.seal('proj_a', payload));
  });

  it('rejects a blob relabelled with another version, or with characters outside base64url', () => {
    const blob = sealer.seal('proj_a', payload);
    const relabelled = openError(`bcmp2.${blob.slice('bcmp1.'.length)}`);
    expect(relabelled).toMatchObject({ status: 400, param });
    expect(relabelled.message).toMatch(/format this server does not know/);
    expectUnverifiable(`${blob.slice(0, 20)}!${blob.slice(21)}`);
  });

  it('rejects garbage and blobs from elsewhere with a message saying where they must come from', () => {
    for (const garbage of ['', 'hello', 'gAAAAABoOpenAIStyleBlob==']) {
      const error = openError(garbage);
      expect(error).toMatchObject({ status: 400, code: 'invalid_value', param });
      expect(error.message).toMatch(/not made by this server/);
    }
  });

  it('refuses a key of the wrong size', () => {
    expect(() => createCompactionSealer(Buffer.alloc(16))).toThrow(/32 bytes/);
  });
});
