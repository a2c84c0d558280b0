import { expect, test, type Page } from '@playwright/test';
import { unzipSync, strFromU8 } from 'fflate';
import { readFileSync } from 'node:fs';
import { addImages, clickDownloadModel, expectCount, openApp, openSettings, predictImage, renameClass, train } from './app';
import { heldOut, trainingSet } from './fixtures';
import { downloadZip, storedModels, waitUntilSaved } from './projects';

const FINE_TUNED_NOTE = 'Fine-tuned 2 backbone layers (Conv_1, Conv_1_bn) at learning rate 0.0001.';

/** Stripes vs checks, `perClass` images each, trained with the last 2 backbone layers fine-tuned. */
async function trainFineTuned(page: Page, backend: string, epochs: number, perClass = 10) {
  await openApp(page, backend);
  await renameClass(page, 'Class 1', 'Stripes');
  await renameClass(page, 'Class 2', 'Checks');
  await addImages(page, 'Stripes', trainingSet('stripes', perClass));
  await addImages(page, 'Checks', trainingSet('checks', perClass));
  await expectCount(page, 'Stripes', perClass);
  await expectCount(page, 'Checks', perClass);
  await openSettings(page, { more: true });
  await page.getByLabel('Epochs', { exact: true }).fill(String(epochs));
  await page.getByLabel('Fine-tune last layers').fill('2');
  await train(page);
  await expect(page.getByText(FINE_TUNED_NOTE)).toBeVisible();
}

async function fineTuneTwoLayers(page: Page, backend: string, epochs: number) {
  await trainFineTuned(page, backend, epochs);
  await expect(page.getByText(/^Validation accuracy: /)).toContainText('100.0%');
  for (const [scene, label] of [['stripes', 'Stripes'], ['checks', 'Checks']] as const) {
    for (const file of heldOut(scene, 2)) {
      const predictions = await predictImage(page, file);
      expect(predictions[0].label, `${file.name} should be predicted as ${label}`).toBe(label);
    }
  }
}

test('fine-tunes the last 2 backbone layers on WebGL, predicts held-out images and exports the tuned layers', async ({ page }) => {
  await fineTuneTwoLayers(page, 'webgl', 12);
  await expect(page.getByText(/no gradient kernel/)).toHaveCount(0);
  const downloadPromise = page.waitForEvent('download');
  await clickDownloadModel(page);
  const zip = unzipSync(new Uint8Array(readFileSync(await (await downloadPromise).path())));
  const modelJson = JSON.parse(strFromU8(zip['model.json']));
  const layerNames: string[] = modelJson.modelTopology.config.layers.map((l: { name: string }) => l.name);
  expect(layerNames).toContain('ts_finetuned_tail');
  expect(layerNames).not.toContain('Conv_1');
  const weightNames: string[] = modelJson.weightsManifest[0].weights.map((w: { name: string }) => w.name);
  expect(weightNames.some((n) => n.startsWith('Conv_1/'))).toBe(true);
});

test('on WASM, fine-tunes with the app’s own gradient kernel, with cached or per-batch augmentation; deeper layers fall back to the CPU and say so', async ({ page }) => {
  await fineTuneTwoLayers(page, 'wasm', 12);
  await expect(page.getByText(/no gradient kernel/)).toHaveCount(0);
  // Six layers reach block 16's depthwise convolution, whose gradient WASM lacks.
  await page.getByLabel('Fine-tune last layers').fill('6');
  await page.getByLabel('Epochs', { exact: true }).fill('2');
  await train(page);
  await expect(
    page.getByRole('note').filter({ hasText: /^The wasm backend has no gradient kernel for DepthwiseConv2dNativeBackpropFilter, so this fine-tuning run used the CPU backend/ }),
  ).toBeVisible({ timeout: 5 * 60_000 });

  // Augmenting while fine-tuning: K cached views of the frozen layers' output by default, or afresh every batch.
  await page.getByLabel('Fine-tune last layers').fill('2');
  await page.getByLabel('Augment training images').check();
  await train(page);
  await expect(page.getByRole('note').filter({ hasText: /^Each training image was augmented 4 times before training/ })).toBeVisible();
  await expect(page.getByText(/no gradient kernel/)).toHaveCount(0);
  await page.getByLabel('When fine-tuning, augment every batch afresh').check();
  await train(page);
  await expect(page.getByRole('note').filter({ hasText: /^Training images were augmented afresh for every batch\.$/ })).toBeVisible();
});

test('a fine-tuned model is saved with the project: after a reload it is ready, predicts the same and exports the same', async ({ page }) => {
  // WASM is the quickest backend to fine-tune on here, with 5 small images per class.
  await trainFineTuned(page, 'wasm', 3, 5);
  await expect(page.getByText(/will not be kept after a reload/)).toHaveCount(0);
  const probe = heldOut('stripes', 1)[0];
  const before = await predictImage(page, probe);
  const exportBefore = await downloadZip(page, () => clickDownloadModel(page));
  await waitUntilSaved(page);
  const [stored] = await storedModels(page);
  expect(stored.labels).toEqual(['Stripes', 'Checks']);
  expect(stored.fineTuned).toMatchObject({ cutLayer: 'block_16_project_BN', trainableLayers: ['Conv_1', 'Conv_1_bn'] });
  // The tail alone: Conv_1 (1×1, 112→1280 at α=0.35, no bias) and its batch norm's four vectors; not the backbone.
  expect(stored.fineTuned!.bytes).toBe((112 * 1280 + 4 * 1280) * 4);

  await page.reload();
  await openApp(page, 'wasm');
  await expect(page.getByText(/^Trained in /)).toBeVisible();
  await expect(page.getByText(FINE_TUNED_NOTE)).toBeVisible();
  await expect(page.getByLabel('Test image')).toBeEnabled();
  // Continuing from the current model is refused for fine-tuned models, after a reload as before it.
  await openSettings(page, { more: true });
  await page.getByRole('combobox', { name: 'Start from' }).selectOption({ label: 'The current model (continue training)' });
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  const refusal = page.getByRole('alert').filter({ hasText: 'The current model has fine-tuned backbone layers; continuing from it is not supported.' });
  await expect(refusal).toBeVisible();
  await refusal.getByRole('button', { name: 'Dismiss message' }).click();

  const after = await predictImage(page, probe);
  expect(after.map((p) => p.label)).toEqual(before.map((p) => p.label));
  after.forEach((p, i) => expect(Math.abs(p.probability - before[i].probability)).toBeLessThan(1e-5));
  const exportAfter = await downloadZip(page, () => clickDownloadModel(page));
  expect(strFromU8(exportAfter.files['model.json'])).toBe(strFromU8(exportBefore.files['model.json']));
  expect(Buffer.from(exportAfter.files['weights.bin']).equals(Buffer.from(exportBefore.files['weights.bin']))).toBe(true);
  expect(JSON.parse(strFromU8(exportAfter.files['metadata.json'])).transferStudio).toEqual({
    backboneId: 'mobilenet_v2_035_224',
    fineTunedLayers: ['Conv_1', 'Conv_1_bn'],
  });
});

test('fine-tunes the last 2 backbone layers on WebGPU and predicts held-out images', async ({ page }) => {
  // SwiftShader runs WebGPU on the CPU here: slow, so fewer epochs.
  test.setTimeout(10 * 60_000);
  await fineTuneTwoLayers(page, 'webgpu', 8);
  await expect(page.getByText(/no gradient kernel/)).toHaveCount(0);
});
