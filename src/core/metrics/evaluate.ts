import { voxelSizes } from "../volume/affine";
import { overlapFraction, resampleNearest, sameGrid } from "../volume/grid";
import type { Volume } from "../volume/types";
import { applyConvention, EXCLUDED, isIntegerArray, labelCounts, type Convention, type ConventionId } from "./conventions";
import { classDiceOf, meanDice, meanOfPresent, sliceClassDiceOf, sliceOverlap } from "./dice";
import { hd95, hd95Steps, volumeError } from "./hausdorff";

export class ReferenceMismatchError extends Error {
  override name = "ReferenceMismatchError";
}

export interface Evaluation {
  convention: ConventionId;
  /** Share of the prediction's voxels the reference covers (1 when it covers the whole scan); only those are scored. */
  coverage: number;
  /** Reference voxels with a non-zero label the convention does not know (scored as background), and those labels. */
  ignored: { voxels: number; labels: number[] };
  /** Voxels of the scored grid whose reference label the convention leaves unscored (counted for no Dice and no volume, mask and reference alike), and those labels. */
  excluded: { voxels: number; labels: number[] };
  /** Why there is no Dice at all (an empty reference), when so. */
  undefinedReason?: string;
  /** When the convention knows less than half of the reference's labelled voxels (unknownLabelsWarning): the app shows it, the CLI prints it and lists it in --json warnings. */
  conventionWarning?: string;
  /** Class name to whole-volume Dice (0-1, null when absent from both). */
  dice: Record<string, number | null>;
  meanDice: number | null;
  /** Voxel counts per class, prediction and reference, for volumes in mL. */
  counts: { predicted: number; reference: number }[];
  /** Mean foreground Dice per slice along voxel axis `axis` (null: no foreground in either); `byClass[s][c - 1]`: class c's Dice in slice s. */
  perSlice: { axis: number; values: (number | null)[]; byClass?: (number | null)[][] };
  /** True when the reference was on another grid and was resampled onto the scan's. */
  resampled: boolean;
  /** Slices scored, when training slices were held out (see Holdout). */
  scoredSlices?: number[];
  /**
   * 95th-percentile Hausdorff distance in mm per foreground class name, null when the class is
   * absent from the scored prediction or reference (definition in hausdorff.ts). Absent until
   * computed: evaluate(..., { hd95: true }) does it at once; the app adds it later (hd95Task).
   */
  hd95Mm?: Record<string, number | null>;
}

/** Score only slices at least `gap` away from every training slice along voxel axis `axis`. */
export interface Holdout {
  axis: number;
  indices: number[];
  gap: number;
}

/** Zero (background in both) every voxel of the slices a holdout excludes; returns the kept slices. */
function applyHoldout(pred: Uint8Array, ref: Uint8Array, dims: [number, number, number], h: Holdout): number[] {
  const S = dims[h.axis];
  const keep = Array.from({ length: S }, (_, s) => h.indices.every((t) => Math.abs(s - t) > h.gap));
  let d = 0;
  for (let k = 0; k < dims[2]; k++) for (let j = 0; j < dims[1]; j++) for (let i = 0; i < dims[0]; i++, d++) {
    if (!keep[h.axis === 0 ? i : h.axis === 1 ? j : k]) pred[d] = ref[d] = 0;
  }
  return keep.flatMap((k, s) => (k ? [s] : []));
}

/**
 * Refuses what is not a label map: a 4D file (a series, or one probability map per class) or
 * values that are not whole numbers (an image or a probability map).
 */
export function checkLabelMap(reference: Volume): void {
  if ((reference.frames ?? 1) > 1) {
    throw new ReferenceMismatchError(`The reference has ${reference.frames} volumes (4D), but a label map has one: load the label map itself, not a series or a probability map.`);
  }
  const d = reference.data;
  if (isIntegerArray(d)) return;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isInteger(d[i])) {
      throw new ReferenceMismatchError(
        `The reference holds values that are not whole numbers (${Number.isFinite(d[i]) ? d[i].toPrecision(3) : String(d[i])}): it looks like an image or a probability map, not a label map. Load the label map (one whole number per class).`,
      );
    }
  }
}

