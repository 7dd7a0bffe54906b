import { z } from "zod";
import { conventionId } from "../metrics/conventions";
import { fixed } from "./format";
import { studyTable, type ClassRow, type MetricRows, type SiteRow } from "./table";
import { byKey, StudyError, type CaseResult, type Shard } from "./types";

/** A study's results as one JSON document: what `siteseg study --json` writes and `siteseg merge` reads. */
export interface StudyJson {
  kind: "siteseg-study";
  schemaVersion: 1;
  /** `sha256`: of the model file (the manifest's files.model), absent from studies written before it was recorded. */
  model: StudyModel;
  /** The foreground classes scored, in the model's order. */
  classes: string[];
  /** Which part of the study this is; null for a whole study (one run or merged). */
  shard: Shard | null;
  /** Sorted by id. */
  cases: CaseResult[];
  table: SiteRow[];
}

export interface StudyModel {
  id: string;
  version: string;
  sha256?: string;
}

/** The model a study names: a manifest's id, version and model-file sha256. */
export const studyModel = (manifest: { id: string; version: string; files: { model: { sha256: string } } }): StudyModel => ({ id: manifest.id, version: manifest.version, sha256: manifest.files.model.sha256 });

export function studyJson(model: StudyModel, classNames: string[], results: CaseResult[], shard: Shard | null = null): StudyJson {
  const cases = [...results].sort(byKey((c) => c.id));
  const m: StudyModel = { id: model.id, version: model.version, ...(model.sha256 === undefined ? {} : { sha256: model.sha256 }) };
  return { kind: "siteseg-study", schemaVersion: 1, model: m, classes: [...classNames], shard, cases, table: studyTable(cases, classNames) };
}

// ---- CSV

/**
 * CSV injection (OWASP): a spreadsheet runs a cell that starts with =, +, -, @, a tab or a
 * carriage return as a formula, and case ids, site names, paths and error messages are text from
 * the user's files. Such a text cell is written with a single quote before it ("'=cmd|…"), which
 * spreadsheets show as text. Numbers are never prefixed: every number this app writes is a plain
 * decimal (csvNumber: "-0.0123"), and a cell that is exactly one ("-1.5", whichever column it is
 * in) is read as that number, never as a formula, so negative Dice gains and volume errors stay
 * numbers. A text cell that already starts with quotes before such a character gets one more, so
 * that csvText gives back exactly what was written (the case-list reader uses it).
 */
const FORMULA_START = /^'*[=+\-@\t\r]/;
const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;

/** A cell's text as written to a CSV file: neutralised when a spreadsheet would run it (see above). */
export function neutraliseCell(value: string): string {
  return FORMULA_START.test(value) && !PLAIN_NUMBER.test(value) ? `'${value}` : value;
}

/** A cell read back from a CSV file this app wrote (or a person typed): neutraliseCell undone. */
export function csvText(cell: string): string {
  return /^'+[=+\-@\t\r]/.test(cell) ? cell.slice(1) : cell;
}

