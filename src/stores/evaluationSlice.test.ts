import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { writeNifti } from "../core/io";
import { parseManifest } from "../core/manifest";
import { hd95 } from "../core/metrics/hausdorff";
import type { SegmentationResult } from "./jobSlice";
import { HD95_DELAY_MS } from "./evaluationSlice";
import { resetApp, useApp } from "./store";

// The evaluation slice on its own: which reference is in use, its convention, and Dice, through
// refusals and model changes (the store reset between tests).
const tissue = parseManifest(JSON.parse(readFileSync(resolve(import.meta.dirname, "../../public/models/siteseg-tissue/manifest.json"), "utf8")));
const tumour = parseManifest(JSON.parse(readFileSync(resolve(import.meta.dirname, "../../models/siteseg-tumour/manifest.json"), "utf8")));
const eye = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
const dims: [number, number, number] = [4, 4, 2];
const labels = Uint8Array.from({ length: 32 }, (_, i) => i % 4);
const nifti = (data: Float32Array | Uint8Array, affine = eye) => writeNifti({ dims, affine, data }, { gzip: false });
const result = { labels: { dims, affine: eye, data: labels } } as unknown as SegmentationResult;

beforeEach(async () => {
  resetApp();
  await useApp.getState().openScan("scan.nii", nifti(Float32Array.from(labels, (v) => v * 10)));
  useApp.setState({ manifest: tissue, modelStatus: "ready", results: { base: result }, result });
});

describe("reference", () => {
  it("a label map in the model's classes is scored, its convention guessed", async () => {
    await useApp.getState().openReference("ref.nii", nifti(labels));
    const s = useApp.getState();
    expect(s.convention).toBe("classes");
    expect(s.conventionGuessed).toBe(true);
    expect(s.evaluation?.meanDice).toBe(1);
  });

  it("a refused reference leaves the one in use and its Dice", async () => {
    await useApp.getState().openReference("ref.nii", nifti(labels));
    await useApp.getState().openReference("probabilities.nii", nifti(Float32Array.from(labels, (v) => v / 3)));
    const s = useApp.getState();
    expect(s.evaluationError).toMatch(/^probabilities\.nii was not loaded: The reference holds values that are not whole numbers .* The reference ref\.nii stays\.$/);
    expect(s.reference?.name).toBe("ref.nii");
    expect(s.evaluation?.meanDice).toBe(1);
    await useApp.getState().openReference("far.nii", nifti(labels, eye.map((v, i) => (i === 3 ? 900 : v))));
    expect(useApp.getState().evaluationError).toMatch(/far\.nii was not loaded: The reference label covers none of the scan/);
    expect(useApp.getState().reference?.name).toBe("ref.nii");
  });

  it("another model that does not know the reference's convention guesses among its own", async () => {
    await useApp.getState().openReference("aseg.nii", nifti(Uint8Array.from(labels, (v) => [0, 4, 3, 2][v])));
    expect(useApp.getState().convention).toBe("freesurfer");
    useApp.setState({ manifest: tumour });
    useApp.getState().recomputeEvaluation();
    // FreeSurfer's 2, 3, 4 are not BraTS labels by meaning, but the tumour model knows only classes and brats
    expect(["classes", "brats"]).toContain(useApp.getState().convention);
    expect(useApp.getState().conventionGuessed).toBe(true);
  });
});

describe("HD95 in the app: deferred off the brush stroke's task, in slices, dropped by a newer recompute", () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const other = Uint8Array.from(labels, (v, i) => (i < 16 ? v : (v + 1) % 4)); // the second slice differs
  // what HD95 must be: the core metric on the same voxels (1 mm, class order of the manifest)
  const expected = Object.fromEntries(["CSF", "GM", "WM"].map((name, i) => [name, hd95(labels, other, dims, [1, 1, 1], 4)[i + 1]]));

  it("Dice and volumes at once, HD95 after the scores stand still, the same as the core metric", async () => {
    await useApp.getState().openReference("ref.nii", nifti(other));
    const first = useApp.getState().evaluation;
    expect(first?.meanDice).toBeTypeOf("number");
    expect(first?.hd95Mm).toBeUndefined();
    await vi.waitFor(() => expect(useApp.getState().evaluation?.hd95Mm).toEqual(expected), { timeout: 5000, interval: 20 });
    expect(useApp.getState().evaluations.base?.hd95Mm).toEqual(expected);
    expect(useApp.getState().evaluation?.meanDice).toBe(first?.meanDice);
  });

  it("a recompute (a brush stroke's commit) puts it off again; an export gets it at once", async () => {
    await useApp.getState().openReference("ref.nii", nifti(other));
    await sleep(HD95_DELAY_MS / 2);
    const next = { ...result } as SegmentationResult; // what a committed stroke makes: a new result, same voxels
    useApp.setState({ results: { base: next }, result: next });
    useApp.getState().recomputeEvaluation();
    await sleep(HD95_DELAY_MS / 2);
    expect(useApp.getState().evaluation?.hd95Mm).toBeUndefined();
    const now = useApp.getState().evaluationWithHd95();
    expect(now?.hd95Mm).toEqual(expected);
    expect(useApp.getState().evaluation).toBe(now);
  });
});
