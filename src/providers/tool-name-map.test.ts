import { describe, expect, it } from 'vitest';
import { ToolNameMap } from './tool-name-map.js';

describe('ToolNameMap', () => {
  it('keeps plain names and joins namespaced ones with "__", both ways', () => {
    const names = ToolNameMap.build(
      {
        plain: ['lookup'],
        namespaced: [{ namespace: 'crm', name: 'lookup' }],
        reserved: [],
        toolSearch: true,
      },
      64,
    );
    expect(names.flatName({ kind: 'tool', name: 'lookup' })).toBe('lookup');
    expect(names.flatName({ kind: 'tool', name: 'lookup', namespace: 'crm' })).toBe('crm__lookup');
    expect(names.flatName({ kind: 'tool-search' })).toBe('tool_search');
    expect(names.targetOf('crm__lookup')).toEqual({ kind: 'tool', name: 'lookup', namespace: 'crm' });
    expect(names.targetOf('tool_search')).toEqual({ kind: 'tool-search' });
    // A namespaced call in the history whose tool is gone keeps the joined form.
    expect(names.flatName({ kind: 'tool', name: 'old', namespace: 'crm' })).toBe('crm__old');
  });

  it('shortens a name past the limit with a stable hash, the same on every build', () => {
    const build = () =>
      ToolNameMap.build(
        {
          plain: [],
          namespaced: [{ namespace: 'n'.repeat(40), name: 'm'.repeat(40) }],
          reserved: [],
          toolSearch: false,
        },
        64,
      );
    const name = build().flatName({ kind: 'tool', name: 'm'.repeat(40), namespace: 'n'.repeat(40) });
    expect(name).toHaveLength(64);
    expect(name).toMatch(/^n+__m+_[0-9a-f]{8}$/);
    expect(build().flatName({ kind: 'tool', name: 'm'.repeat(40), namespace: 'n'.repeat(40) })).toBe(name);
    // Anthropic allows 128 characters: the same tool keeps its plain joined name there.
    const long = ToolNameMap.build(
      {
        plain: [],
        namespaced: [{ namespace: 'n'.repeat(40), name: 'm'.repeat(40) }],
        reserved: [],
        toolSearch: false,
      },
      128,
    );
    expect(long.flatName({ kind: 'tool', name: 'm'.repeat(40), namespace: 'n'.repeat(40) })).toBe(
      `${'n'.repeat(40)}__${'m'.repeat(40)}`,
    );
  });

  it('never gives a namespaced tool a name another tool, the shell or the search has', () => {
    const names = ToolNameMap.build(
      {
        plain: ['crm__lookup', 'tool_search'],
        namespaced: [
          { namespace: 'crm', name: 'lookup' },
          { namespace: 'x', name: 'y' },
        ],
        reserved: ['shell'],
        toolSearch: true,
      },
      64,
    );
    const flat = [
      names.flatName({ kind: 'tool', name: 'crm__lookup' }),
      names.flatName({ kind: 'tool', name: 'tool_search' }),
      names.flatName({ kind: 'tool', name: 'lookup', namespace: 'crm' }),
      names.flatName({ kind: 'tool-search' }),
      names.flatName({ kind: 'tool', name: 'y', namespace: 'x' }),
      'shell',
    ];
    expect(new Set(flat).size).toBe(flat.length);
    expect(flat[2]).toMatch(/^crm__lookup_[0-9a-f]{8}$/);
    expect(names.targetOf(flat[2] ?? '')).toEqual({ kind: 'tool', name: 'lookup', namespace: 'crm' });
  });
});
