/**
 * Projects that last: the page's edits to the open project are sent to the
 * engine, which is the only writer of the project database (images, documents,
 * embeddings and models); the last opened project comes back on start, and
 * projects can be listed, created, renamed, duplicated, deleted, exported and imported.
 */
import { create } from 'zustand';
import { DEFAULT_BACKBONE_ID, DEFAULT_TRAIN_SETTINGS, type ExportClass, type ProjectDoc, type ProjectEdits, type ProjectSummary } from '../engine/api';
import { getEngine, remoteCallback } from '../engine/engine';
import { QUOTA_MESSAGE, isQuotaError } from '../storage/quota';
import { formatBytes } from '../formatBytes';
import { aheadInOrder } from './aheadInOrder';
import { beginImport, endImport, IMPORT_CHUNK, IMPORTS_AHEAD, importWasCancelled, loadBackbone, messageOf, saveBlob, slug } from './actions';
import { useProject, type ClassInfo } from './project';
import { useSession } from './session';
import { markProjectReady } from './startup';
import { primeThumbnails } from './thumbnails';

const SAVE_DELAY_MS = 250;

export type { ProjectSummary };

interface ProjectsState {
  currentId: string | null;
  /** A project whose opening did not finish last time (the tab died or it failed): not opened again by itself. */
  recovery: { id: string; name: string; images: number; reason: string } | null;
  projects: ProjectSummary[];
  saveState: 'saved' | 'saving' | 'failed';
  storage: { usage: number; quota: number; persisted: boolean } | null;
}

export const useProjects = create<ProjectsState>()(() => ({
  currentId: null,
  recovery: null,
  projects: [],
  saveState: 'saved',
  storage: null,
}));

/** While a project is being loaded into the stores, those changes are not edits to save. */
let loading = false;
let saveTimer: ReturnType<typeof setTimeout> | null = null;
let saving: Promise<void> = Promise.resolve();
let quotaReported = false;
let listRefreshedAt = 0;
/**
 * The edits last stored, with their project's id. An import changes the page's
 * project on every chunk but none of its edits; the engine stores the images
 * itself, and rewriting a 20,000-image document for nothing on every chunk cost
 * the import time that grew with the project.
 */
let storedEdits: string | null = null;
/** How often auto-save refreshes the project list (names, image counts) at most. */
const LIST_REFRESH_MS = 3000;

/** What the page changes of the open project; which images a class holds is the engine's to record. */
function currentEdits(): ProjectEdits {
  const project = useProject.getState();
  return {
    name: project.name,
    classes: project.classes.map((c) => ({ id: c.id, name: c.name })),
    backboneId: project.backboneId,
    settings: project.settings,
    revision: project.revision,
    customBackbone: project.customBackbone,
  };
}

/**
 * While images are imported, edits are saved at most this often (a throttle, not
 * a debounce). Each stored chunk moves the project's revision on (which tells a
 * model trained before it is out of date), and writing the document for that
 * after every chunk put a second transaction per chunk in the database's queue,
 * ahead of the next chunk's: importing 2,000 photos here ran at 90 images/s
 * with those writes and 104 without.
 */
const IMPORT_SAVE_INTERVAL_MS = 2000;

function scheduleSave(): void {
  if (loading || !useProjects.getState().currentId) return;
  useProjects.setState({ saveState: 'saving' });
  const importing = useSession.getState().importing > 0;
  if (saveTimer) {
    // The pending save sends the edits as they are when it runs.
    if (importing) return;
    clearTimeout(saveTimer);
  }
  saveTimer = setTimeout(() => void saveNow(), importing ? IMPORT_SAVE_INTERVAL_MS : SAVE_DELAY_MS);
}

