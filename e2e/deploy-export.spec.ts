/**
 * TFLite (float and quantized) and ONNX downloads, each run in its format's own
 * runtime and compared with the probabilities the app shows: LiteRT.js in a
 * blank Chromium page for TFLite, onnxruntime-node for ONNX.
 */
import { expect, test, type Browser, type Page } from '@playwright/test';
import { strFromU8, unzipSync } from 'fflate';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { PNG } from 'pngjs';
import { addImages, expectCount, openApp, openSettings, predictImage, renameClass, train } from './app';
import { heldOut, trainingSet, type FixtureFile } from './fixtures';

const require = createRequire(import.meta.url);
const LABELS = ['Stripes', 'Checks'];

async function trainProject(page: Page, fineTuneLayers: number) {
  await openApp(page, 'wasm');
  await renameClass(page, 'Class 1', 'Stripes');
  await renameClass(page, 'Class 2', 'Checks');
  await addImages(page, 'Stripes', trainingSet('stripes', 6));
  await addImages(page, 'Checks', trainingSet('checks', 6));
  await expectCount(page, 'Stripes', 6);
  await expectCount(page, 'Checks', 6);
  if (fineTuneLayers > 0) {
    await openSettings(page, { more: true });
    await page.getByLabel('Epochs', { exact: true }).fill('4');
    await page.getByLabel('Fine-tune last layers').fill(String(fineTuneLayers));
  }
  await train(page);
  if (fineTuneLayers > 0) await expect(page.getByText(/^Fine-tuned 2 backbone layers/)).toBeVisible();
}

/** The app's probabilities (in LABELS order) for each held-out image, as the Preview panel shows them. */
async function appProbabilities(page: Page, images: FixtureFile[]): Promise<Map<string, number[]>> {
  const shown = new Map<string, number[]>();
  for (const file of images) {
    const predictions = await predictImage(page, file);
    shown.set(file.name, LABELS.map((label) => predictions.find((p) => p.label === label)!.probability));
  }
  return shown;
}

/** Opens `Export model…`, picks a format, presses Download model and returns the zip's files. */
async function download(page: Page, format: string, expectedFileName: string): Promise<Record<string, Uint8Array>> {
  const dialog = page.getByRole('dialog', { name: 'Export model' });
  if (!(await dialog.isVisible())) await page.getByRole('button', { name: 'Export model…' }).click();
  await dialog.getByRole('combobox', { name: 'Export format' }).selectOption({ label: format });
  const downloadPromise = page.waitForEvent('download');
  await dialog.getByRole('button', { name: 'Download model' }).click();
  const file = await downloadPromise;
  expect(file.suggestedFilename()).toMatch(/^my-project-.+\.zip$/);
  const zip = unzipSync(new Uint8Array(readFileSync(await file.path())));
  expect(Object.keys(zip).sort()).toEqual(['labels.txt', expectedFileName].sort());
  expect(strFromU8(zip['labels.txt'])).toBe('0 Stripes\n1 Checks\n');
  await expect(page.getByRole('status', { name: 'Exported model size' })).toContainText(expectedFileName);
  return zip;
}

/** RGB bytes of a 224×224 PNG: the held-out images need no crop or resize. */
function rgbOf(file: FixtureFile): number[] {
  const png = PNG.sync.read(file.buffer);
  const rgb: number[] = [];
  for (let i = 0; i < png.data.length; i += 4) rgb.push(png.data[i], png.data[i + 1], png.data[i + 2]);
  return rgb;
}

async function runOnnx(model: Uint8Array, images: FixtureFile[]): Promise<Map<string, number[]>> {
  const session = await ort.InferenceSession.create(model);
  const out = new Map<string, number[]>();
  for (const file of images) {
    const x = Float32Array.from(rgbOf(file), (v) => v / 127 - 1);
    const result = await session.run({ input: new ort.Tensor('float32', x, [1, 224, 224, 3]) });
    out.set(file.name, Array.from(result.output.data as Float32Array));
  }
  await session.release();
  return out;
}

