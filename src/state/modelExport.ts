/** Downloading the trained model in the format the user picked (see ui/export/formats.ts). */
import type { ExportProgress } from '../engine/api';
import { getEngine, remoteCallback } from '../engine/engine';
import type { ExportFormatId } from '../ui/export/formats';
import { downloadModel, messageOf, saveBlob, slug } from './actions';
import { useProject } from './project';
import { useSession } from './session';

export interface DownloadedModel {
  /** The model file's name and size (the TF.js format: the zip's). */
  modelFileName: string;
  modelBytes: number;
  zipBytes: number;
  seconds: number;
}

/**
 * Exports the model in `format` (written in the worker; the page only saves the
 * zip) and downloads it. Resolves to what was saved, or null when it failed: the
 * user has been told why.
 */
export async function downloadModelAs(format: ExportFormatId, onProgress?: (progress: ExportProgress) => void): Promise<DownloadedModel | null> {
  const started = performance.now();
  if (format === 'tfjs') {
    const size = await downloadModel();
    return size === null ? null : { modelFileName: `${slug(useProject.getState().name)}-model.zip`, modelBytes: size, zipBytes: size, seconds: (performance.now() - started) / 1000 };
  }
  useSession.setState({ busy: 'exporting' });
  try {
    const file = await getEngine().exportModelAs(format, slug(useProject.getState().name), onProgress && remoteCallback(onProgress));
    saveBlob(new Blob([file.bytes as Uint8Array<ArrayBuffer>], { type: 'application/zip' }), file.fileName);
    return { modelFileName: file.modelFileName, modelBytes: file.modelBytes, zipBytes: file.bytes.length, seconds: file.seconds };
  } catch (error) {
    useSession.getState().notify('error', `The model could not be exported: ${messageOf(error)}`);
    return null;
  } finally {
    useSession.setState({ busy: null });
  }
}
