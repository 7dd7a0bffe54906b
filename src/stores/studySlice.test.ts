import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { adaptSite } from "../core/adapt";
import { loadAdapter, trainedOnSha256 } from "../core/adapters";
import { readVolume, writeNifti } from "../core/io";
import { volumeSha256 } from "../core/sha256";
import { loadModel, loadTrainStep, parseManifest, type ModelFile } from "../core/manifest";
import { CancelledError, type InferenceRunner, type Tensor } from "../core/pipeline/runner";
import { segment } from "../core/pipeline/segment";
import { scoredClasses, studyTable } from "../core/study";
import type { Volume } from "../core/volume/types";
import { createNodeRunner } from "../runtime/ort-node";
import type { InferenceClient } from "../worker/client";
import type { AdaptJob, AdaptOutcome } from "../worker/protocol";
import { resetApp, useApp } from "./store";
import type { StudySource, StudyTrainRequest } from "./studySlice";

// The site study slice on its own: pairing dropped files into cases, a run of base and site
// adapter per case (progress, rows as they come), failures confined to their cases, Cancel, and
// studies overtaken by newer ones. The worker is a scripted client; file reading, the shipped
// adapter (read from the model folder, checksums and all) and the Dice are the real ones.

const modelDir = resolve(import.meta.dirname, "../../public/models/siteseg-tissue");
const manifest = parseManifest(JSON.parse(readFileSync(resolve(modelDir, "manifest.json"), "utf8")));
const disk = (path: string): ModelFile => ({ arrayBuffer: async () => new Uint8Array(readFileSync(resolve(modelDir, path))).buffer });
// The model as opened from disk: synth-pd's adapter intact, fpg-t2's weights are another adapter's
// (its checksum fails), so that site's adapter is refused.
const source = {
  kind: "files" as const,
  files: {
    "adapters/synth-pd/adapter_config.json": disk("adapters/synth-pd/adapter_config.json"),
    "adapters/synth-pd/adapter_model.safetensors": disk("adapters/synth-pd/adapter_model.safetensors"),
    "adapters/fpg-t2/adapter_config.json": disk("adapters/fpg-t2/adapter_config.json"),
    "adapters/fpg-t2/adapter_model.safetensors": disk("adapters/synth-pd/adapter_model.safetensors"),
  },
};
const synthPd = loadAdapter("synth-pd", readFileSync(resolve(modelDir, "adapters/synth-pd/adapter_config.json")), readFileSync(resolve(modelDir, "adapters/synth-pd/adapter_model.safetensors")), manifest);

const eye = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
/** 4×4×2 voxels, 8 of each class (the model's numbering); the scan's intensity is 10 × class. */
const classes = Uint8Array.from({ length: 32 }, (_, i) => i % 4);
const nifti = (data: Float32Array | Uint8Array, dims: [number, number, number] = [4, 4, 2], affine = eye): StudySource => new Blob([writeNifti({ dims, affine, data }, { gzip: false }).slice()]);
const scan = () => nifti(Float32Array.from(classes, (c) => c * 10));
const label = () => nifti(classes.slice());
/** The same label in FreeSurfer's numbering (4 ventricle, 3 cortex, 2 white matter). */
const asegLabel = () => nifti(Uint8Array.from(classes, (c) => [0, 4, 3, 2][c]));
const files = (entries: Record<string, StudySource>) => Object.entries(entries).map(([path, s]) => ({ path, source: s }));

// The scripted model: with an adapter it finds every class; the base takes WM for GM. Real Dice
// then gives the base CSF 1, GM 2·8/(16+8), WM 0, mean 5/9, and the adapter 1.
const BASE_MEAN = (1 + 2 / 3 + 0) / 3;
const CRASH = "The inference worker crashed: out of memory. Try again; if it repeats, reload the page.";

type SegOpts = { adapterFeeds?: Record<string, Tensor>; onProgress?: (done: number, total: number) => void; signal?: AbortSignal; options?: string[] };

/**
 * A worker client whose `segment` reports slice progress and returns the scripted mask. Like
 * InferenceClient, an abort rejects the call at once with CancelledError. A scan of 3 slices
 * crashes the worker. `hold(n)` stops the n-th call (0-based) until `release()`; `late` makes its
 * reply arrive even after an abort (a reply already on its way).
 */
