/**
 * Projects that last: the open project's document is saved to IndexedDB on
 * every change (the engine saves sample bytes, embeddings and the head itself),
 * the last opened project comes back on start, and projects can be listed,
 * created, renamed, duplicated, deleted, exported and imported.
 */
import { create } from 'zustand';
import { DEFAULT_BACKBONE_ID, DEFAULT_TRAIN_SETTINGS } from '../engine/api';
import { getEngine } from '../engine/engine';
import {
  QUOTA_MESSAGE,
  deleteOrphans,
  deleteProject as deleteStoredProject,
  duplicateProject as duplicateStoredProject,
  getMeta,
  getProject,
  getSample,
  isQuotaError,
  listProjects,
  putProject,
  setMeta,
  type ProjectDoc,
} from '../storage/db';
import { buildProjectZip, formatBytes } from '../storage/projectZip';
import { buildDatasetZip } from '../storage/datasetZip';
import { beginImport, endImport, importWasCancelled, loadBackbone, messageOf, saveBlob, slug } from './actions';
import { useProject, type ClassInfo } from './project';
import { useSession } from './session';

const LAST_PROJECT_KEY = 'lastProjectId';
const SAVE_DELAY_MS = 250;
const IMPORT_CHUNK = 16;

export interface ProjectSummary {
  id: string;
  name: string;
  images: number;
  updatedAt: number;
}

interface ProjectsState {
  currentId: string | null;
  projects: ProjectSummary[];
  saveState: 'saved' | 'saving' | 'failed';
  storage: { usage: number; quota: number; persisted: boolean } | null;
}

export const useProjects = create<ProjectsState>()(() => ({
  currentId: null,
  projects: [],
  saveState: 'saved',
  storage: null,
}));

let createdAt = Date.now();
/** While a project is being loaded into the stores, those changes are not edits to save. */
let loading = false;
let saveTimer: ReturnType<typeof setTimeout> | null = null;
let saving: Promise<void> = Promise.resolve();
let quotaReported = false;
/**
 * The report of the model the engine holds in storage for the open project.
 * When a newer model could not be saved (storage full), the document keeps this
 * one: after a reload the stored model comes back, and with its own report.
 */
let savedTraining: ProjectDoc['training'] = null;

function trainingToSave(): ProjectDoc['training'] {
  const session = useSession.getState();
  if (!session.result || session.trainedRevision === null) return null;
  if (session.result.saveProblem) return savedTraining;
  savedTraining = {
    result: session.result,
    revision: session.trainedRevision,
    backboneId: session.trainedBackboneId ?? useProject.getState().backboneId,
  };
  return savedTraining;
}

function currentDoc(id: string): ProjectDoc {
  const project = useProject.getState();
  return {
    id,
    name: project.name,
    classes: project.classes.map((c) => ({ id: c.id, name: c.name, samples: c.samples.map((s) => ({ id: s.id, name: s.name })) })),
    backboneId: project.backboneId,
    settings: project.settings,
    revision: project.revision,
    training: trainingToSave(),
    comparison: project.comparison,
    createdAt,
    updatedAt: Date.now(),
  };
}

function scheduleSave(): void {
  if (loading || !useProjects.getState().currentId) return;
  useProjects.setState({ saveState: 'saving' });
  if (saveTimer) clearTimeout(saveTimer);
  saveTimer = setTimeout(() => void saveNow(), SAVE_DELAY_MS);
}

/** Writes the open project's document now (also used before switching projects and on page hide). */
export function saveNow(): Promise<void> {
  if (saveTimer) clearTimeout(saveTimer);
  saveTimer = null;
  const id = useProjects.getState().currentId;
  if (!id || loading) return saving;
  const doc = currentDoc(id);
  saving = saving.then(async () => {
    try {
      await putProject(doc);
      quotaReported = false;
      if (!saveTimer) useProjects.setState({ saveState: 'saved' });
      void refreshProjectList();
    } catch (error) {
      useProjects.setState({ saveState: 'failed' });
      if (!isQuotaError(error)) useSession.getState().notify('error', `Your last change could not be saved: ${messageOf(error)}`);
      else if (!quotaReported) useSession.getState().notify('error', QUOTA_MESSAGE);
      quotaReported ||= isQuotaError(error);
    }
  });
  return saving;
}

