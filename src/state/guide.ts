/**
 * What a first-timer needs to know at each step, derived from the stores:
 * whether Train can run (and if not, the one thing to do), whether the model
 * is ready or out of date and by how much, and plain-words results.
 */
import { create } from 'zustand';
import { minimumPerClass } from '../ml/split';
import { useProject, type ClassInfo } from './project';
import { useSession, type TrainedOutcome } from './session';
import { useStartup } from './startup';

/** Sample ids the current model was trained on; null when unknown (e.g. restored after a reload when already out of date). */
export const useTrainedSamples = create<{ ids: Set<string> | null }>()(() => ({ ids: null }));

function sampleIds(classes: ClassInfo[]): Set<string> {
  return new Set(classes.flatMap((c) => c.samples.map((s) => s.id)));
}

// A new model (trained now, or restored with an up-to-date project) was trained on exactly the samples the project has now.
useSession.subscribe((state, previous) => {
  if (state.result === previous.result && state.trainedRevision === previous.trainedRevision) return;
  const project = useProject.getState();
  useTrainedSamples.setState({
    ids: state.result && state.trainedRevision === project.revision ? sampleIds(project.classes) : null,
  });
});

// Messages about a refused run describe a project that has changed since: drop them when it does.
useProject.subscribe((state, previous) => {
  if (state.classes === previous.classes && state.settings === previous.settings) return;
  const session = useSession.getState();
  session.notices.filter((n) => n.cause === 'train').forEach((n) => session.dismiss(n.id));
});

export type TrainState =
  | { kind: 'blocked'; text: string }
  | { kind: 'ready'; text: string }
  | { kind: 'training'; text: string }
  | { kind: 'trained'; text: string }
  | { kind: 'stale'; text: string };

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : word.endsWith('s') ? 'es' : 's'}`;

/** Why Train cannot run yet, as one short instruction; null when it can. */
export function blockingReason(classes: ClassInfo[], validationSplit: number): string | null {
  const filled = classes.filter((c) => c.samples.length > 0);
  if (filled.length < 2) {
    const missing = 2 - filled.length;
    const empty = classes.filter((c) => c.samples.length === 0).map((c) => `"${c.name}"`);
    if (empty.length === 0) return 'Add a class and give it photos.';
    if (missing === 2) return `Add photos to 2 classes (${empty.slice(0, 2).join(' and ')}).`;
    return `Add photos to 1 more class (${empty.slice(0, 2).join(' or ')}).`;
  }
  const names = new Map<string, string>();
  for (const c of filled) {
    const key = c.name.trim().toLowerCase();
    if (names.has(key)) return `Two classes are both named "${names.get(key)}": rename one.`;
    names.set(key, c.name.trim());
  }
  const min = minimumPerClass(validationSplit);
  const small = filled.filter((c) => c.samples.length < min);
  if (small.length > 0) {
    return `Add photos: ${small.map((c) => `"${c.name}" needs ${plural(min - c.samples.length, 'more photo')}`).join(', ')}.`;
  }
  return null;
}

/** What has changed since the model was trained, in words; null when nothing has. */
export function staleness(classes: ClassInfo[], trainedIds: Set<string> | null): string {
  if (!trainedIds) return 'Out of date: the classes changed since training. Train again.';
  const now = sampleIds(classes);
  let added = 0;
  let removed = 0;
  now.forEach((id) => trainedIds.has(id) || added++);
  trainedIds.forEach((id) => now.has(id) || removed++);
  const parts = [added > 0 && plural(added, 'new image'), removed > 0 && `${plural(removed, 'image')} removed`].filter(Boolean);
  return `Out of date: ${parts.length > 0 ? parts.join(', ') : 'the classes changed'}. Train again.`;
}

/** The one line beside Train. */
export function useTrainState(): TrainState {
  const classes = useProject((s) => s.classes);
  const revision = useProject((s) => s.revision);
  const split = useProject((s) => s.settings.validationSplit);
  const busy = useSession((s) => s.busy);
  const progress = useSession((s) => s.progress);
  const last = useSession((s) => s.history.at(-1));
  const result = useSession((s) => s.result);
  const trainedRevision = useSession((s) => s.trainedRevision);
  const trainedIds = useTrainedSamples((s) => s.ids);
  const opening = useStartup((s) => s.opening);
  // The classes are placeholders until the saved project is open: no advice about them.
  if (opening) return { kind: 'blocked', text: 'Opening your project…' };
  if (busy === 'training') {
    if (progress?.phase === 'training' || (!progress && last)) {
      const done = progress?.phase === 'training' ? progress.done : last!.epoch;
      const total = progress?.phase === 'training' ? progress.total : last!.epochs;
      return { kind: 'training', text: `Training ${done} / ${total}` };
    }
    if (progress?.phase === 'embedding') return { kind: 'training', text: `Reading photos ${progress.done} / ${progress.total}` };
    if (progress?.phase === 'augmenting') return { kind: 'training', text: `Making varied copies ${progress.done} / ${progress.total}` };
    return { kind: 'training', text: 'Getting ready to train…' };
  }
  const reason = blockingReason(classes, split);
  if (result && trainedRevision !== null) {
    if (trainedRevision === revision) return { kind: 'trained', text: 'Model ready' };
    return reason ? { kind: 'blocked', text: `${staleness(classes, trainedIds)} ${reason}` } : { kind: 'stale', text: staleness(classes, trainedIds) };
  }
  if (reason) return { kind: 'blocked', text: reason };
  const images = classes.reduce((n, c) => n + c.samples.length, 0);
  return { kind: 'ready', text: `Ready to train on ${plural(images, 'photo')} in ${plural(classes.filter((c) => c.samples.length > 0).length, 'class')}.` };
}

/** The headline and advice for a finished run, in plain words. */
export function plainResult(result: TrainedOutcome): { headline: string; advice: string[] } {
  const { validation, history } = result;
  const advice: string[] = [];
  if (!validation || validation.count === 0) {
    return {
      headline: 'Model ready',
      advice: ['No photos were kept aside to check it, so there is no score. Try it on new photos in step 3.'],
    };
  }
  const right = validation.confusion.reduce((sum, row, i) => sum + row[i], 0);
  const headline = `Model ready: ${right} of ${validation.count} check photos right`;
  if (validation.count < 20) {
    advice.push(
      `Only ${validation.count === 1 ? '1 photo was' : `${validation.count} photos were`} kept aside to check the model, so this score can easily be off. Add more photos to each class for a surer score.`,
    );
  }
  const last = history.at(-1);
  if (last && last.valAccuracy !== null && last.accuracy - last.valAccuracy > 0.1) {
    advice.push(
      `It gets ${Math.round(last.accuracy * 100)}% of its training photos right but ${Math.round(last.valAccuracy * 100)}% of the check photos: it may have memorised the training photos (over-fitting). More varied photos, fewer epochs or augmentation (Settings → More options) help.`,
    );
  }
  return { headline, advice };
}

/** The colour each class has on its card, in the preview and the charts (by position, so it is stable). */
export const CLASS_COLOURS = ['#1a73e8', '#d93025', '#188038', '#e37400', '#8430ce', '#007b83', '#c5221f', '#5f6368'];
export function classColour(index: number): string {
  return CLASS_COLOURS[((index % CLASS_COLOURS.length) + CLASS_COLOURS.length) % CLASS_COLOURS.length];
}
