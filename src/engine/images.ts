/**
 * Decoding and checking images inside the worker: sniffing formats by their
 * bytes, refusing broken files with a reason a person can act on, and
 * producing thumbnails and model-sized pixels with createImageBitmap.
 */
import { centerSquare } from '../ml/crop';

export type ImageKind = 'jpeg' | 'png' | 'gif' | 'webp' | 'bmp' | 'avif' | 'ico' | 'svg';

/** Anything larger is refused before decoding: it would need gigabytes of memory. */
export const MAX_PIXELS = 200_000_000;

export const THUMBNAIL_SIZE = 96;

/** A file that cannot become a sample; `message` names the reason. */
export class ImageRejected extends Error {}

export function sniffImageKind(head: Uint8Array): ImageKind | null {
  const starts = (...bytes: number[]) => bytes.every((b, i) => head[i] === b);
  const ascii = (from: number, text: string) => [...text].every((ch, i) => head[from + i] === ch.charCodeAt(0));
  if (starts(0xff, 0xd8, 0xff)) return 'jpeg';
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'png';
  if (ascii(0, 'GIF87a') || ascii(0, 'GIF89a')) return 'gif';
  if (ascii(0, 'RIFF') && ascii(8, 'WEBP')) return 'webp';
  if (ascii(0, 'BM')) return 'bmp';
  if (ascii(4, 'ftypavif') || ascii(4, 'ftypavis')) return 'avif';
  if (starts(0, 0, 1, 0)) return 'ico';
  const text = new TextDecoder().decode(head).trimStart().toLowerCase();
  if (text.startsWith('<svg') || (text.startsWith('<?xml') && text.includes('<svg'))) return 'svg';
  return null;
}

/** Width and height from the header, without decoding, so huge images can be refused cheaply. */
export function headerDimensions(kind: ImageKind, head: Uint8Array): { width: number; height: number } | null {
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  if (kind === 'png' && head.length >= 24) return { width: view.getUint32(16), height: view.getUint32(20) };
  if (kind === 'gif' && head.length >= 10) return { width: view.getUint16(6, true), height: view.getUint16(8, true) };
  if (kind === 'jpeg') {
    // Walk the marker segments up to the first start-of-frame.
    let offset = 2;
    while (offset + 9 < head.length) {
      if (head[offset] !== 0xff) return null;
      const marker = head[offset + 1];
      const length = view.getUint16(offset + 2);
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { height: view.getUint16(offset + 5), width: view.getUint16(offset + 7) };
      }
      offset += 2 + length;
    }
  }
  return null;
}

/** JPEG and PNG end with a known marker; without it the file was cut short. */
export function looksTruncated(kind: ImageKind, tail: Uint8Array): boolean {
  if (kind === 'jpeg') {
    for (let i = tail.length - 2; i >= 0; i--) if (tail[i] === 0xff && tail[i + 1] === 0xd9) return false;
    return true;
  }
  if (kind === 'png') {
    const text = String.fromCharCode(...tail.slice(-16));
    return !text.includes('IEND');
  }
  return false;
}

/** Files up to this size are read whole before decoding; larger ones only their head and tail. */
export const HEAD_BYTES = 128 * 1024;
const TAIL_BYTES = 1024;

/** A decoded image, with the size of the whole image (the bitmap may be smaller: see decodeImage). */
export interface DecodedImage {
  bitmap: ImageBitmap;
  width: number;
  height: number;
}

/**
 * Checks a file and decodes it (first frame for animations, EXIF orientation
 * applied). Throws ImageRejected with a user-facing reason. With `minSide`, a
 * JPEG at least twice that on its short side may be decoded straight to a
 * smaller size (see jpegDecodeScale); `width` and `height` are the whole image's.
 */
