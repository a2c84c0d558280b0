/**
 * WebGPU in Node without a browser: `navigator.gpu` from Dawn's Node bindings
 * (the `webgpu` npm package, which ships prebuilt `dawn.node` addons), and
 * TensorFlow.js's WebGPU backend registered on the adapter found there.
 */
import * as tf from '@tensorflow/tfjs';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';

/** What the benchmark reports about the adapter, as Chromium's GPUAdapterInfo names it. */
export interface AdapterSummary {
  vendor: string;
  architecture: string;
  description: string;
  device: string;
  isFallbackAdapter: boolean;
  /** Dawn's backend behind it: vulkan, metal, d3d12, or opengles (the fallback). */
  backendType: string;
  /** 'core' WebGPU, or 'compatibility' (the OpenGL ES fallback's reduced feature level). */
  featureLevel: 'core' | 'compatibility';
}

export type WebGpuSetup = { ok: true; adapter: AdapterSummary } | { ok: false; reason: string };

interface DawnModule {
  create(flags: string[]): GPU;
  globals: Record<string, unknown>;
}

let setup: Promise<WebGpuSetup> | null = null;

/**
 * Finds a WebGPU adapter through Dawn and registers tfjs's `webgpu` backend on it.
 * Resolves with the adapter, or with why there is none (addon missing, no driver,
 * a driver Dawn refuses): a reason to print, never an exception.
 */
export function setUpWebGpu(dawnFlags: string[] = []): Promise<WebGpuSetup> {
  setup ??= (async (): Promise<WebGpuSetup> => {
    let dawn: DawnModule;
    try {
      dawn = (await import('webgpu')) as unknown as DawnModule;
    } catch (error) {
      return { ok: false, reason: `Dawn's Node addon (npm package "webgpu") did not load: ${message(error)}` };
    }
    // tfjs-backend-webgpu uses the WebGPU enums as globals (GPUBufferUsage, GPUMapMode, …), as in a browser.
    for (const [name, value] of Object.entries(dawn.globals)) if (!(name in globalThis)) Object.assign(globalThis, { [name]: value });
    const found = await findAdapter(dawn, dawnFlags);
    if (!found) {
      return {
        ok: false,
        reason:
          'no WebGPU adapter: Dawn found no device it accepts (Linux: a Vulkan driver, the GPU vendor\'s or Mesa ≥ 23 lavapipe; ' +
          'else OpenGL ES through EGL; Dawn prints why it refused a device above)',
      };
    }
    const { gpu, adapter, backendType, featureLevel } = found;
    // Node 21+ has a `navigator`; Node 20 does not. tfjs only reads navigator.gpu.
    if (typeof navigator === 'undefined') Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
    Object.defineProperty(navigator, 'gpu', { value: gpu, configurable: true });
    const info = adapter.info;
    // Every limit the adapter has, not the defaults: big batches need big buffers, and in
    // compatibility mode the default of 4 storage buffers per stage is too few for tfjs's kernels.
    const requiredLimits: Record<string, number> = {};
    for (const key in adapter.limits) {
      const value = (adapter.limits as unknown as Record<string, unknown>)[key];
      if (typeof value === 'number') requiredLimits[key] = value;
    }
    const device = await adapter.requestDevice({
      requiredFeatures: adapter.features.has('timestamp-query') ? ['timestamp-query'] : [],
      requiredLimits,
    });
    // tfjs registered `webgpu` at import only if navigator.gpu existed then; this registration is the one that counts.
    if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
    tf.registerBackend('webgpu', () => new WebGPUBackend(device, info), 3);
    return {
      ok: true,
      adapter: {
        vendor: info.vendor,
        architecture: info.architecture,
        description: info.description,
        device: info.device,
        isFallbackAdapter: Boolean(info.isFallbackAdapter),
        backendType,
        featureLevel,
      },
    };
  })().catch((error): WebGpuSetup => ({ ok: false, reason: `WebGPU did not start: ${message(error)}` }));
  return setup;
}

/**
 * A CPU rasteriser posing as a GPU: Dawn's fallback adapter, Mesa's lavapipe
 * (llvmpipe) or SwiftShader. Its figures measure the CPU, not a GPU.
 */
export function isSoftwareAdapter(adapter: AdapterSummary): boolean {
  return adapter.isFallbackAdapter || /llvmpipe|lavapipe|swiftshader|software/i.test(`${adapter.description} ${adapter.device} ${adapter.vendor}`);
}

export function describeAdapter(adapter: AdapterSummary): string {
  const name = adapter.description || [adapter.vendor, adapter.architecture, adapter.device].filter(Boolean).join(' ') || 'unnamed adapter';
  return isSoftwareAdapter(adapter) ? `${name} (software: CPU figures, not GPU figures)` : name;
}

/**
 * Dawn's native backend first (Vulkan on Linux, Metal on macOS, D3D12 on Windows);
 * else OpenGL ES through EGL at WebGPU's compatibility feature level, which also
 * covers Linux machines whose Vulkan driver Dawn refuses (Debian 12's lavapipe,
 * Mesa 22, lacks dynamic indexing of image arrays) or that have no Vulkan at all.
 */
async function findAdapter(dawn: DawnModule, flags: string[]) {
  const native = dawn.create(flags);
  const adapter = await native.requestAdapter({ powerPreference: 'high-performance' }).catch(() => null);
  if (adapter) return { gpu: native, adapter, backendType: NATIVE_BACKEND[process.platform] ?? 'native', featureLevel: 'core' as const };
  // Mesa's EGL needs no display server on this platform; a headless machine has none.
  process.env.EGL_PLATFORM ??= 'surfaceless';
  const gpu = dawn.create(['backend=opengles', ...flags]);
  const gl = await gpu.requestAdapter({ featureLevel: 'compatibility', powerPreference: 'high-performance' } as GPURequestAdapterOptions).catch(() => null);
  return gl ? { gpu, adapter: gl, backendType: 'opengles', featureLevel: 'compatibility' as const } : null;
}

const NATIVE_BACKEND: Record<string, string> = { linux: 'vulkan', darwin: 'metal', win32: 'd3d12' };

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));
