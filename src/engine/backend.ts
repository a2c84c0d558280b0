/**
 * Picks the TensorFlow.js backend in the worker. Unless one is forced, each
 * available backend runs a short fixed workload (batched forward passes of the
 * backbone) and the fastest wins; the result is remembered per browser and GPU
 * so later starts skip the measurement.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import type { LoadedBackbone } from '../ml/backbone';
import type { BackendMeasurement, BackendName, EngineStatus } from './api';
import { missingKernelOf } from '../ml/fineTune';
import { registerWasmGradients } from './wasmGradients';

// Before any backend runs: lets fine-tuning take its gradient steps on WASM too.
registerWasmGradients();

// Same-origin .wasm files, emitted by Vite next to the worker (no CDN). The
// threaded build is used when the page is cross-origin isolated, else SIMD only.
setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd,
});

/** Measured in this order; CPU is only a last resort and never measured. */
export const MEASURED_BACKENDS: BackendName[] = ['wasm', 'webgl', 'webgpu'];
/** Without measuring (a forced backend that fails), fall back in this order. */
export const FALLBACK_ORDER: BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

const WORKLOAD_BATCH = 4;
/** Timed passes stop once this much time was spent, so slow (software) GPUs cost little. */
const WORKLOAD_BUDGET_MS = 700;

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

