import type { ConventionId } from "../metrics/conventions";

/** One scan and its reference label, grouped by site. Paths are as given (relative ones resolved by the caller). */
export interface StudyCase {
  /** Unique and stable within a study (the image path without its extension); results are sorted by it. */
  id: string;
  site: string;
  image: string;
  label: string;
  /** How the label is numbered; guessed from its values when absent. */
  convention?: ConventionId;
}

/**
 * Dice per foreground class (null: absent from both) and their mean; volume error and HD95 per
 * class (definitions in core/metrics/hausdorff.ts), absent from studies written before they were
 * added. Unrounded, so a merged study's table equals a single run's bit for bit.
 */
export interface Scores {
  dice: Record<string, number | null>;
  meanDice: number | null;
  /** Predicted − reference volume, mL. */
  volumeErrorMl?: Record<string, number>;
  /** 100·(predicted − reference)/reference; null when the reference volume is 0. */
  volumeErrorPct?: Record<string, number | null>;
  /** 95th-percentile Hausdorff distance, mm; null when the class is absent from the prediction or the reference. */
  hd95Mm?: Record<string, number | null>;
}

/** What one case gave: the base model's and the site adapter's scores, or why it failed. */
export interface CaseResult {
  id: string;
  site: string;
  image: string;
  label: string;
  /** The convention used (given or guessed); null when the label could not be read. */
  convention: ConventionId | null;
  /** The site's adapter, null when the site has none. */
  adapter: string | null;
  /** sha256 of that adapter's adapter_model.safetensors, when the host knows it (null: no adapter or not known); absent from studies written before it was recorded. */
  adapterSha256?: string | null;
  base: Scores | null;
  /** Null when the site has no adapter or the case failed. */
  adapted: Scores | null;
  /** The site's adapter learnt from this case (its image's sha256 is one the adapter records): scored, shown, but left out of the site's figures. */
  trainedOn: boolean;
  error: string | null;
  /**
   * Wall-clock ms this case took (reading, both runs, scoring); absent from studies written before
   * it was recorded. A time, not a result: it differs between runs, so a merged study equals a
   * single run's bit for bit in everything but these.
   */
  ms?: number;
}

/** 1-based shard `index` of `count`; `total` is the number of cases in the whole study before sharding. */
export interface Shard {
  index: number;
  count: number;
  total: number;
}

/** Bad study input (case list, shard, study documents to merge): a user's mistake, with a message naming it. */
export class StudyError extends Error {
  override name = "StudyError";
}

/** Code-point order, the same in every locale: what "sorted by id" means throughout the study. */
export const byKey = <T>(key: (t: T) => string) => (a: T, b: T) => {
  const x = key(a), y = key(b);
  return x < y ? -1 : x > y ? 1 : 0;
};
