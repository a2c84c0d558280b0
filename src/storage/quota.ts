/** Telling "storage is full" apart from other failures, on both sides of the engine boundary (no IndexedDB here). */

/** True for the browser's "storage is full" failures (the name differs between engines and layers). */
export function isQuotaError(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name ?? '';
  return name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED' || /quota/i.test(String(error));
}

export const QUOTA_MESSAGE =
  'The browser has no more storage space for this site. Everything up to this point is saved; ' +
  'delete images or projects, or export the project as a zip, to make room.';
