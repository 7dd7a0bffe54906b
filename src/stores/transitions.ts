import { resultKey, type SegmentationResult } from "./jobSlice";
import type { LoadedScan } from "./scanSlice";
import { idleTraining } from "./trainSlice";
import type { Slice } from "./types";

/**
 * What changes when the scan, the model, the adapter or the shown mask is replaced, written in
 * one place: the slices never write each other's fields for these, they call these actions.
 */
export interface TransitionsSlice {
  /**
   * A new scan is in place (`sameFile`: another volume of the open 4D file, whose reference still
   * fits). A segmentation or a training of the viewer's scan ends and says why (the study's
   * training reads its own cases and goes on); every mask, its corrections and undo steps go; the
   * reference goes with another file; the adapter's contrast check runs for the new scan.
   */
  newScan: (scan: LoadedScan, sameFile?: boolean) => void;
  /** Another model was chosen (still loading): a run ends; its options and an adapter still loading were the last model's. */
  leaveModel: () => void;
  /**
   * Another model has loaded: masks, corrections, adapters, the contrast check and the training
   * panel's last run belonged to the last one and go; a training still running ends and says why.
   * The reference stays (scored if the new model offers its convention).
   */
  newModel: () => void;
  /** The adapter in use changed (chosen, loaded, trained): its kept mask shows, and its contrast is checked against the scan. */
  newAdapter: () => void;
  /** A run's mask arrives: it is kept and shown (even if masks were switched off), its old scores and undo steps go. */
  newResult: (result: SegmentationResult) => void;
}

const idleJob = { status: "idle" as const, done: 0, total: 0, error: null };
const clearedEdits = { undoStack: [], redoStack: [], editTool: null };

export const createTransitionsSlice: Slice<TransitionsSlice> = (set, get) => ({
  newScan: (scan, sameFile = false) => {
    const note = sameFile ? "another volume of the scan was shown" : "a new scan was opened";
    // a run cut short by the new scan is said so, not silently reset
    const cut = get().cancelActiveJob(note, ["segmenting", "comparing"]);
    if (get().training.study === undefined) get().cancelTraining(note);
    set({ scan, scanError: null, jump: null, job: cut ? { ...idleJob, status: "cancelled", note } : idleJob, ...clearedEdits });
    get().clearResults();
    if (sameFile) get().recomputeEvaluation();
    else get().clearReference();
    // an adapter still chosen is checked against the new scan's contrast, once a sample's reference (set next) is there
    setTimeout(() => get().checkScanContrast(), 0);
  },
  leaveModel: () => {
    get().cancelSegmentation("another model was chosen");
    set({ inferenceOptions: null, adapterStatus: "idle" });
  },
  newModel: () => {
    const note = "another model was loaded";
    // the study's training too: its adapter would be the last model's
    const cut = get().cancelActiveJob(note, ["training"]);
    get().clearResults();
    set({ ...clearedEdits, adapter: null, fileAdapters: [], adapterError: null, scanContrast: null, training: cut ? { ...idleTraining, status: "cancelled", note } : idleTraining });
    get().recomputeEvaluation();
  },
  newAdapter: () => {
    get().showResult(resultKey(get().adapter?.name ?? null));
    get().checkScanContrast();
  },
  newResult: (result) => {
    const key = resultKey(result.adapter);
    const others = <T extends { key: string }>(steps: T[]) => steps.filter((s) => s.key !== key); // their voxels are gone
    set({
      results: { ...get().results, [key]: result },
      result,
      evaluation: null,
      evaluations: Object.fromEntries(Object.entries(get().evaluations).filter(([k]) => k !== key)),
      maskVisible: true,
      undoStack: others(get().undoStack),
      redoStack: others(get().redoStack),
    });
  },
});
