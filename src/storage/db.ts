/**
 * The browser's durable copy of every project, in IndexedDB (via idb). Only the
 * engine worker opens it: it is the one writer of project documents, samples,
 * thumbnails, embeddings and trained models, so no two writers ever need
 * reconciling. Documents and the samples they list change together, in one
 * transaction. No tfjs here (types only).
 *
 * Nothing here reads a whole project's samples at once: a 20,000-image project's
 * records (two Blobs each) in one getAll is enough to take the tab down. Reads
 * are by key, by key cursor, or by cursor over bounded records.
 */
import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb';
import type { BackboneComparison, CustomChoice, TrainOutcome, TrainSettings } from '../engine/api';
import type { TailData } from '../ml/fineTune';
import type { ModelData } from '../ml/modelData';

export const DB_NAME = 'transfer-studio';
export const DB_VERSION = 3;

export type TrainedOutcome = Extract<TrainOutcome, { status: 'trained' }>;

export interface SampleRef {
  id: string;
  name: string;
}

export interface ClassDoc {
  id: string;
  name: string;
  samples: SampleRef[];
}

/** The last training's report, kept with the model it describes. */
export interface SavedTraining {
  result: TrainedOutcome;
  revision: number;
  backboneId: string;
}

/** A project: its classes (with the samples each holds), settings and last training report; bytes live in `samples`. */
export interface ProjectDoc {
  id: string;
  name: string;
  classes: ClassDoc[];
  backboneId: string;
  settings: TrainSettings;
  revision: number;
  /** The last training's report, shown again after a reload; the model itself (head and any fine-tuned tail) is in `heads`. */
  training: SavedTraining | null;
  /** The last Compare backbones table, written by the engine when a comparison finishes (absent in projects saved before it existed). */
  comparison?: BackboneComparison | null;
  createdAt: number;
  updatedAt: number;
  /** The feature-layer choice when backboneId is a custom backbone's; its model is in `customBackbones`. */
  customBackbone?: (CustomChoice & { specId: string; specTitle: string }) | null;
}

/**
 * Where a custom backbone's model comes from, by the engine's model id (the id in
 * `custom:<modelId>:…` backbone ids): its URL, or the dropped files themselves, so
 * the project's backbone can be loaded again after a reload.
 */
export interface StoredCustomBackbone {
  id: string;
  title: string;
  source: { url: string } | { files: { name: string; file: Blob }[] };
  savedAt: number;
}

/** What the page may change of a project document: everything but which samples a class holds, the training report and the comparison table. */
export interface ProjectEdits {
  name: string;
  /** Classes in order; one missing here that the document has is deleted, with its images. */
  classes: { id: string; name: string }[];
  backboneId: string;
  settings: TrainSettings;
  revision: number;
  customBackbone?: ProjectDoc['customBackbone'];
}

export interface StoredSample {
  id: string;
  projectId: string;
  name: string;
  /** The file exactly as the user gave it. */
  bytes: Blob;
  /**
   * The 96 px JPEG thumbnail. Stored inline as bytes: Chromium writes every
   * Blob in IndexedDB to a file of its own, and a second file per image cost
   * the browser more than the whole record. Projects saved before keep Blobs.
   */
  thumbnail: Blob | Uint8Array;
  width: number;
  height: number;
}

/** One sample's embedding, as version 1 stored them (still read; new ones are stored in blocks). */
export interface StoredEmbedding {
  /** `${backboneId}|${sampleId}` */
  key: string;
  projectId: string;
  sampleId: string;
  backboneId: string;
  vector: Float32Array;
}

/** The embeddings of one embedded batch, packed: row i of `vectors` belongs to `sampleIds[i]`. */
export interface EmbeddingBlock {
  id?: number;
  projectId: string;
  backboneId: string;
  sampleIds: string[];
  vectors: Float32Array;
}

/**
 * A project's trained model as plain data: the head's tf.io model artifacts, its
 * labels and, for fine-tuned models, the fine-tuned backbone tail. It is ONE
 * record written with one put, so head and tail are replaced together or not at
 * all. Records without `fineTuned` are head-only models on the frozen backbone.
 */
