import type { SegmentResult } from "../core/pipeline/segment";
import { message, type Slice } from "./types";

export interface JobState {
  status: "idle" | "running" | "done" | "cancelled" | "error";
  done: number;
  total: number;
  error: string | null;
}

export interface SegmentationResult extends SegmentResult {
  scanName: string;
  modelId: string;
  modelName: string;
  modelVersion: string;
  adapter: string | null;
  /** The inference session that produced it: the same one across adapter switches. */
  sessionId: string;
}

export interface JobSlice {
  job: JobState;
  result: SegmentationResult | null;
  /** Aborts the run in flight. */
  abort: AbortController | null;
  runSegmentation: () => Promise<void>;
  cancelSegmentation: () => void;
}

export const createJobSlice: Slice<JobSlice> = (set, get) => ({
  job: { status: "idle", done: 0, total: 0, error: null },
  result: null,
  abort: null,
  runSegmentation: async () => {
    const { scan, manifest, client, adapter } = get();
    if (!scan || !manifest) return;
    get().cancelSegmentation(); // a new run replaces one in flight
    const abort = new AbortController();
    set({ abort, job: { status: "running", done: 0, total: 0, error: null } });
    try {
      const result = await client.segment(scan.volume, {
        signal: abort.signal,
        adapterFeeds: adapter?.feeds,
        onProgress: (done, total) => get().abort === abort && set({ job: { status: "running", done, total, error: null } }),
      });
      if (get().abort !== abort) return;
      set({
        abort: null,
        job: { ...get().job, status: "done" },
        result: { ...result, scanName: scan.name, modelId: manifest.id, modelName: manifest.name, modelVersion: manifest.version, adapter: adapter?.name ?? null },
      });
      get().recomputeEvaluation();
    } catch (e) {
      if (get().abort !== abort) return;
      // The previous mask and Dice stay: only this run failed.
      set({ abort: null, job: { ...get().job, status: abort.signal.aborted ? "cancelled" : "error", error: abort.signal.aborted ? null : message(e) } });
    }
  },
  cancelSegmentation: () => {
    const { abort } = get();
    if (!abort) return;
    set({ abort: null, job: { ...get().job, status: "cancelled", error: null } });
    abort.abort();
  },
});
