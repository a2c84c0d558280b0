/**
 * Remembers backend measurements per browser/GPU (the engine computes the key)
 * so later starts skip the measurement, and words the choice for the header.
 */
import type { BackendMeasurement, BackendName, EngineStatus } from '../engine/api';

const STORAGE_KEY = 'transfer-studio:backend-measurements';
const KEEP = 5;

export function rememberedMeasurements(storage: Pick<Storage, 'getItem'> = localStorage): BackendMeasurement[] {
  try {
    const parsed = JSON.parse(storage.getItem(STORAGE_KEY) ?? '[]') as unknown;
    return Array.isArray(parsed) ? (parsed as BackendMeasurement[]) : [];
  } catch {
    return [];
  }
}

export function rememberMeasurement(measurement: BackendMeasurement, storage: Pick<Storage, 'getItem' | 'setItem'> = localStorage): void {
  const others = rememberedMeasurements(storage).filter((m) => m.key !== measurement.key);
  try {
    storage.setItem(STORAGE_KEY, JSON.stringify([measurement, ...others].slice(0, KEEP)));
  } catch {
    // Storage full or disabled: the next start measures again, which is only slower.
  }
}

const ORDER: BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

export function formatRate(imagesPerSecond: number): string {
  return `${imagesPerSecond < 10 ? imagesPerSecond.toFixed(1) : Math.round(imagesPerSecond)} img/s`;
}

/** `Backend: wasm (fastest of webgpu 1.9 img/s, webgl 2.1 img/s, wasm 27 img/s)`, or `Backend: webgl` when forced. */
export function describeBackend(status: Pick<EngineStatus, 'backend' | 'measurement'>): string {
  const rates = status.measurement?.rates ?? {};
  const measured = ORDER.filter((b) => rates[b] !== undefined).map((b) => `${b} ${formatRate(rates[b]!)}`);
  const software = ORDER.filter((b) => status.measurement?.software?.[b] !== undefined);
  const emulated = software.length > 0 ? `${software.join(' and ')} ${software.length > 1 ? 'run' : 'runs'} in software here` : '';
  if (measured.length === 0) return `Backend: ${status.backend}${emulated ? ` (${emulated})` : ''}`;
  return `Backend: ${status.backend} (fastest of ${measured.join(', ')}${emulated ? `; ${emulated}` : ''})`;
}