export interface AlignedReference {
  classes: Uint8Array;
  resampled: boolean;
  /** 1 where the reference covers the voxel (null: it covers the whole target). */
  inside: Uint8Array | null;
  coverage: number;
  ignored: { voxels: number; labels: number[] };
  /** The convention's excluded labels present in the reference (their voxels are EXCLUDED in `classes`). */
  excludedLabels: number[];
  /** unknownLabelsWarning's warning, when it gives one. */
  warning?: string;
}

/**
 * A warning when the convention leaves most of the reference's labelled (non-zero) voxels unknown,
 * so scored as background: the reference is then very likely numbered in another convention (a
 * FreeSurfer aseg scored as GIF leaves about 70% unknown), and its Dice is not to be trusted. Null
 * when the convention knows half of them or more. `labelled`: the reference's non-zero voxels.
 */
export function unknownLabelsWarning(ignored: { voxels: number; labels: number[] }, labelled: number, convention: { label: string }): string | null {
  if (labelled === 0 || ignored.voxels * 2 <= labelled) return null;
  const pct = (100 * ignored.voxels) / labelled;
  const labels = `${ignored.labels.slice(0, 6).join(", ")}${ignored.labels.length > 6 ? ` and ${ignored.labels.length - 6} more` : ""}`;
  return `${pct.toFixed(1)}% of the reference's labelled voxels (labels ${labels}) are unknown to the ${convention.label} convention and count as background: the reference is probably numbered in another convention, so its Dice is not to be trusted. Choose the convention the reference is numbered in.`;
}

/**
 * The reference as model classes on the prediction's grid: as is when grids match, resampled
 * (nearest neighbour) when it shares world space, scored on the overlap when it covers part of
 * the scan, refused when it covers none of it or when the convention knows none of its labels.
 */
export function alignReference(reference: Volume, target: Volume, convention: Convention): AlignedReference {
  checkLabelMap(reference);
  const classes = applyConvention(reference.data, convention);
  const ignoredBy = new Map<number, number>();
  const excludedLabels: number[] = [];
  let known = 0, scorable = 0;
  // the label map holds whole numbers (checked above), so its counts are per label
  for (const [v, n] of labelCounts(reference.data)) {
    if (convention.excluded.has(v)) excludedLabels.push(v);
    else if (v !== 0) scorable += n;
    if (v === 0) continue;
    if (convention.values.has(v)) known += n;
    else ignoredBy.set(v, n);
  }
  const ignored = { voxels: [...ignoredBy.values()].reduce((a, b) => a + b, 0), labels: [...ignoredBy.keys()].sort((a, b) => a - b) };
  const same = sameGrid(reference, target);
  const coverage = same ? 1 : overlapFraction(target, reference);
  if (coverage < 0.02) {
    throw new ReferenceMismatchError(
      `The reference label covers ${coverage > 0 ? "almost none" : "none"} of the scan in world space, so it cannot be compared: ` +
        `it belongs to another scan or its header lost the orientation. Load the label made for this scan.`,
    );
  }
  if (known === 0 && ignored.voxels > 0) {
    throw new ReferenceMismatchError(
      `None of the reference's labels (${ignored.labels.slice(0, 8).join(", ")}${ignored.labels.length > 8 ? ", …" : ""}) belongs to the ${convention.label} convention: choose the convention the reference is numbered in.`,
    );
  }
  if (excludedLabels.length && scorable === 0) {
    throw new ReferenceMismatchError(
      `The ${convention.label} convention leaves every labelled voxel of the reference unscored (labels ${excludedLabels.join(", ")} are excluded), so there is nothing to score: choose the convention the reference is numbered in.`,
    );
  }
  excludedLabels.sort((a, b) => a - b);
  const warning = unknownLabelsWarning(ignored, known + ignored.voxels, convention);
  const warned = warning ? { warning } : {};
  if (same) return { classes, resampled: false, inside: null, coverage: 1, ignored, excludedLabels, ...warned };
  const inside = coverage >= 0.999 ? null : resampleNearest({ ...reference, data: new Uint8Array(reference.data.length).fill(1) }, target);
  const share = inside ? inside.reduce((a, v) => a + v, 0) / inside.length : 1;
  return { classes: resampleNearest({ ...reference, data: classes }, target), resampled: true, inside, coverage: share, ignored, excludedLabels, ...warned };
}

