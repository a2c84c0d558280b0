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
  /** Dawn's backend that found it (e.g. vulkan, metal, d3d12), when Dawn says. */
  backendType?: string;
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
    const gpu = dawn.create(dawnFlags);
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' }).catch(() => null);
    if (!adapter) {
      return {
        ok: false,
        reason:
          'no WebGPU adapter: Dawn found no Vulkan/Metal/D3D12 device it accepts (Linux needs a Vulkan driver, e.g. the GPU vendor\'s, ' +
          'or mesa-vulkan-drivers ≥ 23 for lavapipe on the CPU; Dawn prints why it refused a device above)',
      };
    }
    // Node 21+ has a `navigator`; Node 20 does not. tfjs only reads navigator.gpu.
    if (typeof navigator === 'undefined') Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
    Object.defineProperty(navigator, 'gpu', { value: gpu, configurable: true });
    const info = adapter.info;
    // The same device request tfjs makes in a browser: the adapter's own limits, so big batches fit.
    const limits = adapter.limits;
    const device = await adapter.requestDevice({
      requiredFeatures: adapter.features.has('timestamp-query') ? ['timestamp-query'] : [],
      requiredLimits: {
        maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
        maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
        maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
        maxBufferSize: limits.maxBufferSize,
        maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
        maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
      },
    });
    // tfjs registered `webgpu` at import only if navigator.gpu existed then; this registration is the one that counts.
    if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
    tf.registerBackend('webgpu', () => new WebGPUBackend(device, info), 3);
    const extra = info as GPUAdapterInfo & { backendType?: string };
    return {
      ok: true,
      adapter: {
        vendor: info.vendor,
        architecture: info.architecture,
        description: info.description,
        device: info.device,
        isFallbackAdapter: Boolean(info.isFallbackAdapter),
        ...(extra.backendType ? { backendType: String(extra.backendType) } : {}),
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

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));
