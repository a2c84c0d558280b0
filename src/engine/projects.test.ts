// @vitest-environment node
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_TRAIN_SETTINGS } from '../ml/settings';
import * as db from '../storage/db';
import { addSamples, closeStudioDb, getProject, type ProjectDoc } from '../storage/db';
import type { DecodeFiles } from './importDecoding';
import { Projects } from './projects';

/** Just enough of OffscreenCanvas for thumbnails and model pixels: a blank image of the asked size. */
class FakeCanvas {
  constructor(
    readonly width: number,
    readonly height: number,
  ) {}
  getContext() {
    return { canvas: this, fillRect() {}, drawImage() {}, getImageData: (_x: number, _y: number, w: number, h: number) => ({ data: new Uint8ClampedArray(w * h * 4) }) };
  }
  async convertToBlob() {
    return new Blob([new Uint8Array([0xff, 0xd8, 0xff, 0xd9])], { type: 'image/jpeg' });
  }
}

const frame = (name: string) => ({ name, bitmap: { width: 64, height: 48, close() {} } as unknown as ImageBitmap });

beforeEach(() => {
  globalThis.indexedDB = new IDBFactory();
  vi.stubGlobal('OffscreenCanvas', FakeCanvas);
});
afterEach(async () => {
  vi.unstubAllGlobals();
  await closeStudioDb();
});

/** Project 'p' with one empty class 'a'. */
function oneClassProject(name: string): ProjectDoc {
  return {
    id: 'p',
    name,
    classes: [{ id: 'a', name: 'A', samples: [] }],
    backboneId: 'b',
    settings: DEFAULT_TRAIN_SETTINGS,
    revision: 1,
    training: null,
    createdAt: 1,
    updatedAt: 1,
  };
}

describe('Projects keeps its copy of the open document in step with the database', () => {
  it('loses no imported image when the page saves edits while import chunks are stored', async () => {
    const projects = new Projects(() => 224);
    await projects.create(oneClassProject('Race'));
    await projects.open('p');
    // Edits (a rename each) begun before, between and after the chunks' writes.
    const work: Promise<unknown>[] = [];
    for (let chunk = 0; chunk < 6; chunk++) {
      work.push(projects.edit('p', { name: `Race ${chunk}` }));
      work.push(projects.importFrames([frame(`${chunk}-1.jpg`), frame(`${chunk}-2.jpg`)], { classId: 'a', className: 'A' }));
      work.push(projects.edit('p', { name: `Race ${chunk}b` }));
    }
    await Promise.all(work);
    const stored = await getProject('p');
    expect(stored!.classes[0].samples).toHaveLength(12);
    expect(projects.sampleIds().sort()).toEqual(stored!.classes[0].samples.map((s) => s.id).sort());
    expect(stored!.name).toBe('Race 5b');
  });

  it('stores import chunks in the order they were sent, though a later one decodes first', async () => {
    // The first chunk's decode is the slow one; both are sent before either is answered.
    const thumbnail = new Uint8Array([0xff, 0xd8, 0xff, 0xd9]);
    const decode: DecodeFiles = async (files) => {
      await new Promise((resolve) => setTimeout(resolve, files[0].name.startsWith('slow') ? 50 : 0));
      return files.map(({ name }) => ({ ok: true as const, name, thumbnail, thumbUrl: '', width: 8, height: 8 }));
    };
    const projects = new Projects(() => null, decode);
    await projects.create(oneClassProject('Order'));
    await projects.open('p');
    const file = (name: string) => ({ name, file: new Blob([name]) });
    const target = { classId: 'a', className: 'A' };
    await Promise.all([
      projects.importFiles([file('slow-1.jpg'), file('slow-2.jpg')], target),
      projects.importFiles([file('quick-3.jpg')], target),
    ]);
    const stored = await getProject('p');
    expect(stored!.classes[0].samples.map((s) => s.name)).toEqual(['slow-1.jpg', 'slow-2.jpg', 'quick-3.jpg']);
  });

  it('stores the chunks decoded while an earlier one waited in one transaction, each in its class; a failed decode fails its chunk alone', async () => {
    const thumbnail = new Uint8Array([0xff, 0xd8, 0xff, 0xd9]);
    const decode: DecodeFiles = async (files) => {
      await new Promise((resolve) => setTimeout(resolve, files[0].name.startsWith('slow') ? 50 : 0));
      if (files[0].name.startsWith('broken')) throw new Error('the decoding worker stopped');
      return files.map(({ name }) => ({ ok: true as const, name, thumbnail, thumbUrl: '', width: 8, height: 8 }));
    };
    const projects = new Projects(() => null, decode);
    await projects.create({ ...oneClassProject('Groups'), classes: [{ id: 'a', name: 'A', samples: [] }, { id: 'b', name: 'B', samples: [] }] });
    await projects.open('p');
    const writes = vi.spyOn(db, 'addSampleGroups');
    const file = (name: string) => ({ name, file: new Blob([name]) });
    const sent = [
      projects.importFiles([file('slow-a1.jpg')], { classId: 'a', className: 'A' }),
      projects.importFiles([file('a2.jpg'), file('a3.jpg')], { classId: 'a', className: 'A' }),
      projects.importFiles([file('broken-b0.jpg')], { classId: 'b', className: 'B' }),
      projects.importFiles([file('b1.jpg')], { classId: 'b', className: 'B' }),
    ];
    const outcomes = await Promise.allSettled(sent);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(outcomes.flatMap((o) => (o.status === 'fulfilled' ? o.value.result.accepted.map((a) => a.name) : []))).toEqual(['slow-a1.jpg', 'a2.jpg', 'a3.jpg', 'b1.jpg']);
    // The three decoded chunks waited for the slow first one: one write for all of them.
    expect(writes).toHaveBeenCalledTimes(1);
    const stored = await getProject('p');
    expect(stored!.classes.map((c) => c.samples.map((s) => s.name))).toEqual([['slow-a1.jpg', 'a2.jpg', 'a3.jpg'], ['b1.jpg']]);
  });

  it('gives the page thumbnails stored inline at import and those stored as Blobs by earlier versions', async () => {
    const projects = new Projects(() => null);
    await projects.create(oneClassProject('Thumbs'));
    await projects.open('p');
    const target = { classId: 'a', className: 'A' };
    const { result } = await projects.importFrames([frame('new.jpg')], target);
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xd9]);
    await addSamples('p', target, [{ id: 'old', projectId: 'p', name: 'old.jpg', bytes: new Blob([jpeg]), thumbnail: new Blob([jpeg], { type: 'image/jpeg' }), width: 8, height: 8 }]);
    const [fresh, old] = await projects.thumbnails([result.accepted[0].id, 'old']);
    expect(fresh).toBe('data:image/jpeg;base64,/9j/2Q==');
    expect(old).toBe(fresh);
    expect(result.accepted[0].thumbUrl).toBe(fresh);
  });
});
