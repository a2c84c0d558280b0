/**
 * The page's thumbnails: only those in view are asked for (the engine reads them
 * from the database), kept in a bounded most-recently-used cache, so a project of
 * 20,000 images holds a few hundred thumbnails in the page, not 20,000.
 */
import { useEffect, useState } from 'react';
import { getEngine } from '../engine/engine';

/** Thumbnails kept; a few screens of grids. Older ones are dropped (data: URLs need no revoking). */
const CAPACITY = 1500;

const cache = new Map<string, string>();
const waiting = new Map<string, ((url: string | null) => void)[]>();
let flushScheduled = false;

function remember(id: string, url: string): void {
  cache.delete(id);
  cache.set(id, url);
  while (cache.size > CAPACITY) cache.delete(cache.keys().next().value!);
}

/** Thumbnails the engine made at import: the page shows them without asking again. */
export function primeThumbnails(entries: { id: string; thumbUrl: string }[]): void {
  for (const { id, thumbUrl } of entries) remember(id, thumbUrl);
}

export function cachedThumbnail(id: string): string | undefined {
  const url = cache.get(id);
  if (url !== undefined) remember(id, url);
  return url;
}

export function thumbnailCacheSize(): number {
  return cache.size;
}

/** A thumbnail from the engine; every one asked for in the same frame comes in one call. */
export function loadThumbnail(id: string): Promise<string | null> {
  return new Promise((resolve) => {
    const list = waiting.get(id);
    if (list) list.push(resolve);
    else waiting.set(id, [resolve]);
    if (!flushScheduled) {
      flushScheduled = true;
      requestAnimationFrame(() => void flush());
    }
  });
}

async function flush(): Promise<void> {
  flushScheduled = false;
  const batch = new Map(waiting);
  waiting.clear();
  const ids = [...batch.keys()];
  let urls: (string | null)[];
  try {
    urls = await getEngine().thumbnails(ids);
  } catch {
    urls = ids.map(() => null);
  }
  ids.forEach((id, i) => {
    const url = urls[i];
    if (url) remember(id, url);
  });
  // Each tile shown is an image for the page to load and lay out; a reopened project's
  // grids ask for a few hundred at once, and showing them all in one task made it a long one.
  for (let start = 0; start < ids.length; start += SHOWN_PER_TASK) {
    if (start > 0) await afterRendering();
    for (let i = start; i < Math.min(ids.length, start + SHOWN_PER_TASK); i++) batch.get(ids[i])!.forEach((resolve) => resolve(urls[i]));
  }
}

/**
 * Thumbnails handed to their tiles in one task. Each `<img>` given a data: URL is
 * loaded in that same task (ResourceFetcher::requestResource): a trace of a reload
 * had 24 of them take a 114 ms task with 33 ms of CPU, the rest waiting for a core
 * while the engine starts up. At 8, no such task reached 60 ms in three traced reloads.
 */
export const SHOWN_PER_TASK = 8;

/**
 * The next slice goes in a timer task, not the project's yieldToEventLoop: the
 * slices are for the page to render between, and MessageChannel tasks can all
 * run before its next rendering. (With them, a CI run's reopen had a 210 ms
 * task; with timers the same test stayed at 84 ms and below.)
 */
function afterRendering(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}


/** The thumbnail of a sample: at once when cached, else once the engine has read it. */
export function useThumbnail(id: string): string | undefined {
  const [url, setUrl] = useState(() => cachedThumbnail(id));
  useEffect(() => {
    const known = cachedThumbnail(id);
    if (known) {
      setUrl(known);
      return;
    }
    let live = true;
    void loadThumbnail(id).then((loaded) => live && setUrl(loaded ?? undefined));
    return () => {
      live = false;
    };
  }, [id]);
  return url;
}
