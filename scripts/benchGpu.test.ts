/**
 * Smoke runs of `npm run bench:gpu` at tiny sizes, so the Node GPU benchmark
 * cannot rot: WASM always; WebGPU through Dawn when this machine has an adapter
 * (a GPU, Mesa's lavapipe, or OpenGL ES through EGL), else skipped with the reason.
 */
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { missingNumbers } from './benchReport';

const root = resolve(import.meta.dirname, '..');
const KEYS = ['embed.imagesPerSecond', 'embed.baselineImagesPerSecond', 'embed.ratio', 'train.seconds', 'train.baselineSeconds', 'train.ratio', 'leaks.tensors'];
/** Fewest images and steps that still run every workload once. */
const TINY = ['--quick', '--images', '4', '--sweep', '2', '--cells', '2', '--epochs', '1', '--json'];

async function benchGpu(backend: string): Promise<{ json: Record<string, unknown>; exitCode: number }> {
  try {
    const { stdout } = await promisify(execFile)(join(root, 'node_modules', '.bin', 'tsx'), ['scripts/bench-gpu.ts', '--backend', backend, ...TINY], {
      cwd: root,
      maxBuffer: 16 * 1024 * 1024,
      timeout: 9 * 60_000,
    });
    return { json: JSON.parse(stdout) as Record<string, unknown>, exitCode: 0 };
  } catch (error) {
    // No backend ran: exit code 1, with the JSON (saying why) still on stdout.
    const failed = error as { stdout?: string; code?: number; stderr?: string };
    if (!failed.stdout?.trim().startsWith('{')) throw new Error(`bench:gpu failed: ${failed.stderr?.slice(-2000)}`);
    return { json: JSON.parse(failed.stdout) as Record<string, unknown>, exitCode: failed.code ?? 1 };
  }
}

describe('npm run bench:gpu at tiny sizes', () => {
  it('runs the worker pipeline on WASM in Node and reports every figure, with no leaked tensors', { timeout: 5 * 60_000 }, async () => {
    const { json, exitCode } = await benchGpu('wasm');
    expect(exitCode).toBe(0);
    expect(json.backend).toBe('wasm');
    expect(missingNumbers(json, [...KEYS, 'fineTune.seconds', 'explain.seconds'])).toEqual([]);
    expect((json.leaks as { tensors: number }).tensors).toBe(0);
    // The folded pass computes what the layers model computes.
    expect((json.embed as { maxAbsDifference: number }).maxAbsDifference).toBeLessThan(1e-3);
  });

  it('runs the same pipeline on WebGPU through Dawn, or says why it cannot', { timeout: 10 * 60_000 }, async (context) => {
    const { json, exitCode } = await benchGpu('webgpu');
    const skipped = (json.skipped as { backend: string; reason: string }[] | undefined)?.find((s) => s.backend === 'webgpu');
    if (skipped) {
      expect(exitCode).toBe(1);
      expect(skipped.reason).toMatch(/adapter|Dawn|WebGPU/);
      console.log(`bench:gpu WebGPU smoke run skipped: ${skipped.reason}`);
      context.skip();
    }
    expect(exitCode).toBe(0);
    expect(json.backend).toBe('webgpu');
    const adapter = json.adapter as { description: string; isFallbackAdapter: boolean; backendType: string };
    expect(typeof adapter.isFallbackAdapter).toBe('boolean');
    expect(adapter.backendType).toMatch(/vulkan|metal|d3d12|opengles/);
    expect(missingNumbers(json, [...KEYS, 'fineTune.seconds', 'explain.seconds'])).toEqual([]);
    expect((json.leaks as { tensors: number }).tensors).toBe(0);
    expect((json.embed as { maxAbsDifference: number }).maxAbsDifference).toBeLessThan(1e-3);
  });
});
