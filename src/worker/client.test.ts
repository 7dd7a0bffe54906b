import { describe, expect, it } from "vitest";
import { parseManifest } from "../core/manifest";
import { CancelledError } from "../core/pipeline/runner";
import type { Volume } from "../core/volume/types";
import { InferenceClient, type WorkerLike } from "./client";
import type { WorkerRequest, WorkerResponse } from "./protocol";

// Issue 12 part 9: the worker client on its own, with scripted workers: replies, errors, a crash
// (restart and reload), cancel, and a late reply from a worker that was let go.
const manifest = parseManifest({
  schemaVersion: 1, id: "t", name: "t", version: "0",
  files: { model: { path: "model.onnx", sha256: "0".repeat(64), bytes: 1 } },
  input: { orientation: "RAS", spacing: [1, 1, 1], sliceAxis: 2, contextSlices: 0, multipleOf: 4, maxSliceSize: [32, 32], batchSize: 2, inputName: "image", outputName: "logits" },
  preprocess: [],
  classes: [{ index: 0, name: "background", color: [0, 0, 0] }, { index: 1, name: "thing", color: [255, 0, 0] }],
  labelConventions: ["classes"],
});
const scan: Volume = { dims: [2, 2, 1], affine: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], data: new Float32Array(4) };
const source = { kind: "url" as const, baseUrl: "http://localhost/models/t/" };

type Script = (req: WorkerRequest, reply: (m: WorkerResponse) => void, w: FakeWorker) => void;
class FakeWorker implements WorkerLike {
  onmessage: ((e: MessageEvent<WorkerResponse>) => void) | null = null;
  onerror: ((e: ErrorEvent) => void) | null = null;
  terminated = false;
  received: WorkerRequest[] = [];
  constructor(private script: Script) {}
  postMessage(req: WorkerRequest) {
    this.received.push(req);
    setTimeout(() => this.script(req, (m) => !this.terminated && this.onmessage?.({ data: m } as MessageEvent<WorkerResponse>), this), 0);
  }
  terminate() {
    this.terminated = true;
  }
  crash(message: string) {
    this.onerror?.({ message } as ErrorEvent);
  }
}

const normal: Script = (req, reply) => {
  if (req.type === "load") reply({ type: "loaded", id: req.id, manifest, backend: "wasm (1 thread)" });
  if (req.type === "segment") {
    reply({ type: "progress", id: req.id, done: 1, total: 1 });
    reply({ type: "segmented", id: req.id, sessionId: "s1", profile: { CSF: null }, result: { labels: { ...req.scan, data: new Uint8Array(4).fill(1) }, backend: "wasm (1 thread)", slices: 1, options: [], passes: 1, skipped: [], warnings: [], ms: { preprocess: 0, inference: 0, postprocess: 0, total: 0 } } });
  }
};

function clientWith(...scripts: Script[]) {
  const workers: FakeWorker[] = [];
  const client = new InferenceClient(() => {
    const w = new FakeWorker(scripts[Math.min(workers.length, scripts.length - 1)]);
    workers.push(w);
    return w;
  });
  return { client, workers };
}

describe("the worker client", () => {
  it("loads, segments with progress, and keeps the UI's scan (a copy travels)", async () => {
    const { client, workers } = clientWith(normal);
    expect((await client.load(source, "wasm")).backend).toBe("wasm (1 thread)");
    const progress: number[] = [];
    const r = await client.segment(scan, { onProgress: (d) => progress.push(d) });
    expect(Array.from(r.labels.data as Uint8Array)).toEqual([1, 1, 1, 1]);
    expect(progress).toEqual([1]);
    expect(workers).toHaveLength(1);
    expect(scan.data.length).toBe(4); // not transferred away
  });

  it("an error reply rejects with the worker's error name and message; the worker stays", async () => {
    const { client, workers } = clientWith((req, reply) => {
      if (req.type === "load") reply({ type: "loaded", id: req.id, manifest, backend: "wasm" });
      else reply({ type: "error", id: req.id, error: { name: "VolumeError", message: "Every voxel of the scan is 0" } });
    });
    await client.load(source, "wasm");
    await expect(client.segment(scan)).rejects.toMatchObject({ name: "VolumeError", message: "Every voxel of the scan is 0" });
    expect(workers[0].terminated).toBe(false);
  });

  it("a crashed worker fails what was pending with a clear message; the next job starts a fresh worker and reloads the model", async () => {
    const crashing: Script = (req, reply, w) => {
      if (req.type === "load") reply({ type: "loaded", id: req.id, manifest, backend: "wasm" });
      else w.crash("out of memory");
    };
    const { client, workers } = clientWith(crashing, normal);
    await client.load(source, "wasm");
    await expect(client.segment(scan)).rejects.toThrow("The inference worker crashed: out of memory. Try again; if it repeats, reload the page.");
    const r = await client.segment(scan);
    expect(r.sessionId).toBe("s1");
    expect(workers).toHaveLength(2);
    expect(workers[1].received.map((m) => m.type)).toEqual(["load", "segment"]);
    expect(workers[1].received[0]).toMatchObject({ type: "load", source, backend: "wasm" });
  });

  it("cancel ends the worker at once; a reply it sends later is ignored, and the next job reloads", async () => {
    let late: (() => void) | null = null;
    const slow: Script = (req, reply) => {
      if (req.type === "load") reply({ type: "loaded", id: req.id, manifest, backend: "wasm" });
      else late = () => normal(req, reply, undefined as never);
    };
    const { client, workers } = clientWith(slow, normal);
    await client.load(source, "wasm");
    const abort = new AbortController();
    const run = client.segment(scan, { signal: abort.signal });
    await new Promise((r) => setTimeout(r, 5));
    abort.abort();
    await expect(run).rejects.toThrow(CancelledError);
    expect(workers[0].terminated).toBe(true);
    late!(); // the old worker's answer arrives after all: nobody is listening
    const r = await client.segment(scan);
    expect(r.labels.data.length).toBe(4);
    expect(workers).toHaveLength(2);
  });
});
