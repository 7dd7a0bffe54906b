// The inference worker: thin glue between messages and the shared core pipeline.
import { adaptSite } from "../core/adapt";
import { segmentSelfAdapting } from "../core/adapt/self";
import { contrastProfile } from "../core/adapters/profile";
import { checkGraphNames, loadModel, loadTrainStep, type Manifest, type ReadModelFile } from "../core/manifest";
import { modelFileReader } from "../runtime/model-source";
import { segment } from "../core/pipeline/segment";
import { segmentWithFallback, withCpuFallback } from "../runtime/fallback";
import { createWebRunner, openWithFallback, requestWasmThreads, type BackendPreference } from "../runtime/ort-web";
import type { SessionRunner } from "../runtime/session";
import type { WorkerRequest, WorkerResponse } from "./protocol";

const scope = self as unknown as { postMessage(m: WorkerResponse, transfer?: Transferable[]): void; onmessage: ((e: MessageEvent<WorkerRequest>) => void) | null };
type TrainStepRunner = SessionRunner & { readonly notice?: string };
let model: { manifest: Manifest; onnx: Uint8Array; runner: SessionRunner; sessionId: string; read: ReadModelFile; backend: BackendPreference; trainStep?: TrainStepRunner } | null = null;
let sessions = 0;

/** The training graph on WebGPU when the model runs there, else (or when WebGPU cannot open it) on WASM. */
async function openTrainStep(graph: Uint8Array, onGpu: boolean): Promise<TrainStepRunner> {
  const opened = await openWithFallback(onGpu ? "auto" : "wasm", async () => true, (ep) => createWebRunner(graph, ep));
  return withCpuFallback(opened, () => createWebRunner(graph, "wasm"), opened.notice);
}

async function handle(msg: WorkerRequest): Promise<void> {
  if (msg.type === "load") {
    await model?.runner.dispose();
    await model?.trainStep?.dispose();
    model = null;
    const read = modelFileReader(msg.source);
    const { manifest, onnx } = await loadModel(read);
    requestWasmThreads(msg.threads);
    const runner = await createWebRunner(onnx, msg.backend);
    try {
      checkGraphNames(manifest, runner);
    } catch (e) {
      await runner.dispose();
      throw e;
    }
    // unique across workers too: a cancelled run replaces the worker
    model = { manifest, onnx, runner, sessionId: `${performance.timeOrigin.toFixed(0)}-${++sessions}`, read, backend: msg.backend };
    scope.postMessage({ type: "loaded", id: msg.id, manifest, backend: runner.backend, notice: runner.notice });
  } else if (msg.type === "segment") {
    if (!model) throw new Error("No model is loaded yet");
    const m = model;
    const { result } = await segmentSelfAdapting(
      msg.scan, m.manifest,
      async (opts) => {
        const { result, runner } = await segmentWithFallback(msg.scan, m.manifest, m.runner, () => createWebRunner(m.onnx, "wasm"), opts);
        m.runner = runner; // WebGPU failed: WASM from now on
        return result;
      },
      { model: () => m.runner, trainStep: async () => (m.trainStep ??= await openTrainStep(await loadTrainStep(m.read, m.manifest), m.runner.backend.startsWith("webgpu"))) },
      {
        adapterFeeds: msg.adapterFeeds,
        options: msg.options,
        onProgress: (done, total) => scope.postMessage({ type: "progress", id: msg.id, done, total }),
        onPreview: msg.previews ? (labels) => scope.postMessage({ type: "preview", id: msg.id, labels }, [labels.buffer as ArrayBuffer]) : undefined,
        onStep: (step, loss) => scope.postMessage({ type: "trainProgress", id: msg.id, step, loss }),
        onPhase: (phase) => scope.postMessage({ type: "phase", id: msg.id, phase }),
      },
    );
    // the scan's contrast under its mask (the adapter picker's check), measured here: a pass over
    // the whole volume that the page's thread is spared
    const profile = contrastProfile(msg.scan.data, result.labels.data, m.manifest.classes.map((c) => c.name));
    scope.postMessage({ type: "segmented", id: msg.id, result, sessionId: model.sessionId, profile }, [result.labels.data.buffer as ArrayBuffer]);
  } else if (msg.type === "adapt") {
    if (!model) throw new Error("No model is loaded yet");
    const m = model;
    // The training graph is loaded on first use and kept with the model's session, on the model's
    // backend: WebGPU when the model runs there (WASM if WebGPU cannot open it or fails mid-training).
    m.trainStep ??= await openTrainStep(await loadTrainStep(m.read, m.manifest), m.runner.backend.startsWith("webgpu"));
    const result = await adaptSite({
      ...msg.job,
      manifest: m.manifest,
      trainStep: m.trainStep,
      model: m.runner,
      segment: async (scan, feeds) => (await segment(scan, m.manifest, m.runner, { adapterFeeds: feeds })).labels,
      tool: "siteseg (browser)",
      onStep: (step, loss) => scope.postMessage({ type: "trainProgress", id: msg.id, step, loss }),
    });
    const { files, holdout, cases, warnings, heldOut, losses, runtime } = result;
    scope.postMessage({ type: "adapted", id: msg.id, outcome: { files, holdout, cases, warnings, heldOut, losses, runtime, notice: m.trainStep.notice } }, [files.config.buffer as ArrayBuffer, files.weights.buffer as ArrayBuffer]);
  }
}

// One request at a time, in the order sent: two loads in quick succession (a model picked while
// another loads) would otherwise both run, and the slower, older one would end as the model held.
let queue: Promise<void> = Promise.resolve();
scope.onmessage = (e) => {
  queue = queue.then(() =>
    handle(e.data).catch((err: unknown) => {
      const error = err instanceof Error ? { name: err.name, message: err.message } : { name: "Error", message: String(err) };
      scope.postMessage({ type: "error", id: e.data.id, error });
    }),
  );
};
