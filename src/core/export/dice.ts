import type { ConventionId } from "../metrics/conventions";
import { volumesOf, type Evaluation } from "../metrics/evaluate";
import { csvLine, csvNumber } from "../study/serialise";
import { roundTo } from "./names";

/**
 * A Dice report: what `siteseg evaluate --json` prints (the CLI adds its backend, timings and
 * holdout) and what the app's "Export Dice JSON" saves. Dice to 4 decimals, volumes and volume
 * errors in mL to 3, volume errors in % to 2, HD95 in mm to 3.
 */
export interface DiceReport {
  model: string;
  modelVersion: string;
  adapter: string | null;
  /** The scan's file name (or path, in the CLI). */
  image: string;
  /** The reference label's file name (or path). */
  label: string;
  convention: ConventionId;
  /** Foreground class name to whole-volume Dice (null when absent from both). */
  dice: Record<string, number | null>;
  meanDice: number | null;
  /** Foreground class name to predicted and reference volume, mL. */
  volumesMl: Record<string, { predicted: number; reference: number }>;
  /** Foreground class name to predicted − reference volume, mL (from the unrounded volumes). */
  volumeErrorMl: Record<string, number>;
  /** Foreground class name to 100·(predicted − reference)/reference; null when the reference volume is 0. */
  volumeErrorPct: Record<string, number | null>;
  /**
   * Foreground class name to the 95th-percentile Hausdorff distance in mm (core/metrics/hausdorff.ts:
   * surface to surface, 95th percentile of each direction, the larger); null when the class is
   * absent from the scored prediction or reference, or when the evaluation has no HD95.
   */
  hd95Mm: Record<string, number | null>;
  /** Mean foreground Dice per slice along voxel axis perSliceAxis (null: no foreground in either). */
  perSlice: (number | null)[];
  perSliceAxis: number;
  resampledReference: boolean;
  /** Share of the scan the reference covers (Dice is scored there only). */
  coverage: number;
  /** Reference voxels with labels the convention does not know (scored as background), and those labels. */
  ignoredLabels: { voxels: number; labels: number[] };
  /** Voxels left unscored (in mask and reference alike) because the convention excludes their reference labels, and those labels. */
  excludedLabels: { voxels: number; labels: number[] };
  /** Why every Dice is null, when so (an empty reference). */
  undefinedReason?: string;
}

export interface DiceReportInput {
  model: { id: string; version: string };
  adapter: string | null;
  image: string;
  label: string;
  evaluation: Evaluation;
  /** The model's class names, background first. */
  classNames: string[];
  /** Millilitres per voxel of the scan's grid. */
  voxelMl: number;
}

const round = (v: number | null, digits: number) => (v === null ? null : roundTo(v, digits));
const round4 = (v: number | null) => round(v, 4);

export function diceReport({ model, adapter, image, label, evaluation: ev, classNames, voxelMl }: DiceReportInput): DiceReport {
  const fg = classNames.slice(1);
  const volumes = volumesOf(ev, classNames, voxelMl);
  return {
    model: model.id,
    modelVersion: model.version,
    adapter,
    image,
    label,
    convention: ev.convention,
    dice: Object.fromEntries(fg.map((name) => [name, round4(ev.dice[name] ?? null)])),
    meanDice: round4(ev.meanDice),
    volumesMl: Object.fromEntries(fg.map((name) => [name, { predicted: roundTo(volumes[name].predicted, 3), reference: roundTo(volumes[name].reference, 3) }])),
    volumeErrorMl: Object.fromEntries(fg.map((name) => [name, roundTo(volumes[name].errorMl, 3)])),
    volumeErrorPct: Object.fromEntries(fg.map((name) => [name, round(volumes[name].errorPct, 2)])),
    hd95Mm: Object.fromEntries(fg.map((name) => [name, round(ev.hd95Mm?.[name] ?? null, 3)])),
    perSlice: ev.perSlice.values.map(round4),
    perSliceAxis: ev.perSlice.axis,
    resampledReference: ev.resampled,
    coverage: roundTo(ev.coverage, 4),
    ignoredLabels: ev.ignored,
    excludedLabels: ev.excluded,
    ...(ev.undefinedReason ? { undefinedReason: ev.undefinedReason } : {}),
  };
}

/**
 * The report as CSV: one row per foreground class, then a "mean" row (Dice only); each row names
 * the scan, reference, convention, model and adapter, so reports of many scans concatenate into
 * one table. Volume error (predicted − reference, mL and % of the reference) and HD95 (mm) as in
 * the JSON; empty where there is none.
 */
export function diceReportCsv(r: DiceReport): string {
  const header = ["image", "label", "convention", "model", "model_version", "adapter", "class", "dice", "predicted_ml", "reference_ml", "volume_error_ml", "volume_error_pct", "hd95_mm"];
  const head = [r.image, r.label, r.convention, r.model, r.modelVersion, r.adapter ?? ""];
  const rows = Object.entries(r.volumesMl).map(([name, v]) => [
    ...head, name, csvNumber(r.dice[name]), csvNumber(v.predicted, 3), csvNumber(v.reference, 3),
    csvNumber(r.volumeErrorMl[name], 3), csvNumber(r.volumeErrorPct[name], 2), csvNumber(r.hd95Mm[name], 3),
  ]);
  return [header, ...rows, [...head, "mean", csvNumber(r.meanDice), "", "", "", "", ""]].map(csvLine).join("\n") + "\n";
}
