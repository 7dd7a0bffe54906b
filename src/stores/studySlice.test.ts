import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { loadAdapter } from "../core/adapters";
import { writeNifti } from "../core/io";
import { parseManifest, type ModelFile } from "../core/manifest";
import { CancelledError, type Tensor } from "../core/pipeline/runner";
import type { Volume } from "../core/volume/types";
import type { InferenceClient } from "../worker/client";
import { resetApp, useApp } from "./store";
import type { StudySource } from "./studySlice";

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
    expect(useApp.getState().studyAbort).toBeNull();

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
    expect(useApp.getState().studyAbort).toBeNull();
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
    useApp.setState({ job: { status: "running", done: 0, total: 0, error: null } });
    await useApp.getState().runSiteStudy();
    useApp.setState({ job: { status: "idle", done: 0, total: 0, error: null }, trainAbort: new AbortController() });
    await useApp.getState().runSiteStudy();
    expect(useApp.getState().studyJob.status).toBe("idle");
    expect(useApp.getState().studyAbort).toBeNull();
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
      expect(useApp.getState().studyAbort).not.toBeNull();
      expect(useApp.getState().studyJob.status).toBe("running");
    } finally {
      useApp.getState().cancelStudy();
      held.release();
      await run;
    }
  });
});
