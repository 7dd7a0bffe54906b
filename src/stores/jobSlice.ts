import type { ContrastProfile } from "../core/adapters/profile";
import type { SelfAdaptPhase } from "../core/adapt/self";
import { enabledOptions, inferencePasses, scanOptions, type SegmentResult } from "../core/pipeline/segment";
import type { Volume } from "../core/volume/types";
import { message, type Slice } from "./types";
import { workerBusy, type WorkerClaim } from "./workerSlice";

export interface JobState {
  status: "idle" | "running" | "done" | "cancelled" | "error";
  done: number;
  total: number;
  error: string | null;
  /** Why a run was cancelled, when the user did not press Cancel. */
  note?: string;
  /** The scan itself was refused (before any work): trying again will not help. */
  refused?: boolean;
  /** What the run in flight computes: "base" or an adapter's name (shown beside the progress). */
  running?: string;
  /** Runs over the scan it makes (inference options): the progress counts slices of all of them. */
  passes?: number;
  /** A run that adapts to the scan (selfAdapt option): where it is, and its training step. */
  phase?: SelfAdaptPhase;
  step?: number;
  steps?: number;
}

export interface SegmentationResult extends SegmentResult {
  scanName: string;
  modelId: string;
  modelName: string;
  modelVersion: string;
  /** sha256 of the model's ONNX file (the manifest's, checked when the model was loaded). */
  modelSha256: string;
  adapter: string | null;
  /** sha256 of the adapter's adapter_model.safetensors bytes; null for the base. */
  adapterSha256: string | null;
  /** The inference session that produced it: the same one across adapter switches. */
  sessionId: string;
  /** Slices the user corrected by hand (the mask's voxels there are theirs, not the model's). */
  corrected?: { axis: number; index: number }[];
  /** The scan's contrast under this mask as the model returned it (measured in the worker). */
  profile?: ContrastProfile;
}

/** Results are kept per adapter for the open scan; this names one ("base" = no adapter). */
export type ResultKey = string;
export const resultKey = (adapter: string | null): ResultKey => (adapter === null ? "base" : `adapter:${adapter}`);

