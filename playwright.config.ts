import { defineConfig } from '@playwright/test';
import { existsSync, statfsSync } from 'node:fs';

const port = Number(process.env.PORT ?? 4173);
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--enable-unsafe-webgpu',
];

/**
 * Playwright's defaults that these runs drop. It starts Chromium with
 * --disable-dev-shm-usage (for containers whose /dev/shm is tiny), which moves
 * Chromium's shared memory into files under /tmp: every large message between
 * its processes then creates, truncates and deletes a file on disk. Users'
 * browsers use /dev/shm, and so do these runs when it has room. On this
 * machine an import took 20 ms of CPU an image with the flag, 18 without.
 */
export const CHROMIUM_IGNORED_DEFAULT_ARGS = sharedMemoryHasRoom() ? ['--disable-dev-shm-usage'] : [];

function sharedMemoryHasRoom(): boolean {
  try {
    const { bavail, bsize } = statfsSync('/dev/shm');
    return bavail * bsize >= 2 ** 30;
  } catch {
    return false;
  }
}

export default defineConfig({
  testDir: './e2e',
  globalSetup: './e2e/global-setup.ts',
  // SwiftShader runs WebGL/WebGPU on the CPU: slow but correct. Keep data small, time generous.
  timeout: 6 * 60_000,
  expect: { timeout: 30_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: process.env.CI ? [['list']] : [['list']],
  use: {
    baseURL: `http://localhost:${port}`,
    headless: true,
    acceptDownloads: true,
    launchOptions: {
      executablePath: existsSync(chromium) ? chromium : undefined,
      args: CHROMIUM_ARGS,
      ignoreDefaultArgs: CHROMIUM_IGNORED_DEFAULT_ARGS,
    },
  },
  webServer: {
    // The built app, as users get it (npm run build && npm run preview).
    command: `npx vite build && npx vite preview --port ${port} --strictPort`,
    url: `http://localhost:${port}`,
    reuseExistingServer: !process.env.CI,
    timeout: 180_000,
  },
});
