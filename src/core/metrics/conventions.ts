/**
 * Reference-label conventions: how a reference's numbers map onto a model's classes, by class
 * *name* (the model's manifest names its classes and lists the conventions that apply to them;
 * no class number is fixed here). Tables are JSON keyed by class name, shared with training/labels.py:
 * freesurfer-tissue.json is the tissue convention of ../shared/data/README.md, gif-tissue.json
 * the same rules in GIF / NeuroMorphometrics numbering, brats-tumour.json the BraTS labels.
 */
import bratsTable from "./brats-tumour.json";
import fetaTable from "./feta-tissue.json";
import freesurferTable from "./freesurfer-tissue.json";
import gifTable from "./gif-tissue.json";

/** A label value or an inclusive [first, last] range. */
export type Entry = number | [number, number];

/** A numbering scheme: the label values of each class, by class name. */
export interface ConventionTable {
  label: string;
  classes: Record<string, Entry[]>;
  /** Label values scored as no class at all (a structure the classes split, e.g. the FeTA cerebellum): left out of Dice and volumes. */
  excluded?: Entry[];
}

/** The class value a convention gives an excluded label: no class of any model (a model has at most 255 classes). */
export const EXCLUDED = 255;

/** The reference holds the model's own class numbers. Always offered; "tissue" is its former name. */
export const MODEL_CLASSES = "classes";
const ALIASES: Record<string, string> = { tissue: MODEL_CLASSES };
/** A convention id as typed by a user or stored in an older file, in today's name. */
export const conventionId = (id: string) => ALIASES[id] ?? id;

const fromJson = (label: string, json: Record<string, unknown>): ConventionTable => ({
  label,
  classes: Object.fromEntries(Object.entries(json).filter(([k]) => k !== "source" && k !== "classes" && k !== "excluded")) as Record<string, Entry[]>,
  ...(json.excluded ? { excluded: json.excluded as Entry[] } : {}),
});

/** The tables a manifest may name in `labelConventions` by id. */
export const BUILTIN_CONVENTIONS: Record<string, ConventionTable> = {
  freesurfer: fromJson("FreeSurfer aseg / aparc numbering", freesurferTable),
  gif: fromJson("GIF parcellation (NeuroMorphometrics)", gifTable),
  brats: fromJson("BraTS labels (1 necrosis, 2 oedema, 3 non-enhancing, 4 enhancing)", bratsTable),
  feta: fromJson("FeTA fetal labels + corpus callosum (cerebellum not scored)", fetaTable),
};

export interface Convention {
  id: string;
  label: string;
  /** Map a reference label value to a model class index (unlisted values: the background class; excluded ones: EXCLUDED). */
  map: (value: number) => number;
  /** The label values this convention knows (excluded ones among them). */
  values: ReadonlySet<number>;
  /** The label values it leaves unscored, and why (empty when none). */
  excluded: ReadonlySet<number>;
}

const expand = (entries: Entry[]) => entries.flatMap((e) => (Array.isArray(e) ? Array.from({ length: e[1] - e[0] + 1 }, (_, i) => e[0] + i) : [e]));

/** Label values per class name, expanded. */
export const tableValues = (t: ConventionTable) => Object.fromEntries(Object.entries(t.classes).map(([name, entries]) => [name, expand(entries)]));

export class ConventionError extends Error {
  override name = "ConventionError";
}

/**
 * A table's lookup onto a model's classes, matched by name. `where` names the manifest field
 * for the error when the table names a class the model does not have.
 */
export function conventionOf(id: string, table: ConventionTable, classNames: string[], background: number, where = id): Convention {
  const lookup = new Map<number, number>();
  for (const [name, values] of Object.entries(tableValues(table))) {
    const index = classNames.indexOf(name);
    if (index < 0) throw new ConventionError(`${where}: the table maps class "${name}", but the model's classes are ${classNames.join(", ")}`);
    for (const v of values) lookup.set(v, index);
  }
  const excluded = new Set(expand(table.excluded ?? []));
  for (const v of excluded) {
    if (lookup.has(v)) throw new ConventionError(`${where}: label ${v} is both excluded and mapped to ${classNames[lookup.get(v)!]}`);
    lookup.set(v, EXCLUDED);
  }
  return { id, label: table.label, map: (v) => lookup.get(v) ?? background, values: new Set(lookup.keys()), excluded };
}

/** The model's own numbering: a reference already in its classes. */
export function modelClassesConvention(classNames: string[], background: number): Convention {
  return {
    id: MODEL_CLASSES,
    label: `Model classes (${classNames.map((n, i) => `${i} ${n}`).join(", ")})`,
    map: (v) => (v >= 0 && v < classNames.length ? v : background),
    values: new Set(classNames.map((_, i) => i)),
    excluded: new Set(),
  };
}

type ConventionSource = { classes: { name: string }[]; labelConventions: (string | ({ id: string } & ConventionTable))[] };
const built = new WeakMap<ConventionSource, Convention[]>();

/** A manifest's conventions as its classes see them: the model's own numbering, then those it lists. */
export function conventionsOf(manifest: ConventionSource): Convention[] {
  let all = built.get(manifest);
  if (!all) built.set(manifest, (all = buildConventions(manifest)));
  return all;
}

