import { resolveConvention } from "../metrics/conventions";
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { readNifti, writeNifti } from "../io";
import { evaluate } from "../metrics/evaluate";
import type { Mat4 } from "../volume/types";
import { classVolumes, diceReport, diceReportCsv, exportStem, maskProvenance, scanStem } from ".";

const CLASSES = [
  { index: 0, name: "background" },
  { index: 1, name: "CSF" },
  { index: 2, name: "GM" },
  { index: 3, name: "WM" },
];
// 2 mm voxels (8 mm³ = 0.008 mL), an oblique-ish grid with an offset
const AFFINE: Mat4 = [0, 0, 2, -10, -2, 0, 0, 20, 0, 2, 0, -5, 0, 0, 0, 1];
const labels = { dims: [2, 2, 2] as [number, number, number], affine: AFFINE, data: Uint8Array.from([0, 1, 1, 2, 3, 3, 3, 0]) };

describe("export file names", () => {
  it("drops the scan's volume extension and names the adapter, made file-safe", () => {
    expect(scanStem("sub-01_T1w.nii.gz")).toBe("sub-01_T1w");
    expect(scanStem("norm.MGZ")).toBe("norm");
    expect(scanStem("scan.v2.nii")).toBe("scan.v2");
    expect(exportStem("pd.nii.gz", "mask", "synth-pd")).toBe("pd_siteseg-mask_synth-pd");
    expect(exportStem("pd.nii.gz", "mask", null)).toBe("pd_siteseg-mask");
    expect(exportStem("t1.mgz", "dice", "my site (file 2)")).toBe("t1_siteseg-dice_my-site-file-2");
    expect(exportStem("t1.mgz", "view", "a/b")).toBe("t1_siteseg-view_a-b");
  });
});

describe("mask provenance", () => {
  it("counts voxels and mL per class", () => {
    expect(classVolumes(labels, CLASSES)).toEqual([
      { index: 0, name: "background", voxels: 2, ml: 2 * 0.008 },
      { index: 1, name: "CSF", voxels: 2, ml: 2 * 0.008 },
      { index: 2, name: "GM", voxels: 1, ml: 0.008 },
      { index: 3, name: "WM", voxels: 3, ml: 3 * 0.008 },
    ]);
  });

  it("records model, adapter, input, timings and the sha256 of the voxels as saved", async () => {
    const p = await maskProvenance({
      file: "pd_siteseg-mask_synth-pd.nii.gz",
      labels,
      classes: CLASSES,
      input: { name: "pd.nii.gz", sha256: "ab".repeat(32) },
      model: { id: "siteseg-tissue", name: "Tissue", version: "1.2.0", sha256: "cd".repeat(32) },
      adapter: { name: "synth-pd", sha256: "ef".repeat(32) },
      backend: "wasm (4 threads)",
      inferenceOptions: ["flip", "cleanup"],
      timings: { preprocess: 12.345, inference: 1000.04, postprocess: 3.96, total: 1016.5 },
      cleanup: { option: "cleanup", removed: { voxels: 12, ml: 0.09876, fragments: 3 }, filled: { voxels: 0, ml: 0, holes: 0 } },
      corrected: [{ axis: 2, index: 7 }, { axis: 2, index: 3 }],
      appVersion: "0.1.0",
      date: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)),
    });
    const expectedSha = createHash("sha256").update(Uint8Array.from([0, 1, 1, 2, 3, 3, 3, 0])).digest("hex");
    expect(p).toEqual({
      kind: "siteseg-mask",
      schema_version: 1,
      file: "pd_siteseg-mask_synth-pd.nii.gz",
      mask_sha256: expectedSha,
      date: "2026-01-02T03:04:05.000Z",
      app: { name: "siteseg", version: "0.1.0" },
      input: { name: "pd.nii.gz", sha256: "ab".repeat(32) },
      model: { id: "siteseg-tissue", name: "Tissue", version: "1.2.0", sha256: "cd".repeat(32) },
      adapter: { name: "synth-pd", sha256: "ef".repeat(32) },
      backend: "wasm (4 threads)",
      inference_options: ["flip", "cleanup"],
      timings_ms: { preprocess: 12.3, inference: 1000, postprocess: 4, total: 1016.5 },
      cleanup: { option: "cleanup", removed: { voxels: 12, ml: 0.099, fragments: 3 }, filled: { voxels: 0, ml: 0, holes: 0 } },
      grid: { dims: [2, 2, 2], affine: AFFINE },
      classes: [
        { index: 0, name: "background", voxels: 2, ml: 0.016 },
        { index: 1, name: "CSF", voxels: 2, ml: 0.016 },
        { index: 2, name: "GM", voxels: 1, ml: 0.008 },
        { index: 3, name: "WM", voxels: 3, ml: 0.024 },
      ],
      corrected_slices: [{ axis: 2, index: 3 }, { axis: 2, index: 7 }],
    });
    // the record checks the file: the voxels read back from the saved NIfTI hash to mask_sha256
    const back = readNifti(writeNifti(labels));
    expect(createHash("sha256").update(back.data as Uint8Array).digest("hex")).toBe(p.mask_sha256);
  });

  it('says "none" for the base model and lists no corrected slice and no cleanup', async () => {
    const p = await maskProvenance({
      file: "x.nii.gz", labels, classes: CLASSES, input: { name: "x.nii", sha256: "0" }, model: { id: "m", name: "M", version: "1", sha256: "1" },
      adapter: null, backend: "cpu", timings: { preprocess: 0, inference: 0, postprocess: 0, total: 0 }, appVersion: "0", date: new Date(0),
    });
    expect(p.adapter).toBe("none");
    expect(p.corrected_slices).toEqual([]);
    expect(p.cleanup).toBeNull(); // no cleanup ran
  });
});

