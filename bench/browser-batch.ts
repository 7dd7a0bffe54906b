// One batch of the shipped model (4 slices of 3×192×192, base) in headless Chromium with the
// onnxruntime-web the app bundles: WASM at 1 and 2 threads, and whether WebNN's CPU device and a
// WebGPU adapter are there (and which). The browser's side of "how far from native", measured on
// the very batch that bench/run.ts times in onnxruntime-node. Returns null without Chromium.
import { createServer } from "node:http";
import { existsSync, readFileSync } from "node:fs";
import { extname, join, resolve } from "node:path";
import { chromium } from "@playwright/test";

const PORT = 4178;
const TYPES: Record<string, string> = { ".html": "text/html", ".mjs": "text/javascript", ".wasm": "application/wasm", ".json": "application/json" };

// Runs in the page: loads ORT and the model, times the batch per thread count, probes WebNN and WebGPU.
const PAGE = `<!doctype html><script type="module">
import * as ort from "/ort/ort.all.min.mjs";
const man = await (await fetch("/model/manifest.json")).json();
const bytes = new Uint8Array(await (await fetch("/model/" + man.files.model.path)).arrayBuffer());
const N = 4, H = 192, W = 192, R = man.adapters.maxRank;
let seed = 1;
const image = Float32Array.from({ length: N * 3 * H * W }, () => ((seed = (seed * 16807) % 2147483647) / 2147483647));
const feeds = { [man.input.inputName]: new ort.Tensor("float32", image, [N, 3, H, W]) };
for (const s of man.adapters.slots) {
  feeds[s.inputA] = new ort.Tensor("float32", new Float32Array(R * s.inFeatures * 9), [R, s.inFeatures, 3, 3]);
  feeds[s.inputB] = new ort.Tensor("float32", new Float32Array(s.outFeatures * R), [s.outFeatures, R, 1, 1]);
}
const threads = Number(location.hash.slice(1)); // read when the first session starts the WASM runtime: one page per count
ort.env.wasm.numThreads = threads;
const session = await ort.InferenceSession.create(bytes, { executionProviders: ["wasm"] });
await session.run(feeds);
const times = [];
for (let i = 0; i < 7; i++) { const t = performance.now(); await session.run(feeds); times.push(performance.now() - t); }
const out = { wasmMs: { [threads]: times.sort((a, b) => a - b)[3] } };
try { await navigator.ml.createContext({ deviceType: "cpu" }); out.webnn = "available"; } catch (e) { out.webnn = String(e.message ?? e); }
try {
  const a = await navigator.gpu?.requestAdapter();
  out.webgpu = a ? (a.info?.architecture === "swiftshader" || a.info?.vendor === "google" ? "software (SwiftShader)" : [a.info?.vendor, a.info?.architecture].filter(Boolean).join(" ")) : "no adapter";
} catch (e) { out.webgpu = String(e.message ?? e); }
window.result = out;
</script>`;

export interface BrowserBatch {
  /** Median ms of one batch by WASM thread count. */
  wasmMs: Record<string, number>;
  webnn: string;
  webgpu: string;
}

/** `modelDir`: a model folder (manifest.json and its model), the shipped base unless given. */
export async function browserBatch(root: string, modelDir = resolve(root, "public/models/siteseg-tissue")): Promise<BrowserBatch | null> {
  const executablePath = process.env.CHROMIUM_PATH ?? (existsSync("/usr/bin/chromium") ? "/usr/bin/chromium" : undefined);
  if (!executablePath) return null;
  // ORT_WEB_DIST times another onnxruntime-web build (e.g. a newer release installed elsewhere) on the same batch
  const dirs: Record<string, string> = { ort: process.env.ORT_WEB_DIST ?? resolve(root, "node_modules/onnxruntime-web/dist"), model: modelDir };
  const server = createServer((req, res) => {
    const url = (req.url ?? "/").split(/[?#]/)[0];
    const [, top, ...rest] = url.split("/");
    try {
      const body = top in dirs ? readFileSync(join(dirs[top], ...rest)) : PAGE;
      // cross-origin isolated, as the app is: WASM threads need SharedArrayBuffer
      res.writeHead(200, { "content-type": top in dirs ? (TYPES[extname(url)] ?? "application/octet-stream") : "text/html", "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp" });
      res.end(body);
    } catch {
      res.writeHead(404);
      res.end();
    }
  }).listen(PORT);
  const browser = await chromium.launch({ executablePath, args: ["--no-sandbox", "--enable-unsafe-webgpu", "--enable-features=WebMachineLearningNeuralNetwork"] });
  try {
    const result: BrowserBatch = { wasmMs: {}, webnn: "", webgpu: "" };
    for (const threads of [1, 2]) {
      const page = await browser.newPage();
      await page.goto(`http://localhost:${PORT}/#${threads}`);
      const out = (await page.waitForFunction(() => (window as unknown as { result?: BrowserBatch }).result, null, { timeout: 300_000 }).then((h) => h.jsonValue())) as BrowserBatch;
      Object.assign(result.wasmMs, out.wasmMs);
      result.webnn = out.webnn;
      result.webgpu = out.webgpu;
      await page.close();
    }
    return result;
  } finally {
    await browser.close();
    server.close();
  }
}
