/**
 * What the user can do, as plain functions over the stores and the engine.
 * Components call these; none of them touches tfjs or pixels beyond thumbnails.
 */
import { zipSync, strToU8 } from 'fflate';
import { isBackendName, type IncomingFile, type Progress } from '../engine/api';
import { getEngine, remoteCallback } from '../engine/engine';
import { rasterizeSvg, isSvgFile } from './svg';
import { useProject, type Sample } from './project';
import { useSession } from './session';

/** Files handed to the engine per call, so thumbnails appear while a large drop is read. */
const IMPORT_CHUNK = 16;

export async function startEngine(search = window.location.search): Promise<void> {
  const requested = new URLSearchParams(search).get('backend');
  const backend = isBackendName(requested) ? requested : undefined;
  try {
    const status = await getEngine().start({ backend, appBase: import.meta.env.BASE_URL });
    useSession.setState({ backend: status.backend, backendNotes: status.notes });
    await loadBackbone(useProject.getState().backboneId);
  } catch (error) {
    useSession.setState({ engineError: messageOf(error) });
  }
}

/** Adds files to a class; files that are not usable images are reported by name and skipped. */
export async function importIntoClass(classId: string, files: File[]): Promise<void> {
  await importGroups([{ classId, files }]);
}

/** Adds files grouped by class name (a dropped ImageFolder), creating or merging classes by name. */
export async function importByClassName(groups: Map<string, File[]>): Promise<void> {
  const project = useProject.getState();
  await importGroups([...groups].map(([name, files]) => ({ classId: project.classNamed(name), files })));
}

let importCancelled = false;

/** Stops the running import after the current chunk; what was imported so far is kept. */
export function cancelImport(): void {
  importCancelled = true;
}

/** True once Cancel was pressed since the import began; import loops check it between chunks. */
export function importWasCancelled(): boolean {
  return importCancelled;
}

export function beginImport(total: number): void {
  importCancelled = false;
  useSession.setState({ busy: 'importing', importProgress: { done: 0, total } });
}

async function importGroups(groups: { classId: string; files: File[] }[]): Promise<void> {
  const session = useSession.getState();
  beginImport(groups.reduce((sum, g) => sum + g.files.length, 0));
  const rejected: string[] = [];
  try {
    for (const { classId, files } of groups) {
      for (let start = 0; start < files.length && !importCancelled; start += IMPORT_CHUNK) {
        const chunk = await Promise.all(files.slice(start, start + IMPORT_CHUNK).map(toIncoming));
        const result = await getEngine().importFiles(chunk);
        const samples: Sample[] = result.accepted.map((a) => ({ id: a.id, name: a.name, thumbUrl: URL.createObjectURL(a.thumbnail) }));
        if (useProject.getState().classes.some((c) => c.id === classId)) useProject.getState().addSamples(classId, samples);
        else void getEngine().removeSamples(samples.map((s) => s.id));
        rejected.push(...result.rejected.map((r) => `Skipped "${r.name}": ${r.reason}.`));
        useSession.setState((s) => ({ importProgress: s.importProgress && { ...s.importProgress, done: s.importProgress.done + chunk.length } }));
        if (result.storageProblem) throw new Error(result.storageProblem);
      }
    }
    if (importCancelled) session.notify('info', 'Import cancelled. The images added before that are kept.');
  } catch (error) {
    session.notify('error', `Import stopped: ${messageOf(error)}. The images added before this point are kept.`);
  } finally {
    useSession.setState({ busy: null, importProgress: null });
  }
  for (const text of rejected) session.notify('warning', text);
}

async function toIncoming(file: File): Promise<IncomingFile> {
  if (isSvgFile(file)) {
    try {
      return { file: await rasterizeSvg(file), name: file.name };
    } catch {
      // The engine then refuses it with a reason.
    }
  }
  return { file, name: file.name };
}

export function removeSample(classId: string, sampleId: string): void {
  const removed = useProject.getState().removeSample(classId, sampleId);
  if (removed) release([removed]);
}

export function deleteClass(classId: string): void {
  release(useProject.getState().deleteClass(classId));
}

function release(samples: Sample[]): void {
  samples.forEach((s) => URL.revokeObjectURL(s.thumbUrl));
  void getEngine().removeSamples(samples.map((s) => s.id));
}

/** Switches backbone: embeddings are per backbone, so the current model must be retrained. */
export async function chooseBackbone(id: string): Promise<void> {
  useProject.getState().setBackbone(id);
  await loadBackbone(id);
}

export async function loadBackbone(id: string): Promise<void> {
  try {
    await getEngine().useBackbone(
      id,
      remoteCallback((progress: Progress) => useSession.setState({ progress: progress.done >= progress.total ? null : progress })),
    );
  } catch (error) {
    useSession.getState().notify('error', messageOf(error));
  } finally {
    useSession.setState({ progress: null });
  }
}

export async function train(): Promise<void> {
  const project = useProject.getState();
  const session = useSession.getState();
  useSession.setState({ busy: 'training', history: [], progress: null });
  try {
    const outcome = await getEngine().train(
      {
        backboneId: project.backboneId,
        settings: project.settings,
        classes: project.classes.map((c) => ({ name: c.name.trim(), sampleIds: c.samples.map((s) => s.id) })),
      },
      remoteCallback({
        onProgress: (progress) => useSession.setState({ progress }),
        onEpoch: (logs) => useSession.setState((s) => ({ history: [...s.history, logs] })),
      }),
    );
    if (outcome.status === 'refused') session.notify('error', outcome.message);
    else if (outcome.status === 'cancelled') session.notify('info', 'Training cancelled. The previous model, if any, is still in use.');
    else if (outcome.saveProblem) session.notify('warning', `The model is ready to use, but it will not be kept after a reload: ${outcome.saveProblem}`);
    if (outcome.status === 'trained')
      useSession.setState({
        result: outcome,
        trainedRevision: project.revision,
        trainedBackboneId: project.backboneId,
        predictions: null,
      });
  } catch (error) {
    session.notify('error', `Training failed: ${messageOf(error)}. Your images and classes are unchanged.`);
  } finally {
    useSession.setState({ busy: null, progress: null });
  }
}

export function cancelTraining(): void {
  void getEngine().cancel();
}

export async function predict(file: File): Promise<void> {
  try {
    const image = (await toIncoming(file)).file;
    const predictions = await getEngine().predict(image);
    useSession.setState({ predictions, predictionSource: file.name });
  } catch (error) {
    useSession.getState().notify('error', messageOf(error));
  }
}

/** Zips model.json, weights.bin and metadata.json on the page and saves `<project>-model.zip`. */
export async function downloadModel(): Promise<void> {
  const project = useProject.getState();
  useSession.setState({ busy: 'exporting' });
  try {
    const files = await getEngine().exportModel(slug(project.name));
    const zip = zipSync({
      'model.json': strToU8(files.modelJson),
      'weights.bin': files.weights,
      'metadata.json': strToU8(files.metadataJson),
    });
    saveBlob(new Blob([zip as Uint8Array<ArrayBuffer>], { type: 'application/zip' }), `${slug(project.name)}-model.zip`);
  } catch (error) {
    useSession.getState().notify('error', `The model could not be exported: ${messageOf(error)}`);
  } finally {
    useSession.setState({ busy: null });
  }
}

export function slug(name: string): string {
  return (
    name
      .trim()
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'project'
  );
}

export function saveBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
