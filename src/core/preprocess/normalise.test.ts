import { describe, expect, it } from "vitest";
import { extremeThreshold, percentileAbove, preprocess, selectRanks } from "./normalise";

describe("percentile scaling", () => {
  it("puts each asked rank's value where a sort puts it, on random, tied, sorted and reversed voxels", () => {
    let seed = 3;
    const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const n = 5001;
    const inputs = {
      random: Float32Array.from({ length: n }, () => 1000 * rand()),
      ties: Float32Array.from({ length: n }, () => Math.floor(4 * rand())), // an 8-bit scan's few values
      sorted: Float32Array.from({ length: n }, (_, i) => i),
      reversed: Float32Array.from({ length: n }, (_, i) => n - i),
      constant: new Float32Array(n).fill(7),
    };
    for (const [name, values] of Object.entries(inputs)) {
      const sorted = Float32Array.from(values).sort();
      for (const ranks of [[0, 1, n - 2, n - 1], [24, 25, 4975, 4976], [2500], [n - 1, 0]]) {
        const a = Float32Array.from(values);
        selectRanks(a, ranks);
        for (const k of ranks) expect(a[k], `${name}, rank ${k} of ${ranks}`).toBe(sorted[k]);
        expect(Float32Array.from(a).sort(), `${name}: the same values`).toEqual(sorted);
      }
    }
  });

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
    expect(Math.abs(p1 - exact(1))).toBeLessThan(1e-4); // float32 samples, otherwise exact
    expect(Math.abs(p99 - exact(99))).toBeLessThan(1e-4);
  });

  it("ignores NaN and infinities, and an extreme voxel moves a percentile by its rank only", () => {
    const values = Float32Array.from({ length: 10001 }, (_, i) => i);
    const [lo, hi] = percentileAbove(values, -1, [1, 99]);
    const spoilt = Float32Array.from(values);
    spoilt[10] = NaN;
    spoilt[20] = Infinity;
    spoilt[30] = -Infinity;
    spoilt[40] = 1e38;
    const [lo2, hi2] = percentileAbove(spoilt, -1, [1, 99]);
    expect(Math.abs(lo2 - lo)).toBeLessThan(5); // 4 of 10001 values gone: ranks move by at most 4
    expect(Math.abs(hi2 - hi)).toBeLessThan(5);
  });

  it("zscore: one voxel of 1e38 does not become the scale; NaN becomes background", () => {
    const base = Float32Array.from({ length: 100_000 }, (_, i) => (i % 10 === 0 ? 0 : 50 + (i % 7)));
    const clean = preprocess(Float32Array.from(base), [{ kind: "zscore" }]);
    const spoilt = Float32Array.from(base);
    spoilt[5] = 1e38;
    spoilt[6] = NaN;
    const z = preprocess(spoilt, [{ kind: "zscore" }]);
    expect(z.every(Number.isFinite)).toBe(true);
    expect(z[6]).toBe(0);
    for (const i of [1, 2, 3, 13, 99]) expect(Math.abs(z[i] - clean[i])).toBeLessThan(0.05);
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

describe("extreme voxels", () => {
  // a 40³ phantom: a ball of tissue (100-400) in a background of exact zeros or of tiny residuals
  const n = 40;
  const dims: [number, number, number] = [n, n, n];
  const phantom = (background: (i: number) => number) => {
    const d = new Float32Array(n ** 3);
    for (let i = 0; i < d.length; i++) {
      const x = i % n, y = Math.floor(i / n) % n, z = Math.floor(i / n ** 2);
      d[i] = Math.hypot(x - 20, y - 20, z - 20) < 12 ? 100 + ((i * 7919) % 300) : background(i);
    }
    return d;
  };
  const scatter = (d: Float32Array, every: number, v: number) => {
    for (let i = 3; i < d.length; i += every) d[i] = v;
    return d;
  };

  it("finds values a million times the signal, scattered, on either side", () => {
    for (const v of [1e38, -3.4e38, 1e10]) {
      const d = scatter(phantom(() => 0), 97, v); // 1% of the voxels, a tenth as many as the tissue
      const t = extremeThreshold(d, dims)!;
      expect(t).toBeGreaterThan(400);
      expect(t).toBeLessThan(Math.abs(v));
    }
  });

  it("none in a clean scan, a zero-mean one, or tissue over a background of near-zero residuals", () => {
    expect(extremeThreshold(phantom(() => 0), dims)).toBeNull();
    expect(extremeThreshold(Float32Array.from(phantom(() => 0), (v, i) => (v ? v - 250 : Math.sin(i))), dims)).toBeNull();
    // the residuals are most of the nonzero voxels and 1e-9 of the tissue: the tissue is a
    // coherent region, so it is the signal, not damage
    const residual = phantom((i) => 1e-7 * (1 + (i % 5)));
    expect(extremeThreshold(residual, dims)).toBeNull();
    // ...and damage on top of it is still found, above the tissue
    expect(extremeThreshold(scatter(residual, 97, 1e38), dims)).toBeGreaterThan(400);
  });
});
