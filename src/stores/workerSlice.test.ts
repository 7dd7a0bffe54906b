import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { parseManifest } from "../core/manifest";
import { CancelledError } from "../core/pipeline/runner";
import type { SegmentOptions } from "../core/pipeline/segment";
import type { Volume } from "../core/volume/types";
import type { InferenceClient } from "../worker/client";
import { resetApp, useApp } from "./store";
import { busyReason, workerBusy, type JobKind } from "./workerSlice";

// One job uses the worker at a time: the store's activeJob says which, and every slice and panel reads it.

const USER_JOBS = ["segmenting", "comparing", "training", "studying"] as const;
const claim = (kind: JobKind, onCancel?: (note?: string) => void) => {
  const taken = useApp.getState().claimWorker(kind, onCancel);
  if (!taken.ok) throw new Error(taken.reason);
  return taken.claim;
};

beforeEach(() => resetApp());

describe("claims", () => {
  it("each kind claims the worker and releases it", () => {
    for (const kind of [...USER_JOBS, "probing" as const]) {
      const held = claim(kind);
      expect(useApp.getState().activeJob).toBe(held);
      expect(workerBusy(useApp.getState())).toBe(kind !== "probing"); // a probe gives way: the worker counts as free
      useApp.getState().releaseWorker(held);
      expect(useApp.getState().activeJob).toBeNull();
    }
  });

  it("a second claim is refused with what holds the worker; the holder goes on", () => {
    const reasons: Record<string, string> = {
      segmenting: "A segmentation is running in the viewer: let it finish or cancel it",
      comparing: "A comparison is running in the viewer: let it finish or cancel it",
      training: "An adapter is training: let it finish or cancel it",
      studying: "The site study is running: let it finish or cancel it",
    };
    for (const holder of USER_JOBS) {
      const held = claim(holder);
      expect(busyReason(useApp.getState())).toBe(reasons[holder]);
      for (const other of [...USER_JOBS, "probing" as const]) expect(useApp.getState().claimWorker(other)).toEqual({ ok: false, reason: reasons[holder] });
      expect(useApp.getState().activeJob).toBe(held);
      expect(held.abort.signal.aborted).toBe(false);
      useApp.getState().releaseWorker(held);
    }
  });

  it("a release frees only its own claim: a job cancelled or replaced releases nothing when it ends", () => {
    const first = claim("segmenting");
    expect(useApp.getState().cancelActiveJob()).toBe(true);
    const second = claim("training");
    useApp.getState().releaseWorker(first); // the first run's late end
    expect(useApp.getState().activeJob).toBe(second);
  });

  it("a contrast probe gives way to any job and is never cancelled (that would end the worker); it waits behind one", () => {
    const probe = claim("probing");
    expect(useApp.getState().cancelActiveJob()).toBe(false);
    expect(probe.abort.signal.aborted).toBe(false);
    const run = claim("segmenting");
    useApp.getState().releaseWorker(probe); // the probe's measurement arrives after the run started
    expect(useApp.getState().activeJob).toBe(run);
    expect(useApp.getState().claimWorker("probing").ok).toBe(false);
  });
});

describe("cancel reaches the holder", () => {
  it("cancelActiveJob: the holder's progress says why, its signal aborts, the worker is free", () => {
    const notes: (string | undefined)[] = [];
    const held = claim("training", (note) => notes.push(note));
    expect(useApp.getState().cancelActiveJob("a new scan was opened")).toBe(true);
    expect(notes).toEqual(["a new scan was opened"]);
    expect(held.abort.signal.aborted).toBe(true);
    expect(useApp.getState().activeJob).toBeNull();
    expect(useApp.getState().cancelActiveJob()).toBe(false); // nothing left to cancel
  });

  it("each panel's Cancel stops its own job only", () => {
    const cancels = { segmenting: "cancelSegmentation", comparing: "cancelSegmentation", training: "cancelTraining", studying: "cancelStudy" } as const;
    for (const holder of USER_JOBS) {
      for (const [kind, cancel] of Object.entries(cancels)) {
        const held = claim(holder);
        useApp.getState()[cancel]();
        const stopped = cancel === cancels[holder];
        expect([kind, held.abort.signal.aborted]).toEqual([kind, stopped]);
        expect(useApp.getState().activeJob).toBe(stopped ? null : held);
        useApp.getState().releaseWorker(held);
      }
    }
  });
});

