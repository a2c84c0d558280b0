/**
 * One backend's figures for `npm run bench:gpu`: embedding (the worker's batched,
 * folded pass against Teachable Machine's one-at-a-time layers model), head
 * training (trainHead against model.fit), fine-tuning k layers, the occlusion
 * heatmap, and a tensor leak check, all through src/ml as the worker runs it.
 */
import * as tf from '@tensorflow/tfjs';
import { getBackbone } from '../../src/ml/backbones';
import { inferenceBatchSize } from '../../src/ml/batching';
import type { Figure } from '../../scripts/benchReport';
import type { BenchImages } from './images';
import { startBackend, type BenchBackend } from './backends';
import type { AdapterSummary } from './dawn';
import {
  embedLikeTeachableMachine,
  embedLikeTheWorker,
  explainLikeTheWorker,
  fineTuneLikeTheWorker,
  loadLocalBackbone,
  quickHead,
  trainLikeTeachableMachine,
  trainLikeTheWorker,
} from './workloads';

export interface Sizes {
  runs: number;
  epochs: number;
  fineTuneLayers: number;
  fineTuneEpochs: number;
  /** Cells per side of the heatmap grid (7: the app's Coarse). */
  cells: number;
  /** Batch sizes of the embedding sweep (images per backbone call). */
  sweep: number[];
  sweepImages: number;
  leakImages: number;
}

export type BackendResult =
  | { ok: true; backend: BenchBackend; adapter: AdapterSummary | null; detail: string; batchSize: number; figures: Figure[]; notes: string[] }
  | { ok: false; backend: BenchBackend; reason: string };

const t0 = performance.now();
const log = (...parts: unknown[]) => console.error(`[bench:gpu ${((performance.now() - t0) / 1000).toFixed(0)} s]`, ...parts);

