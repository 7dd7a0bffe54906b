import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { writeNifti } from "../core/io";
import { parseManifest } from "../core/manifest";
import type { SegmentOptions } from "../core/pipeline/segment";
import type { Volume } from "../core/volume/types";
import type { InferenceClient } from "../worker/client";
import { UNDO_STEPS } from "./editSlice";
import { resetApp, useApp } from "./store";

// Mask corrections through the store, as the viewer drives them: paintAt for every point of a
// drag, endStroke on release, undo and redo. Masks come from real runs of the job slice with a
// scripted worker client (the model itself is not what is tested here), so a new result and a
// new scan go through the same code as in the app.

const manifest = parseManifest(JSON.parse(readFileSync(resolve(import.meta.dirname, "../../public/models/siteseg-tissue/manifest.json"), "utf8")));
const DIMS: [number, number, number] = [8, 8, 4];
const EYE = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
const N = DIMS[0] * DIMS[1] * DIMS[2];
const at = (x: number, y: number, z: number) => x + DIMS[0] * (y + DIMS[1] * z);
/** The model's mask: stripes of the four classes, so every class is present and Dice is defined. */
const modelMask = () => Uint8Array.from({ length: N }, (_, i) => ((i % DIMS[0]) + Math.floor(i / DIMS[0])) % 4);
const scanBytes = (affine = EYE) => writeNifti({ dims: DIMS, affine, data: Float32Array.from(modelMask(), (v) => v * 100) }, { gzip: false });

/** A worker client whose every run returns `mask()` (a fresh array each time). */
function scriptedClient(mask: () => Uint8Array = modelMask) {
  let runs = 0;
  const client = {
    segment: async (scan: Volume, _opts: SegmentOptions) => {
      runs++;
      const labels = { dims: scan.dims, affine: scan.affine, data: mask() };
      return { labels, backend: "test", slices: DIMS[2], options: [], passes: 1, warnings: [], ms: { preprocess: 0, inference: 0, postprocess: 0, total: 0 }, sessionId: "s", profile: {} };
    },
  };
  return { client: client as unknown as InferenceClient, runs: () => runs };
}

const app = () => useApp.getState();
const shown = () => app().result!.labels.data;
const snapshot = () => Uint8Array.from(shown());
/** The slices the shown result has marked corrected (what training uses), as "axis:index", sorted. */
const corrected = () => (app().result?.corrected ?? []).map((c) => `${c.axis}:${c.index}`).sort();

beforeEach(async () => {
  resetApp();
  // resetApp resets the state, not the slice's closure: a stroke a test left open would be
  // recorded on the next test's mask were it not tied to the mask it painted; it is dropped
  app().endStroke();
  await app().openScan("head.nii", scanBytes());
  useApp.setState({ manifest, modelStatus: "ready", client: scriptedClient().client });
  await app().runSegmentation();
  expect(app().job.status).toBe("done");
});