/** Sends the open project's edits now (also used before switching projects and on page hide). */
export function saveNow(): Promise<void> {
  if (saveTimer) clearTimeout(saveTimer);
  saveTimer = null;
  const id = useProjects.getState().currentId;
  if (!id || loading) return saving;
  const edits = currentEdits();
  const key = `${id}\n${JSON.stringify(edits)}`;
  saving = saving.then(async () => {
    try {
      if (key !== storedEdits) {
        await getEngine().editProject(id, edits);
        storedEdits = key;
      }
      quotaReported = false;
      if (!saveTimer) useProjects.setState({ saveState: 'saved' });
      // The list reads every project's document: not after every edit of a long import.
      if (Date.now() - listRefreshedAt > LIST_REFRESH_MS) void refreshProjectList();
    } catch (error) {
      useProjects.setState({ saveState: 'failed' });
      if (!isQuotaError(error)) useSession.getState().notify('error', `Your last change could not be saved: ${messageOf(error)}`);
      else if (!quotaReported) useSession.getState().notify('error', QUOTA_MESSAGE);
      quotaReported ||= isQuotaError(error);
    }
  });
  return saving;
}

/** Saves the page's edits as they happen; returns what stops it (for tests). */
export function startAutoSave(): () => void {
  // Models and their reports are saved by the engine when training ends; only the page's edits go from here.
  const stop = useProject.subscribe(scheduleSave);
  // The debounce must not lose the last edit when the tab goes away.
  addEventListener('pagehide', () => void saveNow());
  document.addEventListener('visibilitychange', () => document.visibilityState === 'hidden' && void saveNow());
  return stop;
}

