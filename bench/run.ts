// npm run bench: timings of the shared pipeline with onnxruntime-node on real scans.
// Writes bench/results/<date>.json and appends a table to BENCHMARKS.md (machine and date included).
import { spawnSync } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { readVolume } from "../src/core/io";
import { loadAdapter, zeroFeeds } from "../src/core/adapters";
import { adaptSite } from "../src/core/adapt";
import { loadModel, loadTrainStep } from "../src/core/manifest";
import { segment } from "../src/core/pipeline/segment";
import { createNodeRunner } from "../src/runtime/ort-node";
import { sessionsCreated } from "../src/runtime/session";
import { parseSampleIndex } from "../src/core/samples";
import { pairFiles, reportIdentities, runStudy, scoredClasses, studyJson, studyModel, studyReportHtml } from "../src/core/study";
import { DATA_DIR } from "../src/test/data";
import { doneSeconds } from "./app-browser";
import { browserBatch } from "./browser-batch";
import { browserMemory, memoryLine } from "./browser-memory";
import { browserTraining } from "./browser-train";
import { browserFetal, cliFetalStudy, fetalLines, nodeFetalTraining, type CliFetalStudy } from "./fetal";
import { loadAverage, machine as machineName, QUICK } from "./machine";

const root = resolve(import.meta.dirname, "..");
const modelDir = resolve(root, "public/models/siteseg-tissue");
// the last is the app's built-in sample (cropped): what the Chromium runs below segment
const SAMPLE = "public/samples/niivue-t1/norm.mgz";
const scans = ["niivue_fs/norm.mgz", "spm152/avg152T1.nii", "torchio_fpg/t2.nii.gz", SAMPLE];
const threads = Number(process.env.BENCH_THREADS ?? 2);
// what else ran on the machine meanwhile (issue 23's hygiene): uptime's load averages before and after
const loadBefore = loadAverage();

