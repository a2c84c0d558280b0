/**
 * `npm run bench`: performance figures of the built app in real headless
 * Chromium. Builds the app when dist/ is stale, serves it with `vite preview`,
 * and drives bench/harness.html (window.benchmarks) with Playwright.
 *
 *   npm run bench -- --backend wasm            # 200 generated images, 3 runs
 *   npm run bench -- --backend webgl --images 48 --runs 3
 *   npm run bench -- --data /path/to/imagefolder --json
 *   npm run bench -- --quick --runs 1          # tiny sizes (the smoke test)
 *   npm run bench -- --scaling 5000,10000,20000 --backend wasm
 *                                              # the app at scale (scripts/benchScale.ts)
 *
 * Prints a markdown table (stdout; with --json only the JSON goes to stdout)
 * and writes the same figures to bench/results/<timestamp>-<backend>.json.
 */
import { chromium, type Page } from '@playwright/test';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, extname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build, preview } from 'vite';
import { CHROMIUM_ARGS, CHROMIUM_IGNORED_DEFAULT_ARGS } from '../playwright.config';
import { trainingSet } from '../e2e/fixtures';
import { isBackendName, type BackendName } from '../src/engine/api';
import { describeBackend } from '../src/state/backendChoice';
import { mainThreadLongTasks } from './benchTrace';
import { runScaling } from './benchScale';
import { figuresToJson, markdownTable, missingNumbers, REQUIRED_KEYS, type Figure } from './benchReport';
import type { BenchImage } from '../bench/page/benchmarks';
import type { Responsiveness } from '../bench/page/responsiveness';

const root = resolve(import.meta.dirname, '..');
const dist = join(root, 'dist');
const log = (...parts: unknown[]) => console.error('[bench]', ...parts);

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'webgl' },
    data: { type: 'string' },
    runs: { type: 'string', default: '3' },
    images: { type: 'string' },
    port: { type: 'string' },
    json: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    'out-dir': { type: 'string', default: join(root, 'bench', 'results') },
    /** Frame rate of the generated test video for the live-preview figures. */
    'video-fps': { type: 'string', default: '60' },
    /**
     * Prints a tf.profile of the backbone (kernel vs wall time, top kernels) at batch 1 and 8, run as layers and as the app runs it, then exits.
     * With --scaling: prints where the page's main thread spent its time in each phase (CPU profile, self time).
     */
    profile: { type: 'boolean', default: false },
    /** Records a Chromium trace of the first run's worker embedding and training to this file. */
    trace: { type: 'string' },
    /** Image counts, e.g. 5000,10000,20000: the app driven at that size in a persistent profile (scripts/benchScale.ts). */
    scaling: { type: 'string' },
  },
});

/** `auto`: the engine measures the backends and uses the fastest, as the app does without ?backend=. */
if (args.backend !== 'auto' && !isBackendName(args.backend)) {
  throw new Error(`--backend must be webgpu, webgl, wasm, cpu or auto (got "${args.backend}")`);
}
const requestedBackend: BackendName | undefined = args.backend === 'auto' ? undefined : (args.backend as BackendName);
const runs = Number(args.runs);
const videoFps = Number(args['video-fps']);
if (!(videoFps > 0)) throw new Error('--video-fps must be a positive number');
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer');
const port = Number(args.port ?? process.env.PORT ?? 0);

/** Workload sizes: the issue's by default, tiny with --quick so the smoke test takes seconds. */
const sizes = args.quick
  ? { images: 12, epochs: 2, previewSeconds: 1.5, leakImages: 6, leakEpochs: 1 }
  : { images: 200, epochs: 50, previewSeconds: 6, leakImages: 24, leakEpochs: 5 };
