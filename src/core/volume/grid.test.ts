import { describe, expect, it } from "vitest";
import { voxelVolumeMl } from "./affine";
import { modelGrid, orientationCode, overlapFraction, resampleLinear, resampleNearest, sameGrid } from "./grid";
import type { Mat4, Volume } from "./types";

const ras1mm: Mat4 = [1, 0, 0, -10, 0, 1, 0, -20, 0, 0, 1, -30, 0, 0, 0, 1];
// The same world placement stored L-I-A (FreeSurfer's conformed order): i runs left, j inferior, k anterior.
const lia: Mat4 = [-1, 0, 0, 10, 0, 0, 1, -20, 0, -1, 0, 10, 0, 0, 0, 1];

function ramp(dims: [number, number, number], affine: Mat4): Volume {
  const data = new Float32Array(dims[0] * dims[1] * dims[2]);
  data.forEach((_, d) => (data[d] = d));
  return { dims, affine, data };
}

describe("orientation", () => {
  it("names the axis codes of an affine", () => {
    expect(orientationCode(ras1mm)).toBe("RAS");
    expect(orientationCode(lia)).toBe("LIA");
    expect(orientationCode([-2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1])).toBe("LAS");
  });

  it("builds a RAS grid that shares voxel centres with an LIA scan", () => {
    // LIA scan with dims [21, 31, 41]: R extent from i, S from j, A from k
    const scan = { dims: [21, 31, 41] as [number, number, number], affine: lia };
    const g = modelGrid(scan, "RAS", [1, 1, 1]);
    expect(g.dims).toEqual([21, 41, 31]);
    // origin = most left-posterior-inferior voxel centre: x = 10 - 20, y = 10 - 30 (j runs I so z = 10 - 30)
    expect(g.affine).toEqual([1, 0, 0, -10, 0, 1, 0, -20, 0, 0, 1, -20, 0, 0, 0, 1]);
  });
});

describe("resampling", () => {
  it("reorients exactly: value at RAS (x,y,z) equals the LIA voxel at the same world point", () => {
    const src = ramp([4, 5, 6], lia);
    const g = modelGrid(src, "RAS", [1, 1, 1]);
    const out = resampleLinear(src, g);
    // RAS voxel (x, y, z) <- LIA voxel (i = 3 - x, j = 4 - z, k = y), hand-derived from the two affines
    for (let z = 0; z < 5; z++) for (let y = 0; y < 6; y++) for (let x = 0; x < 4; x++) {
      const i = 3 - x, j = 4 - z, k = y;
      expect(out[(z * 6 + y) * 4 + x]).toBe(src.data[(k * 5 + j) * 4 + i]);
    }
  });

  it("interpolates linearly halfway between voxels and fills outside", () => {
    const src: Volume = { dims: [2, 1, 1], affine: [2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], data: new Float32Array([10, 20]) };
    const dst = { dims: [4, 1, 1] as [number, number, number], affine: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] };
    expect([...resampleLinear(src, dst, -1)]).toEqual([10, 15, 20, -1]);
    expect([...resampleNearest({ ...src, data: new Uint8Array([1, 2]) }, dst)]).toEqual([1, 2, 2, 0]);
  });

  it("handles an oblique affine (45° in-plane rotation)", () => {
    const c = Math.SQRT1_2;
    const oblique: Mat4 = [c, -c, 0, 0, c, c, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
    const src = ramp([3, 3, 1], oblique);
    // world point of voxel (1,1,0) is (0, sqrt2, 0); a 1-voxel grid placed there samples exactly that voxel
    const dst = { dims: [1, 1, 1] as [number, number, number], affine: [1, 0, 0, 0, 0, 1, 0, Math.SQRT2, 0, 0, 1, 0, 0, 0, 0, 1] };
    expect(resampleLinear(src, dst)[0]).toBeCloseTo(4, 5);
  });

  it("compares grids and their overlap", () => {
    const a = { dims: [10, 10, 10] as [number, number, number], affine: ras1mm };
    expect(sameGrid(a, { ...a, affine: [...ras1mm] })).toBe(true);
    expect(overlapFraction(a, a)).toBe(1);
    const shifted = { ...a, affine: ras1mm.map((v, i) => (i === 3 ? v + 100 : v)) };
    expect(overlapFraction(a, shifted)).toBe(0);
  });
});

describe("voxel volume", () => {
  it("is |det| of the affine in mL, for flipped and sheared grids alike", () => {
    expect(voxelVolumeMl([-2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1])).toBeCloseTo(0.008);
    // a shear keeps the volume (det 0.75 * 1 * 5.5) while column norms would grow it
    expect(voxelVolumeMl([0.75, 0.5, 0, 0, 0, 1, 0, 0, 0, 0, 5.5, 0, 0, 0, 0, 1])).toBeCloseTo(0.004125);
  });
});
