/**
 * What the user can do, as plain functions over the stores and the engine.
 * Components call these; none of them touches tfjs or pixels beyond thumbnails.
 */
import { isBackendName, type AugmentSettings, type EmbeddingStatus, type CustomChoice, type EngineStatus, type IncomingFile, type Progress } from '../engine/api';
import { rememberedMeasurements, rememberMeasurement } from './backendChoice';
import { getEngine, remoteCallback } from '../engine/engine';
import { yieldToEventLoop } from '../engine/operations';
import { rasterizeSvg, isSvgFile } from './svg';
import { useProject, type Sample } from './project';
import { aheadInOrder } from './aheadInOrder';
import { projectReady } from './startup';
import { primeThumbnails } from './thumbnails';
import { useSession, type ExplanationView } from './session';

/** Longest side of the test-image preview the page shows. */
const PREVIEW_SIZE = 320;

/**
 * Files handed to the engine per call (a dropped folder, a project file's samples),
 * so thumbnails appear while a large drop is read; each call's images are decoded
 * several at once and stored in one transaction.
 */
export const IMPORT_CHUNK = 48;
/** Import calls with the engine at once: one being stored and shown, the next already being decoded. */
export const IMPORTS_AHEAD = 3;

export async function startEngine(search = window.location.search): Promise<void> {
  const requested = new URLSearchParams(search).get('backend');
  const backend = isBackendName(requested) ? requested : undefined;
  try {
    useSession.setState({ backendStatus: null, measuringBackends: backend === undefined });
    const status = await getEngine().start({
      backend,
      appBase: import.meta.env.BASE_URL,
      backboneId: useProject.getState().backboneId,
      rememberedMeasurements: rememberedMeasurements(),
    });
    showBackend(status);
    getEngine().watchEmbedding(remoteCallback((embedding: EmbeddingStatus) => useSession.setState({ embedding })));
    await loadBackbone(useProject.getState().backboneId);
  } catch (error) {
    useSession.setState({ engineError: messageOf(error), measuringBackends: false });
  }
}

function showBackend(status: EngineStatus): void {
  if (status.measurement && !status.remembered) rememberMeasurement(status.measurement);
  useSession.setState({ backend: status.backend, backendNotes: status.notes, backendStatus: status, measuringBackends: false });
}

/** Times every backend again (e.g. after a driver update) and switches to the fastest. */
export async function remeasureBackends(): Promise<void> {
  useSession.setState({ measuringBackends: true });
  try {
    showBackend(await getEngine().remeasureBackends());
  } catch (error) {
    useSession.getState().notify('error', `Measuring the backends failed: ${messageOf(error)}`);
  } finally {
    useSession.setState({ measuringBackends: false });
  }
}

/** Adds files to a class; files that are not usable images are reported by name and skipped. */
export async function importIntoClass(classId: string, files: File[]): Promise<void> {
  await importGroups(() => [{ classId, files }]);
}

/** Adds files grouped by class name (a dropped ImageFolder), creating or merging classes by name. */
export async function importByClassName(groups: Map<string, File[]>): Promise<void> {
  // Class names are matched against the project that is open once it is.
  await importGroups(() => [...groups].map(([name, files]) => ({ classId: useProject.getState().classNamed(name), files })));
}

let importCancelled = false;

/** Stops the running import once the chunks already with the engine are stored; what was imported so far is kept. */
export function cancelImport(): void {
  importCancelled = true;
}

/** True once Cancel was pressed since the import began; import loops check it between chunks. */
export function importWasCancelled(): boolean {
  return importCancelled;
}

export function beginImport(total: number): void {
  importCancelled = false;
  useSession.setState((s) => ({ importing: s.importing + 1, importProgress: { done: 0, total } }));
}

export function endImport(): void {
  useSession.setState((s) => ({ importing: s.importing - 1, importProgress: null }));
}

