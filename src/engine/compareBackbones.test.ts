import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { wrapBackbone, type LoadedBackbone } from '../ml/backbone';
import type { BackboneSpec } from '../ml/backbones';
import { rgbaBatchToTensor } from '../ml/preprocess';
import { DEFAULT_TRAIN_SETTINGS } from '../ml/settings';
import { TINY_RESNET_SPEC, TINY_SPEC, tinyBackboneModel, tinyResNetModel } from '../ml/testing';
import { createRng } from '../ml/random';
import { compareBackbones, type CompareHost } from './compareBackbones';
import type { CompareProgress, CompareRequest } from './backboneTypes';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const BROKEN: BackboneSpec = { ...TINY_SPEC, id: 'broken', title: 'broken test backbone' };
const SPECS = new Map([TINY_SPEC, TINY_RESNET_SPEC, BROKEN].map((s) => [s.id, s]));

/** RGBA pixels at any size: class "dark" images are dark, "bright" ones bright, with noise. */
function pixelsOf(id: string, size: number): Uint8ClampedArray {
  const rng = createRng(id.length * 31 + Number(id.slice(1)));
  const base = id.startsWith('d') ? 40 : 210;
  return Uint8ClampedArray.from({ length: size * size * 4 }, (_, i) => (i % 4 === 3 ? 255 : base + (rng() - 0.5) * 60));
}

/** The engine's side of a comparison, in memory: a cache that counts what it embeds. */
function memoryHost(stopAfterBackbones = Infinity) {
  const cache = new Map<string, Map<string, Float32Array>>();
  const embedded: string[] = [];
  const loaded: LoadedBackbone[] = [];
  let embeddedBackbones = 0;
  const host: CompareHost = {
    spec: (id) => SPECS.get(id)!,
    async loadBackbone(id) {
      if (id === 'broken') throw new Error('model.json: HTTP 404');
      const model = id === TINY_SPEC.id ? tinyBackboneModel(8) : tinyResNetModel(16);
      const backbone = wrapBackbone(SPECS.get(id)!, model, 'memory');
      loaded.push(backbone);
      return backbone;
    },
    async embedAll(backbone, ids, onProgress) {
      const known = cache.get(backbone.spec.id) ?? new Map<string, Float32Array>();
      cache.set(backbone.spec.id, known);
      const todo = ids.filter((id) => !known.has(id));
      const { inputSize, scaling, embeddingSize } = backbone.spec;
      const out = tf.tidy(() => backbone.embed(rgbaBatchToTensor(todo.map((id) => pixelsOf(id, inputSize)), inputSize, scaling)));
      const flat = await out.data();
      out.dispose();
      todo.forEach((id, i) => known.set(id, (flat as Float32Array).slice(i * embeddingSize, (i + 1) * embeddingSize)));
      embedded.push(...todo.map((id) => `${backbone.spec.id}:${id}`));
      onProgress(todo.length, todo.length);
      embeddedBackbones++;
      return true;
    },
    cachedEmbeddings(backboneId, ids) {
      const known = cache.get(backboneId)!;
      const dims = SPECS.get(backboneId)!.embeddingSize;
      const matrix = new Float32Array(ids.length * dims);
      ids.forEach((id, row) => matrix.set(known.get(id)!, row * dims));
      return matrix;
    },
    pixels: async (id, size) => pixelsOf(id, size),
    shouldStop: () => embeddedBackbones > stopAfterBackbones,
    yieldBetweenBatches: async () => undefined,
    backend: 'cpu',
  };
  return { host, embedded, dispose: () => loaded.forEach((b) => b.dispose()) };
}

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const request: CompareRequest = {
  backboneIds: [TINY_SPEC.id, 'broken', TINY_RESNET_SPEC.id],
  skipped: [{ title: 'MobileNet V2 1.00', reason: 'unreachable' }],
  classes: [
    { name: 'dark', sampleIds: ids('d', 10) },
    { name: 'bright', sampleIds: ids('b', 10) },
  ],
  // Augmentation and fine-tuning are switched off for a comparison whatever the project says.
  settings: { ...DEFAULT_TRAIN_SETTINGS, epochs: 40, validationSplit: 0.3, augment: true, fineTuneLayers: 2 },
};

describe('compareBackbones', () => {
  it('trains on each backbone with one split and seed, reports a row each (a failing one says why), and caches embeddings', async () => {
    const { host, embedded, dispose } = memoryHost();
    const progress: CompareProgress[] = [];
    const before = tf.memory().numTensors;
    const outcome = await compareBackbones(host, request, (p) => progress.push(p));
    if (!outcome || 'refused' in outcome) throw new Error(`expected a comparison, got ${JSON.stringify(outcome)}`);
    const { comparison, models } = outcome;
    expect(comparison).toMatchObject({ labels: ['dark', 'bright'], images: 20, validationImages: 6, seed: request.settings.seed, epochs: 40, skipped: request.skipped });
    expect(comparison.rows.map((r) => r.backboneId)).toEqual([TINY_SPEC.id, 'broken', TINY_RESNET_SPEC.id]);
    const [tiny, broken, resnet] = comparison.rows;
    expect(broken).toMatchObject({ accuracy: null, error: 'model.json: HTTP 404' });
    for (const row of [tiny, resnet]) {
      expect(row.accuracy).toBe(1);
      expect(row.perClassAccuracy).toEqual([1, 1]);
      expect(row.embedMsPerImage).toBeGreaterThan(0);
      expect(row.parameters).toBeGreaterThan(0);
      expect(row.exportFormats).toMatch(/One TF\.js layers model/);
    }
    // Both rows were measured on the same number of validation images (one split).
    const validationCount = (id: string) => models.get(id)!.outcome.validation!.count;
    expect(validationCount(TINY_SPEC.id)).toBe(validationCount(TINY_RESNET_SPEC.id));
    expect(models.get(TINY_SPEC.id)!.outcome.details!.augmentedViews).toBe(0);
    expect(progress.map((p) => `${p.index}/${p.count} ${p.phase}`)).toContain('3/3 training');
    expect(embedded).toHaveLength(40);

    // Again: every embedding comes from the cache.
    const again = await compareBackbones(host, request, () => undefined);
    expect(embedded).toHaveLength(40);
    if (again && !('refused' in again)) again.models.forEach((m) => m.head.dispose());
    // Only the heads handed back are left; the caller disposes them.
    models.forEach((m) => m.head.dispose());
    dispose();
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before);
  });

  it('Cancel stops it with nothing kept', async () => {
    const { host, dispose } = memoryHost(1);
    const before = tf.memory().numTensors;
    expect(await compareBackbones(host, { ...request, backboneIds: [TINY_SPEC.id, TINY_RESNET_SPEC.id] }, () => undefined)).toBeNull();
    dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a project it cannot compare', async () => {
    const { host } = memoryHost();
    expect(await compareBackbones(host, { ...request, settings: { ...request.settings, validationSplit: 0 } }, () => undefined)).toEqual({
      refused: 'Comparing backbones needs validation images: set a validation split above 0 %.',
    });
  });
});