/** Dice per class, mean, and per slice along `axis` of the prediction's voxel grid. */
export function evaluate(pred: Volume, reference: Volume, convention: Convention, classNames: string[], axis = 2, holdout?: Holdout, opts: { hd95?: boolean } = {}): Evaluation {
  return evaluateAligned(pred, alignReference(reference, pred, convention), convention.id, classNames, axis, holdout, opts);
}

/**
 * The prediction and reference exactly as scored: voxels outside the reference's coverage, slices
 * a holdout leaves out and voxels of excluded labels are background (0) in both. Dice, volumes
 * and HD95 all use these. `pred` may be `prediction.data` itself (nothing to blank) unless `copy`.
 */
export function scoredLabels(prediction: Volume, aligned: AlignedReference, holdout?: Holdout, copy = false): { pred: ArrayLike<number>; ref: Uint8Array; excludedVoxels: number; scoredSlices?: number[] } {
  const { inside } = aligned;
  let classes = aligned.classes;
  let predClasses = prediction.data;
  let scoredSlices: number[] | undefined;
  if (copy || holdout || inside || aligned.excludedLabels.length) predClasses = Uint8Array.from(prediction.data);
  // outside the reference nothing is known: scored as background in both
  if (inside) for (let i = 0; i < inside.length; i++) if (!inside[i]) predClasses[i] = 0;
  // excluded labels: no class in either, so they count for no Dice, no volume and no distance
  let excludedVoxels = 0;
  if (aligned.excludedLabels.length) {
    classes = classes.slice();
    for (let i = 0; i < classes.length; i++) {
      if (classes[i] !== EXCLUDED) continue;
      if (!inside || inside[i]) excludedVoxels++;
      classes[i] = predClasses[i] = 0;
    }
  }
  if (holdout) {
    if (classes === aligned.classes) classes = classes.slice(); // the hold-out blanks slices of both
    scoredSlices = applyHoldout(predClasses as Uint8Array, classes, prediction.dims, holdout);
  }
  if (copy && classes === aligned.classes) classes = classes.slice();
  return { pred: predClasses, ref: classes, excludedVoxels, ...(scoredSlices ? { scoredSlices } : {}) };
}

/**
 * HD95 in mm per foreground class name (see hausdorff.ts for the definition; null when the class
 * is absent from the scored prediction or reference), as a generator: `drain` it at once (CLI,
 * study, export) or with `drainSliced` in slices (the app). The scored voxels are copied when it
 * starts, so the prediction may change meanwhile (the caller then discards the result).
 */
export function* hd95Task(prediction: Volume, aligned: AlignedReference, classNames: string[], holdout?: Holdout): Generator<void, Record<string, number | null>> {
  const { pred, ref } = scoredLabels(prediction, aligned, holdout, true);
  yield;
  const values = yield* hd95Steps(pred, ref, prediction.dims, voxelSizes(prediction.affine), classNames.length);
  return Object.fromEntries(classNames.slice(1).map((name, i) => [name, values[i + 1]]));
}