// The slices' own jobs through the one owner, with a worker that answers when told to.
describe("the viewer's runs hold the worker", () => {
  const manifest = parseManifest(JSON.parse(readFileSync(resolve(import.meta.dirname, "../../public/models/siteseg-tissue/manifest.json"), "utf8")));
  const scan: Volume = { dims: [4, 4, 4], affine: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], data: new Float32Array(64) };
  /** A worker whose runs end when `finish` is called (or at once on abort, like the real client). */
  function heldClient() {
    const finishes: (() => void)[] = [];
    const client = {
      segment: (s: Volume, opts: SegmentOptions) =>
        new Promise((resolve, reject) => {
          opts.signal?.addEventListener("abort", () => reject(new CancelledError()), { once: true });
          finishes.push(() => resolve({ labels: { dims: s.dims, affine: s.affine, data: new Uint8Array(64).fill(1) }, backend: "test", slices: 4, options: [], passes: 1, skipped: [], warnings: [], ms: { preprocess: 0, inference: 0, postprocess: 0, total: 1 }, sessionId: "s", profile: {} }));
        }),
    };
    /** Lets the oldest run still waiting end. */
    const finish = async () => {
      await new Promise((r) => setTimeout(r, 0));
      finishes.shift()?.();
    };
    return { client: client as unknown as InferenceClient, finish, runs: () => finishes.length };
  }
  beforeEach(() => {
    useApp.setState({ scan: { name: "scan.nii", volume: scan, sha256: Promise.resolve("x") }, manifest, modelStatus: "ready" });
  });

  it("Segment claims it until its mask arrives; the study and a training wait meanwhile", async () => {
    const fake = heldClient();
    useApp.setState({ client: fake.client });
    const run = useApp.getState().runSegmentation();
    expect(useApp.getState().activeJob?.kind).toBe("segmenting");
    expect(useApp.getState().canSegment()).toBe(false);
    expect(useApp.getState().claimWorker("studying")).toEqual({ ok: false, reason: "A segmentation is running in the viewer: let it finish or cancel it" });
    await fake.finish();
    await run;
    expect(useApp.getState().job.status).toBe("done");
    expect(useApp.getState().activeJob).toBeNull();
    expect(useApp.getState().canSegment()).toBe(true);
  });

  it("a comparison holds it across both runs, also between them; Cancel ends the whole comparison", async () => {
    const fake = heldClient();
    useApp.setState({ client: fake.client, adapter: { name: "site" } as never });
    const compare = useApp.getState().runComparison();
    const held = useApp.getState().activeJob;
    expect(held?.kind).toBe("comparing");
    await fake.finish(); // the base's run
    await vi.waitFor(() => expect(fake.runs()).toBe(1)); // the adapter's run started
    expect(useApp.getState().results.base).toBeDefined();
    expect(useApp.getState().activeJob).toBe(held);
    useApp.getState().cancelActiveJob();
    await compare;
    expect(useApp.getState().job.status).toBe("cancelled");
    expect(useApp.getState().comparing).toBeNull();
    expect(useApp.getState().activeJob).toBeNull();
    expect(useApp.getState().results["adapter:site"]).toBeUndefined();
  });

  it("a new Segment replaces the run in flight: the old one's end touches nothing", async () => {
    const fake = heldClient();
    useApp.setState({ client: fake.client });
    const first = useApp.getState().runSegmentation();
    const firstClaim = useApp.getState().activeJob!;
    const second = useApp.getState().runSegmentation();
    await first;
    expect(firstClaim.abort.signal.aborted).toBe(true);
    expect(useApp.getState().activeJob?.kind).toBe("segmenting");
    expect(useApp.getState().activeJob).not.toBe(firstClaim);
    expect(useApp.getState().job.status).toBe("running");
    await fake.finish(); // the first run's promise was rejected: this ends the second
    await fake.finish();
    await second;
    expect(useApp.getState().job.status).toBe("done");
    expect(useApp.getState().activeJob).toBeNull();
  });
});

