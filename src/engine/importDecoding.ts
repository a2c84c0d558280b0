/**
 * Decoding for import, on its own thread. Each imported image is read and
 * decoded once: its check, thumbnail and model-sized pixels come from that
 * decode. The engine's thread is busy embedding during a large import, and a
 * busy thread answers a decode's many small steps (read, decode, encode the
 * thumbnail) late: measured in Chromium, 8 decodes in flight took 7 ms an image
 * on an idle worker and 285 ms on one running the backbone. So imports are
 * decoded in a worker of their own (decode.worker.ts) and only the results come
 * back to the engine, one message per chunk.
 */
import * as Comlink from 'comlink';
import type { IncomingFile } from './api';
import { mapConcurrently } from './concurrency';
import { centerSquarePixels, dataUrlOfBytes, decodeImage, ImageRejected, modelPixels, readBlobs, readSmallFiles, THUMBNAIL_SIZE, thumbnailOf } from './images';

/** Images decoded at once: file reads and decodes run outside the calling thread, so several in flight overlap them. */
export const DECODES_IN_FLIGHT = 8;

export type DecodeOutcome =
  | { ok: true; name: string; thumbnail: Uint8Array<ArrayBuffer>; thumbUrl: string; width: number; height: number; pixels?: Uint8ClampedArray }
  | { ok: false; name: string; reason: string };

export type DecodeFiles = (files: IncomingFile[], embedSize: number | null) => Promise<DecodeOutcome[]>;

/** A decoded image whose thumbnail is still a Blob: withThumbnailBytes reads a chunk's thumbnails in one go. */
export type DecodedPending = Omit<DecodeOutcome & { ok: true }, 'thumbnail' | 'thumbUrl'> & { thumbnail: Blob };

/**
 * One decode serves the thumbnail, the size check and (when a backbone is known)
 * the embedding's pixels. `size` is the whole image's, when the bitmap is smaller.
 */
export async function decodedFromBitmap(
  bitmap: ImageBitmap,
  name: string,
  embedSize: number | null,
  size: { width: number; height: number } = bitmap,
): Promise<DecodedPending> {
  const pixels = embedSize ? centerSquarePixels(bitmap, embedSize) : undefined;
  return { ok: true, name, thumbnail: await thumbnailOf(bitmap), width: size.width, height: size.height, pixels };
}

/** An image refused at import, with the reason the page shows. */
export type Refused = Extract<DecodeOutcome, { ok: false }>;

/** Gives each decoded image its thumbnail's bytes (all read in one go) and data URL; refusals pass through. */
export async function withThumbnailBytes<Extra extends object = object>(
  outcomes: ((DecodedPending & Extra) | Refused)[],
): Promise<((Extract<DecodeOutcome, { ok: true }> & Extra) | Refused)[]> {
  const decoded = outcomes.filter((o): o is DecodedPending & Extra => o.ok);
  const bytes = decoded.length > 0 ? await readBlobs(decoded.map((o) => o.thumbnail)) : [];
  let next = 0;
  return outcomes.map((outcome) => {
    if (!outcome.ok) return outcome;
    // A copy of its own: a view would store (and transfer) the whole chunk's buffer.
    const thumbnail = bytes[next++].slice();
    return { ...outcome, thumbnail, thumbUrl: dataUrlOfBytes(thumbnail) };
  });
}

/** Decodes files on the calling thread (the decode worker's, or the engine's when no worker can start). */
export const decodeFilesHere: DecodeFiles = async (files, embedSize) => {
  const read = await readSmallFiles(files.map(({ file }) => file));
  const outcomes = await mapConcurrently(files, DECODES_IN_FLIGHT, async ({ file, name }, index): Promise<DecodedPending | Refused> => {
    let bitmap: ImageBitmap | undefined;
    try {
      // Decoded no larger than the embedding and the thumbnail need (the same size modelPixels decodes to).
      const decoded = await decodeImage(file, Math.max(embedSize ?? THUMBNAIL_SIZE, THUMBNAIL_SIZE), read[index]);
      read[index] = undefined;
      bitmap = decoded.bitmap;
      return await decodedFromBitmap(bitmap, name, embedSize, decoded);
    } catch (error) {
      return { ok: false, name, reason: error instanceof ImageRejected ? error.message : `it could not be read: ${String(error)}` };
    } finally {
      bitmap?.close();
    }
  });
  return withThumbnailBytes(outcomes);
};