function buildConventions(manifest: ConventionSource): Convention[] {
  const names = manifest.classes.map((c) => c.name);
  const background = 0; // the schema makes the background class the first
  const listed = manifest.labelConventions.flatMap((entry, i) => {
    if (typeof entry !== "string") return [conventionOf(entry.id, entry, names, background, `labelConventions.${i}`)];
    const id = conventionId(entry);
    if (id === MODEL_CLASSES) return [];
    const table = BUILTIN_CONVENTIONS[id];
    if (!table) throw new ConventionError(`labelConventions.${i}: unknown convention "${entry}" (built in: ${Object.keys(BUILTIN_CONVENTIONS).join(", ")}; or give a table)`);
    return [conventionOf(id, table, names, background, `labelConventions.${i} (${id})`)];
  });
  return [modelClassesConvention(names, background), ...listed];
}

/** Largest value range counted in a table rather than a Map (a label map's range is a few thousand). */
const TABLE_RANGE = 1 << 20;

/** An array that can hold only whole numbers. */
export const isIntegerArray = (data: ArrayLike<number>) =>
  data instanceof Uint8Array || data instanceof Int8Array || data instanceof Uint16Array || data instanceof Int16Array || data instanceof Int32Array || data instanceof Uint32Array;

/** The smallest value and a voxel count per value from it, when `data` holds integers of a modest range; else null. */
function countTable(data: ArrayLike<number>): { min: number; counts: Uint32Array } | null {
  if (!isIntegerArray(data) || data.length === 0) return null;
  // one reference is counted by the guess of its convention, its mapping and its check: once
  const known = counted.get(data);
  if (known !== undefined) return known;
  const table = countValues(data);
  counted.set(data, table);
  return table;
}

/** Count tables of the label arrays seen, while they live: only references come here, and a reference is not changed once read (masks, which corrections change, never do). */
const counted = new WeakMap<object, { min: number; counts: Uint32Array } | null>();

function countValues(data: ArrayLike<number>): { min: number; counts: Uint32Array } | null {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (max - min >= TABLE_RANGE) return null;
  const counts = new Uint32Array(max - min + 1);
  for (let i = 0; i < data.length; i++) counts[data[i] - min]++;
  return { min, counts };
}

/**
 * Voxels per distinct value of a label volume (values rounded to integers), in value order.
 * Integer arrays are counted in a table: through Maps, setting the T1 sample's aparc reference
 * (its values found, mapped and counted) held the page 240 ms.
 */
export function labelCounts(data: ArrayLike<number>): Map<number, number> {
  const table = countTable(data);
  const out = new Map<number, number>();
  if (table) {
    table.counts.forEach((n, k) => n && out.set(table.min + k, n));
    return out;
  }
  for (let i = 0; i < data.length; i++) {
    const v = Math.round(data[i]);
    out.set(v, (out.get(v) ?? 0) + 1);
  }
  return new Map([...out].sort((a, b) => a[0] - b[0]));
}

/** Distinct integer values of a label volume. */
export function labelValues(data: ArrayLike<number>): number[] {
  return [...labelCounts(data).keys()];
}

/** FreeSurfer labels GIF never uses: left cerebellar WM/cortex, thalamus, caudate, hippocampus, amygdala. */
const FREESURFER_ONLY = [7, 8, 10, 11, 17, 18];

/**
 * Guess a reference's convention among a model's from the values present: its own numbering when
 * every value is a class index, otherwise the table that knows the largest share of the values
 * (ties: the earlier one). GIF and FreeSurfer share 2, 3, 4, 41, 42, 43 with other meanings;
 * FreeSurfer's subcortical labels 7/8/10/11/17/18, which every aseg has and GIF never, decide.
 */
export function guessConvention(values: number[], conventions: Convention[]): string {
  const own = conventions.find((c) => c.id === MODEL_CLASSES);
  if (own && values.every((v) => own.values.has(v))) return own.id;
  const nonzero = values.filter((v) => v !== 0);
  const has = new Set(values);
  const fsOnly = FREESURFER_ONLY.some((v) => has.has(v));
  let best = own?.id ?? conventions[0].id;
  let bestShare = 0;
  for (const c of conventions) {
    if (c.id === MODEL_CLASSES) continue;
    if (c.id === "gif" && fsOnly) continue;
    const share = nonzero.filter((v) => c.values.has(v)).length / Math.max(1, nonzero.length);
    if (share > bestShare) [best, bestShare] = [c.id, share];
  }
  return best;
}

/** Reference values converted to model classes; values the convention does not know become background. */
export function applyConvention(data: ArrayLike<number>, convention: Convention): Uint8Array {
  const out = new Uint8Array(data.length);
  // integers of a modest range: a lookup table over it, no rounding and no Map per voxel
  const table = countTable(data);
  if (table) {
    const lut = Uint8Array.from(table.counts, (n, k) => (n ? convention.map(table.min + k) : 0));
    for (let i = 0; i < data.length; i++) out[i] = lut[data[i] - table.min];
    return out;
  }
  const cache = new Map<number, number>();
  for (let i = 0; i < data.length; i++) {
    const v = Math.round(data[i]);
    let c = cache.get(v);
    if (c === undefined) {
      c = convention.map(v);
      cache.set(v, c);
    }
    out[i] = c;
  }
  return out;
}

/** A convention's id (see conventionsOf): "classes", a built-in table's id, or a manifest's own. */
export type ConventionId = string;

/** One of a manifest's conventions by id (former names accepted); an error listing them when unknown. */
export function resolveConvention(manifest: ConventionSource, id: ConventionId): Convention {
  const all = conventionsOf(manifest);
  const found = all.find((c) => c.id === conventionId(id));
  if (!found) throw new ConventionError(`This model's label conventions are ${all.map((c) => c.id).join(", ")}; "${id}" is not one of them`);
  return found;
}
