import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { writeNifti } from "../core/io";
import { parseManifest } from "../core/manifest";
import { CancelledError } from "../core/pipeline/runner";
import { offByDefault, type SegmentOptions } from "../core/pipeline/segment";
import type { Volume } from "../core/volume/types";
import type { InferenceClient } from "../worker/client";
import { waitText } from "./jobSlice";
import { resetApp, useApp } from "./store";

// Segment waits for what the user just chose: a run started while a sample or its adapter is
// still loading would give the base model's mask under the adapter's name.

beforeEach(async () => {
  resetApp();
  const bytes = writeNifti({ dims: [4, 4, 4], affine: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], data: new Uint8Array(64) }, { gzip: false });
  await useApp.getState().openScan("scan.nii", bytes);
  useApp.setState({ modelStatus: "ready" });
});

afterEach(() => {
  vi.restoreAllMocks();
});

it("Segment is possible with a scan and a ready model", () => {
  expect(useApp.getState().scan).not.toBeNull();
  expect(useApp.getState().canSegment()).toBe(true);
});

it("Segment waits while an adapter loads", () => {
  useApp.setState({ adapterStatus: "loading" });
  expect(useApp.getState().canSegment()).toBe(false);
});

it("Segment waits while a sample site opens", () => {
  useApp.setState({ sampleLoading: "synth-pd" });
  expect(useApp.getState().canSegment()).toBe(false);
});

// The mask so far, while a run goes on: shown only where no result is, and gone when the run ends.
describe("the run's preview", () => {
  const manifest = parseManifest(JSON.parse(readFileSync(resolve(import.meta.dirname, "../../public/models/siteseg-tissue/manifest.json"), "utf8")));
  /** A worker client whose run sends one preview (when asked for) and then waits for `finish`. */
  function scriptedClient() {
    let finish = () => {};
    const asked: boolean[] = [];
    const client = {
      segment: async (scan: Volume, opts: SegmentOptions) => {
        asked.push(!!opts.onPreview);
        opts.onPreview?.(new Uint8Array(scan.data.length).fill(2));
        await new Promise<void>((r) => (finish = r));
        if (opts.signal?.aborted) throw new CancelledError();
        const labels = { dims: scan.dims, affine: scan.affine, data: new Uint8Array(scan.data.length).fill(3) };
        return { labels, backend: "test", slices: 4, options: [], passes: 1, warnings: [], ms: { preprocess: 0, inference: 0, postprocess: 0, total: 0 }, sessionId: "s", profile: {} };
      },
    };
    return { client: client as unknown as InferenceClient, finish: () => finish(), asked };
  }

  it("shows the mask so far when there is no result yet; the result replaces it", async () => {
    const fake = scriptedClient();
    useApp.setState({ manifest, client: fake.client });
    const run = useApp.getState().runSegmentation();
    await vi.waitFor(() => expect(useApp.getState().preview?.labels.data[0]).toBe(2));
    expect(useApp.getState().result).toBeNull();
    fake.finish();
    await run;
    expect(useApp.getState().preview).toBeNull();
    expect(useApp.getState().result?.labels.data[0]).toBe(3);
  });

  it("never stands in front of a shown result, and cancelling removes it", async () => {
    const fake = scriptedClient();
    useApp.setState({ manifest, client: fake.client });
    const first = useApp.getState().runSegmentation();
    await vi.waitFor(() => expect(useApp.getState().preview).not.toBeNull());
    useApp.getState().cancelSegmentation();
    expect(useApp.getState().preview).toBeNull();
    fake.finish();
    await first;
    expect(useApp.getState().job.status).toBe("cancelled");
    // a result on screen: the next run asks for no preview and shows none
    const second = useApp.getState().runSegmentation();
    await vi.waitFor(() => expect(fake.asked.length).toBe(2));
    fake.finish();
    await second;
    const third = useApp.getState().runSegmentation();
    await vi.waitFor(() => expect(fake.asked.length).toBe(3));
    expect(fake.asked).toEqual([true, true, false]);
    expect(useApp.getState().preview).toBeNull();
    fake.finish();
    await third;
  });
});

