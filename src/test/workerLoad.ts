import { checkGraphNames, loadModel, type Manifest, type ModelSource } from "../core/manifest";
import { modelFileReader } from "../runtime/model-source";
import { createNodeRunner } from "../runtime/ort-node";

/** What the inference worker does when it loads a model (read, validate, open the graph, check it), in Node: store tests' scripted clients. */
export async function loadAsWorker(source: ModelSource): Promise<Manifest> {
  const { manifest, onnx } = await loadModel(modelFileReader(source));
  const runner = await createNodeRunner(onnx, 1);
  try {
    checkGraphNames(manifest, runner);
  } finally {
    await runner.dispose();
  }
  return manifest;
}