if (args.images) sizes.images = Number(args.images);
const scalingCounts = args.scaling?.split(',').map(Number) ?? [];
if (scalingCounts.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('--scaling takes positive image counts, e.g. 250,500,1000,2000');
sizes.leakImages = Math.min(sizes.leakImages, sizes.images);

// ---------------------------------------------------------------- build

function newestMtime(path: string): number {
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.mtimeMs;
  return Math.max(
    stats.mtimeMs,
    ...readdirSync(path)
      .filter((name) => name !== 'results' && name !== 'node_modules')
      .map((name) => newestMtime(join(path, name))),
  );
}

async function ensureBuilt(): Promise<void> {
  const outputs = [join(dist, 'index.html'), join(dist, 'bench', 'harness.html')];
  const inputs = ['src', 'bench', 'public', 'index.html', 'vite.config.ts', 'package.json'].map((p) => join(root, p));
  const built = outputs.every(existsSync) ? Math.min(...outputs.map((p) => statSync(p).mtimeMs)) : 0;
  if (built > Math.max(...inputs.map(newestMtime))) return log('dist/ is up to date');
  log('building the app (vite build)…');
  await build({ root, logLevel: 'warn' });
}

// ---------------------------------------------------------------- data

interface DataFile extends BenchImage {
  body: Buffer;
  contentType: string;
}

const IMAGE_TYPES: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.bmp': 'image/bmp',
};

/** `count` images taken from the classes in turn: a generated two-class set, or an ImageFolder root. */
function loadData(count: number): { classNames: string[]; files: DataFile[] } {
  let classes: { name: string; files: { name: string; body: () => Buffer; contentType: string }[] }[];
  if (args.data) {
    const dataRoot = existsSync(join(args.data, 'train')) ? join(args.data, 'train') : args.data;
    classes = readdirSync(dataRoot)
      .filter((name) => statSync(join(dataRoot, name)).isDirectory())
      .sort()
      .map((name) => ({
        name,
        files: readdirSync(join(dataRoot, name))
          .filter((file) => IMAGE_TYPES[extname(file).toLowerCase()])
          .sort()
          .map((file) => ({
            name: `${name}/${file}`,
            body: () => readFileSync(join(dataRoot, name, file)),
            contentType: IMAGE_TYPES[extname(file).toLowerCase()],
          })),
      }));
    if (classes.length < 2) throw new Error(`--data ${args.data} needs at least two class folders with images`);
  } else {
    const perClass = Math.ceil(count / 2);
    classes = (['stripes', 'checks'] as const).map((scene) => ({
      name: scene,
      files: trainingSet(scene, perClass).map((f) => ({ name: `${scene}/${f.name}`, body: () => f.buffer, contentType: f.mimeType })),
    }));
  }
  const files: DataFile[] = [];
  for (let i = 0; files.length < count && classes.some((c) => i < c.files.length); i++) {
    classes.forEach((c, label) => {
      const file = c.files[i];
      if (file && files.length < count) {
        files.push({ url: `/bench-data/${files.length}${extname(file.name)}`, name: file.name, label, body: file.body(), contentType: file.contentType });
      }
    });
  }
  return { classNames: classes.map((c) => c.name), files };
}

// ---------------------------------------------------------------- start-up

