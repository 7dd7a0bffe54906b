import type { InferenceOption, Manifest } from "../manifest/schema";
import { extremeThreshold, preprocess } from "../preprocess/normalise";
import { modelGrid, resampleLinear, type Grid } from "../volume/grid";
import { voxelSizes } from "../volume/affine";
import { VolumeError, type Volume } from "../volume/types";
import { argmaxNearest, argmaxOnGrid, softmaxToBytes } from "../postprocess/probabilities";
import { zeroFeeds } from "../adapters/adapter";
import { cleanupMask, type CleanupResult } from "../postprocess/cleanup";
import { CancelledError, type InferenceRunner, type Tensor } from "./runner";

export interface SegmentOptions {
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
  /** Adapter tensors for the model's LoRA slots; zeros (the base model) when absent. */
  adapterFeeds?: Record<string, Tensor>;
  /**
   * The mask so far, on the scan's grid (slices not yet run are background), a few times during
   * a long run (PREVIEW_AT): something to show before the end. Nearest-neighbour, so cheap.
   */
  onPreview?: (labels: Uint8Array) => void;
  /** Ids of the manifest's inference options to run (mirrored pass, other planes); the manifest's defaults when absent. */
  options?: readonly string[];
}

/** One run over the scan: slices along `sliceAxis`, the grid mirrored along `mirror` (or not). */
export interface InferencePass { sliceAxis: 0 | 1 | 2; mirror: 0 | 1 | 2 | null }

export class InferenceOptionError extends Error {
  override name = "InferenceOptionError";
}

/** The browser backend family of a runner's backend name ("wasm (2 threads)", "webgpu"); null for others (onnxruntime-node). */
export function backendFamily(backend: string | null | undefined): "wasm" | "webgpu" | null {
  return backend?.startsWith("webgpu") ? "webgpu" : backend?.startsWith("wasm") ? "wasm" : null;
}

/** Why an option on by default stays off by default on this backend (the manifest's `offByDefaultOn`); null when it does not. */
export function offByDefault(option: InferenceOption, backend?: string | null): string | null {
  const family = backendFamily(backend);
  return (option.kind !== "selfAdapt" && family && option.offByDefaultOn?.[family]) || null;
}

/**
 * The manifest's options switched on: the given ids (unknown ones refused, naming those offered),
 * else its defaults, less those it leaves off by default on `backend` (the runner's backend name).
 */
export function enabledOptions(manifest: Manifest, ids?: readonly string[], backend?: string | null): InferenceOption[] {
  const offered = manifest.inference.options;
  if (!ids) return offered.filter((o) => o.default && !offByDefault(o, backend));
  for (const id of ids) {
    if (!offered.some((o) => o.id === id)) {
      throw new InferenceOptionError(`${manifest.name} has no inference option "${id}"; it offers ${offered.length ? offered.map((o) => `"${o.id}"`).join(", ") : "none"}.`);
    }
  }
  return offered.filter((o) => ids.includes(o.id));
}

/**
 * The chosen options that run on this scan, and for each left out the reason the user is shown:
 * a `planes` option with `maxAnisotropy` skips scans with thicker slices (tri-planar fusion took
 * the 5.5 mm T2's CSF Dice from 0.46 to 0.14: model card).
 */
export function scanOptions(manifest: Manifest, scan: Pick<Volume, "affine">, ids?: readonly string[]): { ids: string[]; skipped: string[] } {
  const sizes = voxelSizes(scan.affine);
  const ratio = Math.max(...sizes) / Math.min(...sizes);
  const out = { ids: [] as string[], skipped: [] as string[] };
  for (const o of enabledOptions(manifest, ids)) {
    if (o.kind === "planes" && o.maxAnisotropy !== undefined && !(ratio <= o.maxAnisotropy)) {
      out.skipped.push(`"${o.label}" was skipped: this scan's voxels are ${sizes.map((v) => v.toFixed(2)).join(" × ")} mm, sides ${ratio.toFixed(1)}× apart, and the model takes other planes only up to ${o.maxAnisotropy}×.`);
    } else out.ids.push(o.id);
  }
  return out;
}

