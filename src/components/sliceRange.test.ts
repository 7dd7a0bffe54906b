import { describe, expect, it } from "vitest";
import { tissueRange } from "./sliceRange";

const curve = (n: number, at: number[]) => Array.from({ length: n }, (_, i) => (at.includes(i) ? 0.5 : null));

describe("tissueRange", () => {
  it("trims to the slices with a value, widened by the margin", () => {
    expect(tissueRange([curve(100, [30, 31, 60])], 3)).toEqual({ lo: 27, hi: 63 });
  });

  it("keeps the margin within the slices", () => {
    expect(tissueRange([curve(20, [1, 18])], 5)).toEqual({ lo: 0, hi: 19 });
  });

  it("spans the union of the curves", () => {
    expect(tissueRange([curve(50, [20, 25]), curve(50, [10, 22])], 0)).toEqual({ lo: 10, hi: 25 });
  });

  it("counts a Dice of 0 as tissue (a slice the mask missed or invented)", () => {
    const values = [null, null, 0, null, 0.9, null, null];
    expect(tissueRange([values], 1)).toEqual({ lo: 1, hi: 5 });
  });

  it("shows every slice when none has a value, and nothing when there are no slices", () => {
    expect(tissueRange([curve(12, [])], 2)).toEqual({ lo: 0, hi: 11 });
    expect(tissueRange([[]], 2)).toEqual({ lo: 0, hi: 0 });
  });
});
