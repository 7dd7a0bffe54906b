// The mask is shown through niivue's drawing layer, not as an overlay volume: an overlay makes
// niivue re-render every layer slice by slice on the GPU (seconds of a blocked page under software
// WebGL), while a drawing is one 8-bit texture upload and a 256-entry colour table. Pure: no DOM.
import type { VoxelArray } from "../../core/volume/types";

/** The drawing value of voxels where two masks disagree (compare view), drawn over every class. */
export const DISAGREE = 255;
const DISAGREE_RGBA = [255, 0, 255, 255];

export interface LutClass {
  index: number;
  color: [number, number, number];
}

/**
 * For each native voxel axis, the offset of each index in niivue's RAS-ordered textures, from the
 * image's `permRAS` (niivue's own rule, as in its loadDrawing): drawing[xs[i] + ys[j] + zs[k]] is
 * native voxel (i, j, k).
 */
export function rasOffsets(dims: readonly [number, number, number], permRAS: readonly number[]): [Int32Array, Int32Array, Int32Array] {
  const layout = [0, 0, 0];
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) if (Math.abs(permRAS[i]) - 1 === j) layout[j] = i * Math.sign(permRAS[i]);
  }
  const stride = [1, 1, 1];
  const flip = [false, false, false];
  let s = 1;
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      if (Math.abs(layout[j]) !== i) continue;
      stride[j] = s;
      flip[j] = layout[j] < 0 || Object.is(layout[j], -0);
      s *= dims[j];
    }
  }
  const table = (axis: number) => Int32Array.from({ length: dims[axis] }, (_, n) => (flip[axis] ? dims[axis] - 1 - n : n) * stride[axis]);
  return [table(0), table(1), table(2)];
}

/**
 * The drawing bytes for `labels` (native voxel order) in RAS order, with voxels where `diff` is
 * non-zero set to DISAGREE. Written into `out` when it is given (and the right size). Only native
 * slices `fromK` to `toK` (exclusive) when given: a large mask is written a slab per task.
 */
export function maskBitmap(labels: VoxelArray, dims: readonly [number, number, number], offsets: [Int32Array, Int32Array, Int32Array], diff: VoxelArray | null, out?: Uint8Array, fromK = 0, toK = dims[2]): Uint8Array {
  const [nx, ny, nz] = dims;
  const bitmap = out && out.length === nx * ny * nz ? out : new Uint8Array(nx * ny * nz);
  const [xs, ys, zs] = offsets;
  let n = fromK * nx * ny;
  for (let k = fromK; k < Math.min(toK, nz); k++) {
    for (let j = 0; j < ny; j++) {
      const base = zs[k] + ys[j];
      for (let i = 0; i < nx; i++, n++) bitmap[base + xs[i]] = diff && diff[n] ? DISAGREE : labels[n];
    }
  }
  return bitmap;
}

/**
 * niivue's drawing colour table (256 RGBA entries): each class in its colour at `opacity`, the
 * background and hidden classes transparent, disagreement opaque magenta.
 */
export function maskLut(classes: readonly LutClass[], hidden: readonly number[], opacity: number): Uint8ClampedArray {
  const lut = new Uint8ClampedArray(256 * 4);
  const alpha = Math.round(Math.min(1, Math.max(0, opacity)) * 255);
  for (const c of classes) {
    if (c.index <= 0 || c.index >= DISAGREE) continue;
    lut.set([...c.color, hidden.includes(c.index) ? 0 : alpha], c.index * 4);
  }
  lut.set(DISAGREE_RGBA, DISAGREE * 4);
  return lut;
}