async function importGroups(target: () => { classId: string; files: File[] }[]): Promise<void> {
  await projectReady();
  const groups = target();
  const session = useSession.getState();
  beginImport(groups.reduce((sum, g) => sum + g.files.length, 0));
  const rejected: { classId: string; text: string }[] = [];
  try {
    for (const { classId, files } of groups) {
      let storageProblem: string | undefined;
      await aheadInOrder({
        count: Math.ceil(files.length / IMPORT_CHUNK),
        ahead: IMPORTS_AHEAD,
        prepare: (index) => {
          const target = useProject.getState().classes.find((c) => c.id === classId);
          // Cancelled, or the class was deleted while its images were read: add no more.
          if (importCancelled || !target) return null;
          const chunk = files.slice(index * IMPORT_CHUNK, (index + 1) * IMPORT_CHUNK);
          return withMetadata(chunk).then(async () => ({ incoming: await Promise.all(chunk.map(toIncoming)), className: target.name }));
        },
        send: ({ incoming, className }) => getEngine().importFiles(incoming, { classId, className }),
        receive: (result, index) => {
          primeThumbnails(result.accepted);
          const samples: Sample[] = result.accepted.map((a) => ({ id: a.id, name: a.name }));
          useProject.getState().addSamples(classId, samples);
          rejected.push(...result.rejected.map((r) => ({ classId, text: `Skipped "${r.name}": ${r.reason.replace(/\.+$/, "")}.` })));
          const count = Math.min(IMPORT_CHUNK, files.length - index * IMPORT_CHUNK);
          useSession.setState((s) => ({ importProgress: s.importProgress && { ...s.importProgress, done: s.importProgress.done + count } }));
          storageProblem ??= result.storageProblem;
          return !storageProblem;
        },
      });
      if (storageProblem) throw new Error(storageProblem);
      if (importCancelled) break;
    }
    if (importCancelled) session.notify('info', 'Import cancelled. The images added before that are kept.');
  } catch (error) {
    session.notify('error', `Import stopped: ${messageOf(error)}. The images added before this point are kept.`);
  } finally {
    endImport();
  }
  for (const { classId, text } of rejected) session.notify('warning', text, { classId });
}

/** Files whose size and date are fetched per task (see withMetadata). */
const METADATA_PER_TASK = 8;

/**
 * A picked file's size and date come from the browser process the first time
 * anything asks: one synchronous round trip per file (0.2–0.4 ms here when idle,
 * far more while the browser is busy). Posting a chunk of 48 such files to the
 * engine asked for all of them in one 10–45 ms task. Asking a few at a time, with
 * the page free to run between, keeps every task short; the post is then quick.
 */
async function withMetadata(files: File[]): Promise<void> {
  for (let start = 0; start < files.length; start += METADATA_PER_TASK) {
    // Reading the size is what fetches the metadata; the value itself is not needed here.
    files.slice(start, start + METADATA_PER_TASK).forEach((file) => file.size);
    await yieldToEventLoop();
  }
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
  // A heatmap being computed would hold up the run (the engine does one thing at a time).
  if (session.explanation?.status === 'running') clearExplanation();
  useSession.setState({ busy: 'training', history: [], progress: null });
  let finished = false;
  try {
    const outcome = await getEngine().train(
      {
        backboneId: project.backboneId,
        settings: project.settings,
        classes: project.classes.map((c) => ({ name: c.name.trim(), sampleIds: c.samples.map((s) => s.id) })),
        revision: project.revision,
      },
      // Callbacks travel on their own message port, so one may land after the result: ignore those.
      remoteCallback({
        onProgress: (progress) => finished || useSession.setState({ progress }),
        onEpoch: (logs) => finished || useSession.setState((s) => ({ history: [...s.history, logs] })),
      }),
    );
    finished = true;
    if (outcome.status === 'refused') session.notify('error', outcome.message, { cause: 'train' });
    else if (outcome.status === 'cancelled') session.notify('info', 'Training cancelled. The previous model, if any, is still in use.');
    else {
      if (outcome.saveProblem) session.notify('warning', `The model is ready to use, but it will not be kept after a reload: ${outcome.saveProblem}`);
      useSession.setState({
        history: outcome.history,
        result: outcome,
        trainedRevision: project.revision,
        trainedBackboneId: project.backboneId,
        predictions: null,
      });
    }
  } catch (error) {
    session.notify('error', `Training failed: ${messageOf(error)}. Your images and classes are unchanged.`);
  } finally {
    finished = true;
    useSession.setState({ busy: null, progress: null });
  }
}

