import { describe, expect, it } from "vitest";
import type { AdapterSlot } from "../manifest/schema";
import type { InferenceRunner, Tensor } from "../pipeline/runner";
import { adamwInit } from "./adamw";
import { gradientList, initLora, loraFromTensors, loraTensors, parameterList, stepFeeds, targetFeeds, trainStep } from "./lora-train";

const slots: AdapterSlot[] = [
  { module: "down.0.conv1", inputA: "lora.down.0.conv1.A", inputB: "lora.down.0.conv1.B", inFeatures: 3, outFeatures: 4, kernel: [3, 3] },
  { module: "head", inputA: "lora.head.A", inputB: "lora.head.B", inFeatures: 4, outFeatures: 2 },
];
const image: Tensor = { data: new Float32Array(1 * 3 * 2 * 2), dims: [1, 3, 2, 2] };

describe("LoRA training parameters and graph feeds", () => {
  it("starts as PEFT does: A within ±1/sqrt(fan_in), B zero", () => {
    const p = initLora(slots, 2, 4, () => 0.999);
    expect(p.scaling).toBe(2);
    expect(p.modules[0].A).toHaveLength(2 * 3 * 9);
    expect(Math.max(...p.modules[0].A)).toBeCloseTo(0.998 / Math.sqrt(27), 5);
    expect(p.modules[1].A).toHaveLength(2 * 4);
    expect([...p.modules[0].B, ...p.modules[1].B].every((v) => v === 0)).toBe(true);
    expect(parameterList(p)).toEqual([p.modules[0].A, p.modules[0].B, p.modules[1].A, p.modules[1].B]);
  });

  it("feeds B times the scaling at the adapter's rank, and scales B's gradient back", () => {
    const p = initLora(slots, 2, 4, Math.random);
    p.modules[0].B.fill(0.5);
    const feeds = stepFeeds(p, { image, labels: [0, 1, 2, 3], numClasses: 4 });
    expect(feeds["lora.down.0.conv1.A"].dims).toEqual([2, 3, 3, 3]);
    expect(feeds["lora.down.0.conv1.B"].dims).toEqual([4, 2, 1, 1]);
    expect(feeds["lora.head.B"].dims).toEqual([2, 2]);
    expect(feeds["lora.down.0.conv1.B"].data[0]).toBe(1);
    const outputs = Object.fromEntries(slots.flatMap((s) => [s.inputA, s.inputB]).map((n) => [`grad.${n}`, { data: new Float32Array(feeds[n].data.length).fill(1), dims: feeds[n].dims }]));
    const g = gradientList(p, outputs);
    expect(g[0][0]).toBe(1); // A: as is
    expect(g[1][0]).toBe(2); // B: times alpha / r
  });

  it("one-hot targets; labels outside the classes get weight 0", () => {
    const { target, weight } = targetFeeds({ image, labels: [3, 0, 255, 1], numClasses: 4 });
    expect(target.dims).toEqual([1, 4, 2, 2]);
    expect([...target.data]).toEqual([0, 1, 0, 0, /* c1 */ 0, 0, 0, 1, /* c2 */ 0, 0, 0, 0, /* c3 */ 1, 0, 0, 0]);
    expect([...weight.data]).toEqual([1, 1, 0, 1]);
    expect(() => targetFeeds({ image, labels: [0], numClasses: 4 })).toThrow(/labels/);
  });

  it("round-trips PEFT tensors and takes a step through any runner", async () => {
    const p = initLora(slots, 2, 4, Math.random);
    const q = loraFromTensors(slots, 2, 4, loraTensors(p));
    expect(parameterList(q)).toEqual(parameterList(p));
    const runner: InferenceRunner = {
      backend: "fake",
      run: async (feeds) => ({
        loss: { data: Float32Array.of(0.5), dims: [] },
        ...Object.fromEntries(slots.flatMap((s) => [s.inputA, s.inputB]).map((n) => [`grad.${n}`, { data: new Float32Array(feeds[n].data.length).fill(1), dims: feeds[n].dims }])),
      }),
    };
    const before = Float32Array.from(q.modules[0].B);
    const loss = await trainStep(runner, q, { image, labels: [0, 1, 2, 3], numClasses: 4 }, adamwInit(parameterList(q)), { lr: 0.1, weightDecay: 0 });
    expect(loss).toBe(0.5);
    expect(q.modules[0].B[0]).toBeCloseTo(before[0] - 0.1, 6); // Adam's first step: lr * sign(g)
  });

  it("leaves a frozen slot at the base: no step, not saved, the same random stream", async () => {
    const free = initLora(slots, 2, 4, () => 0.75);
    const p = initLora(slots, 2, 4, () => 0.75, (m) => m.startsWith("down.0"));
    expect(p.modules.map((m) => m.frozen)).toEqual([true, false]);
    expect(p.modules[1].A).toEqual(free.modules[1].A);
    const runner: InferenceRunner = {
      backend: "fake",
      run: async (feeds) => ({
        loss: { data: Float32Array.of(0.5), dims: [] },
        ...Object.fromEntries(slots.flatMap((s) => [s.inputA, s.inputB]).map((n) => [`grad.${n}`, { data: new Float32Array(feeds[n].data.length).fill(1), dims: feeds[n].dims }])),
      }),
    };
    await trainStep(runner, p, { image, labels: [0, 1, 2, 3], numClasses: 4 }, adamwInit(parameterList(p)), { lr: 0.1, weightDecay: 0 });
    expect(p.modules[0].B.every((v) => v === 0)).toBe(true);
    expect(p.modules[1].B[0]).toBeCloseTo(-0.1, 6);
    expect(Object.keys(loraTensors(p))).toEqual(["base_model.model.head.lora_A.weight", "base_model.model.head.lora_B.weight"]);
  });
});
