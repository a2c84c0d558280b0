/** Reading a project zip (Export project's format) in the worker, before anything is imported. */
import type { ProjectFileReading } from './api';
import { sniffImageKind } from './images';
import { parseProjectZip, ProjectFileRejected } from '../storage/projectZip';

/** Checks a project zip in the worker, where image formats are sniffed; nothing is stored. */
export function readProjectFile(data: Uint8Array): ProjectFileReading {
  try {
    const { json, files } = parseProjectZip(data, {
      isImage: (head) => {
        const kind = sniffImageKind(head);
        return kind !== null && kind !== 'svg';
      },
    });
    return {
      ok: true,
      name: json.name,
      backboneId: json.backboneId,
      settings: json.settings,
      classes: json.classes.map((c) => ({
        name: c.name,
        samples: c.samples.map((s) => ({ name: s.name, file: new Blob([files.get(s.path)! as Uint8Array<ArrayBuffer>]) })),
      })),
    };
  } catch (error) {
    if (error instanceof ProjectFileRejected) return { ok: false, message: error.message };
    throw error;
  }
}