function studyClient() {
  const calls: { feeds: Record<string, Tensor> | undefined; signal: AbortSignal | undefined }[] = [];
  let held: { n: number; late: boolean; reached: () => void; release: Promise<void> } | null = null;
  const client = {
    segment: async (vol: Volume, opts: SegOpts) => {
      const n = calls.push({ feeds: opts.adapterFeeds, signal: opts.signal }) - 1;
      if (vol.dims[2] === 3) throw new Error(CRASH);
      opts.onProgress?.(1, 2);
      if (held?.n === n) {
        const { late, reached, release } = held;
        reached();
        await new Promise<void>((ok, fail) => {
          void release.then(ok);
          if (!late) opts.signal?.addEventListener("abort", () => fail(new CancelledError()), { once: true });
        });
      } else if (opts.signal?.aborted) throw new CancelledError();
      opts.onProgress?.(2, 2);
      const data = Uint8Array.from(vol.data, (v) => {
        const c = Math.round(v / 10);
        return opts.adapterFeeds || c !== 3 ? c : 2;
      });
      return { labels: { dims: vol.dims, affine: vol.affine, data } };
    },
  };
  return {
    client: client as unknown as InferenceClient,
    calls,
    hold(n: number, late = false) {
      let reached = () => {};
      let release = () => {};
      const atCall = new Promise<void>((ok) => (reached = ok));
      held = { n, late, reached, release: new Promise<void>((ok) => (release = ok)) };
      return { reached: atCall, release: () => release() };
    },
  };
}

const rows = () => useApp.getState().studyResults.map((r) => ({ id: r.id, adapter: r.adapter, base: r.base?.meanDice ?? null, adapted: r.adapted?.meanDice ?? null, error: r.error }));

let fake: ReturnType<typeof studyClient>;

beforeEach(() => {
  resetApp();
  fake = studyClient();
  useApp.setState({ manifest, modelStatus: "ready", models: [{ id: manifest.id, name: manifest.name, source }], modelId: manifest.id, client: fake.client });
});

describe("cases", () => {
  it("dropped files pair into cases by site, each label's convention guessed; each site starts with its shipped adapter", async () => {
    const adding = useApp.getState().addStudyFiles(
      files({
        "synth-pd/a1.nii": scan(), "synth-pd/a1_label.nii": label(),
        "synth-pd/a2.nii": scan(), "synth-pd/a2_seg.nii": asegLabel(),
        "siteB/b1.nii": scan(), "siteB/b1_label.nii": new Blob(["not a volume"]),
        "siteB/loose.nii": scan(), "siteB/notes.txt": new Blob(["notes"]),
      }),
      "study",
    );
    expect(useApp.getState().studyJob.status).toBe("reading");
    await adding;
    const s = useApp.getState();
    expect(s.studyJob.status).toBe("idle");
    expect(s.studyCases.map((c) => [c.id, c.site, c.convention, c.conventionGuessed])).toEqual([
      ["siteB/b1", "siteB", "classes", false], // unreadable: nothing to guess from (the study records why)
      ["synth-pd/a1", "synth-pd", "classes", true],
      ["synth-pd/a2", "synth-pd", "freesurfer", true],
    ]);
    expect(s.studyUnpaired).toEqual(["siteB/loose.nii"]);
    expect(s.studySiteAdapters).toEqual({ siteB: null, "synth-pd": "synth-pd" });

    // the user's choices survive more files; a case moved to another site gets that site's adapter (fpg-t2's shipped one)
    useApp.getState().setSiteAdapter("siteB", "synth-pd");
    useApp.getState().setCaseConvention("synth-pd/a2", "classes");
    await useApp.getState().addStudyFiles(files({ "siteC/c1.nii": scan(), "siteC/c1_label.nii": label() }), "study");
    useApp.getState().setCaseSite("synth-pd/a1", "  fpg-t2 ");
    const after = useApp.getState();
    expect(after.studyCases.map((c) => [c.id, c.site, c.convention, c.conventionGuessed])).toEqual([
      ["siteB/b1", "siteB", "classes", false],
      ["siteC/c1", "siteC", "classes", true],
      ["synth-pd/a1", "fpg-t2", "classes", true],
      ["synth-pd/a2", "synth-pd", "classes", false],
    ]);
    expect(after.studySiteAdapters).toEqual({ siteB: "synth-pd", siteC: null, "fpg-t2": "fpg-t2", "synth-pd": "synth-pd" });
  });
});