export interface StoredHead extends ModelData {
  projectId: string;
  backboneId: string;
  labels: string[];
  /**
   * The backbone's fine-tuned last layers: the tail model (not the whole backbone),
   * the cut layer it starts after and the fine-tuned layers' names. The frozen
   * prefix is rebuilt from the backbone `backboneId` when the model is loaded.
   */
  fineTuned?: TailData;
  savedAt: number;
}

interface StudioSchema extends DBSchema {
  projects: { key: string; value: ProjectDoc };
  samples: { key: string; value: StoredSample; indexes: { byProject: string } };
  embeddings: { key: string; value: StoredEmbedding; indexes: { byProject: string } };
  embeddingBlocks: { key: number; value: EmbeddingBlock; indexes: { byProjectBackbone: [string, string]; byProject: string } };
  heads: { key: string; value: StoredHead };
  meta: { key: string; value: string };
  customBackbones: { key: string; value: StoredCustomBackbone };
}

export type StudioDb = IDBPDatabase<StudioSchema>;
type UpgradeTransaction = IDBPTransaction<StudioSchema, StoreNames<StudioSchema>[], 'versionchange'>;

let database: Promise<StudioDb> | null = null;

/**
 * Each step brings a database of an older version up by one and keeps its
 * content: a project saved by any earlier version opens unchanged.
 */
async function upgrade(db: StudioDb, oldVersion: number, transaction: UpgradeTransaction): Promise<void> {
  if (oldVersion < 1) {
    db.createObjectStore('projects', { keyPath: 'id' });
    db.createObjectStore('samples', { keyPath: 'id' }).createIndex('byProject', 'projectId');
    db.createObjectStore('embeddings', { keyPath: 'key' }).createIndex('byProject', 'projectId');
    db.createObjectStore('heads', { keyPath: 'projectId' });
    db.createObjectStore('meta');
  }
  if (oldVersion < 2) {
    db.createObjectStore('customBackbones', { keyPath: 'id' });
  }
  if (oldVersion < 3) {
    const blocks = db.createObjectStore('embeddingBlocks', { keyPath: 'id', autoIncrement: true });
    blocks.createIndex('byProjectBackbone', ['projectId', 'backboneId']);
    blocks.createIndex('byProject', 'projectId');
    if (oldVersion >= 1) await dropVersion1Orphans(transaction);
  }
}

/**
 * Version 1 had two writers: a tab closed between the worker storing an import's
 * images and the page saving the document left images no document lists. From
 * version 3 on, images and the document change in one transaction, so this runs
 * once, on upgrade; it reads keys only.
 */
async function dropVersion1Orphans(transaction: UpgradeTransaction): Promise<void> {
  const referenced = new Set<string>();
  const projects = new Set<string>();
  for (const doc of await transaction.objectStore('projects').getAll()) {
    projects.add(doc.id);
    for (const c of doc.classes) for (const s of c.samples) referenced.add(s.id);
  }
  let cursor = await transaction.objectStore('samples').openCursor();
  while (cursor) {
    if (!referenced.has(cursor.primaryKey)) await cursor.delete();
    cursor = await cursor.continue();
  }
  let heads = await transaction.objectStore('heads').openKeyCursor();
  while (heads) {
    if (!projects.has(heads.primaryKey)) await transaction.objectStore('heads').delete(heads.primaryKey);
    heads = await heads.continue();
  }
}

export function openStudioDb(): Promise<StudioDb> {
  database ??= openDB<StudioSchema>(DB_NAME, DB_VERSION, {
    upgrade: (db, oldVersion, _newVersion, transaction) => void upgrade(db, oldVersion, transaction),
    blocking: () => {
      // Another tab wants a newer schema: let it, and open again on next use.
      void database?.then((db) => db.close());
      database = null;
    },
  });
  return database;
}

/** For tests: forget the open connection (the next call opens the database again). */
export async function closeStudioDb(): Promise<void> {
  const open = database;
  database = null;
  (await open)?.close();
}

export { isQuotaError, QUOTA_MESSAGE } from './quota';

