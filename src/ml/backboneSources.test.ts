import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKBONES, getBackbone, IMAGENET_LABELLER_ID, type BackboneSpec } from './backbones';
import { fetchModelJson, resolveBackboneSources } from './backboneSources';

/** A loopback "app origin" that serves one model.json, and answers other paths with an HTML page like a dev server. */
let server: Server;
let origin: string;
const MODEL_JSON = JSON.stringify({ format: 'graph-model', modelTopology: {}, weightsManifest: [{ paths: ['group1-shard1of1'], weights: [] }] });

beforeAll(async () => {
  server = createServer((request, response) => {
    if (request.url === `/app/models/${IMAGENET_LABELLER_ID}/model.json` || request.url === '/hub/remote-model/model.json?tfjs-format=file') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(MODEL_JSON);
    } else {
      response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>index</title>');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('backbone catalog', () => {
  it('lists the MobileNet family the package knows, titled by family, version and width', () => {
    const titles = BACKBONES.map((b) => b.title);
    for (const t of ['MobileNet V1 0.25', 'MobileNet V1 0.50', 'MobileNet V1 0.75', 'MobileNet V1 1.00', 'MobileNet V2 0.50', 'MobileNet V2 0.75', 'MobileNet V2 1.00']) {
      expect(titles.some((title) => title.startsWith(`${t} · 224 px`) && title.includes('@tensorflow-models/mobilenet'))).toBe(true);
    }
    expect(getBackbone('mobilenet_v1_075_224')).toMatchObject({ title: 'MobileNet V1 0.75 · 224 px', format: 'layers', featureNode: 'conv_pw_13_relu', embeddingSize: 768 });
    expect(getBackbone('mobilenet_v2_100_224_package')).toMatchObject({ mobilenetPackage: { version: 2, alpha: 1 }, embeddingSize: 1280 });
    expect(new Set(BACKBONES.map((b) => b.id)).size).toBe(BACKBONES.length);
  });

  it('resolves the same-origin copy first, then the public URL, and reports a model that has neither by name', async () => {
    const local = getBackbone(IMAGENET_LABELLER_ID);
    const remote: BackboneSpec = { ...getBackbone('mobilenet_v1_050_224_package'), id: 'remote-only', publicUrl: `${origin}/hub/remote-model/model.json` };
    // A closed port: the public URL cannot be reached at all.
    const missing: BackboneSpec = { ...getBackbone('mobilenet_v2_100_224_package'), publicUrl: 'http://127.0.0.1:9/hub/v2/model.json' };
    const [a, b, c] = await resolveBackboneSources([local, remote, missing], origin, '/app/', fetchModelJson(5000));

    expect(a).toEqual({ id: local.id, title: local.title, available: true, where: 'local', url: `${origin}/app/models/${IMAGENET_LABELLER_ID}/model.json` });
    expect(b).toEqual({ id: 'remote-only', title: remote.title, available: true, where: 'remote', url: `${origin}/hub/remote-model/model.json?tfjs-format=file` });
    expect(c.available).toBe(false);
    if (c.available) return;
    expect(c.reason).toContain('MobileNet V2 1.00 · 224 px');
    expect(c.reason).toContain('is unavailable');
    // The local answer was the dev server's HTML page, not a model.
    expect(c.reason).toContain(`${origin}/app/models/mobilenet_v2_100_224_package/model.json: the answer is not a model.json`);
    expect(c.reason).toContain('http://127.0.0.1:9/hub/v2/model.json?tfjs-format=file');
  });
});
