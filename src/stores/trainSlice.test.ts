import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { adaptSite } from "../core/adapt";
import { loadAdapter } from "../core/adapters";
import { writeNifti } from "../core/io";
import { loadModel, loadTrainStep } from "../core/manifest";
import { CancelledError } from "../core/pipeline/runner";
import { segment } from "../core/pipeline/segment";
import { createNodeRunner } from "../runtime/ort-node";
import type { InferenceClient } from "../worker/client";
import type { AdaptJob, AdaptOutcome } from "../worker/protocol";
import type { LoadedAdapter } from "./adapterSlice";
import type { SegmentationResult } from "./jobSlice";
import { resetApp, useApp } from "./store";
import type { TrainRequest } from "./trainSlice";

// The training slice on its own: what it refuses, a real (tiny) training run from a reference or
// from hand-corrected slices, Cancel, a failing run, and runs overtaken by newer work. The worker's
// adapt handler runs in-process here on onnxruntime-node (the same core/adapt the worker runs), so
// the adapter that is installed is a real one, its files parsed and hashed for real.

const modelDir = resolve(import.meta.dirname, "../../public/models/siteseg-tissue");
const read = async (p: string) => new Uint8Array(readFileSync(resolve(modelDir, p)));
const model = await loadModel(read);
const { manifest } = model;
const runner = await createNodeRunner(model.onnx, 1);
const trainStep = await createNodeRunner(await loadTrainStep(read, manifest), 1);
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

// 40×40×24 voxels, 1 mm (as in runtime/adapt-site.test.ts): a WM core in a GM shell in a CSF rim;
// the label map in the model's classes. Small enough for a training step in ~0.4 s.
const dims: [number, number, number] = [40, 40, 24];
const affine = [1, 0, 0, -20, 0, 1, 0, -20, 0, 0, 1, -12, 0, 0, 0, 1];
const labels = new Uint8Array(40 * 40 * 24);
for (let k = 0; k < 24; k++)
  for (let j = 0; j < 40; j++)
    for (let i = 0; i < 40; i++) {
      const r = Math.hypot((i - 19.5) / 17, (j - 19.5) / 15, (k - 11.5) / 11);
      labels[i + 40 * (j + 40 * k)] = r < 0.45 ? 3 : r < 0.75 ? 2 : r < 0.9 ? 1 : 0;
    }
const scanBytes = writeNifti({ dims, affine, data: Float32Array.from(labels, (c) => [0, 25, 70, 110][c]) }, { gzip: false });
const labelBytes = writeNifti({ dims, affine, data: labels }, { gzip: false });
/** A mask of the open scan as the viewer holds it (the base's, unless `adapter`). */
const maskResult = (data: Uint8Array, corrected?: { axis: number; index: number }[]) => ({ labels: { dims, affine, data }, adapter: null, corrected }) as unknown as SegmentationResult;

type AdaptOpts = { onStep?: (step: number, loss: number) => void; signal?: AbortSignal };

/**
 * The worker client's `adapt`, with the worker's handler (inference.worker.ts) run in-process.
 * Like InferenceClient, an abort rejects at once with CancelledError (the client ends the worker);
 * the in-process run gets the signal too, so it stops at its next step. Steps are forwarded as
 * they come, even after an abort: the slice must ignore what a run it dropped reports.
 */