const { manifest, onnx } = await loadModel(async (p) => new Uint8Array(readFileSync(resolve(modelDir, p))));
let t = performance.now();
const runner = await createNodeRunner(onnx, threads);
const sessionMs = performance.now() - t;
const rows: Record<string, number | string>[] = [];
for (const rel of scans) {
  const path = rel === SAMPLE ? resolve(root, rel) : resolve(DATA_DIR, rel);
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
// The sample again with one pass (--options none): the CLI's side of the comparison with the app on
// WASM, where the mirrored pass is off by default (the manifest's offByDefaultOn).
const onePass = await (async () => {
  t = performance.now();
  const scan = readVolume(new Uint8Array(readFileSync(resolve(root, SAMPLE))), SAMPLE);
  const r = await segment(scan, manifest, runner, { options: [] });
  if (r.passes !== 1) throw new Error("--options none ran more than one pass");
  return performance.now() - t;
})();
console.log({ onePass });
// Adapter switching: parse + fit each shipped adapter, then one batch with its tensors on the
// same session (the session is never recreated: the count of sessions created stays put).
const adapterRows: { name: string; parameters: number; loadMs: number; firstBatchMs: number; baseBatchMs: number }[] = [];
const probe = { data: new Float32Array(4 * 3 * 192 * 192).fill(0.5), dims: [4, 3, 192, 192] };
const batch = async (feeds: Record<string, { data: Float32Array; dims: number[] }>) => {
  const t0 = performance.now();
  await runner.run({ [manifest.input.inputName]: probe, ...feeds });
  return performance.now() - t0;
};
await batch(zeroFeeds(manifest)); // warm-up
const sessionsBefore = sessionsCreated();
for (const a of manifest.adapters.shipped) {
  const dir = resolve(modelDir, a.path);
  t = performance.now();
  const adapter = loadAdapter(a.name, readFileSync(resolve(dir, "adapter_config.json")), readFileSync(resolve(dir, "adapter_model.safetensors")), manifest);
  const loadMs = performance.now() - t;
  const baseBatchMs = await batch(zeroFeeds(manifest));
  const firstBatchMs = await batch(adapter.feeds);
  adapterRows.push({ name: a.name, parameters: adapter.parameters, loadMs, firstBatchMs, baseBatchMs });
  console.log(adapterRows[adapterRows.length - 1]);
}
if (sessionsCreated() !== sessionsBefore) throw new Error("an adapter switch created a session");

// The hardware and the alternative on the same batch: the network's FLOPs, PyTorch on the CPU
// (bench/torch_cpu.py, the shipped weights) and a matrix-multiply peak, with the same threads.
const ortTimes: number[] = [];
for (let i = 0; i < 10; i++) ortTimes.push(await batch(zeroFeeds(manifest)));
const hardware = (() => {
  const ms = ortTimes.sort((a, b) => a - b)[5];
  const r = spawnSync("/usr/bin/python3", [resolve(root, "bench/torch_cpu.py"), "--threads", String(threads)], { encoding: "utf8" });
  if (r.status !== 0) return { ortBatchMs: ms, torch: null, why: (r.stderr || r.error?.message || "").trim().split("\n").pop() };
  const t = JSON.parse(r.stdout.trim().split("\n").pop()!) as { flops: number; torchMs: number; matmulGflops: number; torch: string };
  return { ortBatchMs: ms, torch: t, why: "" };
})();
console.log({ hardware });

// The site study over the built-in sample sites (what "Use the sample sites" runs in the app):
// base and site adapter on each, the same session throughout.
const samplesDir = resolve(root, "public/samples");
const samples = parseSampleIndex(JSON.parse(readFileSync(resolve(samplesDir, "index.json"), "utf8")));
const { cases } = pairFiles(samples.flatMap((s) => [s.image, s.label]), "samples");
t = performance.now();
const studyResults = await runStudy(cases, {
  manifest,
  readFile: async (p) => new Uint8Array(readFileSync(resolve(samplesDir, p))),
  segment: async (scan, adapter) => (await segment(scan, manifest, runner, { adapterFeeds: adapter?.feeds })).labels,
  adapterFor: async (site) => {
    const a = manifest.adapters.shipped.find((x) => x.site === site || x.name === site);
    if (!a) return null;
    const dir = resolve(modelDir, a.path);
    return loadAdapter(a.name, readFileSync(resolve(dir, "adapter_config.json")), readFileSync(resolve(dir, "adapter_model.safetensors")), manifest);
  },
});
const studyMs = performance.now() - t;
// the report (studyReportHtml) of that study, as the CLI's --report and the app's Export report make it
t = performance.now();
const reportHtml = studyReportHtml(studyJson(studyModel(manifest), scoredClasses(manifest), studyResults), { date: new Date().toISOString(), ...reportIdentities(manifest) });
const study = { cases: studyResults.length, runs: studyResults.filter((r) => r.base).length + studyResults.filter((r) => r.adapted).length, ms: studyMs, reportMs: performance.now() - t, reportKiB: reportHtml.length / 1024 };
console.log({ study });

// Training the default adapter (train_adapter.py's recipe: 10 slices, 300 steps of 8 crops of
// 128²) on the niivue T1 sample with the train-step graph, as `siteseg adapt` does; peak memory
// sampled while it runs.
const niivue = samples.find((s) => s.id === "niivue-t1")!;
const trainScan = readVolume(new Uint8Array(readFileSync(resolve(samplesDir, niivue.image))), niivue.image);
const trainRef = readVolume(new Uint8Array(readFileSync(resolve(samplesDir, niivue.label))), niivue.label);
const trainRunner = await createNodeRunner(await loadTrainStep(async (p) => new Uint8Array(readFileSync(resolve(modelDir, p))), manifest), threads);
let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);
t = performance.now();
const adapted = await adaptSite({
  scan: trainScan, reference: trainRef, convention: niivue.convention, manifest, trainStep: trainRunner, model: runner,
  segment: async (scan, feeds) => (await segment(scan, manifest, runner, { adapterFeeds: feeds })).labels,
  site: "bench", description: "bench", images: [niivue.image], sourceSha256: [""], tool: "bench",
});
const training = { slices: adapted.holdout.indices.length, steps: adapted.losses.length, ms: performance.now() - t, peakRssMiB: peakRss / 2 ** 20, heldOut: adapted.heldOut[0] };
clearInterval(sampler);
await trainRunner.dispose();
console.log({ training });

// Training from 3 cases of the fetal sample site (the Site study's training: its ticked cases, the
// default recipe, 10 slices a case) in this process; peak RSS sampled meanwhile (bench/fetal.ts).
const fetalNode = await nodeFetalTraining(root, manifest, runner, threads).catch((e: unknown) => (console.warn("fetal training in Node failed:", e), null));
console.log({ fetalNode });

// Peak memory of a whole CLI segmentation of the 256³ T1, in a process of its own (GNU time's max RSS).
const cliPeak = (() => {
  if (!existsSync("/usr/bin/time")) return null;
  const r = spawnSync("/usr/bin/time", ["-f", "%M", "node", resolve(root, "bin/siteseg.mjs"), "segment", "--image", resolve(DATA_DIR, "niivue_fs/norm.mgz"), "--out", resolve(root, "bench/results/norm_mask.nii.gz"), "--threads", String(threads)], { encoding: "utf8" });
  const kib = Number(r.stderr.trim().split("\n").pop());
  return r.status === 0 && kib > 0 ? kib / 1024 : null;
})();
console.log({ cliPeak });

// The fetal sample study (8 cases, base + adapter fetal-sb) through `siteseg study`, in a process of its own.
let fetalCli: CliFetalStudy | null = null;
try {
  fetalCli = cliFetalStudy(root, threads);
} catch (e) {
  console.warn("fetal study through the CLI failed:", e);
}
console.log({ fetalCli });

