import { describe, expect, it } from "vitest";
import { applyConvention, guessConvention } from "./conventions";
import { diceByClass, meanDice, perSliceDice } from "./dice";
import { evaluate, ReferenceMismatchError } from "./evaluate";
import type { Mat4 } from "../volume/types";

describe("Dice", () => {
  it("matches hand-computed values", () => {
    const pred = [0, 1, 1, 2, 2, 2, 0, 0];
    const ref = [0, 1, 2, 2, 2, 0, 0, 1];
    const d = diceByClass(pred, ref, 3);
    // class 1: |A|=2 |B|=2 inter=1 -> 0.5; class 2: |A|=3 |B|=3 inter=2 -> 2/3
    expect(d[1].dice).toBeCloseTo(0.5);
    expect(d[2].dice).toBeCloseTo(2 / 3);
    expect(meanDice(d)).toBeCloseTo((0.5 + 2 / 3) / 2);
    expect(diceByClass([0, 0], [0, 0], 3)[1].dice).toBeNull();
  });

  it("computes per-slice Dice along any axis", () => {
    // dims [2, 1, 2]: slice k=0 has voxels 0,1; slice k=1 has voxels 2,3
    const pred = [1, 1, 0, 0];
    const ref = [1, 0, 0, 0];
    expect(perSliceDice(pred, ref, [2, 1, 2], 2, 2)).toEqual([2 / 3, null]);
    expect(perSliceDice(pred, ref, [2, 1, 2], 0, 2)).toEqual([1, 0]);
  });
});

describe("conventions", () => {
  it("maps FreeSurfer labels to tissue classes as the data README says", () => {
    expect([...applyConvention([0, 4, 3, 2, 24, 11105, 12175, 251, 1035, 17], "freesurfer", 4)]).toEqual([0, 1, 2, 3, 0, 2, 2, 3, 2, 2]);
    expect(guessConvention([0, 2, 3, 4, 41, 42, 43], 4)).toBe("freesurfer");
    expect(guessConvention([0, 1, 2, 3], 4)).toBe("tissue");
  });
});

describe("evaluate", () => {
  const eye: Mat4 = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
  const pred = { dims: [2, 2, 1] as [number, number, number], affine: eye, data: new Uint8Array([1, 2, 3, 0]) };

  it("resamples a reference on another grid that shares world space", () => {
    // reference at 2x resolution in x covering the same world box (voxel centres at -0.25 and 0.25 ...)
    const ref = { dims: [4, 2, 1] as [number, number, number], affine: [0.5, 0, 0, -0.25, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], data: new Uint8Array([1, 1, 2, 2, 3, 3, 0, 0]) };
    const e = evaluate(pred, ref, "tissue", ["bg", "CSF", "GM", "WM"]);
    expect(e.resampled).toBe(true);
    expect(e.dice).toEqual({ CSF: 1, GM: 1, WM: 1 });
    expect(e.meanDice).toBe(1);
  });

  it("refuses a reference that does not overlap the scan", () => {
    const far = { ...pred, affine: eye.map((v, i) => (i === 3 ? 500 : v)) };
    expect(() => evaluate(pred, far, "tissue", ["bg", "CSF", "GM", "WM"])).toThrow(ReferenceMismatchError);
  });
});