export function startAutoSave(): void {
  useProject.subscribe(scheduleSave);
  useSession.subscribe((state, previous) => {
    if (state.result !== previous.result || state.trainedRevision !== previous.trainedRevision) scheduleSave();
  });
  // The debounce must not lose the last edit when the tab goes away.
  addEventListener('pagehide', () => void saveNow());
  document.addEventListener('visibilitychange', () => document.visibilityState === 'hidden' && void saveNow());
}

export async function refreshProjectList(): Promise<void> {
  const docs = await listProjects();
  useProjects.setState({
    projects: docs.map((d) => ({ id: d.id, name: d.name, images: d.classes.reduce((n, c) => n + c.samples.length, 0), updatedAt: d.updatedAt })),
  });
  await refreshStorageEstimate();
}

export async function refreshStorageEstimate(): Promise<void> {
  if (!navigator.storage?.estimate) return;
  const [{ usage = 0, quota = 0 }, persisted] = await Promise.all([navigator.storage.estimate(), navigator.storage.persisted?.() ?? false]);
  useProjects.setState({ storage: { usage, quota, persisted } });
}

export function describeStorage(storage: ProjectsState['storage']): string {
  if (!storage) return 'Storage: unknown';
  return `Storage: ${formatBytes(storage.usage)} used of ${formatBytes(storage.quota)} available${storage.persisted ? ' (persistent)' : ''}`;
}

/** On start: clean up after interrupted imports, ask to keep our data, open the last project (or a new one). */
export async function restoreLastProject(): Promise<void> {
  try {
    await navigator.storage?.persist?.().catch(() => false);
    await deleteOrphans();
    startAutoSave();
    const lastId = await getMeta(LAST_PROJECT_KEY);
    const last = lastId ? await getProject(lastId) : undefined;
    const fallback = last ?? (await listProjects())[0];
    if (fallback) await openProject(fallback.id);
    else await newProject('My project');
  } catch (error) {
    useSession.getState().notify('error', `Saved projects cannot be used in this browser (${messageOf(error)}); changes will not be kept.`);
  }
}

function emptyDoc(name: string): ProjectDoc {
  const now = Date.now();
  return {
    id: crypto.randomUUID(),
    name,
    classes: [
      { id: crypto.randomUUID(), name: 'Class 1', samples: [] },
      { id: crypto.randomUUID(), name: 'Class 2', samples: [] },
    ],
    backboneId: DEFAULT_BACKBONE_ID,
    settings: { ...DEFAULT_TRAIN_SETTINGS },
    revision: 0,
    training: null,
    createdAt: now,
    updatedAt: now,
  };
}

export async function newProject(name = 'Untitled project'): Promise<void> {
  const doc = emptyDoc(name);
  await putProject(doc);
  await openProject(doc.id);
}

/** Loads a stored project into the page and the engine. */
export async function openProject(id: string): Promise<void> {
  await saveNow();
  const doc = await getProject(id);
  if (!doc) {
    useSession.getState().notify('error', 'That project no longer exists.');
    return;
  }
  loading = true;
  try {
    const opened = await getEngine().openProject(id);
    const thumbnails = new Map(opened.samples.map((s) => [s.id, s.thumbUrl]));
    const referenced = new Set(doc.classes.flatMap((c) => c.samples.map((s) => s.id)));
    // Stored by the engine but never recorded in the document (the tab closed mid-import): drop them.
    const unreferenced = opened.samples.filter((s) => !referenced.has(s.id)).map((s) => s.id);
    if (unreferenced.length > 0) await getEngine().removeSamples(unreferenced);
    await showProject(doc, thumbnails, opened.hasModel);
  } finally {
    loading = false;
  }
  await refreshProjectList();
  if (useSession.getState().backend) await loadBackbone(doc.backboneId);
}

