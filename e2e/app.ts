/** Page helpers that drive Transfer Studio the way a person does: by accessible names. */
import { expect, type Page } from '@playwright/test';
import type { FixtureFile } from './fixtures';

export async function openApp(page: Page, backend?: string): Promise<void> {
  await page.goto(backend ? `/?backend=${backend}` : '/');
  await showAdvanced(page);
  await expect(page.getByText(/^Backend: /)).toBeVisible({ timeout: 60_000 });
  if (backend) await expect(page.getByText(`Backend: ${backend}`)).toBeVisible();
}

/** Opens the Advanced panel (backbone, compute engine) when it is closed; the app remembers it open. */
export async function showAdvanced(page: Page): Promise<void> {
  const summary = page.getByText('Advanced: backbone and compute engine', { exact: true });
  if (!(await summary.evaluate((s) => (s.parentElement as HTMLDetailsElement).open))) await summary.click();
}

/** Opens Settings, and its "More options" when asked. */
export async function openSettings(page: Page, { more = false } = {}): Promise<void> {
  const settings = page.locator('summary', { hasText: /^Settings$/ });
  if (!(await settings.evaluate((s) => (s.parentElement as HTMLDetailsElement).open))) await settings.click();
  const moreOptions = page.locator('summary', { hasText: /^More options$/ });
  if (more && !(await moreOptions.evaluate((s) => (s.parentElement as HTMLDetailsElement).open))) await moreOptions.click();
}

/** Opens the results' Details (curves, confusion matrix, per-class figures). */
export async function showDetails(page: Page): Promise<void> {
  const summary = page.locator('summary', { hasText: /^Details$/ });
  if (!(await summary.evaluate((s) => (s.parentElement as HTMLDetailsElement).open))) await summary.click();
}

/** `Export model…`, then `Download model` in its dialog, then closes the dialog (the download goes on). */
export async function clickDownloadModel(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Export model…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Export model' });
  await dialog.getByRole('button', { name: 'Download model' }).click();
  await dialog.getByRole('button', { name: 'Close' }).click();
}

export function classCard(page: Page, name: string) {
  return page.getByRole('region', { name, exact: true });
}

export async function renameClass(page: Page, from: string, to: string): Promise<void> {
  const input = classCard(page, from).getByLabel('Class name');
  await input.fill(to);
  await input.press('Enter');
  await expect(classCard(page, to)).toBeVisible();
}

export async function addImages(page: Page, className: string, files: FixtureFile[]): Promise<void> {
  await classCard(page, className).getByLabel(`Add images to ${className}`).setInputFiles(files);
}

export async function expectCount(page: Page, className: string, count: number): Promise<void> {
  await expect(classCard(page, className).getByText(new RegExp(`^${count} images?$`))).toBeVisible();
}

/**
 * Simulates dropping folders on the page. Real folder drops reach the app as
 * FileSystemEntry trees through DataTransferItem.webkitGetAsEntry(); the test
 * builds such trees (same interface, readEntries in batches) from generated files.
 */
export async function dropFolders(page: Page, tree: Record<string, Record<string, FixtureFile[]>>): Promise<void> {
  const serialised = Object.fromEntries(
    Object.entries(tree).map(([root, classes]) => [
      root,
      Object.fromEntries(
        Object.entries(classes).map(([cls, files]) => [
          cls,
          files.map((f) => ({ name: f.name, type: f.mimeType, base64: f.buffer.toString('base64') })),
        ]),
      ),
    ]),
  );
  await page.evaluate((tree) => {
    type Entry = {
      name: string;
      fullPath: string;
      isFile: boolean;
      isDirectory: boolean;
      file?: (ok: (f: File) => void) => void;
      createReader?: () => { readEntries: (ok: (e: Entry[]) => void) => void };
    };
    const fileEntry = (path: string, f: { name: string; type: string; base64: string }): Entry => {
      const bytes = Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0));
      const file = new File([bytes], f.name, { type: f.type });
      return { name: f.name, fullPath: `${path}/${f.name}`, isFile: true, isDirectory: false, file: (ok) => ok(file) };
    };
    const dirEntry = (name: string, path: string, children: Entry[]): Entry => ({
      name,
      fullPath: path,
      isFile: false,
      isDirectory: true,
      createReader: () => {
        let offset = 0;
        // Browsers hand out directory entries in batches; mimic that with batches of 5.
        return { readEntries: (ok) => setTimeout(() => ok(children.slice(offset, (offset += 5)))) };
      },
    });
    const roots = Object.entries(tree).map(([root, classes]) =>
      dirEntry(
        root,
        `/${root}`,
        Object.entries(classes).map(([cls, files]) => dirEntry(cls, `/${root}/${cls}`, files.map((f) => fileEntry(`/${root}/${cls}`, f)))),
      ),
    );
    const dataTransfer = {
      types: ['Files'],
      files: [],
      items: roots.map((entry) => ({ kind: 'file', type: '', webkitGetAsEntry: () => entry, getAsFile: () => null })),
    };
    const target = document.querySelector('.app-footer')!;
    for (const type of ['dragenter', 'dragover', 'drop']) {
      const event = new DragEvent(type, { bubbles: true, cancelable: true });
      Object.defineProperty(event, 'dataTransfer', { value: dataTransfer });
      target.dispatchEvent(event);
    }
  }, serialised);
}

/**
 * Presses Train and waits for the result. `showsProgress` first waits until the page says the
 * engine has prepared (embedded, in the background after import) every image, then checks
 * that Train goes straight to the epochs.
 */
export async function train(page: Page, { showsProgress = false } = {}): Promise<void> {
  if (showsProgress) await expect(page.getByText(/^All [\d,]+ images are prepared for training\.$/)).toBeVisible({ timeout: 5 * 60_000 });
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  if (showsProgress) await expect(page.getByRole('progressbar', { name: 'Training' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Cancel training' })).toBeVisible();
  await expect(page.getByText(/^Trained in /)).toBeVisible({ timeout: 5 * 60_000 });
}

export interface ShownPrediction {
  label: string;
  probability: number;
  text: string;
}

/** Picks a test image and returns the predictions the page shows, most likely first. */
export async function predictImage(page: Page, file: FixtureFile): Promise<ShownPrediction[]> {
  const status = page.getByRole('status', { name: 'Predictions' });
  await page.getByLabel('Test image').setInputFiles(file);
  await expect(page.getByRole('img', { name: file.name })).toBeVisible();
  await expect(status.locator(`[data-source="${file.name}"]`)).toHaveCount(1, { timeout: 120_000 });
  return status.locator('.prediction').evaluateAll((rows) =>
    rows.map((row) => ({
      label: (row as HTMLElement).dataset.label!,
      probability: Number((row as HTMLElement).dataset.probability),
      text: row.textContent ?? '',
    })),
  );
}
