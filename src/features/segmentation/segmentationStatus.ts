import { waitText, type JobState, type SegmentationResult, type Wait } from "../../stores/jobSlice";
import type { ModelSlice } from "../../stores/modelSlice";
import { JOB_TEXT, type JobKind } from "../../stores/workerSlice";

export { cleanupSummary, millilitres } from "../../core/postprocess/cleanup";

export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;


/** What the panel's status line and progress bar read from. */
export interface StatusInput {
  job: JobState;
  result: SegmentationResult | null;
  lastWait: Wait | null;
  /** The mask so far is on screen. */
  hasPreview: boolean;
  hasScan: boolean;
  modelStatus: ModelSlice["modelStatus"];
  /** A sample or an adapter is still loading. */
  loadingInput: boolean;
  /** The user's job holding the worker, if any. */
  busyWith: JobKind | null;
}

export interface SegmentationStatus {
  /** The status line. */
  text: string;
  /** The progress bar: training steps while adapting to the scan, else slices. */
  progress: { value: number; max: number; text: string; tone: "idle" | "active" | "done" };
}

/** The status line and progress of the viewer's segmentation, from the store's state (pure). */
export function segmentationStatus(s: StatusInput): SegmentationStatus {
  const { job, result, lastWait } = s;
  const running = job.status === "running";
  const adapting = running && job.phase === "adapting";
  const progressText = adapting
    ? `${job.step ?? 0} / ${job.steps} training steps`
    : job.total > 0
      ? `${job.done} / ${job.total} slices${(job.passes ?? 1) > 1 ? ` (${job.passes} passes)` : ""}`
      : running
        ? "Preparing the scan…"
        : "No run yet";
  const progress = {
    value: adapting ? (job.step ?? 0) : job.done,
    max: adapting ? (job.steps ?? 0) : job.total,
    text: progressText,
    tone: running ? ("active" as const) : job.status === "done" ? ("done" as const) : ("idle" as const),
  };

  const withWhat = job.running && job.running !== "base" ? ` with ${job.running}` : " with the base model";
  const other = s.busyWith === "studying" || s.busyWith === "training" ? s.busyWith : null;
  let text: string;
  if (adapting) text = `Adapting to this scan without labels: training on the model's own mask${s.hasPreview ? ", shown meanwhile" : ""}…`;
  else if (running && job.phase === "adapted") text = "Segmenting again with the model adapted to this scan…";
  else if (running) text = job.total > 0 ? `Segmenting${withWhat}…${s.hasPreview ? " The mask so far is shown; Dice and volumes follow when it ends." : ""}` : `Starting${withWhat}…`;
  else if (job.status === "cancelled") text = job.note ? `Cancelled: ${job.note}` : "Cancelled";
  else if (job.status === "done" && result)
    // what the user waited: press to mask on screen, with the model's run and the drawing apart
    // (a comparison: both runs, each apart)
    text = lastWait?.result === result ? waitText(lastWait) : `Done in ${seconds(result.ms.total)}`;
  else if (job.status === "error") text = job.refused ? "Refused" : "Failed";
  else if (!s.hasScan) text = "Open a scan to segment it";
  else if (s.modelStatus !== "ready") text = "Waiting for the model";
  else if (s.loadingInput) text = "Loading the sample or adapter…";
  else if (other) text = `${JOB_TEXT[other]}: segment when it ends or is cancelled`;
  else text = "Ready";
  return { text, progress };
}

/** The model's line under the pickers. */
export function modelLine(s: { modelStatus: ModelSlice["modelStatus"]; manifest: { name: string; version: string } | null; modelCount: number }): string {
  if (s.modelStatus === "loading") return "Loading model…";
  if (s.modelStatus === "ready" && s.manifest) return `${s.manifest.name} ${s.manifest.version} ready`;
  if (s.modelStatus === "error") return "Model not loaded";
  return s.modelCount === 0 ? "Looking for shipped models…" : "No model selected";
}
