/** A newcomer's first run at 1400 px: told what to do, trains, sees it go out of date, trains again, gets a verdict, exports. */
import { expect, test } from '@playwright/test';
import { addImages, classCard, expectCount, openApp, predictImage } from './app';
import { heldOut, trainingSet } from './fixtures';

test.use({ viewport: { width: 1400, height: 900 } });

test('empty project → told why Train cannot run → photos → ready → Model ready → out of date → again → verdict', async ({ page }) => {
  await openApp(page, 'wasm');
  const status = page.getByRole('status', { name: 'Training status' });
  const trainButton = page.getByRole('button', { name: 'Train', exact: true });

  // Empty: the line beside Train says what is missing; pressing it anyway explains too.
  await expect(status).toHaveText('Add photos to 2 classes ("Class 1" and "Class 2").');
  await trainButton.click();
  const refusal = page.getByRole('alert').filter({ hasText: /needs at least two classes with images/ });
  await expect(refusal).toBeVisible();

  await addImages(page, 'Class 1', trainingSet('stripes', 6));
  await expectCount(page, 'Class 1', 6);
  await expect(status).toHaveText('Add photos to 1 more class ("Class 2").');
  // The refused run's message described the project before the photos came: it has gone.
  await expect(refusal).toHaveCount(0);

  await addImages(page, 'Class 2', trainingSet('checks', 6));
  await expectCount(page, 'Class 2', 6);
  await expect(status).toHaveText('Ready to train on 12 photos in 2 classes.');

  await trainButton.click();
  await expect(page.getByRole('button', { name: 'Cancel training' })).toBeVisible();
  await expect(status).toHaveText('Model ready', { timeout: 5 * 60_000 });
  // The result in plain words, with advice because only 2 photos were kept aside to check it.
  await expect(page.getByText(/^Model ready: \d of 2 check photos right$/)).toBeVisible();
  await expect(page.getByText(/^Only 2 photos were kept aside to check the model/)).toBeVisible();
  // The figures wait under Details, and the charts' legends never show "--".
  const details = page.locator('summary', { hasText: /^Details$/ });
  await expect(page.getByRole('table', { name: 'Confusion matrix' })).toBeHidden();
  await details.click();
  await expect(page.getByRole('table', { name: 'Confusion matrix' })).toBeVisible();
  await expect(page.getByRole('figure', { name: 'Loss per epoch' })).toBeVisible();
  await expect(page.getByRole('figure', { name: 'Loss per epoch' })).not.toContainText('--');
  await expect(page.getByRole('figure', { name: 'Accuracy per epoch' })).not.toContainText('--');

  // New photos: the status and the preview say the model is out of date, and by how much.
  await addImages(page, 'Class 1', trainingSet('stripes', 2, 40));
  await expectCount(page, 'Class 1', 8);
  await expect(status).toHaveText('Out of date: 2 new images. Train again.');
  const tryIt = page.getByRole('region', { name: 'Try it' });
  await expect(tryIt.getByText(/^Out of date: 2 new images\. The preview still uses the previous model\./)).toBeVisible();

  await trainButton.click();
  await expect(status).toHaveText(/^Training \d+ \/ 50$/);
  await expect(status).toHaveText('Model ready', { timeout: 5 * 60_000 });
  await expect(tryIt.getByText(/^Out of date/)).toHaveCount(0);

  // A test photo: the headline names the most likely class with its percentage.
  const shown = await predictImage(page, heldOut('checks', 1)[0]);
  expect(shown[0].label).toBe('Class 2');
  const verdict = page.getByRole('status', { name: 'Predictions' }).locator('.verdict');
  await expect(verdict).toHaveText(new RegExp(`^(Not sure: maybe )?Class 2 ${Math.round(shown[0].probability * 100)}%$`));
  // Each class's bar has its card's colour.
  const colours = await page.evaluate(() => ({
    card: getComputedStyle(document.querySelector('[aria-label="Class 2"].class-card')!).borderLeftColor,
    bar: getComputedStyle(document.querySelector('.prediction[data-label="Class 2"] .bar')!).borderRightColor,
  }));
  expect(colours.bar).toBe(colours.card);
  // Live preview reads as a toggle.
  await expect(page.getByRole('button', { name: 'Live preview' })).toHaveAttribute('aria-pressed', 'false');
});

