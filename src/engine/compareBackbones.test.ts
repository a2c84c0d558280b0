import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { wrapBackbone, type LoadedBackbone } from '../ml/backbone';
import type { BackboneSpec } from '../ml/backbones';
import { rgbaBatchToTensor } from '../ml/preprocess';
import { DEFAULT_TRAIN_SETTINGS } from '../ml/settings';
import { TINY_RESNET_SPEC, TINY_SPEC, tinyBackboneModel, tinyResNetModel } from '../ml/testing';
import { createRng } from '../ml/random';
import { compareBackbones, Comparisons, type CompareHost, type ComparisonDeps } from './compareBackbones';
import type { BackboneComparison, CompareProgress, CompareRequest } from './backboneTypes';
import { Embeddings } from './embeddings';
import { Operations } from './operations';
import type { SavedModel } from './modelStore';

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

/** The engine's side of a comparison, in memory: a cache that counts what it embeds; Cancel is the controller's abort. */
function memoryHost(stopAfterBackbones = Infinity) {
  const controller = new AbortController();
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
    async embedMissing(backbone, ids, _signal, onProgress) {
      const known = cache.get(backbone.spec.id) ?? new Map<string, Float32Array>();
      cache.set(backbone.spec.id, known);
      const todo = ids.filter((id) => !known.has(id));
      const { inputSize, scaling, embeddingSize } = backbone.spec;
      const out = tf.tidy(() => backbone.embed(rgbaBatchToTensor(todo.map((id) => pixelsOf(id, inputSize)), inputSize, scaling)));
      const flat = await out.data();
      out.dispose();
      todo.forEach((id, i) => known.set(id, (flat as Float32Array).slice(i * embeddingSize, (i + 1) * embeddingSize)));
      embedded.push(...todo.map((id) => `${backbone.spec.id}:${id}`));
      onProgress({ phase: 'embedding', done: todo.length, total: todo.length });
      // Cancel pressed once this many backbones are embedded: the training that follows stops.
      if (++embeddedBackbones > stopAfterBackbones) controller.abort();
      return true;
    },
    async cachedEmbeddings(backbone, ids) {
      const known = cache.get(backbone.spec.id)!;
      const dims = backbone.spec.embeddingSize;
      const matrix = new Float32Array(ids.length * dims);
      ids.forEach((id, row) => matrix.set(known.get(id)!, row * dims));
      return matrix;
    },
    pixels: async (ids, size) => ids.map((id) => pixelsOf(id, size)),
    yieldBetweenBatches: async () => undefined,
    backend: 'cpu',
  };
  return { host, signal: controller.signal, embedded, dispose: () => loaded.forEach((b) => b.dispose()) };
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
    const { host, signal, embedded, dispose } = memoryHost();
    const progress: CompareProgress[] = [];
    const before = tf.memory().numTensors;
    const outcome = await compareBackbones(host, request, signal, (p) => progress.push(p));
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
    const again = await compareBackbones(host, request, signal, () => undefined);
    expect(embedded).toHaveLength(40);
    if (again && !('refused' in again)) again.models.forEach((m) => m.head.dispose());
    // Only the heads handed back are left; the caller disposes them.
    models.forEach((m) => m.head.dispose());
    dispose();
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before);
  });

  it('Cancel stops it with nothing kept', async () => {
    const { host, signal, dispose } = memoryHost(1);
    const before = tf.memory().numTensors;
    expect(await compareBackbones(host, { ...request, backboneIds: [TINY_SPEC.id, TINY_RESNET_SPEC.id] }, signal, () => undefined)).toBeNull();
    dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a project it cannot compare', async () => {
    const { host, signal } = memoryHost();
    expect(await compareBackbones(host, { ...request, settings: { ...request.settings, validationSplit: 0 } }, signal, () => undefined)).toEqual({
      refused: 'Comparing backbones needs validation images: set a validation split above 0 %.',
    });
  });
});

/**
 * The engine's module around the run: embeddings go into the real EmbeddingTable (and its
 * store), the table is saved with the project, Cancel is the operation's signal, and
 * "Use this backbone" hands the head to the model holder with the page's revision.
 */
