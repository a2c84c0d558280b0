// @vitest-environment node
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_TRAIN_SETTINGS } from '../ml/settings';
import {
  DB_NAME,
  addSamples,
  closeStudioDb,
  deleteProject,
  duplicateProject,
  editProject,
  getHead,
  getProject,
  listProjects,
  moveSamples,
  putEmbeddingBlock,
  putComparison,
  putProject,
  readEmbeddings,
  removeSamples,
  sampleBytes,
  sampleThumbnails,
  type ProjectDoc,
  type StoredSample,
} from './db';

function doc(id: string, classes: ProjectDoc['classes']): ProjectDoc {
  return { id, name: `Project ${id}`, classes, backboneId: 'b', settings: DEFAULT_TRAIN_SETTINGS, revision: 3, training: null, createdAt: 1, updatedAt: 2 };
}

function sample(id: string, projectId: string): StoredSample {
  return { id, projectId, name: `${id}.jpg`, bytes: new Blob([`bytes of ${id}`]), thumbnail: new Blob([`thumb of ${id}`]), width: 10, height: 20 };
}

async function text(stored: Blob | Uint8Array | undefined): Promise<string | undefined> {
  return stored && (stored instanceof Blob ? await stored.text() : new TextDecoder().decode(stored));
}

beforeEach(() => {
  globalThis.indexedDB = new IDBFactory();
});
afterEach(async () => {
  await closeStudioDb();
});

/** A database exactly as version 1 of the app wrote it (its schema and records), made without this module. */
async function createVersion1Database(): Promise<void> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => {
      const created = request.result;
      created.createObjectStore('projects', { keyPath: 'id' });
      created.createObjectStore('samples', { keyPath: 'id' }).createIndex('byProject', 'projectId');
      created.createObjectStore('embeddings', { keyPath: 'key' }).createIndex('byProject', 'projectId');
      created.createObjectStore('heads', { keyPath: 'projectId' });
      created.createObjectStore('meta');
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const tx = db.transaction(['projects', 'samples', 'embeddings', 'heads', 'meta'], 'readwrite');
  tx.objectStore('projects').put(doc('p', [{ id: 'c1', name: 'Cats', samples: [{ id: 's1', name: 's1.jpg' }, { id: 's2', name: 's2.jpg' }] }]));
  tx.objectStore('samples').put(sample('s1', 'p'));
  tx.objectStore('samples').put(sample('s2', 'p'));
  // Stored by the worker, never listed: the tab closed before the page saved the document.
  tx.objectStore('samples').put(sample('orphan', 'p'));
  tx.objectStore('embeddings').put({ key: 'b|s1', projectId: 'p', sampleId: 's1', backboneId: 'b', vector: new Float32Array([1, 2]) });
  tx.objectStore('heads').put({ projectId: 'p', backboneId: 'b', labels: ['Cats'], modelTopology: {}, weightSpecs: [], weightData: new ArrayBuffer(4), savedAt: 5 });
  tx.objectStore('meta').put('p', 'lastProjectId');
  await new Promise((resolve, reject) => {
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
  });
  db.close();
}