describe("a run", () => {
  it("scores the base and each site's adapter on every case, with progress, each row shown as its case ends", async () => {
    await useApp.getState().addStudyFiles(
      files({ "synth-pd/a1.nii": scan(), "synth-pd/a1_label.nii": label(), "synth-pd/a2.nii": scan(), "synth-pd/a2_seg.nii": asegLabel(), "siteB/b1.nii": scan(), "siteB/b1_label.nii": label() }),
      "study",
    );
    const seen: { status: string; fraction: number; caseIndex: number; rows: number }[] = [];
    const unsubscribe = useApp.subscribe((s) => seen.push({ status: s.studyJob.status, fraction: s.studyJob.fraction, caseIndex: s.studyJob.caseIndex, rows: s.studyResults.length }));
    await useApp.getState().runSiteStudy();
    unsubscribe();

    const running = seen.filter((x) => x.status === "running");
    expect(running[0]).toEqual({ status: "running", fraction: 0, caseIndex: 0, rows: 0 });
    expect(running.map((x) => x.fraction)).toEqual([...running.map((x) => x.fraction)].sort((a, b) => a - b)); // never goes back
    expect(new Set(running.map((x) => x.fraction)).size).toBeGreaterThan(6); // within cases too, not only between them
    expect([...new Set(running.map((x) => x.caseIndex))]).toEqual([0, 1, 2]);
    expect([...new Set(running.map((x) => x.rows))]).toEqual([0, 1, 2, 3]);
    expect(useApp.getState().studyJob).toEqual({ status: "done", fraction: 1, caseIndex: 2, totalCases: 3, error: null });
    expect(useApp.getState().activeJob).toBeNull();

    const dice = rows().map((r) => ({ ...r, base: r.base && Number(r.base.toFixed(6)), adapted: r.adapted && Number(r.adapted.toFixed(6)) }));
    const base = Number(BASE_MEAN.toFixed(6));
    expect(dice).toEqual([
      { id: "siteB/b1", adapter: null, base, adapted: null, error: null },
      { id: "synth-pd/a1", adapter: "synth-pd", base, adapted: 1, error: null },
      { id: "synth-pd/a2", adapter: "synth-pd", base, adapted: 1, error: null },
    ]);
    expect(useApp.getState().studyResults[2].convention).toBe("freesurfer");
    expect(useApp.getState().studyResults[0].base?.dice).toEqual({ CSF: 1, GM: expect.closeTo(2 / 3, 6) as number, WM: 0 });
    // one base run per case and one with the site's adapter, the shipped synth-pd read from the model folder
    expect(fake.calls.map((c) => (c.feeds ? "adapter" : "base"))).toEqual(["base", "base", "adapter", "base", "adapter"]);
    expect(fake.calls[2].feeds).toEqual(synthPd.feeds);
  });

  it("a case or site that fails shows its error on its rows; the others are scored and the study finishes", async () => {
    await useApp.getState().addStudyFiles(
      files({
        "fpg-t2/c1.nii": scan(), "fpg-t2/c1_label.nii": label(), // the site's adapter fails its checksum
        "synth-pd/a1.nii": scan(), "synth-pd/a1_label.nii": label(),
        "synth-pd/far.nii": scan(), "synth-pd/far_label.nii": nifti(classes.slice(), [4, 4, 2], eye.map((v, i) => (i === 3 ? 900 : v))),
        "siteB/b1.nii": scan(), "siteB/b1_label.nii": label(),
        "siteB/crash.nii": nifti(new Float32Array(48), [4, 4, 3]), "siteB/crash_label.nii": nifti(new Uint8Array(48), [4, 4, 3]),
        "siteB/broken.nii": scan(), "siteB/broken_label.nii": new Blob(["not a volume"]),
      }),
      "study",
    );
    expect(useApp.getState().studySiteAdapters).toEqual({ "fpg-t2": "fpg-t2", siteB: null, "synth-pd": "synth-pd" });
    await useApp.getState().runSiteStudy();
    expect(useApp.getState().studyJob).toMatchObject({ status: "done", error: null, totalCases: 6 });
    const got = rows();
    expect(got.map((r) => r.id)).toEqual(["fpg-t2/c1", "siteB/b1", "siteB/broken", "siteB/crash", "synth-pd/a1", "synth-pd/far"]);
    const byId = Object.fromEntries(got.map((r) => [r.id, r]));
    expect(byId["fpg-t2/c1"]).toMatchObject({ base: null, adapted: null });
    expect(byId["fpg-t2/c1"].error).toMatch(/^adapters\/fpg-t2\/adapter_model\.safetensors does not match its manifest \(sha256 /);
    expect(byId["siteB/broken"]).toMatchObject({ base: null, error: "siteB/broken_label.nii: the file is truncated or corrupt: 12 bytes is smaller than a NIfTI header" });
    expect(byId["siteB/crash"]).toMatchObject({ base: null, error: CRASH });
    expect(byId["synth-pd/far"]).toMatchObject({ base: null, error: expect.stringMatching(/covers none of the scan/) as string });
    expect(byId["siteB/b1"]).toMatchObject({ base: expect.closeTo(BASE_MEAN, 6) as number, adapted: null, error: null });
    expect(byId["synth-pd/a1"]).toMatchObject({ adapter: "synth-pd", base: expect.closeTo(BASE_MEAN, 6) as number, adapted: 1, error: null });
  });
});

describe("reading", () => {
  it("reads each file through the store's volume reader (the read worker in the app), each label once: its convention guess and every run share it", async () => {
    const reads: string[] = [];
    const read = useApp.getState().volumeReader;
    useApp.setState({ volumeReader: (bytes, name, frame, onProgress) => (reads.push(name), read(bytes, name, frame, onProgress)) });
    const taken = () => reads.splice(0).sort();
    await useApp.getState().addStudyFiles(files({ "synth-pd/a1.nii": scan(), "synth-pd/a1_label.nii": label(), "synth-pd/a2.nii": scan(), "synth-pd/a2_seg.nii": asegLabel() }), "study");
    expect(taken()).toEqual(["synth-pd/a1_label.nii", "synth-pd/a2_seg.nii"]);
    expect(useApp.getState().studyCases.map((c) => c.convention)).toEqual(["classes", "freesurfer"]);

    await useApp.getState().runSiteStudy();
    expect(taken()).toEqual(["synth-pd/a1.nii", "synth-pd/a2.nii"]);
    await useApp.getState().runSiteStudy();
    expect(taken()).toEqual(["synth-pd/a1.nii", "synth-pd/a2.nii"]);
    expect(rows().map((r) => r.adapted)).toEqual([1, 1]);

    // a label file dropped again in another numbering is read when the study runs, not taken from memory
    await useApp.getState().addStudyFiles(files({ "synth-pd/a1_label.nii": asegLabel() }), "study");
    useApp.getState().setCaseConvention("synth-pd/a1", "freesurfer");
    await useApp.getState().runSiteStudy();
    expect(taken()).toEqual(["synth-pd/a1.nii", "synth-pd/a1_label.nii", "synth-pd/a2.nii"]);
    expect(rows().map((r) => [r.id, r.adapted, r.error])).toEqual([["synth-pd/a1", 1, null], ["synth-pd/a2", 1, null]]);
  });
});

describe("cancel, refusals and races", () => {
  const three = () => files({ "siteB/b1.nii": scan(), "siteB/b1_label.nii": label(), "siteB/b2.nii": scan(), "siteB/b2_label.nii": label(), "siteB/b3.nii": scan(), "siteB/b3_label.nii": label() });

  it("Cancel stops the study at once; the cases scored so far stay", async () => {
    await useApp.getState().addStudyFiles(three(), "study");
    const held = fake.hold(1);
    const run = useApp.getState().runSiteStudy();
    await held.reached;
    expect(useApp.getState().studyJob).toMatchObject({ status: "running", caseIndex: 1, totalCases: 3 });
    expect(rows().map((r) => r.id)).toEqual(["siteB/b1"]);
    useApp.getState().cancelStudy();
    expect(useApp.getState().studyJob.status).toBe("cancelled");
    expect(useApp.getState().activeJob).toBeNull();
    await run;
    // the panel reads "Cancelled after 1 of 3 cases"
    expect(useApp.getState().studyJob).toMatchObject({ status: "cancelled", error: null, totalCases: 3 });
    expect(rows()).toEqual([{ id: "siteB/b1", adapter: null, base: expect.closeTo(BASE_MEAN, 6) as number, adapted: null, error: null }]);
    expect(fake.calls).toHaveLength(2);
    expect(fake.calls[1].signal?.aborted).toBe(true);
    held.release();
  });

  it("nothing starts without cases, while the viewer segments, or while an adapter trains", async () => {
    await useApp.getState().runSiteStudy();
    expect(useApp.getState().studyJob.status).toBe("idle");
    await useApp.getState().addStudyFiles(three(), "study");
    const { claimWorker, releaseWorker } = useApp.getState();
    for (const kind of ["segmenting", "comparing", "training"] as const) {
      const taken = claimWorker(kind);
      await useApp.getState().runSiteStudy();
      expect(useApp.getState().activeJob).toBe(taken.ok && taken.claim); // the holder keeps the worker
      if (taken.ok) releaseWorker(taken.claim);
    }
    expect(useApp.getState().studyJob.status).toBe("idle");
    expect(useApp.getState().activeJob).toBeNull();
    expect(fake.calls).toEqual([]);
  });

  it("a new study replaces the last one's rows when it starts; one overtaken by another never adds its rows", async () => {
    await useApp.getState().addStudyFiles(files({ "siteB/b1.nii": scan(), "siteB/b1_label.nii": label(), "synth-pd/a1.nii": scan(), "synth-pd/a1_label.nii": label() }), "study");
    await useApp.getState().runSiteStudy();
    const first = rows();
    expect(first.map((r) => r.id)).toEqual(["siteB/b1", "synth-pd/a1"]);

    // more cases: the last study's table stays until the next one starts
    await useApp.getState().addStudyFiles(files({ "siteB/b2.nii": scan(), "siteB/b2_label.nii": label() }), "study");
    expect(rows()).toEqual(first);
    const held = fake.hold(3, true); // the second study's first run, whose reply comes after it was overtaken
    const second = useApp.getState().runSiteStudy();
    expect(useApp.getState().studyJob).toMatchObject({ status: "running", totalCases: 3 });
    expect(rows()).toEqual([]);
    await held.reached;

    const third = useApp.getState().runSiteStudy();
    const fractions: number[] = [];
    const unsubscribe = useApp.subscribe((s) => fractions.push(s.studyJob.fraction));
    held.release(); // the second study's progress after it was overtaken must not show
    await second;
    await third;
    unsubscribe();
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    expect(useApp.getState().studyJob).toMatchObject({ status: "done", totalCases: 3, fraction: 1 });
    expect(rows().map((r) => r.id)).toEqual(["siteB/b1", "siteB/b2", "synth-pd/a1"]);
    expect(fake.calls).toHaveLength(3 + 1 + 4);
    expect(fake.calls[3].signal?.aborted).toBe(true);
  });

  // The drop zone, unlike the pickers, stays open while a study runs: files dropped then join the
  // list, and the run stays shown, with its progress and Cancel.
  it("files dropped during a study leave it shown as running, with its Cancel", async () => {
    await useApp.getState().addStudyFiles(three(), "study");
    const held = fake.hold(0);
    const run = useApp.getState().runSiteStudy();
    await held.reached;
    try {
      await useApp.getState().addStudyFiles(files({ "siteC/c1.nii": scan(), "siteC/c1_label.nii": label() }), "study");
      expect(useApp.getState().activeJob?.kind).toBe("studying");
      expect(useApp.getState().studyJob.status).toBe("running");
    } finally {
      useApp.getState().cancelStudy();
      held.release();
      await run;
    }
  });
});

// Training a site's adapter from the cases the user ticks, then judging it on the site's others. The
// worker's adapt and segment handlers run in-process on onnxruntime-node (the same core code the
// worker runs), so the adapter is really trained, saved, loaded back and used by the study.
describe("training a site's adapter from ticked cases", () => {
  let runner: InferenceRunner;
  let trainStep: InferenceRunner;
  const read = async (p: string) => new Uint8Array(readFileSync(resolve(modelDir, p)));
  beforeAll(async () => {
    const model = await loadModel(read);
    runner = await createNodeRunner(model.onnx, 1);
    trainStep = await createNodeRunner(await loadTrainStep(read, manifest), 1);
  });
  const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

  // 40×40×24 voxels, 1 mm (as in trainSlice.test.ts): a WM core in a GM shell in a CSF rim, small
  // enough for a training step in ~0.4 s and a whole segmentation in well under a second
  const dims: [number, number, number] = [40, 40, 24];
  const affine = [1, 0, 0, -20, 0, 1, 0, -20, 0, 0, 1, -12, 0, 0, 0, 1];
  const tissue = new Uint8Array(40 * 40 * 24);
  for (let k = 0; k < 24; k++)
    for (let j = 0; j < 40; j++)
      for (let i = 0; i < 40; i++) {
        const r = Math.hypot((i - 19.5) / 17, (j - 19.5) / 15, (k - 11.5) / 11);
        tissue[i + 40 * (j + 40 * k)] = r < 0.45 ? 3 : r < 0.75 ? 2 : r < 0.9 ? 1 : 0;
      }
  /** A scan's bytes: T1-like (WM brightest) at a gain of its own (so each case's sha256 differs), or T2-like (WM darkest). */
  const phantom = (gain: number, t2 = false) => writeNifti({ dims, affine, data: Float32Array.from(tissue, (c) => (t2 ? [0, 110, 70, 40] : [0, 25, 70, 110])[c] * gain) }, { gzip: false });
  const tissueLabel = () => new Blob([writeNifti({ dims, affine, data: tissue.slice() }, { gzip: false }).slice()]);
  const p = { a1: phantom(1), a2: phantom(1.1), a3: phantom(0.9), b1: phantom(1.2), t2: phantom(1, true) };
  const blob = (bytes: Uint8Array) => new Blob([bytes.slice()]);
  const studyFiles = () =>
    files({
      "siteA/a1.nii": blob(p.a1), "siteA/a1_label.nii": tissueLabel(),
      "siteA/a2.nii": blob(p.a2), "siteA/a2_label.nii": tissueLabel(),
      "siteA/a3.nii": blob(p.a3), "siteA/a3_label.nii": tissueLabel(),
      "siteB/b1.nii": blob(p.b1), "siteB/b1_label.nii": tissueLabel(),
    });

  type AdaptOpts = { onStep?: (step: number, loss: number) => void; signal?: AbortSignal };
  /** The worker client: adapt and segment as inference.worker.ts runs them; an abort rejects at once with CancelledError (the client ends the worker). */
  function workerClient() {
    const jobs: AdaptJob[] = [];
    const segments: { feeds: boolean }[] = [];
    const runs: Promise<unknown>[] = [];
    const cancellable = <T,>(run: Promise<T>, signal?: AbortSignal) =>
      new Promise<T>((ok, fail) => {
        if (signal?.aborted) return fail(new CancelledError());
        signal?.addEventListener("abort", () => fail(new CancelledError()), { once: true });
        run.then(ok, fail);
      });
    const client = {
      adapt: (job: AdaptJob, opts: AdaptOpts = {}): Promise<AdaptOutcome> => {
        jobs.push(job);
        const run = adaptSite({
          ...job, manifest, trainStep, model: runner, tool: "siteseg (test)", onStep: opts.onStep, signal: opts.signal,
          segment: async (scan, feeds) => (await segment(scan, manifest, runner, { adapterFeeds: feeds })).labels,
        });
        runs.push(run.catch(() => {}));
        return cancellable(run.then(({ files, holdout, cases, warnings, heldOut, losses, runtime }) => ({ files, holdout, cases, warnings, heldOut, losses, runtime })), opts.signal);
      },
      segment: (vol: Volume, opts: SegOpts) => {
        segments.push({ feeds: !!opts.adapterFeeds });
        const run = segment(vol, manifest, runner, { adapterFeeds: opts.adapterFeeds, onProgress: opts.onProgress });
        runs.push(run.catch(() => {}));
        return cancellable(run, opts.signal);
      },
    };
    return { client: client as unknown as InferenceClient, jobs, segments, settled: () => Promise.all(runs) };
  }

  let worker: ReturnType<typeof workerClient>;
  const trainA = (over: Partial<StudyTrainRequest> = {}) => useApp.getState().trainSiteAdapter({ site: "siteA", nSlices: 2, steps: 2, ...over });
  const tick = (...ids: string[]) => ids.forEach((id) => useApp.getState().setTrainOn(id, true));

  beforeEach(async () => {
    worker = workerClient();
    useApp.setState({ client: worker.client });
    await useApp.getState().addStudyFiles(studyFiles(), "study");
  });
  afterEach(async () => {
    await worker.settled(); // the sessions are shared between tests
  });

  it("trains on the ticked cases in the worker, installs <site>-adapter chosen for the site, and the study judges it on the others", async () => {
    tick("siteA/a2", "siteA/a1");
    expect(useApp.getState().studyTrainOn).toEqual(["siteA/a2", "siteA/a1"]);
    const seen: string[] = [];
    const unsubscribe = useApp.subscribe((s) => seen.push(`${s.training.status} ${s.training.step}/${s.training.steps} ${s.studyJob.status}`));
    const run = trainA();
    expect(useApp.getState().training).toMatchObject({ status: "running", steps: 2, study: "siteA" });
    expect(useApp.getState().canSegment()).toBe(false); // the worker is busy training
    await run;
    unsubscribe();

    // progress step by step, then the study runs once the adapter is in
    expect([...new Set(seen)]).toEqual(expect.arrayContaining(["running 0/2 idle", "running 1/2 idle", "running 2/2 idle", "done 2/2 idle", "done 2/2 running", "done 2/2 done"]));
    expect(seen.indexOf("done 2/2 running")).toBeGreaterThan(seen.indexOf("done 2/2 idle"));

    // one job: the first ticked case (by id) is the main scan, the others come as moreCases, each with its image's sha256
    expect(worker.jobs).toHaveLength(1);
    const [job] = worker.jobs;
    expect(job).toMatchObject({ caseId: "siteA/a1", convention: "classes", nSlices: 2, scoreAgainst: null, site: "siteA", images: ["siteA/a1.nii"], sourceSha256: [sha256(p.a1)] });
    expect(job.train).toMatchObject({ steps: 2, rank: 2, alpha: 4 });
    expect(job.moreCases?.map((c) => [c.id, c.images, c.sourceSha256, c.convention])).toEqual([["siteA/a2", ["siteA/a2.nii"], [sha256(p.a2)], "classes"]]);

    const { training, fileAdapters, studySiteAdapters, activeJob, studyResults, adapter } = useApp.getState();
    expect(activeJob).toBeNull();
    expect(training).toMatchObject({ status: "done", error: null, study: "siteA" });
    expect(training.outcome?.name).toBe("siteA-adapter");
    expect(training.outcome?.cases.map((c) => [c.id, c.indices.length])).toEqual([["siteA/a1", 2], ["siteA/a2", 2]]);
    expect(training.outcome?.warnings).toEqual([]);
    expect(training.outcome?.heldOut).toEqual([]); // not scored on slices: the study scores the untouched case
    expect(fileAdapters.map((a) => [a.name, a.source, a.site])).toEqual([["siteA-adapter", "file", "siteA"]]);
    const installed = fileAdapters[0].adapter;
    expect(installed.sha256).toBe(sha256(training.outcome!.files.weights));
    // each case by its file and by its scan (volume_sha256)
    const ownScans = await Promise.all([p.a1, p.a2].map((b) => volumeSha256(readVolume(b, "case"))));
    expect([...trainedOnSha256(installed.config)].sort()).toEqual([sha256(p.a1), sha256(p.a2), ...ownScans].sort());
    expect(installed.config.description).toBe("trained in the browser's Site study on 2 cases of siteA: siteA/a1, siteA/a2");
    expect(studySiteAdapters).toEqual({ siteA: "siteA-adapter", siteB: null });
    expect(adapter).toBeNull(); // the viewer's choice is the user's

    // the study: the two ticked cases marked trained-on; siteA judged on a3 alone
    expect(useApp.getState().studyJob).toMatchObject({ status: "done", totalCases: 4 });
    expect(studyResults.map((r) => [r.id, r.adapter, r.trainedOn, r.error])).toEqual([
      ["siteA/a1", "siteA-adapter", true, null],
      ["siteA/a2", "siteA-adapter", true, null],
      ["siteA/a3", "siteA-adapter", false, null],
      ["siteB/b1", null, false, null],
    ]);
    expect(worker.segments.map((c) => (c.feeds ? "adapter" : "base"))).toEqual(["base", "adapter", "base", "adapter", "base", "adapter", "base"]);
    const [rowA, rowB] = studyTable(studyResults, scoredClasses(manifest));
    expect(rowA).toMatchObject({ site: "siteA", n: 1, trainedOn: 2, failed: 0, adapter: "siteA-adapter" });
    expect(rowA.gain?.mean).toBeCloseTo(studyResults[2].adapted!.meanDice! - studyResults[2].base!.meanDice!, 12);
    expect(rowB).toMatchObject({ site: "siteB", n: 1, trainedOn: 0, adapter: null });

    // a second adapter for the site gets a name of its own, and replaces the first as the site's
    useApp.getState().setTrainOn("siteA/a2", false);
    await trainA({ steps: 1 });
    expect(useApp.getState().fileAdapters.map((a) => a.name)).toEqual(["siteA-adapter", "siteA-adapter-2"]);
    expect(useApp.getState().studySiteAdapters.siteA).toBe("siteA-adapter-2");
    expect(useApp.getState().studyResults.map((r) => [r.id, r.trainedOn])).toEqual([["siteA/a1", true], ["siteA/a2", false], ["siteA/a3", false], ["siteB/b1", false]]);
  });

  it("a ticked case of another contrast family is trained on all the same, and named in the warnings", async () => {
    await useApp.getState().addStudyFiles(files({ "siteA/t2.nii": blob(p.t2), "siteA/t2_label.nii": tissueLabel() }), "study");
    tick("siteA/a1", "siteA/t2");
    await trainA({ steps: 1 });
    const { training } = useApp.getState();
    expect(training.status).toBe("done");
    expect(training.outcome?.warnings).toEqual(["case siteA/t2 looks T2/FLAIR/PD-like, the first case T1-like: an adapter learns one contrast, so train on cases of one sequence"]);
    expect(useApp.getState().studyResults.filter((r) => r.trainedOn).map((r) => r.id)).toEqual(["siteA/a1", "siteA/t2"]);
  });

  it("is refused, saying why, with no ticked case, every case of the site ticked, or while the worker is busy; nothing computed is lost", async () => {
    await useApp.getState().runSiteStudy();
    const before = useApp.getState().studyResults;
    expect(before).toHaveLength(4);
    worker.segments.length = 0;
    const unchanged = () => {
      expect(worker.jobs).toEqual([]);
      expect(worker.segments).toEqual([]);
      expect(useApp.getState().studyResults).toBe(before);
      expect(useApp.getState().studyJob.status).toBe("done");
      expect(useApp.getState().training.status).toBe("idle");
      expect(useApp.getState().activeJob).toBeNull();
      expect(useApp.getState().fileAdapters).toEqual([]);
      expect(useApp.getState().studySiteAdapters).toEqual({ siteA: null, siteB: null });
    };

    await trainA();
    expect(useApp.getState().studyTrainNote).toBe('Tick "train on" beside the cases of siteA to learn from.');
    tick("siteA/a1", "siteA/a2", "siteA/a3", "siteB/b1");
    await trainA();
    expect(useApp.getState().studyTrainNote).toBe("Leave at least one case of siteA unticked to judge the adapter on: a site's adapter is judged only on cases it never saw.");
    useApp.getState().setTrainOn("siteA/a3", false);
    expect(useApp.getState().studyTrainNote).toBeNull(); // a change of ticks clears the refusal
    await trainA({ steps: 0 });
    expect(useApp.getState().studyTrainNote).toBe("Steps is a whole number from 1.");
    unchanged();

    const refusals = {
      segmenting: "A segmentation is running in the viewer: let it finish or cancel it, then train.",
      comparing: "A comparison is running in the viewer: let it finish or cancel it, then train.",
      studying: "The site study is running: let it finish or cancel it, then train.",
      training: "An adapter is training: let it finish or cancel it, then train.",
    };
    for (const [kind, note] of Object.entries(refusals)) {
      const taken = useApp.getState().claimWorker(kind as keyof typeof refusals);
      if (!taken.ok) throw new Error(taken.reason);
      await trainA();
      expect(useApp.getState().studyTrainNote).toBe(note);
      expect(taken.claim.abort.signal.aborted).toBe(false); // the other job goes on
      expect(useApp.getState().activeJob).toBe(taken.claim);
      useApp.getState().releaseWorker(taken.claim);
    }
    unchanged();
  });

  it("a ticked case whose file cannot be read is named; nothing is trained or installed", async () => {
    await useApp.getState().addStudyFiles(files({ "siteA/bad.nii": new Blob(["not a volume"]), "siteA/bad_label.nii": tissueLabel() }), "study");
    tick("siteA/a1", "siteA/bad");
    await trainA();
    const { training, activeJob, fileAdapters, studySiteAdapters, studyJob } = useApp.getState();
    expect(training).toMatchObject({ status: "error", study: "siteA", outcome: null });
    expect(training.error).toBe("Case siteA/bad could not be read: siteA/bad.nii: the file is truncated or corrupt: 12 bytes is smaller than a NIfTI header");
    expect(activeJob).toBeNull();
    expect(worker.jobs).toEqual([]);
    expect(fileAdapters).toEqual([]);
    expect(studySiteAdapters.siteA).toBeNull();
    expect(studyJob.status).toBe("idle"); // no study after a failed training
  });

  it("Cancel stops the training at once; no adapter is installed and no study runs", async () => {
    tick("siteA/a1");
    const run = trainA({ steps: 200 }); // minutes if it were not stopped
    await vi.waitFor(() => expect(useApp.getState().training.step).toBeGreaterThanOrEqual(1), { timeout: 20_000 });
    useApp.getState().cancelTraining();
    expect(useApp.getState().training).toMatchObject({ status: "cancelled", study: "siteA" });
    await run;
    expect(useApp.getState().activeJob).toBeNull();
    expect(useApp.getState().fileAdapters).toEqual([]);
    expect(useApp.getState().studySiteAdapters.siteA).toBeNull();
    expect(useApp.getState().studyJob.status).toBe("idle");
    expect(worker.segments).toEqual([]);
  });

  it("Remove takes a case out of the study, its files and its tick with it; a site left empty goes", async () => {
    tick("siteB/b1", "siteA/a1");
    useApp.getState().removeStudyCases(["siteB/b1"]);
    const s = useApp.getState();
    expect(s.studyCases.map((c) => c.id)).toEqual(["siteA/a1", "siteA/a2", "siteA/a3"]);
    expect([...s.studyFiles.keys()].filter((f) => f.startsWith("siteB/"))).toEqual([]);
    expect(s.studySiteAdapters).toEqual({ siteA: null });
    expect(s.studyTrainOn).toEqual(["siteA/a1"]);
    await useApp.getState().runSiteStudy();
    expect(useApp.getState().studyResults.map((r) => r.id)).toEqual(["siteA/a1", "siteA/a2", "siteA/a3"]);
  });
});
