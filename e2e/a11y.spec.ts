/** Keyboard and screen readers: a short Tab path to Train, a visible focus ring everywhere, no serious axe violations. */
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { addImages, classCard, expectCount, openApp, predictImage } from './app';
import { encodePng, heldOut, scenePixels, trainingSet, type FixtureFile } from './fixtures';
import { waitUntilSaved } from './projects';

test.use({ viewport: { width: 1400, height: 900 } });

function smallImages(scene: 'stripes' | 'checks', count: number): FixtureFile[] {
  return Array.from({ length: count }, (_, i) => ({ name: `${scene}-${i + 1}.png`, mimeType: 'image/png', buffer: encodePng(scenePixels(scene, i + 1, 32, 32), 32, 32) }));
}

/** The focused control's ring: its own outline, or that of the visible button a hidden file input sits in. */
async function focusRing(page: Page): Promise<{ name: string; width: number; style: string }> {
  return page.evaluate(() => {
    let element = document.activeElement as HTMLElement;
    const name = element.getAttribute('aria-label') ?? element.textContent?.trim() ?? element.tagName;
    if (element.classList.contains('visually-hidden')) element = element.closest('.button') as HTMLElement;
    const style = getComputedStyle(element);
    return { name, width: parseFloat(style.outlineWidth), style: style.outlineStyle };
  });
}

async function expectNoSeriousViolations(page: Page, state: string): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  expect(serious, `axe on the ${state} state`).toEqual([]);
}

test('Train within 15 Tab presses with 200 images, every stop with a visible ring; grids move with arrows and Delete', async ({ page }) => {
  await openApp(page, 'wasm');
  await addImages(page, 'Class 1', smallImages('stripes', 100));
  await addImages(page, 'Class 2', smallImages('checks', 100));
  await expectCount(page, 'Class 1', 100);
  await expectCount(page, 'Class 2', 100);

  // From the top of a freshly loaded page (the project comes back from storage).
  await waitUntilSaved(page);
  await page.reload();
  await expectCount(page, 'Class 1', 100);
  await expectCount(page, 'Class 2', 100);
  const stops: string[] = [];
  for (let presses = 1; presses <= 15; presses++) {
    await page.keyboard.press('Tab');
    const ring = await focusRing(page);
    stops.push(ring.name);
    expect(ring.style, `focus ring style on "${ring.name}"`).not.toBe('none');
    expect(ring.width, `focus ring width on "${ring.name}"`).toBeGreaterThanOrEqual(2);
    if (await page.getByRole('button', { name: 'Train', exact: true }).evaluate((b) => b === document.activeElement)) break;
  }
  expect(stops.at(-1), `Tab stops: ${stops.join(' → ')}`).toBe('Train');
  console.log(`${stops.length} Tab presses to Train: ${stops.join(' → ')}`);

  // The skip link goes straight there too.
  await page.reload();
  await expectCount(page, 'Class 2', 100);
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to Train' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('button', { name: 'Train', exact: true })).toBeFocused();

  // One stop per grid: arrows move between images, Delete removes one, Undo brings it back.
  const grid = classCard(page, 'Class 1').getByRole('list', { name: 'Images' });
  await grid.getByRole('button', { name: 'Delete stripes-1.png' }).focus();
  await page.keyboard.press('ArrowRight');
  await expect(grid.getByRole('button', { name: 'Delete stripes-2.png' })).toBeFocused();
  await page.keyboard.press('ArrowDown');
  const below = await page.evaluate(() => document.activeElement?.getAttribute('aria-label'));
  expect(below).toMatch(/^Delete stripes-\d+\.png$/);
  expect(below).not.toBe('Delete stripes-2.png');
  expect((await focusRing(page)).width).toBeGreaterThanOrEqual(2);
  await page.keyboard.press('End');
  await expect(grid.getByRole('button', { name: 'Delete stripes-100.png' })).toBeFocused();
  await page.keyboard.press('Delete');
  await expectCount(page, 'Class 1', 99);
  await expect(grid.getByRole('button', { name: 'Delete stripes-99.png' })).toBeFocused();
  await page.getByRole('status', { name: 'Undo' }).getByRole('button', { name: 'Undo' }).click();
  await expectCount(page, 'Class 1', 100);

  // The class card's actions are one stop too: the arrow keys move from Upload images to Webcam.
  await classCard(page, 'Class 2').getByLabel('Add images to Class 2').focus();
  expect((await focusRing(page)).width).toBeGreaterThanOrEqual(2);
  await page.keyboard.press('ArrowRight');
  await expect(classCard(page, 'Class 2').getByRole('button', { name: 'Webcam', exact: true })).toBeFocused();
});

test('no serious or critical axe violations: empty, trained and preview states', async ({ page }) => {
  await openApp(page, 'wasm');
  await expectNoSeriousViolations(page, 'empty');
  await addImages(page, 'Class 1', trainingSet('stripes', 4));
  await addImages(page, 'Class 2', trainingSet('checks', 4));
  await expectCount(page, 'Class 2', 4);
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.getByRole('status', { name: 'Training status' })).toHaveText('Model ready', { timeout: 5 * 60_000 });
  await page.locator('summary', { hasText: /^Details$/ }).click();
  await page.locator('summary', { hasText: /^Settings$/ }).click();
  await page.locator('summary', { hasText: /^More options$/ }).click();
  await expectNoSeriousViolations(page, 'trained');
  await predictImage(page, heldOut('stripes', 1)[0]);
  await expectNoSeriousViolations(page, 'preview');
  await page.getByRole('button', { name: 'Export model…' }).click();
  await expectNoSeriousViolations(page, 'export dialog');
});
