import { describe, expect, it } from "vitest";
import { applyAffine } from "./affine";
import { axisAlong, centralSlab, slab } from "./slab";
import type { Volume } from "./types";

// The contrast probe's slab (stores/adapterSlice.ts): a few slices of a scan, each voxel where it was.
describe("slab", () => {
  // LIA-like: voxel i runs to the left, j to inferior, k to anterior (FreeSurfer's conformed space)
  const affine = [-1, 0, 0, 90, 0, 0, 1, -100, 0, -1, 0, 120, 0, 0, 0, 1];
  const dims: [number, number, number] = [4, 5, 6];
  const volume: Volume = { dims, affine, data: Float32Array.from({ length: 120 }, (_, i) => i) };
  const at = (v: Volume, i: number, j: number, k: number) => v.data[i + v.dims[0] * (j + v.dims[1] * k)];

  it("keeps each voxel's value and its place in the world", () => {
    const s = slab(volume, 1, 2, 2);
    expect(s.dims).toEqual([4, 2, 6]);
    for (const [i, j, k] of [[0, 0, 0], [3, 1, 5], [2, 1, 3]]) {
      expect(at(s, i, j, k)).toBe(at(volume, i, j + 2, k));
      expect(applyAffine(s.affine, i, j, k)).toEqual(applyAffine(affine, i, j + 2, k));
    }
  });

  it("is clamped to the volume", () => {
    expect(slab(volume, 2, 4, 10).dims).toEqual([4, 5, 2]);
    expect(slab(volume, 2, -3, 2).dims).toEqual([4, 5, 2]);
  });

  it("finds the scan axis along a world direction, and centres on the bright part", () => {
    expect(axisAlong(volume, "S")).toBe(1);
    expect(axisAlong(volume, "A")).toBe(2);
    expect(axisAlong(volume, "R")).toBe(0);
    // bright voxels only in slices 3..5 along k: a 2 mm slab lands on 3..4 or 4..5
    const head: Volume = { dims, affine, data: Float32Array.from({ length: 120 }, (_, n) => (Math.floor(n / 20) >= 3 ? 100 : 0)) };
    const s = centralSlab(head, 2, 2);
    expect(s.dims).toEqual([4, 5, 2]);
    expect(Array.from(s.data).every((v) => v === 100)).toBe(true);
  });
});
