import { expect, test } from '@playwright/test';
import * as tf from '@tensorflow/tfjs';
import { unzipSync, strFromU8 } from 'fflate';
import { readFileSync } from 'node:fs';
import { tinyResNetModel } from '../src/ml/testing';
import { addImages, clickDownloadModel, expectCount, openApp, openSettings, predictImage, renameClass, train } from './app';
import { heldOut, trainingSet, type FixtureFile } from './fixtures';
import { downloadZip, importProjectZip, openProjectsPanel, waitUntilSaved } from './projects';

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

test('a custom ResNet-style backbone dropped as files lists its layers, trains on the chosen layer, exports, survives a reload and a project file round trip', async ({ page }) => {
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

  // After a reload the project still has that backbone (loaded again from the stored files) and its model predicts.
  await waitUntilSaved(page);
  await page.reload();
  await expect(page.getByText('Backend: wasm')).toBeVisible({ timeout: 60_000 });
  await expect(picker.locator('option:checked')).toHaveText('Custom: dropped model · features');
  await expectCount(page, 'Stripes', 10);
  await expect(page.getByText(/^Validation accuracy: /)).toBeVisible();
  const afterReload = await predictImage(page, heldOut('checks', 1)[0]);
  expect(afterReload[0].label).toBe('Checks');
  await expect(page.getByRole('alert')).toHaveCount(0);

  // Export project carries the model's files; importing that file gives a project on the same backbone that trains.
  const exported = await downloadZip(page, async () => (await openProjectsPanel(page)).getByRole('button', { name: 'Export project' }).click());
  expect(Object.keys(exported.files)).toEqual(expect.arrayContaining(['project.json', 'backbone/model.json', 'backbone/weights.bin']));
  expect(Buffer.from(exported.files['backbone/weights.bin']).equals(files[1].buffer)).toBe(true);
  const json = JSON.parse(strFromU8(exported.files['project.json']));
  expect(json.backboneId).toBe(metadata.transferStudio.backboneId);
  expect(json.customBackbone.title).toBe('dropped model');
  await importProjectZip(page, 'custom.zip', exported.bytes);
  await expect(page.getByText(/^Imported "My project": 2 classes, 20 images\.$/)).toBeVisible();
  await expect(picker.locator('option:checked')).toHaveText('Custom: dropped model · features');
  await train(page);
  await expect(page.getByText(/^Validation accuracy: /)).toBeVisible();
  const imported = await predictImage(page, heldOut('stripes', 1)[0]);
  expect(imported[0].label).toBe('Stripes');
  await expect(page.getByRole('alert')).toHaveCount(0);
});

test('a project whose custom model is no longer stored opens with its images and says why the backbone cannot load', async ({ page }) => {
  const files = await generatedResNetFiles();
  await openApp(page, 'wasm');
  await page.getByText('Custom backbone…').click();
  await page.getByLabel('Custom backbone files').setInputFiles(files);
  await page.getByRole('button', { name: 'Use this backbone' }).click();
  const picker = page.getByRole('combobox', { name: 'Backbone' });
  await expect(picker.locator('option:checked')).toHaveText('Custom: dropped model · avg_pool');
  await addImages(page, 'Class 1', trainingSet('stripes', 3));
  await expectCount(page, 'Class 1', 3);
  await waitUntilSaved(page);
  // The stored model is gone (e.g. cleared by the user): nothing else about the project is.
  await page.evaluate(
    () =>
      new Promise<void>((ok, fail) => {
        const request = indexedDB.open('transfer-studio');
        request.onsuccess = () => {
          const tx = request.result.transaction('customBackbones', 'readwrite');
          tx.objectStore('customBackbones').clear();
          tx.oncomplete = () => (request.result.close(), ok());
          tx.onerror = () => fail(tx.error);
        };
      }),
  );
  await page.reload();
  await expect(page.getByRole('alert')).toContainText(/custom backbone .*is not stored in this browser.*images of this project are kept/);
  await expectCount(page, 'Class 1', 3);
  await expect(picker.locator('option:checked')).toHaveText('Custom: dropped model · avg_pool');
  // Export project refuses rather than writing a file the importer would refuse.
  await page.getByRole('alert').getByRole('button', { name: 'Dismiss message' }).click();
  await (await openProjectsPanel(page)).getByRole('button', { name: 'Export project' }).click();
  await expect(page.getByRole('alert')).toContainText(/project could not be exported: its custom backbone is not stored/);
});
