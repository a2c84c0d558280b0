import { expect, test, type Page } from '@playwright/test';
import { addImages, expectCount, openApp, predictImage, renameClass, train } from './app';
import { encodePng, rng, type FixtureFile } from './fixtures';

const SIDE = 224;
const SQUARE = 40;
const QUADRANT = SIDE / 2;

/**
 * A noisy scene in cool colours with a few blue, green or white distractor
 * blocks anywhere; `square` adds a red square at that spot. Only the red square
 * tells the classes apart, and in training it is always in the top-left quadrant.
 */
function regionScene(seed: number, square: { x: number; y: number } | null, width = SIDE, height = SIDE): Uint8Array {
  const random = rng(seed * 104729 + 17);
  const between = (lo: number, hi: number) => lo + random() * (hi - lo);
  const data = new Uint8Array(width * height * 4);
  const base = [between(20, 110), between(60, 190), between(90, 230)];
  const slope = [between(-0.4, 0.4), between(-0.4, 0.4)];
  const paint = (x0: number, y0: number, w: number, h: number, colour: number[]) => {
    for (let y = Math.max(0, y0); y < Math.min(height, y0 + h); y++) {
      for (let x = Math.max(0, x0); x < Math.min(width, x0 + w); x++) {
        for (let c = 0; c < 3; c++) data[(y * width + x) * 4 + c] = clamp(colour[c] + (random() - 0.5) * 40);
      }
    }
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      const shade = slope[0] * (x - width / 2) + slope[1] * (y - height / 2);
      for (let c = 0; c < 3; c++) data[o + c] = clamp(base[c] + shade + (random() - 0.5) * 70);
      data[o + 3] = 255;
    }
  }
  const distractors = [[40, 90, 220], [40, 190, 90], [235, 235, 235], [20, 40, 120]];
  for (let i = 0; i < 3; i++) {
    const w = Math.round(between(20, 60));
    const h = Math.round(between(20, 60));
    paint(Math.round(between(0, width - w)), Math.round(between(0, height - h)), w, h, distractors[Math.floor(random() * distractors.length)]);
  }
  if (square) paint(square.x, square.y, SQUARE, SQUARE, [225, 35, 35]);
  return data;
}

const clamp = (v: number) => Math.max(0, Math.min(255, Math.round(v)));

function png(name: string, rgba: Uint8Array, width = SIDE, height = SIDE): FixtureFile {
  return { name, mimeType: 'image/png', buffer: encodePng(rgba, width, height) };
}

function trainingImages(marked: boolean, count: number): FixtureFile[] {
  return Array.from({ length: count }, (_, i) => {
    const seed = (marked ? 100 : 200) + i;
    const random = rng(seed);
    // Anywhere inside the top-left quadrant, a few pixels from its edges.
    const square = marked ? { x: 4 + Math.floor(random() * (QUADRANT - SQUARE - 8)), y: 4 + Math.floor(random() * (QUADRANT - SQUARE - 8)) } : null;
    return png(`${marked ? 'marked' : 'plain'}-${seed}.png`, regionScene(seed, square));
  });
}

interface ShownHeatmap {
  label: string;
  rows: number;
  cols: number;
  hottest: [number, number];
  heat: number[];
  milliseconds: number;
}

async function shownHeatmap(page: Page, label: string): Promise<ShownHeatmap> {
  const overlay = page.getByRole('img', { name: `Heatmap: why "${label}"` });
  await expect(overlay).toBeVisible({ timeout: 180_000 });
  return overlay.evaluate((canvas) => {
    const data = (canvas as HTMLElement).dataset;
    return {
      label: data.label!,
      rows: Number(data.rows),
      cols: Number(data.cols),
      hottest: data.hottestCell!.split(',').map(Number) as [number, number],
      heat: data.heat!.split(',').map(Number),
      milliseconds: Number(data.milliseconds),
    };
  });
}

/** Share of the heat in each quadrant of the grid: top left, top right, bottom left, bottom right (a cell belongs where most of it is). */
function quadrantShares({ heat, rows, cols }: ShownHeatmap): number[] {
  const sums = [0, 0, 0, 0];
  heat.forEach((h, i) => (sums[(Math.floor(i / cols) < rows / 2 ? 0 : 2) + (i % cols < cols / 2 ? 0 : 1)] += h));
  const all = sums.reduce((a, b) => a + b, 0);
  return sums.map((s) => (all > 0 ? s / all : 0));
}