/** The options among these that a study or a site adapter's run can use: passes over the scan (flip, planes) and the mask cleanup; not selfAdapt. */
export function passOptions(manifest: Manifest, ids?: readonly string[]): string[] {
  return enabledOptions(manifest, ids).filter((o) => o.kind !== "selfAdapt").map((o) => o.id);
}

/**
 * Every pass the options ask for: the model's own slice axis plus any other planes, each also
 * mirrored when a flip is on. Probabilities of all passes are averaged.
 */
export function inferencePasses(manifest: Manifest, ids?: readonly string[]): InferencePass[] {
  const on = enabledOptions(manifest, ids);
  const axes = [manifest.input.sliceAxis, ...on.flatMap((o) => (o.kind === "planes" ? o.axes : []))];
  const mirrors = [null, ...on.flatMap((o) => (o.kind === "flip" ? [o.axis] : []))];
  const passes: InferencePass[] = [];
  for (const sliceAxis of new Set(axes)) for (const mirror of new Set(mirrors)) passes.push({ sliceAxis, mirror });
  return passes;
}

/**
 * What one pass visits: the slices to run, per axis the offset of each coordinate in the volume
 * (reflected on the mirrored axis: the model sees a mirrored scan and its output lands back where it
 * belongs), and the window of each batch (in the pass's own, possibly mirrored, coordinates).
 */
function passPlan(pass: InferencePass, bounds: SliceBounds, grid: Grid, input: Manifest["input"]) {
  const stride = [1, grid.dims[0], grid.dims[0] * grid.dims[1]];
  const offsets = [0, 1, 2].map((a) => Int32Array.from({ length: grid.dims[a] }, (_, c) => (a === pass.mirror ? grid.dims[a] - 1 - c : c) * stride[a]));
  const slices = grid.dims[pass.sliceAxis];
  const gridSlice = (s: number) => (pass.sliceAxis === pass.mirror ? slices - 1 - s : s);
  const todo: number[] = [];
  for (let s = 0; s < slices; s++) if (bounds.hi[0][gridSlice(s)] >= 0) todo.push(s);
  // the whole pass's window: the foreground's bounding box, padded to a multiple and centred
  const whole = [0, 1].map((k) => {
    let lo = Infinity, hi = -1;
    for (let g = 0; g < slices; g++) {
      if (bounds.hi[k][g] < 0) continue;
      lo = Math.min(lo, bounds.lo[k][g]);
      hi = Math.max(hi, bounds.hi[k][g]);
    }
    const max = Math.floor(input.maxSliceSize[1 - k] / input.multipleOf) * input.multipleOf;
    if (hi < 0) return { start: 0, size: input.multipleOf };
    const size = Math.min(Math.ceil((hi - lo + 1) / input.multipleOf) * input.multipleOf, max);
    return { start: Math.round((lo + hi + 1) / 2 - size / 2), size };
  });
  /**
   * A batch's window: the part of the whole window, in steps of `multipleOf` from its start, that
   * holds the foreground of the batch's slices and their context slices. The steps keep the
   * network's pooling grid where the whole window puts it (a window shifted by a few voxels moved
   * the torchio T2's CSF Dice by 0.02), so a batch's mask is the one the whole window gives, apart
   * from the background beyond its edge; small slices (the top and bottom of the head) run small.
   */
  const windowOf = (batch: number[]): BatchWindow => {
    const lo = [Infinity, Infinity], hi = [-1, -1];
    for (const s of batch) {
      for (let c = -input.contextSlices; c <= input.contextSlices; c++) {
        const g = gridSlice(s) + c;
        if (g < 0 || g >= slices) continue;
        for (const k of [0, 1]) {
          if (bounds.hi[k][g] < 0) continue;
          lo[k] = Math.min(lo[k], bounds.lo[k][g]);
          hi[k] = Math.max(hi[k], bounds.hi[k][g]);
        }
      }
    }
    const m = input.multipleOf;
    const span = (k: number, axis: number) => {
      const { start, size } = whole[k];
      const a = hi[k] < 0 ? start : Math.max(start, start + Math.floor((lo[k] - start) / m) * m);
      const b = hi[k] < 0 ? start + m : Math.min(start + size, start + Math.ceil((hi[k] + 1 - start) / m) * m);
      return { start: axis === pass.mirror ? grid.dims[axis] - a - (b - a) : a, size: b - a };
    };
    return { w: span(0, bounds.axes[0]), h: span(1, bounds.axes[1]), wa: bounds.axes[0], ha: bounds.axes[1] };
  };
  return { todo, offsets, windowOf };
}

