/**
 * Backbone choices on the page: which catalog backbones can be loaded here (and why
 * not), what the backbone sees (ImageNet labels), and Compare backbones.
 */
import { create } from 'zustand';
import type { BackboneSource, ClassImagenetView, CompareProgress, ImagenetView } from '../engine/api';
import { BACKBONES } from '../engine/api';
import { getEngine, remoteCallback } from '../engine/engine';
import { chooseBackbone, messageOf, train } from './actions';
import { useProject } from './project';
import { useSession } from './session';

interface BackboneState {
  /** Per catalog id; null until the engine has checked. */
  sources: Map<string, BackboneSource> | null;
  compareProgress: CompareProgress | null;
  /** The test image's ImageNet labels, for the image they belong to. */
  imagenet: { image: Blob; view: ImagenetView | null; error: string | null } | null;
  /** Per class id: its most frequent ImageNet labels, being computed (null view) or shown. */
  classLabels: Record<string, { view: ClassImagenetView | null; error: string | null }>;
}

export const useBackbones = create<BackboneState>()(() => ({ sources: null, compareProgress: null, imagenet: null, classLabels: {} }));

let checking: Promise<void> | null = null;

/** Asks the engine where each backbone loads from; unavailable ones are shown so in the picker. */
export function checkBackboneSources(): Promise<void> {
  checking ??= getEngine()
    .backboneSources(navigator.onLine)
    .then((list) => useBackbones.setState({ sources: new Map(list.map((s) => [s.id, s])) }))
    .catch((error) => {
      checking = null;
      useSession.getState().notify('warning', `Could not check which backbones are available: ${messageOf(error)}`);
    });
  return checking;
}

/** The backbone whose eyes the labels come from: the trained model's, else the project's. */
function currentBackboneId(): string {
  return useSession.getState().trainedBackboneId ?? useProject.getState().backboneId;
}

/** ImageNet top-3 of the current test image ("what the backbone sees"). */
export async function labelTestImage(image: Blob): Promise<void> {
  useBackbones.setState({ imagenet: { image, view: null, error: null } });
  const update = (change: { view: ImagenetView | null; error: string | null }) =>
    useBackbones.setState((s) => (s.imagenet?.image === image ? { imagenet: { image, ...change } } : {}));
  try {
    update({ view: await getEngine().imagenetLabels(image, currentBackboneId()), error: null });
  } catch (error) {
    update({ view: null, error: messageOf(error) });
  }
}

/** The most frequent ImageNet labels of one class's images. */
export async function labelClass(classId: string): Promise<void> {
  const info = useProject.getState().classes.find((c) => c.id === classId);
  if (!info) return;
  const set = (entry: { view: ClassImagenetView | null; error: string | null }) =>
    useBackbones.setState((s) => ({ classLabels: { ...s.classLabels, [classId]: entry } }));
  set({ view: null, error: null });
  try {
    set({ view: await getEngine().classImagenetLabels(info.samples.map((s) => s.id), useProject.getState().backboneId), error: null });
  } catch (error) {
    set({ view: null, error: messageOf(error) });
  }
}

export function hideClassLabels(classId: string): void {
  useBackbones.setState((s) => {
    const { [classId]: _, ...rest } = s.classLabels;
    return { classLabels: rest };
  });
}

/** Trains the project's head on every available backbone with the same split and seed, and keeps the table with the project. */
export async function compareBackbones(): Promise<void> {
  const session = useSession.getState();
  await checkBackboneSources();
  const sources = useBackbones.getState().sources;
  const available = BACKBONES.filter((b) => sources?.get(b.id)?.available !== false);
  const skipped = BACKBONES.flatMap((b) => {
    const s = sources?.get(b.id);
    return s && !s.available ? [{ title: b.title, reason: s.reason }] : [];
  });
  const project = useProject.getState();
  useSession.setState({ busy: 'comparing' });
  let finished = false;
  try {
    const result = await getEngine().compareBackbones(
      {
        backboneIds: available.map((b) => b.id),
        skipped,
        classes: project.classes.map((c) => ({ name: c.name.trim(), sampleIds: c.samples.map((s) => s.id) })),
        settings: project.settings,
      },
      remoteCallback((progress: CompareProgress) => finished || useBackbones.setState({ compareProgress: progress })),
    );
    finished = true;
    if (result === null) session.notify('info', 'Comparison cancelled. The earlier table, if any, is kept.');
    else if ('refused' in result) session.notify('error', result.refused);
    else useProject.setState({ comparison: result });
  } catch (error) {
    session.notify('error', `Comparing backbones failed: ${messageOf(error)}`);
  } finally {
    finished = true;
    useSession.setState({ busy: null });
    useBackbones.setState({ compareProgress: null });
  }
}

export function cancelComparison(): void {
  void getEngine().cancelComparison();
}

/** Switches to a compared backbone with the head trained on it (or, if that is gone, trains one now). */
export async function switchToComparedBackbone(backboneId: string): Promise<void> {
  const { comparison, classes } = useProject.getState();
  const filled = classes.filter((c) => c.samples.length > 0);
  // The held head fits only the classes and images it was trained on.
  const same =
    comparison !== null &&
    filled.map((c) => c.name.trim()).join('\n') === comparison.labels.join('\n') &&
    filled.reduce((n, c) => n + c.samples.length, 0) === comparison.images;
  try {
    // The backbone changes first: the model is saved as trained at the revision that names it.
    if (same) useProject.getState().setBackbone(backboneId);
    const revision = useProject.getState().revision;
    const outcome = same ? await getEngine().useComparedModel(backboneId, comparison.labels, revision) : null;
    if (!outcome || outcome.status !== 'trained') {
      // Not held any more (a reload, another comparison, changed classes): train it afresh on that backbone.
      await chooseBackbone(backboneId);
      await train();
      return;
    }
    if (outcome.saveProblem) useSession.getState().notify('warning', `The model is ready to use, but it will not be kept after a reload: ${outcome.saveProblem}`);
    useSession.setState({
      history: outcome.history,
      result: outcome,
      trainedRevision: revision,
      trainedBackboneId: backboneId,
      predictions: null,
    });
  } catch (error) {
    useSession.getState().notify('error', `Could not switch backbone: ${messageOf(error)}`);
  }
}
