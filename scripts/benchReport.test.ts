import { describe, expect, it } from 'vitest';
import { figuresToJson, markdownTable, missingNumbers, summarise } from './benchReport';

describe('bench report', () => {
  it('reduces runs to median, min and max', () => {
    expect(summarise([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3 });
    expect(summarise([4, 1, 2, 3])).toEqual({ median: 2.5, min: 1, max: 4 });
  });

  it('nests medians under dotted keys and keeps the spread', () => {
    const json = figuresToJson([{ key: 'embed.ratio', label: 'Ratio', unit: '×', values: [2, 4, 3] }], { backend: 'wasm' });
    expect(json).toMatchObject({ backend: 'wasm', embed: { ratio: 3 }, spread: { 'embed.ratio': { min: 2, max: 4, values: [2, 4, 3] } } });
    expect(missingNumbers(json, ['embed.ratio', 'train.ratio'])).toEqual(['train.ratio']);
  });

  it('marks figures against their targets', () => {
    const table = markdownTable([
      { key: 'a.fast', label: 'Fast', unit: '×', values: [3.5], target: { kind: 'min', value: 3 } },
      { key: 'a.slow', label: 'Slow', unit: 'ms', values: [80], target: { kind: 'max', value: 50 } },
    ]);
    expect(table).toContain('| Fast (`a.fast`) | 3.5 × | 3.5 | 3.5 | ≥ 3 | yes |');
    expect(table).toContain('| Slow (`a.slow`) | 80 ms | 80 | 80 | ≤ 50 | **no** |');
  });
});
