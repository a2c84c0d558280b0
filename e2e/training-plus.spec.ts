import { expect, test, type Page } from '@playwright/test';
import { addImages, classCard, clickDownloadModel, expectCount, openApp, openSettings as openAllSettings, renameClass, showDetails, train } from './app';
import { readFileSync } from 'node:fs';
import { trainingSet } from './fixtures';

async function openSettings(page: Page) {
  await openAllSettings(page, { more: true });
}

async function numberCell(page: Page, table: string, row: string, column: number): Promise<number> {
  const cell = page.getByRole('table', { name: table }).getByRole('row', { name: new RegExp(`^${row}\\b`) }).getByRole('cell').nth(column);
  return Number(await cell.textContent());
}

test('evaluation views: per-class metrics, confusion matrix, live curves and a gallery of mistakes that can be fixed', async ({ page }) => {
  await openApp(page, 'wasm');
  await renameClass(page, 'Class 1', 'Stripes');
  await renameClass(page, 'Class 2', 'Checks');
  // Four checkerboards mislabelled as Stripes: the model should call them Checks.
  await addImages(page, 'Stripes', [...trainingSet('stripes', 10), ...trainingSet('checks', 4, 100)]);
  await addImages(page, 'Checks', trainingSet('checks', 10));
  await expectCount(page, 'Stripes', 14);
  await expectCount(page, 'Checks', 10);

  await openSettings(page);
  await page.getByLabel('Epochs', { exact: true }).fill('20');
  await page.getByLabel('Validation split (%)').fill('50');
  await train(page);
  await expect(page.getByText(/^Validation accuracy: /)).toContainText('on 12 held-out images');
  await showDetails(page);

  // Curves drawn with uPlot, one point per epoch for train and validation.
  await expect(page.getByRole('figure', { name: 'Loss per epoch' })).toHaveAttribute('data-epochs', '20');
  await expect(page.getByRole('figure', { name: 'Loss per epoch' }).locator('canvas')).toHaveCount(1);
  await expect(page.getByRole('figure', { name: 'Accuracy per epoch' }).locator('canvas')).toHaveCount(1);

  // Per class: 7 of 14 Stripes and 5 of 10 Checks were held out.
  expect(await numberCell(page, 'Per-class metrics', 'Stripes', 0)).toBe(7);
  expect(await numberCell(page, 'Per-class metrics', 'Checks', 0)).toBe(5);
  const stripesAsChecks = await numberCell(page, 'Confusion matrix', 'Stripes', 1);
  const checksAsStripes = await numberCell(page, 'Confusion matrix', 'Checks', 0);
  const mistakes = stripesAsChecks + checksAsStripes;
  expect(mistakes).toBeGreaterThan(0);
  const gallery = page.getByRole('region', { name: 'Misclassified validation images' });
  await expect(gallery.getByRole('listitem')).toHaveCount(mistakes);
  await expect(gallery.getByRole('heading')).toHaveText(`Misclassified validation images (${mistakes})`);
  // The mislabelled checkerboards are the mistakes: true Stripes, predicted Checks.
  const first = gallery.getByRole('listitem').first();
  await expect(first.getByRole('img')).toHaveAttribute('alt', /^checks-1\d\d\./);
  await expect(first).toContainText('true: Stripes');
  await expect(first).toContainText('predicted: Checks');

  // Fix one by moving it to Checks, delete another: both leave the gallery and the classes update.
  const movedName = (await first.getByRole('img').getAttribute('alt'))!;
  await first.getByRole('combobox', { name: `Move ${movedName} to class` }).selectOption({ label: 'Checks' });
  await expect(gallery.getByRole('listitem')).toHaveCount(mistakes - 1);
  await expectCount(page, 'Stripes', 13);
  await expectCount(page, 'Checks', 11);
  await expect(classCard(page, 'Checks').getByRole('img', { name: movedName })).toBeVisible();
  if (mistakes > 1) {
    const next = gallery.getByRole('listitem').first();
    const deletedName = (await next.getByRole('img').getAttribute('alt'))!;
    await next.getByRole('button', { name: `Delete ${deletedName}` }).click();
    await expect(gallery.getByRole('listitem')).toHaveCount(mistakes - 2);
    await expect(page.getByRole('img', { name: deletedName })).toHaveCount(0);
  }
  await expect(page.getByRole('status', { name: 'Training status' })).toHaveText(/^Out of date: .*Train again\.$/);
});

