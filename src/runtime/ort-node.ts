import * as ort from "onnxruntime-node";
import { wrapSession, type OrtModule, type SessionRunner } from "./session";

/** onnxruntime-node on the CPU, for the CLI and tests. */
export async function createNodeRunner(model: Uint8Array, threads = 2): Promise<SessionRunner> {
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ["cpu"],
    intraOpNumThreads: threads,
    graphOptimizationLevel: "all",
  });
  return wrapSession(ort as unknown as OrtModule, session, "cpu");
}