/** A batch's window: start and size along the plane's width (`wa`) and height (`ha`) axes. */
interface BatchWindow { w: { start: number; size: number }; h: { start: number; size: number }; wa: number; ha: number }

/** Fractions of the slices to run after which a preview is sent; only for runs of at least MIN_PREVIEW_BATCHES batches. */
const PREVIEW_AT = [0.25, 0.6];
const MIN_PREVIEW_BATCHES = 8;

export interface SegmentResult {
  /** Class index per voxel, on the scan's own grid and affine. */
  labels: Volume & { data: Uint8Array };
  backend: string;
  /** Slices along the model's own slice axis. */
  slices: number;
  /** The manifest's inference options that ran, and the runs over the scan they made (averaged; 1 without options). */
  options: string[];
  passes: number;
  /** When a selfAdapt option ran (core/adapt/self.ts): its training steps, the scan slices it used, its time. */
  selfAdapted?: { steps: number; slices: number[]; ms: { training: number; segmentation: number } };
  /** Options chosen but not run on this scan, each with the reason (scanOptions); empty when none. */
  skipped: string[];
  /** What the user must know before trusting the mask (bad voxels replaced, an empty mask); empty when none. */
  warnings: string[];
  /** When a cleanup option ran: what it changed (the labels above are the cleaned ones). */
  cleanup?: CleanupSummary;
  ms: { preprocess: number; inference: number; postprocess: number; total: number };
}

const now = () => performance.now();

/** What a cleanup option changed, without the labels: what a result, its provenance and the CLI's --json carry. */
export type CleanupSummary = Omit<CleanupResult, "labels"> & { option: string };

/** The mask after the manifest's cleanup option among `options` (at most one runs: the first); the mask itself when none is on. */
function applyCleanup(manifest: Manifest, options: readonly string[], labels: Volume & { data: Uint8Array }): { labels: Uint8Array; cleanup?: CleanupSummary } {
  const o = manifest.inference.options.find((x) => x.kind === "cleanup" && options.includes(x.id));
  if (!o || o.kind !== "cleanup") return { labels: labels.data };
  const { labels: cleaned, ...summary } = cleanupMask(labels, o);
  return { labels: cleaned, cleanup: { option: o.id, ...summary } };
}

/** Plane axes of a slice: width runs along the lower axis, height along the higher one. */
function planeAxes(sliceAxis: number): [number, number] {
  const [w, h] = [0, 1, 2].filter((a) => a !== sliceAxis);
  return [w, h];
}

/**
 * Per slice along `sliceAxis`, the in-plane bounding box of its foreground voxels (lo/hi[0] along the
 * width axis, [1] along the height axis; hi -1 for a slice with none). `foreground` comes from the
 * resampled image before normalisation (above the scan's background), so it does not depend on
 * which preprocessing the manifest names.
 */
