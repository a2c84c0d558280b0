import { expect, test } from '@playwright/test';
import { strFromU8, unzipSync } from 'fflate';
import { readFileSync } from 'node:fs';
import { addImages, clickDownloadModel, expectCount, openApp, openSettings, predictImage, train } from './app';
import { heldOut, trainingSet } from './fixtures';

// These flows do not depend on the backend; WASM is the fast one on this machine.
test.beforeEach(async ({ page }) => {
  await openApp(page, 'wasm');
  await addImages(page, 'Class 1', trainingSet('stripes', 8));
  await addImages(page, 'Class 2', trainingSet('checks', 8));
  await expectCount(page, 'Class 1', 8);
  await expectCount(page, 'Class 2', 8);
});

test('Cancel training stops the run and leaves the app usable', async ({ page }) => {
  await openSettings(page, { more: true });
  await page.getByLabel('Epochs', { exact: true }).fill('5000');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.getByRole('progressbar', { name: 'Training' })).toBeVisible({ timeout: 60_000 });
  await page.getByRole('button', { name: 'Cancel training' }).click();
  await expect(page.getByText(/^Training cancelled/)).toBeVisible({ timeout: 10_000 });
  await expect(page.getByRole('button', { name: 'Cancel training' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Train', exact: true })).toBeEnabled();
  // Still usable: a normal run afterwards trains and predicts.
  await page.getByLabel('Epochs', { exact: true }).fill('20');
  await train(page);
  const [top] = await predictImage(page, heldOut('checks', 1)[0]);
  expect(top.label).toBe('Class 2');
});

for (const backbone of ['mobilenet_v1_025_224', 'mobilenet_v2_050_96'] as const) {
  test(`switching to ${backbone} offers retraining, trains and exports`, async ({ page }) => {
    await train(page);
    await page.getByRole('combobox', { name: 'Backbone', exact: true }).selectOption(backbone);
    await expect(page.getByText('The model was trained on another backbone.')).toBeVisible();
    await page.getByRole('button', { name: 'Retrain now' }).click();
    await expect(page.getByText('The model was trained on another backbone.')).toHaveCount(0, { timeout: 120_000 });
    await expect(page.getByText(/^Trained in /)).toBeVisible();
    const [top] = await predictImage(page, heldOut('stripes', 1)[0]);
    expect(top.label).toBe('Class 1');

    const downloadPromise = page.waitForEvent('download');
    await clickDownloadModel(page);
    const zip = unzipSync(new Uint8Array(readFileSync(await (await downloadPromise).path())));
    const metadata = JSON.parse(strFromU8(zip['metadata.json']));
    const model = JSON.parse(strFromU8(zip['model.json']));
    const inputShape = model.modelTopology.config.layers[0].config.batch_input_shape;
    if (backbone === 'mobilenet_v2_050_96') {
      // Graph backbone: the head alone, with the backbone named in metadata.json.
      expect(metadata.backbone).toMatchObject({ id: backbone, format: 'graph', inputSize: 96 });
      expect(metadata.backbone.preprocessing).toMatch(/x \/ 255/);
      expect(inputShape).toEqual([null, 1280]);
    } else {
      expect(metadata.backbone).toBeUndefined();
      expect(inputShape).toEqual([null, 224, 224, 3]);
    }
  });
}
