/**
 * What adapter training sees, as training/train_adapter.py builds it: the site's labelled slices
 * (the scan's own axial slices, spaced so held-out slices remain between them), taken on the
 * model's grid exactly as segment() feeds the model, cut into random crops with flips.
 */
import type { Manifest } from "../manifest/schema";
import type { Tensor } from "../pipeline/runner";
import { alignReference } from "../metrics/evaluate";
import { resolveConvention, type ConventionId } from "../metrics/conventions";
import { modelInput } from "../pipeline/segment";
import { applyAffine, invert4 } from "../volume/affine";
import { resampleNearest, type Grid } from "../volume/grid";
import type { Volume } from "../volume/types";

/** A request the training cannot meet (no labelled slice, a slice outside the scan, a bad rank): the user's to fix. */
export class AdaptError extends Error {
  override name = "AdaptError";
}

/** The scan's voxel axis closest to superior-inferior (its axial slices), as sites.py's through_plane_axis. */
export function throughPlaneAxis(affine: number[]): number {
  let best = 0, score = -1;
  for (let c = 0; c < 3; c++) {
    const norm = Math.hypot(affine[c], affine[4 + c], affine[8 + c]);
    const s = Math.abs(affine[8 + c]) / norm;
    if (s > score) [best, score] = [c, s];
  }
  return best;
}

/** Voxels with tissue (class > 0) per slice along `axis`. */
export function tissuePerSlice(classes: ArrayLike<number>, dims: [number, number, number], axis: number): number[] {
  const counts = new Array<number>(dims[axis]).fill(0);
  for (let k = 0, d = 0; k < dims[2]; k++)
    for (let j = 0; j < dims[1]; j++)
      for (let i = 0; i < dims[0]; i++, d++) if (classes[d] > 0) counts[axis === 0 ? i : axis === 1 ? j : k]++;
  return counts;
}

/** Up to n slices with tissue, evenly spread, at least 2·gap+2 apart (train_adapter.py's choose_slices). */
export function chooseSlices(counts: number[], n: number, gap: number): number[] {
  const max = Math.max(...counts);
  const idx = counts.flatMap((c, i) => (c > 0.05 * max ? [i] : []));
  if (!idx.length || n < 1) return [];
  const a = idx[0], b = idx[idx.length - 1];
  const stride = Math.max(2 * gap + 2, (b - a + 1) / n);
  // Python's round() rounds halves to even; match it so both pick the same slices
  const roundHalfEven = (x: number) => (Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : Math.round(x));
  return Array.from({ length: n }, (_, i) => roundHalfEven(a + stride / 2 + i * stride)).filter((p) => p <= b);
}

/** The model-grid axial index nearest the centre of scan slice `index` along `axis` (sites.py's model_slice_of). */
export function modelSliceOf(scan: Volume, axis: number, index: number, grid: Grid): number {
  const centre = scan.dims.map((n) => (n - 1) / 2);
  centre[axis] = index;
  const w = applyAffine(scan.affine, centre[0], centre[1], centre[2]);
  const v = applyAffine(invert4(grid.affine), w[0], w[1], w[2]);
  return Math.round(v[2]);
}

/** One labelled model-grid slice: 2k+1 context slices [C, H, W] and classes [H, W]. */
export interface TrainingSlice {
  image: Float32Array;
  labels: Uint8Array;
  channels: number;
  height: number;
  width: number;
}

/** The scan and its reference on the model's grid, ready to cut training slices from. */
export interface SiteOnModelGrid {
  grid: Grid;
  image: Float32Array;
  labels: Uint8Array;
  /** The reference as model classes on the scan's own grid (for choosing and scoring slices). */
  classesOnScan: Uint8Array;
}

export function siteOnModelGrid(scan: Volume, reference: Volume, convention: ConventionId, manifest: Manifest): SiteOnModelGrid {
  const { classes } = alignReference(reference, scan, resolveConvention(manifest, convention));
  const { grid, image } = modelInput(scan, manifest);
  const labels = resampleNearest({ dims: scan.dims, affine: scan.affine, data: classes }, grid);
  return { grid, image, labels, classesOnScan: classes };
}

/** Model-grid slice k with its context (zeros beyond the volume), as the model is fed. */
export function trainingSlice(site: SiteOnModelGrid, k: number, contextSlices: number): TrainingSlice {
  const [nx, ny, nz] = site.grid.dims;
  const plane = nx * ny;
  const C = 2 * contextSlices + 1;
  const image = new Float32Array(C * plane);
  for (let c = 0; c < C; c++) {
    const z = k - contextSlices + c;
    if (z >= 0 && z < nz) image.set(site.image.subarray(z * plane, (z + 1) * plane), c * plane);
  }
  return { image, labels: site.labels.slice(k * plane, (k + 1) * plane), channels: C, height: ny, width: nx };
}

/** mulberry32: a small seeded generator, so a training run repeats exactly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * One training batch as train_adapter.py draws it: per item a random slice, a size² crop around a
 * random labelled pixel (zero-padded past the edge), a left-right flip half the time, intensity
 * ×U(0.9, 1.1); labels are class indices (background past the edge).
 */
