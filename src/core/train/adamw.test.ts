import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { adamwInit, adamwStep, type AdamWOptions } from "./adamw";

// torch.optim.AdamW on fixed gradients (training/adamw_fixture.py)
const fx = JSON.parse(readFileSync(resolve(import.meta.dirname, "../../../training/parity/adamw.json"), "utf8")) as {
  cases: { name: string; options: AdamWOptions; init: number[][]; steps: { grads: number[][]; params: number[][] }[] }[];
};

describe("AdamW", () => {
  for (const c of fx.cases) {
    it(`matches torch.optim.AdamW step by step (${c.name})`, () => {
      const params = c.init.map((p) => Float32Array.from(p));
      const state = adamwInit(params);
      for (const s of c.steps) {
        adamwStep(params, s.grads, state, c.options);
        params.forEach((p, i) => p.forEach((v, k) => expect(Math.abs(v - s.params[i][k])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(s.params[i][k])))));
      }
      expect(state.step).toBe(c.steps.length);
    });
  }

  it("takes PyTorch's defaults and, by hand, its first step is lr * sign(g) after decay", () => {
    const p = [Float32Array.from([1, -2, 0.5])];
    const state = adamwInit(p);
    adamwStep(p, [[0.3, -4, 0]], state);
    // t = 1: m/(1-b1) = g, sqrt(v/(1-b2)) = |g|, so the update is lr * g / (|g| + eps)
    const want = [1 * (1 - 1e-5) - 1e-3 * (0.3 / (0.3 + 1e-8)), -2 * (1 - 1e-5) + 1e-3 * (4 / (4 + 1e-8)), 0.5 * (1 - 1e-5)];
    p[0].forEach((v, k) => expect(v).toBeCloseTo(want[k], 6));
  });

  it("refuses mismatched gradients", () => {
    const p = [new Float32Array(3)];
    expect(() => adamwStep(p, [[1, 2]], adamwInit(p))).toThrow(/gradient/);
  });
});
