import { describe, expect, it } from "vitest";
import { interpolateBetween, planInterpolation, signedDistance } from "./interpolate";

const N = 32;
const dims: [number, number, number] = [N, N, 9];
const at = (x: number, y: number, z: number) => x + N * (y + N * z);
const ONE: [number, number, number] = [1, 1, 1];

/** Writes a disc of `label` with radius `r` (voxels) centred in slice z. */
function disc(data: Uint8Array, z: number, r: number, label = 4, cx = 15.5, cy = 15.5) {
  for (let y = 0; y < N; y++) for (let x = 0; x < N; x++) if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) data[at(x, y, z)] = label;
}

/** Voxels per slice z among `indices`. */
const perSlice = (indices: number[]) => Array.from({ length: dims[2] }, (_, z) => indices.filter((i) => Math.floor(i / (N * N)) === z).length);

describe("signed distance", () => {
  it("is the distance to the shape's edge in mm: negative inside, positive outside", () => {
    // a 1 × 7 row, inside from x = 2 to 4
    const sd = signedDistance(Uint8Array.from([0, 0, 1, 1, 1, 0, 0]), 7, 1);
    expect(Array.from(sd)).toEqual([2, 1, -1, -2, -1, 1, 2]);
    // 2 mm pixels across, in 2D: the diagonal counts (Euclidean, not city-block)
    const square = new Uint8Array(25);
    square[12] = 1;
    const d = signedDistance(square, 5, 5, [2, 1]);
    expect(d[0]).toBeCloseTo(Math.hypot(4, 2));
    expect(d[12]).toBe(-1); // the nearest outside pixel is one 1 mm row away
  });
});

describe("interpolation between corrected slices", () => {
  it("between a small and a large disc: discs whose areas grow slice by slice, between the two", () => {
    const data = new Uint8Array(N * N * 9);
    disc(data, 0, 3);
    disc(data, 8, 12);
    const inside = interpolateBetween(data, dims, ONE, 2, 0, 8, 4);
    const areas = perSlice(inside);
    const small = perSlice(Array.from(data.keys()).filter((i) => data[i] === 4))[0];
    const large = perSlice(Array.from(data.keys()).filter((i) => data[i] === 4))[8];
    expect([areas[0], areas[8]]).toEqual([0, 0]); // the corrected slices themselves are not written
    for (let z = 1; z < 8; z++) {
      expect(areas[z], `slice ${z}`).toBeGreaterThan(z === 1 ? small : areas[z - 1]);
      expect(areas[z]).toBeLessThan(large);
    }
    // halfway: a disc of about the mean radius, still centred
    expect(Math.sqrt(areas[4] / Math.PI)).toBeCloseTo(7.5, 0);
    const mid = inside.filter((i) => Math.floor(i / (N * N)) === 4);
    const centre = [mid.reduce((s, i) => s + (i % N), 0) / mid.length, mid.reduce((s, i) => s + (Math.floor(i / N) % N), 0) / mid.length];
    expect(centre[0]).toBeCloseTo(15.5, 5);
    expect(centre[1]).toBeCloseTo(15.5, 5);
  });

  it("between identical shapes: the same shape in every slice between, whatever else the slices hold", () => {
    const data = new Uint8Array(N * N * 9).fill(1);
    disc(data, 2, 6, 4, 10, 12);
    disc(data, 6, 6, 4, 10, 12);
    const shape = Array.from({ length: N * N }, (_, i) => data[i + 2 * N * N] === 4);
    const inside = new Set(interpolateBetween(data, dims, ONE, 2, 2, 6, 4));
    expect(perSlice([...inside])).toEqual([0, 0, 0, ...Array(3).fill(shape.filter(Boolean).length), 0, 0, 0]);
    for (let z = 3; z <= 5; z++) for (let i = 0; i < N * N; i++) expect(inside.has(i + z * N * N)).toBe(shape[i]);
  });

  it("leaves out the voxels that hold the class already", () => {
    const data = new Uint8Array(N * N * 9);
    disc(data, 0, 5);
    disc(data, 2, 5);
    data[at(15, 15, 1)] = 4;
    const inside = interpolateBetween(data, dims, ONE, 2, 0, 2, 4);
    expect(inside).not.toContain(at(15, 15, 1));
    expect(inside).toHaveLength(perSlice(Array.from(data.keys()).filter((i) => data[i] === 4))[0] - 1);
  });

  it("works across any axis (here y, the slices being x × z planes)", () => {
    const data = new Uint8Array(N * N * 9);
    for (let x = 4; x < 10; x++) for (let z = 2; z < 6; z++) data[at(x, 0, z)] = data[at(x, 10, z)] = 3;
    const inside = interpolateBetween(data, dims, ONE, 1, 0, 10, 3);
    expect(inside).toHaveLength(9 * 6 * 4);
    expect(inside.every((i) => data[i] === 0 && Math.floor(i / N) % N > 0 && Math.floor(i / N) % N < 10)).toBe(true);
  });
});

describe("planning an interpolation", () => {
  const data = new Uint8Array(N * N * 9);
  disc(data, 1, 4);
  disc(data, 4, 4);
  disc(data, 8, 4);
  data[at(0, 0, 6)] = 2; // slice 6 holds another class only

  it("fills the gaps between neighbouring corrected slices that both hold the class", () => {
    expect(planInterpolation(data, dims, 2, [8, 1, 4, 1], 4, "tumour")).toEqual({ pairs: [[1, 4], [4, 8]] });
    // a corrected slice without the class (6) bounds the shape: nothing is carried across it
    expect(planInterpolation(data, dims, 2, [1, 4, 6, 8], 4, "tumour")).toEqual({ pairs: [[1, 4]] });
  });

  it("refuses with a reason when fewer than two corrected slices hold the class, or none lies between", () => {
    expect(planInterpolation(data, dims, 2, [], 4, "tumour")).toEqual({ reason: "Interpolation needs two corrected slices in this view that hold tumour; none does." });
    expect(planInterpolation(data, dims, 2, [4, 6], 4, "tumour")).toEqual({ reason: "Interpolation needs two corrected slices in this view that hold tumour; only slice 4 does." });
    expect(planInterpolation(data, dims, 2, [1, 4, 6], 2, "GM")).toEqual({ reason: "Interpolation needs two corrected slices in this view that hold GM; only slice 6 does." });
    // corrected across another axis: the slice numbers are other planes (x = 1 and 4 hold no tumour)
    expect(planInterpolation(data, dims, 0, [1, 4], 4, "tumour")).toHaveProperty("reason");
    const next = new Uint8Array(N * N * 9);
    disc(next, 3, 4);
    disc(next, 4, 4);
    expect(planInterpolation(next, dims, 2, [3, 4], 4, "tumour")).toEqual({ reason: "No uncorrected slice lies between two corrected slices that hold tumour." });
  });
});
