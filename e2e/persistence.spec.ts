import { expect, test, type Page } from '@playwright/test';
import { strFromU8, strToU8, zipSync } from 'fflate';
import { addImages, dropFolders, expectCount, openApp, openSettings, predictImage, renameClass, train } from './app';
import { heldOut, scenePng, trainingSet } from './fixtures';
import { downloadZip, importProjectZip, openProjectsPanel, storedCounts, thumbnailsOf, waitUntilSaved } from './projects';

test('a project survives a reload: classes, counts, thumbnails, settings and the trained model', async ({ page }) => {
  await openApp(page, 'wasm');
  await renameClass(page, 'Class 1', 'Stripes');
  await renameClass(page, 'Class 2', 'Checks');
  await setEpochs(page, 12);
  await addImages(page, 'Stripes', trainingSet('stripes', 6));
  await addImages(page, 'Checks', trainingSet('checks', 6));
  await expectCount(page, 'Stripes', 6);
  await expectCount(page, 'Checks', 6);
  await train(page);
  const probe = heldOut('stripes', 1)[0];
  const before = await predictImage(page, probe);
  const thumbsBefore = [await thumbnailsOf(page, 'Stripes'), await thumbnailsOf(page, 'Checks')];
  await waitUntilSaved(page);

  await page.reload();
  await openApp(page, 'wasm');
  await expectCount(page, 'Stripes', 6);
  await expectCount(page, 'Checks', 6);
  await expect(page.getByRole('region', { name: /^Class \d$/ })).toHaveCount(0);
  await openSettings(page, { more: true });
  await expect(page.getByLabel('Epochs', { exact: true })).toHaveValue('12');
  expect([await thumbnailsOf(page, 'Stripes'), await thumbnailsOf(page, 'Checks')]).toEqual(thumbsBefore);
  await expect(page.getByText(/^Trained in /)).toBeVisible();
  const after = await predictImage(page, probe);
  expect(after.map((p) => p.label)).toEqual(before.map((p) => p.label));
  after.forEach((p, i) => expect(Math.abs(p.probability - before[i].probability)).toBeLessThan(1e-6));
  expect(await storedCounts(page)).toEqual({ projects: 1, samples: 12, heads: 1 });
});

test('images added while the saved project is still opening go into it, by the class input and by a folder drop', async ({ page }) => {
  await openApp(page, 'wasm');
  await renameClass(page, 'Class 2', 'Checks');
  await addImages(page, 'Class 1', trainingSet('stripes', 2));
  await expectCount(page, 'Class 1', 2);
  await waitUntilSaved(page);

  // No waiting for the app after the reload: a person can drop files while a large project opens.
  await page.reload();
  await dropFolders(page, { more: { Checks: trainingSet('checks', 2) } });
  await addImages(page, 'Class 1', trainingSet('stripes', 1, 3));
  await expectCount(page, 'Class 1', 3);
  await expectCount(page, 'Checks', 2);
  await waitUntilSaved(page);

  await page.reload();
  await openApp(page, 'wasm');
  await expectCount(page, 'Class 1', 3);
  await expectCount(page, 'Checks', 2);
  expect(await storedCounts(page)).toMatchObject({ projects: 1, samples: 5 });
});

test('Cancel import keeps the images added before it, in the order given, and they are still there after a reload', async ({ page }) => {
  await openApp(page, 'wasm');
  // Small PNGs: many of them, quick to make.
  const files = Array.from({ length: 400 }, (_, i) => ({ name: `stripes-${i + 1}.png`, mimeType: 'image/png', buffer: scenePng('stripes', i + 1, 64, 64) }));
  await addImages(page, 'Class 1', files);
  const card = page.getByRole('region', { name: 'Class 1', exact: true });
  // Cancel once the first chunks have landed.
  await expect(card.getByText(/^\d+ images$/)).toBeVisible({ timeout: 60_000 });
  await page.getByRole('button', { name: 'Cancel import' }).click();
  await expect(page.getByText('Import cancelled. The images added before that are kept.')).toBeVisible();
  await expect(page.getByRole('progressbar', { name: 'Importing images' })).toHaveCount(0);
  const kept = Number((await card.getByText(/^\d+ images$/).textContent())!.split(' ')[0]);
  expect(kept).toBeGreaterThan(0);
  expect(kept).toBeLessThan(files.length);
  await waitUntilSaved(page);
  expect((await storedCounts(page)).samples).toBe(kept);
  const names = () => card.locator('.sample-scroller img').evaluateAll((imgs) => imgs.slice(0, 6).map((img) => img.getAttribute('alt')));
  const shownBefore = await names();
  expect(shownBefore).toEqual(files.slice(0, 6).map((f) => f.name));

  await page.reload();
  await openApp(page, 'wasm');
  await expectCount(page, 'Class 1', kept);
  await expect.poll(names).toEqual(shownBefore);
});

