import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { readVolume } from "../../../core/io";
import type { VoxelArray } from "../../../core/volume/types";
import { displayRange, displayRangeSteps } from "./displayRange";
import { volumeImage } from "./boundary";

/** niivue's own starting window for the same voxels (an image built as before: niivue's calMinMax). */
function niivueRange(data: VoxelArray, dims: [number, number, number]) {
  const img = volumeImage({ dims, affine: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], data }, { name: "x" });
  return { cal: [img.cal_min ?? NaN, img.cal_max ?? NaN], global: [img.global_min ?? NaN, img.global_max ?? NaN], ignoreZero: img.ignoreZeroVoxels };
}

/** A head-like volume: a bright textured ellipsoid (`size`: its share of the field) in `outside`. */
function phantom(dims: [number, number, number], outside: number, type: "f32" | "i16" = "f32", size = 1): VoxelArray {
  const [nx, ny, nz] = dims;
  const data = type === "f32" ? new Float32Array(nx * ny * nz) : new Int16Array(nx * ny * nz);
  for (let z = 0, i = 0; z < nz; z++)
    for (let y = 0; y < ny; y++)
      for (let x = 0; x < nx; x++, i++) {
        const r = (((x - nx / 2) / (nx / 2.2)) ** 2 + ((y - ny / 2) / (ny / 2.5)) ** 2 + ((z - nz / 2) / (nz / 2.1)) ** 2) / size ** 2;
        data[i] = r < 1 ? 200 + 300 * Math.abs(Math.sin(i * 0.37)) + (x % 7) * 11 : outside;
      }
  return data;
}

describe("the scan's starting window", () => {
  const dims: [number, number, number] = [41, 37, 29];
  it("is niivue's own on a float scan, an int16 scan and a mostly-zero scan", () => {
    for (const data of [phantom(dims, 12.5), phantom(dims, 3, "i16"), phantom([80, 80, 60], 0, "f32", 0.4)]) {
      const d = data.length === 80 * 80 * 60 ? ([80, 80, 60] as [number, number, number]) : dims;
      const ours = displayRange(data, d);
      const theirs = niivueRange(data, d);
      expect(ours.cal[0]).toBeCloseTo(theirs.cal[0], 4);
      expect(ours.cal[1]).toBeCloseTo(theirs.cal[1], 4);
      expect(ours.global).toEqual(theirs.global);
      expect(ours.ignoreZero).toBe(theirs.ignoreZero);
    }
  });

  it("is niivue's own on the shipped samples (a FreeSurfer T1, a T2)", () => {
    for (const file of ["public/samples/niivue-t1/norm.mgz", "public/samples/fpg-t2/t2.nii.gz"]) {
      const vol = readVolume(new Uint8Array(readFileSync(file)), file);
      const ours = displayRange(vol.data, vol.dims);
      const theirs = niivueRange(vol.data, vol.dims);
      expect(ours.cal[0]).toBeCloseTo(theirs.cal[0], 3);
      expect(ours.cal[1]).toBeCloseTo(theirs.cal[1], 3);
      expect(ours.global).toEqual(theirs.global);
    }
  });

  it("starts from the darkest voxel shown when zeros dominate, and ignores NaN and infinite voxels", () => {
    const data = phantom([80, 80, 60], 0, "f32", 0.4) as Float32Array;
    const r = displayRange(data, [80, 80, 60]);
    expect(r.ignoreZero).toBe(true);
    expect(r.cal[0]).toBe(0);
    data[data.length / 2 + 40] = NaN;
    data[data.length / 2 + 41] = Infinity;
    data[data.length / 2 + 42] = -Infinity;
    const bad = displayRange(data, [80, 80, 60]);
    expect(bad.cal[1]).toBeCloseTo(r.cal[1], 0);
    expect(Number.isFinite(bad.global[0]) && Number.isFinite(bad.global[1])).toBe(true);
  });

  it("falls back to the whole volume when the central box is flat, and to its extremes when all of it is", () => {
    const dims2: [number, number, number] = [20, 20, 20];
    const flatCentre = new Float32Array(8000).fill(5);
    flatCentre[0] = 1; // the only variation is in a corner, outside the central box
    expect(displayRange(flatCentre, dims2)).toEqual(niivueRange(flatCentre, dims2));
    const constant = new Float32Array(8000).fill(7);
    expect(displayRange(constant, dims2).cal).toEqual([7, 7]);
  });

  it("builds niivue's image with that window, and leaves niivue's own rule for later changes", () => {
    const data = phantom(dims, 12.5);
    const range = displayRange(data, dims);
    const img = volumeImage({ dims, affine: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], data }, { name: "x" }, { voxels: data.slice(), range });
    expect([img.cal_min, img.cal_max, img.global_min, img.global_max]).toEqual([...range.cal, ...range.global]);
    expect(Object.hasOwn(img, "calMinMax")).toBe(false);
    img.cal_min = img.cal_max = 0;
    img.calMinMax(); // niivue's own, as after a colormap change
    expect(img.cal_min).toBeCloseTo(range.cal[0], 4);
    expect(img.cal_max).toBeCloseTo(range.cal[1], 4);
  });

  it("yields between steps of the asked size and ends with the same range", () => {
    const data = phantom(dims, 12.5);
    const steps = displayRangeSteps(data, dims, 2000);
    let yields = 0;
    let r = steps.next();
    for (; !r.done; r = steps.next()) yields++;
    // the central box (21×19×15 = 5,985 voxels) read twice, in steps of about 2,000
    expect(yields).toBeGreaterThanOrEqual(6);
    expect(r.value).toEqual(displayRange(data, dims));
  });
});