function trainingClient() {
  const jobs: AdaptJob[] = [];
  /** How each in-process run ended: "done" or its error's name. */
  const ended: string[] = [];
  const runs: Promise<unknown>[] = [];
  let late: { trained: () => void; reply: Promise<void> } | null = null;
  const client = {
    adapt: (job: AdaptJob, opts: AdaptOpts = {}): Promise<AdaptOutcome> => {
      jobs.push(job);
      const lateReply = late;
      late = null;
      const run = adaptSite({
        ...job,
        manifest,
        trainStep,
        model: runner,
        segment: async (scan, feeds) => (await segment(scan, manifest, runner, { adapterFeeds: feeds })).labels,
        tool: "siteseg (test)",
        onStep: opts.onStep,
        signal: lateReply ? undefined : opts.signal,
      });
      runs.push(run.then(() => ended.push("done"), (e: Error) => ended.push(e.name)));
      const outcome = run.then(({ files, holdout, cases, warnings, heldOut, losses, runtime }): AdaptOutcome => ({ files, holdout, cases, warnings, heldOut, losses, runtime }));
      // a reply already on its way when the run was cancelled: it arrives all the same
      if (lateReply) return outcome.then(async (o) => (lateReply.trained(), await lateReply.reply, o));
      return new Promise((ok, fail) => {
        if (opts.signal?.aborted) return fail(new CancelledError());
        opts.signal?.addEventListener("abort", () => fail(new CancelledError()), { once: true });
        outcome.then(ok, fail);
      });
    },
  };
  return {
    client: client as unknown as InferenceClient,
    jobs,
    ended,
    /** Every in-process run has ended (the sessions are shared between tests). */
    settled: () => Promise.all(runs),
    /** The next run trains, then its reply waits for `send()` and ignores Cancel. */
    holdNextReply() {
      let trained = () => {};
      let send = () => {};
      const done = new Promise<void>((ok) => (trained = ok));
      late = { trained, reply: new Promise<void>((ok) => (send = ok)) };
      return { trained: done, send: () => send() };
    },
  };
}

const train = (over: Partial<TrainRequest> = {}, steps = 2) => useApp.getState().trainAdapter({ source: "reference", nSlices: 3, options: { rank: 2, steps, lr: 3e-3 }, site: "phantom", ...over });
/** A shipped adapter the user had chosen before training. */
const shipped: LoadedAdapter = { ...loadAdapter("synth-pd", await read("adapters/synth-pd/adapter_config.json"), await read("adapters/synth-pd/adapter_model.safetensors"), manifest), sha256: "before" };

let fake: ReturnType<typeof trainingClient>;

beforeEach(async () => {
  resetApp();
  fake = trainingClient();
  useApp.setState({ manifest, modelStatus: "ready", client: fake.client });
  await useApp.getState().openScan("phantom.nii", scanBytes);
});

afterEach(async () => {
  await fake.settled();
});

describe("refused before anything runs", () => {
  it("from corrected slices with no axial slice corrected: says what to do, sends nothing, keeps the adapter", async () => {
    useApp.setState({ adapter: shipped });
    const refusal = "No axial slice of the shown mask is corrected yet: correct a few slices with the brush in the Axial view, or train from a reference label.";
    // no mask at all
    await train({ source: "corrected" });
    expect(useApp.getState().training).toMatchObject({ status: "error", error: refusal });
    // a mask corrected only in a sagittal slice (axis 0): training learns from axial slices only
    const result = maskResult(labels.slice(), [{ axis: 0, index: 20 }]);
    useApp.setState({ result, results: { base: result }, training: { status: "idle", step: 0, steps: 0, loss: null, error: null, outcome: null } });
    await train({ source: "corrected" });
    expect(useApp.getState().training).toMatchObject({ status: "error", error: refusal });
    expect(fake.jobs).toEqual([]);
    expect(useApp.getState().activeJob).toBeNull();
    expect(useApp.getState().adapter).toBe(shipped);
  });

  it("nothing starts while the worker segments or runs the study, or without a reference to learn from", async () => {
    await train(); // no reference opened: the panel's button is disabled and says to open one
    expect(useApp.getState().training.status).toBe("idle");
    await useApp.getState().openReference("phantom_seg.nii", labelBytes);
    for (const kind of ["segmenting", "comparing", "studying"] as const) {
      const taken = useApp.getState().claimWorker(kind);
      await train();
      expect(useApp.getState().activeJob).toBe(taken.ok && taken.claim); // the holder keeps the worker
      if (taken.ok) useApp.getState().releaseWorker(taken.claim);
    }
    expect(useApp.getState().training.status).toBe("idle");
    expect(fake.jobs).toEqual([]);
  });
});