export async function runBackend(name: BenchBackend, images: BenchImages, backboneId: string, sizes: Sizes, batchOverride?: number): Promise<BackendResult> {
  const started = await startBackend(name);
  if (!started.ok) return started;
  const batchSize = batchOverride ?? inferenceBatchSize(name);
  const notes: string[] = [];
  const spec = getBackbone(backboneId);
  const backbone = await loadLocalBackbone(spec);
  const { pixels, labels } = images;
  const numClasses = images.classNames.length;
  try {
    const leakPixels = pixels.slice(0, sizes.leakImages);
    const leakLabels = labels.slice(0, sizes.leakImages);
    /** Every workload once on a few images: compiles WebGPU's shaders (seconds each on a software adapter) before anything is timed. */
    const cycle = async () => {
      (await embedLikeTheWorker(backbone, pixels.slice(0, batchSize), batchSize)).embeddings.dispose();
      const { embeddings } = await embedLikeTeachableMachine(backbone, leakPixels);
      await trainLikeTheWorker(embeddings, leakLabels, numClasses, 1);
      await trainLikeTeachableMachine(embeddings, leakLabels, numClasses, 1);
      const cycleHead = await quickHead(embeddings, leakLabels, numClasses);
      embeddings.dispose();
      await explainLikeTheWorker(backbone, cycleHead, leakPixels[0], { cells: 2, batchSize });
      cycleHead.dispose();
      await fineTuneLikeTheWorker(backbone, leakPixels, leakLabels, numClasses, { layers: sizes.fineTuneLayers, epochs: 1, batchSize });
    };
    log(`${name}: warm-up, every workload once on ${leakPixels.length} images${name === 'webgpu' ? ' (compiles the shaders)' : ''}…`);
    await cycle();
    const tensorsBefore = tf.memory().numTensors;

    const per = { ips: [] as number[], baseIps: [] as number[], ratio: [] as number[], train: [] as number[], baseTrain: [] as number[], trainRatio: [] as number[], diff: [] as number[] };
    for (let run = 1; run <= sizes.runs; run++) {
      const app = await embedLikeTheWorker(backbone, pixels, batchSize);
      log(`${name} run ${run}/${sizes.runs}: worker embedding ${(pixels.length / app.seconds).toFixed(1)} img/s (batch ${batchSize}); Teachable Machine loop…`);
      const base = await embedLikeTeachableMachine(backbone, pixels);
      log(`  TM loop ${(pixels.length / base.seconds).toFixed(1)} img/s; head training (${sizes.epochs} epochs)…`);
      const trainSeconds = await trainLikeTheWorker(app.embeddings, labels, numClasses, sizes.epochs);
      const fitSeconds = await trainLikeTeachableMachine(base.embeddings, labels, numClasses, sizes.epochs);
      log(`  trainHead ${trainSeconds.toFixed(2)} s, model.fit ${fitSeconds.toFixed(2)} s`);
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(app.embeddings, base.embeddings))));
      per.diff.push((await diff.data())[0]);
      diff.dispose();
      app.embeddings.dispose();
      base.embeddings.dispose();
      per.ips.push(pixels.length / app.seconds);
      per.baseIps.push(pixels.length / base.seconds);
      per.ratio.push(base.seconds / app.seconds);
      per.train.push(trainSeconds);
      per.baseTrain.push(fitSeconds);
      per.trainRatio.push(trainSeconds / fitSeconds);
    }

    const figures: Figure[] = [
      { key: 'embed.imagesPerSecond', label: 'Worker embedding (folded, at `embed.batchSize`, one readback per batch)', unit: 'img/s', values: per.ips },
      { key: 'embed.baselineImagesPerSecond', label: 'Teachable Machine loop (layers, one image, one readback each)', unit: 'img/s', values: per.baseIps },
      { key: 'embed.ratio', label: 'Embedding speed-up', unit: '×', values: per.ratio, target: { kind: 'min', value: 3 } },
      { key: 'embed.maxAbsDifference', label: 'Largest difference, worker vs Teachable Machine embeddings (same images)', unit: '', values: per.diff },
      { key: 'embed.batchSize', label: 'Batch size the engine picks for this backend', unit: '', values: [batchSize] },
      { key: 'train.seconds', label: `Head training, trainHead (${pixels.length} samples, ${sizes.epochs} epochs)`, unit: 's', values: per.train },
      { key: 'train.baselineSeconds', label: 'Same head, model.fit', unit: 's', values: per.baseTrain },
      { key: 'train.ratio', label: 'Training time ratio', unit: '×', values: per.trainRatio, target: { kind: 'max', value: 0.5 } },
    ];

    const sweepPixels = pixels.slice(0, Math.min(pixels.length, sizes.sweepImages));
    for (const batch of sizes.sweep) {
      (await embedLikeTheWorker(backbone, sweepPixels.slice(0, batch), batch)).embeddings.dispose();
      const timed = await embedLikeTheWorker(backbone, sweepPixels, batch);
      timed.embeddings.dispose();
      figures.push({ key: `embed.byBatch.b${batch}`, label: `Worker embedding at batch ${batch} (${sweepPixels.length} images)`, unit: 'img/s', values: [sweepPixels.length / timed.seconds] });
      log(`  batch ${batch}: ${(sweepPixels.length / timed.seconds).toFixed(1)} img/s`);
    }

    log(`${name}: fine-tuning k = ${sizes.fineTuneLayers}, ${sizes.fineTuneEpochs} epoch(s)…`);
    const tuned = await fineTuneLikeTheWorker(backbone, pixels, labels, numClasses, { layers: sizes.fineTuneLayers, epochs: sizes.fineTuneEpochs, batchSize });
    if (tuned.ok) {
      figures.push(
        { key: 'fineTune.prefixSeconds', label: 'Fine-tuning: frozen prefix once per image (folded, at `embed.batchSize`)', unit: 's', values: [tuned.prefixSeconds] },
        { key: 'fineTune.seconds', label: `Fine-tuning k = ${sizes.fineTuneLayers} (${tuned.layers.join(', ')}), ${sizes.fineTuneEpochs} epoch(s)`, unit: 's', values: [tuned.trainSeconds] },
        { key: 'fineTune.secondsPerEpoch', label: 'Fine-tuning, per epoch', unit: 's', values: [tuned.trainSeconds / sizes.fineTuneEpochs] },
      );
    } else {
      notes.push(`Fine-tuning not measured: ${tuned.reason}.`);
    }

    log(`${name}: occlusion heatmap ${sizes.cells}×${sizes.cells}…`);
    const probe = await embedLikeTheWorker(backbone, pixels, batchSize);
    const head = await quickHead(probe.embeddings, labels, numClasses);
    probe.embeddings.dispose();
    try {
      const explainBatches = [...new Set([batchSize, 8])];
      for (const explainBatch of explainBatches) {
        await explainLikeTheWorker(backbone, head, pixels[0], { cells: sizes.cells, batchSize: explainBatch });
        const explained = await explainLikeTheWorker(backbone, head, pixels[0], { cells: sizes.cells, batchSize: explainBatch });
        figures.push({
          key: explainBatch === batchSize ? 'explain.seconds' : `explain.batch${explainBatch}Seconds`,
          label: `Occlusion heatmap ${sizes.cells}×${sizes.cells} (${explained.evaluations} predictions, ${explainBatch === batchSize ? 'at `embed.batchSize`' : `batch ${explainBatch}`})`,
          unit: 's',
          values: [explained.seconds],
        });
      }
    } finally {
      head.dispose();
    }

    log(`${name}: leak check…`);
    await cycle();
    figures.push({
      key: 'leaks.tensors',
      label: 'Tensors left over after all of the above and one more embed → train → explain → fine-tune cycle',
      unit: '',
      values: [tf.memory().numTensors - tensorsBefore],
      target: { kind: 'max', value: 0 },
    });
    return { ok: true, backend: name, adapter: started.adapter, detail: started.detail, batchSize, figures, notes };
  } finally {
    backbone.dispose();
  }
}
