/**
 * Accuracy on real photos, through the app's own worker pipeline in headless Chromium.
 *
 *   npm run bench:accuracy -- --data <root> [--backend wasm] [--backbone id] [--json] [--epochs 50 ...]
 *
 * <root> holds train/<class>/* and validation/<class>/* (or val/). The app's default training
 * settings are used unless a settings flag overrides one (every TrainSettings field has a
 * kebab-case flag, e.g. --learning-rate 0.0005, --augment true --augment-views 4,
 * --fine-tune-layers 2, --early-stopping true, --augmentation '{"shear":{"enabled":true,"strength":0.3}}').
 * Files that cannot be decoded are skipped and counted.
 *
 * --export tflite-quantized (or tflite-float, onnx; comma-separated for several) also exports the
 * trained model in that format in the worker, reports the file size and export time, and for the
 * TFLite formats the validation accuracy of the file itself, run with LiteRT.js in the same page
 * on the app's own crop and resize of each image.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { DEFAULT_BACKBONE_ID } from '../src/ml/backbones';
import { DEFAULT_TRAIN_SETTINGS, type TrainSettings } from '../src/ml/settings';
import { openHarness, parseArgs } from './lib/harness';

const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const settingFlags = Object.fromEntries(Object.keys(DEFAULT_TRAIN_SETTINGS).map((k) => [kebab(k), 'string' as const]));

const args = parseArgs<Record<string, string | boolean>>(process.argv.slice(2), {
  data: 'string',
  backend: 'string',
  backbone: 'string',
  json: 'boolean',
  port: 'string',
  rebuild: 'boolean',
  export: 'string',
  ...settingFlags,
});

function log(...parts: unknown[]) {
  // With --json, stdout carries only the JSON.
  (args.json ? console.error : console.log)(...parts);
}

function settingsFromFlags(): TrainSettings {
  const settings: Record<string, unknown> = { ...DEFAULT_TRAIN_SETTINGS };
  for (const [key, fallback] of Object.entries(DEFAULT_TRAIN_SETTINGS)) {
    const raw = args[kebab(key)];
    if (typeof raw !== 'string') continue;
    if (typeof fallback === 'boolean') settings[key] = raw === 'true' || raw === '1';
    else if (typeof fallback === 'number') {
      const value = Number(raw);
      if (!Number.isFinite(value)) throw new Error(`--${kebab(key)} must be a number, got "${raw}"`);
      settings[key] = value;
    } else if (typeof fallback === 'object') {
      try {
        settings[key] = { ...fallback, ...JSON.parse(raw) };
      } catch {
        throw new Error(`--${kebab(key)} takes JSON, e.g. --${kebab(key)} '{"flip":{"enabled":true,"strength":0.5}}'`);
      }
    } else settings[key] = raw;
  }
  return settings as unknown as TrainSettings;
}

/** class name → file paths relative to the data root, for one split folder. */
function listSplit(root: string, split: string): Record<string, string[]> {
  const dir = join(root, split);
  const classes: Record<string, string[]> = {};
  for (const name of readdirSync(dir).sort()) {
    const classDir = join(dir, name);
    if (!statSync(classDir).isDirectory() || name.startsWith('.')) continue;
    classes[name] = readdirSync(classDir)
      .filter((f) => !f.startsWith('.') && statSync(join(classDir, f)).isFile())
      .sort()
      .map((f) => relative(root, join(classDir, f)).split(sep).join('/'));
  }
  return classes;
}

const CONTENT_TYPES: Record<string, string> = { '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png', '.gif': 'image/gif', '.webp': 'image/webp', '.bmp': 'image/bmp' };

