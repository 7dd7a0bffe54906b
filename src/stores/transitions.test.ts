import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { parseManifest } from "../core/manifest";
import type { Volume } from "../core/volume/types";
import type { SegmentationResult } from "./jobSlice";
import type { LoadedScan } from "./scanSlice";
import { resetApp, useApp } from "./store";
import type { JobKind } from "./workerSlice";

// A new scan, model, adapter or mask resets what belonged to the old one, in one place, also while a job runs.

const manifest = parseManifest(JSON.parse(readFileSync(resolve(import.meta.dirname, "../../public/models/siteseg-tissue/manifest.json"), "utf8")));
const grid = { dims: [4, 4, 4] as [number, number, number], affine: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] };
const scanOf = (name: string): LoadedScan => ({ name, volume: { ...grid, data: new Float32Array(64) }, sha256: Promise.resolve(name) });
const mask = (adapter: string | null, fill: number) => ({ adapter, labels: { ...grid, data: new Uint8Array(64).fill(fill) }, options: [] }) as unknown as SegmentationResult;
const step = (key: string) => ({ key, edit: {}, slice: { axis: 2, index: 0 }, wasCorrected: false }) as never;
const reference = { name: "ref.nii", volume: { ...grid, data: new Uint8Array(64).fill(1) } as Volume, values: [1] };
const claim = (kind: JobKind) => {
  const notes: (string | undefined)[] = [];
  const taken = useApp.getState().claimWorker(kind, (note) => notes.push(note));
  if (!taken.ok) throw new Error(taken.reason);
  return { claim: taken.claim, notes };
};

/** A scan with a base and an adapter's mask, the adapter's shown, corrected (undo and redo steps), compared, and a reference. */
function withWork() {
  const base = mask(null, 1);
  const adapted = mask("site", 2);
  useApp.setState({
    scan: scanOf("first.nii"),
    manifest,
    modelStatus: "ready",
    results: { base, "adapter:site": adapted },
    result: adapted,
    compare: { adapter: "site" },
    undoStack: [step("base"), step("adapter:site")],
    redoStack: [step("adapter:site")],
    editTool: "brush",
    reference,
    evaluations: { base: {} as never, "adapter:site": {} as never },
  });
  return { base, adapted };
}

beforeEach(() => resetApp());

describe("a new scan", () => {
  it("drops every mask, correction, undo step and the reference; the open job's cut is said", () => {
    withWork();
    const run = claim("segmenting");
    const next = scanOf("second.nii");
    useApp.getState().newScan(next);
    const s = useApp.getState();
    expect(s.scan).toBe(next);
    expect([s.results, s.result, s.preview, s.compare]).toEqual([{}, null, null, null]);
    expect([s.undoStack, s.redoStack, s.editTool]).toEqual([[], [], null]);
    expect([s.reference, s.evaluation, s.evaluations]).toEqual([null, null, {}]);
    expect(run.claim.abort.signal.aborted).toBe(true);
    expect(run.notes).toEqual(["a new scan was opened"]);
    expect(s.activeJob).toBeNull();
    expect(s.job).toEqual({ status: "cancelled", note: "a new scan was opened", done: 0, total: 0, error: null }); // no progress of the old scan's run
  });

  it("with no run, the status goes back to idle (not 'cancelled')", () => {
    withWork();
    useApp.setState({ job: { status: "done", done: 4, total: 4, error: null } });
    useApp.getState().newScan(scanOf("second.nii"));
    expect(useApp.getState().job).toEqual({ status: "idle", done: 0, total: 0, error: null });
  });

  it("another volume of the same file keeps the reference; its masks go", () => {
    withWork();
    useApp.getState().newScan(scanOf("first.nii"), true);
    expect(useApp.getState().reference).toBe(reference);
    expect(useApp.getState().results).toEqual({});
  });

  it("ends the viewer's training, which learns from the scan, and says why; the study's training and the study go on", () => {
    withWork();
    const viewerTraining = useApp.getState().claimTraining(5)!;
    useApp.getState().newScan(scanOf("second.nii"));
    expect(viewerTraining.abort.signal.aborted).toBe(true);
    expect(useApp.getState().training).toMatchObject({ status: "cancelled", note: "a new scan was opened" });

    const studyTraining = useApp.getState().claimTraining(5, "siteA")!;
    useApp.getState().newScan(scanOf("third.nii"));
    expect(studyTraining.abort.signal.aborted).toBe(false);
    expect(useApp.getState().activeJob).toBe(studyTraining);
    useApp.getState().releaseWorker(studyTraining);

    const study = claim("studying");
    useApp.getState().newScan(scanOf("fourth.nii"));
    expect(study.claim.abort.signal.aborted).toBe(false);
    expect(useApp.getState().activeJob).toBe(study.claim);
  });
});

