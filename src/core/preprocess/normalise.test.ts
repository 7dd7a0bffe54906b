import { describe, expect, it } from "vitest";
import { percentileAbove, preprocess } from "./normalise";

describe("percentile scaling", () => {
  it("agrees with exact percentiles (numpy's linear rule) of the non-background voxels", () => {
    // skewed, MRI-like intensities plus a zero background
    let seed = 7;
    const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const values = Array.from({ length: 200000 }, (_, i) => (i % 4 === 0 ? 0 : 100 * rand() ** 2));
    const fg = values.filter((v) => v > 0).sort((a, b) => a - b);
    const exact = (p: number) => {
      const t = (p / 100) * (fg.length - 1), i = Math.floor(t);
      return fg[i] + (t - i) * (fg[Math.min(i + 1, fg.length - 1)] - fg[i]);
    };
    const [p1, p99] = percentileAbove(values, 0, [1, 99]);
    expect(Math.abs(p1 - exact(1))).toBeLessThan(0.02); // range / 8192 bins = 0.012
    expect(Math.abs(p99 - exact(99))).toBeLessThan(0.02);
  });

  it("maps to [0, 1] and keeps background at 0", () => {
    const data = new Float32Array([0, 0, 10, 20, 30, 40, 50]);
    preprocess(data, [{ kind: "percentileScale", lower: 0, upper: 100 }]);
    expect(data[0]).toBe(0);
    expect(data[2]).toBeCloseTo(0);
    expect(data[6]).toBeCloseTo(1);
    expect(data[4]).toBeCloseTo(0.5, 2);
  });
});
