/**
 * The browser's durable copy of every project, in IndexedDB (via idb). Both the
 * page (project documents, project list) and the engine worker (sample bytes,
 * embeddings, trained models) open the same database. No tfjs here (types only).
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { TrainOutcome, TrainSettings } from '../engine/api';
import type { TailData } from '../ml/fineTune';
import type { ModelData } from '../ml/modelData';

export const DB_NAME = 'transfer-studio';
const DB_VERSION = 1;

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

/** The small, frequently saved part of a project; bytes live in `samples`. */
export interface ProjectDoc {
  id: string;
  name: string;
  classes: ClassDoc[];
  backboneId: string;
  settings: TrainSettings;
  revision: number;
  /** The last training's report, shown again after a reload; the model itself (head and any fine-tuned tail) is in `heads`. */
  training: { result: TrainedOutcome; revision: number; backboneId: string } | null;
  /** The last Compare backbones table (absent in projects saved before it existed). */
  comparison?: import('../engine/backboneTypes').BackboneComparison | null;
  createdAt: number;
  updatedAt: number;
}

export interface StoredSample {
  id: string;
  projectId: string;
  name: string;
  /** The file exactly as the user gave it. */
  bytes: Blob;
  thumbnail: Blob;
  width: number;
  height: number;
}

export interface StoredEmbedding {
  /** `${backboneId}|${sampleId}` */
  key: string;
  projectId: string;
  sampleId: string;
  backboneId: string;
  vector: Float32Array;
}

/**
 * A project's trained model as plain data: the head's tf.io model artifacts, its
 * labels and, for fine-tuned models, the fine-tuned backbone tail. It is ONE
 * record written with one put, so head and tail are replaced together or not at
 * all. Records without `fineTuned` (every record saved before fine-tuned models
 * were kept) are head-only models on the frozen backbone: no schema change needed.
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
  heads: { key: string; value: StoredHead };
  meta: { key: string; value: string };
}

export type StudioDb = IDBPDatabase<StudioSchema>;

let database: Promise<StudioDb> | null = null;

export function openStudioDb(): Promise<StudioDb> {
  database ??= openDB<StudioSchema>(DB_NAME, DB_VERSION, {
    upgrade(db, oldVersion) {
      // Each step brings a database of an older version up by one; later versions add steps here.
      if (oldVersion < 1) {
        db.createObjectStore('projects', { keyPath: 'id' });
        db.createObjectStore('samples', { keyPath: 'id' }).createIndex('byProject', 'projectId');
        db.createObjectStore('embeddings', { keyPath: 'key' }).createIndex('byProject', 'projectId');
        db.createObjectStore('heads', { keyPath: 'projectId' });
        db.createObjectStore('meta');
      }
    },
  });
  return database;
}

export const embeddingKey = (backboneId: string, sampleId: string) => `${backboneId}|${sampleId}`;

/** True for the browser's "storage is full" failures (the name differs between engines and layers). */
export function isQuotaError(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name ?? '';
  return name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED' || /quota/i.test(String(error));
}

export const QUOTA_MESSAGE =
  'The browser has no more storage space for this site. Everything up to this point is saved; ' +
  'delete images or projects, or export the project as a zip, to make room.';

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

export async function samplesOf(projectId: string): Promise<StoredSample[]> {
  return (await openStudioDb()).getAllFromIndex('samples', 'byProject', projectId);
}

export async function getSample(id: string): Promise<StoredSample | undefined> {
  return (await openStudioDb()).get('samples', id);
}

/** All samples in one transaction: either every one is stored or none is. */
export async function putSamples(samples: StoredSample[]): Promise<void> {
  const tx = (await openStudioDb()).transaction('samples', 'readwrite');
  await Promise.all([...samples.map((s) => tx.store.put(s)), tx.done]);
}

export async function deleteSamples(ids: string[]): Promise<void> {
  const db = await openStudioDb();
  const tx = db.transaction(['samples', 'embeddings'], 'readwrite');
  const embeddings = tx.objectStore('embeddings');
  const work: Promise<unknown>[] = [];
  for (const id of ids) {
    work.push(tx.objectStore('samples').delete(id));
  }
  // Embeddings are keyed by backbone first; find this project's by sample id.
  const wanted = new Set(ids);
  let cursor = await embeddings.openCursor();
  while (cursor) {
    if (wanted.has(cursor.value.sampleId)) work.push(cursor.delete());
    cursor = await cursor.continue();
  }
  await Promise.all([...work, tx.done]);
}

