import { describe, expect, it } from "vitest";
import { applyEdit, paintOnce } from "./brush";
import { fillRegion } from "./fill";

describe("fill", () => {
  // 6 × 5 × 3: a ring of 2s in slice z = 1 around a hole of 0s, the rest 0
  const dims: [number, number, number] = [6, 5, 3];
  const at = (x: number, y: number, z: number) => x + 6 * (y + 5 * z);
  const volume = () => {
    const data = new Uint8Array(90);
    for (let x = 1; x <= 4; x++) for (let y = 1; y <= 3; y++) data[at(x, y, 1)] = 2;
    for (const x of [2, 3]) data[at(x, 2, 1)] = 0; // the hole
    return data;
  };
  const sorted = (a: number[]) => [...a].sort((p, q) => p - q);

  it("takes the 4-connected voxels of the clicked label in the clicked slice only", () => {
    const data = volume();
    const ring = fillRegion(data, dims, [1, 1, 1], 2);
    expect(ring).toHaveLength(12 - 2);
    expect(ring.every((i) => data[i] === 2 && Math.floor(i / 30) === 1)).toBe(true);
    // the hole is cut off by the ring: its two voxels, not the 0s outside
    expect(sorted(fillRegion(data, dims, [2, 2, 1], 2))).toEqual([at(2, 2, 1), at(3, 2, 1)]);
    // the background outside the ring in slice 1: every 0 there but the hole, none in slices 0 or 2
    expect(fillRegion(data, dims, [0, 0, 1], 2)).toHaveLength(30 - 12);
  });

  it("does not cross a diagonal (4-connected) and follows the slice across the axis it is given", () => {
    const data = new Uint8Array(90);
    data[at(0, 0, 0)] = 1;
    data[at(1, 1, 0)] = 1;
    expect(fillRegion(data, dims, [0, 0, 0], 2)).toEqual([at(0, 0, 0)]);
    // across x: the plane x = 0 is y × z; the label 0 there is everything but (0, 0, 0)
    expect(fillRegion(data, dims, [0, 4, 2], 0)).toHaveLength(5 * 3 - 1);
    expect(fillRegion(data, dims, [0, 4, 2], 0).every((i) => i % 6 === 0)).toBe(true);
  });

  it("ignores a seed outside the volume", () => {
    expect(fillRegion(volume(), dims, [6, 0, 0], 2)).toEqual([]);
    expect(fillRegion(volume(), dims, [0, 0, -1], 2)).toEqual([]);
  });

  it("as an edit: sets the class, undo restores the mask; filling with the class already there changes nothing", () => {
    const data = volume();
    const original = data.slice();
    const edit = paintOnce(data, fillRegion(data, dims, [1, 1, 1], 2), 3)!;
    expect(edit.indices).toHaveLength(10);
    expect(Array.from(data).filter((v) => v === 3)).toHaveLength(10);
    expect(data[at(2, 2, 1)]).toBe(0);
    applyEdit(data, edit, "undo");
    expect(data).toEqual(original);
    expect(paintOnce(data, fillRegion(data, dims, [1, 1, 1], 2), 2)).toBeNull();
    expect(data).toEqual(original);
  });

  it("fills a 512 × 512 slice in well under a second (no recursion to overflow)", () => {
    const big: [number, number, number] = [512, 512, 2];
    const data = new Uint8Array(512 * 512 * 2);
    // a comb: every other column a wall from the top, so the region winds through every row
    for (let x = 1; x < 512; x += 2) for (let y = x % 4 === 1 ? 0 : 1; y < (x % 4 === 1 ? 511 : 512); y++) data[x + 512 * y] = 1;
    const t0 = performance.now();
    const region = fillRegion(data, big, [0, 0, 0], 2);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(region.length).toBe(Array.from(data.subarray(0, 512 * 512)).filter((v) => v === 0).length);
  });
});