/** Switches tfjs to `name`; returns why it cannot, or null on success. */
export async function activate(name: BackendName): Promise<string | null> {
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

/** Human detail about the active backend, e.g. WASM's SIMD and threads. */
export function backendDetail(name: BackendName): string | undefined {
  if (name !== 'wasm') return undefined;
  const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT') ? 'SIMD' : 'no SIMD';
  if (!tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT')) {
    return `${simd}, single-threaded${self.crossOriginIsolated ? '' : ': the page is not cross-origin isolated (COOP/COEP headers missing)'}`;
  }
  // tfjs sizes its XNNPACK pool at one thread per physical core (logical cores / 2).
  const threads = getThreadsCount();
  return `${simd}, threaded build with ${threads} thread${threads === 1 ? '' : 's'} on ${navigator.hardwareConcurrency} logical cores`;
}

/** Forces one backend; if it cannot run, falls back in the usual order and says why. */
export async function useForcedBackend(forced: BackendName): Promise<EngineStatus> {
  const notes: string[] = [];
  for (const name of [forced, ...FALLBACK_ORDER.filter((b) => b !== forced)]) {
    const reason = await activate(name);
    if (reason === null) return { backend: name, notes, detail: backendDetail(name) };
    notes.push(`${name} is not used: ${reason}.`);
  }
  throw new Error(`No TensorFlow.js backend could start here. ${notes.join(' ')}`);
}

/**
 * A string that changes when the browser or GPU changes, so a remembered
 * measurement is reused only where it still holds.
 */
export async function deviceKey(): Promise<string> {
  const parts = [navigator.userAgent, `${navigator.hardwareConcurrency} cores`];
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  const adapter = await gpu?.requestAdapter().catch(() => null);
  if (adapter) {
    const info = adapter.info;
    parts.push(`webgpu:${info.vendor}/${info.architecture}/${info.device}/${info.description}${info.isFallbackAdapter ? '/fallback' : ''}`);
  }
  try {
    const gl = new OffscreenCanvas(1, 1).getContext('webgl2') as WebGL2RenderingContext | null;
    const debug = gl?.getExtension('WEBGL_debug_renderer_info');
    if (gl) parts.push(`webgl:${debug ? gl.getParameter(debug.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER)}`);
    gl?.getExtension('WEBGL_lose_context')?.loseContext();
  } catch {
    // No WebGL: the key simply lacks it.
  }
  return parts.join(' | ');
}

/**
 * A GPU backend that runs on a software rasteriser (SwiftShader, llvmpipe, a
 * WebGPU fallback adapter) is the CPU pretending to be a GPU: always slower
 * than WASM on the same CPU, and its shader compiling alone takes many
 * seconds. Such backends are not timed. Returns the renderer's name, or null.
 */
export async function softwareRenderer(name: BackendName): Promise<string | null> {
  if (name === 'webgpu') {
    const adapter = await (navigator as Navigator & { gpu?: GPU }).gpu?.requestAdapter().catch(() => null);
    return adapter?.info.isFallbackAdapter ? `fallback adapter (${adapter.info.description || adapter.info.vendor || 'software'})` : null;
  }
  if (name === 'webgl') {
    try {
      const gl = new OffscreenCanvas(1, 1).getContext('webgl2') as WebGL2RenderingContext | null;
      if (!gl) return null;
      const debug = gl.getExtension('WEBGL_debug_renderer_info');
      const renderer = String(debug ? gl.getParameter(debug.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
      gl.getExtension('WEBGL_lose_context')?.loseContext();
      return /swiftshader|llvmpipe|softpipe|software|basic render/i.test(renderer) ? renderer : null;
    } catch {
      return null;
    }
  }
  return null;
}

/** Images per second of the backbone on the active backend: one warm-up pass, then timed batches. */
async function timeWorkload(backbone: LoadedBackbone): Promise<number> {
  const size = backbone.spec.inputSize;
  const run = async (batch: number) => {
    const output = tf.tidy(() => backbone.embed(tf.randomUniform([batch, size, size, 3], -1, 1) as tf.Tensor4D));
    await output.data();
    output.dispose();
  };
  const warmStart = performance.now();
  await run(1); // compiles shaders / kernels
  const warmMs = performance.now() - warmStart;
  // A backend that needed longer than the budget for one warm image gets one small timed pass only.
  const batch = warmMs > WORKLOAD_BUDGET_MS * 2 ? 1 : WORKLOAD_BATCH;
  let images = 0;
  const start = performance.now();
  do {
    await run(batch);
    images += batch;
  } while (performance.now() - start < WORKLOAD_BUDGET_MS && images < batch * 4);
  return images / ((performance.now() - start) / 1000);
}

/**
 * Measures every available hardware backend on `load()`ed backbones and picks the
 * fastest. CPU is used only when none of the others can run.
 */
export async function measureBackends(key: string, load: () => Promise<LoadedBackbone>): Promise<BackendMeasurement> {
  const started = performance.now();
  const rates: Partial<Record<BackendName, number>> = {};
  const unavailable: Partial<Record<BackendName, string>> = {};
  const software: Partial<Record<BackendName, string>> = {};
  for (const name of MEASURED_BACKENDS) {
    const emulated = await softwareRenderer(name);
    if (emulated) {
      software[name] = emulated;
      continue;
    }
    const reason = await activate(name);
    if (reason) {
      unavailable[name] = reason;
      continue;
    }
    let backbone: LoadedBackbone | null = null;
    try {
      backbone = await load();
      rates[name] = await timeWorkload(backbone);
    } catch (error) {
      unavailable[name] = error instanceof Error ? error.message : String(error);
    } finally {
      backbone?.dispose();
    }
  }
  const ranked = (Object.entries(rates) as [BackendName, number][]).sort((a, b) => b[1] - a[1]);
  // With nothing else able to run, a software GPU still beats plain JS CPU kernels.
  const chosen = ranked[0]?.[0] ?? (software.webgl ? 'webgl' : software.webgpu ? 'webgpu' : 'cpu');
  return { key, chosen, rates, unavailable, software, seconds: (performance.now() - started) / 1000, measuredAt: new Date().toISOString() };
}

/**
 * Runs a step; if the active backend lacks a kernel it needs (WASM has no
 * depthwise-convolution gradients, for instance), runs the step again on CPU and says so.
 */
export async function withKernelFallback<T>(
  step: () => Promise<T>,
  onNote: (note: string) => void,
  describe = (backend: string, kernel: string) => `The ${backend} backend has no ${kernel} kernel, which this step needs, so it ran on cpu instead (slower).`,
): Promise<T> {
  try {
    return await step();
  } catch (error) {
    const missing = missingKernelOf(error);
    const previous = tf.getBackend();
    if (!missing || previous === 'cpu') throw error;
    onNote(describe(previous, missing));
    await tf.setBackend('cpu');
    try {
      return await step();
    } finally {
      await tf.setBackend(previous);
    }
  }
}
