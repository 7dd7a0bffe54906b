import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { writeNifti } from "../core/io";
import { parseManifest } from "../core/manifest";
import type { SegmentationResult } from "./jobSlice";
import { resetApp, useApp } from "./store";
import type { ViewMode } from "./viewSlice";

// What the viewer shows and how: view mode, mask opacity and classes, the slice axis each view
// cuts along (which per-slice Dice and jumps use), and what a new scan keeps.

const tissue = parseManifest(JSON.parse(readFileSync(resolve(import.meta.dirname, "../../public/models/siteseg-tissue/manifest.json"), "utf8")));
const DIMS: [number, number, number] = [8, 6, 4]; // unequal, so each axis is told apart by its length
const RAS = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
/** FreeSurfer's conformed orientation: i runs to the left, j down, k forward. */
const LIA = [-1, 0, 0, 0, 0, 0, 1, 0, 0, -1, 0, 0, 0, 0, 0, 1];
const N = DIMS[0] * DIMS[1] * DIMS[2];
const labels = Uint8Array.from({ length: N }, (_, i) => i % 4);
const scan = (affine: number[]) => writeNifti({ dims: DIMS, affine, data: Float32Array.from(labels, (v) => v * 10) }, { gzip: false });
const app = () => useApp.getState();
const MODES: ViewMode[] = ["axial", "coronal", "sagittal", "multiplanar", "render"];
const axes = () =>
  MODES.map((m) => {
    app().setViewMode(m);
    return app().perSliceAxis();
  });

beforeEach(() => {
  resetApp();
});

describe("display settings", () => {
  it("start as the viewer first shows them", () => {
    const s = app();
    expect({ screen: s.screen, viewMode: s.viewMode, opacity: s.opacity, maskVisible: s.maskVisible, hiddenClasses: s.hiddenClasses, showDisagreement: s.showDisagreement }).toEqual({
      screen: "viewer",
      viewMode: "multiplanar",
      opacity: 0.5,
      maskVisible: true,
      hiddenClasses: [],
      showDisagreement: true,
    });
    expect([s.location, s.jump, s.sliceStep, s.shortcutsOpen]).toEqual(["", null, null, false]);
  });

  it("opacity stays between 0 and 1; switching the mask off keeps it for when it comes back", () => {
    app().setOpacity(1.3);
    expect(app().opacity).toBe(1);
    app().setOpacity(-0.2);
    expect(app().opacity).toBe(0);
    app().setOpacity(0.35);
    app().setMaskVisible(false);
    expect([app().maskVisible, app().opacity]).toEqual([false, 0.35]);
    app().setMaskVisible(true);
    expect([app().maskVisible, app().opacity]).toEqual([true, 0.35]);
  });

  it("a class is hidden and shown again on its own", () => {
    app().toggleClass(1);
    app().toggleClass(3);
    expect(app().hiddenClasses).toEqual([1, 3]);
    app().toggleClass(1);
    expect(app().hiddenClasses).toEqual([3]);
    app().toggleClass(3);
    expect(app().hiddenClasses).toEqual([]);
  });

  it("the screen, the disagreement overlay, the cursor readout and the help panel are set as asked", () => {
    app().setScreen("study");
    app().setShowDisagreement(false);
    app().setLocation("Voxel 1, 2, 3 · value 20 · GM");
    app().setShortcutsOpen(true);
    const s = app();
    expect([s.screen, s.showDisagreement, s.location, s.shortcutsOpen]).toEqual(["study", false, "Voxel 1, 2, 3 · value 20 · GM", true]);
  });
});

describe("the slice axis of each view", () => {
  it("follows the scan's orientation: axial cuts along S/I, coronal A/P, sagittal R/L", async () => {
    // order: axial, coronal, sagittal, multiplanar, 3D (the last two report the axial axis)
    expect(axes()).toEqual([2, 2, 2, 2, 2]); // no scan: the third axis
    await app().openScan("ras.nii", scan(RAS));
    expect(axes()).toEqual([2, 1, 0, 2, 2]);
    await app().openScan("lia.nii", scan(LIA));
    expect(axes()).toEqual([1, 2, 0, 1, 1]);
  });

  it("changing the view re-scores per-slice Dice along the new axis", async () => {
    await app().openScan("lia.nii", scan(LIA));
    const result = { labels: { dims: DIMS, affine: LIA, data: labels } } as unknown as SegmentationResult;
    useApp.setState({ manifest: tissue, results: { base: result }, result });
    app().setReference("ref.nii", { dims: DIMS, affine: LIA, data: labels }, "classes");
    const perSlice = () => [app().evaluation?.perSlice.axis, app().evaluation?.perSlice.values.length];
    expect(perSlice()).toEqual([1, 6]); // multiplanar: axial slices, along j on this scan
    app().setViewMode("coronal");
    expect(perSlice()).toEqual([2, 4]);
    app().setViewMode("sagittal");
    expect(perSlice()).toEqual([0, 8]);
    app().setViewMode("axial");
    expect(perSlice()).toEqual([1, 6]);
    expect(app().evaluation?.meanDice).toBe(1);
  });

  it("a jump goes along the shown view's axis, and the same jump twice is two jumps", async () => {
    await app().openScan("lia.nii", scan(LIA));
    app().setViewMode("coronal");
    app().jumpToSlice(3);
    const first = app().jump;
    expect(first).toEqual({ axis: 2, index: 3, nonce: 1 });
    app().jumpToSlice(3);
    expect(app().jump).toEqual({ axis: 2, index: 3, nonce: 2 }); // a new value: the viewer moves again
    app().setViewMode("axial");
    app().jumpToSlice(0);
    expect(app().jump).toEqual({ axis: 1, index: 0, nonce: 3 });
  });

  it("every slice step reaches the viewer, repeats included", () => {
    const seen: number[] = [];
    // the viewer's own subscription (Viewer.tsx): a step is a changed sliceStep
    const unsubscribe = useApp.subscribe((s, prev) => {
      if (s.sliceStep && s.sliceStep !== prev.sliceStep) seen.push(s.sliceStep.delta);
    });
    app().stepSlice(1);
    app().stepSlice(1);
    app().stepSlice(-10);
    unsubscribe();
    expect(seen).toEqual([1, 1, -10]);
  });
});

describe("a new scan", () => {
  it("keeps the display choices; the slice axis follows the new scan", async () => {
    await app().openScan("ras.nii", scan(RAS));
    app().setViewMode("coronal");
    app().setOpacity(0.8);
    app().toggleClass(2);
    expect(app().perSliceAxis()).toBe(1);
    await app().openScan("lia.nii", scan(LIA));
    const s = app();
    expect([s.viewMode, s.opacity, s.hiddenClasses]).toEqual(["coronal", 0.8, [2]]);
    expect(s.perSliceAxis()).toBe(2); // coronal is along k on the LIA scan
    app().jumpToSlice(1);
    expect(app().jump).toMatchObject({ axis: 2, index: 1 });
  });

  // the per-slice Dice chart of a new scan must not mark a slice picked on the last one
  it("drops the slice picked on the last scan", async () => {
    await app().openScan("ras.nii", scan(RAS));
    app().jumpToSlice(3);
    await app().openScan("other.nii", scan(RAS));
    expect(app().jump).toBeNull();
  });
});
