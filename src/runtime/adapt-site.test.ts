import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { adaptSite } from "../core/adapt";
import { loadModel, loadTrainStep } from "../core/manifest";
import { segment } from "../core/pipeline/segment";
import type { Volume } from "../core/volume/types";
import { createNodeRunner } from "./ort-node";

// adaptSite's held-out scoring with the real model and training graph, on a small phantom site.
const modelDir = resolve(import.meta.dirname, "../../public/models/siteseg-tissue");
const read = async (p: string) => new Uint8Array(readFileSync(resolve(modelDir, p)));
const model = await loadModel(read);
const { manifest } = model;

// 40×40×24 voxels, 1 mm: a WM core in a GM shell in a CSF rim; the label map in the model's classes
const dims: [number, number, number] = [40, 40, 24];
const affine = [1, 0, 0, -20, 0, 1, 0, -20, 0, 0, 1, -12, 0, 0, 0, 1];
const classOf = (i: number, j: number, k: number) => {
  const r = Math.hypot((i - 19.5) / 17, (j - 19.5) / 15, (k - 11.5) / 11);
  return r < 0.45 ? 3 : r < 0.75 ? 2 : r < 0.9 ? 1 : 0;
};
const labels = new Uint8Array(dims[0] * dims[1] * dims[2]);
for (let k = 0; k < dims[2]; k++) for (let j = 0; j < dims[1]; j++) for (let i = 0; i < dims[0]; i++) labels[i + dims[0] * (j + dims[1] * k)] = classOf(i, j, k);
const scan: Volume = { dims, affine, data: Float32Array.from(labels, (c) => [0, 25, 70, 110][c]) };
const reference: Volume = { dims, affine, data: labels };

describe("adaptSite's held-out scores", () => {
  it("scores the base on the mask the caller already has (no second base run), the adapter on a fresh run", async () => {
    const trainStep = await createNodeRunner(await loadTrainStep(read, manifest), 2);
    const runner = await createNodeRunner(model.onnx, 2);
    const runs: string[] = [];
    const job = {
      scan, reference, convention: "classes", manifest, slices: [4], gap: 5,
      train: { steps: 1, batch: 2, anchor: 1, crop: 32 },
      trainStep, model: runner,
      segment: async (s: Volume, feeds: unknown) => {
        runs.push(feeds ? "adapter" : "base");
        return (await segment(s, manifest, runner, feeds ? { adapterFeeds: feeds as never } : {})).labels;
      },
      site: "phantom", description: "test", images: ["phantom.nii"], sourceSha256: ["0".repeat(64)], tool: "test",
    };
    const fresh = await adaptSite(job);
    expect(runs).toEqual(["base", "adapter"]);
    expect(fresh.runtime).toBe("cpu");
    expect(JSON.parse(new TextDecoder().decode(fresh.files.config)).provenance.runtime).toBe("cpu");

    // given the base's own mask, the base score is the same and the base is not run again
    runs.length = 0;
    const baseMask = (await segment(scan, manifest, runner)).labels;
    const reused = await adaptSite({ ...job, baseMask });
    expect(runs).toEqual(["adapter"]);
    expect(reused.heldOut[0].base).toBeCloseTo(fresh.heldOut[0].base!, 6);
    expect(reused.heldOut[0].slices).toBe(fresh.heldOut[0].slices);

    // and it is that mask that is scored: an empty one scores no overlap
    const empty = await adaptSite({ ...job, baseMask: { ...baseMask, data: new Uint8Array(baseMask.data.length) } });
    expect(empty.heldOut[0].base ?? 0).toBe(0);
    expect(empty.heldOut[0].adapter).toBeGreaterThan(0);
    expect(empty.heldOut[0].adapter).toBeCloseTo(fresh.heldOut[0].adapter!, 6); // the same seeded adapter, run afresh
    await trainStep.dispose();
    await runner.dispose();
  }, 120_000);
});
