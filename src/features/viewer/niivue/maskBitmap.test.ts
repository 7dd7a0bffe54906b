import { describe, expect, it } from "vitest";
import type { Mat4, Volume } from "../../../core/volume/types";
import { DISAGREE, disagreementLayer, maskBitmap, maskLut, OPAQUE, rasOffsets } from "./maskBitmap";
import { volumeImage } from "./boundary";

/**
 * Where native voxel (i, j, k) belongs in a RAS-ordered array, derived from the affine alone:
 * along each world axis, the native axis that moves along it, counted from the left/posterior/
 * inferior end.
 */
function rasIndex(vol: Volume, ijk: number[]): number {
  const a = vol.affine;
  let index = 0;
  let stride = 1;
  for (let w = 0; w < 3; w++) {
    const row = [a[w * 4], a[w * 4 + 1], a[w * 4 + 2]];
    const axis = row.map(Math.abs).indexOf(Math.max(...row.map(Math.abs)));
    const n = vol.dims[axis];
    index += (row[axis] < 0 ? n - 1 - ijk[axis] : ijk[axis]) * stride;
    stride *= n;
  }
  return index;
}

const volume = (dims: [number, number, number], affine: Mat4): Volume => {
  const data = new Uint8Array(dims[0] * dims[1] * dims[2]);
  for (let n = 0; n < data.length; n++) data[n] = (n * 7) % 5; // every class somewhere, no pattern a transpose keeps
  return { dims, affine, data };
};

// RAS, FreeSurfer's LIA (.mgz) and an oblique, permuted one (slices along x, 10° off)
const c = Math.cos(0.17);
const s = Math.sin(0.17);
const CASES: [string, Volume][] = [
  ["RAS", volume([4, 5, 6], [1, 0, 0, -2, 0, 1, 0, -2, 0, 0, 1, -3, 0, 0, 0, 1])],
  ["LIA", volume([4, 5, 6], [-1, 0, 0, 2, 0, 0, 1, -3, 0, -1, 0, 2.5, 0, 0, 0, 1])],
  // i along A, j along -S, k along -R, then 10° about S
  ["oblique, permuted", volume([3, 5, 4], [-0.9 * s, 0, -1.2 * c, 1, 0.9 * c, 0, -1.2 * s, -2, 0, -1.1, 0, 4, 0, 0, 0, 1])],
];