test('projects: new, rename, duplicate, open, delete, and the last opened comes back on start', async ({ page }) => {
  await openApp(page, 'wasm');
  await addImages(page, 'Class 1', trainingSet('stripes', 2));
  await expectCount(page, 'Class 1', 2);
  await waitUntilSaved(page);

  let panel = await openProjectsPanel(page);
  await panel.getByRole('button', { name: 'Duplicate project My project' }).click();
  await expect(page.getByLabel('Project name')).toHaveValue('My project (copy)');
  await expectCount(page, 'Class 1', 2);
  page.once('dialog', (dialog) => dialog.accept('Copy renamed'));
  await panel.getByRole('button', { name: 'Rename project My project (copy)' }).click();
  await expect(page.getByLabel('Project name')).toHaveValue('Copy renamed');

  await panel.getByRole('button', { name: 'New project' }).click();
  await expect(page.getByLabel('Project name')).toHaveValue('Untitled project');
  await expectCount(page, 'Class 1', 0);
  await expect(panel.getByRole('listitem')).toHaveCount(3);

  await panel.getByRole('button', { name: 'Open project Copy renamed' }).click();
  await expect(page.getByLabel('Project name')).toHaveValue('Copy renamed');
  await waitUntilSaved(page);
  await page.reload();
  await openApp(page, 'wasm');
  await expect(page.getByLabel('Project name')).toHaveValue('Copy renamed');
  await expectCount(page, 'Class 1', 2);

  panel = await openProjectsPanel(page);
  page.once('dialog', (dialog) => dialog.dismiss());
  await panel.getByRole('button', { name: 'Delete project My project' }).click();
  await expect(panel.getByRole('listitem')).toHaveCount(3);
  page.once('dialog', (dialog) => dialog.accept());
  await panel.getByRole('button', { name: 'Delete project My project' }).click();
  await expect(panel.getByRole('listitem')).toHaveCount(2);
  // The duplicate has its own copies of the images: deleting the original keeps them.
  expect(await storedCounts(page)).toMatchObject({ projects: 2, samples: 2 });
  await expect(panel.getByText(/^Storage: .* used of .* available/)).toBeVisible();
});

test('project zip round trip keeps classes, settings and the exact bytes', async ({ page }) => {
  await openApp(page, 'wasm');
  await renameClass(page, 'Class 1', 'Stripes');
  await renameClass(page, 'Class 2', 'Checks');
  await setEpochs(page, 33);
  const stripes = trainingSet('stripes', 3);
  const checks = [...trainingSet('checks', 2), { ...trainingSet('checks', 1)[0], name: 'checks-1.png' }];
  await addImages(page, 'Stripes', stripes);
  await addImages(page, 'Checks', checks);
  await expectCount(page, 'Checks', 3);

  const exported = await downloadZip(page, async () => (await openProjectsPanel(page)).getByRole('button', { name: 'Export project' }).click());
  expect(exported.download.suggestedFilename()).toBe('my-project.transfer-studio.zip');
  const json = JSON.parse(strFromU8(exported.files['project.json']));
  expect(json).toMatchObject({ format: 'transfer-studio-project', version: 1, name: 'My project', backboneId: 'mobilenet_v2_035_224' });
  expect(json.settings.epochs).toBe(33);
  expect(json.classes.map((c: { name: string }) => c.name)).toEqual(['Stripes', 'Checks']);
  const originals = [stripes, checks];
  json.classes.forEach((c: { samples: { path: string; name: string }[] }, ci: number) => {
    expect(c.samples.map((s) => s.name)).toEqual(originals[ci].map((f) => f.name));
    // Same file name twice in a class gets a distinct path.
    expect(new Set(c.samples.map((s) => s.path)).size).toBe(c.samples.length);
    c.samples.forEach((s, si) => expect(Buffer.from(exported.files[s.path]).equals(originals[ci][si].buffer)).toBe(true));
  });

  await importProjectZip(page, 'moved.zip', exported.bytes);
  await expect(page.getByText(/^Imported "My project": 2 classes, 6 images\.$/)).toBeVisible();
  await expectCount(page, 'Stripes', 3);
  await expectCount(page, 'Checks', 3);
  await expect(page.getByLabel('Epochs', { exact: true })).toHaveValue('33');
  expect(await storedCounts(page)).toMatchObject({ projects: 2, samples: 12 });

  const again = await downloadZip(page, async () => (await openProjectsPanel(page)).getByRole('button', { name: 'Export project' }).click());
  expect(JSON.parse(strFromU8(again.files['project.json']))).toEqual(json);
  for (const [path, bytes] of Object.entries(exported.files)) expect(Buffer.from(again.files[path]).equals(Buffer.from(bytes))).toBe(true);
});

