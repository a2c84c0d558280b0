import { describe, expect, it } from 'vitest';
import type { BackendMeasurement } from '../engine/api';
import { describeBackend, rememberedMeasurements, rememberMeasurement } from './backendChoice';

const measurement = (key: string, chosen: BackendMeasurement['chosen'] = 'wasm'): BackendMeasurement => ({
  key,
  chosen,
  rates: { wasm: 27.4, webgl: 2.06, webgpu: 1.94 },
  unavailable: {},
  seconds: 3.2,
  measuredAt: '2026-11-27T00:00:00.000Z',
});

describe('describeBackend', () => {
  it('lists the measured rates in a fixed order', () => {
    expect(describeBackend({ backend: 'wasm', measurement: measurement('k') })).toBe(
      'Backend: wasm (fastest of webgpu 1.9 img/s, webgl 2.1 img/s, wasm 27 img/s)',
    );
  });
  it('says which GPU backends were skipped as software-emulated', () => {
    const m = { ...measurement('k'), rates: { wasm: 27.4 }, software: { webgl: 'SwiftShader', webgpu: 'fallback adapter' } };
    expect(describeBackend({ backend: 'wasm', measurement: m })).toBe(
      'Backend: wasm (fastest of wasm 27 img/s; webgpu and webgl run in software here)',
    );
  });
  it('names only the backend when it was forced', () => {
    expect(describeBackend({ backend: 'webgl' })).toBe('Backend: webgl');
  });
});

describe('remembered measurements', () => {
  it('keeps one entry per device key, newest first', () => {
    const store = new Map<string, string>();
    const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) };
    rememberMeasurement(measurement('a'), storage);
    rememberMeasurement(measurement('b'), storage);
    rememberMeasurement(measurement('a', 'webgl'), storage);
    expect(rememberedMeasurements(storage).map((m) => [m.key, m.chosen])).toEqual([
      ['a', 'webgl'],
      ['b', 'wasm'],
    ]);
  });
  it('survives garbage in storage', () => {
    expect(rememberedMeasurements({ getItem: () => '{not json' })).toEqual([]);
  });
});
