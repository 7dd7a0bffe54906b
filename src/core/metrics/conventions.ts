/**
 * Reference-label conventions: how a reference's numbers map onto the model's classes.
 * The FreeSurfer table (freesurfer-tissue.json) is the tissue convention of ../shared/data/README.md;
 * the GIF table (gif-tissue.json) applies the same rules to GIF / NeuroMorphometrics numbering.
 */
import freesurferTable from "./freesurfer-tissue.json";
import gifTable from "./gif-tissue.json";

export type ConventionId = "tissue" | "freesurfer" | "gif";

export interface Convention {
  id: ConventionId;
  label: string;
  /** Map a reference label value to a model class index (0 = background). */
  map: (value: number) => number;
}

type Entry = number | [number, number];
/** A label table as stored in *-tissue.json: label numbers (or inclusive [first, last] ranges) per tissue class. */
interface TissueTable {
  CSF: Entry[];
  GM: Entry[];
  WM: Entry[];
}
export interface TissueLabels {
  CSF: number[];
  GM: number[];
  WM: number[];
  /** Model class of a label value; unlisted values are background (0). */
  map: (value: number) => number;
}

const expand = (entries: Entry[]) => entries.flatMap((e) => (Array.isArray(e) ? Array.from({ length: e[1] - e[0] + 1 }, (_, i) => e[0] + i) : [e]));

/** Expand a JSON tissue table and build its lookup (CSF 1, GM 2, WM 3). */
function tissueLabels(table: TissueTable): TissueLabels {
  const CSF = expand(table.CSF), GM = expand(table.GM), WM = expand(table.WM);
  const lookup = new Map<number, number>();
  ([[CSF, 1], [GM, 2], [WM, 3]] as const).forEach(([values, cls]) => values.forEach((v) => lookup.set(v, cls)));
  return { CSF, GM, WM, map: (v) => lookup.get(v) ?? 0 };
}

/** Shared with training/labels.py: one table per convention for training targets and evaluation. */
export const FREESURFER_TISSUE = tissueLabels(freesurferTable as TissueTable);
export const GIF_TISSUE = tissueLabels(gifTable as TissueTable);

export const CONVENTIONS: Record<ConventionId, Convention> = {
  tissue: { id: "tissue", label: "Model classes (0 bg, 1 CSF, 2 GM, 3 WM)", map: (v) => v },
  freesurfer: { id: "freesurfer", label: "FreeSurfer aseg / aparc numbering", map: FREESURFER_TISSUE.map },
  gif: { id: "gif", label: "GIF parcellation (NeuroMorphometrics)", map: GIF_TISSUE.map },
};

/** Distinct integer values of a label volume (sampled cheaply via a Set over all voxels). */
export function labelValues(data: ArrayLike<number>): number[] {
  const seen = new Set<number>();
  for (let i = 0; i < data.length; i++) seen.add(Math.round(data[i]));
  return [...seen].sort((a, b) => a - b);
}

/** FreeSurfer labels GIF never uses: left cerebellar WM/cortex, thalamus, caudate, hippocampus, amygdala. */
const FREESURFER_ONLY = [7, 8, 10, 11, 17, 18];
/** GIF cortical gyri (101-208) that must be present, together with no FreeSurfer-only label, to call it GIF. */
const GIF_MIN_CORTICAL = 20;

/**
 * Guess the convention from the values present. GIF is recognised by many of its cortical labels
 * (101-208), nothing above 208 and none of FreeSurfer's subcortical labels 7/8/10/11/17/18 (which every
 * aseg has, GIF never). This check runs first because GIF also uses 2, 3, 4, 41, 42, 43 (with other
 * meanings), which would otherwise count as FreeSurfer.
 */
export function guessConvention(values: number[], numClasses: number): ConventionId {
  const max = values[values.length - 1] ?? 0;
  if (max < numClasses) return "tissue";
  const has = new Set(values);
  const gifCortical = values.filter((v) => v >= 101 && v <= 208).length;
  if (max <= 208 && gifCortical >= GIF_MIN_CORTICAL && !FREESURFER_ONLY.some((v) => has.has(v))) return "gif";
  const fsHits = [2, 3, 41, 42, 4, 43].filter((v) => has.has(v)).length;
  return fsHits >= 3 ? "freesurfer" : "tissue";
}

/** Reference values converted to model classes; values the convention does not know become background. */
export function applyConvention(data: ArrayLike<number>, convention: ConventionId, numClasses: number): Uint8Array {
  const map = CONVENTIONS[convention].map;
  const cache = new Map<number, number>();
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = Math.round(data[i]);
    let c = cache.get(v);
    if (c === undefined) {
      c = map(v);
      if (c < 0 || c >= numClasses) c = 0;
      cache.set(v, c);
    }
    out[i] = c;
  }
  return out;
}