describe("painting", () => {
  it("the brush paints its class in a disk around each point, in that slice only", () => {
    app().setEditTool("brush");
    app().setEditClass(3);
    app().setBrushMm(3); // radius 1.5 mm on 1 mm voxels: the 3×3 square around the point
    const before = snapshot();
    const version = app().maskVersion;
    app().paintAt([3, 3, 1], 2);
    const painted = new Set<number>();
    for (let x = 2; x <= 4; x++) for (let y = 2; y <= 4; y++) painted.add(at(x, y, 1));
    for (let i = 0; i < N; i++) expect(shown()[i], `voxel ${i}`).toBe(painted.has(i) ? 3 : before[i]);
    expect(app().maskVersion).toBeGreaterThan(version); // the viewer redraws while the drag goes on
    expect(app().undoStack).toHaveLength(0); // a step once the stroke ends
    app().endStroke();
    expect(app().undoStack).toHaveLength(1);
    expect(app().result?.corrected).toEqual([{ axis: 2, index: 1 }]);
    expect(app().results.base.corrected).toEqual([{ axis: 2, index: 1 }]);
  });

  it("the eraser paints background, whatever class is chosen", () => {
    app().setEditTool("eraser");
    app().setEditClass(3);
    app().setBrushMm(1);
    app().paintAt([5, 2, 0], 2);
    app().paintAt([6, 2, 0], 2);
    app().endStroke();
    expect([shown()[at(5, 2, 0)], shown()[at(6, 2, 0)]]).toEqual([0, 0]);
    expect(shown()[at(7, 2, 0)]).toBe(modelMask()[at(7, 2, 0)]);
  });

  it("the brush is measured in mm: on 2 mm × 1 mm voxels a 3 mm brush is one voxel wide and three tall", async () => {
    await app().openScan("aniso.nii", scanBytes([2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]));
    await app().runSegmentation();
    app().setEditTool("brush");
    app().setEditClass(3);
    app().setBrushMm(3);
    const before = snapshot();
    app().paintAt([3, 3, 1], 2);
    const changed = Array.from(shown()).flatMap((v, i) => (v !== before[i] ? [i] : []));
    const expected = [at(3, 2, 1), at(3, 3, 1), at(3, 4, 1)].filter((i) => before[i] !== 3);
    expect(changed).toEqual(expected);
    expect(expected.length).toBeGreaterThan(0);
    app().endStroke();
  });

  it("nothing is painted with no tool, or while a run is in flight", () => {
    const before = snapshot();
    app().paintAt([3, 3, 1], 2); // no tool: the viewer navigates
    app().endStroke();
    expect(shown()).toEqual(before);
    app().setEditTool("brush");
    expect(app().claimWorker("segmenting").ok).toBe(true); // the mask on screen is about to be replaced
    app().paintAt([3, 3, 1], 2);
    app().endStroke();
    expect(shown()).toEqual(before);
    expect(app().undoStack).toHaveLength(0);
    expect(app().result?.corrected).toBeUndefined();
  });

  it("a stroke that changes no voxel leaves no undo step and marks nothing corrected", () => {
    app().setEditTool("brush");
    app().setBrushMm(1);
    const p: [number, number, number] = [1, 1, 2];
    const was = shown()[at(...p)];
    app().setEditClass(was); // the class already there
    app().paintAt(p, 2);
    app().endStroke();
    app().setEditClass((was + 1) % 4); // painted over and back within one stroke
    app().paintAt(p, 2);
    app().setEditClass(was);
    app().paintAt(p, 2);
    app().endStroke();
    expect(shown()).toEqual(modelMask());
    expect(app().undoStack).toHaveLength(0);
    expect(app().result?.corrected).toBeUndefined();
  });

  it("the brush size stays between 0.5 and 30 mm; the default class is GM", () => {
    expect(app().editClass).toBe(2);
    expect(manifest.classes[app().editClass].name).toBe("GM");
    app().setBrushMm(100);
    expect(app().brushMm).toBe(30);
    app().setBrushMm(0);
    expect(app().brushMm).toBe(0.5);
    app().setBrushMm(4);
    expect(app().brushMm).toBe(4);
  });
});