export async function refreshProjectList(): Promise<void> {
  listRefreshedAt = Date.now();
  useProjects.setState({ projects: await getEngine().listProjects() });
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

/**
 * Set while a project is being opened and cleared once it is shown. Found set at
 * the next start, it means that opening took the tab down: the app then starts
 * without it and offers to export its images or try again, instead of crashing
 * on every start. (localStorage, not IndexedDB: it must be readable before
 * anything else runs, and it holds no project data.)
 */
const OPENING_KEY = 'transfer-studio:opening';

/** On start: ask to keep our data, open the last project (or a new one), unless opening it failed last time. */
export async function restoreLastProject(): Promise<void> {
  try {
    await openStartupProject();
  } finally {
    markProjectReady();
  }
}

async function openStartupProject(): Promise<void> {
  try {
    await navigator.storage?.persist?.().catch(() => false);
    startAutoSave();
    const [lastId, projects] = await Promise.all([getEngine().lastProjectId(), getEngine().listProjects()]);
    useProjects.setState({ projects });
    const interrupted = localStorage.getItem(OPENING_KEY);
    const broken = projects.find((p) => p.id === interrupted);
    if (broken) {
      localStorage.removeItem(OPENING_KEY);
      useProjects.setState({ recovery: { ...broken, reason: 'The page stopped while it was opening last time.' } });
      await newProject('My project');
      return;
    }
    const fallback = projects.find((p) => p.id === lastId) ?? projects[0];
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
  await getEngine().createProject(doc);
  await openProject(doc.id);
}

/** Loads a stored project into the page and the engine: the document first (counts show at once); thumbnails as they come into view. */
export async function openProject(id: string): Promise<void> {
  await saveNow();
  loading = true;
  localStorage.setItem(OPENING_KEY, id);
  try {
    const opened = await getEngine().openProject(id);
    if (!opened) {
      useSession.getState().notify('error', 'That project no longer exists.');
      return;
    }
    showProject(opened.doc);
    // Cleared once the page has drawn it: a tab that dies drawing it counts as a failed opening.
    // (A hidden tab draws nothing: then half a second is enough.)
    await new Promise((resolve) => {
      requestAnimationFrame(() => setTimeout(resolve, 0));
      setTimeout(resolve, 500);
    });
  } catch (error) {
    const summary = useProjects.getState().projects.find((p) => p.id === id);
    useProjects.setState({ recovery: { id, name: summary?.name ?? 'A project', images: summary?.images ?? 0, reason: messageOf(error) } });
    return;
  } finally {
    localStorage.removeItem(OPENING_KEY);
    loading = false;
  }
  await refreshProjectList();
  if (useSession.getState().backend) await loadBackbone(useProject.getState().backboneId);
}

/** Puts an opened project's document on the page. */
function showProject(doc: ProjectDoc): void {
  const classes: ClassInfo[] = doc.classes.map((c) => ({ id: c.id, name: c.name, samples: c.samples }));
  // Settings added since the project was saved take their defaults.
  useProject.setState({
    name: doc.name,
    classes,
    backboneId: doc.backboneId,
    settings: { ...DEFAULT_TRAIN_SETTINGS, ...doc.settings },
    revision: doc.revision,
    customBackbone: doc.customBackbone ?? null,
    // The engine saved it when the comparison finished.
    comparison: doc.comparison ?? null,
  });
  const training = doc.training;
  useSession.setState({
    history: training?.result.history ?? [],
    result: training?.result ?? null,
    trainedRevision: training?.revision ?? null,
    trainedBackboneId: training?.backboneId ?? null,
    predictions: null,
    predictionSource: null,
    progress: null,
    embedding: null,
  });
  useProjects.setState({ currentId: doc.id, saveState: 'saved' });
  storedEdits = null;
}

export async function renameProject(id: string, name: string): Promise<void> {
  if (id === useProjects.getState().currentId) {
    useProject.getState().setName(name);
    await saveNow();
    return;
  }
  await getEngine().editProject(id, { name });
  await refreshProjectList();
}

export async function duplicateProject(id: string): Promise<void> {
  try {
    if (id === useProjects.getState().currentId) await saveNow();
    const source = useProjects.getState().projects.find((p) => p.id === id);
    await openProject(await getEngine().duplicateProject(id, `${source?.name ?? 'Project'} (copy)`));
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
  await getEngine().deleteProject(id);
  if (wasOpen) {
    const next = (await getEngine().listProjects())[0];
    if (next) await openProject(next.id);
    else await newProject('My project');
  }
  await refreshProjectList();
}

/** A document's classes as the engine exports them: names and sample ids (the bytes are in the worker). */
function classesToExport(classes: { name: string; samples: { id: string; name: string }[] }[] = useProject.getState().classes): ExportClass[] {
  return classes.map((c) => ({ name: c.name.trim(), samples: c.samples.map((s) => ({ id: s.id, name: s.name })) }));
}

/** Saves `<project>.zip`: project.json and every image, in class folders, with its original bytes. */
export function exportProject(): Promise<void> {
  const project = useProject.getState();
  return saveZip('project', `${slug(project.name)}.transfer-studio.zip`, (onProgress) =>
    getEngine().exportProject({ name: project.name, backboneId: project.backboneId, settings: project.settings, classes: classesToExport() }, onProgress),
  );
}

/** Saves an ImageFolder zip (`<class>/<file>`, or `train/` and `validation/` with the training split). */
export function exportDataset(withSplit: boolean): Promise<void> {
  const project = useProject.getState();
  return saveZip('dataset', `${slug(project.name)}-dataset.zip`, (onProgress) =>
    getEngine().exportDataset({ classes: classesToExport(), validationSplit: withSplit ? project.settings.validationSplit : 0, seed: project.settings.seed }, onProgress),
  );
}

/** The images of a project that could not be opened, as an ImageFolder zip (its document is read; nothing is shown). */
export async function exportDatasetOf(id: string): Promise<void> {
  const summary = useProjects.getState().projects.find((p) => p.id === id);
  const current = useProjects.getState().currentId;
  await saveZip('dataset', `${slug(summary?.name ?? 'project')}-dataset.zip`, async (onProgress) => {
    const opened = await getEngine().openProject(id);
    if (!opened) throw new Error('The project no longer exists.');
    try {
      return await getEngine().exportDataset({ classes: classesToExport(opened.doc.classes), validationSplit: 0, seed: 0 }, onProgress);
    } finally {
      // The engine goes back to the project on the page.
      if (current) await getEngine().openProject(current);
    }
  });
}

/** Tries to open the project that failed to open before. */
export async function retryRecovery(): Promise<void> {
  const recovery = useProjects.getState().recovery;
  useProjects.setState({ recovery: null });
  if (recovery) await openProject(recovery.id);
}

export function dismissRecovery(): void {
  useProjects.setState({ recovery: null });
}

/**
 * Has the engine write a zip (off this thread, streamed from storage) while the app shows
 * it is exporting, and downloads it; a failure becomes a message naming `what`.
 */
async function saveZip(what: string, fileName: string, build: (onProgress: (done: number, total: number) => void) => Promise<Blob>): Promise<void> {
  useSession.setState({ busy: 'exporting', exportProgress: null });
  try {
    saveBlob(await build(remoteCallback((done: number, total: number) => useSession.setState({ exportProgress: { done, total } }))), fileName);
  } catch (error) {
    useSession.getState().notify('error', `The ${what} could not be exported: ${messageOf(error)}`);
  } finally {
    useSession.setState({ busy: null, exportProgress: null });
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
    // The File itself crosses to the worker (a handle, not its bytes), which reads it entry by entry.
    reading = await getEngine().readProjectZip(file);
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
  doc.customBackbone = reading.customBackbone ?? null;
  doc.classes = reading.classes.map((c) => ({ id: crypto.randomUUID(), name: c.name, samples: [] }));
  beginImport(reading.classes.reduce((n, c) => n + c.samples.length, 0));
  let failure: string | null = null;
  const counts = doc.classes.map(() => 0);
  try {
    // The new project is stored first and filled class by class; it is deleted again unless every image lands.
    await getEngine().createProject(doc);
    await getEngine().openProject(doc.id);
    // The engine embeds each image as it arrives (decoded once), for the project's backbone.
    if (useSession.getState().backend) await loadBackbone(doc.backboneId);
    for (const [index, c] of reading.classes.entries()) {
      if (failure) break;
      const target = { classId: doc.classes[index].id, className: c.name };
      await aheadInOrder({
        count: Math.ceil(c.samples.length / IMPORT_CHUNK),
        ahead: IMPORTS_AHEAD,
        prepare: (chunk) => {
          if (importWasCancelled()) failure ??= 'Import cancelled.';
          return failure ? null : Promise.resolve(chunk * IMPORT_CHUNK);
        },
        send: (start) => getEngine().importFromProjectFile(index, start, Math.min(IMPORT_CHUNK, c.samples.length - start), target),
        receive: (result, chunk) => {
          counts[index] += result.accepted.length;
          primeThumbnails(result.accepted);
          if (result.storageProblem) failure ??= result.storageProblem;
          else if (result.rejected.length > 0) failure ??= `"${result.rejected[0].name}" in class "${c.name}": ${result.rejected[0].reason}.`;
          const done = Math.min(IMPORT_CHUNK, c.samples.length - chunk * IMPORT_CHUNK);
          useSession.setState((s) => ({ importProgress: s.importProgress && { ...s.importProgress, done: s.importProgress.done + done } }));
          return !failure;
        },
      });
    }
  } catch (error) {
    failure = isQuotaError(error) ? QUOTA_MESSAGE : messageOf(error);
  } finally {
    endImport();
    useSession.setState({ busy: null });
    void getEngine().discardProjectFile();
  }
  if (failure) {
    await getEngine().deleteProject(doc.id).catch(() => undefined);
    if (previousId) await openProject(previousId);
    session.notify(failure === 'Import cancelled.' ? 'info' : 'error', `"${file.name}" was not imported; nothing was changed. ${failure}`);
    return;
  }
  await openProject(doc.id);
  session.notify('info', `Imported "${doc.name}": ${doc.classes.length} classes, ${counts.reduce((n, c) => n + c, 0).toLocaleString('en')} images.`);
}
