// npm run bench: timings of the shared pipeline with onnxruntime-node on real scans.
// Writes bench/results/<date>.json and appends a table to BENCHMARKS.md (machine and date included).
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { resolve } from "node:path";
import { readVolume } from "../src/core/io";
import { loadModel } from "../src/core/manifest";
import { segment } from "../src/core/pipeline/segment";
import { createNodeRunner } from "../src/runtime/ort-node";
import { DATA_DIR } from "../src/test/data";

const root = resolve(import.meta.dirname, "..");
const modelDir = resolve(root, "public/models/siteseg-tissue");
const scans = ["niivue_fs/norm.mgz", "spm152/avg152T1.nii", "torchio_fpg/t2.nii.gz"];
const threads = Number(process.env.BENCH_THREADS ?? 2);

const { manifest, onnx } = await loadModel(async (p) => new Uint8Array(readFileSync(resolve(modelDir, p))));
let t = performance.now();
const runner = await createNodeRunner(onnx, threads);
const sessionMs = performance.now() - t;
const rows: Record<string, number | string>[] = [];
for (const rel of scans) {
  const path = resolve(DATA_DIR, rel);
  if (!existsSync(path)) {
    console.warn(`skip ${rel}: not found under ${DATA_DIR}`);
    continue;
  }
  t = performance.now();
  const scan = readVolume(new Uint8Array(readFileSync(path)), path);
  const readMs = performance.now() - t;
  const r = await segment(scan, manifest, runner);
  rows.push({ scan: rel, dims: scan.dims.join("×"), slices: r.slices, readMs, ...Object.fromEntries(Object.entries(r.ms).map(([k, v]) => [`${k}Ms`, v])) });
  console.log(rows[rows.length - 1]);
}
const machine = `${cpus()[0]?.model ?? "cpu"} ×${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`;
const date = new Date().toISOString();
mkdirSync(resolve(root, "bench/results"), { recursive: true });
writeFileSync(resolve(root, `bench/results/${date.slice(0, 19).replace(/:/g, "-")}.json`), JSON.stringify({ date, machine, threads, model: manifest.id, sessionMs, rows }, null, 2));
const table = [
  `\n## ${date.slice(0, 10)} — onnxruntime-node CPU, ${threads} threads, ${machine}, model ${manifest.id} ${manifest.version}`,
  "",
  `Session creation: ${sessionMs.toFixed(0)} ms.`,
  "",
  "| scan | dims | slices | read ms | preprocess ms | inference ms | postprocess ms | total ms |",
  "| --- | --- | --- | --- | --- | --- | --- | --- |",
  ...rows.map((r) => `| ${r.scan} | ${r.dims} | ${r.slices} | ${(+r.readMs).toFixed(0)} | ${(+r.preprocessMs).toFixed(0)} | ${(+r.inferenceMs).toFixed(0)} | ${(+r.postprocessMs).toFixed(0)} | ${(+r.totalMs).toFixed(0)} |`),
  "",
].join("\n");
if (!existsSync(resolve(root, "BENCHMARKS.md"))) writeFileSync(resolve(root, "BENCHMARKS.md"), "# Benchmarks\n\nWritten by `npm run bench` (appends one section per run).\n");
appendFileSync(resolve(root, "BENCHMARKS.md"), table);
await runner.dispose();
