import { expect, test, type Page } from '@playwright/test';
import { unzipSync, strFromU8 } from 'fflate';
import { readFileSync } from 'node:fs';
import { addImages, expectCount, openApp, predictImage, renameClass, train } from './app';
import { heldOut, trainingSet } from './fixtures';

async function fineTuneTwoLayers(page: Page, backend: string, epochs: number) {
  await openApp(page, backend);
  await renameClass(page, 'Class 1', 'Stripes');
  await renameClass(page, 'Class 2', 'Checks');
  await addImages(page, 'Stripes', trainingSet('stripes', 10));
  await addImages(page, 'Checks', trainingSet('checks', 10));
  await expectCount(page, 'Stripes', 10);
  await expectCount(page, 'Checks', 10);
  await page.getByText('Settings', { exact: true }).click();
  await page.getByLabel('Epochs', { exact: true }).fill(String(epochs));
  await page.getByLabel('Fine-tune last layers').fill('2');
  await train(page);
  await expect(page.getByText('Fine-tuned 2 backbone layers (Conv_1, Conv_1_bn) at learning rate 0.0001.')).toBeVisible();
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
  await page.getByRole('button', { name: 'Download model' }).click();
  const zip = unzipSync(new Uint8Array(readFileSync(await (await downloadPromise).path())));
  const modelJson = JSON.parse(strFromU8(zip['model.json']));
  const layerNames: string[] = modelJson.modelTopology.config.layers.map((l: { name: string }) => l.name);
  expect(layerNames).toContain('ts_finetuned_tail');
  expect(layerNames).not.toContain('Conv_1');
  const weightNames: string[] = modelJson.weightsManifest[0].weights.map((w: { name: string }) => w.name);
  expect(weightNames.some((n) => n.startsWith('Conv_1/'))).toBe(true);
});

test('on WASM, fine-tunes with the app’s own gradient kernel; deeper layers fall back to the CPU and say so', async ({ page }) => {
  await fineTuneTwoLayers(page, 'wasm', 12);
  await expect(page.getByText(/no gradient kernel/)).toHaveCount(0);
  // Six layers reach block 16's depthwise convolution, whose gradient WASM lacks.
  await page.getByLabel('Fine-tune last layers').fill('6');
  await page.getByLabel('Epochs', { exact: true }).fill('2');
  await train(page);
  await expect(
    page.getByRole('note').filter({ hasText: /^The wasm backend has no gradient kernel for DepthwiseConv2dNativeBackpropFilter, so this fine-tuning run used the CPU backend/ }),
  ).toBeVisible({ timeout: 5 * 60_000 });
});

test('fine-tunes the last 2 backbone layers on WebGPU and predicts held-out images', async ({ page }) => {
  // SwiftShader runs WebGPU on the CPU here: slow, so fewer epochs.
  test.setTimeout(10 * 60_000);
  await fineTuneTwoLayers(page, 'webgpu', 8);
  await expect(page.getByText(/no gradient kernel/)).toHaveCount(0);
});
