/**
 * What went wrong with the camera, in words a person can act on. Every
 * message says the images collected so far are kept, because they are.
 */
export type CameraProblem = 'denied' | 'missing' | 'busy' | 'disconnected' | 'unsupported' | 'failed';

const KEPT = 'The images you collected are kept.';

export function cameraProblemOf(error: unknown): CameraProblem {
  const name = error instanceof Error || error instanceof DOMException ? error.name : '';
  switch (name) {
    case 'NotAllowedError':
    case 'PermissionDeniedError':
    case 'SecurityError':
      return 'denied';
    case 'NotFoundError':
    case 'DevicesNotFoundError':
    case 'OverconstrainedError':
      return 'missing';
    case 'NotReadableError':
    case 'TrackStartError':
    case 'AbortError':
      return 'busy';
    default:
      return 'failed';
  }
}

export function cameraMessage(problem: CameraProblem, detail?: string): string {
  switch (problem) {
    case 'denied':
      return `Camera permission was denied. Allow the camera for this site (the camera icon in the address bar), then press Try again. ${KEPT}`;
    case 'missing':
      return `No camera was found. Connect a camera and press Try again, or add images from files. ${KEPT}`;
    case 'busy':
      return `The camera is in use by another app or could not be started. Close the other app and press Try again. ${KEPT}`;
    case 'disconnected':
      return `The camera stopped (it was unplugged or switched off). Reconnect it and press Try again. ${KEPT}`;
    case 'unsupported':
      return `This browser cannot use a camera on this page (it needs a secure https:// or localhost address). ${KEPT}`;
    case 'failed':
      return `The camera could not be started${detail ? `: ${detail}` : ''}. ${KEPT}`;
  }
}

export function cameraErrorMessage(error: unknown): string {
  const problem = cameraProblemOf(error);
  return cameraMessage(problem, problem === 'failed' ? (error instanceof Error ? error.message : String(error)) : undefined);
}
