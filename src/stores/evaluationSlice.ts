import { readVolume } from "../core/io";
import { guessConvention, labelValues, type ConventionId } from "../core/metrics/conventions";
import { evaluate, type Evaluation } from "../core/metrics/evaluate";
import type { Volume } from "../core/volume/types";
import { message, type Slice } from "./types";

export interface EvaluationSlice {
  reference: { name: string; volume: Volume; values: number[] } | null;
  convention: ConventionId;
  conventionGuessed: boolean;
  evaluation: Evaluation | null;
  evaluationError: string | null;
  openReference: (name: string, bytes: Uint8Array) => void;
  setConvention: (c: ConventionId) => void;
  clearReference: () => void;
  recomputeEvaluation: () => void;
}

export const createEvaluationSlice: Slice<EvaluationSlice> = (set, get) => ({
  reference: null,
  convention: "tissue",
  conventionGuessed: false,
  evaluation: null,
  evaluationError: null,
  openReference: (name, bytes) => {
    let volume: Volume;
    try {
      volume = readVolume(bytes, name);
    } catch (e) {
      set({ evaluationError: message(e) });
      return;
    }
    const values = labelValues(volume.data);
    const K = get().manifest?.classes.length ?? 4;
    set({ reference: { name, volume, values }, convention: guessConvention(values, K), conventionGuessed: true, evaluationError: null });
    get().recomputeEvaluation();
  },
  setConvention: (convention) => {
    set({ convention, conventionGuessed: false });
    get().recomputeEvaluation();
  },
  clearReference: () => set({ reference: null, evaluation: null, evaluationError: null }),
  recomputeEvaluation: () => {
    const { reference, result, manifest, convention } = get();
    if (!reference || !result || !manifest) return set({ evaluation: null });
    try {
      const axis = get().perSliceAxis();
      set({ evaluation: evaluate(result.labels, reference.volume, convention, manifest.classes.map((c) => c.name), axis), evaluationError: null });
    } catch (e) {
      set({ evaluation: null, evaluationError: message(e) });
    }
  },
});