describe('the project database', () => {
  it('opens a version-1 database with every project, image, embedding and model as it was', async () => {
    await createVersion1Database();
    const [project] = await listProjects();
    expect(project).toEqual(doc('p', [{ id: 'c1', name: 'Cats', samples: [{ id: 's1', name: 's1.jpg' }, { id: 's2', name: 's2.jpg' }] }]));
    expect(await Promise.all((await sampleBytes(['s1', 's2'])).map(text))).toEqual(['bytes of s1', 'bytes of s2']);
    expect(await Promise.all((await sampleThumbnails(['s1'])).map(text))).toEqual(['thumb of s1']);
    expect(await getHead('p')).toMatchObject({ labels: ['Cats'], savedAt: 5 });
    const read: [string[], number[]][] = [];
    await readEmbeddings('p', 'b', (ids, vectors) => read.push([ids, [...vectors]]));
    expect(read).toEqual([[['s1'], [1, 2]]]);
    // The one thing the upgrade drops: the image no document lists.
    expect(await sampleBytes(['orphan'])).toEqual([undefined]);
  });

  it('stores imported images and lists them in their class in one step, creating a class the document lacks', async () => {
    await putProject(doc('p', [{ id: 'c1', name: 'Cats', samples: [] }]));
    await addSamples('p', { classId: 'c1', className: 'Cats' }, [sample('a', 'p')]);
    await addSamples('p', { classId: 'c2', className: 'Dogs' }, [sample('b', 'p'), sample('c', 'p')]);
    const stored = await getProject('p');
    expect(stored?.classes).toEqual([
      { id: 'c1', name: 'Cats', samples: [{ id: 'a', name: 'a.jpg' }] },
      { id: 'c2', name: 'Dogs', samples: [{ id: 'b', name: 'b.jpg' }, { id: 'c', name: 'c.jpg' }] },
    ]);
  });

  it('an import into a project that is gone stores nothing', async () => {
    await expect(addSamples('nope', { classId: 'c', className: 'C' }, [sample('x', 'nope')])).rejects.toThrow(/no longer stored/);
    expect(await sampleBytes(['x'])).toEqual([undefined]);
  });

  it('edits keep which images a class holds; a class left out is deleted with its images', async () => {
    await putProject(doc('p', []));
    await addSamples('p', { classId: 'c1', className: 'Cats' }, [sample('a', 'p')]);
    await addSamples('p', { classId: 'c2', className: 'Dogs' }, [sample('b', 'p')]);
    await editProject('p', { name: 'Renamed', classes: [{ id: 'c2', name: 'Hounds' }], settings: { ...DEFAULT_TRAIN_SETTINGS, epochs: 7 } });
    const stored = await getProject('p');
    expect(stored).toMatchObject({ name: 'Renamed', settings: { epochs: 7 }, classes: [{ id: 'c2', name: 'Hounds', samples: [{ id: 'b', name: 'b.jpg' }] }] });
    expect(await sampleBytes(['a', 'b']).then((blobs) => blobs.map((b) => b !== undefined))).toEqual([false, true]);
    // A rename alone leaves the classes as they are.
    await editProject('p', { name: 'Again' });
    expect((await getProject('p'))?.classes.map((c) => c.id)).toEqual(['c2']);
  });

  it("keeps a Compare backbones table with the document: the page's edits leave it, a duplicate copies it", async () => {
    await putProject(doc('p', []));
    const comparison = {
      labels: ['a', 'b'],
      images: 10,
      validationImages: 4,
      seed: 1,
      epochs: 5,
      backend: 'cpu',
      madeAt: '2026-01-01T00:00:00.000Z',
      rows: [{ backboneId: 'b', title: 'B', accuracy: 0.75, perClassAccuracy: [1, 0.5], embedMsPerImage: 2, parameters: 100, exportFormats: 'x' }],
      skipped: [],
    };
    await putComparison('p', comparison);
    await editProject('p', { name: 'Renamed', backboneId: 'other' });
    expect(await getProject('p')).toMatchObject({ name: 'Renamed', comparison });
    expect((await duplicateProject('p', 'Copy')).comparison).toEqual(comparison);
    await putComparison('gone', comparison);
    expect(await getProject('gone')).toBeUndefined();
  });

  it('removes and moves images in the document and the records together', async () => {
    await putProject(doc('p', [{ id: 'c2', name: 'Dogs', samples: [] }]));
    await addSamples('p', { classId: 'c1', className: 'Cats' }, [sample('a', 'p'), sample('b', 'p')]);
    await moveSamples('p', ['b'], 'c2');
    await removeSamples('p', ['a']);
    expect((await getProject('p'))?.classes).toEqual([
      { id: 'c2', name: 'Dogs', samples: [{ id: 'b', name: 'b.jpg' }] },
      { id: 'c1', name: 'Cats', samples: [] },
    ]);
    expect((await sampleBytes(['a', 'b'])).map((b) => b !== undefined)).toEqual([false, true]);
  });

  it('keeps embeddings packed per batch and reads them back per backbone', async () => {
    await putProject(doc('p', []));
    await putEmbeddingBlock({ projectId: 'p', backboneId: 'b', sampleIds: ['a', 'b'], vectors: new Float32Array([1, 2, 3, 4]) });
    await putEmbeddingBlock({ projectId: 'p', backboneId: 'other', sampleIds: ['a'], vectors: new Float32Array([9, 9]) });
    const read: [string[], number[]][] = [];
    await readEmbeddings('p', 'b', (ids, vectors) => read.push([ids, [...vectors]]));
    expect(read).toEqual([[['a', 'b'], [1, 2, 3, 4]]]);
  });

  it('duplicates a project with new sample ids and deletes one with everything stored for it', async () => {
    await putProject(doc('p', []));
    await addSamples('p', { classId: 'c1', className: 'Cats' }, [sample('a', 'p')]);
    await putEmbeddingBlock({ projectId: 'p', backboneId: 'b', sampleIds: ['a'], vectors: new Float32Array([5, 6]) });
    const copy = await duplicateProject('p', 'Copy');
    const copiedId = copy.classes[0].samples[0].id;
    expect(copiedId).not.toBe('a');
    expect(await text((await sampleBytes([copiedId]))[0])).toBe('bytes of a');
    const read: [string[], number[]][] = [];
    await readEmbeddings(copy.id, 'b', (ids, vectors) => read.push([ids, [...vectors]]));
    expect(read).toEqual([[[copiedId], [5, 6]]]);

    await deleteProject('p');
    expect(await getProject('p')).toBeUndefined();
    expect(await sampleBytes(['a'])).toEqual([undefined]);
    const left: string[][] = [];
    await readEmbeddings('p', 'b', (ids) => left.push(ids));
    expect(left).toEqual([]);
    expect((await listProjects()).map((p) => p.name)).toEqual(['Copy']);
  });
});