/** The app's JS before any interaction: the entry script, its modulepreloads and their static imports. */
function initialJavaScript(): { files: string[]; gzipBytes: number } {
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  const queue = [
    ...[...html.matchAll(/<script\b[^>]*\bsrc="([^"]+\.js)"/g)].map((m) => m[1]),
    ...[...html.matchAll(/<link\b[^>]*\brel="modulepreload"[^>]*>/g)].map((m) => /\bhref="([^"]+)"/.exec(m[0])![1]),
  ].map((url) => join(dist, url.replace(/^\//, '')));
  const seen = new Set<string>();
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    // Static imports only (`import{x}from"./a.js"`, `import"./a.js"`); import("…") is lazy and not counted.
    for (const match of readFileSync(file, 'utf8').matchAll(/\bimport\s*(?:[\w$*{}\s,]+from\s*)?["'](\.{1,2}\/[^"']+\.js)["']/g)) {
      queue.push(resolve(dirname(file), match[1]));
    }
  }
  const files = [...seen];
  return { files: files.map((f) => relative(dist, f)), gzipBytes: files.reduce((sum, f) => sum + gzipSync(readFileSync(f), { level: 9 }).length, 0) };
}

/** Milliseconds from navigation until `Backend:` shows and Train is enabled, in a fresh (cold-cache) context. */
async function timeToInteractive(browser: import('@playwright/test').Browser, baseUrl: string): Promise<number> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(requestedBackend ? `${baseUrl}/?backend=${requestedBackend}` : `${baseUrl}/`);
    const handle = await page.waitForFunction(
      () => {
        const train = [...document.querySelectorAll('button')].find((b) => b.textContent?.trim() === 'Train');
        // textContent: the engine status sits in the Advanced panel, which may be closed.
        const ready = train && !train.disabled && /Backend: /.test(document.body.textContent ?? "");
        return ready ? performance.now() : false;
      },
      undefined,
      { polling: 'raf', timeout: 180_000 },
    );
    return (await handle.jsonValue()) as number;
  } finally {
    await context.close();
  }
}

// ---------------------------------------------------------------- results

/** Writes bench/results/<timestamp>-<backend>.json (or --out-dir); returns its path relative to the working directory. */
function writeResults(json: Record<string, unknown>, usedBackend: string): string {
  mkdirSync(args['out-dir'], { recursive: true });
  const outFile = join(args['out-dir'], `${new Date().toISOString().replace(/[:.]/g, '-')}-${usedBackend}.json`);
  writeFileSync(outFile, `${JSON.stringify(json, null, 2)}\n`);
  return relative(process.cwd(), outFile);
}

/** The table on stdout; with --json the table goes to stderr and only the JSON to stdout. */
function report(table: string, json: Record<string, unknown>): void {
  if (args.json) {
    console.error(table);
    console.log(JSON.stringify(json, null, 2));
  } else {
    console.log(table);
  }
}

// ---------------------------------------------------------------- main