describe("a finished run", () => {
  it("trains from the reference step by step, then the adapter joins the select, chosen, with the scan file's sha256 as provenance", async () => {
    await useApp.getState().openReference("phantom_seg.nii", labelBytes);
    // the base's mask of this scan, uncorrected, is what the held-out base score uses: a perfect one scores 1
    const base = maskResult(labels.slice());
    useApp.setState({ results: { base }, result: base });
    const seen: string[] = [];
    const unsubscribe = useApp.subscribe((s) => seen.push(`${s.training.status} ${s.training.step}/${s.training.steps}`));
    const run = train();
    expect(useApp.getState().training.status).toBe("running");
    expect(useApp.getState().canSegment()).toBe(false); // the worker is busy training
    await run;
    unsubscribe();

    const { training, adapter, fileAdapters } = useApp.getState();
    expect([...new Set(seen)]).toEqual(["running 0/2", "running 1/2", "running 2/2", "done 2/2"]);
    expect(training.status).toBe("done");
    expect(training.error).toBeNull();
    expect(training.loss).toBe(training.outcome?.losses[1]);
    expect(training.outcome?.name).toBe("phantom (trained)");
    expect(training.outcome?.losses).toHaveLength(2);
    expect(training.outcome?.heldOut[0].base).toBe(1);
    expect(training.outcome?.heldOut[0].slices).toBeGreaterThan(0);
    expect(training.outcome?.heldOut[0].adapter).toBeGreaterThanOrEqual(0);

    expect(adapter?.name).toBe("phantom (trained)");
    expect(adapter?.sha256).toBe(sha256(training.outcome!.files.weights));
    expect(adapter?.config.site).toBe("phantom");
    expect(adapter?.config.description).toBe("trained in the browser on phantom.nii with phantom_seg.nii");
    expect((adapter?.config.provenance as { source_sha256: string[] }).source_sha256).toEqual([sha256(scanBytes)]);
    expect(fileAdapters.map((a) => [a.name, a.source, a.site, a.adapter])).toEqual([["phantom (trained)", "file", "phantom", adapter]]);
    expect(useApp.getState().activeJob).toBeNull();
    expect(useApp.getState().canSegment()).toBe(true);

    const [job] = fake.jobs;
    expect(job.train).toMatchObject({ rank: 2, alpha: 4, steps: 2 });
    expect(job.baseMask).toBe(base.labels);
    expect(job.images).toEqual(["phantom.nii"]);
  });

  it("a second adapter for the same site gets a name of its own", async () => {
    await useApp.getState().openReference("phantom_seg.nii", labelBytes);
    await train({}, 1);
    await train({}, 1);
    expect(useApp.getState().fileAdapters.map((a) => a.name)).toEqual(["phantom (trained)", "phantom (trained 2)"]);
    expect(useApp.getState().adapter?.name).toBe("phantom (trained 2)");
    expect(useApp.getState().training.outcome?.name).toBe("phantom (trained 2)");
  });

  it("trains from the shown mask's corrected axial slices; the reference, when open, only scores", async () => {
    // axial slices 6 and 10 corrected (10 twice), and a sagittal one that training leaves out
    const corrected = maskResult(labels.slice(), [{ axis: 2, index: 10 }, { axis: 0, index: 3 }, { axis: 2, index: 6 }, { axis: 2, index: 10 }]);
    useApp.setState({ results: { base: corrected }, result: corrected });
    await train({ source: "corrected", site: "ward 3" }, 1);
    let { training } = useApp.getState();
    expect(training.status).toBe("done");
    expect(training.outcome?.holdout.indices).toEqual([6, 10]);
    expect(training.outcome?.heldOut).toEqual([]); // no reference: not scored ("Not scored" in the panel)
    expect(useApp.getState().adapter?.config.description).toBe("trained in the browser on phantom.nii with 2 hand-corrected slices");
    expect(fake.jobs[0]).toMatchObject({ reference: corrected.labels, convention: "classes", slices: [6, 10], scoreAgainst: null, baseMask: undefined });

    await useApp.getState().openReference("phantom_seg.nii", labelBytes);
    await train({ source: "corrected", site: "ward 3" }, 1);
    ({ training } = useApp.getState());
    expect(training.outcome?.name).toBe("ward 3 (trained 2)");
    expect(training.outcome?.heldOut[0].slices).toBeGreaterThan(0);
    expect(fake.jobs[1].reference).toBe(corrected.labels);
    expect(fake.jobs[1].scoreAgainst?.reference).toBe(useApp.getState().reference?.volume);
  });
});