export async function listProjects(): Promise<ProjectDoc[]> {
  const all = await (await openStudioDb()).getAll('projects');
  return all.sort((a, b) => b.updatedAt - a.updatedAt);
}

export async function getProject(id: string): Promise<ProjectDoc | undefined> {
  return (await openStudioDb()).get('projects', id);
}

export async function putProject(doc: ProjectDoc): Promise<void> {
  await (await openStudioDb()).put('projects', doc);
}

export async function getMeta(key: string): Promise<string | undefined> {
  return (await openStudioDb()).get('meta', key);
}

export async function setMeta(key: string, value: string): Promise<void> {
  await (await openStudioDb()).put('meta', value, key);
}

/**
 * Applies the page's edits to the stored document. Which samples a class holds
 * stays as stored (only imports and removals change it); a class the edits no
 * longer list is deleted with its images, in the same transaction.
 */
export async function editProject(id: string, edits: Partial<ProjectEdits>): Promise<ProjectDoc | undefined> {
  const db = await openStudioDb();
  const tx = db.transaction(['projects', 'samples'], 'readwrite');
  const stored = await tx.objectStore('projects').get(id);
  if (!stored) {
    await tx.done;
    return undefined;
  }
  const kept = new Map(stored.classes.map((c) => [c.id, c]));
  const classes = edits.classes?.map((c) => ({ id: c.id, name: c.name, samples: kept.get(c.id)?.samples ?? [] })) ?? stored.classes;
  const listed = new Set(classes.map((c) => c.id));
  const work: Promise<unknown>[] = [];
  for (const gone of stored.classes.filter((c) => !listed.has(c.id))) for (const s of gone.samples) work.push(tx.objectStore('samples').delete(s.id));
  const doc: ProjectDoc = { ...stored, ...edits, classes, updatedAt: Date.now() };
  work.push(tx.objectStore('projects').put(doc));
  await Promise.all([...work, tx.done]);
  return doc;
}

/**
 * Stores new samples and lists them in their class, all in one transaction:
 * either every one is stored and listed or none is. A class the document does
 * not have yet (created on the page since its last save) is added. Returns the
 * document as stored.
 */
export function addSamples(projectId: string, target: { classId: string; className: string }, samples: StoredSample[]): Promise<ProjectDoc> {
  return addSampleGroups(projectId, [{ target, samples }]);
}

/**
 * addSamples for several groups (import chunks, maybe of different classes) in
 * one transaction, in the order given: the document, which lists every sample,
 * is read and written once for all of them.
 */
export async function addSampleGroups(
  projectId: string,
  groups: { target: { classId: string; className: string }; samples: StoredSample[] }[],
): Promise<ProjectDoc> {
  const db = await openStudioDb();
  const tx = db.transaction(['projects', 'samples'], 'readwrite');
  const doc = await tx.objectStore('projects').get(projectId);
  if (!doc) throw new Error('The project is no longer stored; reload the page.');
  const work: Promise<unknown>[] = [];
  for (const { target, samples } of groups) {
    let owner = doc.classes.find((c) => c.id === target.classId);
    if (!owner) {
      owner = { id: target.classId, name: target.className, samples: [] };
      doc.classes.push(owner);
    }
    owner.samples.push(...samples.map((s) => ({ id: s.id, name: s.name })));
    work.push(...samples.map((s) => tx.objectStore('samples').put(s)));
  }
  doc.updatedAt = Date.now();
  await Promise.all([...work, tx.objectStore('projects').put(doc), tx.done]);
  return doc;
}

/** Removes samples from their project: records, document entries and their stored embeddings, together. */
export async function removeSamples(projectId: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  const db = await openStudioDb();
  const tx = db.transaction(['projects', 'samples', 'embeddings'], 'readwrite');
  const gone = new Set(ids);
  const doc = await tx.objectStore('projects').get(projectId);
  const work: Promise<unknown>[] = ids.map((id) => tx.objectStore('samples').delete(id));
  if (doc) {
    doc.classes = doc.classes.map((c) => ({ ...c, samples: c.samples.filter((s) => !gone.has(s.id)) }));
    doc.updatedAt = Date.now();
    work.push(tx.objectStore('projects').put(doc));
  }
  // Version-1 embeddings, one row per sample. Packed blocks keep their rows: a removed id is never asked for again.
  let cursor = await tx.objectStore('embeddings').index('byProject').openCursor(projectId);
  while (cursor) {
    if (gone.has(cursor.value.sampleId)) work.push(cursor.delete());
    cursor = await cursor.continue();
  }
  await Promise.all([...work, tx.done]);
}