async function main() {
  await ensureBuilt();
  if (scalingCounts.length > 0) {
    const server = await preview({ root, logLevel: 'warn', preview: { port, strictPort: true, host: 'localhost' } });
    try {
      await runScaling({
        counts: scalingCounts,
        baseUrl: server.resolvedUrls!.local[0].replace(/\/$/, ''),
        backend: requestedBackend,
        data: args.data,
        json: args.json,
        profile: args.profile,
        outDir: args['out-dir']!,
        log,
      });
    } finally {
      await new Promise<void>((done) => server.httpServer.close(() => done()));
    }
    return;
  }
  const { classNames, files } = loadData(sizes.images);
  log(`${files.length} images over ${classNames.length} classes (${args.data ?? 'generated'}), backend ${args.backend}, ${runs} run(s)`);

  const server = await preview({ root, logLevel: 'warn', preview: { port, strictPort: true, host: 'localhost' } });
  const baseUrl = server.resolvedUrls!.local[0].replace(/\/$/, '');
  const browser = await chromium.launch({
    headless: true,
    executablePath: existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined,
    args: CHROMIUM_ARGS,
    ignoreDefaultArgs: CHROMIUM_IGNORED_DEFAULT_ARGS,
  });
  try {
    const page: Page = await browser.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') log('page:', message.text());
    });
    page.on('pageerror', (error) => log('page error:', error.message));
    const bodies = new Map(files.map((f) => [f.url, f]));
    await page.route('**/bench-data/*', (route) => {
      const file = bodies.get(new URL(route.request().url()).pathname);
      return file ? route.fulfill({ body: file.body, contentType: file.contentType }) : route.fulfill({ status: 404 });
    });
    await page.goto(`${baseUrl}/bench/harness.html`);
    await page.waitForFunction(() => document.body.dataset.ready === 'true');
    const images: BenchImage[] = files.map(({ url, name, label }) => ({ url, name, label }));
    const status = await page.evaluate((options) => window.benchmarks.init(options), { backend: requestedBackend, images, classNames });
    const notes: string[] = [...status.notes];
    if (requestedBackend && status.backend !== requestedBackend) notes.push(`The worker fell back to ${status.backend}; figures are for ${status.backend}.`);
    if (!requestedBackend) notes.push(`${describeBackend(status)}, as measured by the engine.`);
    log(`engine backend: ${status.backend}`, status.notes.join(' '));
    if (args.profile) {
      const profiles = await page.evaluate(() => window.benchmarks.profileEmbedding([1, 8]));
      for (const p of profiles) {
        const top = p.top.map((k) => `${k.name} ${(k.share * 100).toFixed(0)}%`).join(', ');
        console.log(
          `${status.backend}, ${p.path === 'app' ? 'app (folded)' : 'layers (Teachable Machine)'}, batch ${p.batch}: ${p.wallMsPerImage.toFixed(1)} ms/image wall, ${p.kernelMsPerImage.toFixed(1)} ms/image in ${p.kernels} kernels (${((p.kernelMsPerImage / p.wallMsPerImage) * 100).toFixed(0)}% of wall); top kernels: ${top}${p.relativeDifference === undefined ? '' : `; differs from layers by ${p.relativeDifference.toExponential(1)} of its largest value`}`,
        );
      }
      return;
    }

    const perRun = {
      pipelineIps: [] as number[],
      embedOnlyIps: [] as number[],
      baselineIps: [] as number[],
      embedRatio: [] as number[],
      trainSeconds: [] as number[],
      baselineTrainSeconds: [] as number[],
      trainRatio: [] as number[],
      longestTask: [] as number[],
      longTasks: [] as number[],
      blocking: [] as number[],
      fps: [] as number[],
      embedLongest: [] as number[],
      trainLongest: [] as number[],
      baselineLongest: [] as number[],
      baselineFps: [] as number[],
      previewPps: [] as number[],
      naivePps: [] as number[],
      previewRatio: [] as number[],
      interactiveMs: [] as number[],
    };
    let previewSource = '';
    /** What ran in the main thread's long frames while the worker embedded or trained. */
    const slowFrames: { run: number; phase: string; frames: Responsiveness['slowestFrames'] }[] = [];
    let traceLongTasks: ReturnType<typeof mainThreadLongTasks> | null = null;
    for (let run = 1; run <= runs; run++) {
      log(`run ${run}/${runs}: embedding in the worker…`);
      const tracing = args.trace !== undefined && run === 1;
      if (tracing) await browser.startTracing(page, { path: args.trace, categories: ['toplevel', 'devtools.timeline', 'v8'] });
      const pipeline = await page.evaluate(() => window.benchmarks.embedPipeline());
      log(`  ${pipeline.count} images in ${pipeline.seconds.toFixed(1)} s (import ${pipeline.importSeconds.toFixed(1)} s); training in the worker…`);
      const trained = await page.evaluate((epochs) => window.benchmarks.trainWorker(epochs), sizes.epochs);
      if (tracing) {
        traceLongTasks = mainThreadLongTasks(await browser.stopTracing()).slice(0, 10);
        log(`  trace: ${args.trace}; main-thread long tasks (wall vs CPU ms):`, JSON.stringify(traceLongTasks));
      }
      log(`  trained in ${trained.seconds.toFixed(1)} s; live preview…`);
      const live = await page.evaluate(([seconds, fps]) => window.benchmarks.preview(seconds, fps), [sizes.previewSeconds, videoFps] as const);
      log(`  ${live.predictionsPerSecond.toFixed(1)} vs naive ${live.naivePredictionsPerSecond.toFixed(1)} predictions/s; main-thread baseline embedding…`);
      const baseline = await page.evaluate(() => window.benchmarks.embedBaseline());
      if (baseline.backend !== status.backend) notes.push(`The main-thread baseline ran on ${baseline.backend}.`);
      log(`  ${baseline.count} images in ${baseline.seconds.toFixed(1)} s; main-thread model.fit…`);
      const baselineTrain = await page.evaluate((epochs) => window.benchmarks.trainBaseline(epochs), sizes.epochs);
      log(`  model.fit in ${baselineTrain.seconds.toFixed(1)} s`);

      const pipelineIps = pipeline.count / pipeline.seconds;
      const baselineIps = baseline.count / baseline.seconds;
      perRun.pipelineIps.push(pipelineIps);
      perRun.embedOnlyIps.push(pipeline.count / (pipeline.seconds - pipeline.importSeconds));
      perRun.baselineIps.push(baselineIps);
      perRun.embedRatio.push(pipelineIps / baselineIps);
      perRun.trainSeconds.push(trained.seconds);
      perRun.baselineTrainSeconds.push(baselineTrain.seconds);
      perRun.trainRatio.push(trained.seconds / baselineTrain.seconds);
      const during: Responsiveness[] = [pipeline.responsiveness, trained.responsiveness];
      perRun.longestTask.push(Math.max(...during.map((r) => r.longestTaskMs)));
      perRun.longTasks.push(during.reduce((sum, r) => sum + r.longTaskCount, 0));
      perRun.blocking.push(during.reduce((sum, r) => sum + r.totalBlockingMs, 0));
      perRun.fps.push(Math.min(...during.map((r) => r.fps)));
      for (const [phase, r] of [['embed', pipeline.responsiveness], ['train', trained.responsiveness]] as const) {
        if (r.longestTaskMs === 0) continue;
        slowFrames.push({ run, phase, frames: r.slowestFrames });
        log(`  long task of ${r.longestTaskMs} ms during ${phase}; slowest frames:`, JSON.stringify(r.slowestFrames));
      }
      perRun.embedLongest.push(pipeline.responsiveness.longestTaskMs);
      perRun.trainLongest.push(trained.responsiveness.longestTaskMs);
      perRun.baselineLongest.push(Math.max(baseline.responsiveness.longestTaskMs, baselineTrain.responsiveness.longestTaskMs));
      perRun.baselineFps.push(Math.min(baseline.responsiveness.fps, baselineTrain.responsiveness.fps));
      perRun.previewPps.push(live.predictionsPerSecond);
      perRun.naivePps.push(live.naivePredictionsPerSecond);
      perRun.previewRatio.push(live.predictionsPerSecond / live.naivePredictionsPerSecond);
      previewSource = live.source;
    }

    log(`leak check: ${sizes.leakImages} images × ${sizes.leakEpochs} epochs per cycle…`);
    const leaks = await page.evaluate((options) => window.benchmarks.leaks(options), {
      count: sizes.leakImages,
      epochs: sizes.leakEpochs,
      cycles: 3,
    });
    await page.close();

    log('start-up…');
    const initialJs = initialJavaScript();
    for (let run = 1; run <= runs; run++) perRun.interactiveMs.push(await timeToInteractive(browser, baseUrl));

    const figures: Figure[] = [
      { key: 'embed.imagesPerSecond', label: 'Worker pipeline: import + embed', unit: 'img/s', values: perRun.pipelineIps },
      { key: 'embed.embedOnlyImagesPerSecond', label: 'Worker: embed only', unit: 'img/s', values: perRun.embedOnlyIps },
      { key: 'embed.baselineImagesPerSecond', label: 'Main thread one at a time (TM)', unit: 'img/s', values: perRun.baselineIps },
      { key: 'embed.ratio', label: 'Embedding speed-up', unit: '×', values: perRun.embedRatio, target: { kind: 'min', value: 3 } },
      { key: 'train.seconds', label: `Head training in the worker (${files.length} samples, ${sizes.epochs} epochs)`, unit: 's', values: perRun.trainSeconds },
      { key: 'train.baselineSeconds', label: 'Main-thread model.fit', unit: 's', values: perRun.baselineTrainSeconds },
      { key: 'train.ratio', label: 'Training time ratio', unit: '×', values: perRun.trainRatio, target: { kind: 'max', value: 0.5 } },
      { key: 'mainThread.longestTaskMs', label: 'Longest main-thread task (embed + train)', unit: 'ms', values: perRun.longestTask, target: { kind: 'max', value: 50 } },
      { key: 'mainThread.embedLongestTaskMs', label: 'Longest task during embedding', unit: 'ms', values: perRun.embedLongest },
      { key: 'mainThread.trainLongestTaskMs', label: 'Longest task during training', unit: 'ms', values: perRun.trainLongest },
      { key: 'mainThread.longTasks', label: 'Long tasks (embed + train)', unit: '', values: perRun.longTasks },
      { key: 'mainThread.totalBlockingMs', label: 'Total blocking time (embed + train)', unit: 'ms', values: perRun.blocking },
      { key: 'mainThread.fps', label: 'Frames per second (worse of embed, train)', unit: 'fps', values: perRun.fps },
      { key: 'mainThread.baselineLongestTaskMs', label: 'Longest task, main-thread baselines', unit: 'ms', values: perRun.baselineLongest },
      { key: 'mainThread.baselineFps', label: 'Frames per second, main-thread baselines', unit: 'fps', values: perRun.baselineFps },
      { key: 'leaks.tensors', label: `Tensors leaked (3 cycles)`, unit: '', values: [leaks.after.numTensors - leaks.before.numTensors], target: { kind: 'max', value: 0 } },
      { key: 'leaks.bytes', label: 'Bytes leaked (3 cycles)', unit: 'B', values: [leaks.after.numBytes - leaks.before.numBytes] },
      { key: 'leaks.tensorsBefore', label: 'Worker tensors before', unit: '', values: [leaks.before.numTensors] },
      { key: 'leaks.tensorsAfter', label: 'Worker tensors after', unit: '', values: [leaks.after.numTensors] },
      { key: 'startup.initialJsGzipKB', label: 'Initial JavaScript (gzip)', unit: 'KB', values: [initialJs.gzipBytes / 1024], target: { kind: 'max', value: 250 } },
      { key: 'startup.interactiveMs', label: 'Navigation → Train enabled', unit: 'ms', values: perRun.interactiveMs },
      { key: 'preview.predictionsPerSecond', label: `Live preview, one in flight (${previewSource}, ${videoFps} fps, distinct frames)`, unit: '/s', values: perRun.previewPps },
      { key: 'preview.naivePredictionsPerSecond', label: 'Naive rAF loop awaiting each prediction', unit: '/s', values: perRun.naivePps },
      { key: 'preview.ratio', label: 'Live preview speed-up', unit: '×', values: perRun.previewRatio, target: { kind: 'min', value: 2 } },
    ];
    const json = figuresToJson(figures, {
      backend: status.backend,
      chromium: browser.version(),
      date: new Date().toISOString(),
      options: { runs, videoFps, ...sizes, images: files.length, classes: classNames, data: args.data ?? 'generated', quick: args.quick },
      startupFiles: initialJs.files,
      previewMethod:
        'bench-local loops over engine.predict(JPEG frame of a canvas captureStream video); the live-preview API of issue 3 is not on this branch',
      leakMethod: `one warm-up cycle, then tf.memory() in the worker before and after ${leaks.cycles} cycles of import ${leaks.imagesPerCycle} images → train → predict → export → remove`,
      notes,
      diagnostics: { slowFrames, traceLongTasks },
    });
    const missing = missingNumbers(json, REQUIRED_KEYS);
    if (missing.length > 0) notes.push(`Not measured: ${missing.join(', ')}`);

    const outFile = writeResults(json, status.backend);
    report(`${markdownTable(figures)}\n\nBackend ${status.backend}, Chromium ${browser.version()}, ${files.length} images, ${runs} run(s). ${notes.join(' ')}\nJSON: ${outFile}`, json);
  } finally {
    await browser.close();
    await server.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
