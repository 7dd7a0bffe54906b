/**
 * Reference-label conventions: how a reference's numbers map onto the model's classes.
 * The FreeSurfer table (freesurfer-tissue.json) is the tissue convention of ../shared/data/README.md.
 */
import table from "./freesurfer-tissue.json";

export type ConventionId = "tissue" | "freesurfer";

export interface Convention {
  id: ConventionId;
  label: string;
  /** Map a reference label value to a model class index (0 = background). */
  map: (value: number) => number;
}

type Entry = number | [number, number];
const expand = (entries: Entry[]) => entries.flatMap((e) => (Array.isArray(e) ? Array.from({ length: e[1] - e[0] + 1 }, (_, i) => e[0] + i) : [e]));
/** Shared with training/labels.py: one table for training targets and evaluation. */
export const FREESURFER_TISSUE = {
  CSF: expand(table.CSF as Entry[]),
  GM: expand(table.GM as Entry[]),
  WM: expand(table.WM as Entry[]),
};

const fsLookup = new Map<number, number>([
  ...FREESURFER_TISSUE.CSF.map((v) => [v, 1] as [number, number]),
  ...FREESURFER_TISSUE.GM.map((v) => [v, 2] as [number, number]),
  ...FREESURFER_TISSUE.WM.map((v) => [v, 3] as [number, number]),
]);

export const CONVENTIONS: Record<ConventionId, Convention> = {
  tissue: { id: "tissue", label: "Model classes (0 bg, 1 CSF, 2 GM, 3 WM)", map: (v) => v },
  freesurfer: { id: "freesurfer", label: "FreeSurfer aseg / aparc numbering", map: (v) => fsLookup.get(v) ?? 0 },
};

/** Distinct integer values of a label volume (sampled cheaply via a Set over all voxels). */
export function labelValues(data: ArrayLike<number>): number[] {
  const seen = new Set<number>();
  for (let i = 0; i < data.length; i++) seen.add(Math.round(data[i]));
  return [...seen].sort((a, b) => a - b);
}

/** Guess: values beyond the model's classes that FreeSurfer uses for cortex/WM mean FreeSurfer. */
export function guessConvention(values: number[], numClasses: number): ConventionId {
  const max = values[values.length - 1] ?? 0;
  if (max < numClasses) return "tissue";
  const fsHits = [2, 3, 41, 42, 4, 43].filter((v) => values.includes(v)).length;
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
