/**
 * The backends the GPU benchmark compares, started in Node: `webgpu` through
 * Dawn, and `wasm` (tfjs-backend-wasm's Node build, reading its .wasm files
 * from disk) as the CPU reference the app falls back to.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { registerWasmGradients } from '../../src/engine/wasmGradients';
import { setUpWebGpu, type AdapterSummary } from './dawn';
import { wasmDir } from './layout';

export const BENCH_BACKENDS = ['webgpu', 'wasm'] as const;
export type BenchBackend = (typeof BENCH_BACKENDS)[number];

export type Started = { ok: true; backend: BenchBackend; adapter: AdapterSummary | null; detail: string } | { ok: false; backend: BenchBackend; reason: string };

let wasmConfigured = false;

/** Makes `name` tfjs's active backend; says why not when it cannot run here. */
export async function startBackend(name: BenchBackend): Promise<Started> {
  let adapter: AdapterSummary | null = null;
  if (name === 'webgpu') {
    const gpu = await setUpWebGpu();
    if (!gpu.ok) return { ok: false, backend: name, reason: gpu.reason };
    adapter = gpu.adapter;
  } else if (!wasmConfigured) {
    wasmConfigured = true;
    setWasmPaths(`${wasmDir()}/`);
    // The app's fine-tuning on WASM uses these gradient kernels too (the worker registers them at start).
    registerWasmGradients();
  }
  try {
    if (!(await tf.setBackend(name))) return { ok: false, backend: name, reason: 'the backend failed to initialise' };
    await tf.ready();
    const probe = tf.tidy(() => tf.add(tf.ones([2]), tf.ones([2])).sum());
    await probe.data();
    probe.dispose();
  } catch (error) {
    return { ok: false, backend: name, reason: error instanceof Error ? error.message : String(error) };
  }
  const detail =
    name === 'wasm'
      ? `${tf.env().getBool('WASM_HAS_SIMD_SUPPORT') ? 'SIMD' : 'no SIMD'}, ${tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') ? 'threaded' : 'single-threaded'}`
      : '';
  return { ok: true, backend: name, adapter, detail };
}
