// The mask is shown through niivue's drawing layer, not as an overlay volume: an overlay makes
// niivue re-render every layer slice by slice on the GPU (seconds of a blocked page under software
// WebGL), while a drawing is one 8-bit texture upload and a 256-entry colour table. Pure: no DOM.
import type { VoxelArray } from "../../../core/volume/types";

/**
 * The compare view's disagreement, told apart from the mask (drawing values): each differing voxel
 * drawn in the shown mask's own class colour, opaque (OPAQUE + class), so switching Base and
 * Base + adapter changes the colours there; the voxels around them (a face neighbour differs, they
 * do not) drawn in translucent magenta (DISAGREE), an outline. Around, not on the region's edge:
 * a disagreement is mostly single voxels and bands one or two thick, which an edge on it would
 * cover whole; translucent, so the outline (up to six voxels to one that differs) does not bury
 * the differing voxels' colours (seen on the FreeSurfer T1 sample, e2e/compare.spec.ts).
 */
export const DISAGREE = 255;
export const OPAQUE = 128;
const DISAGREE_RGBA = [255, 0, 255, 150];

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

/** A differing voxel's drawing value: its class made opaque (the background left clear). */
const opaque = (label: number) => (label > 0 && label < OPAQUE ? OPAQUE + label : 0);

/**
 * The drawing bytes for `labels` (native voxel order) in RAS order, with the disagreement `diff`
 * (non-zero where two masks differ) drawn over them as OPAQUE and DISAGREE say. Written into
 * `out` when it is given (and the right size). Only native slices `fromK` to `toK` (exclusive)
 * when given: a large mask is written a slab per task.
 */
export function maskBitmap(labels: VoxelArray, dims: readonly [number, number, number], offsets: [Int32Array, Int32Array, Int32Array], diff: VoxelArray | null, out?: Uint8Array, fromK = 0, toK = dims[2]): Uint8Array {
  const [nx, ny, nz] = dims;
  const bitmap = out && out.length === nx * ny * nz ? out : new Uint8Array(nx * ny * nz);
  const [xs, ys, zs] = offsets;
  const lastK = Math.min(toK, nz);
  let n = fromK * nx * ny;
  for (let k = fromK; k < lastK; k++) {
    for (let j = 0; j < ny; j++) {
      const base = zs[k] + ys[j];
      if (diff) for (let i = 0; i < nx; i++, n++) bitmap[base + xs[i]] = diff[n] ? opaque(labels[n]) : labels[n];
      else for (let i = 0; i < nx; i++, n++) bitmap[base + xs[i]] = labels[n];
    }
  }
  if (diff) outline(diff, dims, offsets, bitmap, fromK, lastK);
  return bitmap;
}

/**
 * The outline: each face neighbour of a differing voxel, itself not differing, set to DISAGREE;
 * only those in native slices fromK to toK, from the differing voxels one slice beyond. Driven by
 * the differing voxels (a tenth of the brain's at most), not a look around every voxel: that was
 * 3-4 times the slab's time.
 */
function outline(diff: VoxelArray, dims: readonly [number, number, number], offsets: [Int32Array, Int32Array, Int32Array], bitmap: Uint8Array, fromK: number, toK: number) {
  const [nx, ny, nz] = dims;
  const [xs, ys, zs] = offsets;
  const plane = nx * ny;
  const mark = (m: number, i: number, j: number, k: number) => {
    if (k >= fromK && k < toK && !diff[m]) bitmap[zs[k] + ys[j] + xs[i]] = DISAGREE;
  };
  for (let k = Math.max(0, fromK - 1); k < Math.min(nz, toK + 1); k++) {
    for (let j = 0, n = k * plane; j < ny; j++) {
      for (let i = 0; i < nx; i++, n++) {
        if (!diff[n]) continue;
        if (i > 0) mark(n - 1, i - 1, j, k);
        if (i < nx - 1) mark(n + 1, i + 1, j, k);
        if (j > 0) mark(n - nx, i, j - 1, k);
        if (j < ny - 1) mark(n + nx, i, j + 1, k);
        if (k > 0) mark(n - plane, i, j, k - 1);
        if (k < nz - 1) mark(n + plane, i, j, k + 1);
      }
    }
  }
}

/** The disagreement alone (no mask), in native voxel order: the oblique path's overlay volume. */
export function disagreementLayer(labels: VoxelArray | null, dims: readonly [number, number, number], diff: VoxelArray): Uint8Array {
  const layer = maskBitmap(labels ?? new Uint8Array(diff.length), dims, rasOffsets(dims, [1, 2, 3]), diff);
  for (let n = 0; n < layer.length; n++) if (layer[n] < OPAQUE) layer[n] = 0;
  return layer;
}

/**
 * niivue's drawing colour table (256 RGBA entries): each class in its colour at `opacity`, and
 * opaque at OPAQUE + its index (a differing voxel); the background and hidden classes
 * transparent; the disagreement's outline translucent magenta.
 */
export function maskLut(classes: readonly LutClass[], hidden: readonly number[], opacity: number): Uint8ClampedArray {
  const lut = new Uint8ClampedArray(256 * 4);
  const alpha = Math.round(Math.min(1, Math.max(0, opacity)) * 255);
  for (const c of classes) {
    if (c.index <= 0 || c.index >= OPAQUE) continue;
    const shown = !hidden.includes(c.index);
    lut.set([...c.color, shown ? alpha : 0], c.index * 4);
    lut.set([...c.color, shown ? 255 : 0], (OPAQUE + c.index) * 4);
  }
  lut.set(DISAGREE_RGBA, DISAGREE * 4);
  return lut;
}