// The same training in headless Chromium (WASM), when the app is built and Chromium is at hand.
const browserBatchMs = await browserBatch(root).catch((e: unknown) => (console.warn("browser batch bench failed:", e), null));
console.log({ browserBatchMs });
const browser = await browserTraining(root).catch((e: unknown) => (console.warn("browser training bench failed:", e), null));
console.log({ browser });
const memory = await browserMemory(root).catch((e: unknown) => (console.warn("browser memory bench failed:", e), null));
console.log({ memory });
// The fetal site's training from 3 cases and its study of 8, through the app's Site study.
const fetalBrowser = await browserFetal(root).catch((e: unknown) => (console.warn("fetal bench in Chromium failed:", e), null));
console.log(JSON.stringify({ fetalBrowser }));
const load = { before: loadBefore, after: loadAverage() };
console.log({ load });

const machine = machineName();
const date = new Date().toISOString();
mkdirSync(resolve(root, "bench/results"), { recursive: true });
if (!QUICK) writeFileSync(resolve(root, `bench/results/${date.slice(0, 19).replace(/:/g, "-")}.json`), JSON.stringify({ date, machine, threads, model: manifest.id, sessionMs, rows, onePassSampleMs: onePass, adapterRows, hardware, browserBatch: browserBatchMs, study, training, browser, memory, cliPeakMiB: cliPeak, fetal: { node: fetalNode, cli: fetalCli, browser: fetalBrowser }, load }, null, 2));
const sampleRow = rows.find((r) => r.scan === SAMPLE);
const sampleNodeMs = sampleRow ? Number(sampleRow.readMs) + Number(sampleRow.totalMs) : NaN;
const table = [
  `\n## ${date.slice(0, 10)} — onnxruntime-node CPU, ${threads} threads, ${machine}, model ${manifest.id} ${manifest.version}`,
  "",
  `Machine load (uptime's 1, 5, 15 minute load averages): ${load.before} before the run, ${load.after} after.`,
  "",
  `Session creation: ${sessionMs.toFixed(0)} ms.`,
  "",
  "| scan | dims | slices | read ms | preprocess ms | inference ms | postprocess ms | total ms |",
  "| --- | --- | --- | --- | --- | --- | --- | --- |",
  ...rows.map((r) => `| ${r.scan} | ${r.dims} | ${r.slices} | ${(+r.readMs).toFixed(0)} | ${(+r.preprocessMs).toFixed(0)} | ${(+r.inferenceMs).toFixed(0)} | ${(+r.postprocessMs).toFixed(0)} | ${(+r.totalMs).toFixed(0)} |`),
  "",
  "Adapter switch (same session; load = parse safetensors + check against the manifest + build feeds; a batch is 4 slices of 192×192):",
  "",
  "| adapter | parameters | load ms | batch ms with it | batch ms base |",
  "| --- | --- | --- | --- | --- |",
  ...adapterRows.map((a) => `| ${a.name} | ${a.parameters} | ${a.loadMs.toFixed(1)} | ${a.firstBatchMs.toFixed(0)} | ${a.baseBatchMs.toFixed(0)} |`),
  "",
  hardware.torch
    ? `The same batch (4 slices of 3×192×192): ${(hardware.torch.flops / 1e9).toFixed(2)} GFLOP of convolutions (${(hardware.torch.flops / 4e9).toFixed(2)} per slice). onnxruntime-node ${hardware.ortBatchMs.toFixed(0)} ms (median of 10) = ${(hardware.torch.flops / hardware.ortBatchMs / 1e6).toFixed(0)} GFLOP/s, ${((100 * hardware.torch.flops) / hardware.ortBatchMs / 1e6 / hardware.torch.matmulGflops).toFixed(0)}% of this machine's matrix-multiply peak (torch.matmul 1024², ${threads} threads: ${hardware.torch.matmulGflops.toFixed(0)} GFLOP/s); PyTorch ${hardware.torch.torch} on the CPU, same network and weights, ${threads} threads: ${hardware.torch.torchMs.toFixed(0)} ms (onnxruntime-node is ${(hardware.torch.torchMs / hardware.ortBatchMs).toFixed(2)}× as fast).`
    : `PyTorch comparison: not measured (${hardware.why}).`,
  "",
  browserBatchMs
    ? `The same batch in headless Chromium, onnxruntime-web WASM (\`bench/browser-batch.ts\`, median of 7): 1 thread ${browserBatchMs.wasmMs[1].toFixed(0)} ms, 2 threads ${browserBatchMs.wasmMs[2].toFixed(0)} ms (${(browserBatchMs.wasmMs[1] / browserBatchMs.wasmMs[2]).toFixed(2)}× from the second thread); onnxruntime-node is ${(browserBatchMs.wasmMs[2] / hardware.ortBatchMs).toFixed(1)}× as fast on the same cores (WASM's 128-bit SIMD against native AVX2/FMA kernels). WebNN CPU: ${browserBatchMs.webnn}. WebGPU: ${browserBatchMs.webgpu}${/software|no adapter/.test(browserBatchMs.webgpu) ? ", not timed (a software adapter says nothing about a GPU)" : ""}.`
    : "Chromium batch: not measured (no Chromium).",
  "",
  `Adapter training, default recipe (${training.slices} slices of the niivue T1 sample, ${training.steps} steps, then held-out scoring: two whole-volume segmentations): ${(training.ms / 1000).toFixed(1)} s; peak RSS of the process ${training.peakRssMiB.toFixed(0)} MiB; held-out mean Dice ${training.heldOut.base?.toFixed(3)} → ${training.heldOut.adapter?.toFixed(3)}.`,
  "",
  browser
    ? `The same training in headless Chromium (WASM, the app's Train adapter): ${browser.steps} steps in ${(browser.ms / 1000).toFixed(1)} s from pressing Train adapter (target 60 s, issue 25; the first step after ${(browser.firstStepMs / 1000).toFixed(1)} s of set-up); Chromium's memory (PSS of all its processes) ${browser.idleMiB.toFixed(0)} MiB with the sample open, peak ${browser.peakMiB.toFixed(0)} MiB while training and scoring. ${browser.heldOut}`
    : "Headless Chromium training: not measured (build the app with `npm run build` and install Chromium).",
  "",
  cliPeak ? `Peak memory of \`siteseg segment\` on niivue_fs/norm.mgz (256³, its own process, max RSS): ${cliPeak.toFixed(0)} MiB.` : "CLI peak memory: not measured (no /usr/bin/time).",
  "",
  browser
    ? `Segmenting the niivue T1 sample in headless Chromium (WASM), the app's default passes there (${browser.passes.defaultPasses}): the first mask slices on screen ${(browser.segmentation.firstSlicesMs / 1000).toFixed(1)} s after pressing Segment; the app says "${browser.segmentation.status}" (inference ${browser.segmentation.inferenceS.toFixed(1)} s of the ${browser.segmentation.runS.toFixed(1)} s run), mean Dice ${browser.passes.defaultDice}; onnxruntime-node reads and segments the same file with the same one pass in ${(onePass / 1000).toFixed(1)} s: the browser's wait is ${(doneSeconds(browser.segmentation.status) / (onePass / 1000)).toFixed(1)}× it (target 2×, and 8 s). With the mirrored pass switched on (${browser.passes.mirrored.passes}), "${browser.passes.mirrored.status}", mean Dice ${browser.passes.mirrored.dice}; the CLI's default (the same two passes) ${(sampleNodeMs / 1000).toFixed(1)} s (table above): ${(doneSeconds(browser.passes.mirrored.status) / (sampleNodeMs / 1000)).toFixed(1)}×. Chromium's peak PSS meanwhile ${browser.segmentation.peakMiB.toFixed(0)} MiB; the page's main thread had ${browser.segmentation.longTasks} long tasks (over 50 ms), the longest ${browser.segmentation.longestTaskMs.toFixed(0)} ms (target: none over 50 ms). Opening the sample (the scan's first drawing included): ${browser.segmentation.opening.longTasks} long tasks, the longest ${browser.segmentation.opening.longestTaskMs.toFixed(0)} ms. The default with \`?threads=1\` (${browser.oneThread.backend.replace(/^Backend:\s*/, "")}): "${browser.oneThread.status}".`
    : "",
  "",
  memory ? memoryLine(memory) : "Chromium's memory for a 256³ scan: not measured (build the app, install Chromium, and have ../shared/data).",
  "",
  `Site study over the ${study.cases} sample sites (public/samples; base + site adapter each, ${study.runs} runs, one session, files read and scored included): ${(study.ms / 1000).toFixed(1)} s; its HTML report (\`studyReportHtml\`, ${study.reportKiB.toFixed(0)} KiB) in ${study.reportMs.toFixed(1)} ms.`,
  "",
  ...fetalLines({ node: fetalNode, cli: fetalCli, browser: fetalBrowser }, threads),
].join("\n");
if (QUICK) {
  // BENCH_QUICK=1 shortens only the fetal part (bench/fetal.ts): a smoke run, printed, not recorded
  console.log(table);
  await runner.dispose();
  process.exit(0);
}
if (!existsSync(resolve(root, "BENCHMARKS.md"))) writeFileSync(resolve(root, "BENCHMARKS.md"), "# Benchmarks\n\nWritten by `npm run bench` (appends one section per run).\n");
appendFileSync(resolve(root, "BENCHMARKS.md"), table);
await runner.dispose();