export function cancelTraining(): void {
  void getEngine().cancel();
}

/** Classifies a test image; the page shows the engine's small preview of it, never the full-size file. */
export async function predict(file: File): Promise<void> {
  // The old image's heatmap goes now; one still being computed is stopped so this prediction need not wait.
  clearExplanation();
  try {
    const image = (await toIncoming(file)).file;
    const [preview, predictions] = await Promise.all([getEngine().previewImage(image, PREVIEW_SIZE), getEngine().predict(image)]);
    const previous = useSession.getState().predictionPreview;
    if (previous) URL.revokeObjectURL(previous);
    useSession.setState({ predictions, predictionSource: file.name, predictionPreview: URL.createObjectURL(preview), predictionImage: image });
  } catch (error) {
    useSession.getState().notify('error', messageOf(error));
  }
}

/** Counts explanation requests; answers to an earlier one than the latest are dropped. */
let explanationRun = 0;

/** Computes the occlusion heatmap of the test image for one class ("why this class?") on a cells × cells grid, and shows it. */
export async function explainTestImage(label: string, cells: number): Promise<void> {
  const { predictionImage: image, explanation } = useSession.getState();
  if (!image) return;
  if (explanation?.status === 'running') void getEngine().cancelExplanations();
  const run = ++explanationRun;
  const update = (change: Partial<ExplanationView>) =>
    useSession.setState((s) => (run === explanationRun && s.explanation ? { explanation: { ...s.explanation, ...change } } : {}));
  useSession.setState({ explanation: { label, cells, status: 'running', progress: null, result: null, error: null, shown: true } });
  try {
    const result = await getEngine().explain(
      image,
      { label, cells },
      // Progress travels on its own message port and may land after the result: only count while running.
      remoteCallback((done: number, total: number) => {
        if (useSession.getState().explanation?.status === 'running') update({ progress: { done, total } });
      }),
    );
    if (result) update({ status: 'done', result, progress: null });
    else if (run === explanationRun) useSession.setState({ explanation: null });
  } catch (error) {
    update({ status: 'error', error: messageOf(error), progress: null });
  }
}

/** Drops the heatmap, stopping it in the engine if it is still being computed. */
export function clearExplanation(): void {
  explanationRun++;
  const { explanation } = useSession.getState();
  if (explanation?.status === 'running') void getEngine().cancelExplanations();
  if (explanation) useSession.setState({ explanation: null });
}

/** Shows or hides the computed heatmap without computing it again. */
export function showExplanation(shown: boolean): void {
  useSession.setState((s) => (s.explanation ? { explanation: { ...s.explanation, shown } } : {}));
}

// A heatmap belongs to one test image and one model: drop it when either changes, however that happens.
useSession.subscribe((state, previous) => {
  if (state.explanation && (state.result !== previous.result || state.predictionImage !== previous.predictionImage)) clearExplanation();
});

/**
 * Zips model.json, weights.bin and metadata.json on the page and saves `<project>-model.zip`;
 * resolves to the zip's size in bytes, or null when it failed (the user was told).
 */