test('"Why this class?" shows an occlusion heatmap whose hottest part is the region that decides the class', async ({ page }) => {
  await openApp(page, 'wasm');
  await renameClass(page, 'Class 1', 'Marked');
  await renameClass(page, 'Class 2', 'Plain');
  await addImages(page, 'Marked', trainingImages(true, 12));
  await addImages(page, 'Plain', trainingImages(false, 12));
  await expectCount(page, 'Marked', 12);
  await expectCount(page, 'Plain', 12);
  await train(page);

  // Wider than tall: the model sees the centre 224 px square, where the red square sits at (20, 20).
  const crop = (300 - SIDE) / 2;
  const test1 = png('test-marked.png', regionScene(901, { x: crop + 20, y: 20 }, 300, SIDE), 300, SIDE);
  const [top] = await predictImage(page, test1);
  expect(top.label).toBe('Marked');

  const why = page.getByRole('group', { name: 'Why this class' });
  await expect(why.getByRole('combobox', { name: 'Class to explain' })).toHaveValue('Marked');
  await why.getByRole('button', { name: 'Why this class?' }).click();
  await expect(why.getByRole('progressbar', { name: 'Explaining' })).toBeVisible();
  const marked = await shownHeatmap(page, 'Marked');
  console.log(`explain (wasm, ${marked.rows}×${marked.cols} grid): ${marked.milliseconds} ms`);
  test.info().annotations.push({ type: 'explain-ms', description: String(marked.milliseconds) });
  await expect(why.getByRole('progressbar', { name: 'Explaining' })).toHaveCount(0);

  const [row, col] = marked.hottest;
  expect(row, `hottest cell ${row},${col} of ${marked.rows}×${marked.cols}`).toBeLessThan(marked.rows / 2);
  expect(col, `hottest cell ${row},${col} of ${marked.rows}×${marked.cols}`).toBeLessThan(marked.cols / 2);
  expect(quadrantShares(marked)[0], `heat ${marked.heat.join(' ')}`).toBeGreaterThan(0.6);
  await expect(why.getByText('Most important region: top left')).toBeVisible();
  await expect(why.getByText(/^Red marks the parts of the photo that made the model say "Marked" most: hiding them lowers its confidence from \d+% by up to \d+ points\.$/)).toBeVisible();
  await why.getByText('How this is measured').click();
  await expect(why.getByText(/^Occlusion: the model's 224 px centre square is covered by a grey patch/)).toBeVisible();

  // The overlay covers exactly the centre square of the shown image.
  const imageBox = (await page.getByRole('img', { name: 'test-marked.png' }).boundingBox())!;
  const overlayBox = (await page.getByRole('img', { name: 'Heatmap: why "Marked"' }).boundingBox())!;
  expect(overlayBox.height).toBeCloseTo(imageBox.height, 0);
  expect(overlayBox.width).toBeCloseTo(imageBox.height, 0);
  expect(overlayBox.x - imageBox.x).toBeCloseTo((imageBox.width - imageBox.height) / 2, 0);
  expect(overlayBox.y).toBeCloseTo(imageBox.y, 0);

  // The toggle hides and shows it without computing again.
  const toggle = why.getByRole('checkbox', { name: 'Show heatmap' });
  await toggle.uncheck();
  await expect(page.getByRole('img', { name: /^Heatmap: / })).toHaveCount(0);
  await toggle.check();
  await expect(page.getByRole('img', { name: 'Heatmap: why "Marked"' })).toBeVisible();

  // Another class: covering the red square raises "Plain", so that is not where "Plain" comes from.
  await why.getByRole('combobox', { name: 'Class to explain' }).selectOption('Plain');
  const plain = await shownHeatmap(page, 'Plain');
  expect(plain.heat).toHaveLength(marked.heat.length);
  expect(plain.heat[marked.hottest[0] * marked.cols + marked.hottest[1]]).toBeLessThan(0.5);

  // A finer grid (picked while the coarse one for "Marked" is still running, which it stops).
  await why.getByRole('combobox', { name: 'Class to explain' }).selectOption('Marked');
  await why.getByRole('combobox', { name: 'Heatmap detail' }).selectOption({ label: 'Fine (14×14, ~4× slower)' });
  await expect(why.getByRole('progressbar', { name: 'Explaining' })).toHaveAttribute('aria-valuemax', '196', { timeout: 60_000 });
  const fine = await shownHeatmap(page, 'Marked');
  console.log(`explain (wasm, ${fine.rows}×${fine.cols} grid): ${fine.milliseconds} ms`);
  test.info().annotations.push({ type: 'explain-fine-ms', description: String(fine.milliseconds) });
  expect([fine.rows, fine.cols]).toEqual([14, 14]);
  expect(fine.hottest[0]).toBeLessThan(7);
  expect(fine.hottest[1]).toBeLessThan(7);
  // Smaller patches cover less of the square at a time, so this map is noisier; the top left still leads.
  const [topLeft, ...others] = quadrantShares(fine);
  expect(topLeft, `heat ${fine.heat.join(' ')}`).toBeGreaterThan(Math.max(...others));

  // A new test image clears the heatmap.
  const test2 = png('test-plain.png', regionScene(902, null));
  await predictImage(page, test2);
  await expect(page.getByRole('img', { name: /^Heatmap: / })).toHaveCount(0);
  await expect(why.getByText(/^Most important region/)).toHaveCount(0);
  await expect(why.getByRole('combobox', { name: 'Class to explain' })).toHaveValue('Plain');

  // So does a new model.
  await why.getByRole('button', { name: 'Why this class?' }).click();
  await shownHeatmap(page, 'Plain');
  await train(page);
  await expect(page.getByRole('img', { name: /^Heatmap: / })).toHaveCount(0);
  await expect(page.getByRole('img', { name: 'test-plain.png' })).toBeVisible();
});
