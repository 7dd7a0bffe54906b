import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { AdapterError, loadAdapter } from "../core/adapters";
import { gzipSync } from "fflate";
import { readVolume, writeNifti } from "../core/io";
import { loadModel } from "../core/manifest";
import { resolveConvention } from "../core/metrics/conventions";
import { diceByClass, meanDice } from "../core/metrics/dice";
import { evaluate } from "../core/metrics/evaluate";
import { segment, type SegmentResult } from "../core/pipeline/segment";
import { VolumeError, type Volume } from "../core/volume/types";
import { createNodeRunner } from "./ort-node";
import type { InferenceRunner } from "../core/pipeline/runner";
import type { SessionRunner } from "./session";

// Issue 12 part 1: a few bad voxels never silently empty a mask. The real model on a shipped sample.
const root = resolve(import.meta.dirname, "../..");
const modelDir = resolve(root, "public/models/siteseg-tissue");
const model = await loadModel(async (p) => new Uint8Array(readFileSync(resolve(modelDir, p))));
const scan = readVolume(new Uint8Array(readFileSync(resolve(root, "public/samples/synth-pd/pd.nii.gz"))), "pd.nii.gz");
const asFloat = (v: Volume, change: (d: Float32Array) => void): Volume => {
  const data = Float32Array.from(v.data);
  change(data);
  return { ...v, data };
};
/** Sets a share of the voxels (an even, seeded scatter) to `value(k)`, the k-th one set. */
const scatter = (d: Float32Array, share: number, value: (k: number) => number) => {
  let seed = 24, k = 0;
  for (let i = 0; i < d.length; i++) if ((seed = (seed * 16807) % 2147483647) / 2147483647 < share) d[i] = value(k++);
};
const reference = readVolume(new Uint8Array(readFileSync(resolve(root, "public/samples/synth-pd/pd_seg.nii.gz"))), "pd_seg.nii.gz");
const freesurfer = resolveConvention(model.manifest, "freesurfer");
/** Mean Dice against the sample's reference: what the user would read. */
const score = (r: SegmentResult) => evaluate(r.labels, reference, freesurfer, model.manifest.classes.map((c) => c.name)).meanDice!;

let runner: SessionRunner;
let clean: SegmentResult;
beforeAll(async () => {
  runner = await createNodeRunner(model.onnx, 2);
  clean = await segment(scan, model.manifest, runner);
}, 120_000);

