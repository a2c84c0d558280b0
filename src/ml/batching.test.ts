import { describe, expect, it } from 'vitest';
import { inferenceBatchSize } from './batching';

describe('inferenceBatchSize', () => {
  it('gives WebGPU larger batches than the CPU backends, which keep the batch of 8', () => {
    expect(inferenceBatchSize('webgpu')).toBeGreaterThan(inferenceBatchSize('wasm'));
    expect(inferenceBatchSize('wasm')).toBe(8);
    expect(inferenceBatchSize('cpu')).toBe(8);
    expect(inferenceBatchSize('webgl')).toBe(8);
  });
});