test('bad project files are refused with a message and nothing is imported', async ({ page }) => {
  await openApp(page, 'wasm');
  await addImages(page, 'Class 1', trainingSet('stripes', 1));
  await expectCount(page, 'Class 1', 1);
  await waitUntilSaved(page);
  const baseline = await storedCounts(page);

  const png = scenePng('checks', 1, 32, 32);
  const project = (extra: object = {}, path = 'images/A/a.png') =>
    strToU8(
      JSON.stringify({
        format: 'transfer-studio-project',
        version: 1,
        name: 'Evil',
        backboneId: 'mobilenet_v2_035_224',
        settings: {},
        classes: [{ name: 'A', samples: [{ path, name: 'a.png' }] }],
        ...extra,
      }),
    );
  const oversized = zipSync({ 'project.json': project(), 'images/A/a.png': [png, { level: 0 }] });
  patchDeclaredSize(oversized, 'images/A/a.png', 0xfffffff0);
  const cases: [string, Uint8Array, RegExp][] = [
    ['not-a-zip.zip', png, /not a zip archive/],
    ['malformed.zip', zipSync({ 'project.json': strToU8('{"format": '), 'images/A/a.png': png }), /not valid JSON/],
    ['future.zip', zipSync({ 'project.json': project({ version: 99 }), 'images/A/a.png': png }), /format version 99/],
    ['traversal.zip', zipSync({ 'project.json': project({}, '../a.png'), '../a.png': png }), /unsafe path/],
    ['absolute.zip', zipSync({ 'project.json': project({}, '/tmp/a.png'), '/tmp/a.png': png }), /unsafe path/],
    ['huge.zip', oversized, /unpacks to more than 2\.0 GB/],
    ['script.zip', zipSync({ 'project.json': project(), 'images/A/a.png': strToU8('<script>alert(1)</script>') }), /not an image/],
    // Passes the byte sniffing but cannot be decoded: refused during import, and the partial project is removed.
    ['corrupt.zip', zipSync({ 'project.json': project(), 'images/A/a.png': png.subarray(0, 60) }), /truncated|could not be decoded/],
  ];
  for (const [name, bytes, reason] of cases) {
    await importProjectZip(page, name, bytes);
    const alert = page.getByRole('alert').filter({ hasText: `"${name}" was not imported` });
    await expect(alert).toContainText(reason);
    await alert.getByRole('button', { name: 'Dismiss message' }).click();
    expect(await storedCounts(page), name).toEqual(baseline);
    await expect(page.getByLabel('Project name')).toHaveValue('My project');
    await expectCount(page, 'Class 1', 1);
  }
  await expect((await openProjectsPanel(page)).getByRole('listitem')).toHaveCount(1);
});

test('dataset export is an ImageFolder zip with the original bytes, flat or split', async ({ page }) => {
  await openApp(page, 'wasm');
  await renameClass(page, 'Class 1', 'Stripes');
  await renameClass(page, 'Class 2', 'Checks');
  const files = { Stripes: trainingSet('stripes', 5), Checks: trainingSet('checks', 5) };
  await addImages(page, 'Stripes', files.Stripes);
  await addImages(page, 'Checks', files.Checks);
  await expectCount(page, 'Checks', 5);

  const flat = await downloadZip(page, async () => (await openProjectsPanel(page)).getByRole('button', { name: 'Export dataset' }).click());
  expect(flat.download.suggestedFilename()).toBe('my-project-dataset.zip');
  const expected = Object.entries(files).flatMap(([cls, list]) => list.map((f) => [`${cls}/${f.name}`, f.buffer] as const));
  expect(Object.keys(flat.files).sort()).toEqual(expected.map(([path]) => path).sort());
  for (const [path, bytes] of expected) expect(Buffer.from(flat.files[path]).equals(bytes), path).toBe(true);

  await page.getByLabel('Split into train/ and validation/').check();
  const split = await downloadZip(page, async () => (await openProjectsPanel(page)).getByRole('button', { name: 'Export dataset' }).click());
  const paths = Object.keys(split.files);
  expect(paths).toHaveLength(10);
  for (const [path, bytes] of expected) {
    const found = paths.filter((p) => p === `train/${path}` || p === `validation/${path}`);
    expect(found, path).toHaveLength(1);
    expect(Buffer.from(split.files[found[0]]).equals(bytes)).toBe(true);
  }
  // The default 20% split holds out one of five per class.
  for (const cls of ['Stripes', 'Checks']) expect(paths.filter((p) => p.startsWith(`validation/${cls}/`))).toHaveLength(1);
});

/** Makes the zip's central directory claim `size` uncompressed bytes for one entry. */
function patchDeclaredSize(zip: Uint8Array, entry: string, size: number): void {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  for (let at = zip.length - 22; at >= 0; at--) {
    if (view.getUint32(at, true) !== 0x02014b50) continue;
    const name = strFromU8(zip.subarray(at + 46, at + 46 + view.getUint16(at + 28, true)));
    if (name === entry) view.setUint32(at + 24, size, true);
  }
}

async function setEpochs(page: Page, epochs: number): Promise<void> {
  await openSettings(page, { more: true });
  await page.getByLabel('Epochs', { exact: true }).fill(String(epochs));
}