describe("undo and redo", () => {
  it("restore the mask exactly, stroke by stroke; a new stroke after undo drops the redo", () => {
    app().setEditTool("brush");
    app().setEditClass(1);
    const original = snapshot();
    for (const x of [1, 2, 3]) app().paintAt([x, 4, 2], 2); // one drag: one step
    app().endStroke();
    const first = snapshot();
    app().setEditTool("eraser");
    for (const y of [3, 4, 5]) app().paintAt([2, y, 2], 2); // overlaps the first stroke
    app().endStroke();
    const second = snapshot();
    expect(app().undoStack).toHaveLength(2);
    expect(first).not.toEqual(original);
    expect(second).not.toEqual(first);

    app().undo();
    expect(shown()).toEqual(first);
    app().undo();
    expect(shown()).toEqual(original);
    expect([app().undoStack.length, app().redoStack.length]).toEqual([0, 2]);
    app().undo(); // nothing left: nothing happens
    expect(shown()).toEqual(original);
    app().redo();
    expect(shown()).toEqual(first);
    app().redo();
    expect(shown()).toEqual(second);
    app().redo();
    expect(shown()).toEqual(second);

    app().undo();
    app().paintAt([6, 6, 0], 2);
    app().endStroke();
    expect(app().redoStack).toHaveLength(0);
    app().redo();
    expect(shown()[at(2, 4, 2)]).toBe(first[at(2, 4, 2)]); // the dropped step is not redone: the voxel it erased keeps the first stroke's class
  });

  it("a drag into another slice starts a new step; each slice is marked corrected and unmarked on its own", () => {
    app().setEditTool("brush");
    app().setEditClass(3);
    app().setBrushMm(1);
    app().paintAt([0, 1, 1], 2);
    app().paintAt([0, 1, 2], 2); // crossed into slice 2
    expect(app().undoStack).toHaveLength(1);
    app().endStroke();
    expect(app().undoStack).toHaveLength(2);
    expect(corrected()).toEqual(["2:1", "2:2"]);
    // a second stroke on slice 1: undoing it leaves slice 1 corrected (the first stroke is still there)
    app().paintAt([0, 2, 1], 2);
    app().endStroke();
    app().undo();
    expect(corrected()).toEqual(["2:1", "2:2"]);
    app().undo();
    expect(corrected()).toEqual(["2:1"]);
    app().undo();
    expect(corrected()).toEqual([]);
    expect(shown()).toEqual(modelMask());
    app().redo();
    expect(corrected()).toEqual(["2:1"]);
    expect(shown()[at(0, 1, 1)]).toBe(3);
  });

  it(`keeps the last ${UNDO_STEPS} steps`, () => {
    app().setEditTool("brush");
    app().setBrushMm(1);
    const original = snapshot();
    // one voxel per stroke, each set to a class it does not have
    const voxels = Array.from({ length: UNDO_STEPS + 1 }, (_, n) => [n % 8, Math.floor(n / 8) % 8, Math.floor(n / 64)] as [number, number, number]);
    for (const v of voxels) {
      app().setEditClass((original[at(...v)] + 1) % 4);
      app().paintAt(v, 2);
      app().endStroke();
    }
    expect(app().undoStack).toHaveLength(UNDO_STEPS);
    for (let n = 0; n < UNDO_STEPS + 5; n++) app().undo();
    const first = at(...voxels[0]);
    expect(shown()[first]).toBe((original[first] + 1) % 4); // the oldest stroke can no longer be undone
    expect(shown().filter((v, i) => i !== first && v !== original[i])).toHaveLength(0);
  });
});

describe("Dice follows the edits", () => {
  it("is recomputed after a stroke, an undo and a redo", () => {
    const ref = { dims: DIMS, affine: EYE, data: modelMask() };
    app().setReference("ref.nii", ref, "classes");
    expect(app().evaluation?.meanDice).toBe(1);
    app().setEditTool("eraser");
    app().setBrushMm(3);
    app().paintAt([4, 4, 1], 2);
    app().endStroke();
    const edited = app().evaluation!;
    expect(edited.meanDice).toBeLessThan(1);
    // the background count the Dice table shows grew by the voxels erased (9 minus those already 0)
    const erased = [3, 4, 5].flatMap((x) => [3, 4, 5].map((y) => at(x, y, 1))).filter((i) => modelMask()[i] !== 0).length;
    expect(edited.counts[0].predicted - edited.counts[0].reference).toBe(erased);
    app().undo();
    expect(app().evaluation?.meanDice).toBe(1);
    app().redo();
    expect(app().evaluation?.meanDice).toBe(edited.meanDice);
  });
});

