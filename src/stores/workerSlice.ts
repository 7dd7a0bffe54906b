import type { AppState } from "./store";
import type { Slice } from "./types";

/**
 * What the inference worker is doing for the user. One job at a time: a segmentation, a
 * comparison (its runs), a training, or the site study. "probing" is the adapter's contrast check
 * (the base on a slab of the scan, a few slices): it runs only when the worker is free and yields
 * to any job the user starts (it finishes in the worker's queue first and still reports).
 */
export type JobKind = "segmenting" | "comparing" | "training" | "studying" | "probing";

/** The worker held by one job: its kind, its abort signal, and what its owner records when it is cancelled. */
export interface WorkerClaim {
  kind: JobKind;
  abort: AbortController;
  /** The owner's progress state says "cancelled" (and why, when it was not the user's Cancel). */
  onCancel?: (note?: string) => void;
}

export type ClaimAnswer = { ok: true; claim: WorkerClaim } | { ok: false; reason: string };

/** What holds the worker, as a person reads it. */
export const JOB_TEXT: Record<JobKind, string> = {
  segmenting: "A segmentation is running in the viewer",
  comparing: "A comparison is running in the viewer",
  training: "An adapter is training",
  studying: "The site study is running",
  probing: "The scan's contrast is being checked",
};

export interface WorkerSlice {
  /** The job holding the worker; null: the worker is free. */
  activeJob: WorkerClaim | null;
  /**
   * Takes the worker for a job of `kind`, or says why not ("<what holds it>: let it finish or
   * cancel it"). A contrast probe gives way to anything; a probe is refused behind anything else.
   * `progress`: the owner's progress state at its start, set with the claim (never "held, idle").
   */
  claimWorker: (kind: JobKind, onCancel?: WorkerClaim["onCancel"], progress?: Partial<AppState>) => ClaimAnswer;
  /** Frees the worker if `claim` still holds it (a job cancelled or replaced releases nothing). */
  releaseWorker: (claim: WorkerClaim) => void;
  /** Cancels the user's job holding the worker (`kinds`: only if it is one of them); true if one was cancelled. A probe is never cancelled. */
  cancelActiveJob: (note?: string, kinds?: readonly JobKind[]) => boolean;
}

type Held = Pick<WorkerSlice, "activeJob">;

/** A job the user started holds the worker (a probe does not count: it gives way). */
export const workerBusy = (s: Held) => s.activeJob !== null && s.activeJob.kind !== "probing";

/** The kind of the user's job holding the worker, or null. */
export const busyWith = (s: Held): JobKind | null => (workerBusy(s) ? s.activeJob!.kind : null);

/** A segmentation or a comparison holds the worker (the viewer's Cancel and Escape stop it). */
export const segmenting = (s: Held) => s.activeJob?.kind === "segmenting" || s.activeJob?.kind === "comparing";

/** Why a job cannot start now ("<what holds the worker>: let it finish or cancel it"), or null when the worker is free for it. */
export const busyReason = (s: Held): string | null => {
  const kind = busyWith(s);
  return kind && `${JOB_TEXT[kind]}: let it finish or cancel it`;
};

export const createWorkerSlice: Slice<WorkerSlice> = (set, get) => ({
  activeJob: null,
  claimWorker: (kind, onCancel, progress) => {
    // a probe still finishing is not stopped (that would end the worker): it just no longer holds it
    const reason = busyReason(get());
    if (reason) return { ok: false, reason };
    const claim: WorkerClaim = { kind, abort: new AbortController(), onCancel };
    set({ ...progress, activeJob: claim });
    return { ok: true, claim };
  },
  releaseWorker: (claim) => {
    if (get().activeJob === claim) set({ activeJob: null });
  },
  cancelActiveJob: (note, kinds) => {
    const claim = get().activeJob;
    if (!claim || claim.kind === "probing" || (kinds && !kinds.includes(claim.kind))) return false;
    set({ activeJob: null });
    claim.onCancel?.(note);
    claim.abort.abort();
    return true;
  },
});
