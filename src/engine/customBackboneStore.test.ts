import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { openDB } from 'idb';
import { DB_NAME, openStudioDb } from '../storage/db';
import { restoreCustomBackbone, saveCustomBackbone, storedCustomBackbone } from './customBackboneStore';

describe('custom backbones in storage', () => {
  // Runs first: the database module opens (and upgrades) the database once per test file.
  it('opens a database of the first schema unchanged, with the custom backbone store added', async () => {
    const old = await openDB(DB_NAME, 1, {
      upgrade(db) {
        db.createObjectStore('projects', { keyPath: 'id' });
        db.createObjectStore('samples', { keyPath: 'id' }).createIndex('byProject', 'projectId');
        db.createObjectStore('embeddings', { keyPath: 'key' }).createIndex('byProject', 'projectId');
        db.createObjectStore('heads', { keyPath: 'projectId' });
        db.createObjectStore('meta');
      },
    });
    await old.put('projects', { id: 'p1', name: 'Saved before', classes: [] });
    await old.put('meta', 'p1', 'lastProjectId');
    old.close();

    const db = await openStudioDb();
    expect([...db.objectStoreNames].sort()).toEqual(['customBackbones', 'embeddingBlocks', 'embeddings', 'heads', 'meta', 'projects', 'samples']);
    expect(await db.get('projects', 'p1')).toEqual({ id: 'p1', name: 'Saved before', classes: [] });
    expect(await db.get('meta', 'lastProjectId')).toBe('p1');
  });

  it('keeps dropped files and URLs by model id', async () => {
    const weights = new Blob([new Uint8Array([1, 2, 3])]);
    await saveCustomBackbone('m1', 'dropped model', { files: [{ name: 'model.json', file: new Blob(['{}']) }, { name: 'weights.bin', file: weights }] });
    await saveCustomBackbone('m2', 'resnet', { url: 'https://example.org/resnet/model.json' });
    const files = await storedCustomBackbone('m1');
    expect(files?.title).toBe('dropped model');
    expect('files' in files!.source && files!.source.files.map((f) => f.name)).toEqual(['model.json', 'weights.bin']);
    expect('files' in files!.source && new Uint8Array(await files!.source.files[1].file.arrayBuffer())).toEqual(new Uint8Array([1, 2, 3]));
    expect((await storedCustomBackbone('m2'))?.source).toEqual({ url: 'https://example.org/resnet/model.json' });
  });

  it('says why a saved project\'s custom backbone cannot be loaded, and that its images are kept', async () => {
    await expect(restoreCustomBackbone('custom:gone:features:unit')).rejects.toThrow(/layer "features"\) is not stored in this browser\. The images of this project are kept/);
    await saveCustomBackbone('broken', 'my model', { files: [{ name: 'model.json', file: new Blob(['{not json']) }] });
    await expect(restoreCustomBackbone('custom:broken:features:unit')).rejects.toThrow(
      /custom backbone "my model" cannot be loaded any more: model.json is not valid JSON\. The images of this project are kept/,
    );
    await expect(restoreCustomBackbone('mobilenet_v2_035_224')).rejects.toThrow(/not a custom backbone/);
  });
});
