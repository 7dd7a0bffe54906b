import { overlapFraction, resampleNearest, sameGrid } from "../volume/grid";
import type { Volume } from "../volume/types";
import { applyConvention, type ConventionId } from "./conventions";
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
}

/**
 * The reference as model classes on the prediction's grid: as is when grids match, resampled
 * (nearest neighbour) when it shares world space, refused when it does not.
 */
export function alignReference(reference: Volume, target: Volume, convention: ConventionId, K: number): { classes: Uint8Array; resampled: boolean } {
  const classes = applyConvention(reference.data, convention, K);
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
export function evaluate(pred: Volume, reference: Volume, convention: ConventionId, classNames: string[], axis = 2): Evaluation {
  const K = classNames.length;
  const { classes, resampled } = alignReference(reference, pred, convention, K);
  const perClass = diceByClass(pred.data, classes, K);
  return {
    convention,
    dice: Object.fromEntries(classNames.slice(1).map((name, i) => [name, perClass[i + 1].dice])),
    meanDice: meanDice(perClass),
    counts: perClass.map(({ predicted, reference }) => ({ predicted, reference })),
    perSlice: { axis, values: perSliceDice(pred.data, classes, pred.dims, axis, K) },
    resampled,
  };
}
