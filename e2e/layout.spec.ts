/** Phones (390 × 844) and small laptops (1024 × 768): no horizontal scrolling at any step, Train and the test image in reach. */
import { expect, test, type Page } from '@playwright/test';
import { addImages, expectCount, openApp, predictImage } from './app';
import { heldOut, trainingSet } from './fixtures';
import { openProjectsPanel } from './projects';

async function expectNoHorizontalScroll(page: Page, step: string): Promise<void> {
  const { scrollWidth, width } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, width: window.innerWidth }));
  expect(scrollWidth, `page width at step "${step}"`).toBeLessThanOrEqual(width);
}

/** Scrolled into view vertically, the control lies wholly inside the viewport's width. */
async function expectInReach(page: Page, name: string, locator: ReturnType<Page['locator']>): Promise<void> {
  await locator.scrollIntoViewIfNeeded();
  const box = (await locator.boundingBox())!;
  const width = page.viewportSize()!.width;
  expect(box.x, `${name} starts on screen`).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width, `${name} ends on screen`).toBeLessThanOrEqual(width);
  expect(await page.evaluate(() => window.scrollX)).toBe(0);
}

for (const viewport of [
  { width: 390, height: 844 },
  { width: 1024, height: 768 },
]) {
  test(`${viewport.width} × ${viewport.height}: every step fits the width`, async ({ page }) => {
    await page.setViewportSize(viewport);
    await openApp(page, 'wasm');
    await expectNoHorizontalScroll(page, 'empty');
    const train = page.getByRole('button', { name: 'Train', exact: true });
    const testImage = page.locator('label', { has: page.getByLabel('Test image') });
    await expectInReach(page, 'Train', train);
    await expectInReach(page, 'Choose test image', testImage);

    const projects = await openProjectsPanel(page);
    await expectNoHorizontalScroll(page, 'Projects open');
    const box = (await projects.boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(viewport.width);
    await projects.getByRole('button', { name: 'Close projects' }).click();

    await page.getByRole('button', { name: 'Add class' }).click();
    await expectNoHorizontalScroll(page, 'three classes');
    await addImages(page, 'Class 1', trainingSet('stripes', 5));
    await addImages(page, 'Class 2', trainingSet('checks', 5));
    await expectCount(page, 'Class 2', 5);
    await expectNoHorizontalScroll(page, 'photos added');
    await page.locator('summary', { hasText: /^Settings$/ }).click();
    await page.locator('summary', { hasText: /^More options$/ }).click();
    await expectNoHorizontalScroll(page, 'settings open');

    await page.getByRole('button', { name: 'Delete class Class 3' }).click();
    await expectInReach(page, 'Train', train);
    await train.click();
    await expect(page.getByRole('status', { name: 'Training status' })).toHaveText('Model ready', { timeout: 5 * 60_000 });
    await page.locator('summary', { hasText: /^Details$/ }).click();
    await expectNoHorizontalScroll(page, 'trained, details open');

    await expectInReach(page, 'Choose test image', testImage);
    await predictImage(page, heldOut('stripes', 1)[0]);
    await expectNoHorizontalScroll(page, 'preview');

    await page.getByRole('button', { name: 'Export model…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Export model' });
    const dialogBox = (await dialog.boundingBox())!;
    expect(dialogBox.x + dialogBox.width).toBeLessThanOrEqual(viewport.width);
    await expectNoHorizontalScroll(page, 'export dialog');
  });
}

test('on a phone the steps are a bar at the bottom, with Train and Try it always in reach', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await openApp(page, 'wasm');
  const steps = page.getByRole('navigation', { name: 'Steps' });
  await expect(steps).toBeVisible();
  const bar = (await steps.boundingBox())!;
  expect(bar.y + bar.height).toBeCloseTo(844, 0);
  await steps.getByRole('link', { name: 'Try it' }).click();
  await expect(page.getByRole('button', { name: 'Live preview' })).toBeInViewport();
  await steps.getByRole('link', { name: 'Train' }).click();
  await expect(page.getByRole('button', { name: 'Train', exact: true })).toBeInViewport();
});
