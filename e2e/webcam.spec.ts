/**
 * Webcam capture and live preview, against Chromium's fake camera playing
 * synthetic y4m videos. The fake camera reads its file each time a camera is
 * opened, so one page records class A from scene A's feed, then (file
 * swapped) class B from scene B's feed, and previews each feed live.
 */
import { chromium, expect, test, type Browser, type Locator, type Page } from '@playwright/test';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_ARGS, CHROMIUM_IGNORED_DEFAULT_ARGS } from '../playwright.config';
import { addImages, classCard, expectCount, openApp, renameClass, train } from './app';
import { trainingSet, type FixtureFile, type Scene } from './fixtures';
import { writeSceneY4m } from './y4m';

const DEFAULT_RATE = 10;
/** WEBCAM_RATE=30 measures how well a higher requested rate is kept. */
const RATE = Number(process.env.WEBCAM_RATE ?? DEFAULT_RATE);
const HOLD_MS = 1000;
const BACKENDS = (process.env.WEBCAM_BACKENDS ?? 'wasm').split(',');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let browser: Browser | null = null;
test.afterEach(async () => {
  await browser?.close();
  browser = null;
});

async function launchWithCamera(cameraFile: string, { allowCamera }: { allowCamera: boolean }): Promise<Page> {
  browser = await chromium.launch({
    executablePath: existsSync(chromiumPath) ? chromiumPath : undefined,
    args: [
      ...CHROMIUM_ARGS,
      ...(allowCamera ? ['--use-fake-ui-for-media-stream'] : []),
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-video-capture=${cameraFile}`,
    ],
    ignoreDefaultArgs: CHROMIUM_IGNORED_DEFAULT_ARGS,
  });
  const context = await browser.newContext({ baseURL: test.info().project.use.baseURL });
  // Keeps every stream the app opens so the test can check that its tracks were stopped, and
  // times presses and releases as the page sees them (Playwright's own round trips vary under load).
  await context.addInitScript(() => {
    const presses: number[] = [];
    (window as unknown as { __presses: number[] }).__presses = presses;
    for (const type of ['pointerdown', 'pointerup', 'keydown', 'keyup']) {
      window.addEventListener(type, (e) => !(e as KeyboardEvent).repeat && presses.push(performance.now()), { capture: true });
    }
    const streams: MediaStream[] = [];
    (window as unknown as { __cameraStreams: MediaStream[] }).__cameraStreams = streams;
    const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
    navigator.mediaDevices.getUserMedia = async (constraints) => {
      const stream = await original(constraints);
      streams.push(stream);
      return stream;
    };
  });
  return context.newPage();
}

function cameraTracks(page: Page) {
  return page.evaluate(() =>
    (window as unknown as { __cameraStreams: MediaStream[] }).__cameraStreams.flatMap((s) => s.getTracks().map((t) => t.readyState)),
  );
}

async function shownCount(dialog: Locator): Promise<number> {
  return Number((await dialog.locator('.count').textContent())!.split(' ')[0]);
}

async function openCapture(page: Page, className: string): Promise<Locator> {
  await classCard(page, className).getByRole('button', { name: 'Webcam', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: `Webcam for ${className}` });
  await expect(dialog.getByRole('button', { name: 'Hold to record' })).toBeEnabled();
  await expect.poll(() => dialog.getByLabel('Camera picture').evaluate((v: HTMLVideoElement) => v.videoWidth)).toBeGreaterThan(0);
  return dialog;
}

/** Holds `Hold to record` (mouse or Space) for about HOLD_MS; returns frames stored and seconds held. */
async function holdToRecord(page: Page, dialog: Locator, via: 'mouse' | 'keyboard') {
  const hold = dialog.getByRole('button', { name: 'Hold to record' });
  const before = await shownCount(dialog);
  await page.evaluate(() => ((window as unknown as { __presses: number[] }).__presses.length = 0));
  if (via === 'mouse') {
    await hold.hover();
    await page.mouse.down();
    await page.waitForTimeout(HOLD_MS);
    await page.mouse.up();
  } else {
    await hold.focus();
    await page.keyboard.down('Space');
    await page.waitForTimeout(HOLD_MS);
    await page.keyboard.up('Space');
  }
  const presses = await page.evaluate(() => (window as unknown as { __presses: number[] }).__presses);
  expect(presses).toHaveLength(2);
  const seconds = (presses[1] - presses[0]) / 1000;
  const status = dialog.getByRole('status', { name: 'Recording' });
  await expect(status).toHaveText(/^Recorded \d+ frames/);
  const grabbed = Number((await status.textContent())!.match(/^Recorded (\d+) frames/)![1]);
  // Every grabbed frame ends up in the class.
  await expect.poll(() => shownCount(dialog)).toBe(before + grabbed);
  console.log(`[webcam] ${via} hold: ${grabbed} frames in ${seconds.toFixed(2)} s = ${(grabbed / seconds).toFixed(1)} frames/s (requested ${RATE}); app says: ${await status.textContent()}`);
  return { added: grabbed, seconds };
}

function expectRoughlyRate({ added, seconds }: { added: number; seconds: number }) {
  const expected = RATE * seconds;
  expect(added).toBeGreaterThanOrEqual(Math.floor(expected * 0.7));
  expect(added).toBeLessThanOrEqual(Math.ceil(expected * 1.3));
}

async function closeCaptureAndCheckCamera(page: Page, dialog: Locator) {
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toBeHidden();
  await expect.poll(() => cameraTracks(page)).not.toContain('live');
}

/** The class whose meter is highest, once predictions are flowing. */
async function leadingClass(page: Page): Promise<string | null> {
  const meters = await page.getByRole('meter').evaluateAll((nodes) =>
    nodes.map((n) => ({ label: n.getAttribute('aria-label')!, value: Number(n.getAttribute('aria-valuenow')) })),
  );
  const sorted = meters.sort((a, b) => b.value - a.value);
  return sorted.length > 1 && sorted[0].value > sorted[1].value ? sorted[0].label : null;
}

async function predictionsPerSecond(page: Page): Promise<number> {
  const rate = page.getByLabel('Predictions per second');
  await expect(rate).toHaveText(/^[\d.]+ predictions per second$/, { timeout: 120_000 });
  await page.waitForTimeout(3000); // let the window fill with steady-state predictions
  return Number((await rate.textContent())!.split(' ')[0]);
}

/** A webm of what the fake camera currently shows (MediaRecorder), for the `Test video` input. */
async function recordCameraVideo(page: Page, name: string): Promise<FixtureFile> {
  const base64 = await page.evaluate(async () => {
    const stream = await navigator.mediaDevices.getUserMedia({ video: true });
    const recorder = new MediaRecorder(stream, { mimeType: 'video/webm' });
    const chunks: Blob[] = [];
    recorder.ondataavailable = (e) => chunks.push(e.data);
    const stopped = new Promise((resolve) => (recorder.onstop = resolve));
    recorder.start();
    await new Promise((resolve) => setTimeout(resolve, 2500));
    recorder.stop();
    await stopped;
    stream.getTracks().forEach((t) => t.stop());
    const bytes = new Uint8Array(await new Blob(chunks).arrayBuffer());
    let binary = '';
    for (const b of bytes) binary += String.fromCharCode(b);
    return btoa(binary);
  });
  return { name, mimeType: 'video/webm', buffer: Buffer.from(base64, 'base64') };
}

for (const backend of BACKENDS) {
  test(`records classes from the webcam and previews the model live (${backend})`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'webcam-'));
    const cameraFile = join(dir, 'camera.y4m');
    const showScene = (scene: Scene) => writeSceneY4m(cameraFile, scene);
    showScene('stripes');
    const page = await launchWithCamera(cameraFile, { allowCamera: true });
    await openApp(page, backend);
    await renameClass(page, 'Class 1', 'Stripes');
    await renameClass(page, 'Class 2', 'Checks');
    const stripesVideo = await recordCameraVideo(page, 'stripes.webm');

    // Class A from scene A's feed: one single shot, then a held mouse button.
    let dialog = await openCapture(page, 'Stripes');
    await expect(dialog.getByLabel('Camera picture')).toHaveClass(/mirrored/);
    await dialog.getByLabel('Mirror').uncheck();
    await expect(dialog.getByLabel('Camera picture')).not.toHaveClass(/mirrored/);
    await expect(dialog.getByLabel('Frames per second')).toHaveValue(String(DEFAULT_RATE));
    await dialog.getByLabel('Frames per second').fill(String(RATE));
    await dialog.getByRole('button', { name: 'Capture frame' }).click();
    await expect.poll(() => shownCount(dialog)).toBe(1);
    expectRoughlyRate(await holdToRecord(page, dialog, 'mouse'));
    const stripesCount = await shownCount(dialog);
    await closeCaptureAndCheckCamera(page, dialog);
    await expectCount(page, 'Stripes', stripesCount);
    await expect(classCard(page, 'Stripes').getByRole('img')).toHaveCount(stripesCount);

    // Class B from scene B's feed, holding Space.
    showScene('checks');
    const checksVideo = await recordCameraVideo(page, 'checks.webm');
    dialog = await openCapture(page, 'Checks');
    await dialog.getByLabel('Frames per second').fill(String(RATE));
    expectRoughlyRate(await holdToRecord(page, dialog, 'keyboard'));
    const checksCount = await shownCount(dialog);

    // The camera is unplugged mid-recording: a clear message, and the frames stay.
    await dialog.getByRole('button', { name: 'Hold to record' }).focus();
    await page.keyboard.down('Space');
    await page.waitForTimeout(300);
    await page.evaluate(() => {
      const streams = (window as unknown as { __cameraStreams: MediaStream[] }).__cameraStreams;
      const track = streams[streams.length - 1].getVideoTracks()[0];
      track.stop();
      track.dispatchEvent(new Event('ended'));
    });
    await expect(dialog.getByRole('alert')).toContainText('The camera stopped');
    await page.keyboard.up('Space');
    await expect(dialog.getByRole('button', { name: 'Hold to record' })).toBeDisabled();
    await expect.poll(() => shownCount(dialog)).toBeGreaterThanOrEqual(checksCount);
    await dialog.getByRole('button', { name: 'Try again' }).click();
    await expect(dialog.getByRole('button', { name: 'Hold to record' })).toBeEnabled();
    const afterUnplug = await shownCount(dialog);
    await closeCaptureAndCheckCamera(page, dialog);
    await expectCount(page, 'Checks', afterUnplug);
    await expectCount(page, 'Stripes', stripesCount);

    await train(page);

    // Live preview on the webcam: scene B is on the camera now, then scene A.
    const livePreview = page.getByRole('button', { name: 'Live preview' });
    const rates: Record<string, number> = {};
    for (const [scene, label] of [['checks', 'Checks'], ['stripes', 'Stripes']] as const) {
      showScene(scene);
      await livePreview.click();
      await expect(livePreview).toHaveAttribute('aria-pressed', 'true');
      await expect(page.getByRole('meter')).toHaveCount(2);
      await expect.poll(() => leadingClass(page), { timeout: 120_000 }).toBe(label);
      // The headline names the leading class.
      await expect(page.getByRole('group', { name: 'Live predictions' }).locator('.verdict-label')).toHaveText(label);
      rates[scene] = await predictionsPerSecond(page);
      expect(await leadingClass(page)).toBe(label);
      await livePreview.click();
      await expect(page.getByRole('meter')).toHaveCount(0);
      await expect.poll(() => cameraTracks(page)).not.toContain('live');
    }
    console.log(`[webcam] live preview on ${backend}: ${JSON.stringify(rates)} predictions/s (webcam feed at 12 frames/s)`);

    // A test video file instead of the camera.
    for (const [video, label] of [[checksVideo, 'Checks'], [stripesVideo, 'Stripes']] as const) {
      await page.getByLabel('Test video').setInputFiles(video);
      await expect(page.getByLabel(video.name)).toBeVisible();
      await expect.poll(() => leadingClass(page), { timeout: 120_000 }).toBe(label);
    }
    expect(await cameraTracks(page)).not.toContain('live');
  });
}

test('a denied camera permission says so and keeps the images', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'webcam-'));
  const cameraFile = join(dir, 'camera.y4m');
  writeSceneY4m(cameraFile, 'stripes');
  const page = await launchWithCamera(cameraFile, { allowCamera: false });
  await openApp(page, 'wasm');
  await addImages(page, 'Class 1', trainingSet('stripes', 3));
  await expectCount(page, 'Class 1', 3);
  await classCard(page, 'Class 1').getByRole('button', { name: 'Webcam', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Webcam for Class 1' });
  await expect(dialog.getByRole('alert')).toContainText('Camera permission was denied');
  await expect(dialog.getByRole('alert')).toContainText('The images you collected are kept');
  await expect(dialog.getByRole('button', { name: 'Hold to record' })).toBeDisabled();
  await expect(dialog.locator('.count')).toHaveText('3 images');
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expectCount(page, 'Class 1', 3);
});
