import { beforeEach, expect, it } from "vitest";
import { writeNifti } from "../core/io";
import { resetApp, useApp } from "./store";

// Segment waits for what the user just chose: a run started while a sample or its adapter is
// still loading would give the base model's mask under the adapter's name.

beforeEach(async () => {
  resetApp();
  const bytes = writeNifti({ dims: [4, 4, 4], affine: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], data: new Uint8Array(64) }, { gzip: false });
  await useApp.getState().openScan("scan.nii", bytes);
  useApp.setState({ modelStatus: "ready" });
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
