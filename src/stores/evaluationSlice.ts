import { conventionsOf, guessConvention, labelValues, MODEL_CLASSES, resolveConvention, type ConventionId } from "../core/metrics/conventions";
import { alignReference, checkLabelMap, evaluateAligned, type AlignedReference, type Evaluation } from "../core/metrics/evaluate";
import type { Volume } from "../core/volume/types";
import type { ResultKey, SegmentationResult } from "./jobSlice";
import { message, type Slice } from "./types";

export interface EvaluationSlice {
  reference: { name: string; volume: Volume; values: number[] } | null;
  convention: ConventionId;
  conventionGuessed: boolean;
  /** Dice of the shown result. */
  evaluation: Evaluation | null;
  /** Dice of every kept result (base and adapters), for the comparison. */
  evaluations: Record<ResultKey, Evaluation>;
  evaluationError: string | null;
  openReference: (name: string, bytes: Uint8Array) => Promise<void>;
  /** A reference already read (a sample site's label). */
  setReference: (name: string, volume: Volume, convention?: ConventionId) => void;
  setConvention: (c: ConventionId) => void;
  clearReference: () => void;
  recomputeEvaluation: () => void;
}

export const createEvaluationSlice: Slice<EvaluationSlice> = (set, get) => {
  // Scores are cached per result for one (reference, convention, axis): switching the shown
  // result or adding one never re-scores the others.
  let cache = new WeakMap<SegmentationResult, Evaluation>();
  let cacheFor = "";
  // The reference on the results' grid, aligned once for them all (every result of one scan shares its grid).
  let aligned: { key: string; value: AlignedReference } | null = null;
  let referenceId = 0;
  const alignKey = (grid: Volume, convention: ConventionId) => `${referenceId}|${convention}|${grid.dims}|${grid.affine}`;

  return {
    reference: null,
    convention: MODEL_CLASSES,
    conventionGuessed: false,
    evaluation: null,
    evaluations: {},
    evaluationError: null,
    openReference: async (name, bytes) => {
      let volume: Volume;
      try {
        ({ volume } = await get().volumeReader(bytes, name, 0));
      } catch (e) {
        set({ evaluationError: message(e) });
        return;
      }
      get().setReference(name, volume);
    },
    setReference: (name, volume, convention) => {
      const values = labelValues(volume.data);
      const { manifest, scan } = get();
      const chosen = convention ?? (manifest ? guessConvention(values, conventionsOf(manifest)) : MODEL_CLASSES);
      // a reference that cannot be scored is refused before it replaces the one in use
      let checked: AlignedReference | null = null;
      try {
        checkLabelMap(volume);
        if (manifest && scan) checked = alignReference(volume, scan.volume, resolveConvention(manifest, chosen));
      } catch (e) {
        return set({ evaluationError: `${name} was not loaded: ${message(e)}${get().reference ? ` The reference ${get().reference!.name} stays.` : ""}` });
      }
      referenceId++;
      if (checked && scan) aligned = { key: alignKey(scan.volume, chosen), value: checked }; // the scan's results share its grid
      set({ reference: { name, volume, values }, convention: chosen, conventionGuessed: !convention, evaluationError: null });
      get().recomputeEvaluation();
    },
    setConvention: (convention) => {
      set({ convention, conventionGuessed: false });
      get().recomputeEvaluation();
    },
    clearReference: () => {
      referenceId++;
      set({ reference: null, evaluation: null, evaluations: {}, evaluationError: null });
    },
    recomputeEvaluation: () => {
      const { reference, result, results, manifest } = get();
      if (!reference || !manifest) return set({ evaluation: null, evaluations: {} });
      // another model may not know the reference's convention: guess again among its own
      const known = conventionsOf(manifest);
      if (!known.some((c) => c.id === get().convention)) set({ convention: guessConvention(reference.values, known), conventionGuessed: true });
      const convention = get().convention;
      const axis = get().perSliceAxis();
      const key = `${referenceId}|${convention}|${axis}`;
      if (key !== cacheFor) {
        cache = new WeakMap();
        cacheFor = key;
      }
      const alignedTo = (labels: Volume) => {
        const key = alignKey(labels, convention);
        if (aligned?.key !== key) aligned = { key, value: alignReference(reference.volume, labels, resolveConvention(manifest, convention)) };
        return aligned.value;
      };
      const names = manifest.classes.map((c) => c.name);
      const evaluations: Record<ResultKey, Evaluation> = {};
      try {
        for (const [k, r] of Object.entries(results)) {
          let ev = cache.get(r);
          if (!ev) cache.set(r, (ev = evaluateAligned(r.labels, alignedTo(r.labels), convention, names, axis)));
          evaluations[k] = ev;
        }
        set({ evaluations, evaluation: result ? (cache.get(result) ?? null) : null, evaluationError: null });
      } catch (e) {
        set({ evaluation: null, evaluations: {}, evaluationError: message(e) });
      }
    },
  };
};