describe("edits never apply to a stale mask", () => {
  it("a new result of the same mask drops its undo and redo; undo then leaves the new mask alone", async () => {
    app().setEditTool("brush");
    app().setEditClass(3);
    app().paintAt([3, 3, 1], 2);
    app().endStroke();
    app().paintAt([3, 3, 2], 2);
    app().endStroke();
    app().undo();
    expect([app().undoStack.length, app().redoStack.length]).toEqual([1, 1]);
    await app().runSegmentation();
    expect([app().undoStack.length, app().redoStack.length]).toEqual([0, 0]);
    expect(shown()).toEqual(modelMask());
    expect(app().result?.corrected).toBeUndefined();
    app().undo();
    app().redo();
    expect(shown()).toEqual(modelMask());
  });

  it("a new result of another mask keeps the steps of this one, which still undo on it", async () => {
    app().setEditTool("brush");
    app().setEditClass(3);
    app().setBrushMm(1);
    app().paintAt([0, 0, 0], 2);
    app().endStroke();
    const base = app().results.base;
    useApp.setState({ adapter: { name: "site" } as never }); // a run under another adapter's key (the client ignores feeds)
    await app().runSegmentation();
    expect(app().result?.adapter).toBe("site");
    expect(app().undoStack).toHaveLength(1);
    expect(app().results.base.labels.data[at(0, 0, 0)]).toBe(3);
    app().undo();
    expect(app().results.base.labels.data[at(0, 0, 0)]).toBe(modelMask()[at(0, 0, 0)]);
    expect(app().results["adapter:site"].labels.data).toEqual(modelMask()); // the shown mask is not touched
    expect(app().result?.adapter).toBe("site");
    expect(base.labels.data).toBe(app().results.base.labels.data);
  });

  it("a new scan drops the history and the tool: nothing can be painted or undone on it", async () => {
    app().setEditTool("brush");
    app().paintAt([3, 3, 1], 2);
    app().endStroke();
    app().undo();
    app().paintAt([3, 3, 2], 2);
    app().endStroke();
    expect([app().undoStack.length, app().redoStack.length]).toEqual([1, 0]);
    const opening = app().openScan("other.nii", scanBytes());
    app().answerDiscard(true); // the correction was not saved: asked first (below), discarded here
    await opening;
    expect([app().undoStack.length, app().redoStack.length, app().editTool, app().result]).toEqual([0, 0, null, null]);
    await app().runSegmentation();
    app().undo();
    app().paintAt([3, 3, 2], 2); // the tool went with the old scan
    app().endStroke();
    expect(shown()).toEqual(modelMask());
    expect(app().undoStack).toHaveLength(0);
  });

  // The open stroke belongs to the mask it paints: a new result of the same mask (S pressed
  // mid-drag) ends it there, and the next click paints the new one.
  it("a stroke left open when a new result of the same mask arrives is not recorded on it", async () => {
    const modelB = () => modelMask().map((v) => (v + 1) % 4); // the re-run gives another mask
    app().setEditTool("brush");
    app().setEditClass(3);
    app().setBrushMm(1);
    const p = at(3, 0, 1); // modelB has 0 there
    app().paintAt([0, 0, 1], 2); // the drag starts on the first result
    useApp.setState({ client: scriptedClient(modelB).client });
    await app().runSegmentation(); // S pressed mid-drag; the viewer drops the drag without endStroke
    app().paintAt([3, 0, 1], 2); // the next click, in the same slice
    app().endStroke();
    expect(shown()[p]).toBe(3); // what the user painted is on the mask shown
    app().undo();
    expect(shown()).toEqual(modelB()); // and undo gives back the new result exactly
  });

  // Undo (Ctrl+Z) during a drag first records the open stroke, then takes it back.
  it("undo during a drag leaves no voxel that undo cannot restore", () => {
    app().setEditTool("brush");
    app().setEditClass(3);
    app().setBrushMm(1);
    app().paintAt([0, 0, 1], 2);
    app().endStroke();
    app().paintAt([5, 4, 2], 2); // the next stroke, mouse still down
    app().undo();
    app().endStroke(); // released
    while (app().undoStack.length) app().undo();
    expect(shown()).toEqual(modelMask());
  });
});

