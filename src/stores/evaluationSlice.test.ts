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

});

// Issue 24 part 8c: a model that does not offer the reference's convention kept scoring it in one
// guessed from its values (a FreeSurfer aseg's 2, 3, 4 read as BraTS labels): wrong numbers, no word.
describe("a model that does not offer the reference's convention", () => {
  const aseg = () => nifti(Uint8Array.from(labels, (v) => [0, 4, 3, 2][v]));
  const switchTo = (manifest: typeof tissue) => {
    useApp.setState({ manifest });
    useApp.getState().recomputeEvaluation();
  };

  it("keeps the reference unscored, with a note naming the convention; the model that offers it scores it again", async () => {
    await useApp.getState().openReference("aseg.nii", aseg());
    expect(useApp.getState().convention).toBe("freesurfer");
    expect(useApp.getState().evaluation?.meanDice).toBe(1);
    switchTo(tumour);
    let s = useApp.getState();
    expect(s.reference?.name).toBe("aseg.nii");
    expect(s.convention).toBe("freesurfer");
    expect(s.evaluation).toBeNull();
    expect(s.evaluations).toEqual({});
    expect(s.evaluationError).toBeNull();
    expect(s.conventionUnfit).toBe(
      "This reference is numbered in a convention Brain tumour · 2.5D U-Net does not offer (FreeSurfer aseg / aparc numbering): it is not scored. " +
        "If it is in one of this model's conventions, choose it above; otherwise open a label made for this model's classes (background, oedema, tumour core).",
    );
    switchTo(tissue);
    s = useApp.getState();
    expect(s.conventionUnfit).toBeNull();
    expect(s.evaluation?.meanDice).toBe(1);
  });

  it("a reference in the model's own class numbers is not another model's: its classes are other ones", async () => {
    await useApp.getState().openReference("ref.nii", nifti(labels));
    expect(useApp.getState().convention).toBe("classes");
    switchTo(tumour);
    expect(useApp.getState().evaluation).toBeNull();
    expect(useApp.getState().conventionUnfit).toMatch(/does not offer \(Model classes \(0 background, 1 CSF, 2 GM, 3 WM\)\): it is not scored/);
    // the user says which of this model's conventions it is in: scored in that one
    useApp.getState().setConvention("brats");
    expect(useApp.getState().conventionUnfit).toBeNull();
    expect(useApp.getState().evaluation?.meanDice).toBeTypeOf("number");
  });

  it("a sample's reference in a convention the model in use lacks is kept, unscored, not refused", async () => {
    useApp.setState({ manifest: tumour });
    const { volume } = await useApp.getState().volumeReader(aseg(), "aseg.nii", 0);
    useApp.getState().setReference("aseg.nii", volume, "freesurfer");
    const s = useApp.getState();
    expect(s.evaluationError).toBeNull();
    expect(s.reference?.name).toBe("aseg.nii");
    expect(s.evaluation).toBeNull();
    expect(s.conventionUnfit).toMatch(/\(FreeSurfer aseg \/ aparc numbering\): it is not scored/);
    switchTo(tissue);
    expect(useApp.getState().evaluation?.meanDice).toBe(1);
  });

  it("a reference opened before any model is guessed among the first model's conventions", async () => {
    useApp.setState({ manifest: null });
    await useApp.getState().openReference("aseg.nii", aseg());
    expect(useApp.getState().convention).toBe("classes");
    switchTo(tissue);
    expect(useApp.getState().convention).toBe("freesurfer");
    expect(useApp.getState().conventionGuessed).toBe(true);
    expect(useApp.getState().evaluation?.meanDice).toBe(1);
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