/** Moves samples to another class of the document (the images stay as they are). */
export async function moveSamples(projectId: string, ids: string[], toClassId: string): Promise<void> {
  const db = await openStudioDb();
  const tx = db.transaction('projects', 'readwrite');
  const doc = await tx.store.get(projectId);
  const target = doc?.classes.find((c) => c.id === toClassId);
  if (!doc || !target) {
    await tx.done;
    return;
  }
  const moving = new Set(ids);
  const moved = doc.classes.flatMap((c) => c.samples.filter((s) => moving.has(s.id)));
  doc.classes = doc.classes.map((c) => ({ ...c, samples: c.samples.filter((s) => !moving.has(s.id)) }));
  doc.classes.find((c) => c.id === toClassId)!.samples.push(...moved);
  doc.updatedAt = Date.now();
  await Promise.all([tx.store.put(doc), tx.done]);
}

export async function getSample(id: string): Promise<StoredSample | undefined> {
  return (await openStudioDb()).get('samples', id);
}

/** The original bytes of these samples (Blobs backed by the database, read only when used); undefined for unknown ids. */
export async function sampleBytes(ids: string[]): Promise<(Blob | undefined)[]> {
  const tx = (await openStudioDb()).transaction('samples');
  const records = await Promise.all(ids.map((id) => tx.store.get(id)));
  await tx.done;
  return records.map((r) => r?.bytes);
}

/** Thumbnails of these samples; undefined for unknown ids. */
export async function sampleThumbnails(ids: string[]): Promise<(Blob | Uint8Array | undefined)[]> {
  const tx = (await openStudioDb()).transaction('samples');
  const records = await Promise.all(ids.map((id) => tx.store.get(id)));
  await tx.done;
  return records.map((r) => r?.thumbnail);
}

/** Calls `visit` with each stored embedding of a project for a backbone, version-1 rows first, then packed blocks. */
export async function readEmbeddings(
  projectId: string,
  backboneId: string,
  visit: (sampleIds: string[], vectors: Float32Array) => void,
): Promise<void> {
  const db = await openStudioDb();
  let row = await db.transaction('embeddings').store.index('byProject').openCursor(projectId);
  while (row) {
    if (row.value.backboneId === backboneId) visit([row.value.sampleId], row.value.vector);
    row = await row.continue();
  }
  let block = await db.transaction('embeddingBlocks').store.index('byProjectBackbone').openCursor([projectId, backboneId]);
  while (block) {
    visit(block.value.sampleIds, block.value.vectors);
    block = await block.continue();
  }
}

export async function putEmbeddingBlock(block: EmbeddingBlock): Promise<void> {
  await (await openStudioDb()).add('embeddingBlocks', block);
}

export async function getHead(projectId: string): Promise<StoredHead | undefined> {
  return (await openStudioDb()).get('heads', projectId);
}

/** The model and the report of the run that made it, in one transaction: a reload never shows one without the other. */
export async function putHeadWithReport(head: StoredHead, training: SavedTraining): Promise<void> {
  const db = await openStudioDb();
  const tx = db.transaction(['heads', 'projects'], 'readwrite');
  const doc = await tx.objectStore('projects').get(head.projectId);
  const work: Promise<unknown>[] = [tx.objectStore('heads').put(head)];
  if (doc) work.push(tx.objectStore('projects').put({ ...doc, training, updatedAt: Date.now() }));
  await Promise.all([...work, tx.done]);
}

/** Keeps a Compare backbones table with its project (the page's edits never carry it, so they cannot overwrite it). */
export async function putComparison(projectId: string, comparison: BackboneComparison | null): Promise<void> {
  const db = await openStudioDb();
  const tx = db.transaction('projects', 'readwrite');
  const doc = await tx.store.get(projectId);
  if (doc) await tx.store.put({ ...doc, comparison, updatedAt: Date.now() });
  await tx.done;
}

