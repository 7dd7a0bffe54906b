import { describe, expect, it } from "vitest";
import { dilatedReference, tissueOutsideReference } from "./outside";

describe("tissue outside the reference brain", () => {
  const dims: [number, number, number] = [12, 10, 8];
  const n = dims[0] * dims[1] * dims[2];
  const at = (i: number, j: number, k: number) => (k * dims[1] + j) * dims[0] + i;
  const affine = [2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
  const reference = { dims, affine, data: new Uint8Array(n) };
  reference.data[at(4, 4, 4)] = 3; // any label is brain

  it("grows the reference by the margin as a cube, clipped at the grid's faces", () => {
    const brain = dilatedReference(reference, reference, 2);
    expect(brain.reduce((s, v) => s + v, 0)).toBe(125);
    expect([brain[at(2, 2, 2)], brain[at(6, 6, 6)], brain[at(7, 4, 4)], brain[at(1, 4, 4)]]).toEqual([1, 1, 0, 0]);
    expect(dilatedReference(reference, reference, 0).reduce((s, v) => s + v, 0)).toBe(1);
  });

  it("counts mask voxels beyond the margin, in voxels and mL, and none within it", () => {
    const mask = { dims, affine, data: new Uint8Array(n) };
    mask.data[at(6, 6, 6)] = 1; // within 2 voxels: inside
    mask.data[at(7, 4, 4)] = 2; // 3 voxels away
    mask.data[at(11, 9, 0)] = 3;
    expect(tissueOutsideReference(mask, reference)).toEqual({ voxels: 2, ml: 0.004, marginVoxels: 2 });
  });
});
