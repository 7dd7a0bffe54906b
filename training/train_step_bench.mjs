// Time one train_step.onnx run (loss + LoRA gradients) against one model.onnx forward in
// onnxruntime-node.   node training/train_step_bench.mjs [batch=8] [size=128] [threads=2]
import { readFileSync } from "node:fs";
import * as ort from "onnxruntime-node";

const [N, S, threads] = [8, 128, 2].map((d, i) => Number(process.argv[2 + i] ?? d));
const dir = new URL("../public/models/siteseg-tissue/", import.meta.url);
const manifest = JSON.parse(readFileSync(new URL("manifest.json", dir), "utf8"));
const R = manifest.adapters.maxRank;
const r = 2;
const rand = (n, scale) => Float32Array.from({ length: n }, () => (Math.random() * 2 - 1) * scale);
const feeds = { image: new ort.Tensor("float32", rand(N * 3 * S * S, 1).map(Math.abs), [N, 3, S, S]) };
for (const s of manifest.adapters.slots) {
  const a = new Float32Array(R * s.inFeatures * 9), b = new Float32Array(s.outFeatures * R);
  a.set(rand(r * s.inFeatures * 9, 0.05));
  for (let o = 0; o < s.outFeatures; o++) for (let k = 0; k < r; k++) b[o * R + k] = (Math.random() - 0.5) * 0.1;
  feeds[s.inputA] = new ort.Tensor("float32", a, [R, s.inFeatures, 3, 3]);
  feeds[s.inputB] = new ort.Tensor("float32", b, [s.outFeatures, R, 1, 1]);
}
const target = new Float32Array(N * 4 * S * S);
for (let n = 0; n < N; n++) for (let p = 0; p < S * S; p++) target[(n * 4 + Math.floor(Math.random() * 4)) * S * S + p] = 1;
const trainFeeds = { ...feeds, target: new ort.Tensor("float32", target, [N, 4, S, S]), weight: new ort.Tensor("float32", new Float32Array(N * S * S).fill(1), [N, 1, S, S]) };

async function time(file, f, reps = 5) {
  const session = await ort.InferenceSession.create(readFileSync(new URL(file, dir)), { executionProviders: ["cpu"], intraOpNumThreads: threads, graphOptimizationLevel: "all" });
  await session.run(f); // warm-up
  const ts = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await session.run(f);
    ts.push(performance.now() - t0);
  }
  await session.release();
  ts.sort((a, b) => a - b);
  return ts[Math.floor(ts.length / 2)];
}
// the same adapter at its own rank r: the train-step graph's rank dimension is free
const own = { ...trainFeeds };
for (const s of manifest.adapters.slots) {
  own[s.inputA] = new ort.Tensor("float32", feeds[s.inputA].data.slice(0, r * s.inFeatures * 9), [r, s.inFeatures, 3, 3]);
  own[s.inputB] = new ort.Tensor("float32", Float32Array.from({ length: s.outFeatures * r }, (_, i) => feeds[s.inputB].data[Math.floor(i / r) * R + (i % r)]), [s.outFeatures, r, 1, 1]);
}
const fwd = await time("model.onnx", feeds);
const step = await time("train_step.onnx", trainFeeds);
const stepOwn = await time("train_step.onnx", own);
console.log(`batch ${N}x3x${S}x${S}, ${threads} threads, median of 5: model.onnx forward ${fwd.toFixed(0)} ms; train_step.onnx (loss + gradients) ${step.toFixed(0)} ms at the slot rank ${R} (zero-padded), ${stepOwn.toFixed(0)} ms at the adapter's rank ${r}`);