/**
 * `evaluate` against a reference already aligned to the prediction's grid (`alignReference`):
 * the app aligns once per reference and scores every result against it. `aligned` is not changed.
 * With `opts.hd95` the HD95 per class is computed too (synchronously: hundreds of milliseconds on
 * a 256³ scan, so not on the app's main thread; the app runs `hd95Task` in slices instead).
 */
export function evaluateAligned(pred: Volume, aligned: AlignedReference, conventionId: ConventionId, classNames: string[], axis = 2, holdout?: Holdout, opts: { hd95?: boolean } = {}): Evaluation {
  const K = classNames.length;
  const { resampled, coverage, ignored } = aligned;
  const { pred: predClasses, ref: classes, excludedVoxels, scoredSlices } = scoredLabels(pred, aligned, holdout);
  const overlap = sliceOverlap(predClasses, classes, pred.dims, axis, K); // one pass for both kinds of Dice
  const perClass = classDiceOf(overlap);
  const byClass = sliceClassDiceOf(overlap);
  // an empty reference leaves every Dice undefined, whatever the prediction holds
  const empty = perClass.slice(1).every((c) => c.reference === 0);
  const undefinedReason = empty ? `The reference marks none of ${classNames.slice(1).join(", ")}${holdout ? " on the scored slices" : ""}, so Dice is undefined.` : undefined;
  let hd95Mm: Record<string, number | null> | undefined;
  if (opts.hd95) {
    const values = hd95(predClasses, classes, pred.dims, voxelSizes(pred.affine), K);
    hd95Mm = Object.fromEntries(classNames.slice(1).map((name, i) => [name, values[i + 1]]));
  }
  return {
    convention: conventionId,
    coverage,
    ignored,
    excluded: { voxels: excludedVoxels, labels: aligned.excludedLabels },
    ...(undefinedReason ? { undefinedReason } : {}),
    ...(aligned.warning ? { conventionWarning: aligned.warning } : {}),
    dice: Object.fromEntries(classNames.slice(1).map((name, i) => [name, empty ? null : perClass[i + 1].dice])),
    meanDice: empty ? null : meanDice(perClass),
    counts: perClass.map(({ predicted, reference }) => ({ predicted, reference })),
    perSlice: { axis, values: byClass.map(meanOfPresent), byClass },
    resampled,
    scoredSlices,
    ...(hd95Mm ? { hd95Mm } : {}),
  };
}

/** One foreground class's volumes in mL and its volume error (predicted − reference; see volumeError in hausdorff.ts). */
export interface ClassVolumeError {
  predicted: number;
  reference: number;
  /** predicted − reference, mL. */
  errorMl: number;
  /** 100·(predicted − reference)/reference; null when the reference volume is 0. */
  errorPct: number | null;
}

/** Volumes and volume error per foreground class name, from the evaluation's counts of scored voxels (`voxelMl`: mL per voxel of the prediction's grid). */
export function volumesOf(ev: Evaluation, classNames: string[], voxelMl: number): Record<string, ClassVolumeError> {
  return Object.fromEntries(
    classNames.slice(1).map((name, i) => {
      const predicted = (ev.counts[i + 1]?.predicted ?? 0) * voxelMl, reference = (ev.counts[i + 1]?.reference ?? 0) * voxelMl;
      const { ml, pct } = volumeError(predicted, reference);
      return [name, { predicted, reference, errorMl: ml, errorPct: pct }];
    }),
  );
}

/** What the app and the CLI say of excluded voxels: how many, which labels, and why. */
export function excludedNote(excluded: Evaluation["excluded"]): string {
  const { voxels, labels } = excluded;
  return `${voxels.toLocaleString("en")} voxel${voxels === 1 ? "" : "s"} with reference label${labels.length === 1 ? "" : "s"} ${labels.join(", ")} left unscored in mask and reference alike: the convention counts ${labels.length === 1 ? "that label" : "those labels"} as no class (e.g. a structure that is grey and white matter together).`;
}