test('export dialog: format, explanation, Download model at once, a copy-ready snippet', async ({ page, context }) => {
  await openApp(page, 'wasm');
  await expect(page.getByRole('button', { name: 'Export model…' })).toBeDisabled();
  await addImages(page, 'Class 1', trainingSet('stripes', 4));
  await addImages(page, 'Class 2', trainingSet('checks', 4));
  await expectCount(page, 'Class 2', 4);
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.getByRole('status', { name: 'Training status' })).toHaveText('Model ready', { timeout: 5 * 60_000 });

  await page.getByRole('button', { name: 'Export model…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Export model' });
  await expect(dialog).toBeVisible();
  const format = dialog.getByRole('combobox', { name: 'Export format' });
  // The TF.js zip stays the default; every format says what its files are and how to load them.
  await expect(format).toHaveValue('tfjs');
  await expect(format.getByRole('option')).toHaveText(['TensorFlow.js', 'TFLite (float)', 'TFLite (quantized)', 'ONNX']);
  await expect(dialog).toContainText('model.json');
  const snippet = dialog.getByRole('region', { name: 'How to use it' });
  await expect(snippet).toContainText('tf.loadLayersModel("my-model/model.json")');
  await expect(snippet).toContainText('tmImage.load("my-model/model.json", "my-model/metadata.json")');
  await expect(snippet).toContainText('.div(127).sub(1)');
  await format.selectOption({ label: 'TFLite (quantized)' });
  await expect(dialog).toContainText('labels.txt');
  await expect(snippet).toContainText('dtype=np.uint8');
  await format.selectOption({ label: 'ONNX' });
  await expect(snippet).toContainText('onnxruntime');

  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await dialog.getByRole('button', { name: 'Copy code' }).click();
  await expect(dialog.getByText('Copied.')).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toContain('ort.InferenceSession("model.onnx")');

  const download = page.waitForEvent('download');
  await dialog.getByRole('button', { name: 'Download model' }).click();
  expect((await download).suggestedFilename()).toMatch(/^my-project-.*\.zip$/);
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toBeHidden();
});

test('deleting an image or a class can be undone; skipped files are reported on their card', async ({ page }) => {
  await openApp(page, 'wasm');
  await addImages(page, 'Class 1', [...trainingSet('stripes', 3), { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image') }]);
  await expectCount(page, 'Class 1', 3);
  await expect(classCard(page, 'Class 1').getByText(/^Skipped "notes\.txt": not an image/)).toBeVisible();

  const first = (await classCard(page, 'Class 1').getByRole('img').first().getAttribute('alt'))!;
  await classCard(page, 'Class 1').getByRole('button', { name: `Delete ${first}` }).click();
  await expectCount(page, 'Class 1', 2);
  const toast = page.getByRole('status', { name: 'Undo' });
  await expect(toast).toContainText(`Deleted "${first}" from Class 1.`);
  await toast.getByRole('button', { name: 'Undo' }).click();
  await expectCount(page, 'Class 1', 3);
  await expect(classCard(page, 'Class 1').getByRole('img').first()).toHaveAttribute('alt', first);

  await page.getByRole('button', { name: 'Delete class Class 1' }).click();
  await expect(classCard(page, 'Class 1')).toHaveCount(0);
  await expect(toast).toContainText('Deleted class "Class 1" and its 3 images.');
  await toast.getByRole('button', { name: 'Undo' }).click();
  await expectCount(page, 'Class 1', 3);
  // The restored images still have their bytes in the engine: training uses them.
  await addImages(page, 'Class 2', trainingSet('checks', 3));
  await expectCount(page, 'Class 2', 3);
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.getByRole('status', { name: 'Training status' })).toHaveText('Model ready', { timeout: 5 * 60_000 });
});
