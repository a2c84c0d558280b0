/**
 * `npm run bench -- --scaling 5000,10000,20000`: the app at the size users reach,
 * driven as a person would in a persistent Chromium profile (IndexedDB on disk,
 * as in a real browser). For each image count N, in a fresh profile:
 *   1. import N photos into 4 classes through each class's `Add images to …`
 *      input, until the page says every image is prepared (decoded, thumbnail,
 *      embedded in the background);
 *   2. `Train` with default settings, until "Trained in";
 *   3. scroll every class grid;
 *   4. `Export project` (a download);
 *   5. reload the page: time until every class count is back and a test image
 *      gets a prediction from the saved model.
 * Reports images/s, training seconds, the longest main-thread task of each phase
 * (PerformanceObserver 'longtask'), browser memory (RSS of all Chromium
 * processes) over the empty app's, reopen seconds, and the per-image cost at
 * the largest N over the smallest. Photos come from --data (every image under
 * it, used in turn under unique names) or, by default, ../shared/datasets.
 */
import { chromium, expect as baseExpect, type BrowserContext, type Page } from '@playwright/test';
import { execSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { CHROMIUM_ARGS, CHROMIUM_IGNORED_DEFAULT_ARGS } from '../playwright.config';

/** Imports of thousands of images take minutes: waits are bounded by the run, not by expect's 5 s default. */
const expect = baseExpect.configure({ timeout: 60 * 60_000 });

const CLASSES = 4;
const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp']);

export interface ScaleOptions {
  counts: number[];
  baseUrl: string;
  backend?: string;
  data?: string;
  json: boolean;
  /** Samples the page's main thread (CDP Profiler) in each phase and prints where its time went. */
  profile?: boolean;
  outDir: string;
  log: (...parts: unknown[]) => void;
}

interface ScaleResult {
  n: number;
  importSeconds: number;
  importImagesPerSecond: number;
  trainSeconds: number;
  exportSeconds: number;
  reopenSeconds: number;
  memoryAboveEmptyMb: number;
  /** The browser's longest task handing one class's files to a bare file input (not the app's code). */
  fileHandOverMs: number;
  longestTaskMs: Record<'import' | 'train' | 'scroll' | 'export' | 'reopen', number>;
}

function imagesUnder(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (IMAGE_EXTENSIONS.has(extname(name).toLowerCase())) found.push(path);
    }
  };
  walk(root);
  return found;
}

/** N photo files in class folders, named uniquely (symlinks to the pool, used in turn). */
function photoFolders(pool: string[], n: number, dir: string): string[][] {
  const perClass = Math.floor(n / CLASSES);
  return Array.from({ length: CLASSES }, (_, c) => {
    const folder = join(dir, `class-${c + 1}`);
    mkdirSync(folder, { recursive: true });
    return Array.from({ length: perClass }, (_, i) => {
      const source = pool[(c * perClass + i) % pool.length];
      const path = join(folder, `photo-${String(i).padStart(5, '0')}${extname(source).toLowerCase()}`);
      symlinkSync(source, path);
      return path;
    });
  });
}

/** Resident memory of every process of the Chromium whose profile is `profile`, in MB. */
function chromiumRssMb(profile: string): number {
  return chromiumProcesses(profile).reduce((sum, r) => sum + r.rss, 0) / 1024;
}

/** The same, by process type (browser, renderer, gpu-process, utility…), for finding what grows. */
function chromiumRssByType(profile: string): Record<string, number> {
  const byType: Record<string, number> = {};
  for (const r of chromiumProcesses(profile)) {
    const type = /--type=(\S+)/.exec(r.args)?.[1] ?? 'browser';
    const service = /--utility-sub-type=(\S+)/.exec(r.args)?.[1];
    const key = service ? `${type}:${service.split('.').pop()}` : type;
    byType[key] = Math.round((byType[key] ?? 0) + r.rss / 1024);
  }
  return byType;
}

function chromiumProcesses(profile: string): { pid: number; ppid: number; rss: number; args: string }[] {
  const rows = execSync('ps -eo pid=,ppid=,rss=,args=', { maxBuffer: 64 * 2 ** 20 })
    .toString()
    .trim()
    .split('\n')
    .map((line) => {
      const [pid, ppid, rss, ...args] = line.trim().split(/\s+/);
      return { pid: Number(pid), ppid: Number(ppid), rss: Number(rss), args: args.join(' ') };
    });
  const roots = rows.filter((r) => r.args.includes(`--user-data-dir=${profile}`) && !r.args.includes('--type='));
  const tree = new Set(roots.map((r) => r.pid));
  for (let grew = true; grew; ) {
    grew = false;
    for (const r of rows) if (!tree.has(r.pid) && tree.has(r.ppid)) grew = tree.add(r.pid).size > 0;
  }
  return rows.filter((r) => tree.has(r.pid));
}