const foreground = new WeakMap<TrainingSlice, Uint32Array>();
/** The slice's labelled pixels (crop centres), listed once per slice rather than once per crop. */
function foregroundOf(s: TrainingSlice): Uint32Array {
  let fg = foreground.get(s);
  if (!fg) {
    let n = 0;
    for (let p = 0; p < s.labels.length; p++) if (s.labels[p]) n++;
    fg = new Uint32Array(n);
    for (let p = 0, i = 0; p < s.labels.length; p++) if (s.labels[p]) fg[i++] = p;
    foreground.set(s, fg);
  }
  return fg;
}

export function sampleBatch(slices: TrainingSlice[], rand: () => number, batch = 8, size = 128, zoom = 0, gainJitter = 0.1): { image: Tensor; labels: Uint8Array } {
  const C = slices[0].channels;
  const px = size * size;
  const x = new Float32Array(batch * C * px);
  const labels = new Uint8Array(batch * px);
  const pick = (n: number) => Math.min(n - 1, Math.floor(rand() * n));
  for (let b = 0; b < batch; b++) {
    const s = slices[pick(slices.length)];
    const { width: W, height: H } = s;
    const fg = foregroundOf(s);
    const centre = fg.length ? fg[pick(fg.length)] : Math.floor(H / 2) * W + Math.floor(W / 2);
    const cy = Math.floor(centre / W), cx = centre % W;
    const flip = rand() < 0.5;
    const gain = 1 - gainJitter + 2 * gainJitter * rand();
    if (zoom > 0) {
      // anatomy of another size: the crop is resampled by a factor drawn log-uniformly in [1/(1+zoom), 1+zoom]
      const scale = Math.exp((2 * rand() - 1) * Math.log1p(zoom));
      zoomedCrop(s, cy, cx, scale, flip, gain, size, x.subarray(b * C * px, (b + 1) * C * px), labels.subarray(b * px, (b + 1) * px));
      continue;
    }
    const oy = Math.min(Math.max(cy - size / 2, 0), Math.max(H - size, 0));
    const ox = Math.min(Math.max(cx - size / 2, 0), Math.max(W - size, 0));
    for (let y = 0; y < size; y++) {
      const sy = oy + y;
      if (sy >= H) break;
      for (let xx = 0; xx < size; xx++) {
        const sx = ox + xx;
        if (sx >= W) break;
        const dx = flip ? size - 1 - xx : xx;
        for (let c = 0; c < C; c++) x[(b * C + c) * px + y * size + dx] = s.image[c * H * W + sy * W + sx] * gain;
        labels[b * px + y * size + dx] = s.labels[sy * W + sx];
      }
    }
  }
  return { image: { data: x, dims: [batch, C, size, size] }, labels };
}

/**
 * A size² crop centred on (cy, cx) of a slice shown `scale` times larger (scale > 1 enlarges the
 * anatomy): image bilinear, labels nearest, zero / background past the slice's edge.
 */
function zoomedCrop(s: TrainingSlice, cy: number, cx: number, scale: number, flip: boolean, gain: number, size: number, x: Float32Array, labels: Uint8Array): void {
  const { width: W, height: H, channels: C } = s;
  const plane = H * W, px = size * size;
  for (let y = 0; y < size; y++) {
    const fy = cy + (y - size / 2) / scale;
    for (let xx = 0; xx < size; xx++) {
      const fx = cx + (xx - size / 2) / scale;
      const dx = flip ? size - 1 - xx : xx;
      const ny = Math.round(fy), nx = Math.round(fx);
      if (ny >= 0 && ny < H && nx >= 0 && nx < W) labels[y * size + dx] = s.labels[ny * W + nx];
      const y0 = Math.floor(fy), x0 = Math.floor(fx), wy = fy - y0, wx = fx - x0;
      for (let c = 0; c < C; c++) {
        const at = (yy: number, xq: number) => (yy >= 0 && yy < H && xq >= 0 && xq < W ? s.image[c * plane + yy * W + xq] : 0);
        const v = (1 - wy) * ((1 - wx) * at(y0, x0) + wx * at(y0, x0 + 1)) + wy * ((1 - wx) * at(y0 + 1, x0) + wx * at(y0 + 1, x0 + 1));
        x[c * px + y * size + dx] = v * gain;
      }
    }
  }
}

/**
 * Crops shown in a random contrast: each item's intensities go through its own random
 * piecewise-linear curve (0 stays 0; values at 1/4, 1/2, 3/4 and 1 drawn from U(0, 1), so any
 * ordering of tissues can occur). Training asks the adapter to give the base's own prediction on
 * these, so it learns the site's contrast without changing what the base does on others.
 */
export function randomContrast(image: Tensor, rand: () => number): Tensor {
  const [N, C, H, W] = image.dims;
  const data = Float32Array.from(image.data);
  const per = C * H * W;
  for (let n = 0; n < N; n++) {
    const knots = [0, rand(), rand(), rand(), rand()];
    for (let i = n * per; i < (n + 1) * per; i++) {
      const t = Math.min(Math.max(data[i], 0), 1) * 4;
      const k = Math.min(Math.floor(t), 3);
      data[i] = knots[k] + (knots[k + 1] - knots[k]) * (t - k);
    }
  }
  return { data, dims: image.dims };
}
