import { expect, test, type Page } from '@playwright/test';
import { addImages, classCard, clickDownloadModel, expectCount, openApp, predictImage, train } from './app';
import { heldOut, trainingSet } from './fixtures';

// Offline and deterministic: public model URLs are never reached, so the package models
// without a local copy (every one but V1 0.25) must show as unavailable, not fail later.
test.beforeEach(async ({ context }) => {
  await context.route(/tfhub\.dev|kaggle\.com|storage\.googleapis\.com/, (route) => route.abort('internetdisconnected'));
});

const PACKAGE_V1_025 = 'mobilenet_v1_025_224_package';

async function smallProject(page: Page, perClass: number) {
  await addImages(page, 'Class 1', trainingSet('stripes', perClass));
  await addImages(page, 'Class 2', trainingSet('checks', perClass));
  await expectCount(page, 'Class 1', perClass);
  await expectCount(page, 'Class 2', perClass);
}

test('MobileNet through @tensorflow-models/mobilenet trains, predicts, and shows what the backbone sees', async ({ page }) => {
  await openApp(page, 'wasm');
  const picker = page.getByRole('combobox', { name: 'Backbone', exact: true });
  // A package model with neither a local copy nor a reachable URL is listed, disabled, with the reason.
  const v2 = picker.locator('option[value="mobilenet_v2_100_224_package"]');
  await expect(v2).toHaveText(/^MobileNet V2 1\.00 · 224 px .* — unavailable here$/);
  await expect(v2).toBeDisabled();
  await page.locator('summary', { hasText: /unavailable$/ }).click();
  await expect(page.getByText(/MobileNet V2 1\.00 · 224 px .* is unavailable: there is no local copy/)).toBeVisible();
  await expect(picker.locator(`option[value="${PACKAGE_V1_025}"]`)).toBeEnabled();
  await expect(picker.locator('option[value="mobilenet_v1_075_224"]')).toHaveText('MobileNet V1 0.75 · 224 px');

  await picker.selectOption(PACKAGE_V1_025);
  await smallProject(page, 8);
  await train(page);
  for (const [scene, label] of [['stripes', 'Class 1'], ['checks', 'Class 2']] as const) {
    const [top] = await predictImage(page, heldOut(scene, 1)[0]);
    expect(top.label).toBe(label);
  }

  // The pretrained ImageNet top-3 of the test image, from the package's classify.
  const sees = page.getByRole('region', { name: 'What the backbone sees' });
  const labels = sees.getByRole('list', { name: 'ImageNet top-3' }).getByRole('listitem');
  await expect(labels).toHaveCount(3);
  const probabilities = await labels.evaluateAll((items) => items.map((i) => Number((i as HTMLElement).dataset.probability)));
  expect(probabilities[0]).toBeGreaterThan(0);
  expect(probabilities).toEqual([...probabilities].sort((a, b) => b - a));
  await expect(sees).toContainText("ImageNet classes from MobileNet V1 0.25 · 224 px (TF-Hub");

  // On request, a class card lists its images' most frequent ImageNet labels.
  const card = classCard(page, 'Class 1');
  await card.getByRole('button', { name: 'ImageNet labels of Class 1' }).click();
  const classLabels = card.getByRole('group', { name: 'ImageNet labels of Class 1' });
  await expect(classLabels.getByText(/^Most frequent ImageNet labels \(8 images, by MobileNet V1 0\.25/)).toBeVisible({ timeout: 60_000 });
  const counts = await classLabels.getByRole('listitem').evaluateAll((items) => items.map((i) => Number((i as HTMLElement).dataset.count)));
  expect(counts.reduce((a, b) => a + b, 0)).toBe(8);

  // The export follows the graph-model rule: the head alone, with the backbone named.
  const download = page.waitForEvent('download');
  await clickDownloadModel(page);
  expect((await download).suggestedFilename()).toMatch(/-model\.zip$/);
});

test('Compare backbones fills one row per available backbone, is kept with the project, and "Use this backbone" switches and predicts', async ({ page }) => {
  await openApp(page, 'wasm');
  await smallProject(page, 6);
  const available = await page
    .getByRole('combobox', { name: 'Backbone', exact: true })
    .locator('option:not([disabled])')
    .evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value));
  expect(available).toContain(PACKAGE_V1_025);
  expect(available).not.toContain('mobilenet_v2_100_224_package');

  // Cancel stops the engine's comparison operation: no table, the buttons come back.
  await page.getByRole('button', { name: 'Compare backbones' }).click();
  await page.getByRole('button', { name: 'Cancel', exact: true }).click();
  await expect(page.getByText('Comparison cancelled. The earlier table, if any, is kept.')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByRole('table', { name: /^Backbones compared on/ })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Compare backbones' })).toBeEnabled();

  await page.getByRole('button', { name: 'Compare backbones' }).click();
  await expect(page.getByRole('progressbar', { name: 'Comparing backbones' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Cancel', exact: true })).toBeVisible();
  const table = page.getByRole('table', { name: /^Backbones compared on 12 images/ });
  await expect(table).toBeVisible({ timeout: 5 * 60_000 });
  await expect(page.getByRole('button', { name: 'Cancel', exact: true })).toHaveCount(0);
  const rows = table.locator('tbody tr');
  await expect(rows).toHaveCount(available.length);
  expect(await rows.evaluateAll((r) => r.map((row) => (row as HTMLElement).dataset.backbone))).toEqual(available);
  for (const row of await rows.all()) {
    await expect(row.locator('td[data-accuracy]')).toHaveText(/^\d+\.\d%$/);
    await expect(row.getByRole('button', { name: 'Use this backbone' })).toBeEnabled();
  }

  const row = table.locator('tr[data-backbone="mobilenet_v1_075_224"]');
  await row.getByRole('button', { name: 'Use this backbone' }).click();
  await expect(page.getByRole('combobox', { name: 'Backbone', exact: true })).toHaveValue('mobilenet_v1_075_224');
  await expect(page.getByText('The model was trained on another backbone.')).toHaveCount(0);
  const [top] = await predictImage(page, heldOut('checks', 1)[0]);
  expect(top.label).toBe('Class 2');

  // The table is part of the project: it is there again after a reload.
  await page.reload();
  await expect(page.getByRole('table', { name: /^Backbones compared on 12 images/ }).locator('tbody tr')).toHaveCount(available.length, { timeout: 60_000 });
});