/** Puts an opened project's document on the page, with the thumbnails it has by sample id. */
async function showProject(doc: ProjectDoc, thumbnails: Map<string, string>, hasModel: boolean): Promise<void> {
  const classes: ClassInfo[] = doc.classes.map((c) => ({
    id: c.id,
    name: c.name,
    samples: c.samples.filter((s) => thumbnails.has(s.id)).map((s) => ({ ...s, thumbUrl: thumbnails.get(s.id)! })),
  }));
  createdAt = doc.createdAt;
  // Settings added since the project was saved take their defaults.
  useProject.setState({ name: doc.name, classes, backboneId: doc.backboneId, settings: { ...DEFAULT_TRAIN_SETTINGS, ...doc.settings }, revision: doc.revision, comparison: doc.comparison ?? null });
  const training = hasModel ? doc.training : null;
  savedTraining = training;
  useSession.setState({
    history: training?.result.history ?? [],
    result: training?.result ?? null,
    trainedRevision: training?.revision ?? null,
    trainedBackboneId: training?.backboneId ?? null,
    predictions: null,
    predictionSource: null,
    progress: null,
  });
  useProjects.setState({ currentId: doc.id, saveState: 'saved' });
  await setMeta(LAST_PROJECT_KEY, doc.id);
}

export async function renameProject(id: string, name: string): Promise<void> {
  if (id === useProjects.getState().currentId) {
    useProject.getState().setName(name);
    await saveNow();
    return;
  }
  const doc = await getProject(id);
  if (doc) await putProject({ ...doc, name, updatedAt: Date.now() });
  await refreshProjectList();
}

export async function duplicateProject(id: string): Promise<void> {
  try {
    if (id === useProjects.getState().currentId) await saveNow();
    const source = await getProject(id);
    const copy = await duplicateStoredProject(id, `${source?.name ?? 'Project'} (copy)`);
    await openProject(copy.id);
  } catch (error) {
    useSession.getState().notify('error', isQuotaError(error) ? QUOTA_MESSAGE : `The project could not be duplicated: ${messageOf(error)}`);
  }
}

export async function deleteProject(id: string): Promise<void> {
  const wasOpen = id === useProjects.getState().currentId;
  if (wasOpen) {
    if (saveTimer) clearTimeout(saveTimer);
    saveTimer = null;
    await saving;
    useProjects.setState({ currentId: null });
  }
  await deleteStoredProject(id);
  if (wasOpen) {
    const next = (await listProjects())[0];
    if (next) await openProject(next.id);
    else await newProject('My project');
  }
  await refreshProjectList();
}

async function classesWithBytes() {
  return Promise.all(
    useProject.getState().classes.map(async (c) => ({
      name: c.name.trim(),
      samples: await Promise.all(
        c.samples.map(async (s) => {
          const stored = await getSample(s.id);
          if (!stored) throw new Error(`"${s.name}" is missing from storage`);
          return { name: s.name, bytes: new Uint8Array(await stored.bytes.arrayBuffer()) };
        }),
      ),
    })),
  );
}

/** Saves `<project>.zip`: project.json and every image, in class folders, with its original bytes. */
export function exportProject(): Promise<void> {
  const project = useProject.getState();
  return saveZip('project', `${slug(project.name)}.transfer-studio.zip`, async () =>
    buildProjectZip({ name: project.name, backboneId: project.backboneId, settings: project.settings, classes: await classesWithBytes() }),
  );
}

/** Saves an ImageFolder zip (`<class>/<file>`, or `train/` and `validation/` with the training split). */
export function exportDataset(withSplit: boolean): Promise<void> {
  const project = useProject.getState();
  return saveZip('dataset', `${slug(project.name)}-dataset.zip`, async () =>
    buildDatasetZip(await classesWithBytes(), { validationSplit: withSplit ? project.settings.validationSplit : 0, seed: project.settings.seed }),
  );
}