async function main() {
  if (typeof args.data !== 'string') throw new Error('Give the dataset root: npm run bench:accuracy -- --data <root> (with train/ and validation/ inside)');
  const root = resolve(args.data);
  const validationDir = ['validation', 'val'].find((d) => existsSync(join(root, d)));
  if (!existsSync(join(root, 'train')) || !validationDir) throw new Error(`${root} must contain train/ and validation/ (or val/)`);
  const train = listSplit(root, 'train');
  const validation = listSplit(root, validationDir);
  const unknown = Object.keys(validation).filter((c) => !(c in train));
  if (unknown.length > 0) throw new Error(`Validation classes missing from train/: ${unknown.join(', ')}`);
  const backboneId = typeof args.backbone === 'string' ? args.backbone : DEFAULT_BACKBONE_ID;
  const backend = typeof args.backend === 'string' ? args.backend : undefined;
  const settings = settingsFromFlags();

  const harness = await openHarness({ port: typeof args.port === 'string' ? Number(args.port) : undefined, rebuild: args.rebuild === true });
  try {
    await harness.page.route(`${harness.baseUrl}/__data/**`, (route) => {
      const path = resolve(root, decodeURIComponent(new URL(route.request().url()).pathname.replace('/__data/', '')));
      if (!path.startsWith(root + sep)) return route.fulfill({ status: 403 });
      return route.fulfill({ body: readFileSync(path), contentType: CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream' });
    });
    log(`bench:accuracy: ${root} · backbone ${backboneId} · backend ${backend ?? '(app default)'} · Chromium ${harness.chromiumVersion}`);
    const result = await harness.page.evaluate(
      async ({ backend, backboneId, train, validation, settings }) => {
        const { engine, proxy } = window.transferStudio;
        const fetchBlob = async (path: string) => (await fetch(`/__data/${path.split('/').map(encodeURIComponent).join('/')}`)).blob();
        const status = await engine.start({ backend: backend as never, appBase: '/' });
        await engine.useBackbone(backboneId);
        let skipped = 0;
        const classes: { name: string; sampleIds: string[] }[] = [];
        for (const [name, paths] of Object.entries(train)) {
          const sampleIds: string[] = [];
          for (let i = 0; i < paths.length; i += 16) {
            const chunk = paths.slice(i, i + 16);
            const files = await Promise.all(chunk.map(async (path) => ({ file: await fetchBlob(path), name: path })));
            const imported = await engine.importFiles(files, { classId: name, className: name });
            sampleIds.push(...imported.accepted.map((a) => a.id));
            skipped += imported.rejected.length;
          }
          classes.push({ name, sampleIds });
        }
        const marks: Record<string, number> = {};
        const outcome = await engine.train(
          { backboneId, classes, settings },
          proxy({
            onProgress: (p: { phase: string }) => void (marks[p.phase] ??= performance.now()),
            onEpoch: () => undefined,
          }),
        );
        const end = performance.now();
        if (outcome.status !== 'trained') throw new Error(`Training did not finish: ${JSON.stringify(outcome)}`);
        const labels = outcome.labels;
        const perClass: Record<string, { correct: number; total: number }> = {};
        let nValidation = 0;
        for (const [name, paths] of Object.entries(validation)) {
          perClass[name] = { correct: 0, total: 0 };
          for (let i = 0; i < paths.length; i += 32) {
            const blobs = await Promise.all(paths.slice(i, i + 32).map(fetchBlob));
            const batch = await engine.predictBatch(blobs);
            skipped += batch.failed.length;
            for (const row of batch.probabilities) {
              if (row.length === 0) continue;
              const predicted = labels[row.indexOf(Math.max(...row))];
              perClass[name].total++;
              if (predicted === name) perClass[name].correct++;
              nValidation++;
            }
          }
        }
        const nTrain = classes.reduce((n, c) => n + c.sampleIds.length, 0);
        const embedSeconds = ((marks.training ?? end) - (marks.embedding ?? end)) / 1000;
        return {
          backend: status.backend,
          nTrain,
          nValidation,
          skipped,
          imagesPerSecond: nTrain / embedSeconds,
          trainSeconds: (end - (marks.training ?? end)) / 1000,
          correct: Object.values(perClass).reduce((n, c) => n + c.correct, 0),
          labels,
          perClass: Object.fromEntries(Object.entries(perClass).map(([k, v]) => [k, v.total ? v.correct / v.total : 0])),
        };
      },
      { backend, backboneId, train, validation, settings },
    );
    const exports = typeof args.export === 'string' ? await exportFormats(harness, args.export.split(','), validation, result.labels) : [];
    const report = {
      dataset: root,
      exports,
      accuracy: result.correct / result.nValidation,
      perClass: result.perClass,
      imagesPerSecond: result.imagesPerSecond,
      trainSeconds: result.trainSeconds,
      nTrain: result.nTrain,
      nValidation: result.nValidation,
      skipped: result.skipped,
      backend: result.backend,
      backbone: backboneId,
      chromium: harness.chromiumVersion,
      settings,
    };
    if (args.json) console.log(JSON.stringify(report, null, 2));
    else {
      printTable(report);
      printExports(report.accuracy, exports);
    }
  } finally {
    await harness.close();
  }
}

function printTable(r: { dataset: string; accuracy: number; perClass: Record<string, number>; imagesPerSecond: number; trainSeconds: number; nTrain: number; nValidation: number; skipped: number; backend: string; backbone: string }) {
  const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
  console.log(`\n| dataset | backbone | backend | train | validation | skipped | accuracy | images/s (embed) | train s |`);
  console.log(`|---|---|---|---|---|---|---|---|---|`);
  console.log(
    `| ${r.dataset.split(sep).pop()} | ${r.backbone} | ${r.backend} | ${r.nTrain} | ${r.nValidation} | ${r.skipped} | ${pct(r.accuracy)} | ${r.imagesPerSecond.toFixed(1)} | ${r.trainSeconds.toFixed(1)} |`,
  );
  console.log(`\n| class | validation accuracy |\n|---|---|`);
  for (const [name, acc] of Object.entries(r.perClass)) console.log(`| ${name} | ${pct(acc)} |`);
}

const DEPLOY_FORMATS = ['tflite-float', 'tflite-quantized', 'onnx'] as const;
type DeployFormat = (typeof DEPLOY_FORMATS)[number];

interface ExportFigure {
  format: DeployFormat;
  modelFileName: string;
  modelBytes: number;
  exportSeconds: number;
  /** Validation accuracy of the exported file in its runtime (TFLite formats; null for ONNX). */
  accuracy: number | null;
}

/** Exports the trained model in each format and, for TFLite, measures the file's own validation accuracy with LiteRT.js. */
async function exportFormats(harness: Awaited<ReturnType<typeof openHarness>>, formats: string[], validation: Record<string, string[]>, labels: string[]): Promise<ExportFigure[]> {
  const unknown = formats.filter((f) => !(DEPLOY_FORMATS as readonly string[]).includes(f));
  if (unknown.length > 0) throw new Error(`--export takes ${DEPLOY_FORMATS.join(', ')} (comma-separated); not ${unknown.join(', ')}`);
  const wasmDir = join(dirname(createRequire(import.meta.url).resolve('@litertjs/core/package.json')), 'wasm');
  await harness.page.route(`${harness.baseUrl}/__litert/**`, (route) => {
    const name = new URL(route.request().url()).pathname.split('/').pop()!;
    return route.fulfill({ body: readFileSync(join(wasmDir, name)), contentType: name.endsWith('.wasm') ? 'application/wasm' : 'text/javascript' });
  });
  const figures: ExportFigure[] = [];
  for (const format of formats as DeployFormat[]) {
    log(`bench:accuracy: exporting ${format}…`);
    figures.push(
      await harness.page.evaluate(
        async ({ format, validation, labels }) => {
          const { engine, modelPixels, litert, fflate } = window.transferStudio;
          const file = await engine.exportModelAs(format, 'bench');
          const figure = { format, modelFileName: file.modelFileName, modelBytes: file.modelBytes, exportSeconds: file.seconds, accuracy: null as number | null };
          if (format === 'onnx') return figure;
          const model = (await fflate()).unzipSync(file.bytes)[file.modelFileName];
          const rt = await litert();
          if (!(globalThis as { liteRtLoaded?: boolean }).liteRtLoaded) {
            await rt.loadLiteRt('/__litert/');
            (globalThis as { liteRtLoaded?: boolean }).liteRtLoaded = true;
          }
          const compiled = await rt.loadAndCompile(model, { accelerator: 'wasm' });
          const quantized = format === 'tflite-quantized';
          let correct = 0;
          let total = 0;
          for (const [name, paths] of Object.entries(validation)) {
            for (const path of paths) {
              const blob = await (await fetch(`/__data/${path.split('/').map(encodeURIComponent).join('/')}`)).blob();
              let rgba: Uint8ClampedArray;
              try {
                rgba = await modelPixels(blob, 224);
              } catch {
                continue;
              }
              const rgb = new Uint8Array((rgba.length / 4) * 3);
              for (let p = 0, o = 0; p < rgba.length; p += 4) {
                rgb[o++] = rgba[p];
                rgb[o++] = rgba[p + 1];
                rgb[o++] = rgba[p + 2];
              }
              const input = new rt.Tensor(quantized ? rgb : Float32Array.from(rgb, (v) => v / 127 - 1), [1, 224, 224, 3]);
              const [output] = await compiled.run(input);
              const scores = Array.from(await output.data());
              input.delete();
              output.delete();
              total++;
              if (labels[scores.indexOf(Math.max(...scores))] === name) correct++;
            }
          }
          compiled.delete();
          return { ...figure, accuracy: correct / total };
        },
        { format, validation, labels },
      ),
    );
  }
  return figures;
}

function printExports(floatAccuracy: number, figures: ExportFigure[]) {
  if (figures.length === 0) return;
  const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
  console.log(`\n| export | file | size | export s | accuracy of the file | app (float TF.js) | difference |\n|---|---|---|---|---|---|---|`);
  for (const f of figures) {
    const accuracy = f.accuracy === null ? '—' : pct(f.accuracy);
    const drop = f.accuracy === null ? '—' : `${((f.accuracy - floatAccuracy) * 100).toFixed(1)} points`;
    console.log(`| ${f.format} | ${f.modelFileName} | ${(f.modelBytes / 1024).toFixed(0)} KB | ${f.exportSeconds.toFixed(1)} | ${accuracy} | ${pct(floatAccuracy)} | ${drop} |`);
  }
}

main().catch((error) => {
  console.error(`bench:accuracy: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
});
