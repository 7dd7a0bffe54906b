// An int8 base against the float one (issue 13: "an int8-quantised base if its mean Dice on every
// real scan stays within 0.5 points"): builds both slotless graphs (training/quantise.py),
// calibrates the int8 activations on the four sample scans through the app's own pipeline, and
// times one batch (4 slices of 3×192×192) of each in onnxruntime-node and in headless Chromium
// (WASM, 1 and 2 threads; alternated, three rounds, as two-thread WASM times drift here).
// Dice: `npx siteseg evaluate --model bench/results/int8/{float,int8} ...` on each scan. Not part
// of `npm run bench`; numbers in BENCHMARKS.md ("An int8 base").
//   npx tsx bench/int8.ts
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import * as ort from "onnxruntime-node";
import { readModel, readScan } from "../src/cli/common";
import { segment } from "../src/core/pipeline/segment";
import type { InferenceRunner } from "../src/core/pipeline/runner";
import { browserBatch } from "./browser-batch";
import { median } from "./machine";

const root = resolve(import.meta.dirname, "..");
const out = resolve(root, "bench/results/int8");
const dirs = { float: resolve(out, "float"), int8: resolve(out, "int8") };
const python = (...args: string[]) => {
  const r = spawnSync("/usr/bin/python3", [resolve(root, "training/quantise.py"), ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  console.log(r.stdout.trim());
};
python("plain", dirs.float);

// calibration: every batch of one pass over each sample scan, as the app builds them
const tensors: string[] = JSON.parse(readFileSync(resolve(dirs.float, "calibration/tensors.json"), "utf8"));
const probe = await ort.InferenceSession.create(resolve(dirs.float, "calibration/model.onnx"), { executionProviders: ["cpu"], intraOpNumThreads: 2 });
const ranges = Object.fromEntries(tensors.map((t) => [t, { min: Infinity, max: -Infinity }]));
const calibrating: InferenceRunner = {
  backend: "calibration",
  async run(feeds) {
    const o = await probe.run({ image: new ort.Tensor("float32", feeds.image.data, feeds.image.dims) });
    for (const t of tensors) {
      const r = ranges[t];
      for (const v of o[t].data as Float32Array) {
        if (v < r.min) r.min = v;
        if (v > r.max) r.max = v;
      }
    }
    return { logits: { data: o.logits.data as Float32Array, dims: [...o.logits.dims] } };
  },
};
const { manifest } = await readModel(dirs.float);
for (const f of ["niivue-t1/norm.mgz", "fpg-t2/t2.nii.gz", "synth-pd/pd.nii.gz", "synth-flair/flair.nii.gz"]) {
  await segment(await readScan(resolve(root, "public/samples", f), "scan"), manifest, calibrating, { options: [] });
}
writeFileSync(resolve(out, "ranges.json"), JSON.stringify(ranges, null, 1));
python("int8", dirs.float, resolve(out, "ranges.json"), dirs.int8);

// one batch, onnxruntime-node, 2 threads, median of 15
let seed = 1;
const image = Float32Array.from({ length: 4 * 3 * 192 * 192 }, () => (seed = (seed * 16807) % 2147483647) / 2147483647);
const nodeMs: Record<string, number> = {};
for (const [name, dir] of Object.entries(dirs)) {
  const s = await ort.InferenceSession.create(resolve(dir, "model.onnx"), { executionProviders: ["cpu"], intraOpNumThreads: 2, graphOptimizationLevel: "all" });
  const feeds = { image: new ort.Tensor("float32", image, [4, 3, 192, 192]) };
  await s.run(feeds);
  const t: number[] = [];
  for (let i = 0; i < 15; i++) {
    const a = performance.now();
    await s.run(feeds);
    t.push(performance.now() - a);
  }
  nodeMs[name] = t.sort((a, b) => a - b)[7];
}
const wasm: Record<string, Record<string, number[]>> = { float: { 1: [], 2: [] }, int8: { 1: [], 2: [] } };
for (let round = 0; round < 3; round++) {
  for (const [name, dir] of Object.entries(dirs)) {
    const b = await browserBatch(root, dir);
    if (!b) break;
    for (const n of ["1", "2"]) wasm[name][n].push(b.wasmMs[n]);
  }
}
const summary = { nodeMs, wasmMs: Object.fromEntries(Object.entries(wasm).map(([k, v]) => [k, { 1: v[1], 2: v[2], median1: median(v[1]), median2: median(v[2]) }])) };
writeFileSync(resolve(out, "times.json"), JSON.stringify(summary, null, 1));
console.log(JSON.stringify(summary));
