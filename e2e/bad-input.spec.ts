import { expect, test } from '@playwright/test';
import { join } from 'node:path';
import { addImages, classCard, expectCount, openApp } from './app';
import { alphaPng, animatedGif, corruptJpeg, hugePng, SVG, scenePng, sidewaysPhoto, trainingSet, truncatedJpeg } from './fixtures';

// Importing does not depend on the backend; CPU starts fastest.
test.beforeEach(async ({ page }) => openApp(page, 'cpu'));

test('skips bad files with a message naming each, and imports every valid one of the same drop', async ({ page }) => {
  await addImages(page, 'Class 1', [
    { name: 'good.png', mimeType: 'image/png', buffer: scenePng('stripes', 1) },
    { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a picture at all') },
    { name: 'corrupt.jpg', mimeType: 'image/jpeg', buffer: corruptJpeg() },
    { name: 'cut-short.jpg', mimeType: 'image/jpeg', buffer: truncatedJpeg() },
    { name: 'empty.png', mimeType: 'image/png', buffer: Buffer.alloc(0) },
    { name: 'animated.gif', mimeType: 'image/gif', buffer: animatedGif() },
    { name: 'transparent.png', mimeType: 'image/png', buffer: alphaPng() },
    { name: 'drawing.svg', mimeType: 'image/svg+xml', buffer: SVG },
    { name: 'huge.png', mimeType: 'image/png', buffer: hugePng(join('e2e', '.fixtures')) },
  ]);
  // Messages about skipped files show on the card that received them.
  const messages = classCard(page, 'Class 1');
  await expect(messages.getByText(/^Skipped "notes\.txt": not an image/)).toBeVisible({ timeout: 120_000 });
  await expect(messages.getByText(/^Skipped "corrupt\.jpg": the JPEG file could not be decoded/)).toBeVisible();
  await expect(messages.getByText(/^Skipped "cut-short\.jpg": the JPEG file is truncated/)).toBeVisible();
  await expect(messages.getByText(/^Skipped "empty\.png": the file is empty/)).toBeVisible();
  // Valid images, animated GIFs (first frame), transparent PNGs, SVG and a 12000×12000 PNG are imported.
  await expectCount(page, 'Class 1', 5);
  const names = await classCard(page, 'Class 1').getByRole('img').evaluateAll((imgs) => imgs.map((i) => i.getAttribute('alt')));
  expect(names.sort()).toEqual(['animated.gif', 'drawing.svg', 'good.png', 'huge.png', 'transparent.png']);
  await expect(messages.getByText(/Skipped "(good\.png|animated\.gif|transparent\.png|drawing\.svg|huge\.png)"/)).toHaveCount(0);
});

test('shows a large phone photo upright, as its EXIF orientation says', async ({ page }) => {
  // 2,000×1,500 stored sideways: large enough that the engine decodes it at a fraction of its size.
  await addImages(page, 'Class 1', [{ name: 'phone.jpg', mimeType: 'image/jpeg', buffer: sidewaysPhoto(2000, 1500) }]);
  await expectCount(page, 'Class 1', 1);
  const thumbnail = classCard(page, 'Class 1').getByRole('img', { name: 'phone.jpg' });
  await expect(thumbnail).toHaveJSProperty('complete', true);
  const colours = await thumbnail.evaluate((img: HTMLImageElement) => {
    const canvas = Object.assign(document.createElement('canvas'), { width: img.naturalWidth, height: img.naturalHeight });
    const context = canvas.getContext('2d')!;
    context.drawImage(img, 0, 0);
    const at = (y: number) => Array.from(context.getImageData(canvas.width / 2, y, 1, 1).data.slice(0, 3));
    return { top: at(4), bottom: at(canvas.height - 5) };
  });
  // Upright, the stored left half (red) is on top and the right half (blue) at the bottom.
  expect(colours.top[0]).toBeGreaterThan(150);
  expect(colours.top[2]).toBeLessThan(100);
  expect(colours.bottom[2]).toBeGreaterThan(150);
  expect(colours.bottom[0]).toBeLessThan(100);
});

test('explains what to do instead of training with one class or too few images', async ({ page }) => {
  await addImages(page, 'Class 1', trainingSet('stripes', 3));
  await expectCount(page, 'Class 1', 3);
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.getByRole('alert').filter({ hasText: /needs at least two classes with images.*Add images to "Class 2"/ })).toBeVisible();

  await addImages(page, 'Class 2', trainingSet('checks', 1));
  await expectCount(page, 'Class 2', 1);
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.getByRole('alert').filter({ hasText: /"Class 2" \(1\) has fewer.*validation split to 0%/ })).toBeVisible();
  // Nothing was lost and the app is still usable.
  await expectCount(page, 'Class 1', 3);
  await expect(page.getByRole('button', { name: 'Train', exact: true })).toBeEnabled();
});

test('adds, renames and deletes classes, and deletes single samples', async ({ page }) => {
  await page.getByRole('button', { name: 'Add class' }).click();
  await expect(classCard(page, 'Class 3')).toBeVisible();
  await classCard(page, 'Class 3').getByLabel('Class name').fill('Dogs');
  await classCard(page, 'Class 3').getByLabel('Class name').press('Enter');
  await addImages(page, 'Dogs', trainingSet('checks', 2));
  await expectCount(page, 'Dogs', 2);
  await classCard(page, 'Dogs').getByRole('button', { name: 'Delete checks-1.png' }).click();
  await expectCount(page, 'Dogs', 1);
  page.once('dialog', (dialog) => dialog.accept());
  await page.getByRole('button', { name: 'Delete class Dogs' }).click();
  await expect(classCard(page, 'Dogs')).toHaveCount(0);
});