type SliceBounds = ReturnType<typeof sliceBounds>;
function sliceBounds(foreground: Uint8Array, grid: Grid, sliceAxis: number) {
  const axes = planeAxes(sliceAxis);
  const [nx, ny, nz] = grid.dims;
  const n = grid.dims[sliceAxis];
  const lo = [new Int32Array(n).fill(2 ** 30), new Int32Array(n).fill(2 ** 30)], hi = [new Int32Array(n).fill(-1), new Int32Array(n).fill(-1)];
  const idx = [0, 0, 0];
  for (let z = 0, d = 0; z < nz; z++) {
    idx[2] = z;
    for (let y = 0; y < ny; y++) {
      idx[1] = y;
      for (let x = 0; x < nx; x++, d++) {
        if (!foreground[d]) continue;
        idx[0] = x;
        const s = idx[sliceAxis];
        for (const k of [0, 1]) {
          const v = idx[axes[k]];
          if (v < lo[k][s]) lo[k][s] = v;
          if (v > hi[k][s]) hi[k][s] = v;
        }
      }
    }
  }
  return { lo, hi, axes };
}

type PassPlan = ReturnType<typeof passPlan> & { pass: InferencePass };

/** The model's input for `batch` (slice indices of the plan's pass): each slice and its context slices, in the batch's window. */
function batchInput(image: Float32Array, grid: Grid, { pass, offsets }: PassPlan, win: BatchWindow, batch: number[], ctx: number): Float32Array {
  const slices = grid.dims[pass.sliceAxis];
  const C = 2 * ctx + 1, W = win.w.size, H = win.h.size;
  const [os, oh, ow] = [offsets[pass.sliceAxis], offsets[win.ha], offsets[win.wa]];
  const x = new Float32Array(batch.length * C * H * W);
  batch.forEach((s, bi) => {
    for (let c = 0; c < C; c++) {
      const sc = slices === 1 ? s : s + c - ctx; // a single slice is its own context (zeros would read as no tissue)
      if (sc < 0 || sc >= slices) continue;
      const off = (bi * C + c) * H * W;
      for (let y = 0; y < H; y++) {
        const gy = win.h.start + y;
        if (gy < 0 || gy >= grid.dims[win.ha]) continue; // a row outside the grid: zeros
        const row = os[sc] + oh[gy];
        for (let xx = 0; xx < W; xx++) {
          const gx = win.w.start + xx;
          if (gx >= 0 && gx < grid.dims[win.wa]) x[off + y * W + xx] = image[row + ow[gx]];
        }
      }
    }
  });
  return x;
}

/** Share of the most frequent class among counted voxels, and that class; a mask this one-sided is one class. */
const ONE_CLASS = 0.99;
function mostFrequent(counts: number[]): { k: number; share: number } {
  const total = counts.reduce((a, b) => a + b, 0);
  const k = counts.indexOf(Math.max(...counts));
  return { k, share: total ? counts[k] / total : 0 };
}

/**
 * An adapter that ruins the output (a wrong alpha, huge weights: the mask empties, or the whole
 * head becomes one class) must not read as the scan's fault. When the adapter's mask is one class
 * over the head (the scan's foreground), the base runs on one batch of the middle slices: if it
 * tells classes apart there, the warning blames the adapter. One batch, and only then.
 */