const OBSERVE_LONG_TASKS = () => {
  const w = window as unknown as { longTasks: { start: number; duration: number }[] };
  w.longTasks = [];
  new PerformanceObserver((list) => list.getEntries().forEach((e) => w.longTasks.push({ start: e.startTime, duration: e.duration }))).observe({
    type: 'longtask',
    buffered: true,
  });
};

/** Notes when the training progress line changes phase, and every 10th epoch, with the seconds since Train. */
const RECORD_PROGRESS = () => {
  const w = window as unknown as { progressLog: string[] };
  w.progressLog = [];
  const started = performance.now();
  let last = '';
  const timer = setInterval(() => {
    const text = document.querySelector('.progress-text')?.textContent ?? '';
    const key = text.replace(/: (\d+) \/ (\d+)/, (_, done: string) => `: ${Math.floor(Number(done) / 10) * 10}`);
    if (key !== last) w.progressLog.push(`${text || '(none)'} at ${((performance.now() - started) / 1000).toFixed(1)} s`);
    last = key;
    if (document.body.innerText.includes('Trained in ')) clearInterval(timer);
  }, 100);
};

async function now(page: Page): Promise<number> {
  return page.evaluate(() => performance.now());
}

/** The longest tasks since `since`, as "duration ms at +seconds", for finding what they belong to. */
async function longestTasksSince(page: Page, since: number, count = 6): Promise<string> {
  const tasks = await page.evaluate(
    (from) => (window as unknown as { longTasks: { start: number; duration: number }[] }).longTasks.filter((t) => t.start >= from),
    since,
  );
  return tasks
    .sort((a, b) => b.duration - a.duration)
    .slice(0, count)
    .map((t) => `${t.duration.toFixed(0)} ms at +${((t.start - since) / 1000).toFixed(1)} s`)
    .join(', ');
}

/** The longest task since `since`, leaving out tasks that began inside the `except` intervals. */
async function longestSince(page: Page, since: number, except: [number, number][] = []): Promise<number> {
  return page.evaluate(
    ({ from, except }) =>
      Math.max(
        0,
        ...(window as unknown as { longTasks: { start: number; duration: number }[] }).longTasks
          .filter((t) => t.start >= from && !except.some(([a, b]) => t.start >= a && t.start <= b))
          .map((t) => t.duration),
      ),
    { from: since, except },
  );
}

/**
 * The browser's own cost of giving a page thousands of picked files: the
 * longest task while the same files are set on a bare file input with no
 * code in its listener. Chromium spends ~0.3 ms a file on the page's main
 * thread there, whether the listener reads the files or not (measured here:
 * 730–1,000 ms for 2,500 files with an empty listener, the same with one that
 * keeps them), so the import figure leaves the tasks that begin while the files
 * are being set out, and this one is reported beside it.
 */
async function browserHandOverMs(page: Page, files: string[]): Promise<number> {
  await page.evaluate(() => {
    const input = Object.assign(document.createElement('input'), { type: 'file', multiple: true, id: 'bench-bare-input', hidden: true });
    // A listener that does nothing: Chromium's long task comes with a 'change' listener present, whatever it does.
    input.addEventListener('change', () => undefined);
    document.body.append(input);
  });
  const from = await now(page);
  await page.locator('#bench-bare-input').setInputFiles(files);
  await page.waitForTimeout(500);
  const longest = await longestSince(page, from);
  await page.evaluate(() => document.getElementById('bench-bare-input')?.remove());
  return longest;
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

/** The functions the page's main thread spent most time in (self time), as printable lines. */
export function topSelfTime(profile: CpuProfile, count = 12): string[] {
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const self = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const frame = frames.get(id)!;
    const file = frame.url.split('/').pop() ?? '';
    const key = `${frame.functionName || '(anonymous)'} ${file}${file ? `:${frame.lineNumber + 1}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([key, ms]) => `${ms.toFixed(0).padStart(7)} ms ${((ms / total) * 100).toFixed(1).padStart(5)}%  ${key}`);
}

