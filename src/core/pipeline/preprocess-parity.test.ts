import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readVolume } from "../io";
import { parseManifest, type Manifest } from "../manifest";
import { percentileAbove } from "../preprocess/normalise";
import { resampleLinear } from "../volume/grid";
import type { Volume } from "../volume/types";
import { finiteScan, modelInput } from "./segment";

// The model input the app builds from the real sample scans against what training/sites.py builds
// (parity/preprocess.json, written by training/preprocess_fixture.py): adapters are trained and
// sites monitored on the Python side, so it must be what the app feeds the model.
const ROOT = join(import.meta.dirname, "../../..");
const manifest = parseManifest(JSON.parse(readFileSync(join(ROOT, "public/models/siteseg-tissue/manifest.json"), "utf8")), "manifest.json");

interface Stratum { available: number; index: number[]; value: number[] }
interface ScanFixture {
  id: string; image: string; scanDims: number[]; dims: number[]; affine: number[];
  floor: number; foreground: number; percentiles: [number, number]; mean: number;
  strata: Record<string, Stratum>;
}
const fixture = JSON.parse(readFileSync(join(ROOT, "training/parity/preprocess.json"), "utf8")) as { preprocess: unknown; tolerance: number; scans: ScanFixture[] };
const tol = fixture.tolerance;

const scans = new Map<string, Volume>();
/** The scan read as the app and the CLI read it (readVolume, as readScan does). */
function scanOf(f: ScanFixture): Volume {
  if (!scans.has(f.id)) scans.set(f.id, readVolume(new Uint8Array(readFileSync(join(ROOT, "public/samples", f.image))), f.image));
  return scans.get(f.id)!;
}
const inputs = new Map<string, ReturnType<typeof modelInput>>();
function inputOf(f: ScanFixture): ReturnType<typeof modelInput> {
  if (!inputs.has(f.id)) inputs.set(f.id, modelInput(scanOf(f), manifest));
  return inputs.get(f.id)!;
}

/** The fixture's voxels where `image` is more than `tol` from Python's, worst first (at most `n`). */
function mismatches(f: ScanFixture, image: Float32Array, n = 8): string[] {
  const bad: [number, string][] = [];
  for (const [name, s] of Object.entries(f.strata)) {
    s.index.forEach((i, k) => {
      const d = Math.abs(image[i] - s.value[k]);
      if (!(d <= tol)) bad.push([d, `${name} voxel ${i}: app ${image[i]}, Python ${s.value[k]}`]);
    });
  }
  return bad.sort((a, b) => b[0] - a[0]).slice(0, n).map(([, m]) => m);
}

describe("the app's model input vs training/sites.py on the real sample scans", () => {
  it("the fixture was made with the shipped manifest's preprocessing", () => {
    expect(fixture.preprocess).toEqual(manifest.preprocess);
    expect(fixture.scans.map((s) => s.id)).toEqual(["niivue-t1", "fpg-t2"]);
  });

  describe.each(fixture.scans.map((f) => [f.id, f] as const))("%s", (_, f) => {
    it("is read with the same dims", () => {
      expect(scanOf(f).dims).toEqual(f.scanDims);
    });

    it("goes onto the same model grid", () => {
      const { grid } = inputOf(f);
      expect(grid.dims).toEqual(f.dims);
      grid.affine.forEach((v, i) => expect(Math.abs(v - f.affine[i]), `affine[${i}]`).toBeLessThan(1e-4));
    });

    it("has the same background floor, foreground and percentiles", () => {
      const { grid, foreground } = inputOf(f);
      const finite = finiteScan(scanOf(f));
      expect(finite.floor).toBe(f.floor);
      expect(foreground.reduce((s, v) => s + v, 0)).toBe(f.foreground);
      const step = manifest.preprocess[0];
      if (step.kind !== "percentileScale") throw new Error("expected a percentileScale step");
      const ps = percentileAbove(resampleLinear(finite.scan, grid, finite.floor), finite.floor, [step.lower, step.upper]);
      ps.forEach((p, i) => expect(Math.abs(p - f.percentiles[i])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(f.percentiles[i]))));
    });

    it(`matches at every fixture voxel within ${tol}, border voxels included`, () => {
      const { image } = inputOf(f);
      expect(mismatches(f, image)).toEqual([]);
      let sum = 0;
      for (const v of image) sum += v;
      expect(Math.abs(sum / image.length - f.mean)).toBeLessThan(1e-6);
    });
  });

  it("covers the oblique T2's border voxels that are read as the border (scipy's resampling filled them)", () => {
    const t2 = fixture.scans.find((s) => s.id === "fpg-t2")!;
    const border = t2.strata.scan_border_tol.value; // the background (0) there before the fix
    expect(border.filter((v) => v > 100 * tol).length).toBeGreaterThanOrEqual(40);
    expect(Math.max(...border)).toBeGreaterThan(0.5);
    expect(Object.values(t2.strata).reduce((n, s) => n + s.index.length, 0)).toBeGreaterThanOrEqual(3000);
  });

  it("would catch a different percentile (99.4 instead of 99.5)", () => {
    const t2 = fixture.scans.find((s) => s.id === "fpg-t2")!;
    const perturbed: Manifest = { ...manifest, preprocess: [{ kind: "percentileScale", lower: 0.5, upper: 99.4 }] };
    expect(mismatches(t2, modelInput(scanOf(t2), perturbed).image).length).toBeGreaterThan(0);
  });
});
