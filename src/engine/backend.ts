/**
 * Picks the TensorFlow.js backend in the worker: WebGPU when the browser
 * yields an adapter, else WebGL (on OffscreenCanvas), else WASM, else CPU.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import type { BackendName, EngineStatus } from './api';

// Same-origin .wasm files, emitted by Vite next to the worker (no CDN).
setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd,
});

// The threaded WASM build spawns its pthread workers from a script that expects
// a classic (non-module) worker; inside this module worker they fail to start.
// Until that is solved, run WASM single-threaded with SIMD.
tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);

export const DEFAULT_ORDER: BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/** Why a backend cannot run here, or null when it can be tried. */
async function unavailableBecause(name: BackendName): Promise<string | null> {
  if (name === 'webgpu') {
    const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
    if (!gpu) return 'this browser has no WebGPU';
    const adapter = await gpu.requestAdapter().catch(() => null);
    if (!adapter) return 'no WebGPU adapter is available';
  }
  if (name === 'webgl' && typeof OffscreenCanvas === 'undefined') return 'OffscreenCanvas is missing in workers';
  return null;
}

async function activate(name: BackendName): Promise<string | null> {
  const reason = await unavailableBecause(name);
  if (reason) return reason;
  try {
    const ok = await tf.setBackend(name);
    if (!ok) return 'it failed to initialise';
    await tf.ready();
    // A tiny op proves the backend really runs (WebGL can "initialise" and then lose its context).
    const probe = tf.tidy(() => tf.add(tf.ones([2]), tf.ones([2])).sum());
    await probe.data();
    probe.dispose();
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

export async function chooseBackend(forced?: BackendName): Promise<EngineStatus> {
  const order = forced ? [forced, ...DEFAULT_ORDER.filter((b) => b !== forced)] : DEFAULT_ORDER;
  const notes: string[] = [];
  for (const name of order) {
    const reason = await activate(name);
    if (reason === null) return { backend: name, notes };
    notes.push(`${name} is not used: ${reason}.`);
  }
  throw new Error(`No TensorFlow.js backend could start here. ${notes.join(' ')}`);
}
