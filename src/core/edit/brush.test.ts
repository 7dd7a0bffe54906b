import { describe, expect, it } from "vitest";
import { applyEdit, brushIndices, StrokeRecorder } from "./brush";

describe("brush", () => {
  const dims: [number, number, number] = [10, 10, 4];
  const at = (i: number, j: number, k: number) => i + 10 * (j + 10 * k);

  it("paints a disk in the slice across the given axis, clipped at the edges", () => {
    const disk = brushIndices(dims, [1, 1, 1], [5, 5, 2], 2, 1);
    expect(disk.sort((a, b) => a - b)).toEqual([at(5, 4, 2), at(4, 5, 2), at(5, 5, 2), at(6, 5, 2), at(5, 6, 2)].sort((a, b) => a - b));
    expect(brushIndices(dims, [1, 1, 1], [0, 0, 1], 2, 1).length).toBe(3); // a corner keeps 3 of 5
    expect(brushIndices(dims, [1, 1, 1], [3, 3, 3], 0, 0.4)).toEqual([at(3, 3, 3)]);
    expect(brushIndices(dims, [1, 1, 1], [3, 3, 9], 2, 2)).toEqual([]); // outside the volume
  });

  it("measures the radius in mm: 2 mm across 1 mm × 4 mm voxels is 2 voxels one way, 0 the other", () => {
    const cells = brushIndices([10, 10, 10], [1, 1, 4], [5, 5, 5], 1, 2).map((d) => [d % 10, Math.floor(d / 100)]);
    expect(new Set(cells.map(([, k]) => k))).toEqual(new Set([5]));
    expect(cells.map(([i]) => i).sort()).toEqual([3, 4, 5, 6, 7]);
  });

  it("records a stroke once per voxel, and undo/redo restore it exactly", () => {
    const data = new Uint8Array(400).fill(1);
    data[at(5, 5, 2)] = 3;
    const original = data.slice();
    const rec = new StrokeRecorder(data);
    expect(rec.paint(brushIndices(dims, [1, 1, 1], [5, 5, 2], 2, 1), 2)).toBe(5);
    rec.paint(brushIndices(dims, [1, 1, 1], [6, 5, 2], 2, 1), 2); // overlaps: first "before" wins
    const edit = rec.finish()!;
    expect(edit.indices.length).toBe(8);
    expect(edit.before[Array.from(edit.indices).indexOf(at(5, 5, 2))]).toBe(3);
    const painted = data.slice();
    applyEdit(data, edit, "undo");
    expect(data).toEqual(original);
    applyEdit(data, edit, "redo");
    expect(data).toEqual(painted);
  });

  it("a stroke that changes nothing leaves no edit", () => {
    const data = new Uint8Array(400);
    const rec = new StrokeRecorder(data);
    rec.paint([1, 2], 2);
    rec.paint([1, 2], 0); // painted back
    expect(rec.finish()).toBeNull();
  });
});
