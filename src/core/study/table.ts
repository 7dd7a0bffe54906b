import { bootstrapMeanCi } from "./bootstrap";
import { byKey, type CaseResult } from "./types";

/** Summary of one score over a site's cases; null fields when there is no value (sd: fewer than two). */
export interface Stats {
  n: number;
  mean: number | null;
  sd: number | null;
  min: number | null;
  max: number | null;
}

/** The paired difference adapter − base, over cases that have both. */
export interface GainStats {
  n: number;
  mean: number | null;
  sd: number | null;
  /** 95% bootstrap confidence interval of the mean gain (bootstrap.ts; seeded); null with fewer than two cases. */
  ci95: [number, number] | null;
}

export interface ClassRow {
  base: Stats;
  adapted: Stats | null;
  gain: GainStats | null;
}

/** One site of the study table: mean Dice over classes, then the same per class. */
export interface SiteRow {
  site: string;
  /** Cases scored, those the adapter learnt from left out. */
  n: number;
  failed: number;
  /** Cases the site's adapter learnt from: scored and listed, but not in n or any figure of the row. */
  trainedOn: number;
  /** The site's adapter; null when it has none (then adapted and gain are null too). */
  adapter: string | null;
  base: Stats;
  adapted: Stats | null;
  gain: GainStats | null;
  classes: Record<string, ClassRow>;
  /** Absolute volume error, 100·|predicted − reference|/reference (classes with a reference volume). */
  absVolumeErrorPct: MetricRows;
  /** HD95 in mm (classes present in both prediction and reference). */
  hd95Mm: MetricRows;
}

/**
 * A score beside Dice (lower is better), summarised like Dice: `mean` over the classes that have a
 * value per case, then over the site's cases; `classes` per class. Gain = adapter − base, so a
 * negative gain is an improvement.
 */
export interface MetricRows {
  mean: ClassRow;
  classes: Record<string, ClassRow>;
}

/** Mean and sample sd (n − 1), summed in the order given. */
function meanSd(values: number[]): { n: number; mean: number | null; sd: number | null } {
  const n = values.length;
  if (!n) return { n, mean: null, sd: null };
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / n;
  if (n < 2) return { n, mean, sd: null };
  let ss = 0;
  for (const v of values) ss += (v - mean) ** 2;
  return { n, mean, sd: Math.sqrt(ss / (n - 1)) };
}

export function stats(values: number[]): Stats {
  let min: number | null = null, max: number | null = null;
  for (const v of values) {
    if (min === null || v < min) min = v;
    if (max === null || v > max) max = v;
  }
  return { ...meanSd(values), min, max };
}

const present = (v: number | null | undefined): v is number => typeof v === "number";

/** Mean of the values present, summed in the order given; null when none is. */
function meanOf(values: (number | null | undefined)[]): number | null {
  let sum = 0, n = 0;
  for (const v of values) {
    if (!present(v)) continue;
    sum += v;
    n++;
  }
  return n ? sum / n : null;
}

/** |v|, keeping null and undefined. */
const abs = (v: number | null | undefined) => (present(v) ? Math.abs(v) : null);

type Pick = (s: NonNullable<CaseResult["base"]>, name: string) => number | null | undefined;

/** A per-class score's rows: the mean over classes per case, and each class. */
function metricRows(cases: CaseResult[], classNames: string[], pick: Pick, hasAdapter: boolean): MetricRows {
  return {
    mean: summarise(cases, (s) => meanOf(classNames.map((name) => pick(s, name))), hasAdapter),
    classes: Object.fromEntries(classNames.map((name) => [name, summarise(cases, (s) => pick(s, name), hasAdapter)])),
  };
}

/** Stats of base, adapter and their paired gain for one score picked from each case. */
function summarise(cases: CaseResult[], pick: (s: NonNullable<CaseResult["base"]>) => number | null | undefined, hasAdapter: boolean): ClassRow {
  const base = cases.map((c) => (c.base ? pick(c.base) : null)).filter(present);
  if (!hasAdapter) return { base: stats(base), adapted: null, gain: null };
  const adapted = cases.map((c) => (c.adapted ? pick(c.adapted) : null)).filter(present);
  const gains: number[] = [];
  for (const c of cases) {
    const b = c.base && pick(c.base), a = c.adapted && pick(c.adapted);
    if (present(b) && present(a)) gains.push(a - b);
  }
  return { base: stats(base), adapted: stats(adapted), gain: { ...meanSd(gains), ci95: bootstrapMeanCi(gains) } };
}

/**
 * The study table: one row per site (sorted by name) with n scored and failed cases, the base's
 * and the adapter's mean Dice over cases (mean, sample sd, min, max) and the paired gain
 * adapter − base with its 95% bootstrap interval; the same per class in `classes`; the absolute
 * volume error (%) and HD95 (mm) summarised the same way (`absVolumeErrorPct`, `hd95Mm`). Cases the
 * site's adapter learnt from are counted apart (trainedOn) and left out of every figure, so each
 * row is a leave-cases-out result. Cases are sorted by id before any sum, so a
 * study merged from shards gives the same numbers, bit for bit, as one run.
 */
export function studyTable(results: CaseResult[], classNames: string[]): SiteRow[] {
  const bySite = new Map<string, CaseResult[]>();
  for (const r of [...results].sort(byKey((c) => c.id))) bySite.set(r.site, [...(bySite.get(r.site) ?? []), r]);
  return [...bySite.keys()].sort(byKey((s) => s)).map((site) => {
    const all = bySite.get(site) ?? [];
    const ok = all.filter((c) => c.error === null && c.base !== null);
    const scored = ok.filter((c) => !c.trainedOn);
    const adapter = ok.find((c) => c.adapter !== null)?.adapter ?? null;
    const mean = summarise(scored, (s) => s.meanDice, adapter !== null);
    return {
      site,
      n: scored.length,
      failed: all.length - ok.length,
      trainedOn: ok.length - scored.length,
      adapter,
      ...mean,
      classes: Object.fromEntries(classNames.map((name) => [name, summarise(scored, (s) => s.dice[name], adapter !== null)])),
      absVolumeErrorPct: metricRows(scored, classNames, (s, name) => abs(s.volumeErrorPct?.[name]), adapter !== null),
      hd95Mm: metricRows(scored, classNames, (s, name) => s.hd95Mm?.[name], adapter !== null),
    };
  });
}