/** Removes a project and everything stored for it, in one transaction. */
export async function deleteProject(projectId: string): Promise<void> {
  const db = await openStudioDb();
  const tx = db.transaction(['projects', 'samples', 'embeddings', 'embeddingBlocks', 'heads'], 'readwrite');
  const work: Promise<unknown>[] = [tx.objectStore('projects').delete(projectId), tx.objectStore('heads').delete(projectId)];
  for (const store of ['samples', 'embeddings', 'embeddingBlocks'] as const) {
    let cursor = await tx.objectStore(store).index('byProject').openKeyCursor(projectId);
    while (cursor) {
      work.push(tx.objectStore(store).delete(cursor.primaryKey));
      cursor = await cursor.continue();
    }
  }
  await Promise.all([...work, tx.done]);
}

/** Records copied per transaction when duplicating, so no transaction holds a whole large project. */
const COPY_PAGE = 200;

/** A full copy under a new id: new sample ids, same bytes, embeddings and trained model. */
export async function duplicateProject(sourceId: string, name: string): Promise<ProjectDoc> {
  const db = await openStudioDb();
  const source = await db.get('projects', sourceId);
  if (!source) throw new Error('The project to duplicate no longer exists.');
  const id = crypto.randomUUID();
  const newIds = new Map(source.classes.flatMap((c) => c.samples.map((s) => [s.id, crypto.randomUUID()] as const)));
  const now = Date.now();
  const copy: ProjectDoc = {
    ...structuredClone(source),
    id,
    name,
    classes: source.classes.map((c) => ({ ...c, samples: c.samples.map((s) => ({ id: newIds.get(s.id)!, name: s.name })) })),
    createdAt: now,
    updatedAt: now,
  };
  try {
    const oldIds = [...newIds.keys()];
    for (let start = 0; start < oldIds.length; start += COPY_PAGE) {
      const page = oldIds.slice(start, start + COPY_PAGE);
      const tx = db.transaction('samples', 'readwrite');
      const records = await Promise.all(page.map((old) => tx.store.get(old)));
      await Promise.all([...records.flatMap((s) => (s ? [tx.store.put({ ...s, id: newIds.get(s.id)!, projectId: id })] : [])), tx.done]);
    }
    await copyEmbeddings(db, sourceId, id, newIds);
    const head = await db.get('heads', sourceId);
    // The document goes last: until it exists, nothing lists the copy.
    const tx = db.transaction(['projects', 'heads'], 'readwrite');
    await Promise.all([tx.objectStore('projects').put(copy), ...(head ? [tx.objectStore('heads').put({ ...head, projectId: id })] : []), tx.done]);
  } catch (error) {
    await deleteProject(id).catch(() => undefined);
    throw error;
  }
  return copy;
}

async function copyEmbeddings(db: StudioDb, sourceId: string, id: string, newIds: Map<string, string>): Promise<void> {
  const rows: StoredEmbedding[] = [];
  let row = await db.transaction('embeddings').store.index('byProject').openCursor(sourceId);
  while (row) {
    const sampleId = newIds.get(row.value.sampleId);
    if (sampleId) rows.push({ ...row.value, key: `${row.value.backboneId}|${sampleId}`, sampleId, projectId: id });
    row = await row.continue();
  }
  const blocks: EmbeddingBlock[] = [];
  let block = await db.transaction('embeddingBlocks').store.index('byProject').openCursor(sourceId);
  while (block) {
    const { backboneId, sampleIds, vectors } = block.value;
    blocks.push({ projectId: id, backboneId, sampleIds: sampleIds.map((s) => newIds.get(s) ?? ''), vectors });
    block = await block.continue();
  }
  const tx = db.transaction(['embeddings', 'embeddingBlocks'], 'readwrite');
  await Promise.all([...rows.map((r) => tx.objectStore('embeddings').put(r)), ...blocks.map((b) => tx.objectStore('embeddingBlocks').add(b)), tx.done]);
}
