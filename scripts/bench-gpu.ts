/**
 * `npm run bench:gpu`: the engine's compute on WebGPU without a browser. Runs
 * the worker's src/ml code in Node on tfjs-backend-webgpu, with navigator.gpu
 * from Dawn (npm package `webgpu`), and on tfjs-backend-wasm for comparison.
 *
 *   npm run bench:gpu                                 # 200 generated images, both backends
 *   npm run bench:gpu -- --data ../shared/datasets/cats_dogs --json
 *   npm run bench:gpu -- --backend webgpu --batch 64  # try another batch size
 *   npm run bench:gpu -- --quick                      # tiny sizes (the smoke test)
 *
 * Prints a markdown table (stdout; with --json the table goes to stderr and only
 * the JSON to stdout). `npm run bench:gpu:pack` bundles this file into a folder
 * that runs with `node <folder>/bench-gpu.mjs`.
 */
import * as tf from '@tensorflow/tfjs';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_BACKBONE_ID, getBackbone } from '../src/ml/backbones';
import { BENCH_BACKENDS, type BenchBackend } from '../bench/gpu/backends';
import { generatedImages, loadImageFolder, type BenchImages } from '../bench/gpu/images';
import { PACKED, packedImages } from '../bench/gpu/layout';
import { combinedJson, comparisonTable } from '../bench/gpu/report';
import { runBackend, type BackendResult, type Sizes } from '../bench/gpu/run';
import { isSoftwareAdapter } from '../bench/gpu/dawn';

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'all' },
    data: { type: 'string' },
    images: { type: 'string' },
    runs: { type: 'string' },
    epochs: { type: 'string' },
    'fine-tune-epochs': { type: 'string' },
    cells: { type: 'string' },
    batch: { type: 'string' },
    sweep: { type: 'string' },
    backbone: { type: 'string', default: DEFAULT_BACKBONE_ID },
    quick: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    out: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

const USAGE = `bench-gpu [--backend webgpu|wasm|all] [--data <imagefolder>] [--images N] [--runs N] [--epochs N]
          [--fine-tune-epochs N] [--cells N] [--batch N] [--sweep 1,8,32] [--backbone id] [--quick] [--json] [--out file.json]`;

const log = (...parts: unknown[]) => console.error('[bench:gpu]', ...parts);
const positive = (name: string, raw: string | undefined, fallback: number) => {
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer (got "${raw}")`);
  return value;
};

async function main() {
  if (args.help) return console.log(USAGE);
  const backends: BenchBackend[] = args.backend === 'all' ? [...BENCH_BACKENDS] : [args.backend as BenchBackend];
  if (!backends.every((b) => (BENCH_BACKENDS as readonly string[]).includes(b))) throw new Error(`--backend must be webgpu, wasm or all\n${USAGE}`);
  const quick = args.quick;
  const sizes: Sizes = {
    runs: positive('runs', args.runs, quick ? 1 : 3),
    epochs: positive('epochs', args.epochs, quick ? 2 : 50),
    fineTuneLayers: 2,
    fineTuneEpochs: positive('fine-tune-epochs', args['fine-tune-epochs'], quick ? 1 : 5),
    cells: positive('cells', args.cells, quick ? 3 : 7),
    sweep: (args.sweep ?? (quick ? '1,4' : '1,8,32')).split(',').map((n) => positive('sweep', n, 1)),
    sweepImages: quick ? 8 : 64,
    leakImages: quick ? 4 : 16,
  };
  const count = positive('images', args.images, quick ? 12 : 200);
  const batch = args.batch === undefined ? undefined : positive('batch', args.batch, 8);
  const spec = getBackbone(args.backbone);

  // Decoding and resizing run on the CPU backend, before any timed backend starts.
  await tf.setBackend('cpu');
  const dataRoot = args.data ?? packedImages();
  const images: BenchImages = dataRoot ? loadImageFolder(dataRoot, count, spec.inputSize) : generatedImages(count, spec.inputSize);
  log(`${images.pixels.length} images over ${images.classNames.length} classes (${images.source}), backbone ${spec.id}, backends ${backends.join(', ')}`);

  const results: BackendResult[] = [];
  for (const name of backends) {
    const result = await runBackend(name, images, spec.id, sizes, batch);
    if (!result.ok) log(`${name} skipped: ${result.reason}`);
    results.push(result);
  }
  const ran = results.filter((r): r is Extract<BackendResult, { ok: true }> => r.ok);
  const header = {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    packed: PACKED,
    options: { ...sizes, images: images.pixels.length, classes: images.classNames, data: images.source, backbone: spec.id, batch: batch ?? 'per backend' },
    method:
      'Node, no browser: the worker\'s src/ml code on pre-decoded model-size pixels (decoding is not timed). Embedding: rgbaBatchToTensor → folded backbone → one readback per batch, ' +
      'against Teachable Machine\'s loop (layers model, one image, await data() each). Training: trainHead against model.fit of the same head. Medians over runs.',
  };
  const json = combinedJson(results, header);
  if (args.out) writeFileSync(args.out, `${JSON.stringify(json, null, 2)}\n`);
  const lines = [ran.length > 0 ? comparisonTable(ran) : 'No backend could run.'];
  for (const r of results) {
    if (!r.ok) lines.push(`- ${r.backend}: not measured: ${r.reason}`);
    else {
      if (r.adapter && isSoftwareAdapter(r.adapter)) lines.push(`- ${r.backend}: the adapter is a software rasteriser (${r.adapter.description || r.adapter.vendor}); these are CPU figures, not GPU figures.`);
      for (const note of r.notes) lines.push(`- ${r.backend}: ${note}`);
    }
  }
  lines.push(`\n${images.pixels.length} images (${images.source}), backbone ${spec.id}, ${sizes.runs} run(s), Node ${process.version}.`);
  const text = lines.join('\n');
  if (args.json) {
    console.error(text);
    console.log(JSON.stringify(json, null, 2));
  } else {
    console.log(text);
  }
  if (ran.length === 0) process.exitCode = 1;
}

main()
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  })
  // Dawn keeps the event loop alive while a device exists; the figures are out, so leave.
  .finally(() => process.exit());