export async function decodeImage(file: Blob, minSide?: number, bytes?: Uint8Array<ArrayBuffer>): Promise<DecodedImage> {
  if (file.size === 0) throw new ImageRejected('the file is empty (0 bytes)');
  // A file that fits is read whole (unless the caller read it: see readSmallFiles); a slice would be one more blob for the browser to register.
  const head = bytes?.length === file.size ? bytes : new Uint8Array(await (file.size <= HEAD_BYTES ? file : file.slice(0, HEAD_BYTES)).arrayBuffer());
  const kind = sniffImageKind(head);
  if (kind === null) {
    throw new ImageRejected(`not an image${file.type ? ` (${file.type})` : ''}: supported are JPEG, PNG, GIF, WebP, BMP, AVIF and SVG`);
  }
  if (kind === 'svg') throw new ImageRejected('SVG images must be converted to PNG first');
  // Most photos fit in the head read; each further read of a dropped file is a round trip to the browser.
  const tail = file.size <= head.length ? head.subarray(Math.max(0, head.length - TAIL_BYTES)) : new Uint8Array(await file.slice(Math.max(0, file.size - TAIL_BYTES)).arrayBuffer());
  if (looksTruncated(kind, tail)) throw new ImageRejected(`the ${kind.toUpperCase()} file is truncated (it ends before the image does)`);
  const dims = headerDimensions(kind, head);
  if (dims && dims.width * dims.height > MAX_PIXELS) {
    throw new ImageRejected(
      `the image is ${dims.width}×${dims.height} pixels, more than the ${MAX_PIXELS / 1e6} megapixel limit; scale it down first`,
    );
  }
  const eighths = kind === 'jpeg' && dims && minSide ? jpegDecodeScale(dims, minSide) : 8;
  if (eighths <= 4 && dims && typeof ImageDecoder !== 'undefined') {
    const scaled = await decodeJpegScaled(file.size <= head.length ? head : file, dims, eighths).catch(() => null);
    if (scaled) return scaled;
  }
  try {
    // A JPEG has no alpha, and skipping un-premultiplied decoding makes it about a third faster.
    const bitmap = await createImageBitmap(file, kind === 'jpeg' ? { imageOrientation: 'from-image' } : { imageOrientation: 'from-image', premultiplyAlpha: 'none' });
    return { bitmap, width: bitmap.width, height: bitmap.height };
  } catch (error) {
    throw new ImageRejected(
      `the ${kind.toUpperCase()} file could not be decoded (it is corrupt or unsupported): ${error instanceof Error ? error.message : error}`,
    );
  }
}

/**
 * The smallest scale, in eighths, at which a JPEG of these (stored) dimensions
 * still has a short side of at least `minSide`: JPEG decoders can decode at
 * n/8 of the size for much less work than the whole image.
 */
export function jpegDecodeScale(dims: { width: number; height: number }, minSide: number): number {
  const short = Math.min(dims.width, dims.height);
  for (let eighths = 1; eighths < 8; eighths++) if (Math.floor((short * eighths) / 8) >= minSide) return eighths;
  return 8;
}

/**
 * Decodes a JPEG at eighths/8 of its size with WebCodecs' ImageDecoder, which
 * (unlike createImageBitmap) decodes straight to the smaller size: a 12 MP
 * photo took 20 ms at 1/8 instead of 190 ms in this Chromium. The frame carries
 * the EXIF orientation, which drawing it (here into the bitmap) applies.
 */
async function decodeJpegScaled(data: Blob | Uint8Array<ArrayBuffer>, dims: { width: number; height: number }, eighths: number): Promise<DecodedImage> {
  const bytes = data instanceof Blob ? await data.arrayBuffer() : data;
  const decoder = new ImageDecoder({
    data: bytes,
    type: 'image/jpeg',
    desiredWidth: Math.ceil((dims.width * eighths) / 8),
    desiredHeight: Math.ceil((dims.height * eighths) / 8),
  });
  try {
    const { image } = await decoder.decode();
    try {
      const bitmap = await createImageBitmap(image);
      // VideoFrame.rotation (newer than TypeScript's DOM types): the EXIF turn, applied when drawn.
      const rotation = (image as VideoFrame & { rotation?: number }).rotation ?? 0;
      const turned = rotation === 90 || rotation === 270;
      return { bitmap, width: turned ? dims.height : dims.width, height: turned ? dims.width : dims.height };
    } finally {
      image.close();
    }
  } finally {
    decoder.close();
  }
}

/**
 * The centre square of an image at size × size, flattened onto white so that
 * transparent pixels have a defined colour. Returns RGBA bytes.
 */
export function centerSquarePixels(bitmap: ImageBitmap, size: number): Uint8ClampedArray {
  const canvas = drawCenterSquare(bitmap, size);
  return canvas.getContext('2d')!.getImageData(0, 0, size, size).data;
}

/**
 * One canvas per size, reused for every image. A canvas's pixels live outside
 * the JavaScript heap, so the garbage collector does not hurry to free them:
 * two new canvases per imported photo piled up hundreds of megabytes during a
 * large import. Reuse is safe because every use reads the canvas back
 * (getImageData, or convertToBlob, which copies the pixels when called) in the
 * same synchronous turn that drew it.
 */
const squareCanvases = new Map<number, OffscreenCanvasRenderingContext2D>();