// The manifest's inference options: what the user chose goes to the worker, and a kept mask made
// with other options is run again before it is compared.
describe("inference options", () => {
  const manifest = parseManifest(JSON.parse(readFileSync(resolve(import.meta.dirname, "../../public/models/siteseg-tissue/manifest.json"), "utf8")));
  function recordingClient() {
    const runs: (readonly string[] | undefined)[] = [];
    const client = {
      segment: async (scan: Volume, opts: SegmentOptions) => {
        runs.push(opts.options);
        const labels = { dims: scan.dims, affine: scan.affine, data: new Uint8Array(scan.data.length) };
        return { labels, backend: "test", slices: 4, options: [...(opts.options ?? [])], passes: 1 + (opts.options?.length ?? 0), warnings: [], ms: { preprocess: 0, inference: 0, postprocess: 0, total: 0 }, sessionId: "s", profile: {} };
      },
    };
    return { client: client as unknown as InferenceClient, runs };
  }

  it("starts from the manifest's defaults, sends the user's choice, and re-runs a kept mask made with other options", async () => {
    const fake = recordingClient();
    useApp.setState({ manifest, client: fake.client });
    const defaults = manifest.inference.options.filter((o) => o.default).map((o) => o.id);
    expect(useApp.getState().activeOptions()).toEqual(defaults);
    await useApp.getState().runSegmentation();
    expect(fake.runs).toEqual([defaults]);
    expect(defaults).toEqual(["flip", "cleanup"]);
    expect(useApp.getState().job.passes).toBe(2); // the mirrored pass; the cleanup runs no model

    useApp.getState().setInferenceOption("triplanar", true);
    expect(useApp.getState().activeOptions()).toEqual(["flip", "triplanar", "cleanup"]); // the manifest's order
    for (const id of defaults) useApp.getState().setInferenceOption(id, false);
    expect(useApp.getState().activeOptions()).toEqual(["triplanar"]);
    // compare: the base's kept mask was made with the defaults, so it runs again, then the adapter
    useApp.setState({ adapter: { name: "site" } as never });
    await useApp.getState().runComparison();
    expect(fake.runs.slice(1)).toEqual([["triplanar"], ["triplanar"]]);
    await useApp.getState().runComparison(); // both kept with these options: nothing runs
    expect(fake.runs.length).toBe(3);
  });

  it("leaves the mirrored pass off by default on WASM, as the manifest says and why, on for WebGPU; the user's choice rules either way", async () => {
    const fake = recordingClient();
    useApp.setState({ manifest, client: fake.client, adapter: null, inferenceOptions: null, results: {}, result: null, backend: "wasm (2 threads)" });
    const flip = manifest.inference.options.find((o) => o.id === "flip")!;
    expect(offByDefault(flip, "wasm (2 threads)")).toMatch(/doubles the wait/);
    // the cleanup is on by default on every backend (it runs no model)
    expect(useApp.getState().activeOptions()).toEqual(["cleanup"]);
    await useApp.getState().runSegmentation();
    expect(fake.runs).toEqual([["cleanup"]]);
    useApp.setState({ backend: "webgpu" });
    expect(offByDefault(flip, "webgpu")).toBeNull();
    expect(useApp.getState().activeOptions()).toEqual(["flip", "cleanup"]);
    useApp.setState({ backend: "wasm (1 thread)" });
    useApp.getState().setInferenceOption("flip", true);
    expect(useApp.getState().activeOptions()).toEqual(["flip", "cleanup"]);
    useApp.setState({ backend: "webgpu" });
    useApp.getState().setInferenceOption("flip", false);
    expect(useApp.getState().activeOptions()).toEqual(["cleanup"]);
  });
});

