import type { InferenceSession, Tensor as OrtTensor } from "onnxruntime-common";
import type { InferenceRunner, Tensor } from "../core/pipeline/runner";

/** The part of an onnxruntime module (web or node) the runner uses. */
export interface OrtModule {
  Tensor: new (type: "float32", data: Float32Array, dims: readonly number[]) => OrtTensor;
}

/** Sessions wrapped in this process or worker so far: an adapter switch must never add one. */
let created = 0;
export const sessionsCreated = () => created;

export interface SessionRunner extends InferenceRunner {
  inputNames: readonly string[];
  outputNames: readonly string[];
  /** Names, types and shapes of the graph's inputs and outputs (checkGraphNames reads them). */
  inputMetadata?: readonly InferenceSession.ValueMetadata[];
  outputMetadata?: readonly InferenceSession.ValueMetadata[];
  dispose(): Promise<void>;
}

/**
 * Wrap an ORT session as the pipeline's InferenceRunner. Calls are queued: ORT must never run
 * one session concurrently.
 */
export function wrapSession(ort: OrtModule, session: InferenceSession, backend: string): SessionRunner {
  created++;
  let queue: Promise<unknown> = Promise.resolve();
  const run = async (feeds: Record<string, Tensor>) => {
    const ortFeeds: Record<string, OrtTensor> = {};
    for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor("float32", t.data, t.dims);
    const out = await session.run(ortFeeds);
    const result: Record<string, Tensor> = {};
    for (const [name, t] of Object.entries(out)) {
      result[name] = { data: (await t.getData()) as Float32Array, dims: [...t.dims] };
      t.dispose();
    }
    return result;
  };
  return {
    backend,
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    inputMetadata: session.inputMetadata,
    outputMetadata: session.outputMetadata,
    run(feeds) {
      const next = queue.then(() => run(feeds));
      queue = next.catch(() => undefined);
      return next;
    },
    dispose: () => session.release(),
  };
}