/** Runs .tflite files with LiteRT.js (its wasm CPU runtime) in one blank Chromium page; per file, probabilities per image. */
async function runTflite(browser: Browser, models: { name: string; bytes: Uint8Array; quantized: boolean }[], images: FixtureFile[]): Promise<Record<string, Map<string, number[]>>> {
  const page = await browser.newPage();
  const origin = new URL('/__litert/', test.info().project.use.baseURL).href;
  const core = dirname(require.resolve('@litertjs/core/package.json'));
  const utils = dirname(require.resolve('@litertjs/wasm-utils/package.json'));
  await page.route(`${origin}**`, (route) => {
    const path = new URL(route.request().url()).pathname.replace('/__litert/', '');
    if (path === 'index.html') return route.fulfill({ body: '<!doctype html><title>LiteRT.js</title><body></body>', contentType: 'text/html' });
    // LiteRT.js is an ES module with one bare import; point it at the file.
    if (path === 'litert.js')
      return route.fulfill({ body: readFileSync(join(core, 'dist/index.js'), 'utf8').replace('"@litertjs/wasm-utils"', '"./wasm-utils.js"'), contentType: 'text/javascript' });
    if (path === 'wasm-utils.js') return route.fulfill({ body: readFileSync(join(utils, 'dist/index.js')), contentType: 'text/javascript' });
    if (path.startsWith('wasm/')) return route.fulfill({ body: readFileSync(join(core, path)), contentType: path.endsWith('.wasm') ? 'application/wasm' : 'text/javascript' });
    const model = models.find((m) => `models/${m.name}` === path);
    if (model) return route.fulfill({ body: Buffer.from(model.bytes), contentType: 'application/octet-stream' });
    return route.fulfill({ status: 404 });
  });
  await page.goto(`${origin}index.html`);
  const inputs = images.map((file) => ({ name: file.name, rgb: rgbOf(file) }));
  const result = await page.evaluate(
    async ({ origin, models, inputs }) => {
      const litert = (await import(`${origin}litert.js`)) as typeof import('@litertjs/core');
      await litert.loadLiteRt(`${origin}wasm/`);
      const out: Record<string, Record<string, number[]>> = {};
      for (const { name: file, quantized } of models) {
        const compiled = await litert.loadAndCompile(`${origin}models/${file}`, { accelerator: 'wasm' });
        out[file] = {};
        for (const { name, rgb } of inputs) {
          // Float: the TF.js preprocessing (x / 127 − 1). Quantized: the raw uint8 pixels.
          const data = quantized ? Uint8Array.from(rgb) : Float32Array.from(rgb, (v) => v / 127 - 1);
          const tensor = new litert.Tensor(data, [1, 224, 224, 3]);
          const [output] = await compiled.run(tensor);
          const values = Array.from(await output.data());
          out[file][name] = quantized ? values.map((q) => q / 256) : values;
          tensor.delete();
          output.delete();
        }
        compiled.delete();
      }
      return out;
    },
    { origin, models: models.map(({ name, quantized }) => ({ name, quantized })), inputs },
  );
  await page.close();
  return Object.fromEntries(Object.entries(result).map(([file, rows]) => [file, new Map(Object.entries(rows))]));
}

function expectClose(actual: Map<string, number[]>, expected: Map<string, number[]>, tolerance: number) {
  for (const [name, probabilities] of expected) {
    const got = actual.get(name)!;
    probabilities.forEach((p, i) => expect(Math.abs(got[i] - p), `${name} ${LABELS[i]}: ${got[i]} vs ${p}`).toBeLessThan(tolerance));
  }
}

function topClassAgreement(actual: Map<string, number[]>, expected: Map<string, number[]>): number {
  const top = (row: number[]) => row.indexOf(Math.max(...row));
  let agree = 0;
  for (const [name, probabilities] of expected) if (top(actual.get(name)!) === top(probabilities)) agree++;
  return agree / expected.size;
}

for (const fineTuneLayers of [0, 2]) {
  test(`${fineTuneLayers ? 'a fine-tuned (k = 2)' : 'a frozen-backbone'} model downloads as TFLite float, TFLite quantized and ONNX, each agreeing with the app in its own runtime`, async ({ page, browser }) => {
    // Training, six predictions and three exports on software WASM shared with other jobs: give it room.
    test.setTimeout(12 * 60_000);
    await trainProject(page, fineTuneLayers);
    const images = [...heldOut('stripes', 3), ...heldOut('checks', 3)];
    const shown = await appProbabilities(page, images);

    const onnx = await download(page, 'ONNX', 'model.onnx');
    expectClose(await runOnnx(onnx['model.onnx'], images), shown, 1e-3);

    const float = await download(page, 'TFLite (float)', 'model_unquant.tflite');
    const quantized = await download(page, 'TFLite (quantized)', 'model.tflite');
    // 8-bit weights are a quarter of the float ones; int32 biases and the per-channel scales and zero points
    // (as the TFLite converter writes them) bring the file to about a third.
    expect(quantized['model.tflite'].length).toBeLessThan(float['model_unquant.tflite'].length * 0.4);
    const tflite = await runTflite(
      browser,
      [
        { name: 'model_unquant.tflite', bytes: float['model_unquant.tflite'], quantized: false },
        { name: 'model.tflite', bytes: quantized['model.tflite'], quantized: true },
      ],
      images,
    );
    expectClose(tflite['model_unquant.tflite'], shown, 1e-3);
    expect(topClassAgreement(tflite['model.tflite'], shown)).toBeGreaterThanOrEqual(0.95);
  });
}

// The TF.js zip as the default, the format list and each format's snippet are checked in the export dialog's
// first-timer test (e2e/first-timer.spec.ts), which needs a trained model to open the dialog.
