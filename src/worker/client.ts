import type { ContrastProfile } from "../core/adapters/profile";
import type { Manifest } from "../core/manifest/schema";
import type { ModelSource } from "../core/manifest/source";
import { CancelledError } from "../core/pipeline/runner";
import type { SegmentResult } from "../core/pipeline/segment";
import type { SelfAdaptOptions, SelfAdaptPhase } from "../core/adapt/self";
import type { Volume } from "../core/volume/types";
import type { BackendPreference } from "../runtime/ort-web";
import type { AdaptJob, AdaptOutcome, WorkerRequest, WorkerResponse } from "./protocol";

/** A request before the client gives it an id (distributes over the union). */
type Unsent = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, "id"> : never) : never;
/** What a job reports while it runs. */
type Listeners = { onProgress?: (d: number, t: number) => void; onStep?: (step: number, loss: number) => void; onPreview?: (labels: Uint8Array) => void; onPhase?: (phase: SelfAdaptPhase) => void };
type Pending = Listeners & { resolve: (m: WorkerResponse) => void; reject: (e: Error) => void };

function revive(error: { name: string; message: string }): Error {
  const e = new Error(error.message);
  e.name = error.name;
  return e;
}

/**
 * The UI's handle on the inference worker; `segment` has the same shape as the core's.
 * Cancel terminates the worker outright (a WASM batch cannot be interrupted), so it stops at
 * once; the next call starts a fresh worker and reloads the model it had.
 */
/** The part of a Worker the client uses (tests give a scripted one). */
export interface WorkerLike {
  postMessage(message: WorkerRequest, transfer: Transferable[]): void;
  terminate(): void;
  onmessage: ((e: MessageEvent<WorkerResponse>) => void) | null;
  onerror: ((e: ErrorEvent) => void) | null;
}

/** `?threads=N` in the page's address: WASM threads for inference (for example 1, to leave the other cores free). */
const pageThreads = (): number | undefined => {
  const n = Number(new URLSearchParams(globalThis.location?.search ?? "").get("threads"));
  return Number.isInteger(n) && n >= 1 ? n : undefined;
};

const inferenceWorker = (): WorkerLike => new Worker(new URL("./inference.worker.ts", import.meta.url), { type: "module" });

export class InferenceClient {
  constructor(private readonly startWorker: () => WorkerLike = inferenceWorker) {}

  private worker: WorkerLike | null = null;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private current: { source: ModelSource; backend: BackendPreference } | null = null;
  private ready: Promise<{ manifest: Manifest; backend: string; notice?: string }> | null = null;

  private spawn(): WorkerLike {
    const worker = this.startWorker();
    worker.onmessage = (e: MessageEvent<WorkerResponse>) => {
      const msg = e.data;
      const p = this.pending.get(msg.id);
      if (!p) return;
      if (msg.type === "progress") return p.onProgress?.(msg.done, msg.total);
      if (msg.type === "trainProgress") return p.onStep?.(msg.step, msg.loss);
      if (msg.type === "preview") return p.onPreview?.(msg.labels);
      if (msg.type === "phase") return p.onPhase?.(msg.phase);
      this.pending.delete(msg.id);
      if (msg.type === "error") p.reject(revive(msg.error));
      else p.resolve(msg);
    };
    worker.onerror = (e) => this.failAll(new Error(`The inference worker crashed: ${e.message || "unknown error"}. Try again; if it repeats, reload the page.`));
    return worker;
  }

  private failAll(error: Error) {
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
    this.worker?.terminate();
    this.worker = null;
    this.ready = null;
  }

  private call(req: Unsent, transfer: Transferable[] = [], listeners: Listeners = {}): Promise<WorkerResponse> {
    this.worker ??= this.spawn();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, ...listeners });
      this.worker!.postMessage({ ...req, id } as WorkerRequest, transfer);
    });
  }

  /** Load (or switch to) a model; resolves with its manifest and the backend actually used. */
  load(source: ModelSource, backend: BackendPreference): Promise<{ manifest: Manifest; backend: string; notice?: string }> {
    this.current = { source, backend };
    const ready = this.call({ type: "load", source, backend, threads: pageThreads() }).then((m) => {
      if (m.type !== "loaded") throw new Error("unexpected reply");
      return { manifest: m.manifest, backend: m.backend, notice: m.notice };
    });
    this.ready = ready;
    ready.catch(() => (this.ready === ready ? (this.ready = null) : null));
    return ready;
  }

  /**
   * One job in the worker, after the model is ready; `signal` cancels at once by ending the
   * worker (a WASM batch cannot be interrupted). `transfer` holds the copies the UI sends.
   */
  private async job(req: Unsent, transfer: Transferable[], signal: AbortSignal | undefined, listeners: Listeners): Promise<WorkerResponse> {
    if (!this.current) throw new Error("Choose a model first");
    if (!this.ready) this.load(this.current.source, this.current.backend);
    await this.ready;
    if (signal?.aborted) throw new CancelledError();
    const run = this.call(req, transfer, listeners);
    const onAbort = () => this.failAll(new CancelledError());
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      return await run;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  async segment(scan: Volume & { name?: string }, opts: SelfAdaptOptions = {}): Promise<SegmentResult & { sessionId: string; profile: ContrastProfile }> {
    // The UI keeps its scan: send a copy and transfer that.
    const data = scan.data.slice();
    const msg = await this.job({ type: "segment", scan: { ...scan, data }, adapterFeeds: opts.adapterFeeds, previews: !!opts.onPreview, options: opts.options && [...opts.options] }, [data.buffer as ArrayBuffer], opts.signal, opts);
    if (msg.type !== "segmented") throw new Error("unexpected reply");
    return { ...msg.result, sessionId: msg.sessionId, profile: msg.profile };
  }

  /** Trains a site adapter in the worker (never on the page's thread); the UI keeps its scan and reference: copies travel. */
  async adapt(job: AdaptJob, opts: { onStep?: (step: number, loss: number) => void; signal?: AbortSignal } = {}): Promise<AdaptOutcome> {
    const copy = <V extends { data: { slice(): { buffer: ArrayBufferLike } } }>(v: V) => ({ ...v, data: v.data.slice() }) as V;
    const sent: AdaptJob = {
      ...job,
      scan: copy(job.scan),
      reference: copy(job.reference),
      scoreAgainst: job.scoreAgainst && { ...job.scoreAgainst, reference: copy(job.scoreAgainst.reference) },
      moreCases: job.moreCases?.map((c) => ({ ...c, scans: c.scans.map(copy), reference: copy(c.reference) })),
    };
    const volumes = [sent.scan, sent.reference, ...(sent.scoreAgainst ? [sent.scoreAgainst.reference] : []), ...(sent.moreCases ?? []).flatMap((c) => [...c.scans, c.reference])];
    const buffers = volumes.map((v) => v.data.buffer as ArrayBuffer);
    const msg = await this.job({ type: "adapt", job: sent }, buffers, opts.signal, { onStep: opts.onStep });
    if (msg.type !== "adapted") throw new Error("unexpected reply");
    return msg.outcome;
  }

  dispose() {
    this.failAll(new CancelledError());
  }
}
