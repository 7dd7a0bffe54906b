/** What the pipeline needs from an inference engine; onnxruntime-web and -node both provide it. */
export interface Tensor {
  data: Float32Array;
  dims: number[];
}

export interface InferenceRunner {
  /** e.g. "webgpu", "wasm", "cpu": shown to the user and recorded in results. */
  readonly backend: string;
  run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>>;
}

export class CancelledError extends Error {
  override name = "CancelledError";
  constructor() {
    super("Segmentation cancelled");
  }
}
