import { expect, test } from '@playwright/test';
import { addImages, clickDownloadModel, expectCount, openApp, predictImage, renameClass, train } from './app';
import { heldOut, trainingSet } from './fixtures';
import { downloadZip, openProjectsPanel, waitUntilSaved } from './projects';

test('after one visit the app starts, trains, predicts and exports with the network off', async ({ page, context }) => {
  await openApp(page, 'wasm');
  // The service worker has precached the shell, the worker, the .wasm files and the default backbone.
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  await waitUntilSaved(page);

  await context.setOffline(true);
  // A browser without a network says navigator.onLine === false; DevTools' offline emulation
  // (Playwright 1.65 with Chromium 150) leaves it true, so the page is told here as it would be.
  await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'onLine', { configurable: true, get: () => false }));
  const reachedNetwork: string[] = [];
  // Belt and braces: anything that still reaches the network fails, and is reported.
  await context.route('**/*', (route) => {
    reachedNetwork.push(route.request().url());
    return route.abort('internetdisconnected');
  });
  await page.reload();
  await openApp(page, 'wasm');
  const isolated = await page.evaluate(() => crossOriginIsolated);
  console.log(`offline reload: crossOriginIsolated=${isolated}`);
  expect(isolated).toBe(true);

  await renameClass(page, 'Class 1', 'Stripes');
  await renameClass(page, 'Class 2', 'Checks');
  await addImages(page, 'Stripes', trainingSet('stripes', 6));
  await addImages(page, 'Checks', trainingSet('checks', 6));
  await expectCount(page, 'Checks', 6);
  await train(page);
  const [top] = await predictImage(page, heldOut('checks', 1)[0]);
  expect(top.label).toBe('Checks');

  const model = await downloadZip(page, () => clickDownloadModel(page));
  expect(Object.keys(model.files).sort()).toEqual(['metadata.json', 'model.json', 'weights.bin']);
  const project = await downloadZip(page, async () => (await openProjectsPanel(page)).getByRole('button', { name: 'Export project' }).click());
  expect(Object.keys(project.files)).toHaveLength(13);
  expect(reachedNetwork, 'requests that bypassed the service worker cache').toEqual([]);
});