// Issue 24 part 8f: a new scan dropped corrections never saved, without a word. Now every way to
// a new scan asks first (the app's own dialog answers): save them, discard them, or cancel.
describe("corrections not saved, and a new scan", () => {
  const correct = () => {
    app().setEditTool("brush");
    app().setEditClass(3);
    app().paintAt([3, 3, 1], 2);
    app().endStroke();
  };
  const settle = () => new Promise((r) => setTimeout(r, 0));

  it("asks before opening another scan; Cancel keeps the scan and its corrections, Discard opens the new one", async () => {
    correct();
    const scan = app().scan;
    const corrected = app().result;
    expect(app().unsavedCorrections()).toEqual(["base"]);
    const cancelled = app().openScan("other.nii", scanBytes());
    await settle();
    expect(app().discardAsk).toEqual({ action: "open other.nii", keys: ["base"] });
    expect(app().scan).toBe(scan);
    app().answerDiscard(false);
    await cancelled;
    expect(app().discardAsk).toBeNull();
    expect([app().scan, app().result, app().undoStack.length]).toEqual([scan, corrected, 1]);

    const discarded = app().openScan("other.nii", scanBytes());
    await settle();
    expect(app().discardAsk?.action).toBe("open other.nii");
    app().answerDiscard(true);
    await discarded;
    expect(app().scan?.name).toBe("other.nii");
    expect(app().result).toBeNull();
  });

  it("a saved mask is not asked about, until it is corrected again; a mask with no correction never is", async () => {
    expect(app().unsavedCorrections()).toEqual([]);
    correct();
    app().markSaved(app().result!); // what Save mask does
    expect(app().unsavedCorrections()).toEqual([]);
    app().paintAt([5, 5, 1], 2);
    expect(app().unsavedCorrections()).toEqual(["base"]); // a stroke still being painted counts
    app().undo();
    app().undo(); // back to the model's mask: nothing corrected, nothing to lose
    expect(app().unsavedCorrections()).toEqual([]);
    await app().openScan("other.nii", scanBytes());
    expect(app().discardAsk).toBeNull();
    expect(app().scan?.name).toBe("other.nii");
  });

  it("a dropped file and a sample ask too; a second open while asking replaces the question", async () => {
    correct();
    const dropped = app().openScanFiles([{ name: "folder/dropped.nii", bytes: scanBytes() }]);
    await settle();
    expect(app().discardAsk?.action).toBe("open dropped.nii");
    useApp.setState({ samples: [{ id: "s", name: "Sample S", synthetic: false, image: "s/scan.nii", label: "s/label.nii", adapter: "s" } as never] });
    const sample = app().openSample("s");
    await settle();
    await dropped; // replaced: that open does not happen
    expect(app().discardAsk?.action).toBe("open the sample Sample S");
    app().answerDiscard(false);
    await sample;
    expect(app().scan?.name).toBe("head.nii");
    expect(app().unsavedCorrections()).toEqual(["base"]);
  });
});

describe("the fill tool", () => {
  /** Slice z = 1 split in halves, class 1 left (x < 4) and 2 right; every other slice all 1. */
  const halves = () => Uint8Array.from({ length: N }, (_, i) => (Math.floor(i / 64) === 1 && i % 8 >= 4 ? 2 : 1));
  beforeEach(async () => {
    useApp.setState({ client: scriptedClient(halves).client });
    await app().runSegmentation();
    app().setEditTool("fill");
    app().setEditClass(3);
  });
  const count = (value: number, z?: number) => Array.from(shown()).filter((v, i) => v === value && (z === undefined || Math.floor(i / 64) === z)).length;

  it("a click gives the clicked region of the slice the chosen class: one undo step, the slice corrected, undo restores", () => {
    const version = app().maskVersion;
    app().paintAt([1, 1, 1], 2);
    expect([count(3), count(3, 1)]).toEqual([32, 32]); // the left half of slice 1, not the 1s of the slices beside it
    expect(count(2, 1)).toBe(32);
    expect(app().undoStack).toHaveLength(1); // a step at once, not at the release
    expect(app().maskVersion).toBeGreaterThan(version);
    expect(corrected()).toEqual(["2:1"]);
    app().paintAt([6, 6, 1], 2); // the same press dragged onto the right half: nothing more
    expect(count(3)).toBe(32);
    app().endStroke();
    expect(app().undoStack).toHaveLength(1);
    app().undo();
    expect(shown()).toEqual(halves());
    expect(corrected()).toEqual([]);
    app().redo();
    expect(count(3, 1)).toBe(32);
    expect(corrected()).toEqual(["2:1"]);
  });

  it("follows the view's axis: across x it fills the y × z plane", () => {
    app().paintAt([1, 0, 0], 0);
    // the plane x = 1 is all 1 (x < 4): 8 × 4 voxels
    expect(count(3)).toBe(32);
    expect(Array.from(shown()).every((v, i) => (v === 3) === (i % 8 === 1))).toBe(true);
    expect(corrected()).toEqual(["0:1"]);
  });

  it("filling a region with the class it has changes nothing and leaves no step; the next press fills again", () => {
    app().setEditClass(2);
    app().paintAt([6, 6, 1], 2);
    app().endStroke();
    expect(app().undoStack).toHaveLength(0);
    expect(corrected()).toEqual([]);
    app().paintAt([1, 1, 0], 2);
    app().endStroke();
    expect(count(2, 0)).toBe(64);
    expect(app().undoStack).toHaveLength(1);
  });

  it("undo during a press takes the fill back, and the mask stays the model's", () => {
    app().paintAt([1, 1, 1], 2);
    app().undo();
    app().endStroke();
    expect(shown()).toEqual(halves());
    expect(app().undoStack).toHaveLength(0);
  });
});

