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

/** Dice per foreground class (null: absent from both) and their mean. */
export interface Scores {
  dice: Record<string, number | null>;
  meanDice: number | null;
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
  base: Scores | null;
  /** Null when the site has no adapter or the case failed. */
  adapted: Scores | null;
  error: string | null;
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
