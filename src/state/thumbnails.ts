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

/** Asks the engine for every thumbnail requested in this frame in one call. */
function request(id: string): Promise<string | null> {
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
    batch.get(id)!.forEach((resolve) => resolve(url));
  });
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
    void request(id).then((loaded) => live && setUrl(loaded ?? undefined));
    return () => {
      live = false;
    };
  }, [id]);
  return url;
}
