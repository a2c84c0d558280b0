/**
 * SVG needs a DOM to render, which the worker lacks, so the page draws it once
 * into a bounded PNG (vector art has no "full resolution" to protect).
 */
const SVG_RASTER_SIZE = 512;

export function isSvgFile(file: File): boolean {
  return file.type === 'image/svg+xml' || /\.svgz?$/i.test(file.name);
}

export async function rasterizeSvg(file: Blob): Promise<Blob> {
  const url = URL.createObjectURL(file);
  try {
    const image = new Image();
    image.src = url;
    await image.decode();
    const width = image.naturalWidth || SVG_RASTER_SIZE;
    const height = image.naturalHeight || SVG_RASTER_SIZE;
    const scale = SVG_RASTER_SIZE / Math.max(width, height);
    const canvas = new OffscreenCanvas(Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale)));
    canvas.getContext('2d')!.drawImage(image, 0, 0, canvas.width, canvas.height);
    return await canvas.convertToBlob({ type: 'image/png' });
  } finally {
    URL.revokeObjectURL(url);
  }
}