/** How long the user waited for a result: from pressing Segment (or Compare) to its mask handed to the viewer. */
export interface Wait {
  result: SegmentationResult;
  /** Press to mask shown: for a comparison, both runs and all between them. */
  waitedMs: number;
  /** Result received to mask shown (the viewer's upload). */
  drawMs: number;
  /** This result's own run, start to result received; null when its mask was kept from an earlier run. */
  runMs: number | null;
  /** Set when the wait was a comparison's: its adapter and the base's run (null: the base's mask was kept). */
  comparison?: { adapter: string; baseMs: number | null };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * What the status line says of a finished wait. A comparison reports the whole wait and each run
 * apart ("Done in 140.3 s: base 80.1 s, niivue-t1 59.9 s"), not the last run's alone.
 */
export function waitText(w: Wait): string {
  const c = w.comparison;
  if (!c) return `Done in ${seconds(w.waitedMs)} (segmentation ${seconds(w.result.ms.total)}, drawing ${seconds(w.drawMs)})`;
  const part = (name: string, ms: number | null) => (ms === null ? `${name} kept from before` : `${name} ${seconds(ms)}`);
  return `Done in ${seconds(w.waitedMs)}: ${part("base", c.baseMs)}, ${part(c.adapter, w.runMs)}`;
}

export interface JobSlice {
  job: JobState;
  /** The manifest's inference options the user switched on (ids); null: the manifest's defaults. */
  inferenceOptions: string[] | null;
  /** Switches one of the manifest's inference options on or off for the next runs. */
  setInferenceOption: (id: string, on: boolean) => void;
  /** The options the next run uses. */
  activeOptions: () => string[];
  /** The last run's wait, once its mask is shown (the status reports it, not the worker's own time). */
  lastWait: Wait | null;
  /** The viewer calls this when it has drawn `result`'s mask. */
  markShown: (result: SegmentationResult) => void;
  /** Every result for the open scan and model, by adapter: running another never re-runs these. */
  results: Record<ResultKey, SegmentationResult>;
  /** The result the viewer and the Dice table show. */
  result: SegmentationResult | null;
  /**
   * The mask so far while a run goes on (slices not yet run are background), only when no
   * result is shown: it never stands in front of another mask and its Dice. Never scored.
   */
  preview: { labels: Volume & { data: Uint8Array } } | null;
  /** Base vs an adapter, side by side in the Dice table and chart, toggled in the viewer. */
  compare: { adapter: string } | null;
  /** A comparison still running its runs (its button says so until it ends, however it ends). */
  comparing: { adapter: string } | null;
  /** Whether Segment can start now: a scan, a ready model, and the worker free of other work. */
  canSegment: () => boolean;
  runSegmentation: () => Promise<void>;
  /** Runs what is missing of base and the selected adapter, then shows them compared. */
  runComparison: () => Promise<void>;
  /** Shows a kept result (compare toggle, adapter select); no-op when there is none. */
  showResult: (key: ResultKey) => void;
  /** In the compare view, shows the other of the two kept masks; false when there is no pair. */
  flipComparison: () => boolean;
  leaveComparison: () => void;
  /** Drops every kept result (newScan, newModel). */
  clearResults: () => void;
  /** Cancels a segmentation or comparison holding the worker; `note` says why when it was not the user's Cancel. */
  cancelSegmentation: (note?: string) => void;
}

const sameIds = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((id) => b.includes(id));

export const createJobSlice: Slice<JobSlice> = (set, get) => {
  /** A segmentation or comparison cancelled (by the user, a new scan or model): the mask so far goes. */
  const onCancel = (note?: string) => set({ preview: null, job: { ...get().job, status: "cancelled", error: null, note } });
  /** The run whose mask is on its way to the screen: when Segment was pressed and the result came. */
  let pending: { result: SegmentationResult; pressedAt: number; receivedAt: number; runMs: number | null; comparison?: Wait["comparison"] } | null = null;
  /**
   * One run with the given adapter (null = base) under `claim` (a segmentation's, or a
   * comparison's for both its runs); resolves to its result or null if it did not finish.
   * `wait`: a comparison's press and its base run, when this run ends it.
   */
  async function run(claim: WorkerClaim, adapterName: string | null, wait?: { pressedAt: number; comparison: NonNullable<Wait["comparison"]> }): Promise<SegmentationResult | null> {
    const { scan, manifest, client } = get();
    const adapter = adapterName === null ? null : get().adapter;
    if (!scan || !manifest || (adapterName !== null && adapter?.name !== adapterName)) return null;
    const mine = () => get().activeJob === claim;
    const running = adapterName ?? "base";
    const startedAt = performance.now();
    const pressedAt = wait?.pressedAt ?? startedAt;
    const previewing = get().result === null;
    const options = get().activeOptions();
    const passes = inferencePasses(manifest, scanOptions(manifest, scan.volume, options).ids).length;
    const steps = enabledOptions(manifest, options).find((o) => o.kind === "selfAdapt")?.steps;
    const updateJob = (job: Partial<JobState>) => mine() && set({ job: { ...get().job, ...job } });
    set({ preview: null, job: { status: "running", done: 0, total: 0, error: null, running, passes, steps } });
    try {
      const out = await client.segment({ ...scan.volume, name: scan.name }, {
        signal: claim.abort.signal,
        options,
        adapterFeeds: adapter?.feeds,
        onProgress: (done, total) => updateJob({ done, total }),
        onPhase: (phase) => updateJob({ phase, done: 0, total: 0 }),
        onStep: (step) => updateJob({ step }),
        onPreview: previewing ? (data) => mine() && set({ preview: { labels: { dims: scan.volume.dims, affine: scan.volume.affine, data } } }) : undefined,
      });
      if (!mine()) return null;
      const result: SegmentationResult = { ...out, scanName: scan.name, modelId: manifest.id, modelName: manifest.name, modelVersion: manifest.version, modelSha256: manifest.files.model.sha256, adapter: adapter?.name ?? null, adapterSha256: adapter?.sha256 ?? null };
      if (out.backend !== get().backend) set({ backend: out.backend }); // WebGPU failed and the run finished on WASM
      const receivedAt = performance.now();
      pending = { result, pressedAt, receivedAt, runMs: receivedAt - startedAt, comparison: wait?.comparison };
      // the result's Dice waits for the next task: the mask is drawn first, and neither holds the page long
      set({ preview: null, job: { ...get().job, status: "done" } });
      if (claim.kind === "segmenting") get().releaseWorker(claim); // a comparison holds it until its last run
      get().newResult(result);
      await new Promise((resolve) => setTimeout(resolve, 0));
      get().recomputeEvaluation();
      return result;
    } catch (e) {
      if (!mine()) return null;
      // The previous mask and Dice stay: only this run failed.
      const cancelled = claim.abort.signal.aborted;
      set({ preview: null, job: { ...get().job, status: cancelled ? "cancelled" : "error", error: cancelled ? null : message(e), refused: (e as Error | null)?.name === "VolumeError" } });
      get().releaseWorker(claim);
      return null;
    }
  }

  return {
    job: { status: "idle", done: 0, total: 0, error: null },
    inferenceOptions: null,
    activeOptions: () => {
      const { manifest, inferenceOptions, adapter, backend } = get();
      // adapting to the scan starts from the base: not with a site adapter (its checkbox says so)
      return manifest ? enabledOptions(manifest, inferenceOptions ?? undefined, backend).filter((o) => o.kind !== "selfAdapt" || !adapter).map((o) => o.id) : [];
    },
    setInferenceOption: (id, on) => {
      const { manifest, inferenceOptions, backend } = get();
      const chosen = manifest ? enabledOptions(manifest, inferenceOptions ?? undefined, backend).map((o) => o.id) : [];
      const others = chosen.filter((o) => o !== id);
      set({ inferenceOptions: on ? [...others, id] : others });
    },
    lastWait: null,
    markShown: (result) => {
      if (pending?.result !== result) return;
      const now = performance.now();
      const { pressedAt, receivedAt, runMs, comparison } = pending;
      set({ lastWait: { result, waitedMs: now - pressedAt, drawMs: now - receivedAt, runMs, ...(comparison ? { comparison } : {}) } });
      pending = null;
    },
    results: {},
    result: null,
    preview: null,
    compare: null,
    comparing: null,
    canSegment: () => {
      const s = get();
      // not while a sample or an adapter is still loading: the run would miss the adapter the user chose
      return (
        s.scan !== null &&
        s.modelStatus === "ready" &&
        s.adapterStatus !== "loading" &&
        s.sampleLoading === null &&
        !workerBusy(s)
      );
    },
    runSegmentation: async () => {
      get().cancelSegmentation(); // a new run replaces one in flight
      const taken = get().claimWorker("segmenting", onCancel);
      if (!taken.ok) return; // the study or a training holds the worker (Segment says so)
      const name = get().adapter?.name ?? null;
      // A comparison stays open while its own adapter (or the base) is re-run.
      if (get().compare && name !== null && name !== get().compare?.adapter) set({ compare: null });
      try {
        await run(taken.claim, name);
      } finally {
        get().releaseWorker(taken.claim); // also when the run could not start
      }
    },
    runComparison: async () => {
      const adapter = get().adapter?.name;
      if (!adapter) return;
      get().cancelSegmentation();
      const taken = get().claimWorker("comparing", onCancel);
      if (!taken.ok) return;
      const { claim } = taken;
      // the user waits for both runs: the status reports the whole wait from here, each run apart
      const pressedAt = performance.now();
      const comparing = { adapter };
      set({ compare: { adapter }, comparing });
      const options = get().activeOptions();
      let baseMs: number | null = null;
      try {
        for (const name of [null, adapter]) {
          // a kept mask made with other inference options would not compare like with like
          const kept = get().results[resultKey(name)];
          if (kept && sameIds(kept.options, options)) continue;
          const startedAt = performance.now();
          const done = await run(claim, name, name === null ? undefined : { pressedAt, comparison: { adapter, baseMs } });
          if (!done || get().compare?.adapter !== adapter) return;
          if (name === null) baseMs = performance.now() - startedAt;
        }
        // only the base ran: the adapter's kept mask comes back on screen, and its wait was the base's run
        const adapted = get().results[resultKey(adapter)];
        if (baseMs !== null && adapted && adapted !== get().result) pending = { result: adapted, pressedAt, receivedAt: performance.now(), runMs: null, comparison: { adapter, baseMs } };
        get().showResult(resultKey(adapter));
      } finally {
        get().releaseWorker(claim);
        if (get().comparing === comparing) set({ comparing: null });
      }
    },
    showResult: (key) => {
      const kept = get().results[key];
      if (!kept || kept === get().result) return;
      set({ result: kept });
      get().recomputeEvaluation();
    },
    flipComparison: () => {
      const adapter = get().compare?.adapter;
      const adapted = adapter ? get().results[resultKey(adapter)] : undefined;
      if (!adapter || !adapted || !get().results[resultKey(null)]) return false;
      get().showResult(resultKey(get().result === adapted ? null : adapter));
      return true;
    },
    leaveComparison: () => set({ compare: null }),
    clearResults: () => set({ results: {}, result: null, preview: null, compare: null }),
    cancelSegmentation: (note) => void get().cancelActiveJob(note, ["segmenting", "comparing"]),
  };
};
