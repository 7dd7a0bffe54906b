import * as ort from "onnxruntime-web";
// ORT's own loader files, served by Vite from our origin (never a CDN). Without these explicit
// paths a production build with numThreads > 1 hangs at session creation.
import wasmMjs from "onnxruntime-web/ort-wasm-simd-threaded.jsep.mjs?url";
import wasmBinary from "onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url";
import { wrapSession, type OrtModule, type SessionRunner } from "./session";

export type BackendPreference = "auto" | "webgpu" | "wasm";

let configured = false;
let requestedThreads: number | undefined;

/** WASM threads to use (the page's `?threads=N`), before the first session; later calls change nothing. */
export function requestWasmThreads(n: number | undefined) {
  if (!configured && n !== undefined && Number.isInteger(n) && n >= 1) requestedThreads = n;
}

function configure() {
  if (configured) return;
  configured = true;
  ort.env.wasm.wasmPaths = { mjs: wasmMjs, wasm: wasmBinary };
  // Threads need cross-origin isolation (COOP/COEP); fall back to one thread without it.
  const cores = typeof navigator !== "undefined" ? navigator.hardwareConcurrency || 1 : 1;
  ort.env.wasm.numThreads = globalThis.crossOriginIsolated ? Math.min(requestedThreads ?? 4, cores) : 1;
  ort.env.logLevel = "error";
}

type GpuAdapter = { isFallbackAdapter?: boolean; info?: { isFallbackAdapter?: boolean } };

/**
 * True when the browser offers a hardware WebGPU adapter. A software fallback adapter (such as
 * SwiftShader) runs 100-300x slower than WASM, so "auto" skips it; choosing WebGPU still uses it.
 */
export async function hasWebGpu(): Promise<boolean> {
  const gpu = (globalThis.navigator as Navigator & { gpu?: { requestAdapter(): Promise<GpuAdapter | null> } }).gpu;
  if (!gpu) return false;
  try {
    const adapter = await gpu.requestAdapter();
    return adapter !== null && !(adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false);
  } catch {
    return false;
  }
}

/**
 * WebGPU when asked for or available, else multi-threaded WASM; reports which one it got and,
 * when WebGPU was tried and could not run the model (an op its backend lacks, no device), why.
 */
export async function createWebRunner(model: Uint8Array, preference: BackendPreference = "auto"): Promise<SessionRunner & { notice?: string }> {
  configure();
  return openWithFallback(preference, hasWebGpu, async (ep) => {
    const session = await ort.InferenceSession.create(model, { executionProviders: [ep], graphOptimizationLevel: "all" });
    return wrapSession(ort as unknown as OrtModule, session, ep === "webgpu" ? "webgpu" : `wasm (${ort.env.wasm.numThreads} thread${ort.env.wasm.numThreads === 1 ? "" : "s"})`);
  });
}

/** The backend choice, apart from onnxruntime: "webgpu" must work; "auto" falls back to WASM with a notice. */
export async function openWithFallback<R extends object>(preference: BackendPreference, gpuAvailable: () => Promise<boolean>, open: (ep: "webgpu" | "wasm") => Promise<R>): Promise<R & { notice?: string }> {
  if (preference === "webgpu" || (preference === "auto" && (await gpuAvailable()))) {
    try {
      return (await open("webgpu")) as R & { notice?: string };
    } catch (e) {
      if (preference === "webgpu") throw e;
      const why = (e as Error).message.split("\n")[0].slice(0, 200);
      return { ...(await open("wasm")), notice: `WebGPU could not run this model (${why}), so it runs on WASM.` };
    }
  }
  return (await open("wasm")) as R & { notice?: string };
}