describe("Dice report", () => {
  // 1 mm voxels (0.001 mL); slice k=0 is voxels 0-3, k=1 is voxels 4-7
  const pred = { dims: [2, 2, 2] as [number, number, number], affine: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], data: Uint8Array.from([1, 1, 2, 2, 0, 0, 3, 3]) };
  const ref = { ...pred, data: Uint8Array.from([1, 2, 2, 2, 0, 0, 3, 0]) };
  const report = diceReport({
    model: { id: "siteseg-tissue", version: "1.2.0" },
    adapter: "site, A",
    image: "scan.nii.gz",
    label: "scan_seg.nii.gz",
    evaluation: evaluate(pred, ref, resolveConvention({ classes: CLASSES, labelConventions: ["tissue"] }, "tissue"), CLASSES.map((c) => c.name), 2, undefined, { hd95: true }),
    classNames: CLASSES.map((c) => c.name),
    voxelMl: 0.001,
  });

  it("holds Dice per class and their mean, volumes, volume error, HD95 and Dice per slice, as siteseg evaluate --json does", () => {
    // CSF: |P|=2 |R|=1 ∩=1 -> 2/3; GM: |P|=2 |R|=3 ∩=2 -> 4/5; WM: |P|=2 |R|=1 ∩=1 -> 2/3
    // slice 0: CSF 2/3, GM 4/5 (no WM) -> 0.7333; slice 1: WM 2/3
    // volume error: CSF +1 voxel of 1 (+100%), GM -1 of 3 (-33.33%), WM +1 of 1 (+100%)
    // HD95 (every voxel of a 2×2×2 volume is on its edge, so all are surface): CSF pred {(0,0,0),
    // (1,0,0)} vs ref {(0,0,0)}: pred→ref distances [0, 1], P95 = 0.95·1; ref→pred [0]: 0.95.
    // GM pred {(0,1,0),(1,1,0)}, ref {(1,0,0),(0,1,0),(1,1,0)}: ref→pred [1, 0, 0], P95 at rank 1.9 = 0.9.
    // WM as CSF: 0.95.
    expect(report).toEqual({
      model: "siteseg-tissue",
      modelVersion: "1.2.0",
      adapter: "site, A",
      image: "scan.nii.gz",
      label: "scan_seg.nii.gz",
      convention: "classes",
      dice: { CSF: 0.6667, GM: 0.8, WM: 0.6667 },
      meanDice: 0.7111,
      volumesMl: { CSF: { predicted: 0.002, reference: 0.001 }, GM: { predicted: 0.002, reference: 0.003 }, WM: { predicted: 0.002, reference: 0.001 } },
      volumeErrorMl: { CSF: 0.001, GM: -0.001, WM: 0.001 },
      volumeErrorPct: { CSF: 100, GM: -33.33, WM: 100 },
      hd95Mm: { CSF: 0.95, GM: 0.9, WM: 0.95 },
      perSlice: [0.7333, 0.6667],
      perSliceAxis: 2,
      resampledReference: false,
      coverage: 1,
      ignoredLabels: { voxels: 0, labels: [] },
      excludedLabels: { voxels: 0, labels: [] },
    });
  });

  it("without HD95 (not computed yet) it says null, and a class the reference lacks has no volume error %", () => {
    const names = CLASSES.map((c) => c.name);
    const noWm = { ...ref, data: Uint8Array.from([1, 2, 2, 2, 0, 0, 0, 0]) };
    const r = diceReport({ model: { id: "m", version: "1" }, adapter: null, image: "a", label: "b", evaluation: evaluate(pred, noWm, resolveConvention({ classes: CLASSES, labelConventions: ["tissue"] }, "tissue"), names), classNames: names, voxelMl: 0.001 });
    expect(r.hd95Mm).toEqual({ CSF: null, GM: null, WM: null });
    expect(r.volumeErrorMl.WM).toBe(0.002);
    expect(r.volumeErrorPct.WM).toBeNull();
    expect(diceReportCsv(r).split("\n")[3]).toBe("a,b,classes,m,1,,WM,0.0000,0.002,0.000,0.002,,");
  });

  it("as CSV: one row per class and the mean, each naming scan, reference, convention, model and adapter", () => {
    expect(diceReportCsv(report)).toBe(
      [
        "image,label,convention,model,model_version,adapter,class,dice,predicted_ml,reference_ml,volume_error_ml,volume_error_pct,hd95_mm",
        'scan.nii.gz,scan_seg.nii.gz,classes,siteseg-tissue,1.2.0,"site, A",CSF,0.6667,0.002,0.001,0.001,100.00,0.950',
        'scan.nii.gz,scan_seg.nii.gz,classes,siteseg-tissue,1.2.0,"site, A",GM,0.8000,0.002,0.003,-0.001,-33.33,0.900',
        'scan.nii.gz,scan_seg.nii.gz,classes,siteseg-tissue,1.2.0,"site, A",WM,0.6667,0.002,0.001,0.001,100.00,0.950',
        'scan.nii.gz,scan_seg.nii.gz,classes,siteseg-tissue,1.2.0,"site, A",mean,0.7111,,,,,',
        "",
      ].join("\n"),
    );
  });
});
