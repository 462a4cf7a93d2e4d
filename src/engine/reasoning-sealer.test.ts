import { describe, expect, it } from 'vitest';
import { createCompactionSealer } from './compaction/compaction-sealer.js';
import { createReasoningSealer } from './reasoning-sealer.js';
import { generateServerKey } from './sealed-box.js';

const key = generateServerKey();
const sealer = createReasoningSealer(key);
const payload = {
  provider: 'anthropic',
  state: 'anthropic-thinking:c2ln',
  summary: 'Seven is prime.',
} as const;

describe('ReasoningSealer', () => {
  it('opens what it sealed for the same project, and nothing reads in the blob', () => {
    const blob = sealer.seal('proj_a', payload);
    expect(sealer.isSealed(blob)).toBe(true);
    expect(blob).not.toContain('c2ln');
    expect(sealer.open('proj_a', blob)).toEqual(payload);
    // A fresh nonce per blob: sealing twice gives two different blobs.
    expect(sealer.seal('proj_a', payload)).not.toBe(blob);
  });

  it("refuses another project's blob, another server's, and any changed byte", () => {
    const blob = sealer.seal('proj_a', payload);
    expect(sealer.open('proj_b', blob)).toBeNull();
    expect(createReasoningSealer(generateServerKey()).open('proj_a', blob)).toBeNull();
    for (let at = 6; at < blob.length; at += 7) {
      const changed = blob.slice(0, at) + (blob[at] === 'A' ? 'B' : 'A') + blob.slice(at + 1);
      expect(sealer.open('proj_a', changed)).toBeNull();
    }
    expect(sealer.open('proj_a', blob.slice(0, -4))).toBeNull();
    expect(sealer.open('proj_a', `${blob}!`)).toBeNull();
  });

  it('keeps purposes apart: a compaction blob under the same key is not reasoning', () => {
    const compaction = createCompactionSealer(key).seal('proj_a', { summary: 's', model: 'm', createdAt: 1 });
    expect(sealer.isSealed(compaction)).toBe(false);
    const relabelled = `brsn1.${compaction.slice(compaction.indexOf('.') + 1)}`;
    expect(sealer.open('proj_a', relabelled)).toBeNull();
  });
});
