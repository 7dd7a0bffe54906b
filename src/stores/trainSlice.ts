import { loadAdapter } from "../core/adapters";
import { throughPlaneAxis } from "../core/adapt/data";
import { TRAIN_DEFAULTS, type TrainOptions } from "../core/adapt/train";
import { sha256Hex } from "../core/manifest/load";
import { MODEL_CLASSES } from "../core/metrics/conventions";
import { CancelledError } from "../core/pipeline/runner";
import type { AdaptOutcome } from "../worker/protocol";
import type { LoadedAdapter } from "./adapterSlice";
import { correctedOf } from "./editSlice";
import { resultKey, type SegmentationResult } from "./jobSlice";
import { message, type Slice } from "./types";
import { busyWith, type WorkerClaim } from "./workerSlice";

export interface TrainingState {
  status: "idle" | "running" | "done" | "cancelled" | "error";
  step: number;
  steps: number;
  loss: number | null;
  error: string | null;
  /** Why a run was cancelled when the user did not cancel it (a new scan was opened). */
  note?: string;
  /** The last finished run: its adapter's name in the Adapter select, files and held-out Dice. */
  outcome: (AdaptOutcome & { name: string }) | null;
  /** The Site study's site whose ticked cases this run learns from (its outcome belongs to the study); absent: the viewer's scan. */
  study?: string;
}

export interface TrainRequest {
  /** Learn from the loaded reference label, or from the slices corrected by hand in the shown mask. */
  source: "reference" | "corrected";
  /** Training slices (reference source): the scan's axial slice numbers, or how many to spread over the brain. */
  slices?: number[];
  nSlices: number;
  options: Pick<TrainOptions, "rank" | "steps" | "lr">;
  site: string;
}

export interface TrainSlice {
  training: TrainingState;
  /** Trains an adapter from the open scan and its reference or corrected slices, in the worker. */
  trainAdapter: (req: TrainRequest) => Promise<void>;
  /** Stops a run; `note` says why when it was not the user's Cancel. */
  cancelTraining: (note?: string) => void;
  /** Starts the training state under a claim of the worker (the viewer's and the study's training); null when the worker is busy. */
  claimTraining: (steps: number, study?: string) => WorkerClaim | null;
}

/** The shown mask and its corrected axial slices (the scan's axis closest to S), or null when there are none. */
function correctedSource(affine: number[], result: SegmentationResult | null): { mask: SegmentationResult["labels"]; slices: number[] } | null {
  const axis = throughPlaneAxis(affine);
  const slices = [...new Set((result?.corrected ?? []).filter((c) => c.axis === axis).map((c) => c.index))].sort((a, b) => a - b);
  return result && slices.length ? { mask: result.labels, slices } : null;
}

/** The base's mask of the open scan as the model gave it (none once a slice of it was corrected). */
const baseMaskOf = (r: SegmentationResult | undefined) => (r && !correctedOf(r).length ? r.labels : undefined);

export const idleTraining: TrainingState = { status: "idle", step: 0, steps: 0, loss: null, error: null, outcome: null };

export const createTrainSlice: Slice<TrainSlice> = (set, get) => ({
  training: idleTraining,
  trainAdapter: async (req) => {
    const { scan, reference, convention, manifest, client, result, results } = get();
    const other = busyWith(get());
    if (!scan || !manifest || (other && other !== "training")) return; // a new training replaces one in flight; nothing else

    const source = req.source === "corrected" ? correctedSource(scan.volume.affine, result) : null;
    if (req.source === "corrected" && !source) {
      return set({ training: { ...idleTraining, status: "error", error: "No axial slice of the shown mask is corrected yet: correct a few slices with the brush in the Axial view, or train from a reference label." } });
    }
    if (req.source === "reference" && !reference) return;
    // a reference in a convention this model does not offer teaches nothing right (its numbers mean other classes)
    const unfit = get().conventionUnfit !== null;
    if (req.source === "reference" && unfit) {
      return set({ training: { ...idleTraining, status: "error", error: "The reference is numbered in a convention this model does not offer (see Evaluation): choose one of its conventions there, or open a label made for this model." } });
    }
    get().cancelTraining();
    const claim = get().claimTraining(req.options.steps);
    if (!claim) return;
    const mine = () => get().activeJob === claim;
    try {
      // provenance: the scan file's sha256, as siteseg adapt records it
      const sourceSha256 = await scan.sha256;
      const outcome = await client.adapt(
        {
          scan: scan.volume,
          ...(source
            ? // the corrected mask teaches its corrected slices; the reference label, if any, scores the others
              { reference: source.mask, convention: MODEL_CLASSES, slices: source.slices, scoreAgainst: reference && !unfit ? { reference: reference.volume, convention } : null }
            : { reference: reference!.volume, convention, slices: req.slices, nSlices: req.nSlices }),
          train: { ...TRAIN_DEFAULTS, ...req.options, alpha: 2 * req.options.rank },
          baseMask: baseMaskOf(results[resultKey(null)]),
          site: req.site,
          description: `trained in the browser on ${scan.name} with ${source ? `${source.slices.length} hand-corrected slices` : reference!.name}`,
          images: [scan.name],
          sourceSha256: [sourceSha256],
        },
        { signal: claim.abort.signal, onStep: (step, loss) => mine() && set({ training: { ...get().training, step, loss } }) },
      );
      const sha256 = await sha256Hex(outcome.files.weights);
      if (!mine()) return;
      // The new adapter joins the select, chosen, like one loaded from disk.
      const name = get().freeAdapterName(`${req.site} (trained)`, (i) => `${req.site} (trained ${i})`);
      const adapter: LoadedAdapter = { ...loadAdapter(name, outcome.files.config, outcome.files.weights, manifest), sha256 };
      get().releaseWorker(claim);
      set({ training: { ...get().training, status: "done", outcome: { ...outcome, name } } });
      get().addAdapter({ name, site: req.site, adapter }, true);
    } catch (e) {
      if (!mine()) return;
      get().releaseWorker(claim);
      set({ training: trainingEnded(get().training, e, claim.abort.signal) });
    }
  },
  cancelTraining: (note) => void get().cancelActiveJob(note, ["training"]),
  claimTraining: (steps, study) => {
    const onCancel = (note?: string) => set({ training: { ...get().training, status: "cancelled", note } });
    const taken = get().claimWorker("training", onCancel, { training: { ...idleTraining, status: "running", steps, ...(study === undefined ? {} : { study }) } });
    return taken.ok ? taken.claim : null;
  },
});

/** A run that threw: cancelled (by its signal) or failed, with why. */
export const trainingEnded = (training: TrainingState, e: unknown, signal: AbortSignal): TrainingState => {
  const cancelled = e instanceof CancelledError || signal.aborted;
  return { ...training, status: cancelled ? "cancelled" : "error", error: cancelled ? null : message(e) };
};
