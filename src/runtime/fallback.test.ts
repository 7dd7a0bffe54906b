import { describe, expect, it } from "vitest";
import { parseManifest } from "../core/manifest";
import { CancelledError } from "../core/pipeline/runner";
import type { Volume } from "../core/volume/types";
import { segmentWithFallback, withCpuFallback } from "./fallback";
import type { SessionRunner } from "./session";

// Issue 12 part 6: a GPU failure mid-run (an op WebGPU lacks, the device lost) finishes on WASM.
const manifest = parseManifest({
  schemaVersion: 1, id: "t", name: "t", version: "0",
  files: { model: { path: "none", sha256: "0".repeat(64), bytes: 1 } },
  input: { orientation: "RAS", spacing: [1, 1, 1], sliceAxis: 2, contextSlices: 0, multipleOf: 4, maxSliceSize: [32, 32], batchSize: 2, inputName: "image", outputName: "logits" },
  preprocess: [{ kind: "percentileScale", lower: 0, upper: 100 }],
  classes: [{ index: 0, name: "background", color: [0, 0, 0] }, { index: 1, name: "thing", color: [255, 0, 0] }],
  labelConventions: ["classes"],
});
const scan: Volume = { dims: [8, 8, 4], affine: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], data: Float32Array.from({ length: 256 }, (_, i) => (i % 8 > 2 && i % 8 < 6 ? 100 : i % 8 === 7 ? 50 : 0)) };

const runner = (backend: string, fail?: Error): SessionRunner & { disposed: boolean } => ({
  backend,
  inputNames: ["image"],
  outputNames: ["logits"],
  disposed: false,
  async run(feeds) {
    if (fail) throw fail;
    const [n, , h, w] = feeds.image.dims;
    const out = new Float32Array(n * 2 * h * w);
    for (let b = 0; b < n; b++) for (let p = 0; p < h * w; p++) out[(b * 2 + 1) * h * w + p] = feeds.image.data[b * h * w + p] > 0.5 ? 5 : -5;
    return { logits: { data: out, dims: [n, 2, h, w] } };
  },
  async dispose() {
    this.disposed = true;
  },
});

describe("WebGPU failing mid-run", () => {
  it("finishes on the CPU runner, says so, and keeps using it", async () => {
    const gpu = runner("webgpu", new Error("device lost: GPU connection lost"));
    const { result, runner: now } = await segmentWithFallback(scan, manifest, gpu, async () => runner("wasm (2 threads)"));
    expect(result.backend).toBe("wasm (2 threads)");
    expect(now.backend).toBe("wasm (2 threads)");
    expect(gpu.disposed).toBe(true);
    expect(result.warnings[0]).toBe("WebGPU failed during the run (device lost: GPU connection lost); the scan was segmented on wasm (2 threads) instead, and later runs use it.");
    expect(result.labels.data.some((v) => v === 1)).toBe(true);
  });

  it("a WASM failure and a cancel are not retried", async () => {
    await expect(segmentWithFallback(scan, manifest, runner("wasm (2 threads)", new Error("out of memory")), async () => runner("wasm"))).rejects.toThrow("out of memory");
    await expect(segmentWithFallback(scan, manifest, runner("webgpu", new CancelledError()), async () => runner("wasm"))).rejects.toThrow(CancelledError);
  });
});

describe("the training step on WebGPU failing mid-training", () => {
  const echo = (backend: string, failOnCall?: number): SessionRunner & { calls: number; disposed: boolean } => ({
    backend,
    inputNames: ["x"],
    outputNames: ["y"],
    calls: 0,
    disposed: false,
    async run(feeds) {
      if (++this.calls === failOnCall) throw new Error("device lost\nmore detail");
      return { y: { data: feeds.x.data.map((v) => v * 2), dims: feeds.x.dims } };
    },
    async dispose() {
      this.disposed = true;
    },
  });
  const feeds = (v: number) => ({ x: { data: Float32Array.of(v), dims: [1] } });

  it("re-runs the failed step on the CPU runner and stays there, saying why", async () => {
    const gpu = echo("webgpu", 2);
    const cpu = echo("wasm (2 threads)");
    const r = withCpuFallback(gpu, async () => cpu);
    expect((await r.run(feeds(1))).y.data[0]).toBe(2);
    expect(r.backend).toBe("webgpu");
    expect(r.notice).toBeUndefined();
    expect((await r.run(feeds(3))).y.data[0]).toBe(6); // the failed call's own result, from the CPU
    expect(r.backend).toBe("wasm (2 threads)");
    expect(gpu.disposed).toBe(true);
    expect(r.notice).toBe("WebGPU failed during training (device lost); training went on on wasm (2 threads).");
    await r.run(feeds(4));
    expect([gpu.calls, cpu.calls]).toEqual([2, 2]);
  });

  it("a WASM failure and a cancel are thrown", async () => {
    await expect(withCpuFallback(echo("wasm", 1), async () => echo("wasm")).run(feeds(1))).rejects.toThrow("device lost");
    const cancelled: SessionRunner = { ...echo("webgpu"), run: async () => Promise.reject(new CancelledError()) };
    await expect(withCpuFallback(cancelled, async () => echo("wasm")).run(feeds(1))).rejects.toThrow(CancelledError);
  });
});
