/** Page helpers for saved projects, project files and dataset export. */
import { expect, type Download, type Page } from '@playwright/test';
import { unzipSync } from 'fflate';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function waitUntilSaved(page: Page): Promise<void> {
  await expect(page.getByRole('status', { name: 'Save status' })).toHaveText('All changes saved');
}

export async function openProjectsPanel(page: Page) {
  const panel = page.getByRole('region', { name: 'Projects' });
  if (!(await panel.isVisible())) await page.getByRole('button', { name: 'Projects', exact: true }).click();
  await expect(panel).toBeVisible();
  return panel;
}

/**
 * Picks a project zip in the Import project input. The zip is written to a file
 * first: handing Playwright the bytes makes the renderer build the File on its
 * main thread (a 500 ms task for a few MB), which is the test's cost, not the app's.
 */
export async function importProjectZip(page: Page, name: string, bytes: Uint8Array): Promise<void> {
  const panel = await openProjectsPanel(page);
  const dir = mkdtempSync(join(tmpdir(), 'transfer-studio-'));
  const path = join(dir, name);
  writeFileSync(path, bytes);
  await panel.getByLabel('Import project').setInputFiles(path);
}

export async function downloadZip(page: Page, click: () => Promise<void>): Promise<{ download: Download; bytes: Uint8Array; files: Record<string, Uint8Array> }> {
  const downloadPromise = page.waitForEvent('download');
  await click();
  const download = await downloadPromise;
  const bytes = new Uint8Array(readFileSync(await download.path()));
  return { download, bytes, files: unzipSync(bytes) };
}

/** What IndexedDB holds, read straight from the database. */
export async function storedCounts(page: Page): Promise<{ projects: number; samples: number; heads: number }> {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((ok, fail) => {
      const request = indexedDB.open('transfer-studio');
      request.onsuccess = () => ok(request.result);
      request.onerror = () => fail(request.error);
    });
    const count = (store: string) =>
      new Promise<number>((ok, fail) => {
        const request = db.transaction(store).objectStore(store).count();
        request.onsuccess = () => ok(request.result);
        request.onerror = () => fail(request.error);
      });
    const result = { projects: await count('projects'), samples: await count('samples'), heads: await count('heads') };
    db.close();
    return result;
  });
}

export interface StoredModelSummary {
  projectId: string;
  labels: string[];
  headBytes: number;
  /** For fine-tuned models: where the backbone was cut, the fine-tuned layers and the stored tail's weight bytes. */
  fineTuned: { cutLayer: string; trainableLayers: string[]; bytes: number } | null;
}

/** The trained models IndexedDB holds (the `heads` store), read straight from the database. */
export async function storedModels(page: Page): Promise<StoredModelSummary[]> {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((ok, fail) => {
      const request = indexedDB.open('transfer-studio');
      request.onsuccess = () => ok(request.result);
      request.onerror = () => fail(request.error);
    });
    type Row = {
      projectId: string;
      labels: string[];
      weightData: ArrayBuffer;
      fineTuned?: { cutLayer: string; trainableLayers: string[]; weightData: ArrayBuffer };
    };
    const rows = await new Promise<Row[]>((ok, fail) => {
      const request = db.transaction('heads').objectStore('heads').getAll();
      request.onsuccess = () => ok(request.result);
      request.onerror = () => fail(request.error);
    });
    db.close();
    return rows.map((r) => ({
      projectId: r.projectId,
      labels: r.labels,
      headBytes: r.weightData.byteLength,
      fineTuned: r.fineTuned
        ? { cutLayer: r.fineTuned.cutLayer, trainableLayers: r.fineTuned.trainableLayers, bytes: r.fineTuned.weightData.byteLength }
        : null,
    }));
  });
}

/** Each thumbnail of a class as drawn pixels (data URL), in grid order. */
export async function thumbnailsOf(page: Page, className: string): Promise<string[]> {
  const grid = page.getByRole('region', { name: className, exact: true }).getByRole('list', { name: 'Images' });
  const images = grid.getByRole('img');
  await expect(images.first()).toBeVisible();
  return images.evaluateAll(async (nodes) =>
    Promise.all(
      (nodes as HTMLImageElement[]).map(async (img) => {
        await img.decode();
        const canvas = document.createElement('canvas');
        canvas.width = img.naturalWidth;
        canvas.height = img.naturalHeight;
        canvas.getContext('2d')!.drawImage(img, 0, 0);
        return `${img.alt}:${canvas.toDataURL('image/png')}`;
      }),
    ),
  );
}
