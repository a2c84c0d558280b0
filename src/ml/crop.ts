/** Cropping arithmetic, free of tfjs so the image decoder's worker can use it without loading tfjs. */

export interface CropRect {
  sx: number;
  sy: number;
  size: number;
}

/** The centred square of a width × height image: Teachable Machine crops the same way. */
export function centerSquare(width: number, height: number): CropRect {
  const size = Math.min(width, height);
  return { sx: Math.floor((width - size) / 2), sy: Math.floor((height - size) / 2), size };
}