/** Decodes a stored image to model-sized pixels (the background embedder's images not decoded at import). */
export type DecodePixels = (blob: Blob, size: number) => Promise<Uint8ClampedArray>;

/** What decode.worker.ts exposes. */
export interface DecodeWorkerApi {
  decode: DecodeFiles;
  pixels: DecodePixels;
}

/** The worker's side: decodes, and hands the pixel buffers over instead of copying them. */
export const decodeWorkerApi: DecodeWorkerApi = {
  async decode(files, embedSize) {
    const outcomes = await decodeFilesHere(files, embedSize);
    return Comlink.transfer(
      outcomes,
      outcomes.flatMap((o) => (o.ok ? [o.thumbnail.buffer, ...(o.pixels ? [o.pixels.buffer as ArrayBuffer] : [])] : [])),
    );
  },
  async pixels(blob, size) {
    const pixels = await modelPixels(blob, size);
    return Comlink.transfer(pixels, [pixels.buffer as ArrayBuffer]);
  },
};

/**
 * Decoding in a worker of its own, started on first use; if it cannot start
 * (or stops), decoding falls back to the calling thread, so an import still
 * works, only slower.
 */
export function decodingWorker(start: () => Worker): DecodeWorkerApi {
  let worker: { remote: Comlink.Remote<DecodeWorkerApi>; stopped: WorkerStopped } | null = null;
  let broken = typeof Worker === 'undefined';
  const here: DecodeWorkerApi = { decode: decodeFilesHere, pixels: modelPixels };
  const connect = () => {
    if (!worker) {
      const started = start();
      const stopped = new WorkerStopped();
      started.addEventListener('error', (event) => stopped.stop(new Error(`the decoding worker stopped: ${event.message ?? 'unknown error'}`)));
      worker = { remote: Comlink.wrap<DecodeWorkerApi>(started), stopped };
    }
    return worker;
  };
  /** Runs `call` in the worker; on any failure of the worker itself, here from then on. */
  const run = async <T>(call: (api: DecodeWorkerApi) => Promise<T>, rejectsItself: boolean): Promise<T> => {
    if (broken) return call(here);
    let connected: ReturnType<typeof connect>;
    try {
      connected = connect();
    } catch (error) {
      console.warn('Decoding on the engine thread:', error);
      broken = true;
      return call(here);
    }
    try {
      return await connected.stopped.race(call(connected.remote as unknown as DecodeWorkerApi));
    } catch (error) {
      // A refused image is the image's fault, not the worker's.
      if (rejectsItself && !(error instanceof Error && error.message.startsWith('the decoding worker stopped'))) throw error;
      console.warn('Decoding on the engine thread:', error);
      broken = true;
      return call(here);
    }
  };
  return {
    decode: (files, embedSize) => run((api) => api.decode(files, embedSize), false),
    pixels: (blob, size) => run((api) => api.pixels(blob, size), true),
  };
}

/**
 * Ends a worker's calls early when the worker stops. Each call waits on a promise
 * of its own, dropped when the call ends. Racing every call against one promise
 * that stays pending for the worker's life kept every call's result reachable:
 * each race leaves a reaction on that promise, and in Chromium the reaction holds
 * the race's promise and so its result. That was every imported chunk's pixels,
 * about 200 KB an image (a heap snapshot of the engine after 800 images: 219 MB
 * of pixel buffers, all retained through the one pending promise).
 */
export class WorkerStopped {
  private reason: Error | null = null;
  private readonly waiting = new Set<(reason: Error) => void>();

  stop(reason: Error): void {
    this.reason ??= reason;
    for (const reject of this.waiting) reject(this.reason);
    this.waiting.clear();
  }

  /** The call's result, or a rejection if the worker stops first. */
  async race<T>(call: Promise<T>): Promise<T> {
    if (this.reason) throw this.reason;
    let reject!: (reason: Error) => void;
    const stopped = new Promise<never>((_, rejectStopped) => (reject = rejectStopped));
    this.waiting.add(reject);
    try {
      return await Promise.race([call, stopped]);
    } finally {
      this.waiting.delete(reject);
    }
  }

  /** Calls waiting now. */
  get pending(): number {
    return this.waiting.size;
  }
}