describe("the mask in niivue's drawing layer", () => {
  it.each(CASES)("puts every voxel of a %s scan where its world position says", (_, vol) => {
    const img = volumeImage(vol, { name: "scan" });
    const bitmap = maskBitmap(vol.data, vol.dims, rasOffsets(vol.dims, img.permRAS ?? []), null);
    const [nx, ny, nz] = vol.dims;
    for (let k = 0; k < nz; k++)
      for (let j = 0; j < ny; j++)
        for (let i = 0; i < nx; i++) expect(bitmap[rasIndex(vol, [i, j, k])], `voxel ${i},${j},${k}`).toBe(vol.data[i + nx * (j + ny * k)]);
  });

  it("writes the same bytes slab by slab as in one go", () => {
    const [, vol] = CASES[2];
    const offsets = rasOffsets(vol.dims, volumeImage(vol, { name: "scan" }).permRAS ?? []);
    const whole = maskBitmap(vol.data, vol.dims, offsets, null);
    const out = new Uint8Array(vol.data.length).fill(9);
    for (const [from, to] of [[0, 1], [1, 3], [3, 99]]) maskBitmap(vol.data, vol.dims, offsets, null, out, from, to);
    expect(Array.from(out)).toEqual(Array.from(whole));
  });

  it("marks disagreement over the classes and reuses the buffer it is given", () => {
    const [, vol] = CASES[1];
    const offsets = rasOffsets(vol.dims, volumeImage(vol, { name: "scan" }).permRAS ?? []);
    const diff = new Uint8Array(vol.data.length);
    diff[7] = 1;
    const out = new Uint8Array(vol.data.length).fill(9);
    const bitmap = maskBitmap(vol.data, vol.dims, offsets, diff, out);
    expect(bitmap).toBe(out);
    expect(bitmap[rasIndex(vol, [7 % 4, 1, 0])]).toBe(OPAQUE + vol.data[7]);
    // voxel (3, 1, 0): its face neighbours in the grid, (2, 1, 0), (3, 0, 0), (3, 2, 0), (3, 1, 1)
    expect(bitmap.filter((v) => v === DISAGREE).length).toBe(4);
    expect(bitmap.includes(9)).toBe(false);
  });

  // a 6×6×3 RAS mask, classes in stripes, the two results differ on a 2×2×1 block at (2..3, 2..3, 1)
  const dims: [number, number, number] = [6, 6, 3];
  const identity = rasOffsets(dims, [1, 2, 3]);
  const at = (i: number, j: number, k: number) => i + 6 * (j + 6 * k);
  const stripes = (shift: number) => Uint8Array.from({ length: 108 }, (_, n) => 1 + ((n + shift) % 3));
  const diff = new Uint8Array(108);
  for (const [i, j] of [[2, 2], [3, 2], [2, 3], [3, 3]]) diff[at(i, j, 1)] = 1;

  it("draws each differing voxel opaque in the shown result's class, and outlines the region around it", () => {
    const labels = stripes(0);
    const bitmap = maskBitmap(labels, dims, identity, diff);
    for (const [i, j] of [[2, 2], [3, 3]]) expect(bitmap[at(i, j, 1)]).toBe(OPAQUE + labels[at(i, j, 1)]);
    // outside the block, a face away (in the slice, above and below): the outline
    for (const [i, j, k] of [[1, 2, 1], [4, 3, 1], [2, 1, 1], [3, 4, 1], [2, 2, 0], [3, 3, 2]]) expect(bitmap[at(i, j, k)], `${i},${j},${k}`).toBe(DISAGREE);
    // a corner away, or farther: the mask as it is
    for (const [i, j, k] of [[1, 1, 1], [4, 4, 1], [0, 0, 0], [1, 2, 0]]) expect(bitmap[at(i, j, k)], `${i},${j},${k}`).toBe(labels[at(i, j, k)]);
    expect(bitmap.filter((v) => v === DISAGREE).length).toBe(8 + 4 + 4);
  });

  it("changes with the shown result inside the outline only; a differing background voxel is left clear", () => {
    const base = stripes(0);
    const adapted = stripes(0);
    for (let n = 0; n < 108; n++) if (diff[n]) adapted[n] = n % 2 ? 0 : 1 + (base[n] % 3);
    const a = maskBitmap(base, dims, identity, diff);
    const b = maskBitmap(adapted, dims, identity, diff);
    const changed = [...a.keys()].filter((n) => a[n] !== b[n]);
    expect(changed).toEqual([...diff.keys()].filter((n) => diff[n]));
    for (const n of changed) expect(b[n]).toBe(adapted[n] ? OPAQUE + adapted[n] : 0);
  });

  it("gives the oblique path the same disagreement as its own layer, the mask left out", () => {
    const labels = stripes(1);
    const layer = disagreementLayer(labels, dims, diff);
    const bitmap = maskBitmap(labels, dims, identity, diff);
    for (let n = 0; n < 108; n++) expect(layer[n], `voxel ${n}`).toBe(bitmap[n] >= OPAQUE ? bitmap[n] : 0);
    expect(layer.filter((v) => v === DISAGREE).length).toBe(16);
  });

  it("colours classes at the mask's opacity and opaque where they differ, hides background and hidden classes, outlines in translucent magenta", () => {
    const lut = maskLut([{ index: 0, color: [1, 2, 3] }, { index: 1, color: [200, 10, 20] }, { index: 2, color: [0, 90, 250] }], [2], 0.4);
    const entry = (i: number) => Array.from(lut.slice(i * 4, i * 4 + 4));
    expect(entry(0)[3]).toBe(0);
    expect(entry(1)).toEqual([200, 10, 20, 102]);
    expect(entry(2)[3]).toBe(0);
    expect(entry(3)[3]).toBe(0); // not a class of the model
    expect(entry(OPAQUE + 1)).toEqual([200, 10, 20, 255]); // a differing voxel: opaque
    expect(entry(OPAQUE + 2)[3]).toBe(0);
    expect(entry(DISAGREE)).toEqual([255, 0, 255, 150]);
  });
});