/** One RFC 4180 field, neutralised (neutraliseCell): quoted when it holds a comma, a quote or a line break (quotes doubled). */
export function csvField(value: string): string {
  const v = neutraliseCell(value);
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export const csvLine = (fields: string[]) => fields.map(csvField).join(",");
/** Numbers in files: 4 decimals (or `digits`), empty for none. */
export const csvNumber = (v: number | null | undefined, digits = 4) => (v === null || v === undefined ? "" : fixed(v, digits));

/** Beside Dice, per site (table.ts MetricRows): the absolute volume error in % and HD95 in mm, as CSV column stems. */
const METRICS: [string, (r: SiteRow) => MetricRows | undefined][] = [
  ["volerr_pct", (r) => r.absVolumeErrorPct],
  ["hd95", (r) => r.hd95Mm],
];
const WHO = ["base", "adapter", "gain"];
const meanSdCells = (k: ClassRow | undefined) => [k?.base, k?.adapted, k?.gain].flatMap((s) => [csvNumber(s?.mean), csvNumber(s?.sd)]);

/**
 * The study table as CSV, one row per site: overall mean Dice stats, then mean and sd per class;
 * after these Dice columns, the absolute volume error
 * (`…_volerr_pct_…`, 100·|predicted − reference|/reference) and HD95 (`…_hd95_…`, mm): mean over
 * classes per case then mean and sd over cases (`base_volerr_pct_mean`, …), then per class
 * (`base_CSF_volerr_pct_mean`, `base_CSF_hd95_mean`, …), each for base, adapter and gain.
 */
export function studyCsv(table: SiteRow[], classNames: string[]): string {
  const stat = ["mean", "sd", "min", "max"] as const;
  const header = [
    "site", "n", "failed", "trained_on", "adapter",
    ...stat.map((s) => `base_${s}`), ...stat.map((s) => `adapter_${s}`), "gain_mean", "gain_sd", "gain_ci95_low", "gain_ci95_high",
    ...classNames.flatMap((c) => ["base", "adapter", "gain"].flatMap((w) => [`${w}_${c}_mean`, `${w}_${c}_sd`])),
    ...METRICS.flatMap(([m]) => WHO.flatMap((w) => [`${w}_${m}_mean`, `${w}_${m}_sd`])),
    ...classNames.flatMap((c) => METRICS.flatMap(([m]) => WHO.flatMap((w) => [`${w}_${c}_${m}_mean`, `${w}_${c}_${m}_sd`]))),
  ];
  const rows = table.map((r) => [
    r.site, String(r.n), String(r.failed), String(r.trainedOn), r.adapter ?? "",
    ...stat.map((s) => csvNumber(r.base[s])), ...stat.map((s) => csvNumber(r.adapted?.[s])), csvNumber(r.gain?.mean), csvNumber(r.gain?.sd), csvNumber(r.gain?.ci95?.[0]), csvNumber(r.gain?.ci95?.[1]),
    ...classNames.flatMap((c) => {
      const k = r.classes[c];
      return [k?.base, k?.adapted, k?.gain].flatMap((s) => [csvNumber(s?.mean), csvNumber(s?.sd)]);
    }),
    ...METRICS.flatMap(([, of]) => meanSdCells(of(r)?.mean)),
    ...classNames.flatMap((c) => METRICS.flatMap(([, of]) => meanSdCells(of(r)?.classes[c]))),
  ]);
  return [header, ...rows].map(csvLine).join("\n") + "\n";
}

/**
 * One row per case (sorted by id): mean Dice and per-class Dice for base and adapter, the gain,
 * then per class the volume error (`base_CSF_volerr_ml`, `…_volerr_pct`: predicted − reference in
 * mL and % of the reference) and HD95 (`base_CSF_hd95`, mm) of base and adapter, and the error.
 */
export function casesCsv(results: CaseResult[], classNames: string[]): string {
  const header = [
    "id", "site", "image", "label", "convention", "adapter", "trained_on", "base_dice", "adapter_dice", "gain",
    ...classNames.flatMap((c) => [`base_${c}`, `adapter_${c}`, `gain_${c}`]),
    ...classNames.flatMap((c) => ["base", "adapter"].flatMap((w) => [`${w}_${c}_volerr_ml`, `${w}_${c}_volerr_pct`, `${w}_${c}_hd95`])),
    "error",
  ];
  const diff = (a: number | null | undefined, b: number | null | undefined) => (typeof a === "number" && typeof b === "number" ? a - b : null);
  const rows = [...results].sort(byKey((c) => c.id)).map((r) => [
    r.id, r.site, r.image, r.label, r.convention ?? "", r.adapter ?? "", r.trainedOn ? "yes" : "",
    csvNumber(r.base?.meanDice), csvNumber(r.adapted?.meanDice), csvNumber(diff(r.adapted?.meanDice, r.base?.meanDice)),
    ...classNames.flatMap((c) => [csvNumber(r.base?.dice[c]), csvNumber(r.adapted?.dice[c]), csvNumber(diff(r.adapted?.dice[c], r.base?.dice[c]))]),
    ...classNames.flatMap((c) => [r.base, r.adapted].flatMap((s) => [csvNumber(s?.volumeErrorMl?.[c]), csvNumber(s?.volumeErrorPct?.[c]), csvNumber(s?.hd95Mm?.[c])])),
    r.error ?? "",
  ]);
  return [header, ...rows].map(csvLine).join("\n") + "\n";
}

// ---- JSON documents and merging shards

// volume error and HD95: optional, so studies written before them still merge (their cases then have none)
const ScoresSchema = z.object({
  dice: z.record(z.string(), z.number().nullable()),
  meanDice: z.number().nullable(),
  volumeErrorMl: z.record(z.string(), z.number()).optional(),
  volumeErrorPct: z.record(z.string(), z.number().nullable()).optional(),
  hd95Mm: z.record(z.string(), z.number().nullable()).optional(),
});
const CaseSchema = z.object({
  id: z.string().min(1),
  site: z.string(),
  image: z.string(),
  label: z.string(),
  convention: z.string().transform(conventionId).nullable(),
  adapter: z.string().nullable(),
  // optional, as below: studies written before they were recorded still merge
  adapterSha256: z.string().nullable().optional(),
  base: ScoresSchema.nullable(),
  adapted: ScoresSchema.nullable(),
  trainedOn: z.boolean().default(false),
  error: z.string().nullable(),
  ms: z.number().nonnegative().optional(),
});
const StudyJsonSchema = z.object({
  kind: z.literal("siteseg-study"),
  schemaVersion: z.literal(1),
  model: z.object({ id: z.string(), version: z.string(), sha256: z.string().optional() }),
  classes: z.array(z.string()),
  shard: z.object({ index: z.number().int().min(1), count: z.number().int().min(1), total: z.number().int().min(0) }).nullable(),
  cases: z.array(CaseSchema),
  // recomputed on merging: only its presence is checked
  table: z.array(z.unknown()),
});

/** How far a recorded mean may lie from the one its values give (summation order aside, they are equal to the bit). */
const MEAN_TOLERANCE = 1e-9;
const close = (a: number | null, b: number | null) => (a === null || b === null ? a === b : Math.abs(a - b) <= MEAN_TOLERANCE);
const ALTERED = "the file was altered or damaged; merge the files siteseg study wrote";

/**
 * Scores that could not have come from a study: a Dice outside [0, 1], a negative HD95, Dice
 * for classes other than the study's, or a case's mean Dice that is not the mean of its classes'.
 */
function checkScores(study: StudyJson, name: string): void {
  const classes = new Set(study.classes);
  for (const c of study.cases) {
    for (const [who, sc] of [["base", c.base], ["adapter", c.adapted]] as const) {
      if (!sc) continue;
      const where = `${name}: case ${c.id}: the ${who}'s`;
      const named = Object.keys(sc.dice);
      if (named.length !== classes.size || named.some((k) => !classes.has(k))) throw new StudyError(`${where} Dice are for ${named.join(", ") || "no class"}, but the study scores ${study.classes.join(", ")}: ${ALTERED}`);
      for (const [k, v] of Object.entries(sc.dice)) if (v !== null && !(v >= 0 && v <= 1)) throw new StudyError(`${where} Dice of ${k} is ${v}, outside [0, 1]: ${ALTERED}`);
      if (sc.meanDice !== null && !(sc.meanDice >= 0 && sc.meanDice <= 1)) throw new StudyError(`${where} mean Dice is ${sc.meanDice}, outside [0, 1]: ${ALTERED}`);
      for (const [k, v] of Object.entries(sc.hd95Mm ?? {})) if (v !== null && !(v >= 0)) throw new StudyError(`${where} HD95 of ${k} is ${v} mm, below 0: ${ALTERED}`);
      // the mean over the classes that have a Dice, in the study's class order (core/metrics meanDice)
      const present = study.classes.map((k) => sc.dice[k]).filter((v): v is number => v !== null);
      const mean = present.length ? present.reduce((a, v) => a + v, 0) / present.length : null;
      if (!close(sc.meanDice, mean)) throw new StudyError(`${where} mean Dice ${sc.meanDice} is not the mean of its classes' Dice (${mean}): ${ALTERED}`);
    }
  }
}

/**
 * A study's table against its cases: per site (in order), the cases scored and the mean Dice of
 * base and adapter, recomputed as studyTable does (the rest of the table is recomputed on merging;
 * these are what a person reads first).
 */
function checkTable(study: StudyJson, name: string): void {
  const rows = study.table as unknown[];
  const fresh = studyTable(study.cases, study.classes);
  const mean = (s: unknown) => (s && typeof s === "object" && "mean" in s && (typeof s.mean === "number" || s.mean === null) ? s.mean : undefined);
  const bad = fresh.find((r, k) => {
    const t = rows[k] as { site?: unknown; n?: unknown; base?: unknown; adapted?: unknown } | null | undefined;
    const baseMean = mean(t?.base), adaptedMean = t?.adapted === null ? null : mean(t?.adapted);
    return t?.site !== r.site || t.n !== r.n || baseMean === undefined || adaptedMean === undefined || !close(baseMean, r.base.mean) || !close(adaptedMean, r.adapted?.mean ?? null);
  });
  if (bad || rows.length !== fresh.length) {
    const which = bad ? `site ${bad.site}'s row (${bad.n} cases, base mean Dice ${bad.base.mean}${bad.adapted ? `, adapter ${bad.adapted.mean}` : ""} from its cases)` : `its ${rows.length} rows (${fresh.length} sites in its cases)`;
    throw new StudyError(`${name}: the table does not match its cases at ${which}: ${ALTERED}`);
  }
}

/** A study document checked against the schema; `name` (a file name) prefixes the error. */
export function parseStudyJson(doc: unknown, name = "study"): StudyJson {
  const r = StudyJsonSchema.safeParse(doc);
  if (r.success) return r.data as StudyJson;
  const kind = (doc as { kind?: unknown } | null)?.kind;
  if (kind !== "siteseg-study") throw new StudyError(`${name} is not a siteseg study (written by siteseg study --json)`);
  const issues = r.error.issues.slice(0, 3).map((i) => `${i.path.join(".") || "(document)"}: ${i.message}`);
  throw new StudyError(`${name} is not a valid siteseg study: ${issues.join("; ")}`);
}

/**
 * Joins the shards of one study (`siteseg study --shard I/N --json`) into the document a single
 * run would have written: same model and classes, one count, every shard 1..N exactly once, each
 * case once; the table is recomputed from all cases. A whole study counts as shard 1/1.
 * Refused too: scores no study gives (a Dice outside [0, 1], a case's mean Dice that is not the
 * mean of its classes', a table whose sites, case counts or mean Dice its cases do not give).
 * `names` (file names) label the errors.
 */
export function mergeStudies(docs: unknown[], names: string[] = docs.map((_, i) => `study ${i + 1}`)): StudyJson {
  if (!docs.length) throw new StudyError("nothing to merge: give the JSON files that siteseg study --shard I/N --json wrote");
  const studies = docs.map((d, i) => parseStudyJson(d, names[i]));
  const first = studies[0];
  const shards = studies.map((s) => s.shard ?? { index: 1, count: 1, total: s.cases.length });
  studies.forEach((s, i) => {
    if (shards[i].index > shards[i].count) throw new StudyError(`${names[i]} calls itself shard ${shards[i].index}/${shards[i].count}: a shard's index runs from 1 to its count; ${ALTERED}`);
    if (s.model.id !== first.model.id || s.model.version !== first.model.version) {
      throw new StudyError(`${names[i]} was made with model ${s.model.id} ${s.model.version}, ${names[0]} with ${first.model.id} ${first.model.version}: merge results of one model only`);
    }
    if (s.model.sha256 && first.model.sha256 && s.model.sha256 !== first.model.sha256) {
      throw new StudyError(`${names[i]} was made with a model file of sha256 ${s.model.sha256.slice(0, 12)}…, ${names[0]} with ${first.model.sha256.slice(0, 12)}… (both ${first.model.id} ${first.model.version}): merge results of one model file only`);
    }
    if (s.classes.join("\n") !== first.classes.join("\n")) {
      throw new StudyError(`${names[i]} scores classes ${s.classes.join(", ")}, ${names[0]} ${first.classes.join(", ")}: merge results of one model only`);
    }
    if (shards[i].count !== shards[0].count) {
      throw new StudyError(`${names[i]} is shard ${shards[i].index}/${shards[i].count} but ${names[0]} is ${shards[0].index}/${shards[0].count}: every shard of a study must use the same count`);
    }
    if (shards[i].total !== shards[0].total) {
      throw new StudyError(`${names[i]} comes from a study of ${shards[i].total} cases, ${names[0]} from one of ${shards[0].total}: the shards were run on different case lists`);
    }
  });
  // scores no study gives (after the checks above, which name likelier mistakes: another model's classes)
  studies.forEach((s, i) => checkScores(s, names[i]));
  const count = shards[0].count;
  const holder = new Map<number, string>();
  shards.forEach(({ index }, i) => {
    const other = holder.get(index);
    if (other !== undefined) throw new StudyError(`shard ${index}/${count} is given twice (${other} and ${names[i]})`);
    holder.set(index, names[i]);
  });
  const missing = Array.from({ length: count }, (_, k) => k + 1).filter((k) => !holder.has(k));
  if (missing.length) throw new StudyError(`shard${missing.length > 1 ? "s" : ""} ${missing.map((k) => `${k}/${count}`).join(", ")} ${missing.length > 1 ? "are" : "is"} missing`);
  const seen = new Map<string, string>();
  const cases: CaseResult[] = [];
  studies.forEach((s, i) => {
    for (const c of s.cases) {
      const other = seen.get(c.id);
      if (other !== undefined) throw new StudyError(`case ${c.id} appears in both ${other} and ${names[i]}`);
      seen.set(c.id, names[i]);
      cases.push(c);
    }
  });
  if (cases.length !== shards[0].total) {
    throw new StudyError(`the shards hold ${cases.length} cases, but the study they come from has ${shards[0].total}`);
  }
  // last: a shard's table that its own cases do not give (the checks above name likelier mistakes first)
  studies.forEach((s, i) => checkTable(s, names[i]));
  // the model file's sha256 only when every shard records it (they agree, checked above)
  const sha256 = studies.every((s) => s.model.sha256) ? first.model.sha256 : undefined;
  return studyJson({ id: first.model.id, version: first.model.version, sha256 }, first.classes, cases, null);
}