async function adapterFault(probs: Uint8Array, foreground: Uint8Array, image: Float32Array, grid: Grid, plan: PassPlan, manifest: Manifest, runner: InferenceRunner): Promise<string | null> {
  const K = manifest.classes.length, n = foreground.length;
  const counts = new Array<number>(K).fill(0);
  for (let d = 0; d < n; d++) {
    if (!foreground[d]) continue;
    let best = 0;
    for (let k = 1; k < K; k++) if (probs[k * n + d] > probs[best * n + d]) best = k;
    counts[best]++;
  }
  const adapted = mostFrequent(counts);
  if (adapted.share <= ONE_CLASS || !plan.todo.length) return null;
  const { input } = manifest;
  const mid = Math.max(0, Math.floor((plan.todo.length - input.batchSize) / 2));
  const batch = plan.todo.slice(mid, mid + input.batchSize);
  const { offsets, pass } = plan;
  const win = plan.windowOf(batch);
  const W = win.w.size, H = win.h.size, C = 2 * input.contextSlices + 1;
  const out = await runner.run({ [input.inputName]: { data: batchInput(image, grid, plan, win, batch, input.contextSlices), dims: [batch.length, C, H, W] }, ...zeroFeeds(manifest) });
  const logits = out[input.outputName]?.data;
  if (!logits) return null;
  const base = new Array<number>(K).fill(0);
  const [os, oh, ow] = [offsets[pass.sliceAxis], offsets[win.ha], offsets[win.wa]];
  batch.forEach((s, bi) => {
    for (let y = 0; y < H; y++) {
      const gy = win.h.start + y;
      if (gy < 0 || gy >= grid.dims[win.ha]) continue;
      for (let xx = 0; xx < W; xx++) {
        const gx = win.w.start + xx;
        if (gx < 0 || gx >= grid.dims[win.wa] || !foreground[os[s] + oh[gy] + ow[gx]]) continue;
        let best = 0;
        for (let k = 1; k < K; k++) if (logits[((bi * K + k) * H + y) * W + xx] > logits[((bi * K + best) * H + y) * W + xx]) best = k;
        base[best]++;
      }
    }
  });
  if (mostFrequent(base).share > ONE_CLASS) return null; // the base sees one class too: the scan, not the adapter
  const found = manifest.classes.slice(1).map((c) => c.name).join(", ");
  const what = adapted.k === 0 ? `the mask is ${adapted.share === 1 ? "" : "nearly "}empty` : `${Math.floor(100 * adapted.share)}% of the head is ${manifest.classes[adapted.k].name}`;
  return `With the adapter in use ${what}, while the base model finds ${found} in this scan: the adapter, not the scan, is at fault (damaged, or trained with a wrong alpha). Segment with the base model, or train the adapter again.`;
}

/** Voxels of extreme value (extremeThreshold) that finiteScan replaced: how many, their range, the threshold. */
export interface ExtremeVoxels { count: number; lo: number; hi: number; threshold: number }

/**
 * Bad voxels replaced before anything reads the scan, so they neither spread through interpolation
 * nor reach the statistics: non-finite ones (NaN, ±Infinity: common after registration or
 * resampling) and extreme ones (extremeThreshold: 1e38 in 1% of the voxels took percentile 99.5
 * and emptied the mask). Each by the mean of its good face neighbours (an isolated bad voxel inside
 * tissue stays tissue), else by the scan's smallest good value, its background. `replaced` counts
 * the non-finite ones, `extreme` the others; the scan is copied only when it has any.
 */
export function finiteScan(scan: Volume): { scan: Volume; floor: number; replaced: number; extreme?: ExtremeVoxels } {
  const d = scan.data;
  const float = d instanceof Float32Array || d instanceof Float64Array;
  // 8- and 16-bit voxels cannot be a million times their signal, nor any integer be NaN
  const threshold = float || d instanceof Int32Array || d instanceof Uint32Array ? extremeThreshold(d, scan.dims) : null;
  const bad = (v: number) => !Number.isFinite(v) || (threshold !== null && Math.abs(v) > threshold);
  let replaced = 0, count = 0, lo = Infinity, hi = -Infinity, floor = Infinity;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (!Number.isFinite(v)) replaced++;
    else if (bad(v)) {
      count++;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    } else if (v < floor) floor = v;
  }
  if (floor === Infinity) floor = 0;
  if (!replaced && !count) return { scan, floor, replaced };
  const [nx, ny, nz] = scan.dims;
  const data = Float32Array.from(d);
  for (let i = 0; i < d.length; i++) {
    if (!bad(d[i])) continue;
    const x = i % nx, y = Math.floor(i / nx) % ny, z = Math.floor(i / (nx * ny));
    let sum = 0, n = 0;
    const add = (ok: boolean, j: number) => {
      if (ok && !bad(d[j])) {
        sum += d[j];
        n++;
      }
    };
    add(x > 0, i - 1);
    add(x < nx - 1, i + 1);
    add(y > 0, i - nx);
    add(y < ny - 1, i + nx);
    add(z > 0, i - nx * ny);
    add(z < nz - 1, i + nx * ny);
    data[i] = n ? sum / n : floor;
  }
  return { scan: { ...scan, data }, floor, replaced, ...(count ? { extreme: { count, lo, hi, threshold: threshold! } } : {}) };
}