export async function downloadModel(): Promise<number | null> {
  const project = useProject.getState();
  useSession.setState({ busy: 'exporting' });
  try {
    const [files, { strToU8, zipSync }] = await Promise.all([getEngine().exportModel(slug(project.name)), import('fflate')]);
    const zip = zipSync({
      'model.json': strToU8(files.modelJson),
      'weights.bin': files.weights,
      'metadata.json': strToU8(files.metadataJson),
    });
    saveBlob(new Blob([zip as Uint8Array<ArrayBuffer>], { type: 'application/zip' }), `${slug(project.name)}-model.zip`);
    return zip.length;
  } catch (error) {
    useSession.getState().notify('error', `The model could not be exported: ${messageOf(error)}`);
    return null;
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

/** Augmented views of one sample as JPEG blobs, or null (with a notice) when they cannot be made. */
export async function previewAugmentation(
  sampleId: string,
  augmentation: AugmentSettings,
  count: number,
  seed: number,
): Promise<Blob[] | null> {
  try {
    return await getEngine().previewAugmentation(sampleId, augmentation, count, seed);
  } catch (error) {
    useSession.getState().notify('error', `The augmentation preview failed: ${messageOf(error)}`);
    return null;
  }
}

/** Moves a sample to another class (e.g. a mislabelled one found in the evaluation views). */
export function moveSample(fromClassId: string, toClassId: string, sampleId: string): void {
  const project = useProject.getState();
  const sample = project.removeSample(fromClassId, sampleId);
  if (!sample) return;
  project.addSamples(toClassId, [sample]);
  void getEngine().moveSamples([sampleId], toClassId);
}

/**
 * Reads a model zip exported by this app as the starting weights for the next
 * runs and selects it; a zip that does not fit is refused with the reason.
 */
export async function importInitialModel(file: File): Promise<void> {
  const session = useSession.getState();
  try {
    // fflate is loaded when first needed: the page's start-up bundle stays small.
    const { strFromU8, unzipSync } = await import('fflate');
    let entries: Record<string, Uint8Array>;
    try {
      entries = unzipSync(new Uint8Array(await file.arrayBuffer()));
    } catch {
      throw new Error(`"${file.name}" is not a zip file.`);
    }
    const missing = ['model.json', 'weights.bin', 'metadata.json'].filter((name) => !entries[name]);
    if (missing.length > 0) throw new Error(`"${file.name}" lacks ${missing.join(', ')}; use a model zip downloaded from this app.`);
    const imported = await getEngine().importInitialModel({
      modelJson: strFromU8(entries['model.json']),
      weights: entries['weights.bin'],
      metadataJson: strFromU8(entries['metadata.json']),
    });
    useSession.setState({ importedModel: { ...imported, fileName: file.name } });
    useProject.getState().setSettings({ initialWeights: 'imported' });
    session.notify('info', `Imported "${imported.modelName}" (${imported.labels.join(', ')}); the next run starts from its weights.`);
  } catch (error) {
    session.notify('error', `That model cannot be used as a starting point: ${messageOf(error)}`);
  }
}

/** Loads a custom backbone (URL or dropped model.json + weights) and shows its layers to choose from. */
export async function inspectCustomBackbone(source: { url: string } | { files: File[] }): Promise<void> {
  const session = useSession.getState();
  useSession.setState({ customModelLoading: true });
  try {
    const request = 'url' in source ? source : { files: source.files.map((file) => ({ file, name: file.name })) };
    const inspected = await getEngine().inspectCustomBackbone(request);
    useSession.setState({ customModel: inspected });
  } catch (error) {
    session.notify('error', `The custom backbone could not be loaded: ${messageOf(error)}`);
  } finally {
    useSession.setState({ customModelLoading: false });
  }
}

/** Trains on the chosen feature layer of the loaded custom model from now on; the choice is kept in the project. */
export async function chooseCustomBackbone(choice: CustomChoice): Promise<void> {
  try {
    const spec = await getEngine().useCustomBackbone(choice);
    const project = useProject.getState();
    project.setCustomBackbone({ ...choice, specId: spec.id, specTitle: spec.title });
    project.setBackbone(spec.id);
  } catch (error) {
    useSession.getState().notify('error', `That feature layer cannot be used: ${messageOf(error)}`);
  }
}
