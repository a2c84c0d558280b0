import { expect, test, type Page } from '@playwright/test';
import { unzipSync, strFromU8 } from 'fflate';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { addImages, clickDownloadModel, dropFolders, expectCount, openApp, predictImage, renameClass, type ShownPrediction, train } from './app';
import { heldOut, trainingSet, type FixtureFile } from './fixtures';

const require = createRequire(import.meta.url);

// `measured`: no ?backend= — the app times the backends and picks the fastest (WASM on this CPU-only machine).
for (const backend of ['measured', 'webgpu', 'webgl'] as const) {
  test(`trains on dropped images, predicts held-out ones and exports a matching model (${backend})`, async ({ page, browser }) => {
    await openApp(page, backend === 'measured' ? undefined : backend);
    const active = ((await page.getByText(/^Backend: /).textContent()) ?? '').split(/[ (]/)[1];
    await renameClass(page, 'Class 1', 'Stripes');
    await renameClass(page, 'Class 2', 'Checks');

    await addImages(page, 'Stripes', trainingSet('stripes', 12));
    await addImages(page, 'Checks', trainingSet('checks', 12));
    await expectCount(page, 'Stripes', 12);
    await expectCount(page, 'Checks', 12);

    // A folder in ImageFolder layout dropped on the page merges into classes by name.
    await dropFolders(page, {
      more: { Stripes: trainingSet('stripes', 3, 50), Checks: trainingSet('checks', 3, 50) },
    });
    await expectCount(page, 'Stripes', 15);
    await expectCount(page, 'Checks', 15);

    await train(page, { showsProgress: backend !== 'measured' });
    await expect(page.getByText(/^Validation accuracy: /)).toBeVisible();

    const shown = new Map<string, ShownPrediction[]>();
    for (const [scene, label] of [['stripes', 'Stripes'], ['checks', 'Checks']] as const) {
      for (const file of heldOut(scene, 2)) {
        const predictions = await predictImage(page, file);
        expect(predictions[0].label, `${file.name} should be predicted as ${label}`).toBe(label);
        expect(predictions[0].text).toMatch(new RegExp(`^${label} \\d+(\\.\\d)?%$`));
        expect(predictions.map((p) => p.label).sort()).toEqual(['Checks', 'Stripes']);
        shown.set(file.name, predictions);
      }
    }

    const downloadPromise = page.waitForEvent('download');
    await clickDownloadModel(page);
    const download = await downloadPromise;
    expect(download.suggestedFilename()).toBe('my-project-model.zip');
    const zip = unzipSync(new Uint8Array(readFileSync(await download.path())));
    expect(Object.keys(zip).sort()).toEqual(['metadata.json', 'model.json', 'weights.bin']);
    const metadata = JSON.parse(strFromU8(zip['metadata.json']));
    expect(metadata).toMatchObject({ labels: ['Stripes', 'Checks'], imageSize: 224, modelName: 'my-project' });
    for (const key of ['tfjsVersion', 'tmVersion', 'packageVersion', 'packageName', 'timeStamp', 'userMetadata']) {
      expect(metadata).toHaveProperty(key);
    }

    // A fresh page that knows nothing of the app: plain tfjs, tf.loadLayersModel, TM preprocessing.
    const fresh = await browser.newPage();
    const reproduced = await predictWithPlainTfjs(fresh, active, zip, [...heldOut('stripes', 2), ...heldOut('checks', 2)]);
    for (const [name, predictions] of shown) {
      for (const { label, probability } of predictions) {
        const index = metadata.labels.indexOf(label);
        expect(Math.abs(reproduced[name][index] - probability), `${name} ${label}`).toBeLessThan(1e-4);
      }
    }
    await fresh.close();
  });
}

/** Loads the exported files with tf.loadLayersModel in a blank page and predicts the images. */
async function predictWithPlainTfjs(page: Page, backend: string, zip: Record<string, Uint8Array>, images: FixtureFile[]) {
  const origin = new URL('/__plain-tfjs/', test.info().project.use.baseURL).href;
  const files: Record<string, { body: Buffer; contentType: string }> = {
    'index.html': { body: Buffer.from('<!doctype html><title>plain tfjs</title>'), contentType: 'text/html' },
    'tf.min.js': { body: readFileSync(require.resolve('@tensorflow/tfjs/dist/tf.min.js')), contentType: 'text/javascript' },
    'tf-wasm.min.js': {
      body: readFileSync(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js')),
      contentType: 'text/javascript',
    },
    'tfjs-backend-wasm-simd.wasm': {
      body: readFileSync(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm')),
      contentType: 'application/wasm',
    },
    'tfjs-backend-wasm.wasm': {
      body: readFileSync(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')),
      contentType: 'application/wasm',
    },
    'tf-webgpu.min.js': {
      body: readFileSync(require.resolve('@tensorflow/tfjs-backend-webgpu/dist/tf-backend-webgpu.min.js')),
      contentType: 'text/javascript',
    },
    'model.json': { body: Buffer.from(zip['model.json']), contentType: 'application/json' },
    'weights.bin': { body: Buffer.from(zip['weights.bin']), contentType: 'application/octet-stream' },
    ...Object.fromEntries(images.map((f) => [f.name, { body: f.buffer, contentType: f.mimeType }])),
  };
  await page.route(`${origin}**`, (route) => {
    const file = files[new URL(route.request().url()).pathname.replace('/__plain-tfjs/', '')];
    return file ? route.fulfill(file) : route.fulfill({ status: 404 });
  });
  await page.goto(`${origin}index.html`);
  await page.addScriptTag({ url: `${origin}tf.min.js` });
  await page.addScriptTag({ url: `${origin}tf-webgpu.min.js` });
  await page.addScriptTag({ url: `${origin}tf-wasm.min.js` });
  return page.evaluate(
    async ({ origin, backend, names }) => {
      const tf = (window as unknown as { tf: typeof import('@tensorflow/tfjs') & { wasm: { setWasmPaths(p: string): void } } }).tf;
      if (backend === 'wasm') tf.wasm.setWasmPaths(origin);
      if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} did not start`);
      const model = await tf.loadLayersModel(`${origin}model.json`);
      const out: Record<string, number[]> = {};
      for (const name of names) {
        const image = new Image();
        image.src = `${origin}${name}`;
        await image.decode();
        // Teachable Machine's preprocessing: (already 224×224 centre square) then x/127 - 1.
        const input = tf.tidy(() => tf.browser.fromPixels(image).toFloat().div(127).sub(1).expandDims(0));
        const output = model.predict(input) as import('@tensorflow/tfjs').Tensor;
        out[name] = Array.from(await output.data());
        tf.dispose([input, output]);
      }
      return out;
    },
    { origin, backend, names: images.map((f) => f.name) },
  );
}