describe("bad voxels", () => {
  it("a clean scan gives a mask and no warning", () => {
    expect(clean.warnings).toEqual([]);
    expect(score(clean)).toBeGreaterThan(0.6);
    expect(clean.labels.data.some((v) => v > 0)).toBe(true);
  });

  it.each([
    ["one NaN in a thousand voxels", (d: Float32Array) => d.forEach((_, i) => i % 1000 === 7 && (d[i] = NaN)), /voxels were not a number \(NaN or infinite, 0\.10% of the scan\) and were filled in from the neighbouring voxels/],
    ["nine infinite voxels", (d: Float32Array) => [1, 2, 3, 4, 5, 6, 7, 8, 9].forEach((k) => (d[k * 9973] = k % 2 ? Infinity : -Infinity)), /^9 voxels were not a number/],
    ["one voxel of 1e38", (d: Float32Array) => (d[d.length >> 1] = 1e38), /^1 voxel holds an extreme value \(1\.0e38\), over a million times the scan's own intensities: no scanner writes such a value, so the file is likely damaged\. It was filled in from the neighbouring voxels; check the export that made the file\.$/],
    // issue 24: 1% of the voxels is 2.4% of this scan's tissue, so percentile 99.5 was 1e38 and the
    // mask empty; and -3.4e38 (-FLT_MAX, a fill value) became the background floor
    ["1% of voxels at 1e38 and -3.4e38", (d: Float32Array) => scatter(d, 0.01, (k) => (k % 2 ? 1e38 : -3.4028234663852886e38)), /^1\.0% of voxels \(10\d\d\d\) hold extreme values \(from -3\.4e38 to 1\.0e38\), over a million times the scan's own intensities: no scanner writes them, so the file is likely damaged\. They were filled in from the neighbouring voxels; check the export that made the file\.$/],
  ])("%s: Dice stays the clean scan's, and the user is told", { timeout: 120_000 }, async (_, change, warning) => {
    const result = await segment(asFloat(scan, change), model.manifest, runner);
    // the user reads the same Dice as on the clean scan (this model's masks move by a few % of
    // boundary voxels for any small change of intensities, so the masks themselves are not compared)
    expect(Math.abs(score(result) - score(clean))).toBeLessThan(0.01);
    expect(result.warnings).toEqual([expect.stringMatching(warning)]);
  });

  it("a scale slope that overflows float32: the voxels are the clean scan's, and the user is told why", async () => {
    // the sample as a NIfTI whose scl_slope (1e37) takes every stored value above 34 past float32:
    // they were read as Infinity, and most of the brain was then "filled in" as bad voxels
    const nii = writeNifti(scan, { gzip: false });
    new DataView(nii.buffer).setFloat32(112, 1e37, true);
    const read = readVolume(gzipSync(nii), "slope.nii.gz");
    expect(read.data).toBeInstanceOf(Uint8Array);
    expect(read.data.every((v, i) => v === scan.data[i])).toBe(true); // so the mask is the clean scan's
    // the reason reaches the result's warnings (app alert, CLI stderr and --json): a runner that
    // finds nothing is enough to see it, without a second real run
    const nothing: InferenceRunner = { backend: "test", run: async (feeds) => ({ [model.manifest.input.outputName]: { data: new Float32Array(feeds[model.manifest.input.inputName].dims[0] * model.manifest.classes.length * feeds[model.manifest.input.inputName].dims[2] * feeds[model.manifest.input.inputName].dims[3]), dims: [] } }) };
    const result = await segment(read, model.manifest, nothing);
    expect(result.warnings[0]).toMatch(/^The header's scale slope \(scl_slope 1\.00e\+37\) overflows: it takes \d+ stored voxels .* The voxels were read as stored, unscaled: intensities are relative, and the mask does not depend on their scale\./);
  });

  it("an all-NaN, all-zero or constant scan is refused before any work", async () => {
    await expect(segment(asFloat(scan, (d) => d.fill(NaN)), model.manifest, runner)).rejects.toThrow(/Every voxel of the scan is not a number/);
    await expect(segment(asFloat(scan, (d) => d.fill(0)), model.manifest, runner)).rejects.toThrow(/Every voxel of the scan is 0: the image is empty/);
    await expect(segment(asFloat(scan, (d) => d.fill(100)), model.manifest, runner)).rejects.toThrow(VolumeError);
  });

  it.each([
    ["0.05 mm voxels", 0.05, /voxels are 0\.050 × 0\.050 × 0\.050 mm; Brain tissue · 2\.5D U-Net reads voxels of 0\.3–8 mm \(its manifest\)\. A voxel this small/],
    ["20 mm slices", 20, /Slices 20\.0 mm apart are too coarse/],
  ])("%s are refused with the manifest's limits", async (_, size, message) => {
    const affine = [...scan.affine];
    for (const r of [0, 1, 2]) affine[r * 4 + 2] *= size / Math.hypot(scan.affine[2], scan.affine[6], scan.affine[10]);
    if (size < 1) for (const c of [0, 1]) for (const r of [0, 1, 2]) affine[r * 4 + c] *= size / Math.hypot(scan.affine[c], scan.affine[4 + c], scan.affine[8 + c]);
    await expect(segment({ ...scan, affine }, model.manifest, runner)).rejects.toThrow(message);
  });

  it("an adapter with NaN weights is refused", () => {
    const dir = resolve(modelDir, "adapters/synth-pd");
    const config = new Uint8Array(readFileSync(resolve(dir, "adapter_config.json")));
    const weights = new Uint8Array(readFileSync(resolve(dir, "adapter_model.safetensors")));
    expect(() => loadAdapter("synth-pd", config, weights, model.manifest)).not.toThrow();
    // safetensors: 8-byte header length, JSON header, then little-endian float32 data
    const damaged = weights.slice();
    const start = 8 + Number(new DataView(damaged.buffer).getBigUint64(0, true));
    new DataView(damaged.buffer).setFloat32(start + 4, NaN, true);
    expect(() => loadAdapter("synth-pd", config, damaged, model.manifest)).toThrow(AdapterError);
    expect(() => loadAdapter("synth-pd", config, damaged, model.manifest)).toThrow(/has weights that are not numbers \(NaN or infinite\)/);
  });
});

describe("a 4D scan", () => {
  it("is segmented on the chosen volume, and the user is told which", { timeout: 120_000 }, async () => {
    const result = await segment({ ...scan, frames: 3, frame: 1 }, model.manifest, runner);
    expect(result.warnings).toEqual(['The file holds 3 volumes (4D); volume 2 was segmented; choose another under "Volume" (app) or with --volume N (CLI).']);
  });
});

describe("a single 2D slice", () => {
  const t1 = readVolume(new Uint8Array(readFileSync(resolve(root, "public/samples/niivue-t1/norm.mgz"))), "norm.mgz");
  const [nx, ny, nz] = t1.dims; // LIA: the third voxel axis runs anterior, so its slices are coronal
  it("across the model's plane is refused before any work; an axial one is segmented", { timeout: 60_000 }, async () => {
    const k = Math.floor(nz / 2);
    const affine = [...t1.affine];
    for (let r = 0; r < 3; r++) affine[r * 4 + 3] += affine[r * 4 + 2] * k;
    const coronal: Volume = { dims: [nx, ny, 1], affine, data: t1.data.slice(k * nx * ny, (k + 1) * nx * ny) };
    await expect(segment(coronal, model.manifest, runner)).rejects.toThrow("The scan is a single slice that is not axial, and Brain tissue · 2.5D U-Net reads axial slices: open the whole series, or an axial slice.");
    // LIA's second voxel axis runs inferior: one j-slice is axial
    const j = Math.floor(ny / 2);
    const axialData = new Float32Array(nx * nz);
    for (let kk = 0; kk < nz; kk++) for (let i = 0; i < nx; i++) axialData[i + nx * kk] = t1.data[i + nx * (j + ny * kk)];
    const a = [...t1.affine];
    for (let r = 0; r < 3; r++) a[r * 4 + 3] += a[r * 4 + 1] * j;
    const axialAffine = [a[0], a[2], a[1], a[3], a[4], a[6], a[5], a[7], a[8], a[10], a[9], a[11], 0, 0, 0, 1];
    const r = await segment({ dims: [nx, nz, 1], affine: axialAffine, data: axialData }, model.manifest, runner);
    // against the same slice of the whole volume's mask
    const whole = await segment(t1, model.manifest, runner);
    const same = Uint8Array.from({ length: nx * nz }, (_, p) => whole.labels.data[(p % nx) + nx * (j + ny * Math.floor(p / nx))]);
    const agreement = meanDice(diceByClass(r.labels.data, same, 4))!;
    console.info(`one axial slice alone vs the same slice of the whole volume: mean Dice ${agreement.toFixed(3)}`);
    expect(agreement).toBeGreaterThan(0.7);
  });
});
