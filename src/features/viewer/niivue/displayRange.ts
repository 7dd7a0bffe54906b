// A scan's starting window, worked out in steps the page can breathe between. It is niivue's own
// rule (NVImage.calMinMax: the 2nd to 98th percentile of the central half-box, zeros ignored when
// most voxels are zero), which niivue runs in one go when it builds an image: 100+ ms for a
// 98 MB scan. Non-finite voxels are left out (niivue leaves out only NaN).
import type { VoxelArray } from "../../../core/volume/types";

export interface DisplayRange {
  /** The window to start with. */
  cal: [number, number];
  /** The lowest and highest voxel niivue's rule looked at (the central box, or all of it). */
  global: [number, number];
  /** True when zeros were left out of the percentiles (more than 60 % of voxels were zero). */
  ignoreZero: boolean;
}

const BINS = 1001;
const PERCENTILE = 0.02;

/** Voxel indices of the central half-box (a quarter of each axis off each side), or all of them. */
function* boxIndices(dims: [number, number, number], border: boolean, stepVoxels: number): Generator<[number, number][], void> {
  const [nx, ny, nz] = dims;
  const b = border ? dims.map((n) => Math.floor(0.25 * n)) : [0, 0, 0];
  // runs of voxels along x, batched so that a batch covers about stepVoxels
  let batch: [number, number][] = [];
  let count = 0;
  for (let z = b[2]; z < nz - b[2]; z++) {
    for (let y = b[1]; y < ny - b[1]; y++) {
      const start = (z * ny + y) * nx + b[0];
      batch.push([start, start + nx - 2 * b[0]]);
      count += nx - 2 * b[0];
      if (count >= stepVoxels) {
        yield batch;
        batch = [];
        count = 0;
      }
    }
  }
  if (batch.length) yield batch;
}

/**
 * The range, one step of about `stepVoxels` voxels per `yield`; the generator's return value is
 * the result. Stored values are the shown ones (volumeImage's header: slope 1, intercept 0).
 */
export function* displayRangeSteps(data: VoxelArray, dims: [number, number, number], stepVoxels = 1 << 20, border = true): Generator<void, DisplayRange> {
  let mn = Infinity;
  let mx = -Infinity;
  let zeros = 0;
  let skipped = 0;
  let n = 0;
  for (const runs of boxIndices(dims, border, stepVoxels)) {
    for (const [a, b] of runs) {
      n += b - a;
      for (let i = a; i < b; i++) {
        const v = data[i];
        if (!Number.isFinite(v)) skipped++;
        else {
          if (v === 0) zeros++;
          if (v < mn) mn = v;
          if (v > mx) mx = v;
        }
      }
    }
    yield;
  }
  const ignoreZero = n > 0 && zeros / n > 0.6;
  const counted = n - skipped - (ignoreZero ? zeros : 0);
  const nTail = Math.round(counted * PERCENTILE);
  if (nTail < 1 || !(mx > mn)) {
    if (border) return yield* displayRangeSteps(data, dims, stepVoxels, false);
    const lo = Number.isFinite(mn) ? mn : 0;
    const hi = Number.isFinite(mx) ? mx : 0;
    return { cal: [lo, hi], global: [lo, hi], ignoreZero };
  }
  const perBin = (BINS - 1) / (mx - mn);
  const hist = new Float64Array(BINS);
  for (const runs of boxIndices(dims, border, stepVoxels)) {
    for (const [a, b] of runs) {
      for (let i = a; i < b; i++) {
        const v = data[i];
        if (Number.isFinite(v) && !(ignoreZero && v === 0)) hist[Math.round((v - mn) * perBin)]++;
      }
    }
    yield;
  }
  let lo = 0;
  for (let seen = 0; seen < nTail; lo++) seen += hist[lo];
  lo--;
  let hi = BINS;
  for (let seen = 0; seen < nTail; ) seen += hist[--hi];
  // one bin holds both tails: widen to the nearest occupied bin either side
  if (lo === hi) {
    for (;;) {
      if (lo > 0 && hist[--lo] > 0) break;
      if (hi < BINS - 1 && hist[++hi] > 0) break;
      if (lo === 0 && hi === BINS - 1) break;
    }
  }
  const low = lo / perBin + mn;
  return { cal: [ignoreZero ? Math.min(low, 0) : low, hi / perBin + mn], global: [mn, mx], ignoreZero };
}

/** displayRangeSteps run to its end in one go. */
export function displayRange(...args: Parameters<typeof displayRangeSteps>): DisplayRange {
  const steps = displayRangeSteps(...args);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}