/** Starts sampling the page's main thread; the returned function stops and prints the phase's top functions. */
async function profilePhase(page: Page, enabled: boolean, log: ScaleOptions['log'], label: string): Promise<() => Promise<void>> {
  if (!enabled) return async () => undefined;
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
  await cdp.send('Profiler.start');
  return async () => {
    const { profile } = (await cdp.send('Profiler.stop')) as unknown as { profile: CpuProfile };
    await cdp.detach();
    log(`${label}: page main thread, self time\n${topSelfTime(profile).join('\n')}`);
  };
}

/** Where Chromium keeps its shared memory in these runs (see CHROMIUM_IGNORED_DEFAULT_ARGS). */
const sharedMemory = CHROMIUM_IGNORED_DEFAULT_ARGS.length > 0 ? '/dev/shm, as in users\' browsers' : 'files under /tmp (--disable-dev-shm-usage: /dev/shm is small here)';

async function runOne(n: number, pool: string[], options: ScaleOptions): Promise<ScaleResult> {
  const work = mkdtempSync(join(tmpdir(), `ts-scale-${n}-`));
  const profile = join(work, 'profile');
  const folders = photoFolders(pool, n, join(work, 'photos'));
  const perClass = folders[0].length;
  const executablePath = existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined;
  const context: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath,
    args: CHROMIUM_ARGS,
    ignoreDefaultArgs: CHROMIUM_IGNORED_DEFAULT_ARGS,
    acceptDownloads: true,
    viewport: { width: 1400, height: 900 },
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.addInitScript(OBSERVE_LONG_TASKS);
    page.setDefaultTimeout(60 * 60_000);
    // A crashed tab would otherwise leave every wait below hanging for an hour.
    const crashed = new Promise<never>((_, reject) => page.on('crash', () => reject(new Error(`n=${n}: the tab crashed`))));
    crashed.catch(() => undefined);
    await page.goto(`${options.baseUrl}/${options.backend ? `?backend=${options.backend}` : ''}`);
    // The engine status is in the Advanced panel: open it as a curious user would.
    const advanced = page.getByText('Advanced: backbone and compute engine', { exact: true });
    if (!(await advanced.evaluate((s) => (s.parentElement as HTMLDetailsElement).open))) await advanced.click();
    await expect(page.getByText(/^Backend: /)).toBeVisible();
    await page.waitForTimeout(2000);
    const emptyMb = chromiumRssMb(profile);
    options.log(`n=${n}: empty app's memory by process type (MB): ${JSON.stringify(chromiumRssByType(profile))}`);
    let peakMb = emptyMb;
    let peakByType: Record<string, number> = {};
    let peakAt = '';
    const runStarted = Date.now();
    const sampleMemory = setInterval(() => {
      const byType = chromiumRssByType(profile);
      const total = Object.values(byType).reduce((a, b) => a + b, 0);
      if (total > peakMb) [peakMb, peakByType, peakAt] = [total, byType, `+${((Date.now() - runStarted) / 1000).toFixed(0)} s`];
    }, 2000);

    // 1. Import into four classes, until every image is prepared.
    const card = (name: string) => page.getByRole('region', { name, exact: true });
    while ((await page.getByLabel('Class name').count()) < CLASSES) await page.getByRole('button', { name: 'Add class' }).click();
    const names = Array.from({ length: CLASSES }, (_, c) => `Class ${c + 1}`);
    const importFrom = await now(page);
    const importStarted = Date.now();
    let endProfile = await profilePhase(page, !!options.profile, options.log, `n=${n} import`);
    /** When the browser was handing each class's files to the page (its own cost, measured apart below). */
    const handOvers: [number, number][] = [];
    for (const [c, name] of names.entries()) {
      options.log(`n=${n}: files set on ${name} at +${((Date.now() - importStarted) / 1000).toFixed(1)} s`);
      const handOverFrom = await now(page);
      await card(name).getByLabel(`Add images to ${name}`).setInputFiles(folders[c]);
      handOvers.push([handOverFrom, await now(page)]);
      await expect(card(name).getByText(`${perClass.toLocaleString('en')} images`, { exact: false })).toBeVisible();
      options.log(`n=${n}: ${name} imported after ${((Date.now() - importStarted) / 1000).toFixed(0)} s`);
    }
    const total = (perClass * CLASSES).toLocaleString('en');
    await expect(page.getByText(`All ${total} images are prepared for training.`)).toBeVisible();
    const importSeconds = (Date.now() - importStarted) / 1000;
    const importLongest = await longestSince(page, importFrom, handOvers);
    // Paths the browser has not seen (it is quicker the second time for the same ones).
    const controlFiles = folders[0].map((path, i) => {
      const control = join(work, 'control', `control-${i}${extname(path)}`);
      mkdirSync(join(work, 'control'), { recursive: true });
      symlinkSync(path, control);
      return control;
    });
    const handOverMs = await browserHandOverMs(page, controlFiles);
    options.log(`n=${n}: the browser alone takes a ${handOverMs.toFixed(0)} ms task to hand ${perClass.toLocaleString('en')} picked files to a bare <input type=file> (not counted as the app's)`);
    options.log(`n=${n}: imported and prepared in ${importSeconds.toFixed(1)} s; longest tasks ${await longestTasksSince(page, importFrom)}`);
    await endProfile();

    // 2. Train with the defaults.
    const trainFrom = await now(page);
    const trainStarted = Date.now();
    endProfile = await profilePhase(page, !!options.profile, options.log, `n=${n} train`);
    await page.evaluate(RECORD_PROGRESS);
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    await expect(page.getByText(/^Trained in /)).toBeVisible();
    const trainSeconds = (Date.now() - trainStarted) / 1000;
    const trainLongest = await longestSince(page, trainFrom);
    options.log(`n=${n}: "${await page.getByText(/^Trained in /).first().innerText()}"; the progress shown: ${await page.evaluate(() => (window as unknown as { progressLog: string[] }).progressLog.join(', '))}`);
    options.log(`n=${n}: trained in ${trainSeconds.toFixed(1)} s; longest tasks ${await longestTasksSince(page, trainFrom)}`);
    options.log(`n=${n}: memory after training by process type (MB): ${JSON.stringify(chromiumRssByType(profile))}`);
    await endProfile();
    const trainedMb = chromiumRssMb(profile);
    peakMb = Math.max(peakMb, trainedMb);

    // 3. Scroll every class grid.
    const scrollFrom = await now(page);
    endProfile = await profilePhase(page, !!options.profile, options.log, `n=${n} scroll`);
    for (const name of names) {
      const grid = card(name).locator('.sample-scroller');
      await grid.scrollIntoViewIfNeeded();
      await grid.hover();
      for (let step = 0; step < 20; step++) await page.mouse.wheel(0, 600);
    }
    await page.waitForTimeout(1000);
    const scrollLongest = await longestSince(page, scrollFrom);
    options.log(`n=${n}: scrolled; longest tasks ${await longestTasksSince(page, scrollFrom)}`);
    await endProfile();

    // 4. Export the project.
    const exportFrom = await now(page);
    const exportStarted = Date.now();
    endProfile = await profilePhase(page, !!options.profile, options.log, `n=${n} export`);
    let exportButton = page.getByRole('button', { name: 'Export project' });
    if (!(await exportButton.isVisible())) {
      await page.getByRole('button', { name: 'Projects', exact: true }).click();
      exportButton = page.getByRole('button', { name: 'Export project' });
    }
    const download = page.waitForEvent('download');
    await exportButton.click();
    await (await download).path();
    const exportSeconds = (Date.now() - exportStarted) / 1000;
    const exportLongest = await longestSince(page, exportFrom);
    options.log(`n=${n}: exported in ${exportSeconds.toFixed(1)} s; longest tasks ${await longestTasksSince(page, exportFrom)}`);
    await endProfile();
    if (await page.getByRole('region', { name: 'Projects' }).isVisible()) await page.getByRole('button', { name: 'Projects', exact: true }).click();

    // 5. Reopen: every count back and the saved model predicting.
    const reopenStarted = Date.now();
    const reopen = async () => {
      await page.reload();
      for (const name of names) await expect(card(name).getByText(`${perClass.toLocaleString('en')} images`, { exact: false })).toBeVisible({ timeout: 5 * 60_000 });
      await page.getByLabel('Test image').setInputFiles(folders[0][0]);
      await expect(page.getByRole('status', { name: 'Predictions' }).locator('.prediction').first()).toBeVisible({ timeout: 5 * 60_000 });
    };
    await Promise.race([reopen(), crashed]).catch(async (error) => {
      const shot = join(tmpdir(), `ts-scale-${n}-reopen.png`);
      await page.screenshot({ path: shot, fullPage: true }).catch(() => undefined);
      const shown = await page.locator('body').innerText({ timeout: 5000 }).catch(() => '(the page could not be read)');
      throw new Error(`${error instanceof Error ? error.message : error} (screenshot: ${shot}; the page said: ${shown.replace(/\s+/g, ' ').slice(0, 600)})`);
    });
    const reopenSeconds = (Date.now() - reopenStarted) / 1000;
    const reopenLongest = await longestSince(page, 0);
    options.log(`n=${n}: reopened with a prediction in ${reopenSeconds.toFixed(1)} s; longest tasks ${await longestTasksSince(page, 0)}`);
    clearInterval(sampleMemory);
    options.log(`n=${n}: memory peaked at ${peakAt} (import began at +0 s, training at +${((trainStarted - runStarted) / 1000).toFixed(0)} s), by process type (MB): ${JSON.stringify(peakByType)}`);

    return {
      n: perClass * CLASSES,
      importSeconds,
      importImagesPerSecond: (perClass * CLASSES) / importSeconds,
      trainSeconds,
      exportSeconds,
      reopenSeconds,
      memoryAboveEmptyMb: Math.max(trainedMb, peakMb) - emptyMb,
      fileHandOverMs: handOverMs,
      longestTaskMs: { import: importLongest, train: trainLongest, scroll: scrollLongest, export: exportLongest, reopen: reopenLongest },
    };
  } finally {
    await context.close();
    rmSync(work, { recursive: true, force: true });
  }
}

