import { expect, test } from '@playwright/test';
import { addImages, expectCount, openApp, renameClass } from './app';
import { trainingSet } from './fixtures';
import { downloadZip, waitUntilSaved } from './projects';

test('a project whose opening took the tab down is not opened again by itself: the app starts, names it and offers its images', async ({ page }) => {
  await openApp(page, 'wasm');
  await page.getByLabel('Project name').fill('Holiday photos');
  await page.getByLabel('Project name').press('Enter');
  await renameClass(page, 'Class 1', 'Beach');
  await addImages(page, 'Beach', trainingSet('stripes', 3));
  await expectCount(page, 'Beach', 3);
  await waitUntilSaved(page);

  // What the app leaves behind when the tab dies while a project opens: the "opening" mark, never cleared.
  const projectId = await page.evaluate(() =>
    new Promise<string>((resolve, reject) => {
      const request = indexedDB.open('transfer-studio');
      request.onsuccess = () => {
        const get = request.result.transaction('meta').objectStore('meta').get('lastProjectId');
        get.onsuccess = () => resolve(get.result as string);
        get.onerror = () => reject(get.error);
      };
    }),
  );
  await page.evaluate((id) => localStorage.setItem('transfer-studio:opening', id), projectId);
  await page.reload();

  const notice = page.getByRole('alert', { name: 'Project not opened' });
  await expect(notice).toContainText('"Holiday photos" (3 images) was not opened');
  await expect(notice).toContainText('Its images are still saved');
  // The app itself works: a fresh project is open.
  await expect(page.getByLabel('Project name')).toHaveValue('My project');

  const { files } = await downloadZip(page, () => notice.getByRole('button', { name: 'Export its images' }).click());
  expect(Object.keys(files).filter((name) => name.startsWith('Beach/'))).toHaveLength(3);

  await notice.getByRole('button', { name: 'Try opening it again' }).click();
  await expect(notice).toHaveCount(0);
  await expect(page.getByLabel('Project name')).toHaveValue('Holiday photos');
  await expectCount(page, 'Beach', 3);
});