/** The scan as the model sees it: on the model's grid (manifest orientation and spacing), normalised by the manifest's steps. */
export function modelInput(scan: Volume, manifest: Manifest): { grid: Grid; image: Float32Array; foreground: Uint8Array; replaced: number; extreme?: ExtremeVoxels } {
  const grid = modelGrid(scan, manifest.input.orientation, manifest.input.spacing);
  const finite = finiteScan(scan);
  const resampled = resampleLinear(finite.scan, grid, finite.floor);
  const foreground = new Uint8Array(resampled.length); // (a plain loop: TypedArray.from with a callback is ~10x slower)
  for (let i = 0; i < resampled.length; i++) foreground[i] = resampled[i] > finite.floor ? 1 : 0;
  return { grid, image: preprocess(resampled, manifest.preprocess, finite.floor), foreground, replaced: finite.replaced, ...(finite.extreme ? { extreme: finite.extreme } : {}) };
}

/**
 * Refuses, before any work, a scan this model cannot read: no signal at all (constant, all zero,
 * all NaN), or voxels or an extent outside the manifest's limits.
 */
export function checkScanFits(scan: Volume, manifest: Manifest): void {
  const d = scan.data;
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(lo < hi)) {
    throw new VolumeError(lo === Infinity || !Number.isFinite(lo) ? "Every voxel of the scan is not a number (NaN or infinite): there is no image to segment. Export the scan again." : `Every voxel of the scan is ${lo}: the image is empty, so there is nothing to segment. Check that the right file (or series) was opened.`);
  }
  // A single slice can be segmented only in the model's own slice plane (its neighbours are zeros).
  const grid = modelGrid(scan, manifest.input.orientation, manifest.input.spacing);
  const [wa, ha] = planeAxes(manifest.input.sliceAxis);
  if (scan.dims.some((n) => n === 1) && (grid.dims[wa] <= 2 || grid.dims[ha] <= 2)) {
    const plane = { S: "axial", I: "axial", A: "coronal", P: "coronal", R: "sagittal", L: "sagittal" }[manifest.input.orientation[manifest.input.sliceAxis]];
    throw new VolumeError(`The scan is a single slice that is not ${plane}, and ${manifest.name} reads ${plane} slices: open the whole series, or an ${plane} slice.`);
  }
  const limits = manifest.input.limits;
  if (!limits) return;
  const sizes = voxelSizes(scan.affine);
  const [min, max] = limits.spacingMm;
  const fmt = (v: number) => (v < 1 ? v.toPrecision(2) : v.toFixed(1));
  const small = Math.min(...sizes), large = Math.max(...sizes);
  if (small < min) throw new VolumeError(`The scan's voxels are ${sizes.map(fmt).join(" × ")} mm; ${manifest.name} reads voxels of ${min}–${max} mm (its manifest). A voxel this small usually means a wrong voxel size in the header: check it in the scanner's export.`);
  if (large > max) throw new VolumeError(`The scan's voxels are ${sizes.map(fmt).join(" × ")} mm; ${manifest.name} reads voxels of ${min}–${max} mm (its manifest). Slices ${fmt(large)} mm apart are too coarse for it: use a thinner-slice acquisition of this patient.`);
  const extent = sizes.map((s, a) => s * scan.dims[a]);
  const widest = Math.max(...extent);
  if (widest > limits.extentMm) throw new VolumeError(`The scan spans ${extent.map((e) => e.toFixed(0)).join(" × ")} mm; ${manifest.name} reads at most ${limits.extentMm} mm along any axis (its manifest). Crop the scan to the region of interest first.`);
}