function drawCenterSquare(bitmap: ImageBitmap, size: number): OffscreenCanvas {
  let context = squareCanvases.get(size);
  if (!context) {
    context = new OffscreenCanvas(size, size).getContext('2d', { willReadFrequently: true })!;
    context.imageSmoothingEnabled = true;
    context.imageSmoothingQuality = 'high';
    squareCanvases.set(size, context);
  }
  const { sx, sy, size: side } = centerSquare(bitmap.width, bitmap.height);
  context.fillStyle = '#fff';
  context.fillRect(0, 0, size, size);
  context.drawImage(bitmap, sx, sy, side, side, 0, 0, size, size);
  return context.canvas;
}

/** The thumbnail as a JPEG Blob; readBlobs reads many of them back in one go. */
export function thumbnailOf(bitmap: ImageBitmap): Promise<Blob> {
  return drawCenterSquare(bitmap, THUMBNAIL_SIZE).convertToBlob({ type: 'image/jpeg', quality: 0.85 });
}

/** A camera frame as the JPEG file kept for the sample (what a dropped photo would be). */
export async function frameAsJpeg(bitmap: ImageBitmap): Promise<Blob> {
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  canvas.getContext('2d')!.drawImage(bitmap, 0, 0);
  return canvas.convertToBlob({ type: 'image/jpeg', quality: 0.92 });
}

/** Decodes a blob straight to model-sized RGBA pixels (a large JPEG at a fraction of its size), closing the bitmap at once. */
export async function modelPixels(file: Blob, size: number): Promise<Uint8ClampedArray> {
  const { bitmap } = await decodeImage(file, size);
  try {
    return centerSquarePixels(bitmap, size);
  } finally {
    bitmap.close();
  }
}

/** The whole image scaled to fit maxSide (never enlarged), as a JPEG: what the page may show. */
export async function previewOf(file: Blob, maxSide: number): Promise<Blob> {
  const { bitmap } = await decodeImage(file);
  try {
    const scale = Math.min(1, maxSide / Math.max(bitmap.width, bitmap.height));
    const canvas = new OffscreenCanvas(Math.max(1, Math.round(bitmap.width * scale)), Math.max(1, Math.round(bitmap.height * scale)));
    const context = canvas.getContext('2d')!;
    context.fillStyle = '#fff';
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.imageSmoothingQuality = 'high';
    context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    return await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.85 });
  } finally {
    bitmap.close();
  }
}

/**
 * Reads several blobs with one read: each read of a Blob is a round trip to the
 * browser through a shared-memory region of its own (created, filled, mapped
 * and freed by both processes), so a chunk of small files, or a chunk's
 * thumbnails, costs one region instead of one each. The results are views of
 * one buffer: copy any that are stored or transferred on their own.
 */
export async function readBlobs(blobs: readonly Blob[]): Promise<Uint8Array<ArrayBuffer>[]> {
  const all = new Uint8Array(await new Blob(blobs as Blob[]).arrayBuffer());
  let offset = 0;
  return blobs.map((blob) => all.subarray(offset, (offset += blob.size)));
}

/**
 * The whole bytes of the files small enough to be read whole (see HEAD_BYTES),
 * read together; undefined for the others, and for all if that read fails
 * (decodeImage then reads each file itself and names what went wrong).
 */
export async function readSmallFiles(files: readonly Blob[]): Promise<(Uint8Array<ArrayBuffer> | undefined)[]> {
  const small = files.flatMap((file, index) => (file.size > 0 && file.size <= HEAD_BYTES ? [index] : []));
  const read = new Array<Uint8Array<ArrayBuffer> | undefined>(files.length);
  if (small.length < 2) return read;
  try {
    (await readBlobs(small.map((index) => files[index]))).forEach((bytes, k) => (read[small[k]] = bytes));
  } catch {
    // A file changed or vanished since it was picked: each is read on its own.
  }
  return read;
}

/** Small image bytes as a data: URL (for thumbnails: cheap to hand to the page in thousands). */
export function dataUrlOfBytes(bytes: Uint8Array, type = 'image/jpeg'): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return `data:${type};base64,${btoa(binary)}`;
}

/** A small image (bytes, or a Blob as thumbnails were stored before) as a data: URL. */
export async function dataUrlOf(image: Blob | Uint8Array): Promise<string> {
  if (image instanceof Uint8Array) return dataUrlOfBytes(image);
  return dataUrlOfBytes(new Uint8Array(await image.arrayBuffer()), image.type || 'image/jpeg');
}
