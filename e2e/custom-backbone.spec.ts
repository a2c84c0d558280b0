import { expect, test } from '@playwright/test';
import * as tf from '@tensorflow/tfjs';
import { unzipSync, strFromU8 } from 'fflate';
import { readFileSync } from 'node:fs';
import { tinyResNetModel } from '../src/ml/testing';
import { addImages, clickDownloadModel, expectCount, openApp, openSettings, predictImage, renameClass, train } from './app';
import { heldOut, trainingSet, type FixtureFile } from './fixtures';

/** A small ResNet-style layers model with random weights, saved as model.json + weights.bin. */
async function generatedResNetFiles(): Promise<FixtureFile[]> {
  await tf.setBackend('cpu');
  const model = tinyResNetModel(32, 11);
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
    }),
  );
  model.dispose();
  const modelJson = {
    format: 'layers-model',
    generatedBy: 'e2e test',
    convertedBy: null,
    modelTopology: artifacts!.modelTopology,
    weightsManifest: [{ paths: ['weights.bin'], weights: artifacts!.weightSpecs }],
  };
  return [
    { name: 'model.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(modelJson)) },
    { name: 'weights.bin', mimeType: 'application/octet-stream', buffer: Buffer.from(tf.io.CompositeArrayBuffer.join(artifacts!.weightData!)) },
  ];
}

test('a custom ResNet-style backbone dropped as files lists its layers, trains on the chosen layer and exports', async ({ page }) => {
  const files = await generatedResNetFiles();
  await openApp(page, 'wasm');
  await page.getByText('Custom backbone…').click();
  await page.getByLabel('Custom backbone files').setInputFiles(files);
  const table = page.getByRole('table', { name: 'Custom backbone layers' });
  await expect(table.getByRole('row')).toHaveCount(13);
  await expect(table.getByRole('row', { name: /^features ReLU \[16×16×12\]$/ })).toBeVisible();
  await expect(table.getByRole('row', { name: /^block_add Add \[16×16×8\]$/ })).toBeVisible();
  const featureSelect = page.getByRole('combobox', { name: 'Feature layer' });
  await expect(featureSelect).toHaveValue('avg_pool');
  await featureSelect.selectOption('features');
  await page.getByRole('button', { name: 'Use this backbone' }).click();
  const picker = page.getByRole('combobox', { name: 'Backbone' });
  await expect(picker.locator('option:checked')).toHaveText('Custom: dropped model · features');

  await renameClass(page, 'Class 1', 'Stripes');
  await renameClass(page, 'Class 2', 'Checks');
  await addImages(page, 'Stripes', trainingSet('stripes', 10));
  await addImages(page, 'Checks', trainingSet('checks', 10));
  await expectCount(page, 'Stripes', 10);
  await expectCount(page, 'Checks', 10);
  await openSettings(page, { more: true });
  await page.getByLabel('Epochs', { exact: true }).fill('30');
  await train(page);
  await expect(page.getByText(/^Validation accuracy: /)).toBeVisible();
  for (const [scene, label] of [['stripes', 'Stripes'], ['checks', 'Checks']] as const) {
    for (const file of heldOut(scene, 2)) {
      const predictions = await predictImage(page, file);
      expect(predictions[0].label, `${file.name} should be predicted as ${label}`).toBe(label);
    }
  }

  const downloadPromise = page.waitForEvent('download');
  await clickDownloadModel(page);
  const zip = unzipSync(new Uint8Array(readFileSync(await (await downloadPromise).path())));
  const metadata = JSON.parse(strFromU8(zip['metadata.json']));
  expect(metadata.imageSize).toBe(32);
  expect(metadata.transferStudio.backboneId).toMatch(/^custom:.+:features:teachable-machine$/);
  const layerNames: string[] = JSON.parse(strFromU8(zip['model.json'])).modelTopology.config.layers.map((l: { name: string }) => l.name);
  expect(layerNames).toEqual(expect.arrayContaining(['block_add', 'features', 'ts_global_pool', 'ts_head_output']));
  expect(layerNames).not.toContain('predictions');
});
