/**
 * Shared plumbing for benchmark scripts: build the app if needed, serve dist/
 * with `vite preview`, and open the engine harness page in headless Chromium.
 */
import { chromium, type Browser, type Page } from '@playwright/test';
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { preview, type PreviewServer } from 'vite';
import { CHROMIUM_ARGS, CHROMIUM_IGNORED_DEFAULT_ARGS } from '../../playwright.config';

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface Harness {
  browser: Browser;
  page: Page;
  baseUrl: string;
  chromiumVersion: string;
  close(): Promise<void>;
}

/** Builds dist/ unless it exists and `rebuild` is false. Build output goes to stderr so --json stays clean. */
export function ensureBuilt(rebuild: boolean): void {
  if (!rebuild && existsSync(join(projectRoot, 'dist', 'bench', 'harness.html'))) return;
  execSync('npx vite build', { cwd: projectRoot, stdio: ['ignore', process.stderr, process.stderr] });
}

export async function openHarness(options: { port?: number; rebuild?: boolean; extraArgs?: string[] } = {}): Promise<Harness> {
  ensureBuilt(options.rebuild ?? false);
  const server: PreviewServer = await preview({
    root: projectRoot,
    configFile: join(projectRoot, 'vite.config.ts'),
    logLevel: 'silent',
    preview: { port: options.port ?? 4180, strictPort: false, host: 'localhost' },
  });
  const address = server.httpServer.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const baseUrl = `http://localhost:${port}`;
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  const browser = await chromium.launch({
    executablePath: existsSync(executablePath) ? executablePath : undefined,
    args: [...CHROMIUM_ARGS, ...(options.extraArgs ?? [])],
    ignoreDefaultArgs: CHROMIUM_IGNORED_DEFAULT_ARGS,
  });
  const page = await browser.newPage();
  // tsx (esbuild keepNames) wraps named functions in __name(); functions sent to page.evaluate need it defined.
  await page.addInitScript('globalThis.__name = (fn) => fn');
  await page.goto(`${baseUrl}/bench/harness.html`);
  await page.waitForSelector('body[data-ready="true"]');
  return {
    browser,
    page,
    baseUrl,
    chromiumVersion: browser.version(),
    close: async () => {
      await browser.close();
      await new Promise<void>((done) => server.httpServer.close(() => done()));
    },
  };
}

/** Minimal `--flag value` / `--switch` parsing; unknown flags are an error so typos don't go unnoticed. */
export function parseArgs<T extends Record<string, string | boolean | undefined>>(
  argv: string[],
  known: { [K in keyof T]: 'string' | 'boolean' },
): Partial<T> {
  const out: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new Error(`Unexpected argument "${arg}"`);
    const [name, inline] = arg.slice(2).split('=', 2);
    const kind = known[name as keyof T];
    if (!kind) throw new Error(`Unknown flag --${name}. Known: ${Object.keys(known).map((k) => `--${k}`).join(', ')}`);
    if (kind === 'boolean') out[name] = true;
    else {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new Error(`--${name} needs a value`);
      out[name] = value;
    }
  }
  return out as Partial<T>;
}