describe("cancel, failures and races", () => {
  it("Cancel says so at once, stops the run in the worker, and leaves the adapter chosen before", async () => {
    await useApp.getState().openReference("phantom_seg.nii", labelBytes);
    useApp.setState({ adapter: shipped });
    const run = train({}, 200); // minutes if it were not stopped
    await vi.waitFor(() => expect(useApp.getState().training.step).toBeGreaterThanOrEqual(1), { timeout: 10_000 });
    useApp.getState().cancelTraining();
    const step = useApp.getState().training.step;
    expect(useApp.getState().training.status).toBe("cancelled");
    expect(useApp.getState().canSegment()).toBe(true);
    await run;
    await fake.settled();
    const { training, adapter, fileAdapters, activeJob } = useApp.getState();
    expect(fake.ended).toEqual(["CancelledError"]);
    expect(training).toMatchObject({ status: "cancelled", error: null, outcome: null, step });
    expect(adapter).toBe(shipped);
    expect(fileAdapters).toEqual([]);
    expect(activeJob).toBeNull();
  });

  it("a run the worker refuses shows why; the adapter chosen before stays", async () => {
    await useApp.getState().openReference("phantom_seg.nii", labelBytes);
    useApp.setState({ adapter: shipped });
    await train({ slices: [3, 99] });
    const { training, adapter, fileAdapters, activeJob } = useApp.getState();
    expect(training).toMatchObject({ status: "error", error: "slice 99 is outside the scan (its axial axis has 24 slices, 0 to 23)", outcome: null });
    expect(adapter).toBe(shipped);
    expect(fileAdapters).toEqual([]);
    expect(activeJob).toBeNull();
    expect(useApp.getState().canSegment()).toBe(true);
  });

  it("a newer run replaces one in flight: the first stops, and its cancellation does not touch the second", async () => {
    await useApp.getState().openReference("phantom_seg.nii", labelBytes);
    const first = train({ site: "first" }, 200);
    await vi.waitFor(() => expect(useApp.getState().training.step).toBeGreaterThanOrEqual(1), { timeout: 10_000 });
    const second = train({ site: "second" }, 1);
    await first; // rejected with CancelledError while the second runs
    expect(useApp.getState().training).toMatchObject({ status: "running", steps: 1 });
    expect(useApp.getState().activeJob?.kind).toBe("training");
    await second;
    await fake.settled();
    expect([...fake.ended].sort()).toEqual(["CancelledError", "done"]);
    expect(useApp.getState().training).toMatchObject({ status: "done", steps: 1, step: 1 });
    expect(useApp.getState().fileAdapters.map((a) => a.name)).toEqual(["second (trained)"]);
    expect(useApp.getState().adapter?.name).toBe("second (trained)");
  });

  it("a run overtaken by a newer one never installs its adapter, even when its reply comes late", async () => {
    await useApp.getState().openReference("phantom_seg.nii", labelBytes);
    const held = fake.holdNextReply();
    const first = train({ site: "first" }, 1);
    await held.trained;
    const second = train({ site: "second" }, 1);
    held.send(); // the first run's adapter arrives while the second trains
    await first;
    expect(useApp.getState().training.status).toBe("running");
    expect(useApp.getState().fileAdapters).toEqual([]);
    await second;
    const { training, adapter, fileAdapters } = useApp.getState();
    expect(fake.ended).toEqual(["done", "done"]);
    expect(training.outcome?.name).toBe("second (trained)");
    expect(adapter?.name).toBe("second (trained)");
    expect(fileAdapters.map((a) => a.name)).toEqual(["second (trained)"]);
  });

  // a new scan ends the run, says so, and its adapter is never installed over that scan
  it("a run overtaken by a new scan never installs its adapter over that scan", async () => {
    await useApp.getState().openReference("phantom_seg.nii", labelBytes);
    const run = train({}, 3);
    await vi.waitFor(() => expect(useApp.getState().training.step).toBeGreaterThanOrEqual(1), { timeout: 10_000 });
    await useApp.getState().openScan("other.nii", scanBytes);
    await run;
    expect(useApp.getState().scan?.name).toBe("other.nii");
    expect(useApp.getState().training).toMatchObject({ status: "cancelled", note: "a new scan was opened" });
    expect(useApp.getState().fileAdapters.map((a) => a.name)).toEqual([]);
    expect(useApp.getState().adapter).toBeNull();
  });
});