// Issue 24 part 8a: a comparison reported the adapter's run alone ("Done in 59.9 s" after 140 s)
// and its button kept saying "Comparing…" after it ended.
describe("a comparison's wait", () => {
  const manifest = parseManifest(JSON.parse(readFileSync(resolve(import.meta.dirname, "../../public/models/siteseg-tissue/manifest.json"), "utf8")));
  /** A clock the test moves: each run takes the given seconds, base first, then the adapter. */
  function timedClient(seconds: number[], fail?: number) {
    let clock = 1000;
    vi.spyOn(performance, "now").mockImplementation(() => clock);
    let call = 0;
    const client = {
      segment: async (scan: Volume, opts: SegmentOptions) => {
        const n = call++;
        clock += seconds[n] * 1000;
        if (n === fail) throw new Error("the worker crashed");
        const labels = { dims: scan.dims, affine: scan.affine, data: new Uint8Array(scan.data.length) };
        return { labels, backend: "test", slices: 4, options: [...(opts.options ?? [])], passes: 1, skipped: [], warnings: [], ms: { preprocess: 0, inference: 0, postprocess: 0, total: seconds[n] * 1000 }, sessionId: "s", profile: {} };
      },
    };
    return { client: client as unknown as InferenceClient, tick: (ms: number) => (clock += ms) };
  }
  /** What the viewer does once it has drawn the shown mask. */
  const drawn = (fake: { tick: (ms: number) => void }) => {
    fake.tick(300);
    useApp.getState().markShown(useApp.getState().result!);
  };

  it("reports the whole wait, both runs apart, and the button's label comes back when it ends", async () => {
    const fake = timedClient([80, 60]);
    useApp.setState({ manifest, client: fake.client, adapter: { name: "site" } as never });
    const labels: (string | null)[] = [];
    const unsubscribe = useApp.subscribe((s) => labels.push(s.comparing?.adapter ?? null));
    await useApp.getState().runComparison();
    unsubscribe();
    expect(labels).toContain("site"); // "Comparing…" while it ran
    expect(useApp.getState().comparing).toBeNull();
    expect(useApp.getState().compare).toEqual({ adapter: "site" }); // the compare view stays open
    drawn(fake);
    const wait = useApp.getState().lastWait!;
    expect(wait.result).toBe(useApp.getState().results["adapter:site"]);
    expect(wait.waitedMs).toBe(140_300);
    expect(waitText(wait)).toBe("Done in 140.3 s: base 80.0 s, site 60.0 s");
  });

  it("a kept mask is said to be kept; a plain run is reported as before", async () => {
    const fake = timedClient([30, 45, 20]);
    useApp.setState({ manifest, client: fake.client });
    await useApp.getState().runSegmentation(); // the base, kept
    drawn(fake);
    expect(waitText(useApp.getState().lastWait!)).toBe("Done in 30.3 s (segmentation 30.0 s, drawing 0.3 s)");
    useApp.setState({ adapter: { name: "site" } as never });
    await useApp.getState().runComparison();
    drawn(fake);
    expect(waitText(useApp.getState().lastWait!)).toBe("Done in 45.3 s: base kept from before, site 45.0 s");
    // a base mask made with other options runs again; the adapter's kept mask comes back, and its wait was the base's run
    const { results } = useApp.getState();
    useApp.setState({ results: { ...results, base: { ...results.base, options: ["other"] } }, result: results.base });
    await useApp.getState().runComparison();
    drawn(fake);
    expect(waitText(useApp.getState().lastWait!)).toBe("Done in 20.3 s: base 20.0 s, site kept from before");
  });

  it("a comparison that fails or is cancelled gives the button back too", async () => {
    const fake = timedClient([10, 10], 1);
    useApp.setState({ manifest, client: fake.client, adapter: { name: "site" } as never });
    await useApp.getState().runComparison();
    expect(useApp.getState().job.status).toBe("error");
    expect(useApp.getState().comparing).toBeNull();
  });
});
