import { overlapFraction, resampleNearest, sameGrid } from "../volume/grid";
import type { Volume } from "../volume/types";
import { applyConvention, type Convention, type ConventionId } from "./conventions";
import { diceByClass, meanDice, perSliceDice } from "./dice";

export class ReferenceMismatchError extends Error {
  override name = "ReferenceMismatchError";
}

export interface Evaluation {
  convention: ConventionId;
  /** Class name to whole-volume Dice (0-1, null when absent from both). */
  dice: Record<string, number | null>;
  meanDice: number | null;
  /** Voxel counts per class, prediction and reference, for volumes in mL. */
  counts: { predicted: number; reference: number }[];
  perSlice: { axis: number; values: (number | null)[] };
  /** True when the reference was on another grid and was resampled onto the scan's. */
  resampled: boolean;
  /** Slices scored, when training slices were held out (see Holdout). */
  scoredSlices?: number[];
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
 * The reference as model classes on the prediction's grid: as is when grids match, resampled
 * (nearest neighbour) when it shares world space, refused when it does not.
 */
export function alignReference(reference: Volume, target: Volume, convention: Convention): { classes: Uint8Array; resampled: boolean } {
  const classes = applyConvention(reference.data, convention);
  if (sameGrid(reference, target)) return { classes, resampled: false };
  const overlap = overlapFraction(target, reference);
  if (overlap < 0.5) {
    throw new ReferenceMismatchError(
      `The reference label covers only ${(overlap * 100).toFixed(0)}% of the scan in world space, so it cannot be compared: ` +
        `it belongs to another scan or its header lost the orientation. Load the label made for this scan.`,
    );
  }
  return { classes: resampleNearest({ ...reference, data: classes }, target), resampled: true };
}

/** Dice per class, mean, and per slice along `axis` of the prediction's voxel grid. */
export function evaluate(pred: Volume, reference: Volume, convention: Convention, classNames: string[], axis = 2, holdout?: Holdout): Evaluation {
  const K = classNames.length;
  const { classes, resampled } = alignReference(reference, pred, convention);
  let predClasses = pred.data;
  let scoredSlices: number[] | undefined;
  if (holdout) {
    predClasses = Uint8Array.from(pred.data);
    scoredSlices = applyHoldout(predClasses as Uint8Array, classes, pred.dims, holdout);
  }
  const perClass = diceByClass(predClasses, classes, K);
  return {
    convention: convention.id,
    dice: Object.fromEntries(classNames.slice(1).map((name, i) => [name, perClass[i + 1].dice])),
    meanDice: meanDice(perClass),
    counts: perClass.map(({ predicted, reference }) => ({ predicted, reference })),
    perSlice: { axis, values: perSliceDice(predClasses, classes, pred.dims, axis, K) },
    resampled,
    scoredSlices,
  };
}