export async function embeddingsOf(projectId: string, backboneId: string): Promise<StoredEmbedding[]> {
  const all = await (await openStudioDb()).getAllFromIndex('embeddings', 'byProject', projectId);
  return all.filter((e) => e.backboneId === backboneId);
}

export async function putEmbeddings(rows: StoredEmbedding[]): Promise<void> {
  const tx = (await openStudioDb()).transaction('embeddings', 'readwrite');
  await Promise.all([...rows.map((r) => tx.store.put(r)), tx.done]);
}

export async function getHead(projectId: string): Promise<StoredHead | undefined> {
  return (await openStudioDb()).get('heads', projectId);
}

export async function putHead(head: StoredHead): Promise<void> {
  await (await openStudioDb()).put('heads', head);
}

/** Removes a project and everything stored for it, in one transaction. */
export async function deleteProject(projectId: string): Promise<void> {
  const db = await openStudioDb();
  const tx = db.transaction(['projects', 'samples', 'embeddings', 'heads'], 'readwrite');
  const work: Promise<unknown>[] = [tx.objectStore('projects').delete(projectId), tx.objectStore('heads').delete(projectId)];
  for (const store of ['samples', 'embeddings'] as const) {
    let cursor = await tx.objectStore(store).index('byProject').openKeyCursor(projectId);
    while (cursor) {
      work.push(tx.objectStore(store).delete(cursor.primaryKey));
      cursor = await cursor.continue();
    }
  }
  await Promise.all([...work, tx.done]);
}

/** A full copy under a new id: new sample ids, same bytes, embeddings and trained model. */
export async function duplicateProject(sourceId: string, name: string): Promise<ProjectDoc> {
  const db = await openStudioDb();
  const source = await db.get('projects', sourceId);
  if (!source) throw new Error('The project to duplicate no longer exists.');
  const id = crypto.randomUUID();
  const newIds = new Map<string, string>();
  const renumber = (old: string) => {
    if (!newIds.has(old)) newIds.set(old, crypto.randomUUID());
    return newIds.get(old)!;
  };
  const now = Date.now();
  const copy: ProjectDoc = {
    ...structuredClone(source),
    id,
    name,
    classes: source.classes.map((c) => ({ ...c, samples: c.samples.map((s) => ({ id: renumber(s.id), name: s.name })) })),
    createdAt: now,
    updatedAt: now,
  };
  const [samples, embeddings, head] = await Promise.all([
    db.getAllFromIndex('samples', 'byProject', sourceId),
    db.getAllFromIndex('embeddings', 'byProject', sourceId),
    db.get('heads', sourceId),
  ]);
  const tx = db.transaction(['projects', 'samples', 'embeddings', 'heads'], 'readwrite');
  const work: Promise<unknown>[] = [tx.objectStore('projects').put(copy)];
  for (const s of samples) if (newIds.has(s.id)) work.push(tx.objectStore('samples').put({ ...s, id: newIds.get(s.id)!, projectId: id }));
  for (const e of embeddings) {
    const sampleId = newIds.get(e.sampleId);
    if (sampleId) work.push(tx.objectStore('embeddings').put({ ...e, key: embeddingKey(e.backboneId, sampleId), sampleId, projectId: id }));
  }
  if (head) work.push(tx.objectStore('heads').put({ ...head, projectId: id }));
  await Promise.all([...work, tx.done]);
  return copy;
}

/** Samples whose project document was never written (the tab closed mid-import) or was deleted. */
export async function deleteOrphans(): Promise<void> {
  const db = await openStudioDb();
  const projects = new Set(await db.getAllKeys('projects'));
  const tx = db.transaction(['samples', 'embeddings', 'heads'], 'readwrite');
  const work: Promise<unknown>[] = [];
  for (const store of ['samples', 'embeddings'] as const) {
    let cursor = await tx.objectStore(store).index('byProject').openKeyCursor();
    while (cursor) {
      if (!projects.has(cursor.key)) work.push(tx.objectStore(store).delete(cursor.primaryKey));
      cursor = await cursor.continue();
    }
  }
  let heads = await tx.objectStore('heads').openKeyCursor();
  while (heads) {
    if (!projects.has(heads.key)) work.push(tx.objectStore('heads').delete(heads.primaryKey));
    heads = await heads.continue();
  }
  await Promise.all([...work, tx.done]);
}