describe('Comparisons (the engine module)', () => {
  function engineModules() {
    const allIds = [...ids('d', 10), ...ids('b', 10)];
    const saved: { backboneId: string; ids: string[] }[] = [];
    const loaded: LoadedBackbone[] = [];
    const comparisonsSaved: (BackboneComparison | null)[] = [];
    const modelsSaved: { model: SavedModel; revision: number }[] = [];
    let inUse: SavedModel | null = null;
    let current: LoadedBackbone | null = null;
    const backbones = {
      spec: (id: string) => SPECS.get(id)!,
      backendStarted: async () => undefined,
      async load(id: string) {
        if (current?.spec.id === id) return current;
        if (id === 'broken') throw new Error('model.json: HTTP 404');
        current?.dispose();
        current = wrapBackbone(SPECS.get(id)!, id === TINY_SPEC.id ? tinyBackboneModel(8) : tinyResNetModel(16), 'memory');
        loaded.push(current);
        return current;
      },
    };
    const projects = {
      current: { id: 'p' },
      sampleIds: () => allIds,
      bytes: async (wanted: string[]) => wanted.map((id) => new Blob([id])),
      saveComparison: async (comparison: BackboneComparison | null) => void comparisonsSaved.push(comparison),
    };
    const embeddings = new Embeddings({
      store: { read: async () => undefined, save: async (_p, backboneId, sampleIds) => void saved.push({ backboneId, ids: sampleIds }) },
      bytes: projects.bytes,
      pixels: async (blob, size) => pixelsOf(await blob.text(), size),
      project: () => ({ id: 'p', sampleIds: () => allIds }),
      backbone: (id) => backbones.load(id),
      onStatus: () => undefined,
    });
    const models = {
      replace: (model: SavedModel | null) => {
        inUse?.head.dispose();
        inUse = model;
      },
      store: { saveModel: async (_projectId: string, model: SavedModel, training: { revision: number }) => void modelsSaved.push({ model, revision: training.revision }) },
    };
    const comparisons = new Comparisons({
      backbones,
      embeddings,
      projects,
      models,
      pixels: async (blob: Blob, size: number) => pixelsOf(await blob.text(), size),
    } as unknown as ComparisonDeps);
    return {
      comparisons,
      embeddings,
      saved,
      comparisonsSaved,
      modelsSaved,
      inUse: () => inUse,
      dispose: () => {
        comparisons.discard();
        models.replace(null);
        current?.dispose();
      },
    };
  }

  it('caches what it embeds in the EmbeddingTable, saves the table with the project and hands a head over', async () => {
    const before = tf.memory().numTensors;
    const engine = engineModules();
    const operations = new Operations();
    const comparison = await operations.run('comparison', (signal) => engine.comparisons.run(request, signal, () => undefined));
    if (!comparison || 'refused' in comparison) throw new Error(`expected a comparison, got ${JSON.stringify(comparison)}`);
    expect(engine.comparisonsSaved).toEqual([comparison]);
    for (const spec of [TINY_SPEC, TINY_RESNET_SPEC]) {
      const table = await engine.embeddings.table(spec);
      expect(table.size).toBe(20);
      expect(engine.saved.filter((s) => s.backboneId === spec.id).flatMap((s) => s.ids)).toHaveLength(20);
    }
    // A second comparison embeds nothing: every row comes from the table.
    const again = await operations.run('comparison', (signal) => engine.comparisons.run(request, signal, () => undefined));
    expect(again).not.toBeNull();
    expect(engine.saved.flatMap((s) => s.ids)).toHaveLength(40);

    const outcome = await engine.comparisons.use(TINY_RESNET_SPEC.id, comparison.labels, 7);
    expect(outcome).toMatchObject({ status: 'trained', labels: ['dark', 'bright'] });
    expect(engine.inUse()).toMatchObject({ backboneId: TINY_RESNET_SPEC.id, labels: ['dark', 'bright'] });
    expect(engine.modelsSaved.map((m) => m.revision)).toEqual([7]);
    // Handed over once: the head now belongs to the model in use.
    expect(await engine.comparisons.use(TINY_RESNET_SPEC.id, comparison.labels, 8)).toBeNull();
    // Other labels than the compared ones: not this head.
    expect(await engine.comparisons.use(TINY_SPEC.id, ['bright', 'dark'], 8)).toBeNull();
    engine.dispose();
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before);
  });

  it('Cancel (the operation kind "comparison") stops it: nothing saved, no tensors left', async () => {
    const engine = engineModules();
    const operations = new Operations();
    const before = tf.memory().numTensors;
    const run = operations.run('comparison', (signal) =>
      engine.comparisons.run({ ...request, backboneIds: [TINY_SPEC.id, TINY_RESNET_SPEC.id] }, signal, (p) => {
        if (p.phase === 'training' && p.done >= 2) operations.cancel('comparison');
      }),
    );
    expect(await run).toBeNull();
    expect(engine.comparisonsSaved).toEqual([]);
    // Only the backbone in memory is left; once it goes, everything the run made is gone.
    engine.dispose();
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before);
  });

  it('refuses samples the project no longer has', async () => {
    const engine = engineModules();
    const outcome = await engine.comparisons.run(
      { ...request, classes: [...request.classes, { name: 'gone', sampleIds: ['x1'] }] },
      new AbortController().signal,
      () => undefined,
    );
    expect(outcome).toEqual({ refused: '1 images are no longer available; add them again.' });
    engine.dispose();
  });
});