export async function runScaling(options: ScaleOptions): Promise<void> {
  const dataRoot = resolve(options.data ?? join(import.meta.dirname, '..', '..', 'shared', 'datasets'));
  if (!existsSync(dataRoot)) throw new Error(`--scaling needs photos: no folder at ${dataRoot} (pass --data <folder of images>)`);
  const pool = imagesUnder(dataRoot);
  if (pool.length === 0) throw new Error(`No images under ${dataRoot}`);
  options.log(`scaling: ${pool.length} distinct photos from ${dataRoot}, used in turn; counts ${options.counts.join(', ')}`);
  options.log(`Chromium's shared memory: ${sharedMemory}`);
  const results: ScaleResult[] = [];
  const failures: { n: number; error: string }[] = [];
  for (const n of [...new Set(options.counts)].sort((a, b) => a - b)) {
    // Each count is reported as it ends, and a failed one does not cost the others.
    try {
      const result = await runOne(n, pool, options);
      results.push(result);
      options.log(`n=${n}: ${JSON.stringify(result)}`);
    } catch (error) {
      failures.push({ n, error: error instanceof Error ? error.message : String(error) });
      options.log(`n=${n} failed: ${failures.at(-1)!.error}`);
    }
  }
  if (results.length === 0) throw new Error(`Every count failed: ${failures.map((f) => `${f.n}: ${f.error}`).join('; ')}`);
  const smallest = results[0];
  const largest = results.at(-1)!;
  const perImage = (r: ScaleResult) => (r.importSeconds * 1000) / r.n;
  const ratio = perImage(largest) / perImage(smallest);
  const lines = [
    "| images | import + prepare (img/s) | train (s) | export (s) | reopen to prediction (s) | memory over empty app (MB) | longest task ms: import / train / scroll / export / reopen | the browser's own file hand-over task (ms) |",
    '|---|---|---|---|---|---|---|---|',
    ...results.map(
      (r) =>
        `| ${r.n.toLocaleString('en')} | ${r.importImagesPerSecond.toFixed(1)} | ${r.trainSeconds.toFixed(1)} | ${r.exportSeconds.toFixed(1)} | ${r.reopenSeconds.toFixed(1)} | ${r.memoryAboveEmptyMb.toFixed(0)} | ${Object.values(r.longestTaskMs).map((v) => v.toFixed(0)).join(' / ')} | ${r.fileHandOverMs.toFixed(0)} |`,
    ),
    '',
    `Per-image import + prepare cost at ${largest.n.toLocaleString('en')} over ${smallest.n.toLocaleString('en')}: ${ratio.toFixed(2)}× (target ≤ 1.2)`,
    ...failures.map((f) => `Failed at ${f.n.toLocaleString('en')} images: ${f.error}`),
  ];
  const json = { date: new Date().toISOString(), backend: options.backend ?? 'auto', data: dataRoot, sharedMemory, results, failures, perImageRatio: ratio };
  mkdirSync(options.outDir, { recursive: true });
  writeFileSync(join(options.outDir, `${new Date().toISOString().replace(/[:.]/g, '-')}-scaling.json`), JSON.stringify(json, null, 2));
  if (options.json) console.log(JSON.stringify(json, null, 2));
  else console.log(lines.join('\n'));
}