/** Warnings about a finished mask: a plain "Done" must never hide an empty or doubtful one. */
function resultWarnings(manifest: Manifest, labels: Uint8Array, replaced: number, slicesRun: number, scan: Volume, adapterFault: string | null, extreme?: ExtremeVoxels): string[] {
  const out: string[] = [];
  const voxels = scan.data.length;
  if (scan.geometryNote) out.push(scan.geometryNote);
  if (scan.voxelNote) out.push(scan.voxelNote);
  if ((scan.frames ?? 1) > 1) out.push(`The file holds ${scan.frames} volumes (4D); volume ${(scan.frame ?? 0) + 1} was segmented; choose another under "Volume" (app) or with --volume N (CLI).`);
  if (replaced) {
    const share = (100 * replaced) / voxels;
    out.push(`${replaced} voxel${replaced === 1 ? " was" : "s were"} not a number (NaN or infinite${share >= 0.01 ? `, ${share.toFixed(2)}% of the scan` : ""}) and ${replaced === 1 ? "was" : "were"} filled in from the neighbouring voxels (background where they are not numbers either).`);
  }
  if (extreme) {
    const share = (100 * extreme.count) / voxels;
    const e = (v: number) => v.toExponential(1).replace("e+", "e");
    const range = extreme.lo === extreme.hi ? e(extreme.hi) : extreme.lo < 0 && extreme.hi > 0 ? `from ${e(extreme.lo)} to ${e(extreme.hi)}` : `up to ${e(Math.abs(extreme.hi) > Math.abs(extreme.lo) ? extreme.hi : extreme.lo)}`;
    const one = extreme.count === 1;
    out.push(`${share >= 0.1 ? `${share.toFixed(1)}% of voxels (${extreme.count})` : `${extreme.count} voxel${one ? "" : "s"}${share >= 0.01 ? ` (${share.toFixed(2)}% of the scan)` : ""}`} ${one ? "holds an extreme value" : "hold extreme values"} (${range}), over a million times the scan's own intensities: no scanner writes ${one ? "such a value" : "them"}, so the file is likely damaged. ${one ? "It was" : "They were"} filled in from the neighbouring voxels; check the export that made the file.`);
  }
  const classes = manifest.classes.slice(1).map((c) => c.name).join(", ");
  if (adapterFault) out.push(adapterFault); // not the scan's fault, as the next would say
  else if (slicesRun > 0 && !labels.some((v) => v !== 0)) out.push(`The mask is empty: the model found no ${classes} anywhere in this scan. Check that the scan is what the model expects (${manifest.name}), or try a site adapter.`);
  return out;
}

/**
 * The whole segmentation, written once for worker, CLI and tests: resample the scan onto the
 * model's grid, normalise as the manifest says, run slice batches, and map the class
 * probabilities back onto the scan's own grid.
 */