test('augmentation: a preview strip of one sample, then training on K augmented views per training image', async ({ page }) => {
  await openApp(page, 'wasm');
  await addImages(page, 'Class 1', trainingSet('stripes', 8));
  await addImages(page, 'Class 2', trainingSet('checks', 8));
  await expectCount(page, 'Class 1', 8);
  await expectCount(page, 'Class 2', 8);
  await openSettings(page);
  await page.getByLabel('Augment training images').check();
  await page.getByLabel('Augmented views per image').fill('3');
  await page.getByLabel('Shear', { exact: true }).check();
  await page.getByRole('button', { name: 'Preview augmentation' }).click();
  const strip = page.getByRole('group', { name: 'Augmentation preview' });
  await expect(strip.getByRole('img')).toHaveCount(6);
  // Every view is a decoded JPEG (not a broken image).
  const widths = await strip.getByRole('img').evaluateAll((imgs) => imgs.map((img) => (img as HTMLImageElement).naturalWidth));
  expect(widths).toEqual([96, 96, 96, 96, 96, 96]);

  await page.getByLabel('Epochs', { exact: true }).fill('15');
  await train(page);
  // 8 per class, 1 held out each → 14 training images × 3 views.
  await expect(page.getByText('Trained with 42 augmented views.')).toBeVisible();
  await expect(page.getByText(/^Validation accuracy: /)).toContainText('100.0%');
});

test('weight initialisation: continue from the current model or an imported zip; a mismatched zip is refused by name', async ({ page }) => {
  await openApp(page, 'wasm');
  await addImages(page, 'Class 1', trainingSet('stripes', 8));
  await addImages(page, 'Class 2', trainingSet('checks', 8));
  await expectCount(page, 'Class 1', 8);
  await expectCount(page, 'Class 2', 8);
  await openSettings(page);
  await page.getByLabel('Epochs', { exact: true }).fill('10');
  await train(page);
  const downloadPromise = page.waitForEvent('download');
  await clickDownloadModel(page);
  const zipPath = await (await downloadPromise).path();

  await page.getByLabel('Epochs', { exact: true }).fill('1');
  await page.getByRole('combobox', { name: 'Start from' }).selectOption({ label: 'The current model (continue training)' });
  // One epoch is over too fast to see the Cancel button: wait for the run's note instead.
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.getByText("Started from the current model's weights.")).toBeVisible();
  await expect(page.getByText(/^Validation accuracy: /)).toContainText('100.0%');

  await page.getByLabel('Import a model zip to start from').setInputFiles({ name: 'start.zip', mimeType: 'application/zip', buffer: readFileSync(zipPath) });
  await expect(page.getByText('Imported "my-project" (Class 1, Class 2); the next run starts from its weights.')).toBeVisible();
  await expect(page.getByRole('combobox', { name: 'Start from' })).toHaveValue('imported');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.getByText('Started from the imported model "my-project"\'s weights.')).toBeVisible();
  await expect(page.getByText(/^Validation accuracy: /)).toContainText('100.0%');

  await renameClass(page, 'Class 2', 'Other');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(
    page.getByText('The imported model "my-project" has the classes "Class 1", "Class 2", but this project has "Class 1", "Other".', { exact: false }),
  ).toBeVisible();

  await page.getByLabel('Import a model zip to start from').setInputFiles({ name: 'notes.zip', mimeType: 'application/zip', buffer: Buffer.from('not a zip') });
  await expect(page.getByText('That model cannot be used as a starting point: "notes.zip" is not a zip file.')).toBeVisible();
});