/** Builds a zip while the app shows it is exporting, and downloads it; a failure becomes a message naming `what`. */
async function saveZip(what: string, fileName: string, build: () => Promise<Uint8Array>): Promise<void> {
  useSession.setState({ busy: 'exporting' });
  try {
    saveBlob(new Blob([(await build()) as Uint8Array<ArrayBuffer>], { type: 'application/zip' }), fileName);
  } catch (error) {
    useSession.getState().notify('error', `The ${what} could not be exported: ${messageOf(error)}`);
  } finally {
    useSession.setState({ busy: null });
  }
}

/**
 * Imports a project file as a new project, all or nothing: the zip is checked
 * first; then every image goes into a new project, which is deleted again if
 * any image fails, storage runs out or the user cancels.
 */
export async function importProjectFile(file: File): Promise<void> {
  const session = useSession.getState();
  const previousId = useProjects.getState().currentId;
  await saveNow();
  useSession.setState({ busy: 'importing' });
  let reading;
  try {
    reading = await getEngine().readProjectZip(new Uint8Array(await file.arrayBuffer()));
  } catch (error) {
    reading = { ok: false as const, message: `The file could not be read: ${messageOf(error)}` };
  }
  if (!reading.ok) {
    useSession.setState({ busy: null });
    session.notify('error', `"${file.name}" was not imported. ${reading.message}`);
    return;
  }

  const doc = emptyDoc(reading.name || file.name.replace(/\.zip$/i, ''));
  doc.backboneId = reading.backboneId;
  doc.settings = reading.settings;
  doc.classes = [];
  beginImport(reading.classes.reduce((n, c) => n + c.samples.length, 0));
  let failure: string | null = null;
  const thumbnails = new Map<string, string>();
  try {
    await getEngine().openProject(doc.id);
    for (const c of reading.classes) {
      const classDoc = { id: crypto.randomUUID(), name: c.name, samples: [] as { id: string; name: string }[] };
      doc.classes.push(classDoc);
      for (let start = 0; start < c.samples.length && !failure; start += IMPORT_CHUNK) {
        if (importWasCancelled()) failure = 'Import cancelled.';
        if (failure) break;
        const chunk = c.samples.slice(start, start + IMPORT_CHUNK);
        const result = await getEngine().importFromProjectFile(reading.classes.indexOf(c), start, chunk.length);
        classDoc.samples.push(...result.accepted.map((a) => ({ id: a.id, name: a.name })));
        for (const a of result.accepted) thumbnails.set(a.id, a.thumbUrl);
        if (result.storageProblem) failure = result.storageProblem;
        else if (result.rejected.length > 0) failure = `"${result.rejected[0].name}" in class "${c.name}": ${result.rejected[0].reason}.`;
        useSession.setState((s) => ({ importProgress: s.importProgress && { ...s.importProgress, done: s.importProgress.done + chunk.length } }));
      }
    }
    if (!failure) await putProject(doc);
  } catch (error) {
    failure = isQuotaError(error) ? QUOTA_MESSAGE : messageOf(error);
  } finally {
    endImport();
    useSession.setState({ busy: null });
    void getEngine().discardProjectFile();
  }
  if (failure) {
    await deleteStoredProject(doc.id).catch(() => undefined);
    if (previousId) await openProject(previousId);
    session.notify(failure === 'Import cancelled.' ? 'info' : 'error', `"${file.name}" was not imported; nothing was changed. ${failure}`);
    return;
  }
  // The engine already has this project open (it imported into it): only the page needs it now.
  loading = true;
  try {
    await showProject(doc, thumbnails, false);
  } finally {
    loading = false;
  }
  await refreshProjectList();
  if (useSession.getState().backend) await loadBackbone(doc.backboneId);
  session.notify('info', `Imported "${doc.name}": ${doc.classes.length} classes, ${doc.classes.reduce((n, c) => n + c.samples.length, 0)} images.`);
}
