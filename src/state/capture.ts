/**
 * Webcam actions: captured frames become samples through the engine's import
 * path (thumbnail and count update as each batch lands), and live-preview
 * frames are classified by the engine. Bitmaps are transferred, never copied.
 */
import * as Comlink from 'comlink';
import type { ClassProbability } from '../engine/api';
import { getEngine } from '../engine/engine';
import { messageOf } from './actions';
import { useProject, type Sample } from './project';
import { useSession } from './session';
import { primeThumbnails } from './thumbnails';

let frameNumber = 0;

/** Stores frames in a class; returns how many were kept. Closes the bitmaps in every case. */
export async function addCapturedFrames(classId: string, bitmaps: ImageBitmap[]): Promise<number> {
  if (bitmaps.length === 0) return 0;
  const stamp = new Date().toISOString().slice(0, 19).replace(/[-:T]/g, '');
  const frames = bitmaps.map((bitmap) => ({ bitmap, name: `webcam-${stamp}-${++frameNumber}.jpg` }));
  const target = useProject.getState().classes.find((c) => c.id === classId);
  if (!target) {
    // The class was deleted while recording: drop what arrived for it.
    bitmaps.forEach((b) => b.close());
    return 0;
  }
  try {
    const result = await getEngine().importFrames(Comlink.transfer(frames, bitmaps), { classId, className: target.name });
    primeThumbnails(result.accepted);
    const samples: Sample[] = result.accepted.map((a) => ({ id: a.id, name: a.name }));
    useProject.getState().addSamples(classId, samples);
    for (const r of result.rejected) useSession.getState().notify('warning', `A webcam frame was skipped: ${r.reason}.`);
    return samples.length;
  } catch (error) {
    bitmaps.forEach((b) => b.close());
    useSession.getState().notify('error', `Webcam frames could not be stored: ${messageOf(error)}. The images added before are kept.`);
    return 0;
  }
}

/** Class probabilities for one video frame (closed by the engine). */
export function predictVideoFrame(bitmap: ImageBitmap): Promise<ClassProbability[]> {
  return getEngine().predictFrame(Comlink.transfer(bitmap, [bitmap]));
}
