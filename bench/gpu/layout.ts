/**
 * Where the benchmark finds its files: in the repository (node_modules,
 * public/models or MODELS_DIR), or inside the folder `npm run bench:gpu:pack`
 * writes, next to the bundled script.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BackboneSpec } from '../../src/ml/backbones';

/** Replaced by `true` when esbuild bundles the pack (see scripts/bench-gpu-pack.ts). */
export const PACKED = process.env.BENCH_GPU_PACKED === 'true';

/** The pack folder (where bench-gpu.mjs lies), or the repository root. */
export const baseDir = PACKED ? dirname(fileURLToPath(import.meta.url)) : resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Folder holding tfjs-backend-wasm's .wasm files. */
export function wasmDir(): string {
  if (PACKED) return join(baseDir, 'wasm');
  return join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
}

/**
 * Folder with a backbone's model.json: the pack's copy; else MODELS_DIR's source
 * folder when that variable is set (as `npm run models` reads it); else public/models.
 */
export function modelDir(spec: BackboneSpec): string {
  if (PACKED) return join(baseDir, 'models', spec.id);
  const fromEnv = process.env.MODELS_DIR ? resolve(process.env.MODELS_DIR, spec.sourceDir) : null;
  if (fromEnv && existsSync(join(fromEnv, 'model.json'))) return fromEnv;
  return join(baseDir, 'public', 'models', spec.id);
}

/** The pack's images (ImageFolder layout), or null outside a pack. */
export function packedImages(): string | null {
  const dir = join(baseDir, 'images');
  return PACKED && existsSync(dir) ? dir : null;
}