describe("a new model", () => {
  it("when chosen, ends a run and forgets the last model's options and an adapter still loading", () => {
    withWork();
    const run = claim("comparing");
    useApp.setState({ inferenceOptions: ["flip"], adapterStatus: "loading" });
    useApp.getState().leaveModel();
    expect(run.notes).toEqual(["another model was chosen"]);
    expect(useApp.getState()).toMatchObject({ inferenceOptions: null, adapterStatus: "idle", activeJob: null });
  });

  it("once loaded, drops masks, corrections, adapters, the contrast check and the last training; the reference stays", () => {
    withWork();
    useApp.setState({ adapter: { name: "site" } as never, fileAdapters: [{ name: "x (file)" } as never], adapterError: "old", scanContrast: {} as never });
    useApp.setState({ training: { status: "done", step: 5, steps: 5, loss: 0.1, error: null, outcome: {} as never } });
    useApp.getState().newModel();
    const s = useApp.getState();
    expect([s.results, s.result, s.compare, s.undoStack, s.redoStack, s.editTool]).toEqual([{}, null, null, [], [], null]);
    expect([s.adapter, s.fileAdapters, s.adapterError, s.scanContrast]).toEqual([null, [], null, null]);
    expect(s.training).toEqual({ status: "idle", step: 0, steps: 0, loss: null, error: null, outcome: null });
    expect(s.reference).toBe(reference);
  });

  it("a training still running (the viewer's or the study's) ends and says why; a study is not a training", () => {
    withWork();
    const running = useApp.getState().claimTraining(5, "siteA")!;
    useApp.getState().newModel();
    expect(running.abort.signal.aborted).toBe(true);
    expect(useApp.getState().training).toMatchObject({ status: "cancelled", note: "another model was loaded", outcome: null });
    expect(useApp.getState().activeJob).toBeNull();
  });
});

describe("a new adapter", () => {
  it("shows its kept mask, or leaves the shown one when it has none", () => {
    const { base, adapted } = withWork();
    useApp.setState({ result: base, adapter: { name: "site" } as never });
    useApp.getState().newAdapter();
    expect(useApp.getState().result).toBe(adapted);
    useApp.setState({ adapter: { name: "other" } as never });
    useApp.getState().newAdapter();
    expect(useApp.getState().result).toBe(adapted);
  });

  it("added while a segmentation runs: the run goes on, the adapter joins the list", () => {
    withWork();
    const run = claim("segmenting");
    useApp.getState().addAdapter({ name: "new (file)", adapter: { name: "new (file)" } as never }, false);
    expect(useApp.getState().fileAdapters.map((a) => a.name)).toEqual(["new (file)"]);
    expect(useApp.getState().activeJob).toBe(run.claim);
    expect(run.claim.abort.signal.aborted).toBe(false);
    expect(useApp.getState().freeAdapterName("new (file)", (i) => `new (file ${i})`)).toBe("new (file 2)");
  });
});

describe("a new mask", () => {
  it("replaces its adapter's mask and shows it; only that mask's scores and undo steps go", () => {
    const { base } = withWork();
    useApp.setState({ maskVisible: false });
    const again = mask("site", 3);
    useApp.getState().newResult(again);
    const s = useApp.getState();
    expect(s.results).toEqual({ base, "adapter:site": again });
    expect(s.result).toBe(again);
    expect(s.maskVisible).toBe(true);
    expect(s.undoStack.map((u) => u.key)).toEqual(["base"]);
    expect(s.redoStack).toEqual([]);
    expect(Object.keys(s.evaluations)).toEqual(["base"]);
  });
});