export async function segment(scan: Volume, manifest: Manifest, runner: InferenceRunner, opts: SegmentOptions = {}): Promise<SegmentResult> {
  const t0 = now();
  checkScanFits(scan, manifest);
  const { input } = manifest;
  const { grid, image, foreground, replaced, extreme } = modelInput(scan, manifest);
  const t1 = now();

  const K = manifest.classes.length;
  const n = image.length;
  const probs = new Uint8Array(K * n); // class-major, 0..255
  probs.fill(255, 0, n); // unvisited voxels are background
  const ctx = input.contextSlices;
  const C = 2 * ctx + 1;
  const adapterFeeds = opts.adapterFeeds ?? zeroFeeds(manifest);
  const { ids: options, skipped } = scanOptions(manifest, scan, opts.options);
  // one pass over the foreground per slicing axis: a mirrored pass shares its plain pass's bounds
  const bounds = new Map<number, SliceBounds>();
  const boundsAlong = (axis: number) => bounds.get(axis) ?? bounds.set(axis, sliceBounds(foreground, grid, axis)).get(axis)!;
  const plans = inferencePasses(manifest, options).map((pass) => ({ pass, ...passPlan(pass, boundsAlong(pass.sliceAxis), grid, input) }));
  const total = plans.reduce((sum, p) => sum + grid.dims[p.pass.sliceAxis], 0);
  const work = plans.reduce((sum, p) => sum + p.todo.length, 0);
  let done = total - work;
  opts.onProgress?.(done, total);
  // previews come from the first pass (at PREVIEW_AT of it). Not its whole mask when more passes
  // follow: drawing a whole mask mid-run held the page 150 ms (bench/profile-segment.ts)
  const first = plans[0].todo.length;
  const previewAt = opts.onPreview && first >= MIN_PREVIEW_BATCHES * input.batchSize ? PREVIEW_AT.map((f) => Math.ceil(f * first)) : [];
  let run = 0; // slices run so far, all passes

  for (const [passIndex, plan] of plans.entries()) {
    const { pass, todo, offsets } = plan;
    const sa = pass.sliceAxis;
    for (let b = 0; b < todo.length; b += input.batchSize) {
      if (opts.signal?.aborted) throw new CancelledError();
      const batch = todo.slice(b, b + input.batchSize);
      const win = plan.windowOf(batch);
      const W = win.w.size, H = win.h.size;
      const [os, oh, ow] = [offsets[sa], offsets[win.ha], offsets[win.wa]];
      const inPlane = (gy: number, gx: number) => gy >= 0 && gy < grid.dims[win.ha] && gx >= 0 && gx < grid.dims[win.wa];
      const x = batchInput(image, grid, plan, win, batch, ctx);
      const out = await runner.run({ [input.inputName]: { data: x, dims: [batch.length, C, H, W] }, ...adapterFeeds });
      const logits = out[input.outputName];
      if (!logits) throw new Error(`The model returned no output named "${input.outputName}"`);
      batch.forEach((s, bi) => softmaxToBytes(logits.data, bi, K, H, W, (y, xx) => {
        const gy = win.h.start + y, gx = win.w.start + xx;
        return inPlane(gy, gx) ? os[s] + oh[gy] + ow[gx] : -1;
      }, probs, n, passIndex));
      done += batch.length;
      run += batch.length;
      opts.onProgress?.(done, total);
      if (previewAt.length && run >= previewAt[0]) {
        while (previewAt.length && run >= previewAt[0]) previewAt.shift();
        opts.onPreview?.(argmaxNearest(probs, K, grid, scan));
      }
    }
  }
  if (opts.signal?.aborted) throw new CancelledError();
  const fault = opts.adapterFeeds && work > 0 ? await adapterFault(probs, foreground, image, grid, plans[0], manifest, runner) : null;
  const t2 = now();
  const raw = argmaxOnGrid(probs, K, grid, scan);
  const { labels, cleanup } = applyCleanup(manifest, options, { dims: scan.dims, affine: scan.affine, data: raw });
  const t3 = now();
  return {
    labels: { dims: [...scan.dims], affine: [...scan.affine], data: labels },
    backend: runner.backend,
    slices: grid.dims[input.sliceAxis],
    options,
    passes: plans.length,
    skipped,
    warnings: resultWarnings(manifest, labels, replaced, work, scan, fault, extreme),
    ...(cleanup ? { cleanup } : {}),
    ms: { preprocess: t1 - t0, inference: t2 - t1, postprocess: t3 - t2, total: t3 - t0 },
  };
}