describe("interpolation between corrected slices", () => {
  /** Background everywhere: the shapes are the ones the brush draws. */
  beforeEach(async () => {
    useApp.setState({ client: scriptedClient(() => new Uint8Array(N)).client });
    await app().runSegmentation();
    app().setEditTool("brush");
    app().setEditClass(3);
  });
  const area = (z: number) => Array.from(shown()).filter((v, i) => v === 3 && Math.floor(i / 64) === z).length;
  /** Paints the class 3 disk of `mm` across around (3, 3) in slice z, one stroke. */
  const disk = (z: number, mm: number) => {
    app().setBrushMm(mm);
    app().paintAt([3, 3, z], 2);
    app().endStroke();
  };

  it("between a small and a large corrected disk: growing disks in the slices between, one undo step, the slices marked corrected", () => {
    disk(0, 3);
    disk(3, 7);
    expect(app().interpolationBlocked()).toBeNull();
    const before = snapshot();
    const version = app().maskVersion;
    expect(app().interpolateClass()).toBeNull();
    expect([area(0), area(3)]).toEqual([9, 37]); // the corrected slices stay as painted
    expect(area(1)).toBeGreaterThan(9);
    expect(area(2)).toBeGreaterThan(area(1));
    expect(area(2)).toBeLessThan(37);
    expect(app().maskVersion).toBeGreaterThan(version);
    expect(app().undoStack).toHaveLength(3);
    expect(corrected()).toEqual(["2:0", "2:1", "2:2", "2:3"]);
    expect(app().editNote).toBe("WM interpolated in 2 slices (1–2)");
    app().undo();
    expect(shown()).toEqual(before);
    expect(corrected()).toEqual(["2:0", "2:3"]);
    expect(app().editNote).toBeNull();
    app().redo();
    expect(area(2)).toBeGreaterThan(area(1));
    expect(corrected()).toEqual(["2:0", "2:1", "2:2", "2:3"]);
    // done: nothing left between them
    expect(app().interpolateClass()).toBe("No uncorrected slice lies between two corrected slices that hold WM.");
    expect(app().undoStack).toHaveLength(3);
  });

  it("refuses, saying why, with fewer than two corrected slices of the class in the view", () => {
    expect(app().interpolationBlocked()).toBe("Interpolation needs two corrected slices in this view that hold WM; none does.");
    disk(1, 3);
    const reason = "Interpolation needs two corrected slices in this view that hold WM; only slice 1 does.";
    expect(app().interpolateClass()).toBe(reason);
    expect(app().editNote).toBe(reason);
    app().setEditClass(1);
    disk(3, 3); // a CSF slice: corrected, but not WM
    expect(app().interpolateClass(3)).toBe(reason);
    expect(app().undoStack).toHaveLength(2);
    // corrected across the axial axis; in the sagittal view (across x) they are not slices at all
    app().setEditClass(3);
    disk(3, 3);
    expect(app().interpolationBlocked()).toBeNull();
    app().setViewMode("sagittal");
    expect(app().perSliceAxis()).toBe(0);
    expect(app().interpolationBlocked()).toBe("Interpolation needs two corrected slices in this view that hold WM; none does.");
  });

  it("refuses while a run is in flight", () => {
    disk(0, 3);
    disk(3, 3);
    expect(app().claimWorker("segmenting").ok).toBe(true);
    const before = snapshot();
    expect(app().interpolateClass()).toBe("Wait for the run to finish.");
    expect(shown()).toEqual(before);
  });
});
