import { describe, expect, it } from 'vitest';
import { RecentChains } from './recent-chains.js';

const item = (id: string) => ({ id, item: { id, type: 'message' } });

describe('RecentChains', () => {
  it('keeps the most recently used chains, per project, up to its capacity', () => {
    const chains = new RecentChains(2);
    chains.remember('proj_a', 'resp_1', [item('m1')]);
    chains.remember('proj_a', 'resp_2', [item('m2')]);
    expect(chains.get('proj_b', 'resp_1')).toBeUndefined();
    expect(chains.get('proj_a', 'resp_1')).toEqual([item('m1')]);
    chains.remember('proj_a', 'resp_3', [item('m3')]);
    // resp_2 was the least recently used.
    expect(chains.get('proj_a', 'resp_2')).toBeUndefined();
    expect(chains.get('proj_a', 'resp_1')).toEqual([item('m1')]);
    chains.clear();
    expect(chains.get('proj_a', 'resp_3')).toBeUndefined();
  });
});
