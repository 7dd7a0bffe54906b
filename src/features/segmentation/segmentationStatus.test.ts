import { describe, expect, it } from "vitest";
import type { JobState, SegmentationResult, Wait } from "../../stores/jobSlice";
import { cleanupSummary, millilitres, modelLine, segmentationStatus, type StatusInput } from "./segmentationStatus";

const idle: JobState = { status: "idle", done: 0, total: 0, error: null };
const ready: StatusInput = { job: idle, result: null, lastWait: null, hasPreview: false, hasScan: true, modelStatus: "ready", loadingInput: false, busyWith: null };
const status = (over: Partial<StatusInput>) => segmentationStatus({ ...ready, ...over });
const result = { ms: { total: 12_340, inference: 10_000 } } as SegmentationResult;

describe("the status line", () => {
  it("before a run: what the user must do or wait for, first things first", () => {
    expect(status({ hasScan: false, modelStatus: "loading" }).text).toBe("Open a scan to segment it");
    expect(status({ modelStatus: "loading" }).text).toBe("Waiting for the model");
    expect(status({ loadingInput: true }).text).toBe("Loading the sample or adapter…");
    expect(status({ busyWith: "studying" }).text).toBe("The site study is running: segment when it ends or is cancelled");
    expect(status({ busyWith: "training" }).text).toBe("An adapter is training: segment when it ends or is cancelled");
    expect(status({}).text).toBe("Ready");
  });

  it("while a run goes on: what runs, and whether the mask so far is shown", () => {
    const running: JobState = { ...idle, status: "running", running: "base" };
    expect(status({ job: running, busyWith: "segmenting" }).text).toBe("Starting with the base model…");
    expect(status({ job: { ...running, running: "synth-pd", done: 3, total: 10 } }).text).toBe("Segmenting with synth-pd…");
    expect(status({ job: { ...running, done: 3, total: 10 }, hasPreview: true }).text).toBe("Segmenting with the base model… The mask so far is shown; Dice and volumes follow when it ends.");
    expect(status({ job: { ...running, phase: "adapting", step: 4, steps: 100 }, hasPreview: true }).text).toBe("Adapting to this scan without labels: training on the model's own mask, shown meanwhile…");
    expect(status({ job: { ...running, phase: "adapted" } }).text).toBe("Segmenting again with the model adapted to this scan…");
  });

  it("after a run: the wait the user saw once the mask is drawn, else the run's own time; cancelled and failed say so", () => {
    const done: JobState = { ...idle, status: "done" };
    expect(status({ job: done, result }).text).toBe("Done in 12.3 s");
    const wait: Wait = { result, waitedMs: 13_000, drawMs: 500, runMs: 12_340 };
    expect(status({ job: done, result, lastWait: wait }).text).toBe("Done in 13.0 s (segmentation 12.3 s, drawing 0.5 s)");
    expect(status({ job: done, result, lastWait: { ...wait, result: { ...result } } }).text).toBe("Done in 12.3 s"); // another mask's wait
    expect(status({ job: { ...idle, status: "cancelled" } }).text).toBe("Cancelled");
    expect(status({ job: { ...idle, status: "cancelled", note: "a new scan was opened" } }).text).toBe("Cancelled: a new scan was opened");
    expect(status({ job: { ...idle, status: "error", error: "x" } }).text).toBe("Failed");
    expect(status({ job: { ...idle, status: "error", error: "x", refused: true } }).text).toBe("Refused");
  });
});

describe("the progress bar", () => {
  it("counts slices of all passes, training steps while adapting, and is indeterminate before the total is known", () => {
    expect(status({}).progress).toEqual({ value: 0, max: 0, text: "No run yet", tone: "idle" });
    const running: JobState = { ...idle, status: "running" };
    expect(status({ job: running }).progress).toEqual({ value: 0, max: 0, text: "Preparing the scan…", tone: "active" });
    expect(status({ job: { ...running, done: 30, total: 200, passes: 2 } }).progress).toEqual({ value: 30, max: 200, text: "30 / 200 slices (2 passes)", tone: "active" });
    expect(status({ job: { ...running, done: 30, total: 200, passes: 1 } }).progress.text).toBe("30 / 200 slices");
    expect(status({ job: { ...running, phase: "adapting", step: 7, steps: 100, done: 50, total: 50 } }).progress).toEqual({ value: 7, max: 100, text: "7 / 100 training steps", tone: "active" });
    expect(status({ job: { ...idle, status: "done", done: 200, total: 200 } }).progress).toEqual({ value: 200, max: 200, text: "200 / 200 slices", tone: "done" });
  });
});

it("the model's line", () => {
  const manifest = { name: "Brain tissue", version: "0.4.0" };
  expect(modelLine({ modelStatus: "idle", manifest: null, modelCount: 0 })).toBe("Looking for shipped models…");
  expect(modelLine({ modelStatus: "idle", manifest: null, modelCount: 2 })).toBe("No model selected");
  expect(modelLine({ modelStatus: "loading", manifest, modelCount: 2 })).toBe("Loading model…");
  expect(modelLine({ modelStatus: "ready", manifest, modelCount: 2 })).toBe("Brain tissue 0.4.0 ready");
  expect(modelLine({ modelStatus: "error", manifest, modelCount: 2 })).toBe("Model not loaded");
});

describe("cleanupSummary", () => {
  it("says what was removed outside the brain and filled inside it, in voxels, mL and pieces", () => {
    expect(cleanupSummary({ removed: { voxels: 2626, ml: 21.04, fragments: 61 }, filled: { voxels: 1, ml: 0.008, holes: 1 } })).toBe(
      "2,626 voxels (21.0 mL) in 61 pieces removed outside the brain; 1 voxel (0.01 mL) in 1 hole inside it filled",
    );
  });
  it("says so when there was nothing to remove, and leaves out filling that did not happen", () => {
    expect(cleanupSummary({ removed: { voxels: 0, ml: 0, fragments: 0 }, filled: { voxels: 0, ml: 0, holes: 0 } })).toBe("nothing outside the brain to remove");
  });
  it("writes large volumes in whole millilitres", () => {
    expect(millilitres(1234.4)).toBe("1,234 mL");
    expect(millilitres(99.94)).toBe("99.9 mL");
    expect(millilitres(0.036)).toBe("0.04 mL");
  });
});
