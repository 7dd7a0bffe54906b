import { describe, expect, it } from "vitest";
import { cleanupMask } from "./cleanup";

/** 2 × 1.5 × 1 mm voxels: 0.003 mL each. */
const AFFINE = [2, 0, 0, 0, 0, 1.5, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
const VOXEL_ML = 0.003;
const N = 40;
const DIMS: [number, number, number] = [N, N, N];
const idx = (x: number, y: number, z: number) => z * N * N + y * N + x;

/** A phantom head: a sphere of radius 12 voxels, WM (3) core, GM (2) shell, CSF (1) rim. */
function phantomHead(): Uint8Array {
  const data = new Uint8Array(N * N * N);
  for (let z = 0; z < N; z++) {
    for (let y = 0; y < N; y++) {
      for (let x = 0; x < N; x++) {
        const r = Math.hypot(x - 16, y - 16, z - 16);
        if (r <= 12) data[idx(x, y, z)] = r <= 6 ? 3 : r <= 10 ? 2 : 1;
      }
    }
  }
  return data;
}

const mask = (data: Uint8Array) => ({ dims: DIMS, affine: AFFINE, data });
const count = (data: Uint8Array) => data.reduce((s, v) => s + (v ? 1 : 0), 0);

describe("cleanupMask", () => {
  it("removes an object outside the head, reports it in voxels and mL, and leaves the head untouched", () => {
    const head = phantomHead();
    const data = head.slice();
    // a 4³ cube of "tissue" away from the head (the head spans 4..28)
    for (let z = 32; z < 36; z++) for (let y = 32; y < 36; y++) for (let x = 32; x < 36; x++) data[idx(x, y, z)] = 2;
    const r = cleanupMask(mask(data), { keep: "largest" });
    expect(r.components).toBe(2);
    expect(r.kept).toBe(1);
    expect(r.removed).toEqual({ voxels: 64, ml: expect.closeTo(64 * VOXEL_ML, 9), fragments: 1 });
    expect(r.labels).toEqual(head);
    expect(r.largest).toBe(count(head));
    expect(data[idx(33, 33, 33)]).toBe(2); // the input is not changed
  });

  it("keeps a second component of at least keepFraction of the largest (a cerebellum cut off), drops smaller ones", () => {
    const data = phantomHead();
    // an 8 × 8 × 4 slab (256 voxels, ~3.5% of the head's ~7,200)
    for (let z = 34; z < 38; z++) for (let y = 2; y < 10; y++) for (let x = 2; x < 10; x++) data[idx(x, y, z)] = 3;
    expect(cleanupMask(mask(data), { keep: "largest" }).removed.voxels).toBe(256);
    const kept = cleanupMask(mask(data), { keep: "largest", keepFraction: 0.03 });
    expect(kept.removed.voxels).toBe(0);
    expect(kept.kept).toBe(2);
    // keep "all" drops only what is below minFragmentMl (256 voxels = 0.768 mL)
    expect(cleanupMask(mask(data), { keep: "all", minFragmentMl: 0.5 }).removed.voxels).toBe(0);
    expect(cleanupMask(mask(data), { keep: "all", minFragmentMl: 1 }).removed).toMatchObject({ voxels: 256, fragments: 1 });
  });

  it("removes scattered one-voxel specks", () => {
    const head = phantomHead();
    const data = head.slice();
    const specks = [idx(0, 0, 0), idx(39, 39, 39), idx(35, 5, 20), idx(2, 36, 30), idx(30, 30, 2)];
    for (const s of specks) data[s] = 1;
    const r = cleanupMask(mask(data), { keep: "largest" });
    expect(r.removed).toEqual({ voxels: 5, ml: expect.closeTo(5 * VOXEL_ML, 9), fragments: 5 });
    expect(r.labels).toEqual(head);
  });

  it("a speck touching the head only at a corner is part of it with 26-connectivity, removed with 6", () => {
    const data = phantomHead();
    data[idx(16, 16, 29)] = 0; // the sphere's top voxel is (16, 16, 28)
    data[idx(17, 17, 29)] = 1; // diagonal to it
    expect(cleanupMask(mask(data), { keep: "largest", connectivity: 26 }).removed.voxels).toBe(0);
    expect(cleanupMask(mask(data), { keep: "largest" }).removed.voxels).toBe(1); // 6, the default
    expect(cleanupMask(mask(data), { keep: "largest", connectivity: 6 }).removed.voxels).toBe(1);
  });

  it("joins voxels across every diagonal with 26-connectivity, none with 6", () => {
    // a centre voxel and one at each of its 8 corners: 9 components with 6 (each of one voxel, so all
    // are kept: none is below a tenth of the largest), one with 26
    const data = new Uint8Array(N * N * N);
    data[idx(5, 5, 5)] = 2;
    for (const dz of [-1, 1]) for (const dy of [-1, 1]) for (const dx of [-1, 1]) data[idx(5 + dx, 5 + dy, 5 + dz)] = 3;
    expect(cleanupMask(mask(data), { keep: "largest", connectivity: 26 })).toMatchObject({ components: 1, removed: { voxels: 0 } });
    expect(cleanupMask(mask(data), { keep: "largest", connectivity: 6 })).toMatchObject({ components: 9, kept: 9 });
  });

  it("an opening cuts a thin bridge to an object outside the head, leaving the head whole", () => {
    const head = phantomHead();
    const data = head.slice();
    // a 6³ block beside the head (x 31..36), joined to it by a 1-voxel-thick rod along x (z = 16, y = 16)
    for (let z = 13; z < 19; z++) for (let y = 13; y < 19; y++) for (let x = 31; x < 37; x++) data[idx(x, y, z)] = 2;
    for (let x = 28; x < 31; x++) data[idx(x, 16, 16)] = 1;
    expect(cleanupMask(mask(data), { keep: "largest" }).removed.voxels).toBe(0); // one component
    // 2 mm: 1 voxel along x and z, 1 along y (1.5 mm voxels round 1.33 to 1)
    const r = cleanupMask(mask(data), { keep: "largest", openMm: 2 });
    for (let x = 28; x < 37; x++) expect(r.labels[idx(x, 16, 16)], `x ${x}`).toBe(0); // the rod and the block
    // the head's inside is kept; its voxelised surface loses the bumps a 3³ box does not fit in
    for (let i = 0; i < head.length; i++) if (head[i] === 3 || head[i] === 2) expect(r.labels[i], `head voxel ${i}`).toBe(head[i]);
    expect(r.removed.voxels).toBe(count(data) - count(r.labels));
    expect(r.removed.fragments).toBeGreaterThan(1);
    // a mask thinner than the opening everywhere (a 1-voxel sheet) is not emptied
    const sheet = new Uint8Array(N * N * N);
    for (let y = 5; y < 30; y++) for (let x = 5; x < 30; x++) sheet[idx(x, y, 20)] = 2;
    expect(cleanupMask(mask(sheet), { keep: "largest", openMm: 2 }).labels).toEqual(sheet);
  });

  it("fills a hole inside the head only when asked, with the class around it", () => {
    const head = phantomHead();
    const data = head.slice();
    // a 3³ hole in the WM core, and a 1-voxel hole in the GM shell
    for (let z = 15; z < 18; z++) for (let y = 15; y < 18; y++) for (let x = 15; x < 18; x++) data[idx(x, y, z)] = 0;
    data[idx(16, 16, 24)] = 0;
    const untouched = cleanupMask(mask(data), { keep: "largest" });
    expect(untouched.labels).toEqual(data);
    expect(untouched.filled).toEqual({ voxels: 0, ml: 0, holes: 0 });
    const r = cleanupMask(mask(data), { keep: "largest", fillHoles: true });
    expect(r.filled).toEqual({ voxels: 28, ml: expect.closeTo(28 * VOXEL_ML, 9), holes: 2 });
    expect(r.labels).toEqual(head);
  });

  it("does not fill background that reaches the grid's edge (an open cup)", () => {
    const data = new Uint8Array(N * N * N);
    // a box shell open at the top (z = 20), reaching nowhere near the grid's edge but open to it
    for (let z = 5; z <= 20; z++) {
      for (let y = 5; y <= 20; y++) {
        for (let x = 5; x <= 20; x++) {
          if (x === 5 || x === 20 || y === 5 || y === 20 || z === 5) data[idx(x, y, z)] = 2;
        }
      }
    }
    const r = cleanupMask(mask(data), { keep: "largest", fillHoles: true });
    expect(r.filled.voxels).toBe(0);
    expect(r.labels).toEqual(data);
    // closed with a lid: the inside (14³) is a hole
    for (let y = 5; y <= 20; y++) for (let x = 5; x <= 20; x++) data[idx(x, y, 20)] = 2;
    expect(cleanupMask(mask(data), { keep: "largest", fillHoles: true }).filled).toMatchObject({ voxels: 14 ** 3, holes: 1 });
  });

  it("leaves an empty mask unchanged", () => {
    const data = new Uint8Array(N * N * N);
    const r = cleanupMask(mask(data), { keep: "largest", fillHoles: true });
    expect(r.labels).toEqual(data);
    expect(r).toMatchObject({ removed: { voxels: 0, ml: 0, fragments: 0 }, filled: { voxels: 0, ml: 0, holes: 0 }, components: 0, kept: 0, largest: 0 });
  });

  it("leaves a mask that is one component unchanged, also one filling the whole grid", () => {
    const head = phantomHead();
    for (const data of [head, new Uint8Array(N * N * N).fill(2)]) {
      const r = cleanupMask(mask(data), { keep: "largest", fillHoles: true });
      expect(r.labels).toEqual(data);
      expect(r).toMatchObject({ removed: { voxels: 0, fragments: 0 }, filled: { voxels: 0 }, components: 1, kept: 1 });
    }
  });

  it("refuses labels that do not fit the grid", () => {
    expect(() => cleanupMask({ dims: DIMS, affine: AFFINE, data: new Uint8Array(10) }, { keep: "largest" })).toThrow(/10 labels for a 40×40×40 grid/);
  });

  it("cleans a 256³ mask: the specks around the head removed, its one hole filled", () => {
    const n = 256;
    const data = new Uint8Array(n ** 3);
    // a 180 × 200 × 160 ellipsoid of three classes with a hole and specks around it
    for (let z = 0; z < n; z++) {
      for (let y = 0; y < n; y++) {
        for (let x = 0; x < n; x++) {
          const r = Math.hypot((x - 128) / 90, (y - 128) / 100, (z - 128) / 80);
          if (r <= 1) data[z * n * n + y * n + x] = r < 0.05 ? 0 : r < 0.5 ? 3 : r < 0.85 ? 2 : 1;
          else if ((x * 7919 + y * 104729 + z * 1299709) % 997 === 0) data[z * n * n + y * n + x] = 1;
        }
      }
    }
    const r = cleanupMask({ dims: [n, n, n], affine: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], data }, { keep: "largest", fillHoles: true });
    expect(r.removed.fragments).toBeGreaterThan(1000);
    expect(r.filled.holes).toBe(1);
  });
});
