import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { VitePWA } from 'vite-plugin-pwa';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { tfjsTapeWithoutForIn } from './scripts/lib/tfjsTape.ts';

const packageVersion = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')).version as string;

// Cross-origin isolation lets the WASM backend use threads (SharedArrayBuffer).
// Every asset is served same-origin, so require-corp costs nothing here.
const crossOriginIsolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/**
 * Two fixes to the threaded WASM backend's Emscripten glue:
 * - It starts its pthread workers from `factory.toString()`. After minification
 *   that source refers to the mangled name of a closure variable (`_scriptDir`)
 *   which does not exist in those workers ("e is not defined"). Making it a
 *   global reference keeps its name through minification.
 * - It starts a pool of 8 pthread workers whatever the machine, while tfjs runs
 *   XNNPACK on logical cores / 2 threads, the calling one included. On two cores
 *   all 8 sat idle, each a thread with its own JavaScript heap and a copy of the
 *   glue to start, competing with the page as it opened. The pool is sized to the
 *   threads tfjs uses (one spare); more would still be started on demand.
 */
function tfjsWasmThreadsSurviveMinify(): Plugin {
  const poolOf8 = 'var pthreadPoolSize=8;';
  const poolFitted = 'var pthreadPoolSize=Math.min(8,Math.max(1,Math.floor((self.navigator&&self.navigator.hardwareConcurrency||2)/2)));';
  return {
    name: 'tfjs-wasm-threads-survive-minify',
    enforce: 'pre',
    transform(code, id) {
      if (!id.includes('tfjs-backend-wasm-threaded-simd.js')) return null;
      if (!code.includes('var _scriptDir =')) this.error('tfjs-backend-wasm changed: `var _scriptDir =` not found');
      if (!code.includes(poolOf8)) this.error(`tfjs-backend-wasm changed: \`${poolOf8}\` not found`);
      return { code: code.replace('var _scriptDir =', 'globalThis._scriptDir =').replace(poolOf8, poolFitted), map: null };
    },
  };
}

export default defineConfig({
  plugins: [react(), tfjsWasmThreadsSurviveMinify(), tfjsTapeWithoutForIn(), VitePWA(offlineApp())],
  define: { 'import.meta.env.PACKAGE_VERSION': JSON.stringify(packageVersion) },
  server: { headers: crossOriginIsolation },
  preview: { headers: crossOriginIsolation },
  worker: { format: 'es', plugins: () => [tfjsWasmThreadsSurviveMinify(), tfjsTapeWithoutForIn()] },
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 4000,
    rollupOptions: {
      input: {
        app: resolve(import.meta.dirname, 'index.html'),
        harness: resolve(import.meta.dirname, 'bench/harness.html'),
      },
    },
  },
  test: {
    include: ['src/**/*.test.ts', 'scripts/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
  },
} as import('vite').UserConfig);

/**
 * Offline: the service worker precaches the app shell (including the engine
 * worker and the .wasm files) and the default backbone; other backbones are
 * cached the first time they load. Cached responses keep the headers they were
 * fetched with, so COOP/COEP (cross-origin isolation) survive offline reloads.
 */
function offlineApp(): Partial<import('vite-plugin-pwa').VitePWAOptions> {
  return {
    registerType: 'autoUpdate',
    injectRegister: 'script-defer',
    manifest: {
      name: 'Transfer Studio',
      short_name: 'Transfer Studio',
      description: 'Teach an image classifier in your browser. Your photos never leave your device.',
      theme_color: '#ffffff',
      icons: [{ src: 'favicon.svg', sizes: 'any', type: 'image/svg+xml' }],
    },
    workbox: {
      // The V1 0.25 package model labels images for backbones without an ImageNet top (What the backbone sees).
      globPatterns: ['**/*.{js,css,html,wasm,webmanifest}', 'models/mobilenet_v2_035_224/*', 'models/mobilenet_v1_025_224_package/*'],
      globIgnores: ['**/harness*', 'bench/**'],
      maximumFileSizeToCacheInBytes: 64 * 1024 * 1024,
      // Take control of the page that registered the worker, so even the first visit's tab works offline.
      clientsClaim: true,
      skipWaiting: true,
      navigateFallback: 'index.html',
      navigateFallbackDenylist: [/^\/bench\//, /^\/__/],
      runtimeCaching: [
        {
          urlPattern: ({ url }) => url.pathname.includes('/models/'),
          handler: 'CacheFirst',
          options: { cacheName: 'backbones', cacheableResponse: { statuses: [200] } },
        },
      ],
    },
  };
}
