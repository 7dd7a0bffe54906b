import { describe, expect, it } from "vitest";
import { openWithFallback } from "./ort-web";

// Issue 12 part 6: a model with an op the WebGPU backend lacks. "Auto" falls back to WASM and
// says why; an explicit "WebGPU" choice fails with onnxruntime's reason (the app shows it).
const open = (gpuError?: Error) => async (ep: "webgpu" | "wasm") => {
  if (ep === "webgpu" && gpuError) throw gpuError;
  return { backend: ep };
};
const lacking = new Error("Unsupported op: GridSample\n(stack)");

describe("choosing the backend", () => {
  it("auto with a GPU: WebGPU when it runs the model, else WASM with a notice", async () => {
    expect(await openWithFallback("auto", async () => true, open())).toEqual({ backend: "webgpu" });
    expect(await openWithFallback("auto", async () => true, open(lacking))).toEqual({ backend: "wasm", notice: "WebGPU could not run this model (Unsupported op: GridSample), so it runs on WASM." });
  });

  it("auto without a GPU: WASM, no notice; WebGPU chosen: its failure is the error", async () => {
    expect(await openWithFallback("auto", async () => false, open(lacking))).toEqual({ backend: "wasm" });
    await expect(openWithFallback("webgpu", async () => false, open(lacking))).rejects.toThrow("Unsupported op: GridSample");
    expect(await openWithFallback("wasm", async () => true, open())).toEqual({ backend: "wasm" });
  });
});
